namespace Pliant.Quic.Recovery;

/// <summary>
/// What the delivery rate sampler remembers about a packet when it is sent (draft-ietf-ccwg-bbr-06
/// §4.1.2.2 "Per-packet (P) state"): the connection's delivery counters at that moment.
/// </summary>
/// <param name="Delivered">P.delivered: bytes delivered on the connection when the packet was sent.</param>
/// <param name="DeliveredTimeUs">P.delivered_time: when that count was last updated.</param>
/// <param name="FirstSentTimeUs">P.first_send_time: send time of the packet most recently delivered then.</param>
/// <param name="Lost">P.lost: bytes declared lost on the connection when the packet was sent.</param>
/// <param name="TxInFlight">P.tx_in_flight: bytes in flight just after the packet was sent (itself included).</param>
/// <param name="IsAppLimited">P.is_app_limited: the connection was in an application-limited phase.</param>
public readonly record struct DeliverySnapshot(long Delivered, long DeliveredTimeUs, long FirstSentTimeUs, long Lost, long TxInFlight,
    bool IsAppLimited);

/// <summary>
/// One ACK's rate sample (draft-ietf-ccwg-bbr-06 §4.1.2.3 "Rate Sample (rs) Output"), plus the per-ACK
/// figures BBR reads next to it. Rates are bytes per second; <see cref="DeliveryRate"/> is 0 when the ACK
/// gave no reliable sample.
/// </summary>
public struct RateSample
{
    /// <summary>RS.delivery_rate, bytes per second (0: no sample).</summary>
    public double DeliveryRate;

    /// <summary>RS.is_app_limited of the most recently sent packet this ACK delivered.</summary>
    public bool IsAppLimited;

    /// <summary>RS.interval, µs.</summary>
    public long IntervalUs;

    /// <summary>RS.delivered: bytes delivered over the interval.</summary>
    public long Delivered;

    /// <summary>RS.prior_delivered: P.delivered of the most recently sent packet delivered.</summary>
    public long PriorDelivered;

    /// <summary>RS.prior_time: P.delivered_time of that packet (0: nothing delivered on this ACK).</summary>
    public long PriorTimeUs;

    /// <summary>RS.send_elapsed, µs.</summary>
    public long SendElapsedUs;

    /// <summary>RS.ack_elapsed, µs.</summary>
    public long AckElapsedUs;

    /// <summary>RS.last_acked_packet_id: that packet's number.</summary>
    public ulong LastAckedPacketNumber;

    /// <summary>Send time of that packet, µs.</summary>
    public long LastAckedSentTimeUs;

    /// <summary>RS.tx_in_flight: bytes in flight when that packet was sent.</summary>
    public long TxInFlight;

    /// <summary>RS.lost: bytes declared lost since that packet was sent.</summary>
    public long Lost;

    /// <summary>P.lost of that packet (C.lost when it was sent).</summary>
    public long LostAtSend;

    /// <summary>RS.newly_acked: bytes this ACK newly acknowledged.</summary>
    public long NewlyAcked;

    /// <summary>RS.rtt: this ACK's RTT sample from that packet, µs (-1: none).</summary>
    public long RttUs;

    /// <summary>RS.has_data: the ACK delivered at least one in-flight packet.</summary>
    public bool HasData;
}

/// <summary>
/// Delivery rate sampling (draft-ietf-ccwg-bbr-06 §4.1.2): per connection, how much was delivered and
/// when; per packet, a <see cref="DeliverySnapshot"/> taken at send time; per ACK, a
/// <see cref="RateSample"/> — delivered bytes over the longer of the send and ACK intervals of the
/// newest delivered packet. Constant memory; O(1) per packet.
/// </summary>
public sealed class DeliveryRateSampler
{
    /// <summary>C.delivered: bytes delivered so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>C.delivered_time, µs.</summary>
    public long DeliveredTimeUs { get; private set; }

    /// <summary>C.first_send_time, µs.</summary>
    public long FirstSentTimeUs { get; private set; }

    /// <summary>C.app_limited: the delivered count that ends the current application-limited phase (0: none).</summary>
    public long AppLimitedUntil { get; private set; }

