namespace Pliant.Quic.Recovery;

/// <summary>The states of BBR's state machine (draft-ietf-ccwg-bbr-06 §5.1).</summary>
public enum BbrState
{
    /// <summary>Accelerating to find the bandwidth (pacing gain 2.77).</summary>
    Startup,

    /// <summary>Draining the queue Startup built (pacing gain 0.5).</summary>
    Drain,

    /// <summary>ProbeBW_DOWN: sending slower than the path delivers (0.90).</summary>
    ProbeBwDown,

    /// <summary>ProbeBW_CRUISE: sending at the estimated bandwidth (1.0).</summary>
    ProbeBwCruise,

    /// <summary>ProbeBW_REFILL: refilling the pipe for one round before probing (1.0).</summary>
    ProbeBwRefill,

    /// <summary>ProbeBW_UP: probing for more bandwidth (1.25).</summary>
    ProbeBwUp,

    /// <summary>ProbeRTT: in-flight data cut to half the BDP to measure the propagation delay.</summary>
    ProbeRtt,
}
