using System.Collections.Concurrent;
using Pliant.Http3.Frames;
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
        : base(connection, isServer: true, (options ?? new()).LocalSettings(), (options ?? new()).MaxFrameSize, (options ?? new()).QpackEncoderTableCapacity)
    {
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _options = options ?? new Http3ServerOptions();
        _budget = new RequestBudget(_options.AbandonedRequestBudget);
    }

    /// <summary>Requests answered 425 Too Early (RFC 8470 §5.2) instead of running the handler.</summary>
    public long TooEarlyResponses => Interlocked.Read(ref _tooEarly);

    private long _tooEarly;
    private readonly RequestBudget _budget;

    /// <summary>The order in which competing responses hand DATA to QUIC (RFC 9218 §10).</summary>
    public Http3PriorityScheduler Scheduler { get; } = new();

    // Requests being served, for PRIORITY_UPDATE; and updates for streams not open yet (RFC 9218 §7: the most
    // recent one per stream, at most MaxPendingPriorityUpdates of them, the oldest dropped first).
    private readonly ConcurrentDictionary<ulong, Http3PriorityScheduler.Turn> _turns = new();
    private readonly Dictionary<ulong, Http3Priority> _pendingUpdates = [];
    private readonly Queue<ulong> _pendingOrder = new();

    /// <summary>PRIORITY_UPDATE frames for streams not yet open that are remembered (RFC 9218 §7).</summary>
    public const int MaxPendingPriorityUpdates = 128;

    /// <summary>PRIORITY_UPDATE frames remembered for streams not open yet (at most <see cref="MaxPendingPriorityUpdates"/>).</summary>
    public int PendingPriorityUpdates
    {
        get { lock (_gate) return _pendingUpdates.Count; }
    }

    /// <summary>PRIORITY_UPDATE frames received.</summary>
    public long PriorityUpdates => Interlocked.Read(ref _priorityUpdates);

    private long _priorityUpdates;

    private protected override void OnPriorityUpdate(ulong streamId, Http3Priority priority)
    {
        Interlocked.Increment(ref _priorityUpdates);
        lock (_gate)
        {
            if (_turns.TryGetValue(streamId, out var turn))
            {
                turn.Update(priority);
                return;
            }
            // Finished requests are below the highest id accepted; their updates are moot.
            if (streamId < _nextRequestId) return;
            if (!_pendingUpdates.ContainsKey(streamId))
            {
                _pendingOrder.Enqueue(streamId);
                while (_pendingOrder.Count > MaxPendingPriorityUpdates) _pendingUpdates.Remove(_pendingOrder.Dequeue());
            }
            _pendingUpdates[streamId] = priority;
        }
    }

    /// <summary>The priority a new request starts with: a PRIORITY_UPDATE that came first wins over the header (RFC 9218 §7).</summary>
    private Http3PriorityScheduler.Turn JoinScheduler(ulong streamId, IReadOnlyList<Http3Field> headers)
    {
        string? header = null;
        foreach (var h in headers)
        {
            if (h.Name != "priority") continue;
            header = header is null ? h.Value : header + ", " + h.Value; // RFC 9110 §5.3: lines combine
        }
        lock (_gate)
        {
            var priority = _pendingUpdates.Remove(streamId, out var update) ? update : Http3Priority.Parse(header);
            var turn = Scheduler.Join(streamId, priority);
            _turns[streamId] = turn;
            return turn;
        }
    }

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
    /// Graceful shutdown (RFC 9114 §5.2): GOAWAY with the first request id we will not process, wait for in-flight
    /// requests and for the peer to acknowledge every response byte (up to <paramref name="ct"/>), then close with
    /// H3_NO_ERROR.
    /// </summary>
    public async Task ShutdownAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _shuttingDown, 1) != 0) return;
        try
        {
            if (_options.GoAwayGracePeriod > TimeSpan.Zero)
            {
                // §5.2: a first GOAWAY with the largest client-initiated bidirectional stream id rejects nothing, and
                // requests already on their way are still served; the final one follows at least a round trip later.
                await SendGoAwayAsync(MaxRequestStreamId, ct).ConfigureAwait(false);
                await Task.Delay(_options.GoAwayGracePeriod, ct).ConfigureAwait(false);
            }
            ulong id;
            lock (_gate)
            {
                id = _nextRequestId;
                _goAwaySent = id;
            }
            await SendGoAwayAsync(id, ct).ConfigureAwait(false);
            await Task.WhenAll(_inFlight.Values).WaitAsync(ct).ConfigureAwait(false);
            // A handler is done once its response is queued; closing before the client has it would cut it off.
            await Connection.WaitForSendsAcknowledgedAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        Close();
    }

    /// <summary>Request streams refused unprocessed because <see cref="Http3ServerOptions.MaxConcurrentRequests"/> handlers were running.</summary>
    public long RefusedRequests => Interlocked.Read(ref _refused);

    /// <summary>Request streams the client abandoned: reset before the response completed, ended early, or malformed.</summary>
    public long AbandonedRequests => Interlocked.Read(ref _abandoned);

    /// <summary>Request streams reset because their header section did not arrive within <see cref="Http3ServerOptions.RequestHeadersTimeout"/>.</summary>
    public long HeadersTimedOut => Interlocked.Read(ref _headersTimedOut);

    private long _refused, _abandoned, _headersTimedOut;
    private int _running, _shuttingDown;

    /// <summary>The largest client-initiated bidirectional stream id a varint can carry (2^62 - 4).</summary>
    private const ulong MaxRequestStreamId = (1UL << 62) - 4;

    private protected override void OnBidirectionalStream(Stream stream, ulong streamId)
    {
        lock (_gate)
        {
            // §5.2: requests at or above the GOAWAY id are rejected, unprocessed.
            if (_goAwaySent is ulong g && streamId >= g)
            {
                stream.AbortStream(Http3ErrorCode.RequestRejected);
                stream.Dispose();
                return;
            }
            if (streamId + 4 > _nextRequestId) _nextRequestId = streamId + 4;
        }
        // Rapid reset (CVE-2023-44487): a client that resets its requests gets its QUIC stream credit back
        // at once while handlers may still run. At most MaxConcurrentRequests run; more are refused
        // unprocessed (§4.1.1: H3_REQUEST_REJECTED) and count as abandoned.
        if (Interlocked.Increment(ref _running) > _options.MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref _running);
            Interlocked.Increment(ref _refused);
            stream.AbortStream(Http3ErrorCode.RequestRejected);
            stream.Dispose();
            Abandoned();
            return;
        }
        var task = _options.InlineHandlers ? ProcessRequestAsync(stream, streamId) : Task.Run(() => ProcessRequestAsync(stream, streamId));
        if (task.IsCompleted) return; // ran to its end inline: nothing in flight
        _inFlight[streamId] = task;
        _ = task.ContinueWith(_ => _inFlight.TryRemove(streamId, out Task? _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// One abandoned request spends one unit of the budget; when it is gone the client is generating
    /// excessive load (RFC 9114 §10.5): the connection closes with H3_EXCESSIVE_LOAD.
    /// </summary>
    private void Abandoned()
    {
        Interlocked.Increment(ref _abandoned);
        if (IsClosedOrFailed) return; // the connection going away fails every stream; that is no abuse
        if (!_budget.Spend())
            Fail(new Http3Exception(Http3ErrorCode.ExcessiveLoad,
                $"client abandoned more than {_options.AbandonedRequestBudget} requests beyond those it completed"));
    }

    private async Task ProcessRequestAsync(Stream stream, ulong streamId)
    {
        CancellationToken ct = ConnectionToken;
        bool completed = false;
        try
        {
            completed = await ServeAsync(stream, streamId, ct).ConfigureAwait(false);
        }
        finally
        {
            _turns.TryRemove(streamId, out _);
            // RFC 9204 §2.2.2.2: a request that did not end normally may leave sections unread.
            if (!completed) CancelStreamDecoding(stream);
            // Every request stream is released (Pliant.Net keeps a stream until disposed).
            stream.Dispose();
            Interlocked.Decrement(ref _running);
            if (completed) _budget.Earn(); else Abandoned();
        }
    }

    /// <summary>Reads, validates and answers one request; true when a response completed normally.</summary>
    private async Task<bool> ServeAsync(Stream stream, ulong streamId, CancellationToken ct)
    {
        var reader = new Http3FrameReader(stream, MaxFrameSize);
        long maxSection = LocalSettings.MaxFieldSectionSize is ulong m ? (long)Math.Min(m, long.MaxValue) : long.MaxValue;
        Http3ServerResponse? response = null;
        try
        {
            List<Http3Field>? fields;
            bool tooLarge;
            // A request that does not deliver its header section in time gives its handler slot back
            // (a slow-HEADERS "slowloris" client would otherwise hold it as long as the connection lives).
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                deadline.CancelAfter(_options.RequestHeadersTimeout);
                try
                {
                    (fields, tooLarge) = await ReadRequestHeadersAsync(reader, maxSection, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _headersTimedOut);
                    stream.AbortStream(Http3ErrorCode.RequestRejected); // §4.1.1: not processed
                    return false;
                }
            }
            if (tooLarge)
            {
                // §4.2.2, §10.5.1: a header section larger than we accept: 431, the rest unread.
                response = new Http3ServerResponse(stream, suppressBody: false, HeadersFrame) { StatusCode = 431, ContentLength = 0 };
                await response.CompleteAsync(ct).ConfigureAwait(false);
                stream.AbortStream(Http3ErrorCode.NoError, read: true, write: false);
                return false;
            }
            if (fields is null)
            {
                // §4.1: the stream ended without a complete request.
                stream.AbortStream(Http3ErrorCode.RequestIncomplete);
                return false;
            }
            var head = Http3MessageValidator.ValidateRequest(fields);
            var body = new Http3BodyReadStream(reader, this, head.ContentLength, maxSection);
            bool early = stream.ReceivedEarlyData() || IsMarkedEarly(head.Headers);
            var turn = JoinScheduler(streamId, head.Headers);
            // QUIC's stream scheduler orders the response's data by it (RFC 9218 §10), and by each PRIORITY_UPDATE.
            turn.Changed = stream.SetPriority;
            stream.SetPriority(turn.Priority);
            var request = new Http3ServerRequest(streamId, head.Method!, head.Scheme, head.Authority, head.Path, head.Headers, body, head.ContentLength, early, turn);
            response = new Http3ServerResponse(stream, suppressBody: head.Method == "HEAD", HeadersFrame, turn);
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
                    return true; // our failure, not the client's
                }
            }
            await response.CompleteAsync(ct).ConfigureAwait(false);
            // §4.1: a complete response may be sent without the rest of the request; stop it with H3_NO_ERROR.
            if (!body.IsFinished) stream.AbortStream(Http3ErrorCode.NoError, read: true, write: false);
            return true;
        }
        catch (Http3Exception ex)
        {
            if (ex.IsStreamError) stream.AbortStream(ex.ErrorCode);
            else Fail(ex);
            return false;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            stream.AbortStream(Http3ErrorCode.RequestCancelled);
            return false;
        }
