using Pliant.Quic.Connection;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Recovery;

/// <summary>
/// The receiving side of one packet number space: which packet numbers arrived (duplicate detection),
/// when an ACK frame is due (RFC 9000 §13.2.1–13.2.2) and the ACK frame itself (RFC 9000 §19.3).
/// </summary>
/// <remarks>
/// Received packet numbers are kept as a small ascending list of ranges, capped at
/// <see cref="MaxRanges"/>; when the oldest range is dropped, every packet number below the oldest
/// remaining range counts as a duplicate. Packet numbers at or below the largest acknowledged of an
/// ACK frame the peer acknowledged are no longer reported (RFC 9000 §13.2.4) but still deduplicated.
/// </remarks>
public sealed class AckTracker
{
    private readonly List<AckRange> _ranges = new(); // ascending, disjoint, non-adjacent
    private ulong _duplicateBelow;
    private ulong? _ackFloor; // packet numbers <= this are not reported any more
    private int _unackedAckEliciting;
    private long? _firstUnackedAckElicitingUs;
    private long _pendingDelayUs;

    /// <summary>
    /// The replacement of <c>ack.should_send_now</c>, when one is attached: (packet number, ack-eliciting packets
    /// not yet acknowledged, 1 if out of order or CE, the native decision) → acknowledge at once. Application space only.
    /// </summary>
    internal Func<ulong, int, bool, bool, bool>? ImmediateOverride { get; set; }

    /// <summary>The replacement of <c>ack.delay</c>, when one is attached: (packet number) → µs the ACK may wait.</summary>
    internal Func<ulong, long>? DelayOverride { get; set; }
    private bool _immediate;
    private long _largestReceivedTimeUs;

    /// <summary>Creates the tracker for <paramref name="space"/>.</summary>
    public AckTracker(PacketSpace space) => Space = space;

    /// <summary>The packet number space.</summary>
    public PacketSpace Space { get; }

    /// <summary>Maximum ranges kept (default 32).</summary>
    public int MaxRanges { get; set; } = 32;

    /// <summary>
    /// Unacknowledged ack-eliciting packets that make an ACK due at once (RFC 9000 §13.2.2: 2). The ACK
    /// frequency extension's "Ack-Eliciting Threshold" T (ACK when more than T) maps to T + 1 here.
    /// </summary>
    public int AckElicitingThreshold { get; set; } = 2;

    /// <summary>Our max_ack_delay: the longest an ACK for an ack-eliciting packet waits (Application space).</summary>
    public long MaxAckDelayUs { get; set; } = 25_000;

    /// <summary>
    /// Reordering Threshold of the ACK frequency extension (draft-ietf-quic-ack-frequency §6.2): 1 (default)
    /// acknowledges any out-of-order packet at once (RFC 9000 §13.2.1), 0 never does, larger values
    /// only when the reordering exceeds the threshold.
    /// </summary>
    public ulong ReorderingThreshold { get; set; } = 1;

    /// <summary>When true, reordering does not trigger an immediate ACK (Reordering Threshold 0).</summary>
    public bool IgnoreOrder
    {
        get => ReorderingThreshold == 0;
        set => ReorderingThreshold = value ? 0UL : 1UL;
    }

    /// <summary>The Largest Acknowledged of the last ACK frame written, or null.</summary>
    public ulong? LargestAckSent { get; private set; }

    /// <summary>The largest ack-eliciting packet number received, or null.</summary>
    public ulong? LargestAckElicitingReceived { get; private set; }

    /// <summary>The largest packet number received, or null.</summary>
    public ulong? LargestReceived { get; private set; }

    /// <summary>ECN counts of packets received in this space (RFC 9000 §13.4.1).</summary>
    public EcnCounts EcnCounts { get; private set; }

    /// <summary>Ack-eliciting packets received since the last ACK frame was written.</summary>
    public int UnackedAckEliciting => _unackedAckEliciting;

    /// <summary>Something was received since the last ACK frame (it may ride along with other frames).</summary>
    public bool AckPending { get; private set; }

    /// <summary>When an ACK frame must be sent; null when no ack-eliciting packet awaits one.</summary>
    public long? AckDeadlineUs
    {
        get
        {
            if (_unackedAckEliciting == 0 || _firstUnackedAckElicitingUs is not long first) return null;
            if (_immediate) return first;
            return first + _pendingDelayUs;
        }
    }

    /// <summary>Number of ranges tracked.</summary>
    public int RangeCount => _ranges.Count;

    /// <summary>The tracked ranges, ascending.</summary>
    public IReadOnlyList<AckRange> Ranges => _ranges;

    /// <summary>True when <paramref name="pn"/> was already received (or is too old to tell).</summary>
    public bool IsDuplicate(ulong pn)
    {
        if (pn < _duplicateBelow) return true;
        // Usually the newest range; search from the end.
        for (int i = _ranges.Count - 1; i >= 0; i--)
        {
            var r = _ranges[i];
            if (pn > r.Largest) return false;
            if (pn >= r.Smallest) return true;
        }

        return false;
    }

