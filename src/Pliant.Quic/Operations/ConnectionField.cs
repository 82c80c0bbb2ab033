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
    /// <summary>Multipath, per path (get_path_field): 0 none, 1 being validated, 2 usable, 3 abandoned. Path 0 of a single-path connection: 2.</summary>
    PathState = 21,
    /// <summary>Multipath, per path: 0 available, 1 backup (either side asked for it).</summary>
    PathStatus = 22,
    /// <summary>Per path: consecutive PTOs without an acknowledgment (RFC 9002 §6.2.1; a path in trouble).</summary>
    PtoCount = 23,
    /// <summary>Multipath: the largest path ID this connection can hold (0 without multipath): path ids 0..this exist.</summary>
    MaxPathId = 24,
    /// <summary>The largest window a stream's flow-control credit may reach (receive limit, bytes; <c>flow.window_update</c> may not grant more).</summary>
    MaxStreamWindow = 25,
    /// <summary>The largest connection-level flow-control window (receive limit, bytes).</summary>
    MaxConnectionWindow = 26,
}
