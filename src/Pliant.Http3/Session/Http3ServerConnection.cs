using System.Collections.Concurrent;
using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;
using Pliant.Http3.Session;

namespace Pliant.Http3;

/// <summary>
/// HTTP/3 server side of one connection: accepts request streams, validates them (RFC 9114 §4), runs the
/// handler, and sends GOAWAY on graceful shutdown (§5.2).
/// </summary>
public sealed class Http3ServerConnection : Http3ConnectionBase
{
    private readonly Func<Http3ServerRequest, Http3ServerResponse, CancellationToken, Task> _handler;
    private readonly Http3ServerOptions _options;
    private readonly ConcurrentDictionary<ulong, Task> _inFlight = new();
    private readonly object _gate = new();
    private ulong _nextRequestId;   // one past the highest client bidi stream id accepted (in stream-id units)
    private ulong? _goAwaySent;

    /// <param name="connection">The QUIC connection.</param>
    /// <param name="handler">Handles one request: read <see cref="Http3ServerRequest.Body"/>, write the response.</param>
    /// <param name="options">Limits.</param>
    public Http3ServerConnection(IH3Connection connection, Func<Http3ServerRequest, Http3ServerResponse, CancellationToken, Task> handler, Http3ServerOptions? options = null)
        : base(connection, isServer: true, new Http3Settings { MaxFieldSectionSize = (options ?? new()).MaxFieldSectionSize }, (options ?? new()).MaxFrameSize)
    {
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _options = options ?? new Http3ServerOptions();
    }

    /// <summary>Requests answered 425 Too Early (RFC 8470 §5.2) instead of running the handler.</summary>
    public long TooEarlyResponses => Interlocked.Read(ref _tooEarly);

    private long _tooEarly;

    /// <summary>
    /// Opens our control/QPACK streams and serves requests until the connection closes; then waits for
    /// in-flight handlers.
    /// </summary>
    public async Task RunAsync(CancellationToken ct = default)
    {
        using var reg = ct.Register(Close);
        await OpenLocalStreamsAsync(ct).ConfigureAwait(false);
        await AcceptLoopAsync().ConfigureAwait(false);
        await Task.WhenAll(_inFlight.Values).ConfigureAwait(false);
    }

