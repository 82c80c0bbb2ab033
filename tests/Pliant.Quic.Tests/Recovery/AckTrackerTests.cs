using Pliant.Quic.Connection;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Recovery;

public class AckTrackerTests
{
    private sealed record Decoded(byte Type, ulong Largest, ulong Delay, List<AckRange> Ranges, EcnCounts? Ecn, int Length);

    // Hand decoder of RFC 9000 §19.3.
    private static Decoded Decode(ReadOnlySpan<byte> b)
    {
        int o = 1;
        ulong Next(ReadOnlySpan<byte> s)
        {
            Assert.True(VarInt.TryRead(s[o..], out var v, out var l));
            o += l;
            return v;
        }

        byte type = b[0];
        ulong largest = Next(b), delay = Next(b), count = Next(b), first = Next(b);
        var ranges = new List<AckRange> { new(largest - first, largest) };
        ulong smallest = largest - first;
        for (ulong i = 0; i < count; i++)
        {
            ulong gap = Next(b), len = Next(b);
            ulong hi = smallest - gap - 2;
            ranges.Add(new AckRange(hi - len, hi));
            smallest = hi - len;
        }

        EcnCounts? ecn = type == 0x03 ? new EcnCounts(Next(b), Next(b), Next(b)) : null;
        return new Decoded(type, largest, delay, ranges, ecn, o);
    }

    private static AckTracker App() => new(PacketSpace.Application) { MaxAckDelayUs = 25_000 };

    private static void Receive(AckTracker t, long now, params ulong[] pns)
    {
        foreach (var pn in pns)
        {
            Assert.False(t.IsDuplicate(pn));
            t.OnPacketReceived(pn, true, EcnCodepoint.NotEct, now);
        }
    }

    [Fact]
    public void RangesMerge()
    {
        var t = App();
        Receive(t, 0, 1, 2, 3, 5, 4);
        Assert.Equal([new AckRange(1, 5)], t.Ranges);
        Receive(t, 0, 10, 8, 12, 9);
        Assert.Equal([new AckRange(1, 5), new AckRange(8, 10), new AckRange(12, 12)], t.Ranges);
        Receive(t, 0, 7, 11, 6);
        Assert.Equal([new AckRange(1, 12)], t.Ranges);
        Receive(t, 0, 0);
        Assert.Equal([new AckRange(0, 12)], t.Ranges);
        Assert.True(t.IsDuplicate(0));
        Assert.True(t.IsDuplicate(12));
        Assert.False(t.IsDuplicate(13));
    }

    [Fact]
    public void DelayedAckDeadlineAndTwoPacketRule()
    {
        var t = App();
        Assert.Null(t.AckDeadlineUs);
        Receive(t, 1_000, 0);
        Assert.True(t.AckPending);
        Assert.Equal(26_000, t.AckDeadlineUs);
        Receive(t, 2_000, 1);
        // RFC 9000 §13.2.2: second ack-eliciting packet → immediately.
        Assert.True(t.AckDeadlineUs <= 2_000);
        Assert.True(t.WriteAckFrame(new byte[64], 2_000, 3) > 0);
        Assert.False(t.AckPending);
        Assert.Null(t.AckDeadlineUs);
    }

    [Fact]
    public void ThresholdIsConfigurable()
    {
        var t = App();
        t.AckElicitingThreshold = 4;
        t.MaxAckDelayUs = 10_000;
        Receive(t, 0, 0, 1, 2);
        Assert.Equal(10_000, t.AckDeadlineUs);
        Receive(t, 5, 3);
        Assert.True(t.AckDeadlineUs <= 5);
    }

