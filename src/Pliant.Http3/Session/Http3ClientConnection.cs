using Pliant.Http3.Frames;
using Pliant.Http3.Session;

namespace Pliant.Http3;

/// <summary>
/// HTTP/3 client over an <see cref="IH3Connection"/> (RFC 9114). QPACK without a dynamic table; no server push.
/// </summary>
public sealed class Http3ClientConnection : Http3ConnectionBase
{
    private Task? _acceptLoop;
    private readonly Http3ClientOptions _options;
    private long _tooEarlyRetries;

    private Http3ClientConnection(IH3Connection connection, Http3ClientOptions options)
        : base(connection, isServer: false, options.LocalSettings(), options.MaxFrameSize, options.QpackEncoderTableCapacity)
    {
        _options = options;
    }

    /// <summary>Requests sent again after the handshake because the server answered their early-data attempt 425.</summary>
    public long TooEarlyRetries => Interlocked.Read(ref _tooEarlyRetries);

    /// <summary>Opens the control and QPACK streams and starts accepting the server's streams.</summary>
    public static async Task<Http3ClientConnection> ConnectAsync(IH3Connection connection, Http3ClientOptions? options = null, CancellationToken ct = default)
    {
        var c = new Http3ClientConnection(connection, options ?? new Http3ClientOptions());
        await c.OpenLocalStreamsAsync(ct).ConfigureAwait(false);
        c._acceptLoop = Task.Run(c.AcceptLoopAsync, CancellationToken.None);
        return c;
    }

    /// <summary>
    /// Sends a request on a new bidirectional stream and returns once the final response header section has
    /// arrived; the content streams through <see cref="Http3Response.Content"/>. A request sent before the
    /// handshake completed (0-RTT) and answered 425 Too Early is sent once more after the handshake
    /// (RFC 8470 §5.2; see <see cref="Http3ClientOptions.RetryTooEarly"/>).
    /// </summary>
    public async Task<Http3Response> SendRequestAsync(Http3Request request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool early = !Connection.HandshakeCompleted.IsCompleted;
        long? bodyStart = request.Content is { CanSeek: true } c ? c.Position : null;
        var response = await SendOnceAsync(request, ct).ConfigureAwait(false);
        // RFC 8470 §5.2: a 425 to a request sent in early data is retried, and never in early data again;
        // a request body is resent only if it can be rewound.
        if (response.Status != 425 || !early || !_options.RetryTooEarly || (request.Content is not null && bodyStart is null) || request.ContentWriter is not null)
            return response;
        response.Dispose();
        await Connection.HandshakeCompleted.WaitAsync(ct).ConfigureAwait(false);
        if (bodyStart is long start) request.Content!.Position = start;
        Interlocked.Increment(ref _tooEarlyRetries);
        return await SendOnceAsync(request, ct).ConfigureAwait(false);
    }

    private async Task<Http3Response> SendOnceAsync(Http3Request request, CancellationToken ct)
    {
        if (Error is { } err) throw new Http3Exception(err.ErrorCode, "connection failed: " + err.Message);
        if (Closed.IsCompleted) throw new Http3Exception(Http3ErrorCode.NoError, "connection closed");
        // §5.2: no new requests after GOAWAY.
        if (PeerGoAwayId is not null) throw new Http3Exception(Http3ErrorCode.RequestRejected, "server sent GOAWAY", isStreamError: true);

        var fields = new List<Http3Field>(request.Headers.Count + 4)
        {
            new(":method", request.Method),
            new(":scheme", request.Scheme),
        };
        if (request.Authority.Length > 0) fields.Add(new(":authority", request.Authority));
        fields.Add(new(":path", request.Path));
        foreach (var h in request.Headers) fields.Add(new(h.Name.ToLowerInvariant(), h.Value));
        // RFC 9218 §5: the priority header carries the client's view; the defaults need not be sent.
        if (request.Priority != Http3Priority.Default && !request.Headers.Exists(h => h.Name.Equals("priority", StringComparison.OrdinalIgnoreCase)))
            fields.Add(new("priority", request.Priority.ToString()));

        Stream stream = await Connection.OpenStreamAsync(true, ct).ConfigureAwait(false);
        Task bodySent;
        try
        {
            await stream.WriteAsync(HeadersFrame(stream, fields), ct).ConfigureAwait(false);
            if (request.Content is null && request.ContentWriter is null && request.Trailers.Count == 0)
            {
                await stream.FlushAsync(ct).ConfigureAwait(false);
                stream.CompleteWrites();
                bodySent = Task.CompletedTask;
            }
            else
            {
                // The body is sent while the response is read, so neither side waits on the other.
                bodySent = SendBodyAsync(stream, request, ct);
            }
        }
        catch
        {
            stream.AbortStream(Http3ErrorCode.RequestCancelled);
            throw;
        }

        var reader = new Http3FrameReader(stream, MaxFrameSize);
        long maxSection = LocalSettings.MaxFieldSectionSize is ulong m ? (long)Math.Min(m, long.MaxValue) : long.MaxValue;
        try
        {
            while (true)
            {
                var fieldsIn = await ReadHeaderSectionAsync(reader, maxSection, ct).ConfigureAwait(false);
                var (status, headers, contentLength) = Http3MessageValidator.ValidateResponse(fieldsIn);
                // §4.1: interim (1xx) responses precede the final response.
                if (status < 200) continue;
                // HEAD responses and 204/304 have no content whatever content-length says (§4.1.2).
                bool noContent = request.Method == "HEAD" || status is 204 or 304;
                var body = new Http3BodyReadStream(reader, this, noContent ? null : contentLength, maxSection);
                return new Http3Response(status, headers, body, stream, bodySent, this);
            }
        }
        catch (Http3Exception ex)
        {
            if (ex.IsStreamError) stream.AbortStream(ex.ErrorCode);
            else Fail(ex);
            CancelStreamDecoding(stream);
            throw;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Cancellation resets the stream both ways (RFC 9114 §4.1.1: H3_REQUEST_CANCELLED).
            stream.AbortStream(Http3ErrorCode.RequestCancelled);
            CancelStreamDecoding(stream);
            throw;
        }
    }

