using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Recovery;

/// <summary>ECN validation and congestion signals (RFC 9000 §13.4.2, RFC 9002 §7.1 and §B.7).</summary>
public sealed partial class LossRecovery
{
    /// <summary>RFC 9000 §13.4.2.1: after this many marked packets lost without any acknowledged, validation fails.</summary>
    private const int EcnTestingLossLimit = 10;

    private int _ecnMarkedLost;
    private int _ecnMarkedAcked;

    /// <summary>State of ECN validation.</summary>
    public EcnValidationState EcnState { get; private set; }

    /// <summary>The codepoint to mark outgoing packets with: ECT(0) unless validation failed.</summary>
    public EcnCodepoint EcnCodepointToSend => EcnState == EcnValidationState.Failed ? EcnCodepoint.NotEct : EcnCodepoint.Ect0;

    /// <summary>Times an ECN-CE increase was reported to the congestion controller.</summary>
    public int EcnCeEvents { get; private set; }

    /// <summary>Stops ECN marking (e.g. the socket cannot set it).</summary>
    public void DisableEcn() => EcnState = EcnValidationState.Failed;

    private void OnEcnMarkedLost()
    {
        _ecnMarkedLost++;
        // RFC 9000 §13.4.2.1: if all ECT-marked packets are lost, ECN is presumed broken on the path.
        if (EcnState == EcnValidationState.Testing && _ecnMarkedAcked == 0 && _ecnMarkedLost >= EcnTestingLossLimit)
            EcnState = EcnValidationState.Failed;
    }

    private void ProcessEcn(SpaceState s, EcnCounts? ecn, List<SentPacket> newlyAcked, SentPacket largestNewly, long nowUs)
    {
        int ect0 = 0, ect1 = 0;
        foreach (var p in newlyAcked)
        {
            if (p.Ecn == EcnCodepoint.Ect0) ect0++;
            else if (p.Ecn == EcnCodepoint.Ect1) ect1++;
        }

        _ecnMarkedAcked += ect0 + ect1;
        if (ecn is not EcnCounts c)
        {
            // RFC 9000 §13.4.2.1: ECT-marked packets acknowledged without ECN counts fail validation.
            if (ect0 + ect1 > 0) EcnState = EcnValidationState.Failed;
            return;
        }

        var prev = s.PeerEcn;
        if (c.Ect0 < prev.Ect0 || c.Ect1 < prev.Ect1 || c.Ce < prev.Ce)
        {
            // RFC 9000 §13.4.2.1: counts must not decrease.
            EcnState = EcnValidationState.Failed;
            return;
        }

        ulong d0 = c.Ect0 - prev.Ect0, d1 = c.Ect1 - prev.Ect1, dce = c.Ce - prev.Ce;
        s.PeerEcn = c;
        if (EcnState != EcnValidationState.Failed)
        {
            // RFC 9000 §13.4.2.1: the increase of ECT(x) plus CE must cover the newly acknowledged ECT(x) packets.
            if (d0 + dce < (ulong)ect0 || d1 + dce < (ulong)ect1) EcnState = EcnValidationState.Failed;
            else if (ect0 + ect1 > 0) EcnState = EcnValidationState.Capable;
        }

        if (dce > 0)
        {
            // RFC 9002 §B.7: a new congestion event keyed on the send time of the largest acknowledged.
            EcnCeEvents++;
            CongestionController.OnEcnCe(largestNewly.TimeSentUs, nowUs);
        }
    }
}
