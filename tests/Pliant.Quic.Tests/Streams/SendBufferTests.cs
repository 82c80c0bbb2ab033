using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

public class SendBufferTests
{
    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 + 3)).ToArray();

    [Fact]
    public void SendsNewDataInOrderUpToFlowLimit()
    {
        using var b = new SendBuffer();
        var data = Pattern(100_000);
        Assert.Equal(data.Length, b.Write(data, fin: true));
        Assert.True(b.TryGetNextRange(1000, 50_000, out var off, out var len, out var fin));
        Assert.Equal((0UL, 1000, false), (off, len, fin));
        var copy = new byte[len];
        b.CopyTo(off, copy);
        Assert.Equal(data.AsSpan(0, 1000).ToArray(), copy);
        // Flow limit stops new data.
        Assert.True(b.TryGetNextRange(100_000, 50_000, out off, out len, out fin));
        Assert.Equal((1000UL, 49_000, false), (off, len, fin));
        Assert.False(b.TryGetNextRange(100, 50_000, out _, out _, out _));
        Assert.True(b.IsBlockedBy(50_000));
        Assert.True(b.TryGetNextRange(100_000, 200_000, out off, out len, out fin));
        Assert.Equal((50_000UL, 50_000, true), (off, len, fin));
        Assert.Equal(100_000UL, b.SentEnd);
        Assert.False(b.TryGetNextRange(100, ulong.MaxValue, out _, out _, out _));
    }

    [Fact]
    public void LostRangesFirstLowestOffsetFirstAndNotLimitedByFlowControl()
    {
        using var b = new SendBuffer();
        var data = Pattern(5000);
        b.Write(data, fin: false);
        for (int i = 0; i < 5; i++) Assert.True(b.TryGetNextRange(1000, 5000, out _, out _, out _));
        b.OnLost(3000, 1000, false);
        b.OnLost(1000, 1000, false);
        b.OnAcked(1500, 200, false); // a copy of part of it arrived anyway
        // The flow limit (0 here) does not apply to retransmissions.
        Assert.True(b.TryGetNextRange(10_000, 0, out var off, out var len, out _));
        Assert.Equal((1000UL, 500), (off, len));
        Assert.True(b.TryGetNextRange(200, 0, out off, out len, out _));
        Assert.Equal((1700UL, 200), (off, len));
        Assert.True(b.TryGetNextRange(10_000, 0, out off, out len, out _));
        Assert.Equal((1900UL, 100), (off, len));
        Assert.True(b.TryGetNextRange(10_000, 0, out off, out len, out _));
        Assert.Equal((3000UL, 1000), (off, len));
        Assert.False(b.TryGetNextRange(10_000, 5000, out _, out _, out _));
    }

    [Fact]
    public void FinLostAloneIsResentAsBareFin()
    {
        using var b = new SendBuffer();
        b.Write(Pattern(10), fin: false);
        Assert.True(b.TryGetNextRange(100, 100, out _, out var len, out var fin));
        Assert.Equal((10, false), (len, fin));
        b.Write(default, fin: true);
        Assert.True(b.TryGetNextRange(100, 100, out var off, out len, out fin));
        Assert.Equal((10UL, 0, true), (off, len, fin));
        Assert.False(b.TryGetNextRange(100, 100, out _, out _, out _));
        b.OnAcked(0, 10, false);
        b.OnLost(10, 0, true);
        Assert.True(b.TryGetNextRange(100, 0, out off, out len, out fin));
        Assert.Equal((10UL, 0, true), (off, len, fin));
        b.OnAcked(10, 0, true);
        Assert.True(b.IsComplete);
    }

    [Fact]
    public void LostDataWithFinCarriesFinAgain()
    {
        using var b = new SendBuffer();
        b.Write(Pattern(10), fin: true);
        Assert.True(b.TryGetNextRange(100, 100, out _, out _, out var fin));
        Assert.True(fin);
        b.OnLost(0, 10, true);
        Assert.True(b.TryGetNextRange(4, 0, out var off, out var len, out fin));
        Assert.Equal((0UL, 4, false), (off, len, fin));
        Assert.True(b.TryGetNextRange(100, 0, out off, out len, out fin));
        Assert.Equal((4UL, 6, true), (off, len, fin));
    }

    [Fact]
    public void BackpressureAndAckedPrefixReleasesSpace()
    {
        using var b = new SendBuffer(capacity: 40_000);
        var data = Pattern(100_000);
        Assert.Equal(40_000, b.Write(data, fin: true));
        Assert.False(b.IsFinRequested); // FIN only with all data accepted
        Assert.Equal(0, b.Available);
        while (b.TryGetNextRange(1200, ulong.MaxValue, out var off, out var len, out _)) { }
        b.OnAcked(20_000, 10_000, false); // out of order: no space yet
        Assert.Equal(0, b.Available);
        b.OnAcked(0, 20_000, false);
        Assert.Equal(30_000UL, b.AckedPrefix);
        Assert.Equal(30_000, b.Available);
        Assert.Equal(30_000, b.Write(data.AsSpan(40_000, 30_000), fin: false));
        // Data is still readable after chunks in the acked prefix were freed.
        var copy = new byte[20_000];
        b.CopyTo(40_000, copy);
        Assert.Equal(data.AsSpan(40_000, 20_000).ToArray(), copy);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.CopyTo(0, new byte[10]));
    }

    [Fact]
    public void RandomLossEventuallyDeliversEverything()
    {
        var rnd = new Random(42);
        using var b = new SendBuffer();
        var data = Pattern(200_000);
        b.Write(data, fin: true);
        var received = new byte[data.Length];
        var got = new bool[data.Length];
        bool finAcked = false;
        var inFlight = new List<(ulong Off, int Len, bool Fin)>();
        for (int iter = 0; iter < 100_000 && !(finAcked && b.IsComplete); iter++)
        {
            if (b.TryGetNextRange(rnd.Next(1, 3000), ulong.MaxValue, out var off, out var len, out var fin))
                inFlight.Add((off, len, fin));
            if (inFlight.Count > 10 || !b.HasDataToSend(ulong.MaxValue))
            {
                int i = rnd.Next(inFlight.Count);
                var f = inFlight[i];
                inFlight.RemoveAt(i);
                if (rnd.Next(4) == 0) { b.OnLost(f.Off, f.Len, f.Fin); continue; }
                b.CopyTo(f.Off, received.AsSpan((int)f.Off, f.Len));
                for (int k = 0; k < f.Len; k++) got[(int)f.Off + k] = true;
                b.OnAcked(f.Off, f.Len, f.Fin);
                finAcked |= f.Fin;
            }
        }
        Assert.True(b.IsComplete);
        Assert.All(got, Assert.True);
        Assert.Equal(data, received);
    }
}