    [Fact]
    public void GapAndReorderingTriggerImmediateAck()
    {
        var t = App();
        Receive(t, 0, 0);
        t.WriteAckFrame(new byte[64], 0, 3);
        Receive(t, 1_000, 2); // gap: 1 missing
        Assert.True(t.AckDeadlineUs <= 1_000);
        t.WriteAckFrame(new byte[64], 1_000, 3);
        Receive(t, 2_000, 1); // reordered
        Assert.True(t.AckDeadlineUs <= 2_000);

        var ignoring = App();
        ignoring.IgnoreOrder = true;
        Receive(ignoring, 0, 0);
        ignoring.WriteAckFrame(new byte[64], 0, 3);
        Receive(ignoring, 1_000, 5);
        Assert.Equal(26_000, ignoring.AckDeadlineUs);
    }

    [Fact]
    public void HandshakeSpacesAckImmediatelyAndNonElicitingDoesNotArm()
    {
        var t = new AckTracker(PacketSpace.Initial);
        t.OnPacketReceived(0, false, EcnCodepoint.NotEct, 0);
        Assert.True(t.AckPending);
        Assert.Null(t.AckDeadlineUs);
        t.OnPacketReceived(1, true, EcnCodepoint.NotEct, 500);
        Assert.Equal(500, t.AckDeadlineUs);
    }

    [Fact]
    public void CeMarkedPacketAckedImmediately()
    {
        var t = App();
        t.OnPacketReceived(0, true, EcnCodepoint.Ce, 700);
        Assert.Equal(700, t.AckDeadlineUs);
    }

    [Fact]
    public void WriteAckFrameEncodesRanges()
    {
        var t = App();
        Receive(t, 0, 0, 1, 2, 5, 6);
        t.OnPacketReceived(9, false, EcnCodepoint.NotEct, 1_000);
        var buf = new byte[64];
        int n = t.WriteAckFrame(buf, 1_000 + 800, 3);
        var d = Decode(buf.AsSpan(0, n));
        Assert.Equal(n, d.Length);
        Assert.Equal(0x02, d.Type);
        Assert.Equal(9UL, d.Largest);
        Assert.Equal(800UL >> 3, d.Delay);
        Assert.Equal([new AckRange(9, 9), new AckRange(5, 6), new AckRange(0, 2)], d.Ranges);
        // Exact bytes: type, largest 9, delay 100, count 2, first 0, gap 1, len 1, gap 1, len 2.
        Assert.Equal(Convert.FromHexString("0209406402000101" + "0102"), buf[..n]);
    }

    [Fact]
    public void WriteAckFrameWithEcnCounts()
    {
        var t = App();
        t.OnPacketReceived(0, true, EcnCodepoint.Ect0, 0);
        t.OnPacketReceived(1, true, EcnCodepoint.Ect0, 0);
        t.OnPacketReceived(2, true, EcnCodepoint.Ce, 0);
        t.OnPacketReceived(3, true, EcnCodepoint.Ect1, 0);
        var buf = new byte[64];
        int n = t.WriteAckFrame(buf, 0, 3);
        var d = Decode(buf.AsSpan(0, n));
        Assert.Equal(0x03, d.Type);
        Assert.Equal(new EcnCounts(2, 1, 1), d.Ecn);
        Assert.Equal([new AckRange(0, 3)], d.Ranges);
        Assert.Equal(n, d.Length);
    }

    [Fact]
    public void RangesTrimmedToFitDestination()
    {
        var t = App();
        for (ulong pn = 0; pn < 40; pn += 2) t.OnPacketReceived(pn, true, EcnCodepoint.NotEct, 0);
        Assert.Equal(20, t.RangeCount);
        var big = new byte[256];
        var all = Decode(big.AsSpan(0, t.WriteAckFrame(big, 0, 3)));
        Assert.Equal(20, all.Ranges.Count);

        var small = new byte[10];
        int n = t.WriteAckFrame(small, 0, 3);
        Assert.InRange(n, 1, 10);
        var d = Decode(small.AsSpan(0, n));
        Assert.Equal(n, d.Length);
        Assert.Equal(38UL, d.Largest);
        // 5 header bytes (type, largest, delay, count, first) + 2 bytes per extra range.
        Assert.Equal(3, d.Ranges.Count);
        Assert.Equal([new AckRange(38, 38), new AckRange(36, 36), new AckRange(34, 34)], d.Ranges);

        Assert.Equal(0, t.WriteAckFrame(new byte[3], 0, 3));
    }

