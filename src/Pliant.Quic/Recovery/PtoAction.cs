namespace Pliant.Quic.Recovery;

/// <summary>
/// What <see cref="LossRecovery.OnLossDetectionTimeout"/> asks the connection to do: send
/// <see cref="ProbeCount"/> ack-eliciting packets in <see cref="Space"/> (RFC 9002 §6.2.4). A count of
/// zero means the timer fired for time-threshold loss instead (the lost packets are in the list).
/// </summary>
/// <param name="Space">The space to probe.</param>
/// <param name="ProbeCount">0, 1 or 2 ack-eliciting packets to send, ignoring the congestion window.</param>
public readonly record struct PtoAction(PacketSpace Space, int ProbeCount)
{
    /// <summary>No probe is needed.</summary>
    public static PtoAction None => default;

    /// <summary>True when probes must be sent.</summary>
    public bool IsProbe => ProbeCount > 0;
}
