using System.Buffers;

namespace Pliant.Quic.Streams;

/// <summary>
/// The receiving half of a byte stream (STREAM or CRYPTO): reassembles out-of-order, duplicate
/// and overlapping ranges into pooled chunks addressed by offset (each byte is copied once in and
/// once out), tracks the final size (RFC 9000 §4.5) and the highest offset received (for flow
/// control). Memory is bounded by what the flow-control window lets the peer send (chunks) and by
/// its <see cref="ReassemblyLimit"/> (out-of-order ranges, a few dozen bytes each).
/// </summary>
public sealed class ReceiveBuffer : IDisposable
{
    private static readonly ReassemblyLimit Unlimited = new(int.MaxValue, int.MaxValue, TransportErrorCode.InternalError);

    private readonly ReassemblyLimit _limit;

    /// <summary>A buffer whose out-of-order ranges count against <paramref name="limit"/> (none if null).</summary>
    public ReceiveBuffer(ReassemblyLimit? limit = null) => _limit = limit ?? Unlimited;

    /// <summary>Size of each pooled chunk.</summary>
    public const int ChunkSize = ChunkPool.ChunkSize;

    /// <summary>Pool chunks held now (diagnostics and tests).</summary>
    internal int ChunksHeld => _chunks.Count;

    private readonly Dictionary<ulong, byte[]> _chunks = new();
    private readonly RangeSet _pending = new(); // received ranges above _contiguousEnd
    private ulong _contiguousEnd;               // every byte below was received
    private ulong _readOffset;
    private ulong _maxOffset;
    private ulong? _finalSize;
    private bool _disposed;
    private Memory<byte> _target;  // a waiting reader's buffer: in-order data goes straight there
    private int _targetFilled;

    /// <summary>Offset of the next byte the application will read.</summary>
    public ulong ReadOffset => _readOffset;

    /// <summary>The highest offset (exclusive end) of any data received so far.</summary>
    public ulong MaxOffset => _maxOffset;

    /// <summary>The final size, once a FIN (or RESET_STREAM) told it.</summary>
    public ulong? FinalSize => _finalSize;

    /// <summary>End of the contiguous data available from <see cref="ReadOffset"/>.</summary>
    public ulong ContiguousEnd => _contiguousEnd;

    /// <summary>Bytes ready to read now.</summary>
    public long ReadableBytes => (long)(ContiguousEnd - _readOffset);

    /// <summary>Every byte up to the final size has been received.</summary>
    public bool IsAllReceived => _finalSize is ulong f && ContiguousEnd >= f;

    /// <summary>The application read everything up to the final size.</summary>
    public bool IsFinished => _finalSize is ulong f && _readOffset == f;

    /// <summary>Data or the end of stream can be read now.</summary>
    public bool IsReadable => ReadableBytes > 0 || IsFinished;

    /// <summary>
    /// Stores a received range. Throws FINAL_SIZE_ERROR (RFC 9000 §4.5) when data goes beyond a
    /// known final size, a FIN changes it, or a FIN is below data already received.
    /// Returns the number of bytes by which <see cref="MaxOffset"/> grew.
    /// </summary>
    public ulong Write(ulong offset, ReadOnlySpan<byte> data, bool fin)
    {
        ulong end = offset + (ulong)data.Length;
        if (end > Wire.VarInt.Max)
            throw new QuicProtocolException(TransportErrorCode.FrameEncodingError, "stream data beyond 2^62");
        if (fin) SetFinalSize(end);
        else if (_finalSize is ulong f && end > f)
            throw new QuicProtocolException(TransportErrorCode.FinalSizeError, "data beyond the final size");
        ulong grew = end > _maxOffset ? end - _maxOffset : 0;
        _maxOffset = Math.Max(_maxOffset, end);
        // Trim what is already held contiguously (read or not).
        if (end <= _contiguousEnd) return grew;
        if (offset < _contiguousEnd)
        {
            data = data[(int)(_contiguousEnd - offset)..];
            offset = _contiguousEnd;
        }
        if (offset == _readOffset && _contiguousEnd == _readOffset && _targetFilled < _target.Length && !_disposed)
        {
            // Nothing unread is held and a reader is waiting: its buffer gets the data directly,
            // which then counts as read (one copy instead of two on the receive side).
            int n = Math.Min(data.Length, _target.Length - _targetFilled);
            data[..n].CopyTo(_target.Span[_targetFilled..]);
            _targetFilled += n;
            _readOffset += (ulong)n;
            _contiguousEnd = _readOffset;
            ReleaseChunksBelow(_readOffset);
            data = data[n..];
            offset = _readOffset;
            if (data.IsEmpty)
            {
                AbsorbPending();
                return grew;
            }
        }
        // Copy only the gaps: bytes already held are not copied again. Once discarded, only the
        // ranges are tracked (to know when everything arrived).
        ulong pos = offset;
        while (!_disposed && pos < end && _pending.TryGetFirstGap(pos, end, out ulong gs, out ulong ge))
        {
            CopyIn(gs, data.Slice((int)(gs - offset), (int)(ge - gs)));
            pos = ge;
        }
        if (offset > _contiguousEnd)
        {
            int before = _pending.Count;
            _pending.Add(offset, end);
            _limit.Change(before, _pending.Count);
            return grew;
        }
        // In order: extend the contiguous prefix, absorbing pieces that arrived early.
        _contiguousEnd = end;
        AbsorbPending();
        return grew;
    }

    private void AbsorbPending()
    {
        int before = _pending.Count;
        while (!_pending.IsEmpty && _pending.First.Start <= _contiguousEnd)
        {
            var (s, e) = _pending.First;
            _pending.Remove(s, e);
            _contiguousEnd = Math.Max(_contiguousEnd, e);
        }
        _limit.Change(before, _pending.Count);
    }

