namespace Pliant.Quic.Recovery;

/// <summary>ECN validation of the path (RFC 9000 §13.4.2).</summary>
public enum EcnValidationState
{
    /// <summary>Packets are marked ECT(0) and the peer's counts are being checked.</summary>
    Testing,

    /// <summary>The peer's counts matched what we sent: keep marking.</summary>
    Capable,

    /// <summary>Validation failed: stop marking (send Not-ECT).</summary>
    Failed,
}
