namespace Pliant.Http3.Qpack;

/// <summary>
/// The decoder half of one connection's QPACK (RFC 9204 §2.2): the dynamic table the peer's encoder stream
/// fills, field sections that wait ("blocked streams", §2.1.2) until the inserts they need arrive, and the
/// decoder instructions we owe (§4.4): Section Acknowledgment, Stream Cancellation, Insert Count Increment,
/// queued in the order our Known Received Count changed. Thread-safe.
/// </summary>
/// <remarks>
/// Bounds (docs/security.md): the table holds at most <see cref="MaxTableCapacity"/> bytes of entries; at most
/// <see cref="MaxBlockedStreams"/> sections wait at once (one more is QPACK_DECOMPRESSION_FAILED), each holding
/// one HEADERS payload the frame reader already bounded; decoder instructions not yet written are at most
/// <see cref="MaxPendingInstructionBytes"/> (a peer that withholds credit on our decoder stream beyond it gets
/// H3_EXCESSIVE_LOAD, §7.3).
/// </remarks>
public sealed class QpackDecoderContext
{
    /// <summary>Decoder instructions that may wait for the peer's flow control before the connection is closed.</summary>
    public const int MaxPendingInstructionBytes = 64 * 1024;

    private readonly object _gate = new();
    private readonly QpackDynamicTable _table;
    private readonly QpackEncoderStreamParser _encoderStream;
    private readonly List<Blocked> _blocked = [];
    private long _knownReceived;

    private sealed record Blocked(long RequiredInsertCount, ulong StreamId, TaskCompletionSource Ready);

    /// <param name="maxTableCapacity">Our SETTINGS_QPACK_MAX_TABLE_CAPACITY (0: no dynamic table).</param>
    /// <param name="maxBlockedStreams">Our SETTINGS_QPACK_BLOCKED_STREAMS.</param>
    public QpackDecoderContext(ulong maxTableCapacity, int maxBlockedStreams)
    {
        MaxTableCapacity = maxTableCapacity;
        MaxBlockedStreams = maxBlockedStreams;
        _table = new QpackDynamicTable(maxTableCapacity);
        _encoderStream = new QpackEncoderStreamParser(_table);
    }

    /// <summary>Our SETTINGS_QPACK_MAX_TABLE_CAPACITY.</summary>
    public ulong MaxTableCapacity { get; }

    /// <summary>Our SETTINGS_QPACK_BLOCKED_STREAMS.</summary>
    public int MaxBlockedStreams { get; }

    /// <summary>Decoder instructions to write on our decoder stream.</summary>
    public QpackInstructionQueue Instructions { get; } = new();

    /// <summary>Entries the peer inserted (Insert and Duplicate instructions).</summary>
    public long InsertsReceived
    {
        get { lock (_gate) return _table.InsertCount; }
    }

    /// <summary>Bytes of entries the table holds now (never above the capacity the peer set, §3.2.1).</summary>
    public long TableSize
    {
        get { lock (_gate) return _table.Size; }
    }

    /// <summary>The capacity the peer's encoder set (Set Dynamic Table Capacity, §4.3.1).</summary>
    public long TableCapacity
    {
        get { lock (_gate) return _table.Capacity; }
    }

    /// <summary>Bytes of an encoder instruction that arrived only in part and waits for the rest.</summary>
    public int PendingEncoderStreamBytes
    {
        get { lock (_gate) return _encoderStream.PendingBytes; }
    }

    /// <summary>Field lines decoded through a dynamic table reference.</summary>
    public long DynamicReferencesDecoded => Interlocked.Read(ref _dynamicReferences);

    /// <summary>Field sections that had to wait for encoder-stream inserts.</summary>
    public long BlockedSections => Interlocked.Read(ref _blockedSections);

    /// <summary>Section Acknowledgments queued.</summary>
    public long SectionAcknowledgments => Interlocked.Read(ref _acks);

    /// <summary>Stream Cancellations queued.</summary>
    public long StreamCancellations => Interlocked.Read(ref _cancellations);

    /// <summary>Sections waiting for inserts now.</summary>
    public int BlockedNow
    {
        get { lock (_gate) return _blocked.Count; }
    }

    private long _dynamicReferences, _blockedSections, _acks, _cancellations;