    /// <summary>
    /// Graceful shutdown: GOAWAY with the first request id we will not process, wait for in-flight
    /// requests (up to <paramref name="ct"/>), then close with H3_NO_ERROR.
    /// </summary>
    public async Task ShutdownAsync(CancellationToken ct = default)
    {
        ulong id;
        lock (_gate)
        {
            id = _nextRequestId;
            _goAwaySent = id;
        }
        try
        {
            await SendGoAwayAsync(id, ct).ConfigureAwait(false);
            await Task.WhenAll(_inFlight.Values).WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        Close();
    }

    private protected override void OnBidirectionalStream(Stream stream, ulong streamId)
    {
        lock (_gate)
        {
            // §5.2: requests at or above the GOAWAY id are rejected, unprocessed.
            if (_goAwaySent is ulong g && streamId >= g)
            {
                stream.AbortStream(Http3ErrorCode.RequestRejected);
                return;
            }
            if (streamId + 4 > _nextRequestId) _nextRequestId = streamId + 4;
        }
        var task = Task.Run(() => ProcessRequestAsync(stream, streamId));
        _inFlight[streamId] = task;
        _ = task.ContinueWith(_ => _inFlight.TryRemove(streamId, out Task? _), TaskScheduler.Default);
    }

    private async Task ProcessRequestAsync(Stream stream, ulong streamId)
    {
        CancellationToken ct = ConnectionToken;
        var reader = new Http3FrameReader(stream, MaxFrameSize);
        long maxSection = LocalSettings.MaxFieldSectionSize is ulong m ? (long)Math.Min(m, long.MaxValue) : long.MaxValue;
        Http3ServerResponse? response = null;
        try
        {
            List<Http3Field>? fields = await ReadRequestHeadersAsync(reader, maxSection, ct).ConfigureAwait(false);
            if (fields is null)
            {
                // §4.1: the stream ended without a complete request.
                stream.AbortStream(Http3ErrorCode.RequestIncomplete);
                return;
            }
            var head = Http3MessageValidator.ValidateRequest(fields);
            var body = new Http3BodyReadStream(reader, this, head.ContentLength, maxSection);
            bool early = stream.ReceivedEarlyData() || IsMarkedEarly(head.Headers);
            var request = new Http3ServerRequest(streamId, head.Method!, head.Scheme, head.Authority, head.Path, head.Headers, body, head.ContentLength, early);
            response = new Http3ServerResponse(stream, suppressBody: head.Method == "HEAD");
            try
            {
                if (early && MustWaitForHandshake(head.Method!))
                {
                    // RFC 8470 §5.2: refuse what may be a replay; the client retries after its handshake.
                    Interlocked.Increment(ref _tooEarly);
                    response.StatusCode = 425;
                    response.ContentLength = 0;
                }
                else
                {
                    await _handler(request, response, ct).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not Http3Exception and not OperationCanceledException and not IOException)
            {
                if (!response.HeadersSent)
                {
                    response.StatusCode = 500;
                    response.ContentLength = 0;
                }
                else
                {
                    // §4.1.1: abandoning a partially processed response.
                    stream.AbortStream(Http3ErrorCode.InternalError);
                    return;
                }
            }
            await response.CompleteAsync(ct).ConfigureAwait(false);
            // §4.1: a complete response may be sent without the rest of the request; stop it with H3_NO_ERROR.
            if (!body.IsFinished) stream.AbortStream(Http3ErrorCode.NoError, read: true, write: false);
        }
        catch (Http3Exception ex)
        {
            if (ex.IsStreamError) stream.AbortStream(ex.ErrorCode);
            else Fail(ex);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            stream.AbortStream(Http3ErrorCode.RequestCancelled);
        }
#pragma warning disable CA1031 // a request task must not fault unobserved
        catch (Exception)
        {
            stream.AbortStream(Http3ErrorCode.InternalError);
        }
#pragma warning restore CA1031
    }

    private bool MustWaitForHandshake(string method) => _options.EarlyDataPolicy switch
    {
        Http3EarlyDataPolicy.Accept => false,
        Http3EarlyDataPolicy.RejectAll => true,
        _ => !_options.EarlyDataMethods.Contains(method),
    };

    /// <summary>RFC 8470 §5.1: an intermediary forwarding early data says so with Early-Data: 1.</summary>
    private static bool IsMarkedEarly(IReadOnlyList<Http3Field> headers)
    {
        foreach (var h in headers)
            if (h.Name == "early-data" && h.Value.Trim() == "1") return true;
        return false;
    }

    private static async Task<List<Http3Field>?> ReadRequestHeadersAsync(Http3FrameReader reader, long maxSection, CancellationToken ct)
    {
        while (true)
        {
            var h = await reader.ReadFrameHeaderAsync(ct).ConfigureAwait(false);
            if (h is null) return null;
            switch (h.Value.Type)
            {
                case Http3FrameType.Headers:
                    return QpackDecoder.Decode(await reader.ReadPayloadAsync(h.Value.Length, ct).ConfigureAwait(false), maxSection);
                case Http3FrameType.Data:
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "DATA before HEADERS");
                case Http3FrameType.PushPromise:
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "PUSH_PROMISE from a client");
                case Http3FrameType.Settings or Http3FrameType.GoAway or Http3FrameType.MaxPushId or Http3FrameType.CancelPush:
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"control frame 0x{h.Value.Type:x} on a request stream");
                default:
                    if (Http3FrameType.IsHttp2Only(h.Value.Type)) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"HTTP/2 frame type 0x{h.Value.Type:x}");
                    await reader.SkipAsync(h.Value.Length, ct).ConfigureAwait(false);
                    break;
            }
        }
    }
}