    /// <summary>C.lost: bytes declared lost so far.</summary>
    public long Lost { get; private set; }

    /// <summary>
    /// §4.1.2.4 "Transmitting a data packet": snapshots the counters into <paramref name="packet"/>.
    /// <paramref name="inFlightBefore"/> excludes the packet, <paramref name="inFlightAfter"/> includes it.
    /// </summary>
    public void OnPacketSent(SentPacket packet, long inFlightBefore, long inFlightAfter)
    {
        ArgumentNullException.ThrowIfNull(packet);
        // Nothing in flight: the interval may start now (every later ACK measures only this flight).
        if (inFlightBefore == 0) FirstSentTimeUs = DeliveredTimeUs = packet.TimeSentUs;
        packet.Delivery = new DeliverySnapshot(Delivered, DeliveredTimeUs, FirstSentTimeUs, Lost, inFlightAfter, AppLimitedUntil != 0);
    }

    /// <summary>§4.1.2.6 MarkConnectionAppLimited: the sender ran out of data with room in the window.</summary>
    public void MarkAppLimited(long bytesInFlight) => AppLimitedUntil = Math.Max(Delivered + bytesInFlight, 1);

    /// <summary>An in-flight packet of <paramref name="bytes"/> was declared lost.</summary>
    public void OnLost(long bytes) => Lost += bytes;

    /// <summary>InitRateSample: clears <paramref name="rs"/> for a new ACK.</summary>
    public static void Begin(ref RateSample rs)
    {
        rs = default;
        rs.RttUs = -1;
    }

    /// <summary>UpdateRateSample: one newly acknowledged in-flight packet (each packet is acknowledged once).</summary>
    public void OnAcked(SentPacket p, long nowUs, ref RateSample rs)
    {
        ArgumentNullException.ThrowIfNull(p);
        Delivered += p.Size;
        DeliveredTimeUs = nowUs;
        rs.NewlyAcked += p.Size;
        // The newest packet (latest send time, then highest number) defines the sample.
        if (!rs.HasData || p.TimeSentUs > FirstSentTimeUs
            || (p.TimeSentUs == FirstSentTimeUs && p.PacketNumber > rs.LastAckedPacketNumber))
        {
            var d = p.Delivery;
            rs.HasData = true;
            rs.PriorDelivered = d.Delivered;
            // A zero send time (a simulation starting at 0) still marks "something delivered".
            rs.PriorTimeUs = Math.Max(d.DeliveredTimeUs, 1);
            rs.IsAppLimited = d.IsAppLimited;
            rs.SendElapsedUs = p.TimeSentUs - d.FirstSentTimeUs;
            rs.AckElapsedUs = DeliveredTimeUs - d.DeliveredTimeUs;
            rs.LastAckedPacketNumber = p.PacketNumber;
            rs.LastAckedSentTimeUs = p.TimeSentUs;
            rs.TxInFlight = d.TxInFlight;
            rs.LostAtSend = d.Lost;
            rs.RttUs = nowUs - p.TimeSentUs;
            FirstSentTimeUs = p.TimeSentUs;
        }
    }

    /// <summary>GenerateRateSample: completes <paramref name="rs"/> after every packet of the ACK was seen.</summary>
    /// <param name="rs">The sample.</param>
    /// <param name="minRttUs">C.min_rtt: intervals shorter than this give no reliable rate (0: no RTT yet).</param>
    public void Generate(ref RateSample rs, long minRttUs)
    {
        // The application-limited phase ends once its last packet is delivered.
        if (AppLimitedUntil != 0 && Delivered > AppLimitedUntil) AppLimitedUntil = 0;
        if (!rs.HasData) return;
        rs.Lost = Lost - rs.LostAtSend;
        // The longer of the send and ACK intervals: neither a burst of sends nor of ACKs inflates the rate.
        rs.IntervalUs = Math.Max(rs.SendElapsedUs, rs.AckElapsedUs);
        rs.Delivered = Delivered - rs.PriorDelivered;
        if (rs.IntervalUs < minRttUs || rs.IntervalUs <= 0) return;
        rs.DeliveryRate = rs.Delivered * 1e6 / rs.IntervalUs;
    }
}
