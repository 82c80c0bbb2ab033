using System.Runtime.InteropServices;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Recovery;

/// <summary>
/// Loss detection and PTO for one path (RFC 9002 §6 and Appendix A), feeding a congestion controller
/// and the RTT estimator. Sans-IO: the connection tells it about sent packets, ACK frames and the time,
/// and reads <see cref="LossDetectionTimerUs"/>.
/// </summary>
/// <remarks>
/// The lists given to <see cref="OnAckReceived"/>, <see cref="OnLossDetectionTimeout"/> and
/// <see cref="DiscardSpace(PacketSpace, List{SentPacket})"/> are cleared and then filled; nothing here
/// keeps a reference to the packets put in them, so the caller may return them to a pool afterwards.
/// </remarks>
public sealed partial class LossRecovery
{
    /// <summary>RFC 9002 §6.1.1: kPacketThreshold.</summary>
    public const int PacketThreshold = 3;

    /// <summary>RFC 9002 §7.6.1: kPersistentCongestionThreshold.</summary>
    public const int PersistentCongestionThreshold = 3;

    private readonly SpaceState[] _spaces = [new(), new(), new()];
    private long _lastNowUs;

    /// <summary>Creates loss recovery over <paramref name="rtt"/> and <paramref name="cc"/>.</summary>
    public LossRecovery(RttEstimator rtt, ICongestionController cc)
    {
        ArgumentNullException.ThrowIfNull(rtt);
        ArgumentNullException.ThrowIfNull(cc);
        Rtt = rtt;
        CongestionController = cc;
    }

    /// <summary>The RTT estimator.</summary>
    public RttEstimator Rtt { get; }

    /// <summary>The congestion controller.</summary>
    public ICongestionController CongestionController { get; internal set; }

    /// <summary>
    /// Replaces the PTO duration of a space (the <c>recovery.pto</c> protocol operation): receives the
    /// native duration (backoff and max_ack_delay included) and returns the one to use.
    /// </summary>
    public Func<long, long>? PtoDurationOverride { get; set; }

    /// <summary>
    /// The replacement of <c>recovery.detect_lost</c>, when one is attached: for each unacknowledged packet below the
    /// largest acknowledged, (packet number, time sent, largest acknowledged, the native time-threshold delay, the
    /// native answer: 0 when the packet threshold declares it lost) → its loss delay in µs: lost once that long has
    /// passed since it was sent, the loss timer armed for then otherwise (RFC 9002 §6.1).
    /// </summary>
    public Func<ulong, long, ulong, long, long, long>? LossDelayOverride { get; set; }

    /// <summary>The peer's max_ack_delay (RFC 9000 §18.2; default 25 ms).</summary>
    public long PeerMaxAckDelayUs { get; set; } = 25_000;

    /// <summary>Set by the connection when the handshake is confirmed (RFC 9001 §4.1.2).</summary>
    public bool HandshakeConfirmed { get; set; }

    /// <summary>
    /// RFC 9002 §6.2.2.1: true on a server always; on a client once the handshake is confirmed or a
    /// Handshake packet was acknowledged. While false, the client arms the anti-deadlock PTO.
    /// </summary>
    public bool PeerCompletedAddressValidation { get; set; }

    /// <summary>Set by the connection once Handshake keys are available (anti-deadlock probe space).</summary>
    public bool HasHandshakeKeys { get; set; }

    /// <summary>A server blocked by the anti-amplification limit does not arm the PTO (RFC 9002 §6.2.2.1).</summary>
    public bool IsAntiAmplificationLimited { get; set; }

    /// <summary>Consecutive PTOs without an acknowledgment (pto_count).</summary>
    public int PtoCount { get; private set; }

    /// <summary>When <see cref="OnLossDetectionTimeout"/> must be called, or null.</summary>
    public long? LossDetectionTimerUs { get; private set; }

    /// <summary>When the first RTT sample was taken, or null (persistent congestion needs one, RFC 9002 §7.6.2).</summary>
    public long? FirstRttSampleTimeUs { get; private set; }

    /// <summary>Times persistent congestion was declared.</summary>
    public int PersistentCongestionCount { get; private set; }

    /// <summary>Ack-eliciting in-flight packets over all spaces.</summary>
    public int AckElicitingInFlight => _spaces[0].AckElicitingInFlight + _spaces[1].AckElicitingInFlight + _spaces[2].AckElicitingInFlight;

    /// <summary>The largest packet number the peer acknowledged in <paramref name="space"/>.</summary>
    public ulong? LargestAcked(PacketSpace space) => _spaces[(int)space].LargestAcked;