#pragma warning disable CA1031 // a request task must not fault unobserved
        catch (Exception)
        {
            stream.AbortStream(Http3ErrorCode.InternalError);
            return true;
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

    /// <summary>
    /// Reads up to the request's HEADERS frame and decodes it. Too large (the frame over MaxFrameSize or the
    /// decoded section over SETTINGS_MAX_FIELD_SECTION_SIZE) is reported, not thrown. Unknown frames before
    /// it are skipped, at most MaxFrameSize bytes of them (then H3_EXCESSIVE_LOAD on the stream, §10.5).
    /// </summary>
    private async Task<(List<Http3Field>? Fields, bool TooLarge)> ReadRequestHeadersAsync(Http3FrameReader reader, long maxSection, CancellationToken ct)
    {
        ulong skipped = 0;
        while (true)
        {
            var h = await reader.ReadFrameHeaderAsync(ct).ConfigureAwait(false);
            if (h is null) return (null, false);
            switch (h.Value.Type)
            {
                case Http3FrameType.Headers:
                    if (h.Value.Length > (ulong)MaxFrameSize) return (null, true);
                    byte[] section = await reader.ReadPayloadAsync(h.Value.Length, ct).ConfigureAwait(false);
                    try
                    {
                        return (await DecodeHeadersAsync(reader.Stream, section, maxSection, ct).ConfigureAwait(false), false);
                    }
                    catch (Http3Exception ex) when (ex.ErrorCode == Http3ErrorCode.MessageError && ex.IsStreamError)
                    {
                        return (null, true); // the decoded section passed SETTINGS_MAX_FIELD_SECTION_SIZE
                    }
                case Http3FrameType.Data:
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "DATA before HEADERS");
                case Http3FrameType.PushPromise:
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "PUSH_PROMISE from a client");
                case var t when Http3FrameType.IsControlOnly(t):
                    throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"control frame 0x{h.Value.Type:x} on a request stream");
                default:
                    if (Http3FrameType.IsHttp2Only(h.Value.Type)) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"HTTP/2 frame type 0x{h.Value.Type:x}");
                    skipped += 2 + h.Value.Length;
                    if (skipped > (ulong)MaxFrameSize)
                        throw new Http3Exception(Http3ErrorCode.ExcessiveLoad, "unknown frames before HEADERS exceed the frame size limit", isStreamError: true);
                    await reader.SkipAsync(h.Value.Length, ct).ConfigureAwait(false);
                    break;
            }
        }
    }
}