    /// <summary>
    /// Sends a PRIORITY_UPDATE for the request on <paramref name="streamId"/> (RFC 9218 §7.2): the server
    /// reorders the response from then on.
    /// </summary>
    public Task SendPriorityUpdateAsync(ulong streamId, Http3Priority priority, CancellationToken ct = default)
    {
        byte[] value = System.Text.Encoding.ASCII.GetBytes(priority.ToString());
        var payload = new byte[8 + value.Length];
        int n = Pliant.Quic.Wire.VarInt.Write(payload, streamId);
        value.CopyTo(payload.AsSpan(n));
        return SendControlFrameAsync(Http3FrameWriter.Frame(Http3FrameType.PriorityUpdateRequest, payload.AsSpan(0, n + value.Length)), ct);
    }

    private async Task SendBodyAsync(Stream stream, Http3Request request, CancellationToken ct)
    {
        try
        {
            if (request.Content is { } content)
            {
                await Http3DataWriter.CopyBodyAsync(stream, content, null, ct).ConfigureAwait(false);
            }
            else if (request.ContentWriter is { } writer)
            {
                var body = new DataFrameWriteStream((data, c) => Http3DataWriter.WriteDataAsync(stream, data, null, c), c => stream.FlushAsync(c));
                await writer(body, ct).ConfigureAwait(false);
            }
            // RFC 9114 §4.1: trailers follow the content in a HEADERS frame.
            if (request.Trailers.Count > 0)
            {
                var trailers = Http3MessageValidator.ValidateTrailers(request.Trailers.ConvertAll(t => new Http3Field(t.Name.ToLowerInvariant(), t.Value)));
                await stream.WriteAsync(HeadersFrame(stream, trailers), ct).ConfigureAwait(false);
            }
            await stream.FlushAsync(ct).ConfigureAwait(false);
            stream.CompleteWrites();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The server may stop reading once it has answered (§4.1); reset our side.
            stream.AbortStream(Http3ErrorCode.RequestCancelled, read: false, write: true);
        }
    }

    private async Task<List<Http3Field>> ReadHeaderSectionAsync(Http3FrameReader reader, long maxSection, CancellationToken ct)
    {
        while (true)
        {
            var h = await reader.ReadFrameHeaderAsync(ct).ConfigureAwait(false)
                ?? throw new Http3Exception(Http3ErrorCode.MessageError, "response stream ended before a response", isStreamError: true);
            switch (h.Type)
            {
                case Http3FrameType.Headers:
                    return await DecodeHeadersAsync(reader.Stream, await reader.ReadPayloadAsync(h.Length, ct).ConfigureAwait(false), maxSection, ct).ConfigureAwait(false);
                case Http3FrameType.Data:
                    // §4.1: DATA before HEADERS.
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "DATA before HEADERS");
                case Http3FrameType.PushPromise:
                    throw new Http3Exception(Http3ErrorCode.IdError, "PUSH_PROMISE without MAX_PUSH_ID");
                case var t when Http3FrameType.IsControlOnly(t):
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"control frame 0x{h.Type:x} on a request stream");
                default:
                    if (Http3FrameType.IsHttp2Only(h.Type)) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"HTTP/2 frame type 0x{h.Type:x}");
                    await reader.SkipAsync(h.Length, ct).ConfigureAwait(false);
                    break;
            }
        }
    }

    private protected override void OnBidirectionalStream(Stream stream, ulong streamId)
    {
        // RFC 9114 §6.1: clients treat server-initiated bidirectional streams as H3_STREAM_CREATION_ERROR.
        Fail(new Http3Exception(Http3ErrorCode.StreamCreationError, "server-initiated bidirectional stream"));
    }

    /// <summary>Closes the connection with H3_NO_ERROR and waits for the accept loop to finish.</summary>
    public async Task CloseAsync()
    {
        Close();
        if (_acceptLoop != null) await _acceptLoop.ConfigureAwait(false);
    }
}