    [Fact]
    public void AckedAckFrameStopsReportingOlderPackets()
    {
        var t = App();
        Receive(t, 0, 0, 1, 2, 5, 6);
        t.WriteAckFrame(new byte[64], 0, 3);
        t.OnAckFrameAcked(5);
        Receive(t, 10, 7);
        var buf = new byte[64];
        var d = Decode(buf.AsSpan(0, t.WriteAckFrame(buf, 10, 3)));
        Assert.Equal([new AckRange(6, 7)], d.Ranges);
        Assert.True(t.IsDuplicate(1)); // still deduplicated
        Assert.False(t.IsDuplicate(3));

        t.OnAckFrameAcked(7);
        Assert.Equal(0, t.WriteAckFrame(buf, 20, 3));
    }

    [Fact]
    public void RangeCapTreatsOlderPacketsAsDuplicates()
    {
        var t = App();
        for (ulong pn = 0; pn < 80; pn += 2) t.OnPacketReceived(pn, true, EcnCodepoint.NotEct, 0);
        Assert.Equal(32, t.RangeCount);
        // ranges 0..14 (8 of them) dropped: anything up to 14 is a duplicate now.
        Assert.True(t.IsDuplicate(1));
        Assert.True(t.IsDuplicate(13));
        Assert.False(t.IsDuplicate(17));
        Assert.True(t.IsDuplicate(16));
    }
}

public class AckTrackerAckFrequencyTests
{
    private static void Receive(AckTracker t, long now, params ulong[] pns)
    {
        foreach (var pn in pns) t.OnPacketReceived(pn, true, EcnCodepoint.NotEct, now);
    }

    [Theory]
    // draft-ietf-quic-ack-frequency-12 §6.2.1, tables for thresholds 3 and 5: received packet → ACK sent?
    [InlineData(3, new ulong[] { 0, 1, 3, 4, 5, 8, 9, 10 }, new[] { false, false, false, false, true, false, true, true })]
    [InlineData(5, new ulong[] { 0, 1, 3, 5, 6, 7, 8, 9 }, new[] { false, false, false, false, false, true, false, true })]
    public void ReorderingThresholdFollowsDraftExamples(int threshold, ulong[] received, bool[] ackSent)
    {
        var t = new AckTracker(PacketSpace.Application) { AckElicitingThreshold = 1000, ReorderingThreshold = (ulong)threshold };
        for (int i = 0; i < received.Length; i++)
        {
            long now = i * 10;
            Receive(t, now, received[i]);
            bool immediate = t.AckDeadlineUs <= now;
            Assert.True(ackSent[i] == immediate, $"packet {received[i]}");
            if (immediate) t.WriteAckFrame(new byte[64], now, 3);
        }
    }

    [Fact]
    public void LatePacketBelowLargestAckedMinusThresholdIsImmediate()
    {
        var t = new AckTracker(PacketSpace.Application) { AckElicitingThreshold = 100, ReorderingThreshold = 2 };
        Receive(t, 0, 0, 2, 3, 4, 5);
        t.WriteAckFrame(new byte[64], 0, 3);
        Receive(t, 10, 1); // 1 <= 5 - 2
        Assert.True(t.AckDeadlineUs <= 10);
    }

    [Fact]
    public void ImmediateAckFrame()
    {
        var t = new AckTracker(PacketSpace.Application);
        Receive(t, 100, 0);
        Assert.Equal(25_100, t.AckDeadlineUs);
        t.RequestImmediateAck();
        Assert.Equal(100, t.AckDeadlineUs);
    }
}
