using Pliant.Quic.Connection;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;
using static Pliant.Quic.Tests.Recovery.RecoveryTestHelpers;

namespace Pliant.Quic.Tests.Recovery;

public class EcnValidationTests
{
    private static LossRecovery Create() =>
        new(new RttEstimator(), new NewReno(1200)) { HandshakeConfirmed = true, PeerCompletedAddressValidation = true };

    private static void SendMarked(LossRecovery lr, ulong pn, long t)
    {
        var p = Packet(PacketSpace.Application, pn, t);
        p.Ecn = lr.EcnCodepointToSend;
        lr.OnPacketSent(p, t);
    }

    private static void Ack(LossRecovery lr, long now, ulong largest, EcnCounts? ecn) =>
        lr.OnAckReceived(PacketSpace.Application, [new AckRange(0, largest)], 0, ecn, now, [], []);

    [Fact]
    public void MatchingCountsValidate()
    {
        var lr = Create();
        Assert.Equal(EcnCodepoint.Ect0, lr.EcnCodepointToSend);
        SendMarked(lr, 0, 0);
        SendMarked(lr, 1, 0);
        Ack(lr, 10_000, 1, new EcnCounts(2, 0, 0));
        Assert.Equal(EcnValidationState.Capable, lr.EcnState);
        Assert.Equal(0, lr.EcnCeEvents);
    }

    [Fact]
    public void CeIncreaseIsCongestionEventOncePerRecoveryPeriod()
    {
        var lr = Create();
        SendMarked(lr, 0, 0);
        SendMarked(lr, 1, 0);
        Ack(lr, 10_000, 0, new EcnCounts(0, 0, 1));
        Assert.Equal(EcnValidationState.Capable, lr.EcnState);
        Assert.Equal(1, lr.EcnCeEvents);
        Assert.Equal(6_000, lr.CongestionController.Window);

        // Another CE for a packet sent before the recovery period started: no further reduction.
        Ack(lr, 20_000, 1, new EcnCounts(0, 0, 2));
        Assert.Equal(2, lr.EcnCeEvents);
        Assert.Equal(6_000, lr.CongestionController.Window);

        SendMarked(lr, 2, 30_000);
        Ack(lr, 40_000, 2, new EcnCounts(0, 0, 3));
        Assert.Equal(3_000, lr.CongestionController.Window);
    }

    [Fact]
    public void MissingCountsFailValidation()
    {
        var lr = Create();
        SendMarked(lr, 0, 0);
        Ack(lr, 10_000, 0, null);
        Assert.Equal(EcnValidationState.Failed, lr.EcnState);
        Assert.Equal(EcnCodepoint.NotEct, lr.EcnCodepointToSend);
    }

    [Fact]
    public void TooSmallIncreaseFailsValidation()
    {
        var lr = Create();
        SendMarked(lr, 0, 0);
        SendMarked(lr, 1, 0);
        Ack(lr, 10_000, 1, new EcnCounts(1, 0, 0));
        Assert.Equal(EcnValidationState.Failed, lr.EcnState);
    }

    [Fact]
    public void DecreasingCountsFailValidation()
    {
        var lr = Create();
        SendMarked(lr, 0, 0);
        SendMarked(lr, 1, 0);
        Ack(lr, 10_000, 0, new EcnCounts(1, 0, 0));
        Assert.Equal(EcnValidationState.Capable, lr.EcnState);
        Ack(lr, 20_000, 1, new EcnCounts(0, 0, 0));
        Assert.Equal(EcnValidationState.Failed, lr.EcnState);
    }

    [Fact]
    public void ReorderedAckDoesNotFailValidation()
    {
        var lr = Create();
        SendMarked(lr, 0, 0);
        SendMarked(lr, 1, 0);
        SendMarked(lr, 2, 0);
        Ack(lr, 10_000, 2, new EcnCounts(3, 0, 0));
        // An older ACK (does not increase the largest acknowledged) with smaller counts is ignored.
        lr.OnAckReceived(PacketSpace.Application, [new AckRange(0, 1)], 0, new EcnCounts(2, 0, 0), 11_000, [], []);
        Assert.Equal(EcnValidationState.Capable, lr.EcnState);
    }

    [Fact]
    public void AllMarkedPacketsLostFailsValidation()
    {
        var lr = Create();
        for (ulong pn = 0; pn < 12; pn++) SendMarked(lr, pn, 0);
        var p = Packet(PacketSpace.Application, 20, 0);
        lr.OnPacketSent(p, 0);
        lr.OnAckReceived(PacketSpace.Application, [new AckRange(20, 20)], 0, null, 10_000, [], []);
        Assert.Equal(EcnValidationState.Failed, lr.EcnState);
    }
}