    /// <summary>Records a received (authenticated, not duplicate) packet.</summary>
    public void OnPacketReceived(ulong pn, bool ackEliciting, EcnCodepoint ecn, long nowUs)
    {
        ulong? largestBefore = LargestReceived;
        Insert(pn);
        AckPending = true;
        if (largestBefore is not ulong lb || pn > lb)
        {
            LargestReceived = pn;
            _largestReceivedTimeUs = nowUs;
        }

        var c = EcnCounts;
        EcnCounts = ecn switch
        {
            EcnCodepoint.Ect0 => c with { Ect0 = c.Ect0 + 1 },
            EcnCodepoint.Ect1 => c with { Ect1 = c.Ect1 + 1 },
            EcnCodepoint.Ce => c with { Ce = c.Ce + 1 },
            _ => c,
        };

        if (!ackEliciting) return;
        if (LargestAckElicitingReceived is not ulong lae || pn > lae) LargestAckElicitingReceived = pn;
        _unackedAckEliciting++;
        if (_firstUnackedAckElicitingUs is null)
        {
            _firstUnackedAckElicitingUs = nowUs;
            // How long this ACK may wait: max_ack_delay, or the ACK policy's answer (bounded by it).
            _pendingDelayUs = DelayOverride is { } delay && Space == PacketSpace.Application ? delay(pn) : MaxAckDelayUs;
        }
        // The native policy's decision for this packet.
        // RFC 9000 §13.2.1: Initial and Handshake packets are acknowledged immediately;
        // RFC 9000 §13.2.2: after AckElicitingThreshold (2) ack-eliciting packets.
        bool now = Space != PacketSpace.Application || _unackedAckEliciting >= AckElicitingThreshold;
        // RFC 9000 §13.2.1: CE-marked packets are acknowledged immediately, and on reordering: a packet below
        // the largest received, or one above it with a gap.
        bool unusual = ecn == EcnCodepoint.Ce;
        if (ReorderingThreshold == 1) unusual |= largestBefore is ulong prev && (pn < prev || pn > prev + 1);
        // draft-ietf-quic-ack-frequency §6.2: checked on every ack-eliciting packet.
        else if (ReorderingThreshold > 1) unusual |= OutsideReorderingWindow(pn);
        now |= unusual;
        // The ACK policy (ack.should_send_now) may decide otherwise for 1-RTT packets; an ACK already due stays due.
        if (ImmediateOverride is { } policy && Space == PacketSpace.Application) now = policy(pn, _unackedAckEliciting, unusual, now);
        _immediate |= now;
        if (_immediate) _firstUnackedAckElicitingUs = Math.Min(_firstUnackedAckElicitingUs.Value, nowUs);
    }

    /// <summary>
    /// An IMMEDIATE_ACK frame arrived (draft-ietf-quic-ack-frequency §5): the ACK for its packet is due at once.
    /// </summary>
    public void RequestImmediateAck() => _immediate = true;

    /// <summary>
    /// Writes an ACK or ACK_ECN frame (type included) describing what was received, largest ranges first,
    /// dropping the oldest ranges that do not fit in <paramref name="dest"/>. Returns 0 when there is
    /// nothing to acknowledge or not even one range fits. Clears the pending state on success. With
    /// <paramref name="pathId"/>, a PATH_ACK frame for that path's number space (draft-ietf-quic-multipath-21 §4.1).
    /// </summary>
    public int WriteAckFrame(Span<byte> dest, long nowUs, int ackDelayExponent, uint? pathId = null)
    {
        if (LargestReceived is not ulong largest) return 0;
        ulong floor = _ackFloor is ulong f ? f + 1 : 0; // smallest reportable packet number
        int top = _ranges.Count - 1;
        if (top < 0 || _ranges[top].Largest < floor) return 0;

        long delayUs = Math.Max(0, nowUs - _largestReceivedTimeUs);
        ulong ackDelay = (ulong)delayUs >> Math.Clamp(ackDelayExponent, 0, 20);
        var ecn = EcnCounts;
        bool withEcn = ecn.Ect0 + ecn.Ect1 + ecn.Ce > 0;

        var first = _ranges[top];
        ulong firstSmallest = Math.Max(first.Smallest, floor);
        // The type (and for PATH_ACK, draft-ietf-quic-multipath-21 §4.1, the path ID), then the ACK fields.
        int len = (pathId is uint id ? 1 + VarInt.Length(id) : 1) + VarInt.Length(largest) + VarInt.Length(ackDelay) + VarInt.Length(first.Largest - firstSmallest);
        if (withEcn) len += VarInt.Length(ecn.Ect0) + VarInt.Length(ecn.Ect1) + VarInt.Length(ecn.Ce);

        // Count the additional ranges that fit (RFC 9000 §19.3.1: Gap and ACK Range Length pairs).
        int extra = 0;
        ulong prevSmallest = firstSmallest;
        for (int i = top - 1; i >= 0; i--)
        {
            var r = _ranges[i];
            if (r.Largest < floor) break;
            ulong smallest = Math.Max(r.Smallest, floor);
            int pair = VarInt.Length(prevSmallest - r.Largest - 2) + VarInt.Length(r.Largest - smallest);
            if (len + VarInt.Length((ulong)(extra + 1)) + pair > dest.Length) break;
            len += pair;
            extra++;
            prevSmallest = smallest;
        }

        len += VarInt.Length((ulong)extra);
        if (len > dest.Length) return 0;

        // The chosen ranges, largest first, encoded by the wire codec.
        Span<AckRange> chosen = extra < 64 ? stackalloc AckRange[extra + 1] : new AckRange[extra + 1];
        chosen[0] = new AckRange(firstSmallest, first.Largest);
        for (int i = top - 1, n = 1; n <= extra; i--, n++)
        {
            var r = _ranges[i];
            chosen[n] = new AckRange(Math.Max(r.Smallest, floor), r.Largest);
        }
        int o = pathId is uint path
            ? PathAckFrame.Write(dest, path, chosen, ackDelay, withEcn ? ecn : null)
            : AckFrame.Write(dest, chosen, ackDelay, withEcn ? ecn : null);
        LargestAckSent = largest;
        OnAckSent();
        return o;
    }

