using Pliant.Quic.Wire;

namespace Pliant.Http3.Frames;

/// <summary>
/// Reads HTTP/3 frames (RFC 9114 §7.1) from a stream: the frame header, then either the whole payload
/// (non-DATA frames, bounded by <see cref="MaxFrameSize"/>) or DATA payload in pieces. Buffers reads.
/// </summary>
public sealed class Http3FrameReader
{
    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private readonly bool _captureReadFailure;
    private readonly Pliant.Net.QuicStream? _quic; // the QUIC stream under _stream, read without exceptions when capturing
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>With capture on: why the stream's reads failed (then the stream reads as ended), else null.</summary>
    public Exception? Failure { get; private set; }

    /// <param name="stream">The receive side of a QUIC stream.</param>
    /// <param name="maxFrameSize">Largest payload accepted for frames other than DATA.</param>
    public Http3FrameReader(Stream stream, int maxFrameSize = 64 * 1024) : this(stream, maxFrameSize, captureReadFailure: false)
    {
    }

    /// <param name="stream">The receive side of a QUIC stream.</param>
    /// <param name="maxFrameSize">Largest payload accepted for frames other than DATA.</param>
    /// <param name="captureReadFailure">
    /// A failed read of the stream (reset, connection closed, cancelled) ends the stream like a clean end and is kept in
    /// <see cref="Failure"/> instead of being thrown through every caller: for the long-lived control and QPACK streams,
    /// whose reads all fail when the connection closes (an exception rethrown at each await cost a short connection
    /// ~15 % of its server CPU, issue 17). The caller must check <see cref="Failure"/> wherever it sees the end.
    /// </param>
    public Http3FrameReader(Stream stream, int maxFrameSize, bool captureReadFailure)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        MaxFrameSize = maxFrameSize;
        _captureReadFailure = captureReadFailure;
        _quic = stream as Pliant.Net.QuicStream ?? (stream as QuicH3Stream)?.Inner;
        // Small: it holds frame headers, QPACK instructions and short reads; bodies read into the caller's
        // buffer directly once it is at least this large. Each open stream of an idle connection keeps
        // one (issue 17: memory per idle connection; it was 8 KiB).
        _buffer = new byte[BufferSize];
    }

    /// <summary>Size of the reader's own buffer in bytes.</summary>
    public const int BufferSize = 512;

    /// <summary>Largest non-DATA payload accepted; larger ones are H3_EXCESSIVE_LOAD.</summary>
    public int MaxFrameSize { get; }

    /// <summary>The underlying stream.</summary>
    public Stream Stream => _stream;

    /// <summary>
    /// Reads a varint; null when the stream ended cleanly before its first byte, H3_FRAME_ERROR when it
    /// ended inside it.
    /// </summary>
    public async ValueTask<ulong?> ReadVarIntAsync(CancellationToken ct)
    {
        if (!await EnsureAsync(1, ct).ConfigureAwait(false)) return null;
        int len = VarInt.LengthFromFirstByte(_buffer[_start]);
        if (!await EnsureAsync(len, ct).ConfigureAwait(false))
            throw new Http3Exception(Http3ErrorCode.FrameError, "stream ended inside a variable-length integer");
        VarInt.TryRead(_buffer.AsSpan(_start, len), out ulong v, out _);
        _start += len;
        return v;
    }

    /// <summary>Reads a frame header; null on clean end of stream at a frame boundary (RFC 9114 §7.1).</summary>
    public async ValueTask<(ulong Type, ulong Length)?> ReadFrameHeaderAsync(CancellationToken ct)
    {
        ulong? type = await ReadVarIntAsync(ct).ConfigureAwait(false);
        if (type is null) return null;
        ulong? length = await ReadVarIntAsync(ct).ConfigureAwait(false);
        if (length is null) throw new Http3Exception(Http3ErrorCode.FrameError, "stream ended inside a frame header");
        return (type.Value, length.Value);
    }

    /// <summary>Reads a whole non-DATA payload; truncation is H3_FRAME_ERROR, oversize H3_EXCESSIVE_LOAD.</summary>
    public async ValueTask<byte[]> ReadPayloadAsync(ulong length, CancellationToken ct)
    {
        if (length > (ulong)MaxFrameSize) throw new Http3Exception(Http3ErrorCode.ExcessiveLoad, $"frame of {length} bytes exceeds limit {MaxFrameSize}");
        var payload = new byte[(int)length];
        int got = 0;
        while (got < payload.Length)
        {
            int n = await ReadSomeAsync(payload.AsMemory(got), ct).ConfigureAwait(false);
            if (n == 0) throw new Http3Exception(Http3ErrorCode.FrameError, "stream ended inside a frame payload");
            got += n;
        }
        return payload;
    }

    /// <summary>
    /// Skips a payload of any size (unknown and reserved frames) through the reader's own buffer: no
    /// allocation, so a flood of unknown frames costs time linear in its bytes and no memory.
    /// </summary>
    public async ValueTask SkipAsync(ulong length, CancellationToken ct)
    {
        while (length > 0)
        {
            if (_start == _end)
            {
                if (_eof) throw new Http3Exception(Http3ErrorCode.FrameError, "stream ended inside a frame payload");
                _start = _end = 0;
                int read = await ReadStreamAsync(_buffer, ct).ConfigureAwait(false);
                if (read == 0)
                {
                    _eof = true;
                    throw new Http3Exception(Http3ErrorCode.FrameError, "stream ended inside a frame payload");
                }
                _end = read;
            }
            int n = (int)Math.Min(length, (ulong)(_end - _start));
            _start += n;
            length -= (ulong)n;
        }
    }

    /// <summary>
    /// Reads up to <paramref name="dest"/>.Length payload bytes (the caller bounds it by what remains of the
    /// DATA frame); returns 0 only at end of stream.
    /// </summary>
    public async ValueTask<int> ReadSomeAsync(Memory<byte> dest, CancellationToken ct)
    {
        if (dest.IsEmpty) return 0;
        if (_start < _end)
        {
            int n = Math.Min(dest.Length, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(dest.Span);
            _start += n;
            return n;
        }
        if (_eof) return 0;
        // Large reads bypass the buffer so a body is copied once.
        if (dest.Length >= _buffer.Length)
        {
            int r = await ReadStreamAsync(dest, ct).ConfigureAwait(false);
            if (r == 0) _eof = true;
            return r;
        }
        _start = _end = 0;
        int read = await ReadStreamAsync(_buffer, ct).ConfigureAwait(false);
        if (read == 0)
        {
            _eof = true;
            return 0;
        }
        _end = read;
        int m = Math.Min(dest.Length, read);
        _buffer.AsSpan(0, m).CopyTo(dest.Span);
        _start = m;
        return m;
    }

    /// <summary>Reads raw bytes (QPACK encoder/decoder streams); returns an empty span at end of stream.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadRawAsync(CancellationToken ct)
    {
        if (_start == _end && !await EnsureAsync(1, ct).ConfigureAwait(false)) return ReadOnlyMemory<byte>.Empty;
        var m = new ReadOnlyMemory<byte>(_buffer, _start, _end - _start).ToArray();
        _start = _end;
        return m;
    }

    private async ValueTask<bool> EnsureAsync(int count, CancellationToken ct)
    {
        while (_end - _start < count)
        {
            if (_eof) return false;
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int n = await ReadStreamAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0)
            {
                _eof = true;
                return false;
            }
            _end += n;
        }
        return true;
    }

    /// <summary>One read of the stream; with capture on, a failure is kept and reads as the end.</summary>
    private ValueTask<int> ReadStreamAsync(Memory<byte> buffer, CancellationToken ct) =>
        _captureReadFailure ? ReadCapturingAsync(buffer, ct) : _stream.ReadAsync(buffer, ct); // no extra frame on body reads

    private async ValueTask<int> ReadCapturingAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (Failure is not null) return 0;
        try
        {
            if (_quic is { } quic)
            {
                // No exception at all for the usual failure, the connection's close.
                int n = await quic.TryReadAsync(buffer, ct).ConfigureAwait(false);
                if (n >= 0) return n;
                Failure = quic.ReadFailure;
                return 0;
            }
            return await _stream.ReadAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            Failure = e;
            return 0;
        }
    }
}