    /// <summary>The largest packet number sent in <paramref name="space"/>.</summary>
    public ulong? LargestSent(PacketSpace space) => _spaces[(int)space].LargestSent;

    /// <summary>Packets remembered (sent, not acknowledged, lost or discarded) in <paramref name="space"/>.</summary>
    public int SentPacketCount(PacketSpace space) => _spaces[(int)space].Sent.Count;

    /// <summary>Ack-eliciting in-flight packets in <paramref name="space"/>.</summary>
    public int AckElicitingInFlightIn(PacketSpace space) => _spaces[(int)space].AckElicitingInFlight;

    /// <summary>In-flight bytes in <paramref name="space"/>.</summary>
    public long BytesInFlightIn(PacketSpace space) => _spaces[(int)space].InFlightBytes;

    /// <summary>
    /// What a PTO probe of <paramref name="space"/> should carry again (RFC 9002 §6.2.4: previously sent data
    /// may be sent): the oldest ack-eliciting packets still awaiting acknowledgment, up to about
    /// <paramref name="maxBytes"/>, and always the newest one — a lost tail (the last packet of a response)
    /// must not wait behind older packets that arrived but whose ACKs were lost. Into <paramref name="into"/>
    /// (cleared first), oldest first. Called on PTO only; walks the queue from both ends.
    /// </summary>
    public void ProbeCandidates(PacketSpace space, long maxBytes, List<SentPacket> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        var q = _spaces[(int)space].Sent;
        if (q.SlotCount == 0) return;
        long bytes = 0;
        ulong pn = q.BasePacketNumber;
        for (; pn < q.EndPacketNumber && bytes < maxBytes; pn++)
        {
            if (q.Get(pn) is { AckEliciting: true } p)
            {
                into.Add(p);
                bytes += p.Size;
            }
        }
        for (ulong newest = q.EndPacketNumber; newest-- > pn;)
        {
            if (q.Get(newest) is { AckEliciting: true } tail)
            {
                into.Add(tail);
                break;
            }
        }
    }

    /// <summary>The packet with <paramref name="pn"/> still awaiting acknowledgment in <paramref name="space"/>, or null.</summary>
    public SentPacket? GetSentPacket(PacketSpace space, ulong pn) => _spaces[(int)space].Sent.Get(pn);

    /// <summary>RFC 9002 §A.5: records a sent packet and re-arms the timer if it is in flight.</summary>
    public void OnPacketSent(SentPacket p, long nowUs)
    {
        ArgumentNullException.ThrowIfNull(p);
        _lastNowUs = nowUs;
        var s = _spaces[(int)p.Space];
        if (s.LargestSent is ulong last && p.PacketNumber <= last)
            throw new InvalidOperationException("packet numbers must increase within a space");
        s.LargestSent = p.PacketNumber;
        s.Sent.Add(p);
        if (!p.InFlight) return;
        if (p.AckEliciting)
        {
            s.TimeOfLastAckElicitingUs = p.TimeSentUs;
            s.AckElicitingInFlight++;
        }

        s.InFlightBytes += p.Size;
        CongestionController.OnPacketSent(p, nowUs);
        SetLossDetectionTimer(nowUs);
    }

    /// <summary>
    /// RFC 9002 §A.7: processes an ACK frame. <paramref name="newlyAcked"/> receives the newly acknowledged
    /// packets in ascending packet-number order, <paramref name="lost"/> those declared lost.
    /// </summary>
    /// <param name="space">The space the ACK arrived in.</param>
    /// <param name="rangesDescending">The acknowledged ranges, largest first (as the frame carries them).</param>
    /// <param name="ackDelayUs">ACK Delay already multiplied by 2^ack_delay_exponent.</param>
    /// <param name="ecn">The ECN counts of an ACK_ECN frame, or null.</param>
    /// <param name="nowUs">The current time.</param>
    /// <param name="newlyAcked">Cleared, then filled with the newly acknowledged packets.</param>
    /// <param name="lost">Cleared, then filled with the packets declared lost.</param>
    /// <exception cref="QuicProtocolException">PROTOCOL_VIOLATION for an ACK of a packet never sent.</exception>
    public void OnAckReceived(PacketSpace space, ReadOnlySpan<AckRange> rangesDescending, long ackDelayUs, EcnCounts? ecn,
        long nowUs, List<SentPacket> newlyAcked, List<SentPacket> lost)
    {
        ArgumentNullException.ThrowIfNull(newlyAcked);
        ArgumentNullException.ThrowIfNull(lost);
        newlyAcked.Clear();
        lost.Clear();
        _lastNowUs = nowUs;
        if (rangesDescending.IsEmpty) return;

        var s = _spaces[(int)space];
        ulong largest = rangesDescending[0].Largest;
        // RFC 9000 §13.1: an ACK for a packet number that was never sent is a PROTOCOL_VIOLATION.
        if (s.LargestSent is not ulong sentMax || largest > sentMax)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "ACK of an unsent packet", 0x02);