    /// <summary>
    /// The peer acknowledged a packet that carried our ACK frame whose Largest Acknowledged was
    /// <paramref name="largestInThatAck"/>: stop reporting packet numbers up to it (RFC 9000 §13.2.4).
    /// </summary>
    public void OnAckFrameAcked(ulong largestInThatAck)
    {
        if (_ackFloor is not ulong f || largestInThatAck > f) _ackFloor = largestInThatAck;
    }

    /// <summary>Clears the "ACK due" state as if an ACK frame was just sent (used by <see cref="WriteAckFrame"/>).</summary>
    public void OnAckSent()
    {
        AckPending = false;
        _unackedAckEliciting = 0;
        _firstUnackedAckElicitingUs = null;
        _immediate = false;
    }

    /// <summary>
    /// draft-ietf-quic-ack-frequency §6.2 with Reordering Threshold T &gt; 1: the smallest unreported missing
    /// packet is T or more below the largest unacked, or <paramref name="pn"/> is at or below
    /// Largest Acked − T (the sender may already have declared it lost).
    /// </summary>
    private bool OutsideReorderingWindow(ulong pn)
    {
        ulong t = ReorderingThreshold;
        if (LargestAckSent is ulong sent && sent >= t && pn <= sent - t) return true;
        if (LargestAckElicitingReceived is not ulong largestUnacked) return false;

        // Smallest missing packet number above Largest Reported Missing (= Largest Acked − T).
        ulong candidate = LargestAckSent is ulong la && la >= t ? la - t + 1 : 0;
        foreach (var r in _ranges)
        {
            if (r.Largest < candidate) continue;
            if (r.Smallest > candidate) break;
            candidate = r.Largest + 1;
        }

        return candidate < largestUnacked && largestUnacked - candidate >= t;
    }

    private void Insert(ulong pn)
    {
        int n = _ranges.Count;
        // Fast path: in order, extends or follows the newest range.
        if (n == 0 || pn > _ranges[n - 1].Largest + 1)
        {
            _ranges.Add(new AckRange(pn, pn));
            TrimRanges();
            return;
        }

        int i = n - 1;
        while (i >= 0 && _ranges[i].Smallest > pn + 1) i--;
        // Now _ranges[i].Smallest <= pn + 1 (or i == -1).
        if (i >= 0 && pn <= _ranges[i].Largest + 1)
        {
            var r = _ranges[i];
            if (pn >= r.Smallest && pn <= r.Largest) return; // duplicate
            if (pn == r.Largest + 1)
            {
                r = r with { Largest = pn };
            }
            else
            {
                // pn + 1 == r.Smallest: extend down, merging with the previous range if it touches.
                r = r with { Smallest = pn };
                if (i > 0 && _ranges[i - 1].Largest + 1 == pn)
                {
                    r = r with { Smallest = _ranges[i - 1].Smallest };
                    _ranges.RemoveAt(i - 1);
                    i--;
                }
            }

            _ranges[i] = r;
            // Merge with the next range if they now touch.
            if (i + 1 < _ranges.Count && _ranges[i + 1].Smallest == r.Largest + 1)
            {
                _ranges[i] = new AckRange(r.Smallest, _ranges[i + 1].Largest);
                _ranges.RemoveAt(i + 1);
            }

            return;
        }

        // pn lies between range i and range i+1 (i + 1 has Smallest > pn + 1).
        if (i + 1 < _ranges.Count && _ranges[i + 1].Smallest == pn + 1)
        {
            _ranges[i + 1] = _ranges[i + 1] with { Smallest = pn };
            return;
        }

        _ranges.Insert(i + 1, new AckRange(pn, pn));
        TrimRanges();
    }

    private void TrimRanges()
    {
        while (_ranges.Count > Math.Max(1, MaxRanges))
        {
            // Forget the oldest range; anything at or below it now counts as a duplicate.
            _duplicateBelow = _ranges[0].Largest + 1;
            _ranges.RemoveAt(0);
        }
    }
}
