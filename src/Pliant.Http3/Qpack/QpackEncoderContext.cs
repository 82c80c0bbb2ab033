using System.Buffers;

namespace Pliant.Http3.Qpack;

/// <summary>
/// The encoder half of one connection's QPACK (RFC 9204 §2.1): once the peer's SETTINGS allow a dynamic
/// table, field lines worth remembering are inserted (on our encoder stream) and later sections refer to
/// them. It mirrors the peer decoder's table, counts references from sections not yet acknowledged
/// (an entry is evicted only when acknowledged and unreferenced, §2.1.1), and keeps the number of streams
/// that could block within the peer's SETTINGS_QPACK_BLOCKED_STREAMS (§2.1.2). Thread-safe.
/// </summary>
/// <remarks>
/// What is indexed: field lines that repeat across messages. Never: <c>authorization</c>,
/// <c>proxy-authorization</c>, <c>cookie</c>, <c>set-cookie</c> (sent as literals with the N bit, §7.1.3,
/// so an attacker sharing the connection cannot probe them through the table); nor fields that change with
/// every message (<c>:path</c>, <c>content-length</c>, <c>date</c>, ...), nor entries over a quarter of the table.
/// Bounds: at most <see cref="MaxTrackedSections"/> unacknowledged sections are tracked (a peer that never
/// acknowledges gets static and literal encoding beyond that), and while more than
/// <see cref="MaxPendingInstructionBytes"/> of encoder instructions wait for flow control nothing is inserted.
/// </remarks>
public sealed class QpackEncoderContext : IQpackDecoderInstructionHandler
{
    /// <summary>Unacknowledged field sections with dynamic references tracked at most.</summary>
    public const int MaxTrackedSections = 1000;

    /// <summary>Encoder instructions waiting to be written above which no more entries are inserted.</summary>
    public const int MaxPendingInstructionBytes = 16 * 1024;

    private const Http3ErrorCode StreamError = Http3ErrorCode.QpackDecoderStreamError;

    private static readonly HashSet<string> s_sensitive = new(StringComparer.Ordinal)
    {
        "authorization", "proxy-authorization", "cookie", "set-cookie",
    };

    private static readonly HashSet<string> s_changing = new(StringComparer.Ordinal)
    {
        ":path", "content-length", "date", "etag", "last-modified", "if-modified-since", "if-none-match", "if-range",
        "age", "expires", "content-range", "range", "location", "x-request-id", "request-id", "traceparent", "tracestate",
        "content-md5", "digest", "x-amz-date", "x-amz-request-id",
    };

    private readonly object _gate = new();
    private readonly ulong _ourMaxCapacity;
    private readonly Dictionary<ulong, Queue<Section>> _unacknowledged = [];
    private readonly Dictionary<long, int> _references = [];
    private readonly Dictionary<(string, string), long> _fields = [];
    private readonly Dictionary<string, long> _names = new(StringComparer.Ordinal);
    private QpackDynamicTable? _table;
    private ulong _maxEntries;
    private ulong _peerBlockedStreams;
    private long _knownReceived;
    private int _tracked;
    private bool _capacitySent;

    private sealed record Section(long RequiredInsertCount, long[] References);

    /// <param name="maxTableCapacity">The most of the peer's allowance this encoder uses (0: never the dynamic table).</param>
    public QpackEncoderContext(ulong maxTableCapacity) => _ourMaxCapacity = maxTableCapacity;

    /// <summary>Encoder instructions to write on our encoder stream.</summary>
    public QpackInstructionQueue Instructions { get; } = new();

    /// <summary>The capacity in use (0 until the peer's SETTINGS allow a table).</summary>
    public long Capacity
    {
        get { lock (_gate) return _table?.Capacity ?? 0; }
    }

    /// <summary>Entries inserted into the peer's table.</summary>
    public long InsertsSent
    {
        get { lock (_gate) return _table?.InsertCount ?? 0; }
    }

    /// <summary>What the peer acknowledged (Known Received Count, §2.1.4).</summary>
    public long KnownReceivedCount
    {
        get { lock (_gate) return _knownReceived; }
    }