        bool largestIncreased = s.LargestAcked is not ulong prevLargest || largest > prevLargest;
        if (largestIncreased) s.LargestAcked = largest;

        // Walk the ranges smallest first so newlyAcked comes out in ascending order.
        SentPacket? largestNewly = null;
        bool includesAckEliciting = false;
        var q = s.Sent;
        for (int i = rangesDescending.Length - 1; i >= 0 && q.Count > 0; i--)
        {
            var r = rangesDescending[i];
            ulong lo = Math.Max(r.Smallest, q.BasePacketNumber);
            ulong hi = Math.Min(r.Largest, q.EndPacketNumber - 1);
            for (ulong pn = lo; pn <= hi && q.Count > 0; pn++)
            {
                var p = q.Remove(pn, acked: true);
                if (p is null) continue;
                OnRemoved(s, p);
                newlyAcked.Add(p);
                largestNewly = p;
                includesAckEliciting |= p.AckEliciting;
            }
        }

        if (largestNewly is null) return;

        // RFC 9002 §5.1: a sample only when the largest acknowledged is newly acknowledged and at least one
        // of the newly acknowledged packets was ack-eliciting.
        if (largestNewly.PacketNumber == largest && includesAckEliciting)
        {
            // RFC 9002 §5.3: the ack delay MAY be ignored for Initial packets.
            long ackDelay = space == PacketSpace.Initial ? 0 : ackDelayUs;
            Rtt.Update(nowUs - largestNewly.TimeSentUs, ackDelay, HandshakeConfirmed, PeerMaxAckDelayUs);
            FirstRttSampleTimeUs ??= nowUs;
        }

        // RFC 9000 §13.4.2.1: only ACKs that increase the largest acknowledged are used for ECN.
        if (largestIncreased) ProcessEcn(s, ecn, newlyAcked, largestNewly, nowUs);

        bool persistent = DetectAndRemoveLostPackets(s, nowUs, lost);
        if (lost.Count > 0) CongestionController.OnPacketsLost(CollectionsMarshal.AsSpan(lost), persistent, nowUs);
        CongestionController.OnPacketsAcked(CollectionsMarshal.AsSpan(newlyAcked), nowUs, Rtt);

