using System.Buffers;

namespace Pliant.Quic.Streams;

/// <summary>
/// The sending half of a byte stream (STREAM or CRYPTO): application data is appended once into
/// pooled chunks and stays there until acknowledged. Ranges declared lost are handed out again
/// before new data, lowest offset first (RFC 9000 §13.3: retransmit the information, not the
/// packet). The acknowledged prefix is released back to the pool.
/// </summary>
public sealed class SendBuffer : IDisposable
{
    /// <summary>Size of each pooled chunk.</summary>
    public const int ChunkSize = ChunkPool.ChunkSize;

    /// <summary>Pool chunks held now (diagnostics and tests).</summary>
    internal int ChunksHeld => _chunks.Count;

    private readonly List<byte[]> _chunks = new();
    private readonly RangeSet _acked = new();
    private readonly RangeSet _lost = new();
    private ulong _chunkBase;   // stream offset of _chunks[0][0]
    private ulong _ackedPrefix; // everything below is acknowledged
    private ulong _written;     // end of appended data
    private ulong _sentEnd;     // highest offset ever sent
    private bool _disposed;

    /// <summary>Creates a buffer holding at most <paramref name="capacity"/> unacknowledged bytes.</summary>
    public SendBuffer(long capacity = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>Most unacknowledged bytes the buffer accepts (backpressure).</summary>
    public long Capacity { get; set; }

    /// <summary>Bytes written and not yet acknowledged.</summary>
    public long Buffered => (long)(_written - _ackedPrefix);

    /// <summary>Room left for <see cref="Write"/>.</summary>
    public long Available => _finRequested ? 0 : Math.Max(0, Capacity - Buffered);

    /// <summary>Total bytes appended (the final size once <see cref="IsFinRequested"/>).</summary>
    public ulong WrittenEnd => _written;

    /// <summary>The highest offset ever handed out for sending (flow-control credit consumed).</summary>
    public ulong SentEnd => _sentEnd;

    /// <summary>Everything below this offset is acknowledged.</summary>
    public ulong AckedPrefix => _ackedPrefix;

    private bool _finRequested;
    /// <summary>The application ended the stream.</summary>
    public bool IsFinRequested => _finRequested;

    /// <summary>A frame carrying FIN was sent (and not since declared lost).</summary>
    public bool IsFinSent { get; private set; }

    /// <summary>The FIN was acknowledged.</summary>
    public bool IsFinAcked { get; private set; }

    /// <summary>The last frame carrying FIN was lost and FIN must be sent again.</summary>
    public bool IsFinLost { get; private set; }

    /// <summary>All data and the FIN were acknowledged.</summary>
    public bool IsComplete => IsFinAcked && _ackedPrefix == _written;

    /// <summary>True if lost data (or a lost FIN) waits for retransmission.</summary>
    public bool HasLostData => !_lost.IsEmpty || (IsFinLost && !IsFinAcked);

    /// <summary>True if anything could be sent given the flow-control limit.</summary>
    public bool HasDataToSend(ulong flowLimitOffset) =>
        HasLostData || (_sentEnd < _written && _sentEnd < flowLimitOffset) ||
        (_finRequested && !IsFinSent && !IsFinAcked && _sentEnd == _written);

    /// <summary>True if new (never sent) data is waiting but the flow-control limit stops it.</summary>
    public bool IsBlockedBy(ulong flowLimitOffset) => _sentEnd < _written && _sentEnd >= flowLimitOffset;

    /// <summary>
    /// Appends data; returns how many bytes were accepted (fewer than offered when the buffer is
    /// full). <paramref name="fin"/> takes effect only if all of <paramref name="data"/> was accepted.
    /// </summary>
    public int Write(ReadOnlySpan<byte> data, bool fin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finRequested)
        {
            if (data.IsEmpty) return 0;
            throw new InvalidOperationException("The stream was already finished.");
        }
        int accepted = (int)Math.Min(data.Length, Math.Max(0, Capacity - Buffered));
        int done = 0;
        while (done < accepted)
        {
            int inChunk = (int)((_written - _chunkBase) % ChunkSize);
            int chunkIndex = (int)((_written - _chunkBase) / ChunkSize);
            if (chunkIndex == _chunks.Count) _chunks.Add(ChunkPool.Rent());
            int n = Math.Min(accepted - done, ChunkSize - inChunk);
            data.Slice(done, n).CopyTo(_chunks[chunkIndex].AsSpan(inChunk, n));
            done += n;
            _written += (ulong)n;
        }
        if (fin && accepted == data.Length) _finRequested = true;
        return accepted;
    }

