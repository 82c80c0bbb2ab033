using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;
using static Pliant.Quic.Tests.Recovery.RecoveryTestHelpers;

namespace Pliant.Quic.Tests.Recovery;

public class LossRecoveryTests
{
    private static LossRecovery Create(bool confirmed = true, long maxAckDelay = 25_000) =>
        new(new RttEstimator(), new NewReno(1200))
        {
            HandshakeConfirmed = confirmed,
            PeerCompletedAddressValidation = confirmed,
            HasHandshakeKeys = confirmed,
            PeerMaxAckDelayUs = maxAckDelay,
        };

    [Fact]
    public void PacketThresholdThenTimeThreshold()
    {
        var lr = Create();
        for (ulong pn = 0; pn < 5; pn++) lr.Send(PacketSpace.Application, pn, (long)pn * 1000);

        var (acked, lost) = lr.Ack(PacketSpace.Application, 54_000, 0, new AckRange(4, 4));
        Assert.Equal([4UL], acked.Pns());
        // RFC 9002 §6.1.1: 0 and 1 are 3 or more below the largest acknowledged.
        Assert.Equal([0UL, 1UL], lost.Pns());
        Assert.Equal(50_000, lr.Rtt.LatestRtt);

        // loss_delay = 9/8 * 50000 = 56250; pn 2 was sent at 2000.
        Assert.Equal(2_000 + 56_250, lr.LossDetectionTimerUs);
        var lost2 = new List<SentPacket>();
        var action = lr.OnLossDetectionTimeout(58_250, lost2);
        Assert.False(action.IsProbe);
        Assert.Equal([2UL], lost2.Pns());
        Assert.Equal(3_000 + 56_250, lr.LossDetectionTimerUs);
        Assert.Equal(0, lr.PtoCount);
        Assert.Equal(1200, lr.CongestionController.BytesInFlight);
    }

    [Fact]
    public void TimeThresholdUsesGranularityFloor()
    {
        var lr = Create();
        lr.Send(PacketSpace.Application, 0, 0);
        lr.Send(PacketSpace.Application, 1, 0);
        var (acked, lost) = lr.Ack(PacketSpace.Application, 100, 0, new AckRange(1, 1));
        Assert.Single(acked);
        Assert.Empty(lost);
        // loss_delay = max(9/8 * 100, 1ms) = 1000
        Assert.Equal(1_000, lr.LossDetectionTimerUs);
    }

    [Fact]
    public void AckOfUnsentPacketIsProtocolViolation()
    {
        var lr = Create();
        lr.Send(PacketSpace.Application, 0, 0);
        lr.Send(PacketSpace.Application, 1, 0);
        var ex = Assert.Throws<QuicProtocolException>(() => lr.Ack(PacketSpace.Application, 10, 0, new AckRange(0, 2)));
        Assert.Equal(TransportErrorCode.ProtocolViolation, ex.ErrorCode);
        var ex2 = Assert.Throws<QuicProtocolException>(() => lr.Ack(PacketSpace.Handshake, 10, 0, new AckRange(0, 0)));
        Assert.Equal(TransportErrorCode.ProtocolViolation, ex2.ErrorCode);
    }

    [Fact]
    public void AckRangesProcessedInAscendingOrderAndDuplicatesIgnored()
    {
        var lr = Create();
        for (ulong pn = 0; pn < 10; pn++) lr.Send(PacketSpace.Application, pn, 0);
        var (acked, _) = lr.Ack(PacketSpace.Application, 1000, 0, new AckRange(8, 9), new AckRange(2, 4));
        Assert.Equal([2UL, 3UL, 4UL, 8UL, 9UL], acked.Pns());
        var (again, _) = lr.Ack(PacketSpace.Application, 1000, 0, new AckRange(8, 9));
        Assert.Empty(again);
        Assert.Equal(9UL, lr.LargestAcked(PacketSpace.Application));
    }

    [Fact]
    public void RttSampleOnlyWhenLargestNewlyAckedAndAckEliciting()
    {
        var lr = Create();
        lr.Send(PacketSpace.Application, 0, 0);
        lr.Send(PacketSpace.Application, 1, 0, ackEliciting: false);
        lr.Ack(PacketSpace.Application, 10_000, 0, new AckRange(1, 1));
        Assert.False(lr.Rtt.HasSample); // largest not ack-eliciting
        lr.Ack(PacketSpace.Application, 20_000, 0, new AckRange(0, 1));
        Assert.False(lr.Rtt.HasSample); // largest (1) not newly acknowledged
        lr.Send(PacketSpace.Application, 2, 30_000);
        lr.Ack(PacketSpace.Application, 45_000, 0, new AckRange(2, 2));
        Assert.Equal(15_000, lr.Rtt.LatestRtt);
    }

