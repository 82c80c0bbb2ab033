using Pliant.Http3.Frames;

namespace Pliant.Http3.Session;

/// <summary>
/// Read-only stream over the DATA frames of a request or response (RFC 9114 §4.1), as they arrive.
/// Trailers end the content; content-length is checked against the DATA received (§4.1.2).
/// </summary>
internal sealed class Http3BodyReadStream : Stream
{
    private readonly Http3FrameReader _reader;
    private readonly Http3ConnectionBase _owner;
    private readonly long? _contentLength;
    private readonly long _maxFieldSectionSize;
    private ulong _remaining;
    private long _received;
    private bool _trailersSeen;
    private bool _done;

    public Http3BodyReadStream(Http3FrameReader reader, Http3ConnectionBase owner, long? contentLength, long maxFieldSectionSize)
    {
        _reader = reader;
        _owner = owner;
        _contentLength = contentLength;
        _maxFieldSectionSize = maxFieldSectionSize;
    }

    /// <summary>True once the end of the stream was reached (or an error ended reading).</summary>
    public bool IsFinished => _done;

    /// <summary>Trailer fields, once the content has been read to the end.</summary>
    public IReadOnlyList<Http3Field>? Trailers { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _done) return 0;
        try
        {
            while (true)
            {
                if (_remaining > 0)
                {
                    int want = (int)Math.Min((ulong)buffer.Length, _remaining);
                    int n = await _reader.ReadSomeAsync(buffer[..want], cancellationToken).ConfigureAwait(false);
                    if (n == 0) throw new Http3Exception(Http3ErrorCode.FrameError, "stream ended inside a DATA frame");
                    _remaining -= (ulong)n;
                    _received += n;
                    if (_contentLength is long cl && _received > cl) throw Malformed("more content than content-length");
                    return n;
                }
                var h = await _reader.ReadFrameHeaderAsync(cancellationToken).ConfigureAwait(false);
                if (h is null)
                {
                    _done = true;
                    if (_contentLength is long cl && _received != cl) throw Malformed("content shorter than content-length");
                    return 0;
                }
                await HandleFrameAsync(h.Value.Type, h.Value.Length, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Http3Exception ex)
        {
            _done = true;
            if (ex.IsStreamError) _reader.Stream.AbortStream(ex.ErrorCode);
            else _owner.Fail(ex);
            throw;
        }
    }

    private async ValueTask HandleFrameAsync(ulong type, ulong length, CancellationToken ct)
    {
        switch (type)
        {
            case Http3FrameType.Data:
                // §4.1: DATA after the trailing HEADERS is an invalid sequence.
                if (_trailersSeen) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "DATA after trailers");
                _remaining = length;
                break;
            case Http3FrameType.Headers:
                if (_trailersSeen) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "HEADERS after trailers");
                _trailersSeen = true;
                byte[] payload = await _reader.ReadPayloadAsync(length, ct).ConfigureAwait(false);
                Trailers = Http3MessageValidator.ValidateTrailers(await _owner.DecodeHeadersAsync(_reader.Stream, payload, _maxFieldSectionSize, ct).ConfigureAwait(false));
                break;
            case Http3FrameType.PushPromise:
                if (_owner.IsServer) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "PUSH_PROMISE from a client");
                // §7.2.5: we never sent MAX_PUSH_ID, so every push ID is above the limit.
                throw new Http3Exception(Http3ErrorCode.IdError, "PUSH_PROMISE without MAX_PUSH_ID");
            case var t when Http3FrameType.IsControlOnly(t):
                throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"control frame 0x{type:x} on a request stream");
            default:
                if (Http3FrameType.IsHttp2Only(type)) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"HTTP/2 frame type 0x{type:x}");
                await _reader.SkipAsync(length, ct).ConfigureAwait(false);
                break;
        }
    }

    private static Http3Exception Malformed(string why) => new(Http3ErrorCode.MessageError, why, isStreamError: true);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
