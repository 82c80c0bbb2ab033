using Pliant.Quic.Recovery;
using static Pliant.Quic.Tests.Recovery.RecoveryTestHelpers;

namespace Pliant.Quic.Tests.Recovery;

/// <summary>Delivery rate sampling (draft-ietf-ccwg-bbr-06 §4.1.2) with hand-computed figures.</summary>
public class DeliveryRateSamplerTests
{
    private static SentPacket Sent(DeliveryRateSampler s, ref long inFlight, ulong pn, long atUs, int size = 1000)
    {
        var p = Packet(PacketSpace.Application, pn, atUs, size);
        s.OnPacketSent(p, inFlight, inFlight + size);
        inFlight += size;
        return p;
    }

    private static RateSample AckAll(DeliveryRateSampler s, long nowUs, long minRttUs, params SentPacket[] packets)
    {
        var rs = default(RateSample);
        DeliveryRateSampler.Begin(ref rs);
        foreach (var p in packets) s.OnAcked(p, nowUs, ref rs);
        s.Generate(ref rs, minRttUs);
        return rs;
    }

    [Fact]
    public void RateIsDeliveredBytesOverTheLongerOfTheSendAndAckIntervals()
    {
        var s = new DeliveryRateSampler();
        long inFlight = 0;
        // Ten packets 1 ms apart from an idle connection, all acknowledged by one ACK 49 ms after the first.
        var packets = Enumerable.Range(0, 10).Select(i => Sent(s, ref inFlight, (ulong)i, 1_000 + (i * 1_000L))).ToArray();
        Assert.All(packets, p => Assert.Equal(1_000, p.Delivery.FirstSentTimeUs));
        Assert.Equal(10_000, packets[^1].Delivery.TxInFlight);
        var rs = AckAll(s, 50_000, 20_000, packets);
        // send_elapsed = 10 ms - 1 ms = 9 ms; ack_elapsed = 50 ms - 1 ms = 49 ms: the interval is 49 ms.
        Assert.Equal(49_000, rs.IntervalUs);
        Assert.Equal(10_000, rs.Delivered);
        Assert.Equal(10_000, rs.NewlyAcked);
        Assert.Equal(10_000 / 0.049, rs.DeliveryRate, 6);
        Assert.Equal(9UL, rs.LastAckedPacketNumber);
        Assert.Equal(40_000, rs.RttUs);
        Assert.Equal(10_000, s.Delivered);
    }

    [Fact]
    public void ABurstOfAcksDoesNotInflateTheRate()
    {
        var s = new DeliveryRateSampler();
        long inFlight = 0;
        var first = Sent(s, ref inFlight, 0, 0);
        inFlight -= 1_000;
        Assert.Equal(1_000 / 0.020, AckAll(s, 20_000, 20_000, first).DeliveryRate, 6); // one packet over its 20 ms ACK interval
        // Ten packets sent over 90 ms while the first flight's ACK clock runs; their ACKs arrive in one burst.
        var packets = Enumerable.Range(1, 10).Select(i => Sent(s, ref inFlight, (ulong)i, 20_000 + ((i - 1) * 10_000L))).ToArray();
        var rs = AckAll(s, 130_000, 20_000, packets);
        // send_elapsed = 110 ms - 20 ms = 90 ms, ack_elapsed = 130 ms - 20 ms = 110 ms: the ACK interval wins.
        Assert.Equal(110_000, rs.IntervalUs);
        Assert.Equal(10_000 / 0.110, rs.DeliveryRate, 6);
    }

    [Fact]
    public void AnIntervalShorterThanTheMinimumRttGivesNoRate()
    {
        var s = new DeliveryRateSampler();
        long inFlight = 0;
        var p = Sent(s, ref inFlight, 0, 1_000);
        var rs = AckAll(s, 11_000, 20_000, p); // 10 ms < min_rtt 20 ms
        Assert.True(rs.HasData);
        Assert.Equal(0, rs.DeliveryRate);
        Assert.Equal(1_000, rs.Delivered);
    }

    [Fact]
    public void AnApplicationLimitedPhaseMarksSamplesUntilItsDataIsDelivered()
    {
        var s = new DeliveryRateSampler();
        long inFlight = 0;
        var a = Sent(s, ref inFlight, 0, 0);
        var b = Sent(s, ref inFlight, 1, 100);
        s.MarkAppLimited(inFlight); // ends once 0 + 2000 bytes are delivered
        Assert.Equal(2_000, s.AppLimitedUntil);
        var c = Sent(s, ref inFlight, 2, 200);
        Assert.False(a.Delivery.IsAppLimited);
        Assert.True(c.Delivery.IsAppLimited);
        Assert.False(AckAll(s, 30_000, 20_000, a, b).IsAppLimited);
        Assert.Equal(2_000, s.AppLimitedUntil); // delivered == 2000, not yet past it
        var rs = AckAll(s, 30_100, 20_000, c);
        Assert.True(rs.IsAppLimited);
        Assert.Equal(0, s.AppLimitedUntil); // 3000 > 2000: the phase is over
        inFlight = 0;
        Assert.False(Sent(s, ref inFlight, 3, 40_000).Delivery.IsAppLimited);
    }

    [Fact]
    public void LossesSinceAPacketWasSentAreReported()
    {
        var s = new DeliveryRateSampler();
        long inFlight = 0;
        var a = Sent(s, ref inFlight, 0, 0);
        var lost = Sent(s, ref inFlight, 1, 10);
        var b = Sent(s, ref inFlight, 2, 20);
        s.OnLost(lost.Size);
        var rs = AckAll(s, 30_000, 20_000, a, b);
        // The newest delivered packet (b) was sent before the loss was declared: RS.lost = 1000.
        Assert.Equal(1_000, rs.Lost);
        Assert.Equal(3_000, rs.TxInFlight);
    }
}