    /// <summary>Field lines encoded as references to the dynamic table.</summary>
    public long DynamicReferencesSent { get; private set; }

    /// <summary>Section Acknowledgments received.</summary>
    public long AcknowledgmentsReceived { get; private set; }

    /// <summary>Bytes of encoded field sections produced (HEADERS payloads).</summary>
    public long SectionBytes { get; private set; }

    /// <summary>
    /// Field sections encoded after the peer's SETTINGS allowed a dynamic table (only these can insert or refer:
    /// sections encoded before SETTINGS arrive are static and literal, RFC 9204 §3.2.3).
    /// </summary>
    public long SectionsWithTable { get; private set; }

    /// <summary>Unacknowledged sections with dynamic references tracked now.</summary>
    public int TrackedSections
    {
        get { lock (_gate) return _tracked; }
    }

    /// <summary>
    /// The peer's SETTINGS (RFC 9204 §5): its maximum table capacity and blocked streams. Until they arrive,
    /// and when the capacity is 0, nothing is inserted and no encoder instruction is sent (§3.2.3).
    /// </summary>
    public void ApplyPeerSettings(ulong maxTableCapacity, ulong blockedStreams)
    {
        lock (_gate)
        {
            if (_table is not null) return;
            ulong capacity = Math.Min(maxTableCapacity, _ourMaxCapacity);
            _peerBlockedStreams = blockedStreams;
            // Below 32 bytes no entry fits (§3.2.1), and MaxEntries would be 0 (§4.5.1.1): no table.
            if (capacity < QpackDynamicTable.EntryOverhead) return;
            // MaxEntries follows the decoder's maximum, not the capacity we choose (§4.5.1.1).
            _maxEntries = maxTableCapacity / 32;
            _table = new QpackDynamicTable(maxTableCapacity);
            _table.SetCapacity(capacity, Http3ErrorCode.InternalError);
        }
    }

    /// <summary>Encodes one field section sent on <paramref name="streamId"/> (null: a stream without an id, static only).</summary>
    public byte[] Encode(ulong? streamId, IReadOnlyList<Http3Field> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        byte[] result;
        lock (_gate)
        {
            if (_table is not null && streamId is not null) SectionsWithTable++;
            result = _table is { } table && streamId is ulong id && _tracked < MaxTrackedSections
                ? EncodeDynamic(table, id, fields)
                : QpackEncoder.Encode(fields);
            SectionBytes += result.Length;
        }
        return result;
    }