    /// <summary>Returns the chunks that lie wholly below <paramref name="offset"/> (read past directly).</summary>
    private void ReleaseChunksBelow(ulong offset)
    {
        if (_chunks.Count == 0) return;
        ulong below = offset / ChunkSize;
        foreach (var key in _chunks.Keys)
        {
            if (key < below && _chunks.Remove(key, out var c)) ChunkPool.Return(c);
        }
    }

    /// <summary>Bytes delivered into the reader's buffer (<see cref="SetReadTarget"/>) so far.</summary>
    public int TargetFilled => _targetFilled;

    /// <summary>
    /// Registers a waiting reader's buffer: in-order data that arrives while nothing unread is held
    /// is copied straight into it and counts as read. Take the count with <see cref="TakeTarget"/>
    /// before the reader returns (it must not be written afterwards).
    /// </summary>
    public void SetReadTarget(Memory<byte> target)
    {
        if (_targetFilled != 0) throw new InvalidOperationException("the previous read target was not taken");
        _target = _disposed ? default : target;
    }

    /// <summary>Forgets the reader's buffer and returns how many bytes were delivered into it.</summary>
    public int TakeTarget()
    {
        int n = _targetFilled;
        _target = default;
        _targetFilled = 0;
        return n;
    }

    /// <summary>
    /// Records the final size from a RESET_STREAM or FIN; FINAL_SIZE_ERROR if it differs from a
    /// known one or is below data already received (RFC 9000 §4.5).
    /// </summary>
    public void SetFinalSize(ulong finalSize)
    {
        if (_finalSize is ulong f)
        {
            if (f != finalSize) throw new QuicProtocolException(TransportErrorCode.FinalSizeError, "final size changed");
            return;
        }
        if (finalSize < _maxOffset)
            throw new QuicProtocolException(TransportErrorCode.FinalSizeError, "final size below received data");
        _finalSize = finalSize;
    }

    /// <summary>
    /// Records a final size and the highest offset without storing data (RESET_STREAM, or data
    /// arriving after the application stopped reading). Returns the growth of <see cref="MaxOffset"/>.
    /// </summary>
    public ulong SetMaxOffset(ulong end)
    {
        if (_finalSize is ulong f && end > f)
            throw new QuicProtocolException(TransportErrorCode.FinalSizeError, "data beyond the final size");
        ulong grew = end > _maxOffset ? end - _maxOffset : 0;
        _maxOffset = Math.Max(_maxOffset, end);
        return grew;
    }

    private void CopyIn(ulong offset, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            ulong key = offset / ChunkSize;
            int inChunk = (int)(offset % ChunkSize);
            if (!_chunks.TryGetValue(key, out var chunk))
            {
                chunk = ChunkPool.Rent();
                _chunks.Add(key, chunk);
            }
            int n = Math.Min(data.Length, ChunkSize - inChunk);
            data[..n].CopyTo(chunk.AsSpan(inChunk, n));
            data = data[n..];
            offset += (ulong)n;
        }
    }

    /// <summary>
    /// Reads contiguous data into <paramref name="dest"/>; <paramref name="fin"/> is true once every
    /// byte up to the final size has been read.
    /// </summary>
    public int Read(Span<byte> dest, out bool fin)
    {
        int total = 0;
        ulong avail = _disposed ? _readOffset : _contiguousEnd; // nothing to hand out once discarded
        while (total < dest.Length && _readOffset < avail)
        {
            ulong key = _readOffset / ChunkSize;
            int inChunk = (int)(_readOffset % ChunkSize);
            int n = (int)Math.Min((ulong)Math.Min(dest.Length - total, ChunkSize - inChunk), avail - _readOffset);
            _chunks[key].AsSpan(inChunk, n).CopyTo(dest.Slice(total, n));
            total += n;
            _readOffset += (ulong)n;
            // The chunk is fully consumed: release it.
            if (_readOffset % ChunkSize == 0 && _chunks.Remove(key, out var c)) ChunkPool.Return(c);
        }
        fin = IsFinished;
        // Finished, or everything received was read and nothing waits out of order: an idle stream
        // (an HTTP/3 control or QPACK stream between instructions) holds no chunk (issue 17).
        if (fin || (_readOffset == _contiguousEnd && _pending.IsEmpty && _chunks.Count > 0)) ReleaseAll();
        return total;
    }

    /// <summary>
    /// Gives the chunks back to the pool when everything received has been read and nothing is held
    /// out of order (a later write rents again). For buffers read in bursts with long pauses, such as
    /// CRYPTO data: a pending handshake then holds no receive chunk.
    /// </summary>
    public void ReleaseIfDrained()
    {
        if (_readOffset == _contiguousEnd && _pending.IsEmpty && _chunks.Count > 0) ReleaseAll();
    }

    /// <summary>Drops all buffered data (the stream was reset or the application stopped reading).</summary>
    public void Discard()
    {
        _target = default; // nothing more is written into a reader's buffer (its count stays takeable)
        ReleaseAll();
        _disposed = true;
    }

    private void ReleaseAll()
    {
        foreach (var c in _chunks.Values) ChunkPool.Return(c);
        _chunks.Clear();
    }

    /// <summary>Out-of-order ranges held now.</summary>
    public int PendingRanges => _pending.Count;

    /// <summary>Returns the chunks to the pool and gives back the ranges counted against the limit.</summary>
    public void Dispose()
    {
        Discard();
        _limit.Change(_pending.Count, 0);
        _pending.Clear();
    }
}