    /// <summary>
    /// Feeds the peer's encoder stream (RFC 9204 §4.3): applies the instructions, wakes sections whose
    /// inserts arrived and acknowledges the new inserts (Insert Count Increment, §4.4.3).
    /// </summary>
    public void ProcessEncoderStream(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            long before = _table.InsertCount;
            _encoderStream.Process(data);
            long after = _table.InsertCount;
            if (after == before) return;
            for (int i = _blocked.Count - 1; i >= 0; i--)
            {
                if (_blocked[i].RequiredInsertCount <= after)
                {
                    _blocked[i].Ready.TrySetResult();
                    _blocked.RemoveAt(i);
                }
            }
            if (after > _knownReceived)
            {
                Emit(Instruction(0x00, 6, (ulong)(after - _knownReceived)));
                _knownReceived = after;
            }
        }
    }

    /// <summary>
    /// Decodes a field section of <paramref name="streamId"/>, waiting (§2.2.1) while the dynamic table lacks
    /// the inserts it needs. Errors: QPACK_DECOMPRESSION_FAILED (connection), a section too large (stream-level
    /// H3_MESSAGE_ERROR), or <see cref="OperationCanceledException"/> when <paramref name="ct"/> fires while blocked.
    /// </summary>
    public async ValueTask<List<Http3Field>> DecodeAsync(ulong streamId, ReadOnlyMemory<byte> section, long maxFieldSectionSize, CancellationToken ct)
    {
        QpackDecoder.SectionPrefix prefix;
        Blocked? wait;
        lock (_gate)
        {
            prefix = QpackDecoder.ReadPrefix(section.Span, MaxTableCapacity, _table.InsertCount);
            if (prefix.RequiredInsertCount <= _table.InsertCount) return DecodeLocked(streamId, section.Span, prefix, maxFieldSectionSize);
            // §2.1.2: more blocked streams than we allowed is a connection error.
            if (_blocked.Count >= MaxBlockedStreams)
                throw new Http3Exception(Http3ErrorCode.QpackDecompressionFailed, $"more than SETTINGS_QPACK_BLOCKED_STREAMS ({MaxBlockedStreams}) blocked streams");
            wait = new Blocked(prefix.RequiredInsertCount, streamId, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _blocked.Add(wait);
            Interlocked.Increment(ref _blockedSections);
        }
        try
        {
            await wait.Ready.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate) _blocked.Remove(wait);
            throw;
        }
        lock (_gate) return DecodeLocked(streamId, section.Span, prefix, maxFieldSectionSize);
    }

    private List<Http3Field> DecodeLocked(ulong streamId, ReadOnlySpan<byte> section, QpackDecoder.SectionPrefix prefix, long maxFieldSectionSize)
    {
        var fields = QpackDecoder.DecodeLines(section, prefix, _table, maxFieldSectionSize, out int references);
        if (references > 0) Interlocked.Add(ref _dynamicReferences, references);
        if (prefix.RequiredInsertCount > 0)
        {
            // §4.4.1: every section with a non-zero Required Insert Count is acknowledged; it raises the Known
            // Received Count (§2.1.4), so a later Insert Count Increment counts from there.
            Emit(Instruction(0x80, 7, streamId));
            Interlocked.Increment(ref _acks);
            _knownReceived = Math.Max(_knownReceived, prefix.RequiredInsertCount);
        }
        return fields;
    }

    /// <summary>
    /// The stream was reset or abandoned before its field sections were all decoded (§2.2.2.2): the encoder may
    /// drop its references on it. Not sent when our maximum capacity is 0 (§4.4.2: the encoder cannot have any).
    /// </summary>
    public void StreamCancelled(ulong streamId)
    {
        lock (_gate)
        {
            for (int i = _blocked.Count - 1; i >= 0; i--)
            {
                if (_blocked[i].StreamId == streamId)
                {
                    _blocked[i].Ready.TrySetCanceled();
                    _blocked.RemoveAt(i);
                }
            }
            if (MaxTableCapacity == 0) return;
            Emit(Instruction(0x40, 6, streamId));
            Interlocked.Increment(ref _cancellations);
        }
    }

    /// <summary>The connection is gone: blocked sections fail, nothing more is written.</summary>
    public void Close()
    {
        lock (_gate)
        {
            foreach (var b in _blocked) b.Ready.TrySetCanceled();
            _blocked.Clear();
        }
        Instructions.Complete();
    }

    private void Emit(byte[] instruction)
    {
        // §7.3: a peer that gives our decoder stream no credit must not make us queue without bound.
        if (Instructions.PendingBytes + instruction.Length > MaxPendingInstructionBytes)
            throw new Http3Exception(Http3ErrorCode.ExcessiveLoad, "the peer does not read our QPACK decoder stream");
        Instructions.Enqueue(instruction);
    }

    private static byte[] Instruction(byte pattern, int prefixBits, ulong value)
    {
        Span<byte> buf = stackalloc byte[11];
        int n = QpackInteger.Encode(buf, pattern, prefixBits, value);
        return buf[..n].ToArray();
    }
}