    /// <summary>
    /// Chooses the next range to send and marks it sent: lost ranges first (lowest offset first,
    /// not limited by <paramref name="flowLimitOffset"/> since that credit was already consumed),
    /// then new data up to <paramref name="flowLimitOffset"/>. A zero-length range with
    /// <paramref name="fin"/> set is a bare FIN. Returns false if nothing can be sent.
    /// </summary>
    public bool TryGetNextRange(int maxLength, ulong flowLimitOffset, out ulong offset, out int length, out bool fin)
    {
        offset = 0; length = 0; fin = false;
        if (maxLength < 0) return false;
        if (!_lost.IsEmpty)
        {
            var (s, e) = _lost.First;
            if (maxLength == 0) return false;
            offset = s;
            length = (int)Math.Min((ulong)maxLength, e - s);
            _lost.Remove(s, s + (ulong)length);
            if (offset + (ulong)length == _written && _finRequested && (IsFinLost || !IsFinSent) && !IsFinAcked)
                MarkFinSent(out fin);
            return true;
        }
        if (IsFinLost && !IsFinAcked && _sentEnd == _written)
        {
            // Only the FIN was lost (RFC 9000 §13.3: the FIN travels with the final size).
            offset = _written;
            MarkFinSent(out fin);
            return true;
        }
        ulong limit = Math.Min(_written, flowLimitOffset);
        if (_sentEnd < limit && maxLength > 0)
        {
            offset = _sentEnd;
            length = (int)Math.Min((ulong)maxLength, limit - _sentEnd);
            _sentEnd += (ulong)length;
            if (_sentEnd == _written && _finRequested && !IsFinSent && !IsFinAcked) MarkFinSent(out fin);
            return true;
        }
        if (_finRequested && !IsFinSent && !IsFinAcked && _sentEnd == _written)
        {
            offset = _written;
            MarkFinSent(out fin);
            return true;
        }
        return false;
    }

    private void MarkFinSent(out bool fin)
    {
        IsFinSent = true;
        IsFinLost = false;
        fin = true;
    }

    /// <summary>Copies the stored bytes starting at <paramref name="offset"/> into <paramref name="dest"/>.</summary>
    public void CopyTo(ulong offset, Span<byte> dest)
    {
        if (offset < _chunkBase || offset + (ulong)dest.Length > _written)
            throw new ArgumentOutOfRangeException(nameof(offset), "Range is not buffered.");
        int done = 0;
        while (done < dest.Length)
        {
            ulong rel = offset + (ulong)done - _chunkBase;
            int chunkIndex = (int)(rel / ChunkSize);
            int inChunk = (int)(rel % ChunkSize);
            int n = Math.Min(dest.Length - done, ChunkSize - inChunk);
            _chunks[chunkIndex].AsSpan(inChunk, n).CopyTo(dest.Slice(done, n));
            done += n;
        }
    }

    /// <summary>Records that [offset, offset+length) (and the FIN if set) was acknowledged.</summary>
    public void OnAcked(ulong offset, int length, bool fin)
    {
        if (_disposed) return;
        ulong end = offset + (ulong)length;
        if (fin) { IsFinAcked = true; IsFinLost = false; }
        if (end <= _ackedPrefix) return;
        offset = Math.Max(offset, _ackedPrefix);
        if (!_lost.IsEmpty) _lost.Remove(offset, end);
        if (offset > _ackedPrefix)
        {
            _acked.Add(offset, end);
            return;
        }
        // In-order acknowledgement: move the prefix without touching the range set, then absorb
        // ranges acknowledged earlier out of order.
        _ackedPrefix = end;
        while (!_acked.IsEmpty && _acked.First.Start <= _ackedPrefix)
        {
            var (s, e) = _acked.First;
            _acked.Remove(s, e);
            _ackedPrefix = Math.Max(_ackedPrefix, e);
        }
        // Release chunks the acknowledged prefix has passed.
        while (_chunks.Count > 0 && _ackedPrefix - _chunkBase >= ChunkSize)
        {
            ChunkPool.Return(_chunks[0]);
            _chunks.RemoveAt(0);
            _chunkBase += ChunkSize;
        }
        // Everything written is acknowledged: an idle stream (an HTTP/3 control stream after SETTINGS)
        // holds no chunk; the next write rents one with the base at the new offset (issue 17: memory
        // per idle connection).
        if (_ackedPrefix == _written && _chunks.Count > 0)
        {
            foreach (var c in _chunks) ChunkPool.Return(c);
            _chunks.Clear();
            _chunkBase = _written;
        }
    }

    /// <summary>Records that a frame carrying [offset, offset+length) (and FIN if set) was lost.</summary>
    public void OnLost(ulong offset, int length, bool fin)
    {
        if (_disposed) return;
        ulong end = offset + (ulong)length;
        if (fin && !IsFinAcked) { IsFinLost = true; IsFinSent = false; }
        offset = Math.Max(offset, _ackedPrefix);
        // Only the parts not acknowledged since (another copy may have arrived).
        ulong pos = offset;
        while (pos < end && _acked.TryGetFirstGap(pos, end, out ulong gs, out ulong ge))
        {
            _lost.Add(gs, ge);
            pos = ge;
        }
    }

    /// <summary>Returns the chunks to the pool; the buffer cannot be used afterwards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var c in _chunks) ChunkPool.Return(c);
        _chunks.Clear();
        _lost.Clear();
        _acked.Clear();
    }
}
