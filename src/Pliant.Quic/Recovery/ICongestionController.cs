namespace Pliant.Quic.Recovery;

/// <summary>
/// A congestion controller (RFC 9002 §7). Only packets with <see cref="SentPacket.InFlight"/> count;
/// implementations ignore the others in the spans they are given.
/// </summary>
public interface ICongestionController
{
    /// <summary>The congestion window, bytes.</summary>
    long Window { get; }

    /// <summary>Bytes of in-flight packets sent and not yet acknowledged, lost or discarded.</summary>
    long BytesInFlight { get; }

    /// <summary>The maximum datagram size used for window arithmetic (updatable after PMTU discovery).</summary>
    int MaxDatagramSize { get; set; }

    /// <summary>
    /// Set by the sender when it is not using the window (no data to send): the window does not grow
    /// while set (RFC 9002 §7.8).
    /// </summary>
    bool IsAppLimited { get; set; }

    /// <summary>True when <paramref name="bytes"/> more fit in the window.</summary>
    bool CanSend(int bytes);

    /// <summary>An in-flight packet of <paramref name="bytes"/> was sent.</summary>
    void OnPacketSent(long nowUs, int bytes);

    /// <summary>
    /// An in-flight packet was sent. Controllers that sample the delivery rate (BBR, draft-ietf-ccwg-bbr-06
    /// §4.1.2.4) override this to snapshot their counters into the packet; the default counts its bytes.
    /// </summary>
    void OnPacketSent(SentPacket packet, long nowUs) => OnPacketSent(nowUs, packet.Size);

    /// <summary>
    /// The sender had room in the window and nothing to send (draft-ietf-ccwg-bbr-06 §4.1.2.6
    /// CheckIfApplicationLimited): delivery rate samples until what is in flight is delivered understate the
    /// path. Called at most once per transmit attempt; the default ignores it.
    /// </summary>
    void OnApplicationLimited()
    {
    }

    /// <summary>Packets were newly acknowledged (RFC 9002 §B.5).</summary>
    void OnPacketsAcked(ReadOnlySpan<SentPacket> acked, long nowUs, RttEstimator rtt);

    /// <summary>Packets were declared lost (RFC 9002 §B.8).</summary>
    void OnPacketsLost(ReadOnlySpan<SentPacket> lost, bool persistentCongestion, long nowUs);

    /// <summary>The peer reported an increased ECN-CE count (RFC 9002 §B.7).</summary>
    void OnEcnCe(long sentTimeOfLargestAckedUs, long nowUs);

    /// <summary>In-flight bytes of a discarded packet number space (RFC 9002 §B.9).</summary>
    void OnPacketsDiscarded(long bytes);

    /// <summary>
    /// Interval between packets of <paramref name="packetSize"/> at the pacing rate (RFC 9002 §7.7),
    /// or null when pacing is not possible yet.
    /// </summary>
    long? PacingIntervalUs(int packetSize, RttEstimator rtt);
}
