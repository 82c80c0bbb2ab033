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
    /// <summary>
    /// Per path: C.delivered, bytes of in-flight packets acknowledged so far (draft-ietf-ccwg-bbr-06 §4.1.2.1). The
    /// delivery-rate fields (this one to <see cref="LostIsAppLimited"/>) are kept while the path's controller is behind
    /// the operation table (a <c>cc.*</c> hook, or a window or pacing cap); 0 before.
    /// </summary>
    Delivered = 27,
    /// <summary>Per path: C.lost, bytes of in-flight packets declared lost so far (PMTU probes excluded).</summary>
    BytesLost = 28,
    /// <summary>Per path: RS.delivery_rate of the latest ACK (bytes/s; 0: that ACK gave no reliable sample). Read in <c>cc.on_ack</c>.</summary>
    RsDeliveryRate = 29,
    /// <summary>Per path: RS.delivered, bytes delivered over the latest sample's interval.</summary>
    RsDelivered = 30,
    /// <summary>Per path: RS.interval, µs: the longer of the send and ACK intervals of the latest sample.</summary>
    RsInterval = 31,
    /// <summary>Per path: RS.prior_delivered, C.delivered when the newest packet the latest ACK delivered was sent (rounds count by it).</summary>
    RsPriorDelivered = 32,
    /// <summary>Per path: RS.tx_in_flight, bytes in flight when that packet was sent (itself included).</summary>
    RsTxInFlight = 33,
    /// <summary>Per path: RS.lost, bytes declared lost between that packet's sending and the latest ACK.</summary>
    RsLost = 34,
    /// <summary>Per path: RS.is_app_limited, 1 when that packet was sent in an application-limited phase.</summary>
    RsIsAppLimited = 35,
    /// <summary>Per path: RS.rtt, µs, the latest ACK's RTT sample from that packet (-1 as i64: none).</summary>
    RsRtt = 36,
    /// <summary>Per path, in <c>cc.on_congestion_event</c>: P.tx_in_flight of the newest packet of the batch declared lost.</summary>
    LostTxInFlight = 37,
    /// <summary>Per path, in <c>cc.on_congestion_event</c>: C.lost − P.lost of that packet (bytes lost since it was sent, the batch included).</summary>
    LostSinceSent = 38,
    /// <summary>Per path, in <c>cc.on_congestion_event</c>: P.is_app_limited of that packet (1 or 0).</summary>
    LostIsAppLimited = 39,
}