    [Fact]
    public void PtoBackoffAndSpaceSelection()
    {
        var lr = Create(confirmed: false);
        lr.PeerCompletedAddressValidation = true;
        lr.Send(PacketSpace.Initial, 0, 0);
        lr.Send(PacketSpace.Handshake, 0, 5_000);
        long pto = new RttEstimator().PtoBase; // 999 ms
        Assert.Equal(pto, lr.LossDetectionTimerUs);

        var lost = new List<SentPacket>();
        var a1 = lr.OnLossDetectionTimeout(pto, lost);
        Assert.Equal(new PtoAction(PacketSpace.Initial, 2), a1);
        Assert.Empty(lost);
        Assert.Equal(1, lr.PtoCount);
        Assert.Equal(2 * pto, lr.LossDetectionTimerUs);

        var a2 = lr.OnLossDetectionTimeout(2 * pto, lost);
        Assert.Equal(PacketSpace.Initial, a2.Space);
        Assert.Equal(2, lr.PtoCount);
        Assert.Equal(4 * pto, lr.LossDetectionTimerUs);

        // Initial discarded: the Handshake packet decides; pto_count reset.
        lr.DiscardSpace(PacketSpace.Initial, lost, 4 * pto);
        Assert.Equal(0, lr.PtoCount);
        Assert.Equal(5_000 + pto, lr.LossDetectionTimerUs);
        Assert.Equal(PacketSpace.Handshake, lr.GetPtoTimeAndSpace(0).Space);
    }

    [Fact]
    public void EarlyTimeoutCallDoesNothing()
    {
        var lr = Create();
        lr.Send(PacketSpace.Application, 0, 0);
        var timer = lr.LossDetectionTimerUs!.Value;
        Assert.Equal(PtoAction.None, lr.OnLossDetectionTimeout(timer - 1, []));
        Assert.Equal(0, lr.PtoCount);
        Assert.Equal(timer, lr.LossDetectionTimerUs);
    }

    [Fact]
    public void NoApplicationPtoBeforeHandshakeConfirmed()
    {
        var lr = Create(confirmed: false);
        lr.PeerCompletedAddressValidation = true;
        lr.Send(PacketSpace.Application, 0, 0);
        Assert.Null(lr.LossDetectionTimerUs);

        lr.HandshakeConfirmed = true;
        lr.Send(PacketSpace.Application, 1, 10);
        // Application PTO includes max_ack_delay.
        Assert.Equal(10 + new RttEstimator().PtoBase + 25_000, lr.LossDetectionTimerUs);
        var a = lr.OnLossDetectionTimeout(lr.LossDetectionTimerUs!.Value, []);
        Assert.Equal(new PtoAction(PacketSpace.Application, 2), a);
        // backoff doubles max_ack_delay too
        Assert.Equal(10 + 2 * (new RttEstimator().PtoBase + 25_000), lr.LossDetectionTimerUs);
    }

    [Fact]
    public void ClientAntiDeadlockTimerWithNothingInFlight()
    {
        var lr = Create(confirmed: false);
        lr.Send(PacketSpace.Initial, 0, 0);
        lr.Ack(PacketSpace.Initial, 30_000, 0, new AckRange(0, 0));
        Assert.Equal(0, lr.AckElicitingInFlight);
        // RFC 9002 §6.2.2.1: armed from now although nothing is in flight.
        Assert.Equal(30_000 + lr.Rtt.PtoBase, lr.LossDetectionTimerUs);
        var a = lr.OnLossDetectionTimeout(lr.LossDetectionTimerUs!.Value, []);
        Assert.Equal(new PtoAction(PacketSpace.Initial, 1), a);

        lr.HasHandshakeKeys = true;
        var b = lr.OnLossDetectionTimeout(lr.LossDetectionTimerUs!.Value, []);
        Assert.Equal(new PtoAction(PacketSpace.Handshake, 1), b);
        Assert.Equal(2, lr.PtoCount);

        lr.PeerCompletedAddressValidation = true;
        lr.Send(PacketSpace.Handshake, 0, 100_000);
        lr.Ack(PacketSpace.Handshake, 120_000, 0, new AckRange(0, 0));
        Assert.Equal(0, lr.PtoCount);
        Assert.Null(lr.LossDetectionTimerUs);
    }

    [Fact]
    public void AmplificationLimitedServerDoesNotArmPto()
    {
        var lr = Create(confirmed: false);
        lr.PeerCompletedAddressValidation = true;
        lr.IsAntiAmplificationLimited = true;
        lr.Send(PacketSpace.Initial, 0, 0);
        Assert.Null(lr.LossDetectionTimerUs);
    }

    private static LossRecovery WithRttSample()
    {
        var lr = Create(maxAckDelay: 0);
        lr.Send(PacketSpace.Application, 0, 0);
        lr.Ack(PacketSpace.Application, 10_000, 0, new AckRange(0, 0));
        return lr;
    }

