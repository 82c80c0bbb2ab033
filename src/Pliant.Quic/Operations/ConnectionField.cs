namespace Pliant.Quic.Operations;

/// <summary>
/// Connection state a plugin may read (and, for the fields marked rw, write) through the host ABI.
/// The numbering is part of the plugin ABI (plugins/sdk/pliant.h): never renumber.
/// </summary>
public enum ConnectionField
{
    Now = 0,
    IsClient = 1,
    State = 2,
    SmoothedRtt = 3,
    MinRtt = 4,
    LatestRtt = 5,
    RttVar = 6,
    CongestionWindow = 7,
    BytesInFlight = 8,
    PacketsSent = 9,
    PacketsReceived = 10,
    PacketsLost = 11,
    BytesSent = 12,
    BytesReceived = 13,
    EcnCeReceived = 14,
    MaxDatagramSize = 15,
    HandshakeConfirmed = 16,
    /// <summary>rw: ack-eliciting packets received before an ACK is sent at once.</summary>
    AckElicitingThreshold = 17,
    /// <summary>rw: our ACK delay in µs (application space).</summary>
    MaxAckDelay = 18,
    /// <summary>rw: upper bound on the congestion window in bytes; 0 = none.</summary>
    CongestionWindowCap = 19,
    /// <summary>rw: upper bound on the pacing rate in bytes/s; 0 = none.</summary>
    PacingRateCap = 20,
}
