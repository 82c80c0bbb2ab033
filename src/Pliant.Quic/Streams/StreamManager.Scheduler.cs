using System.Numerics;

namespace Pliant.Quic.Streams;

// The stream scheduler: which stream's data goes next (RFC 9218 §10 urgency and incremental), and the
// stream.next_to_send operation that may replace it.
public sealed partial class StreamManager
{
    private const int Levels = StreamPriority.MaxUrgency + 1;

    /// <summary>A stream id no stream has (2^62): what a scheduler answers for "nothing now".</summary>
    public const ulong NoStream = 1UL << 62;

    /// <summary>Answers in a row that name no stream with data to send, while some has, before the scheduler is detached.</summary>
    public const int StarvationLimit = 16;

    // One round-robin queue per urgency; an entry is current while the stream's level and ticket match it.
    private readonly Queue<(StreamState S, int Ticket)>[] _sendQueues = NewQueues();
    // Per urgency, the non-incremental streams sorted by id (entries of streams whose priority changed are skipped).
    private readonly List<StreamState>[] _sequential = NewLists();
    private int _levelMask; // bit u set: _sendQueues[u] may hold entries
    private readonly List<ulong> _candidates = [];
    private int _starved;

    private static Queue<(StreamState, int)>[] NewQueues()
    {
        var q = new Queue<(StreamState, int)>[Levels];
        for (int i = 0; i < q.Length; i++) q[i] = new();
        return q;
    }

    private static List<StreamState>[] NewLists()
    {
        var l = new List<StreamState>[Levels];
        for (int i = 0; i < l.Length; i++) l[i] = [];
        return l;
    }

    /// <summary>
    /// The replacement of <c>stream.next_to_send</c>, when one is attached: (the native choice, streams that may
    /// send now, bytes of room in the packet) → the stream to send from. Candidates: <see cref="StreamCandidate"/>.
    /// </summary>
    internal Func<ulong, int, int, ulong>? NextToSendOverride { get; set; }

    /// <summary>Called with the reason when a <see cref="NextToSendOverride"/> answer breaks the operation's rules.</summary>
    internal Action<string>? NextToSendRejected { get; set; }

    /// <summary>
    /// During a <c>stream.next_to_send</c> call, the id of the <paramref name="index"/>-th stream that may send now
    /// (in the native scheduler's order of urgency); <see cref="NoStream"/> past the end or outside a call.
    /// </summary>
    public ulong StreamCandidate(int index) => (uint)index < (uint)_candidates.Count ? _candidates[index] : NoStream;