    private byte[] EncodeDynamic(QpackDynamicTable table, ulong streamId, IReadOnlyList<Http3Field> fields)
    {
        long @base = table.InsertCount;
        // §2.1.2: a section referring to unacknowledged entries may block; only so many streams may.
        bool mayBlock = IsBlocking(streamId) || BlockingStreams() < (long)Math.Min(_peerBlockedStreams, int.MaxValue);
        bool insertAllowed = Instructions.PendingBytes < MaxPendingInstructionBytes;
        var lines = new ArrayBufferWriter<byte>(128);
        List<long>? refs = null;
        long maxRef = -1;
        foreach (var f in fields)
        {
            if (QpackStaticTable.TryFindField(f.Name, f.Value, out int sIndex))
            {
                QpackInteger.Encode(lines, 0xC0, 6, (ulong)sIndex); // §4.5.2, T=1
                continue;
            }
            bool sensitive = s_sensitive.Contains(f.Name);
            long abs = -1;
            long found = -1;
            bool held = !sensitive && _fields.TryGetValue((f.Name, f.Value), out found) && Held(table, found, f.Name, f.Value);
            if (held && Referenceable(table, found, mayBlock)) abs = found;
            // An entry already in the table but not referenceable yet (unacknowledged) is not inserted twice.
            else if (!held && !sensitive && insertAllowed && Indexable(table, f) && TryInsert(table, f, out long inserted) && Referenceable(table, inserted, mayBlock))
                abs = inserted;
            if (abs >= 0)
            {
                if (abs < @base) QpackInteger.Encode(lines, 0x80, 6, (ulong)(@base - 1 - abs)); // §4.5.2, T=0, relative
                else QpackInteger.Encode(lines, 0x10, 4, (ulong)(abs - @base));                 // §4.5.3, post-Base
                (refs ??= []).Add(abs);
                maxRef = Math.Max(maxRef, abs);
                DynamicReferencesSent++;
                continue;
            }
            // The N bit (§4.5.4, §4.5.6) on sensitive fields: never index them on later hops either.
            if (QpackStaticTable.TryFindName(f.Name, out sIndex))
            {
                QpackInteger.Encode(lines, (byte)(sensitive ? 0x70 : 0x50), 4, (ulong)sIndex); // '01' N T=1
            }
            else if (!sensitive && _names.TryGetValue(f.Name, out long nameAbs) && Held(table, nameAbs, f.Name, null) && Referenceable(table, nameAbs, mayBlock))
            {
                if (nameAbs < @base) QpackInteger.Encode(lines, 0x40, 4, (ulong)(@base - 1 - nameAbs)); // '01' N=0 T=0
                else QpackInteger.Encode(lines, 0x00, 3, (ulong)(nameAbs - @base));                     // '0000' N=0, post-Base
                (refs ??= []).Add(nameAbs);
                maxRef = Math.Max(maxRef, nameAbs);
                DynamicReferencesSent++;
            }
            else
            {
                QpackString.Encode(lines, (byte)(sensitive ? 0x30 : 0x20), 4, f.Name); // '001' N, 4-bit prefix name (§4.5.6)
                QpackString.Encode(lines, 0x00, 8, f.Value);
                continue;
            }
            QpackString.Encode(lines, 0x00, 8, f.Value);
        }

        long ric = maxRef + 1;
        var section = new ArrayBufferWriter<byte>(lines.WrittenCount + 8);
        if (ric == 0)
        {
            section.Write<byte>([0, 0]);
        }
        else
        {
            // §4.5.1.1: Required Insert Count modulo 2 * MaxEntries; §4.5.1.2: Base relative to it.
            QpackInteger.Encode(section, 0x00, 8, (ulong)ric % (2 * _maxEntries) + 1);
            if (@base >= ric) QpackInteger.Encode(section, 0x00, 7, (ulong)(@base - ric));
            else QpackInteger.Encode(section, 0x80, 7, (ulong)(ric - @base - 1));
            foreach (long r in refs!) _references[r] = _references.GetValueOrDefault(r) + 1;
            if (!_unacknowledged.TryGetValue(streamId, out var queue)) _unacknowledged[streamId] = queue = new Queue<Section>();
            queue.Enqueue(new Section(ric, [.. refs]));
            _tracked++;
        }
        section.Write(lines.WrittenSpan);
        return section.WrittenSpan.ToArray();
    }

    /// <summary>The table still holds this entry (the lookups may name evicted ones).</summary>
    private static bool Held(QpackDynamicTable table, long abs, string name, string? value) =>
        table.TryGet(abs, out var e) && e.Name == name && (value is null || e.Value == value);

    /// <summary>A held entry can be referred to when acknowledged, or when this section may block (§2.1.2).</summary>
    private bool Referenceable(QpackDynamicTable table, long abs, bool mayBlock) =>
        abs >= table.DroppedCount && (abs < _knownReceived || mayBlock);

    private static bool Indexable(QpackDynamicTable table, Http3Field f) =>
        !s_changing.Contains(f.Name) && QpackDynamicTable.SizeOf(f.Name, f.Value) <= table.Capacity / 4;