        // RFC 9002 §A.7: reset pto_count unless the client is unsure the server validated its address.
        if (PeerCompletedAddressValidation) PtoCount = 0;
        SetLossDetectionTimer(nowUs);
    }

    /// <summary>
    /// RFC 9002 §A.9: the loss detection timer fired. Either packets are declared lost by time threshold
    /// (in <paramref name="lost"/>, returned action has <see cref="PtoAction.ProbeCount"/> 0) or probes are due.
    /// </summary>
    public PtoAction OnLossDetectionTimeout(long nowUs, List<SentPacket> lost)
    {
        ArgumentNullException.ThrowIfNull(lost);
        lost.Clear();
        _lastNowUs = nowUs;
        // Called early (e.g. another timer of the connection fired): nothing to do yet.
        if (LossDetectionTimerUs is not long due || nowUs < due) return PtoAction.None;

        var (lossTime, lossSpace) = GetLossTimeAndSpace();
        if (lossTime is not null)
        {
            bool persistent = DetectAndRemoveLostPackets(_spaces[(int)lossSpace], nowUs, lost);
            if (lost.Count > 0) CongestionController.OnPacketsLost(CollectionsMarshal.AsSpan(lost), persistent, nowUs);
            SetLossDetectionTimer(nowUs);
            return new PtoAction(lossSpace, 0);
        }

        PtoAction action;
        if (AckElicitingInFlight == 0)
        {
            // RFC 9002 §6.2.2.1: anti-deadlock probe; a Handshake packet if we can, else a padded Initial.
            action = new PtoAction(HasHandshakeKeys ? PacketSpace.Handshake : PacketSpace.Initial, 1);
        }
        else
        {
            // RFC 9002 §6.2.4: one or two ack-eliciting packets in the space with the earliest PTO.
            action = new PtoAction(GetPtoTimeAndSpace(nowUs).Space, 2);
        }

        PtoCount++;
        SetLossDetectionTimer(nowUs);
        return action;
    }

    /// <summary>Discards a packet number space (RFC 9002 §6.4, §A.10) using the last time seen.</summary>
    public void DiscardSpace(PacketSpace space, List<SentPacket> discarded) => DiscardSpace(space, discarded, _lastNowUs);

    /// <summary>
    /// RFC 9002 §A.10: forgets every packet of <paramref name="space"/> (returned in
    /// <paramref name="discarded"/>), removes their bytes from the congestion controller and re-arms the timer.
    /// </summary>
    public void DiscardSpace(PacketSpace space, List<SentPacket> discarded, long nowUs)
    {
        ArgumentNullException.ThrowIfNull(discarded);
        discarded.Clear();
        _lastNowUs = Math.Max(_lastNowUs, nowUs);
        var s = _spaces[(int)space];
        var q = s.Sent;
        long bytes = 0;
        for (ulong pn = q.BasePacketNumber; q.SlotCount > 0 && pn < q.EndPacketNumber; pn++)
        {
            var p = q.Get(pn);
            if (p is null) continue;
            discarded.Add(p);
            if (p.InFlight) bytes += p.Size;
        }

        q.Clear();
        s.AckElicitingInFlight = 0;
        s.InFlightBytes = 0;
        s.TimeOfLastAckElicitingUs = 0;
        s.LossTimeUs = null;
        if (bytes > 0) CongestionController.OnPacketsDiscarded(bytes);
        PtoCount = 0;
        SetLossDetectionTimer(_lastNowUs);
    }

    /// <summary>RFC 9002 §A.8: the earliest loss time over the spaces.</summary>
    public (long? Time, PacketSpace Space) GetLossTimeAndSpace()
    {
        long? time = null;
        var space = PacketSpace.Initial;
        for (int i = 0; i < PacketSpaces.Count; i++)
        {
            if (_spaces[i].LossTimeUs is long t && (time is null || t < time))
            {
                time = t;
                space = (PacketSpace)i;
            }
        }

        return (time, space);
    }

    /// <summary>RFC 9002 §A.8: when the PTO fires and for which space (null time: no PTO).</summary>
    public (long? Time, PacketSpace Space) GetPtoTimeAndSpace(long nowUs)
    {
        int shift = Math.Min(PtoCount, 30);
        long duration = Rtt.PtoBase << shift;
        if (AckElicitingInFlight == 0)
        {
            // RFC 9002 §6.2.2.1: the anti-deadlock PTO starts from now.
            if (PeerCompletedAddressValidation) return (null, PacketSpace.Initial);
            return (nowUs + duration, HasHandshakeKeys ? PacketSpace.Handshake : PacketSpace.Initial);
        }

        long? timeout = null;
        var ptoSpace = PacketSpace.Initial;
        for (int i = 0; i < PacketSpaces.Count; i++)
        {
            var s = _spaces[i];
            if (s.AckElicitingInFlight == 0) continue;
            if (i == (int)PacketSpace.Application)
            {
                // RFC 9002 §6.2.1: no Application Data PTO before the handshake is confirmed.
                if (!HandshakeConfirmed) return (timeout, ptoSpace);
                // RFC 9002 §6.2.1: include max_ack_delay (with backoff) for Application Data.
                duration += PeerMaxAckDelayUs << shift;
            }

            // recovery.pto: the operation table keeps a replacement within [1 ms, 60 s] (OperationCatalog).
            long d = PtoDurationOverride is { } over ? over(duration) : duration;
            long t = s.TimeOfLastAckElicitingUs + d;
            if (timeout is null || t < timeout)
            {
                timeout = t;
                ptoSpace = (PacketSpace)i;
            }
        }

        return (timeout, ptoSpace);
    }

    /// <summary>
    /// Re-arms <see cref="LossDetectionTimerUs"/> after the connection changed an input such as
    /// <see cref="HandshakeConfirmed"/>, <see cref="PeerCompletedAddressValidation"/>,
    /// <see cref="HasHandshakeKeys"/> or <see cref="IsAntiAmplificationLimited"/> (RFC 9002 §A.6: a server
    /// unblocked by a received datagram re-arms its timer).
    /// </summary>
    public void UpdateTimer(long nowUs)
    {
        _lastNowUs = nowUs;
        SetLossDetectionTimer(nowUs);
    }

    private void SetLossDetectionTimer(long nowUs)
    {
        var (lossTime, _) = GetLossTimeAndSpace();
        if (lossTime is not null)
        {
            // RFC 9002 §A.8: time threshold loss detection takes precedence.
            LossDetectionTimerUs = lossTime;
            return;
        }

        // RFC 9002 §6.2.2.1: a server at its anti-amplification limit cannot send probes.
        if (IsAntiAmplificationLimited || (AckElicitingInFlight == 0 && PeerCompletedAddressValidation))
        {
            LossDetectionTimerUs = null;
            return;
        }

        LossDetectionTimerUs = GetPtoTimeAndSpace(nowUs).Time;
    }

    /// <summary>
    /// RFC 9002 §A.10 DetectAndRemoveLostPackets, also deciding persistent congestion (§7.6.2) over the lost
    /// packets of this call. Returns true on persistent congestion.
    /// </summary>
    private bool DetectAndRemoveLostPackets(SpaceState s, long nowUs, List<SentPacket> lost)
    {
        s.LossTimeUs = null;
        var q = s.Sent;
        if (s.LargestAcked is not ulong largestAcked || q.Count == 0) return false;

        // RFC 9002 §6.1.2: max(kTimeThreshold * max(smoothed_rtt, latest_rtt), kGranularity), kTimeThreshold = 9/8.
        long lossDelay = Math.Max(Rtt.LatestRtt, Rtt.SmoothedRtt) * 9 / 8;
        lossDelay = Math.Max(lossDelay, RttEstimator.GranularityUs);
        long lostSendTime = nowUs - lossDelay;

        // RFC 9002 §7.6.1: (smoothed_rtt + max(4*rttvar, kGranularity) + max_ack_delay) * 3.
        long pcDuration = (Rtt.PtoBase + PeerMaxAckDelayUs) * PersistentCongestionThreshold;
        long? runStart = null;
        bool persistent = false;
        int first = lost.Count;

        ulong end = Math.Min(largestAcked, q.EndPacketNumber - 1);
        var detect = ReferenceEquals(s, _spaces[2]) ? LossDelayOverride : null; // 1-RTT packets only
        for (ulong pn = q.BasePacketNumber; pn <= end; pn++)
        {
            var p = q.Get(pn);
            if (p is null)
            {
                // RFC 9002 §7.6.2: an acknowledged packet between two lost ones ends the period.
                if (q.WasAcked(pn)) runStart = null;
                continue;
            }

            // RFC 9002 §6.1: lost by time threshold or by packet threshold.
            bool isLost = p.TimeSentUs <= lostSendTime || largestAcked >= pn + PacketThreshold;
            long delay = lossDelay;
            if (detect is not null)
            {
                // recovery.detect_lost: the packet's loss delay (0 on entry when the packet threshold has it lost).
                delay = detect(pn, p.TimeSentUs, largestAcked, lossDelay, largestAcked >= pn + PacketThreshold ? 0 : lossDelay);
                isLost = nowUs - p.TimeSentUs >= delay;
            }
            if (isLost)
            {
                lost.Add(p);
                // RFC 9002 §7.6.2: only ack-eliciting packets sent after the first RTT sample count.
                if (p.AckEliciting && p.InFlight && FirstRttSampleTimeUs is long firstSample && p.TimeSentUs > firstSample)
                {
                    if (runStart is not long startTime) runStart = p.TimeSentUs;
                    else if (p.TimeSentUs - startTime > pcDuration) persistent = true;
                }
            }
            else
            {
                long lossAt = p.TimeSentUs + delay;
                if (s.LossTimeUs is not long lt || lossAt < lt) s.LossTimeUs = lossAt;
            }
        }

        // Removal after the scan: removing trims the queue front, which would forget acknowledged slots.
        for (int i = first; i < lost.Count; i++)
        {
            var p = lost[i];
            q.Remove(p.PacketNumber, acked: false);
            OnRemoved(s, p);
            if (p.Ecn != EcnCodepoint.NotEct) OnEcnMarkedLost();
        }

        if (persistent) PersistentCongestionCount++;
        return persistent;
    }

    private static void OnRemoved(SpaceState s, SentPacket p)
    {
        if (!p.InFlight) return;
        s.InFlightBytes -= p.Size;
        if (p.AckEliciting) s.AckElicitingInFlight--;
    }

    private sealed class SpaceState
    {
        public SentPacketQueue Sent { get; } = new();

        public ulong? LargestAcked { get; set; }

        public ulong? LargestSent { get; set; }

        public long TimeOfLastAckElicitingUs { get; set; }

        public long? LossTimeUs { get; set; }

        public int AckElicitingInFlight { get; set; }

        public long InFlightBytes { get; set; }

        public EcnCounts PeerEcn { get; set; }
    }
}