    /// <summary>
    /// Sets the priority of stream <paramref name="id"/> (RFC 9218 §4; HTTP/3 passes the request's, and PRIORITY_UPDATE
    /// changes it, §7). A stream that is closed or cannot send is left alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An urgency outside 0..7.</exception>
    public void SetPriority(ulong id, StreamPriority priority)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(priority.Urgency);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(priority.Urgency, StreamPriority.MaxUrgency);
        if (!_streams.TryGetValue(id, out var s) || !s.HasSendPart || s.Collected) return;
        bool moved = s.Urgency != priority.Urgency;
        if (!s.Incremental && (moved || priority.Incremental)) ForgetSequential(s); // leaves its old place in the order
        s.Urgency = (byte)priority.Urgency;
        s.Incremental = priority.Incremental;
        if (!priority.Incremental)
        {
            var list = _sequential[s.Urgency];
            int at = list.BinarySearch(s, IdOrder.Instance);
            if (at < 0) list.Insert(~at, s);
        }
        if (moved && s.InSendQueue)
        {
            s.QueuedLevel = -1; // its entry in the old level's queue is stale now
            Reschedule(s);
        }
    }

    /// <summary>The priority of stream <paramref name="id"/>; <see cref="StreamPriority.Unset"/> for one never given one or not open.</summary>
    public StreamPriority GetPriority(ulong id) =>
        _streams.TryGetValue(id, out var s) ? new StreamPriority(s.Urgency, s.Incremental) : StreamPriority.Unset;

    /// <summary>A stream's state for a plugin (<see cref="Operations.StreamField"/>); <see cref="ulong.MaxValue"/> when it is not open.</summary>
    public ulong GetStreamField(ulong id, Operations.StreamField field)
    {
        if (!_streams.TryGetValue(id, out var s) || s.Collected) return ulong.MaxValue;
        return field switch
        {
            Operations.StreamField.Urgency => s.Urgency,
            Operations.StreamField.Incremental => s.Incremental ? 1UL : 0UL,
            Operations.StreamField.BytesQueued => s.Send is { } b && s.CanSendData ? b.WrittenEnd - b.SentEnd : 0,
            Operations.StreamField.BytesSent => s.Send is { } b2 ? b2.SentEnd : 0,
            Operations.StreamField.Sendable => IsSendable(s) ? 1UL : 0UL,
            _ => ulong.MaxValue,
        };
    }

    private sealed class IdOrder : IComparer<StreamState>
    {
        public static readonly IdOrder Instance = new();
        public int Compare(StreamState? x, StreamState? y) => x!.Id.CompareTo(y!.Id);
    }

    private void Enqueue(StreamState s)
    {
        int level = s.Urgency;
        s.QueuedLevel = level;
        s.QueueTicket++;
        _sendQueues[level].Enqueue((s, s.QueueTicket));
        _levelMask |= 1 << level;
    }

    private static bool IsCurrent((StreamState S, int Ticket) e, int level) => e.S.QueuedLevel == level && e.S.QueueTicket == e.Ticket;

    private bool AnySendable()
    {
        for (int mask = _levelMask; mask != 0; mask &= mask - 1)
        {
            int level = BitOperations.TrailingZeroCount(mask);
            foreach (var e in _sendQueues[level])
                if (IsCurrent(e, level) && IsSendable(e.S)) return true;
        }
        return false;
    }

    /// <summary>
    /// New stream data the connection could send now (written by the application, not yet sent, within both
    /// flow-control limits), summed over the sendable streams until the sum reaches <paramref name="cap"/>: the
    /// backlog a multipath scheduler weighs against a slower path (<see cref="Connection.PathScheduler"/>). Lost
    /// data waiting for retransmission is not counted. O(sendable streams), no allocation.
    /// </summary>
    public ulong SendableBytes(ulong cap)
    {
        ulong sum = 0;
        for (int mask = _levelMask; mask != 0 && sum < cap; mask &= mask - 1)
        {
            int level = BitOperations.TrailingZeroCount(mask);
            foreach (var e in _sendQueues[level])
            {
                if (!IsCurrent(e, level) || e.S.Collected || !e.S.CanSendData) continue;
                var buf = e.S.Send!;
                ulong end = Math.Min(buf.WrittenEnd, FlowLimit(e.S));
                if (end > buf.SentEnd) sum += end - buf.SentEnd;
                if (sum >= cap) break;
            }
        }
        return sum;
    }

    /// <summary>
    /// The stream the native scheduler sends from next: of the most urgent level with a sendable stream, the head
    /// of its round robin (<paramref name="head"/>) or, when that one is not incremental, the level's sendable
    /// non-incremental stream with the lowest id (the non-incremental streams take their turns one at a time,
    /// RFC 9218 §10). Stale and unsendable heads are dropped on the way. Null when no stream may send.
    /// </summary>
    private StreamState? PeekNative(out StreamState? head)
    {
        while (_levelMask != 0)
        {
            int level = BitOperations.TrailingZeroCount(_levelMask);
            var q = _sendQueues[level];
            while (q.TryPeek(out var e))
            {
                if (!IsCurrent(e, level)) { q.Dequeue(); continue; }
                var s = e.S;
                if (!IsSendable(s))
                {
                    q.Dequeue();
                    s.QueuedLevel = -1;
                    Reschedule(s); // records why it is blocked
                    continue;
                }
                head = s;
                return s.Incremental ? s : FirstSequential(level) ?? s;
            }
            _levelMask &= ~(1 << level);
        }
        head = null;
        return null;
    }

    /// <summary>Drops a non-incremental stream from its urgency's list (collected, or its priority changed).</summary>
    private void ForgetSequential(StreamState s)
    {
        var list = _sequential[s.Urgency];
        int at = list.BinarySearch(s, IdOrder.Instance);
        if (at >= 0) list.RemoveAt(at);
    }

    private StreamState? FirstSequential(int level)
    {
        var list = _sequential[level];
        for (int i = 0; i < list.Count; i++)
        {
            var s = list[i];
            if (s.Collected || s.Urgency != level || s.Incremental)
            {
                list.RemoveAt(i--);
                continue;
            }
            if (IsSendable(s)) return s;
        }
        return null;
    }

    /// <summary>
    /// Ends the turn of <paramref name="head"/>, the head of its level's queue, before <paramref name="writer"/> (itself,
    /// or the non-incremental stream it gives its turn to) writes: out of the queue; the writer is rescheduled after
    /// writing (back of the queue if it has more), another head at once.
    /// </summary>
    private void EndTurn(StreamState head, StreamState writer)
    {
        _sendQueues[head.QueuedLevel].Dequeue();
        head.QueuedLevel = -1;
        if (!ReferenceEquals(head, writer)) Reschedule(head);
    }

    /// <summary>
    /// Asks the <c>stream.next_to_send</c> replacement which stream goes next. A stream that may send is taken; an
    /// open stream with nothing to send now, or <see cref="NoStream"/>, leaves the native choice for this frame
    /// (<see cref="StarvationLimit"/> such answers in a row break the operation's rule); any other id is not a
    /// stream of this connection and breaks it at once. Both detach the scheduler (the single policy).
    /// </summary>
    private StreamState AskScheduler(Func<ulong, int, int, ulong> choose, StreamState native, int room)
    {
        _candidates.Clear();
        for (int mask = _levelMask; mask != 0; mask &= mask - 1)
        {
            int level = BitOperations.TrailingZeroCount(mask);
            foreach (var e in _sendQueues[level])
                if (IsCurrent(e, level) && IsSendable(e.S)) _candidates.Add(e.S.Id);
        }
        int pending = _candidates.Count;
        ulong answer;
        try
        {
            answer = choose(native.Id, pending, room);
        }
        finally
        {
            _candidates.Clear();
        }
        if (answer == native.Id) { _starved = 0; return native; }
        if (answer < NoStream && _streams.TryGetValue(answer, out var pick) && !pick.Collected)
        {
            if (IsSendable(pick)) { _starved = 0; return pick; }
        }
        else if (answer != NoStream)
        {
            _starved = 0;
            NextToSendRejected?.Invoke($"stream {answer} is not an open stream of this connection");
            return native;
        }
        if (++_starved >= StarvationLimit)
        {
            _starved = 0;
            NextToSendRejected?.Invoke($"{StarvationLimit} answers in a row named no stream with data to send while {pending} stream(s) had some");
        }
        return native;
    }
}