    [Fact]
    public void PersistentCongestionCollapsesWindow()
    {
        var lr = WithRttSample();
        lr.Send(PacketSpace.Application, 1, 20_000);
        lr.Send(PacketSpace.Application, 2, 60_000);
        lr.Send(PacketSpace.Application, 3, 150_000);
        lr.Send(PacketSpace.Application, 4, 160_000);
        var (_, lost) = lr.Ack(PacketSpace.Application, 170_000, 0, new AckRange(4, 4));
        // srtt 10000, rttvar 3750: duration = (10000 + 15000 + 0) * 3 = 75000 < 150000 - 20000
        Assert.Equal([1UL, 2UL, 3UL], lost.Pns());
        Assert.Equal(1, lr.PersistentCongestionCount);
        // RFC 9002 §B.8 collapses to kMinimumWindow and ends recovery; then (App. A order: lost before
        // acked) the acknowledgment of pn 4 grows the window in slow start by one packet.
        Assert.Equal(2 * 1200 + 1200, lr.CongestionController.Window);
    }

    [Fact]
    public void AckBetweenLostPacketsPreventsPersistentCongestion()
    {
        var lr = WithRttSample();
        lr.Send(PacketSpace.Application, 1, 20_000);
        lr.Send(PacketSpace.Application, 2, 60_000);
        lr.Send(PacketSpace.Application, 3, 150_000);
        lr.Send(PacketSpace.Application, 4, 160_000);
        var (acked, lost) = lr.Ack(PacketSpace.Application, 170_000, 0, new AckRange(4, 4), new AckRange(2, 2));
        Assert.Equal([2UL, 4UL], acked.Pns());
        Assert.Equal([1UL, 3UL], lost.Pns());
        Assert.Equal(0, lr.PersistentCongestionCount);
        Assert.True(lr.CongestionController.Window > 2 * 1200);
    }

    [Fact]
    public void NoPersistentCongestionBeforeFirstRttSample()
    {
        var lr = Create(maxAckDelay: 0);
        lr.Send(PacketSpace.Application, 1, 20_000);
        lr.Send(PacketSpace.Application, 2, 60_000);
        lr.Send(PacketSpace.Application, 3, 150_000);
        lr.Send(PacketSpace.Application, 4, 160_000);
        var (_, lost) = lr.Ack(PacketSpace.Application, 170_000, 0, new AckRange(4, 4));
        Assert.Equal(3, lost.Count);
        Assert.Equal(0, lr.PersistentCongestionCount);
    }

    [Fact]
    public void ShortLossSpanIsNotPersistentCongestion()
    {
        var lr = WithRttSample();
        lr.Send(PacketSpace.Application, 1, 20_000);
        lr.Send(PacketSpace.Application, 2, 30_000);
        lr.Send(PacketSpace.Application, 3, 40_000);
        lr.Send(PacketSpace.Application, 4, 160_000);
        var (_, lost) = lr.Ack(PacketSpace.Application, 170_000, 0, new AckRange(4, 4));
        Assert.Equal(3, lost.Count);
        Assert.Equal(0, lr.PersistentCongestionCount);
    }

    [Fact]
    public void DiscardSpaceRemovesBytesFromCongestionController()
    {
        var lr = Create();
        lr.Send(PacketSpace.Initial, 0, 0);
        lr.Send(PacketSpace.Initial, 1, 0);
        lr.Send(PacketSpace.Initial, 2, 0, ackEliciting: false);
        lr.Send(PacketSpace.Handshake, 0, 0, size: 500);
        Assert.Equal(3 * 1200 + 500, lr.CongestionController.BytesInFlight);
        var discarded = new List<SentPacket>();
        lr.DiscardSpace(PacketSpace.Initial, discarded, 10);
        Assert.Equal(3, discarded.Count);
        Assert.Equal(500, lr.CongestionController.BytesInFlight);
        Assert.Equal(0, lr.SentPacketCount(PacketSpace.Initial));
        Assert.Equal(0, lr.AckElicitingInFlightIn(PacketSpace.Initial));
        lr.DiscardSpace(PacketSpace.Handshake, discarded, 10);
        Assert.Equal(0, lr.CongestionController.BytesInFlight);
        Assert.Null(lr.LossDetectionTimerUs);
    }

    [Fact]
    public void SkippedPacketNumbersAreHoles()
    {
        var lr = Create();
        lr.Send(PacketSpace.Application, 0, 0);
        lr.Send(PacketSpace.Application, 2, 0);
        lr.Send(PacketSpace.Application, 7, 0);
        var (acked, _) = lr.Ack(PacketSpace.Application, 100, 0, new AckRange(0, 7));
        Assert.Equal([0UL, 2UL, 7UL], acked.Pns());
        Assert.Equal(0, lr.CongestionController.BytesInFlight);
    }

    [Fact]
    public void ManyPacketsAckedAcrossRingGrowth()
    {
        var lr = Create();
        for (ulong pn = 0; pn < 1000; pn++) lr.Send(PacketSpace.Application, pn, (long)pn);
        var (acked, lost) = lr.Ack(PacketSpace.Application, 2000, 0, new AckRange(500, 999), new AckRange(0, 498));
        Assert.Equal(999, acked.Count);
        Assert.Equal([499UL], lost.Pns());
        Assert.Equal(0, lr.SentPacketCount(PacketSpace.Application));
    }
}