    /// <summary>Inserts a field line if only evictable entries (acknowledged, unreferenced, §2.1.1) must make room.</summary>
    private bool TryInsert(QpackDynamicTable table, Http3Field f, out long inserted)
    {
        inserted = -1;
        long size = QpackDynamicTable.SizeOf(f.Name, f.Value);
        if (!table.CanInsertEvictingBelow(size, FirstUnevictable(table))) return false;
        var w = new ArrayBufferWriter<byte>(size > 200 ? (int)size + 16 : 64);
        if (!_capacitySent)
        {
            QpackInteger.Encode(w, 0x20, 5, (ulong)table.Capacity); // §4.3.1 Set Dynamic Table Capacity
            _capacitySent = true;
        }
        if (QpackStaticTable.TryFindName(f.Name, out int sIndex))
        {
            QpackInteger.Encode(w, 0xC0, 6, (ulong)sIndex);                                 // §4.3.2, T=1
        }
        else if (_names.TryGetValue(f.Name, out long nameAbs) && table.TryGet(nameAbs, out var ne) && ne.Name == f.Name)
        {
            QpackInteger.Encode(w, 0x80, 6, (ulong)(table.InsertCount - 1 - nameAbs));       // §4.3.2, T=0, relative
        }
        else
        {
            QpackString.Encode(w, 0x40, 6, f.Name);                                          // §4.3.3
        }
        QpackString.Encode(w, 0x00, 8, f.Value);
        table.Insert(f.Name, f.Value, size, Http3ErrorCode.InternalError);
        inserted = table.InsertCount - 1;
        _fields[(f.Name, f.Value)] = inserted;
        _names[f.Name] = inserted;
        Instructions.Enqueue(w.WrittenSpan.ToArray());
        if (_fields.Count > 4 * (table.Count + 16)) Prune(table);
        return true;
    }

    /// <summary>The absolute index of the oldest entry that may not be evicted yet.</summary>
    private long FirstUnevictable(QpackDynamicTable table)
    {
        long abs = table.DroppedCount;
        for (; abs < table.InsertCount; abs++)
        {
            if (abs >= _knownReceived || _references.GetValueOrDefault(abs) > 0) break;
        }
        return abs;
    }

    /// <summary>Forgets lookup entries for evicted table entries (the lookups are checked on use anyway).</summary>
    private void Prune(QpackDynamicTable table)
    {
        foreach (var k in _fields.Where(kv => kv.Value < table.DroppedCount).Select(kv => kv.Key).ToList()) _fields.Remove(k);
        foreach (var k in _names.Where(kv => kv.Value < table.DroppedCount).Select(kv => kv.Key).ToList()) _names.Remove(k);
    }

    private bool IsBlocking(ulong streamId) =>
        _unacknowledged.TryGetValue(streamId, out var q) && q.Any(s => s.RequiredInsertCount > _knownReceived);

    private int BlockingStreams()
    {
        int n = 0;
        foreach (var q in _unacknowledged.Values)
            if (q.Any(s => s.RequiredInsertCount > _knownReceived)) n++;
        return n;
    }

    /// <summary>Feeds the peer's decoder stream (RFC 9204 §4.4).</summary>
    public QpackDecoderStreamParser CreateDecoderStreamParser() => new(this);

    /// <inheritdoc />
    public void SectionAcknowledged(ulong streamId)
    {
        lock (_gate)
        {
            // §4.4.1: acknowledging a stream with no unacknowledged section is an error.
            if (!_unacknowledged.TryGetValue(streamId, out var queue) || queue.Count == 0)
                throw new Http3Exception(StreamError, $"Section Acknowledgment for stream {streamId} without an unacknowledged section");
            var section = queue.Dequeue();
            if (queue.Count == 0) _unacknowledged.Remove(streamId);
            Release(section);
            _knownReceived = Math.Max(_knownReceived, section.RequiredInsertCount);
            AcknowledgmentsReceived++;
        }
    }

    /// <inheritdoc />
    public void StreamCancelled(ulong streamId)
    {
        lock (_gate)
        {
            if (!_unacknowledged.Remove(streamId, out var queue)) return;
            foreach (var s in queue) Release(s);
        }
    }

    /// <inheritdoc />
    public void InsertCountIncrement(ulong increment)
    {
        lock (_gate)
        {
            // §4.4.3: beyond what we inserted is an error.
            long inserted = _table?.InsertCount ?? 0;
            if (increment > (ulong)(inserted - _knownReceived))
                throw new Http3Exception(StreamError, $"Insert Count Increment {increment} beyond the {inserted - _knownReceived} unacknowledged inserts");
            _knownReceived += (long)increment;
        }
    }

    private void Release(Section s)
    {
        _tracked--;
        foreach (long r in s.References)
        {
            int left = _references[r] - 1;
            if (left == 0) _references.Remove(r);
            else _references[r] = left;
        }
    }
}
