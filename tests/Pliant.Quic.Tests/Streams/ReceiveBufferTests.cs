using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

public class ReceiveBufferTests
{
    private static byte[] Pattern(int n, int seed = 1) { var b = new byte[n]; new Random(seed).NextBytes(b); return b; }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomOverlappingPermutationsReassemble(int seed)
    {
        var rnd = new Random(seed);
        var data = Pattern(150_000, seed);
        var segments = new List<(int Off, int Len)>();
        // Cover everything, then add overlapping and duplicate segments.
        for (int off = 0; off < data.Length;) { int len = Math.Min(rnd.Next(1, 5000), data.Length - off); segments.Add((off, len)); off += len; }
        for (int i = 0; i < 60; i++) { int off = rnd.Next(data.Length); segments.Add((off, Math.Min(rnd.Next(1, 20_000), data.Length - off))); }
        var order = segments.OrderBy(_ => rnd.Next()).ToList();

        using var b = new ReceiveBuffer();
        var output = new List<byte>();
        bool fin = false;
        var tmp = new byte[rnd.Next(100, 9000)];
        foreach (var (off, len) in order)
        {
            b.Write((ulong)off, data.AsSpan(off, len), off + len == data.Length);
            if (rnd.Next(3) == 0)
            {
                int n = b.Read(tmp, out fin);
                output.AddRange(tmp.AsSpan(0, n).ToArray());
            }
        }
        while (!fin)
        {
            int n = b.Read(tmp, out fin);
            Assert.True(n > 0 || fin);
            output.AddRange(tmp.AsSpan(0, n).ToArray());
        }
        Assert.Equal(data, output.ToArray());
        Assert.True(b.IsFinished);
        Assert.Equal((ulong)data.Length, b.MaxOffset);
    }

    [Fact]
    public void ContiguousReadStopsAtGap()
    {
        using var b = new ReceiveBuffer();
        var data = Pattern(100);
        b.Write(50, data.AsSpan(50, 50), false);
        Assert.False(b.IsReadable);
        Assert.Equal(100UL, b.MaxOffset);
        b.Write(0, data.AsSpan(0, 20), false);
        var dest = new byte[100];
        Assert.Equal(20, b.Read(dest, out var fin));
        Assert.False(fin);
        b.Write(10, data.AsSpan(10, 40), false); // overlaps what was read
        Assert.Equal(80, b.Read(dest, out fin));
        Assert.Equal(data.AsSpan(20, 80).ToArray(), dest.AsSpan(0, 80).ToArray());
        Assert.False(fin);
        b.Write(100, default, true);
        Assert.Equal(0, b.Read(dest, out fin));
        Assert.True(fin);
    }

    [Fact]
    public void DataBeyondFinalSizeIsFinalSizeError()
    {
        using var b = new ReceiveBuffer();
        b.Write(0, new byte[10], true);
        var ex = Assert.Throws<QuicProtocolException>(() => b.Write(5, new byte[10], false));
        Assert.Equal(TransportErrorCode.FinalSizeError, ex.ErrorCode);
    }

    [Fact]
    public void ChangedFinalSizeIsFinalSizeError()
    {
        using var b = new ReceiveBuffer();
        b.Write(0, new byte[10], true);
        b.Write(0, new byte[10], true); // same final size again is fine
        var ex = Assert.Throws<QuicProtocolException>(() => b.Write(0, new byte[5], true));
        Assert.Equal(TransportErrorCode.FinalSizeError, ex.ErrorCode);
        Assert.Throws<QuicProtocolException>(() => b.SetFinalSize(11));
    }

    [Fact]
    public void FinalSizeBelowReceivedDataIsFinalSizeError()
    {
        using var b = new ReceiveBuffer();
        b.Write(100, new byte[10], false);
        var ex = Assert.Throws<QuicProtocolException>(() => b.Write(0, new byte[50], true));
        Assert.Equal(TransportErrorCode.FinalSizeError, ex.ErrorCode);
        Assert.Throws<QuicProtocolException>(() => b.SetFinalSize(109));
        b.SetFinalSize(110);
    }

    [Fact]
    public void WriteReportsMaxOffsetGrowth()
    {
        using var b = new ReceiveBuffer();
        Assert.Equal(10UL, b.Write(0, new byte[10], false));
        Assert.Equal(0UL, b.Write(2, new byte[5], false));
        Assert.Equal(20UL, b.Write(20, new byte[10], false));
    }

    [Fact]
    public void ManySmallOutOfOrderSegmentsAreFast()
    {
        // Reverse order single bytes: a quadratic structure would take far longer.
        const int n = 200_000;
        var data = Pattern(n);
        using var b = new ReceiveBuffer();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int i = n - 1; i >= 0; i -= 2) b.Write((ulong)i, data.AsSpan(i, 1), i == n - 1);
        for (int i = 0; i < n; i += 2) b.Write((ulong)i, data.AsSpan(i, 1), false);
        var dest = new byte[n];
        Assert.Equal(n, b.Read(dest, out var fin));
        Assert.True(fin);
        Assert.Equal(data, dest);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), sw.Elapsed.ToString());
    }
}
