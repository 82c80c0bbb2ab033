using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

/// <summary>In-order data copied straight into a waiting reader's buffer (<see cref="ReceiveBuffer.SetReadTarget"/>).</summary>
public class DirectDeliveryTests
{
    private static byte[] Pattern(int n, int seed = 7)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Fact]
    public void InOrderDataGoesIntoTheTargetAndCountsAsRead()
    {
        var data = Pattern(3000);
        using var b = new ReceiveBuffer();
        var target = new byte[5000];
        b.SetReadTarget(target);
        b.Write(0, data.AsSpan(0, 1200), fin: false);
        b.Write(1200, data.AsSpan(1200, 1800), fin: true);
        Assert.Equal(3000, b.TargetFilled);
        Assert.Equal(3000UL, b.ReadOffset);
        Assert.True(b.IsFinished);
        Assert.Equal(0, b.ReadableBytes);
        Assert.Equal(3000, b.TakeTarget());
        Assert.Equal(data, target[..3000]);
        Assert.Equal(0, b.TargetFilled);
    }

    [Fact]
    public void AFullTargetLeavesTheRestBufferedInOrder()
    {
        var data = Pattern(4000);
        using var b = new ReceiveBuffer();
        var target = new byte[1000];
        b.SetReadTarget(target);
        b.Write(0, data.AsSpan(0, 2500), fin: false);
        Assert.Equal(1000, b.TakeTarget());
        Assert.Equal(data[..1000], target);
        b.Write(2500, data.AsSpan(2500), fin: true);

        var rest = new byte[4000];
        int n = b.Read(rest, out bool fin);
        Assert.True(fin);
        Assert.Equal(3000, n);
        Assert.Equal(data[1000..], rest[..n]);
    }

    [Fact]
    public void DataThatArrivedEarlyIsReadAfterTheDirectPart()
    {
        var data = Pattern(50_000);
        using var b = new ReceiveBuffer();
        b.Write(20_000, data.AsSpan(20_000, 30_000), fin: true); // ahead of the read offset: buffered
        var target = new byte[64_000];
        b.SetReadTarget(target);
        b.Write(0, data.AsSpan(0, 20_000), fin: false);          // in order: straight into the target
        Assert.Equal(20_000, b.TakeTarget());
        Assert.Equal(data[..20_000], target[..20_000]);
        Assert.Equal(30_000, b.ReadableBytes);

        var rest = new byte[64_000];
        int n = b.Read(rest, out bool fin);
        Assert.True(fin);
        Assert.Equal(data[20_000..], rest[..n]);
    }

    [Fact]
    public void UnreadBufferedDataKeepsOrder_NothingIsDeliveredAroundIt()
    {
        var data = Pattern(2000);
        using var b = new ReceiveBuffer();
        b.Write(0, data.AsSpan(0, 500), fin: false); // not read yet
        var target = new byte[2000];
        b.SetReadTarget(target);
        b.Write(500, data.AsSpan(500), fin: true);
        Assert.Equal(0, b.TakeTarget());
        var all = new byte[2000];
        Assert.Equal(2000, b.Read(all, out bool fin));
        Assert.True(fin);
        Assert.Equal(data, all);
    }

    [Fact]
    public void RandomArrivalOrderWithTargetsReassemblesExactly()
    {
        var rnd = new Random(11);
        var data = Pattern(200_000, 3);
        var segments = new List<(int Off, int Len)>();
        for (int off = 0; off < data.Length;)
        {
            int len = Math.Min(rnd.Next(1, 3000), data.Length - off);
            segments.Add((off, len));
            off += len;
        }
        // Mostly in order, with local reordering and duplicates, like a lossy path.
        var order = segments.Select((s, i) => (s, key: i + rnd.Next(0, 6))).OrderBy(x => x.key).Select(x => x.s).ToList();
        order.AddRange(segments.Where(_ => rnd.Next(10) == 0));

        using var b = new ReceiveBuffer();
        var output = new List<byte>();
        byte[]? target = null;
        bool fin = false;
        foreach (var (off, len) in order)
        {
            if (target is null && rnd.Next(2) == 0)
            {
                target = new byte[rnd.Next(1, 9000)];
                b.SetReadTarget(target);
            }
            b.Write((ulong)off, data.AsSpan(off, len), fin: off + len == data.Length);
            if (target is not null && rnd.Next(3) == 0)
            {
                int n = b.TakeTarget();
                output.AddRange(target[..n]);
                target = null;
            }
            if (target is null)
            {
                var tmp = new byte[rnd.Next(1, 5000)];
                int r = b.Read(tmp, out fin);
                output.AddRange(tmp[..r]);
            }
        }
        if (target is not null) output.AddRange(target[..b.TakeTarget()]);
        while (!fin)
        {
            var tmp = new byte[4096];
            int r = b.Read(tmp, out fin);
            output.AddRange(tmp[..r]);
            if (r == 0 && !fin) break;
        }
        Assert.True(fin);
        Assert.Equal(data, output.ToArray());
    }

    [Fact]
    public void DiscardStopsWritingIntoTheTarget()
    {
        using var b = new ReceiveBuffer();
        var target = new byte[100];
        b.SetReadTarget(target);
        b.Discard();
        b.Write(0, Pattern(50), fin: false);
        Assert.Equal(0, b.TakeTarget());
        Assert.All(target, x => Assert.Equal(0, x));
    }

    [Fact]
    public void StreamManagerCreditsDirectBytesWhenTheReaderTakesThem()
    {
        var settings = new LocalStreamSettings
        {
            InitialMaxData = 100_000, InitialMaxStreamDataBidiLocal = 8000, InitialMaxStreamDataBidiRemote = 8000,
            MaxStreamWindow = 8000, MaxConnectionWindow = 100_000, SendBufferPerStream = 1 << 20,
        };
        var pair = new StreamPair(settings, settings, seed: 5);
        Assert.True(pair.Client.TryOpenStream(true, out ulong id));
        var data = Pattern(60_000);
        var received = new List<byte>();
        var target = new byte[3000];
        bool targetSet = false, fin = false, opened = false;
        int written = 0, direct = 0;
        pair.OnServerEvent = e => opened |= e.Kind == Pliant.Quic.Connection.ConnectionEventKind.StreamOpened;
        void ReadSome(bool again)
        {
            if (targetSet)
            {
                int n = pair.Server.TakeDirect(id, out bool f);
                direct += n;
                received.AddRange(target[..n]);
                fin |= f;
                targetSet = false;
            }
            if (fin) return;
            var tmp = new byte[3000];
            int r = pair.Server.Read(id, tmp, out bool rf);
            received.AddRange(tmp[..r]);
            fin |= rf;
            if (!fin && again)
            {
                pair.Server.SetReadTarget(id, target);
                targetSet = true;
            }
        }
        pair.Run(() =>
        {
            if (written < data.Length) written += pair.Client.Write(id, data.AsSpan(written), true);
            if (opened) ReadSome(again: true);
        });
        ReadSome(again: false);
        Assert.True(fin);
        Assert.True(direct > data.Length / 2, $"only {direct} bytes went directly");
        Assert.Equal(data, received.ToArray()); // 60 kB through an 8 kB window: the credit followed the direct reads
    }
}
