using Pliant.Http3.Frames;
using Pliant.Http3.Qpack;
using Pliant.Quic.Wire;

namespace Pliant.Http3.Session;

/// <summary>
/// What HTTP/3 clients and servers share: our control and QPACK streams, the peer's unidirectional
/// streams (RFC 9114 §6.2), SETTINGS, GOAWAY and connection errors.
/// </summary>
public abstract class Http3ConnectionBase
{
    private readonly TaskCompletionSource<Http3Settings> _peerSettings = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cts = new();
    private readonly SemaphoreSlim _controlLock = new(1, 1);
    private Stream? _control;
    private Stream? _encoder;
    private Stream? _decoder;
    private int _peerControl, _peerEncoder, _peerDecoder, _failed;
    private ulong? _lastGoAwayReceived;

    private protected Http3ConnectionBase(IH3Connection connection, bool isServer, Http3Settings localSettings, int maxFrameSize, ulong encoderTableCapacity)
    {
        Connection = connection ?? throw new ArgumentNullException(nameof(connection));
        IsServer = isServer;
        LocalSettings = localSettings;
        Decoder = new QpackDecoderContext(localSettings.QpackMaxTableCapacity, (int)Math.Min(localSettings.QpackBlockedStreams, int.MaxValue));
        Encoder = new QpackEncoderContext(encoderTableCapacity);
        // RFC 9114 §7.2.4.1: endpoints SHOULD include a reserved (GREASE) setting, 0x1f*N+0x21.
        if (!localSettings.Unknown.Exists(u => Http3FrameType.IsReserved(u.Id)))
            localSettings.Unknown.Add((0x1fUL * (ulong)Random.Shared.Next(0, 64) + 0x21, (ulong)Random.Shared.Next(0, 1 << 14)));
        MaxFrameSize = maxFrameSize;
    }

    /// <summary>The transport.</summary>
    public IH3Connection Connection { get; }

    /// <summary>True for the server side.</summary>
    public bool IsServer { get; }

    /// <summary>What we advertised (QPACK table capacity and blocked streams for our decoder, field section size).</summary>
    public Http3Settings LocalSettings { get; }

    /// <summary>Our QPACK decoder: the table the peer's encoder fills, blocked sections, our decoder instructions (RFC 9204).</summary>
    public QpackDecoderContext Decoder { get; }

    /// <summary>Our QPACK encoder: what we insert into the peer's table once its SETTINGS allow it (RFC 9204).</summary>
    public QpackEncoderContext Encoder { get; }

    /// <summary>Largest non-DATA frame payload we accept.</summary>
    public int MaxFrameSize { get; }

    /// <summary>Completes with the peer's SETTINGS (fails if the connection fails first).</summary>
    public Task<Http3Settings> PeerSettings => _peerSettings.Task;

    /// <summary>The id carried by the last GOAWAY received, if any.</summary>
    public ulong? PeerGoAwayId => _lastGoAwayReceived;

    /// <summary>The connection error that closed the connection, if one did.</summary>
    public Http3Exception? Error { get; private set; }

    /// <summary>Completes when the connection has closed (cleanly, by error, or by the peer).</summary>
    public Task Closed => _closed.Task;

    private protected CancellationToken ConnectionToken => _cts.Token;

    /// <summary>Opens our control stream (SETTINGS first) and the QPACK encoder/decoder streams.</summary>
    private protected async Task OpenLocalStreamsAsync(CancellationToken ct)
    {
        _control = await Connection.OpenStreamAsync(false, ct).ConfigureAwait(false);
        byte[] settings = Http3FrameWriter.Settings(LocalSettings);
        // RFC 9114 §6.2.1: stream type 0x00, then SETTINGS as the first frame.
        await _control.WriteAsync((byte[])[(byte)Http3StreamType.Control, .. settings], ct).ConfigureAwait(false);
        await _control.FlushAsync(ct).ConfigureAwait(false);
        // RFC 9204 §4.2: the QPACK streams; instructions are written in the order the tables changed.
        _encoder = await Connection.OpenStreamAsync(false, ct).ConfigureAwait(false);
        await _encoder.WriteAsync(new byte[] { (byte)Http3StreamType.QpackEncoder }, ct).ConfigureAwait(false);
        await _encoder.FlushAsync(ct).ConfigureAwait(false);
        _decoder = await Connection.OpenStreamAsync(false, ct).ConfigureAwait(false);
        await _decoder.WriteAsync(new byte[] { (byte)Http3StreamType.QpackDecoder }, ct).ConfigureAwait(false);
        await _decoder.FlushAsync(ct).ConfigureAwait(false);
        _ = Encoder.Instructions.PumpAsync(_encoder, ConnectionToken);
        _ = Decoder.Instructions.PumpAsync(_decoder, ConnectionToken);
    }

    /// <summary>A HEADERS frame carrying <paramref name="fields"/> encoded for <paramref name="stream"/> (RFC 9114 §7.2.2).</summary>
    internal byte[] HeadersFrame(Stream stream, IReadOnlyList<Http3Field> fields) =>
        Http3FrameWriter.Frame(Http3FrameType.Headers, Encoder.Encode(stream.GetStreamId(), fields));

    /// <summary>Decodes a HEADERS payload received on <paramref name="stream"/>, waiting while it is blocked (RFC 9204 §2.2.1).</summary>
    internal ValueTask<List<Http3Field>> DecodeHeadersAsync(Stream stream, byte[] payload, long maxFieldSectionSize, CancellationToken ct) =>
        Decoder.DecodeAsync(stream.GetStreamId() ?? 0, payload, maxFieldSectionSize, ct);

    /// <summary>A request stream ended before its field sections were all read (RFC 9204 §2.2.2.2).</summary>
    internal void CancelStreamDecoding(Stream stream)
    {
        if (stream.GetStreamId() is not ulong id || IsClosedOrFailed) return;
        try
        {
            Decoder.StreamCancelled(id);
        }
        catch (Http3Exception ex)
        {
            Fail(ex);
        }
    }

    /// <summary>Accepts peer streams until the connection closes.</summary>
    private protected async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var next = await Connection.AcceptStreamAsync(ConnectionToken).ConfigureAwait(false);
                if (next is null) break;
                var (stream, bidi, id) = next.Value;
                if (bidi) OnBidirectionalStream(stream, id);
                else _ = HandleUnidirectionalStreamAsync(stream);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Http3Exception ex)
        {
            Fail(ex);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        MarkClosed();
    }

    /// <summary>A peer-initiated bidirectional stream (a request for servers; an error for clients, §6.1).</summary>
    private protected abstract void OnBidirectionalStream(Stream stream, ulong streamId);

    /// <summary>Sends a GOAWAY frame on our control stream (§5.2).</summary>
    private protected Task SendGoAwayAsync(ulong id, CancellationToken ct) => SendControlFrameAsync(Http3FrameWriter.VarIntFrame(Http3FrameType.GoAway, id), ct);

    /// <summary>Writes a frame on our control stream (after SETTINGS; frames from several callers do not interleave).</summary>
    private protected async Task SendControlFrameAsync(byte[] frame, CancellationToken ct)
    {
        if (_control is null) return;
        await _controlLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _control.WriteAsync(frame, ct).ConfigureAwait(false);
            await _control.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _controlLock.Release();
        }
    }

    /// <summary>Closes the whole connection with <paramref name="error"/> (a connection error, RFC 9114 §8).</summary>
    public void Fail(Http3Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (Interlocked.Exchange(ref _failed, 1) != 0) return;
        Error = error;
        try
        {
            Connection.Abort((ulong)error.ErrorCode);
        }
        finally
        {
            _peerSettings.TrySetException(error);
            _cts.Cancel();
            MarkClosed();
        }
    }

    /// <summary>Closes the connection with H3_NO_ERROR.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _failed, 1) != 0) return;
        Connection.Abort((ulong)Http3ErrorCode.NoError);
        _peerSettings.TrySetException(new Http3Exception(Http3ErrorCode.NoError, "connection closed"));
        _cts.Cancel();
        MarkClosed();
    }

    private protected bool IsClosedOrFailed => Volatile.Read(ref _failed) != 0 || _closed.Task.IsCompleted;

    private void MarkClosed()
    {
        Decoder.Close();
        Encoder.Instructions.Complete();
        _peerSettings.TrySetException(new Http3Exception(Http3ErrorCode.NoError, "connection closed before SETTINGS"));
        _ = _peerSettings.Task.Exception; // observed
        _closed.TrySetResult();
    }

    private async Task HandleUnidirectionalStreamAsync(Stream stream)
    {
        // Reads of the control and QPACK streams all fail when the connection closes: kept, not thrown (issue 17).
        var reader = new Http3FrameReader(stream, MaxFrameSize, captureReadFailure: true);
        ulong? type;
        try
        {
            // §6.2: a receiver tolerates streams closed or reset before the type arrives.
            type = await reader.ReadVarIntAsync(ConnectionToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Http3Exception or IOException or OperationCanceledException or ObjectDisposedException)
        {
            stream.Dispose();
            return;
        }
        if (type is null)
        {
            stream.Dispose();
            return;
        }
        try
        {
            switch (type.Value)
            {
                case Http3StreamType.Control:
                    Unique(ref _peerControl, "control");
                    await ReadControlStreamAsync(reader).ConfigureAwait(false);
                    break;
                case Http3StreamType.QpackEncoder:
                    Unique(ref _peerEncoder, "QPACK encoder");
                    await ReadCriticalRawAsync(reader, Decoder.ProcessEncoderStream).ConfigureAwait(false);
                    break;
                case Http3StreamType.QpackDecoder:
                    Unique(ref _peerDecoder, "QPACK decoder");
                    await ReadCriticalRawAsync(reader, Encoder.CreateDecoderStreamParser().Process).ConfigureAwait(false);
                    break;
                case Http3StreamType.Push:
                    // §6.2.2: only servers push; and we never sent MAX_PUSH_ID, so any push ID is above the limit (§4.6).
                    if (IsServer) throw new Http3Exception(Http3ErrorCode.StreamCreationError, "client-initiated push stream");
                    _ = await reader.ReadVarIntAsync(ConnectionToken).ConfigureAwait(false);
                    throw new Http3Exception(Http3ErrorCode.IdError, "push stream without MAX_PUSH_ID");
                default:
                    // §6.2: unknown (and reserved) stream types are not connection errors; abort reading and
                    // let the stream go (a flood of them costs one varint read each, no state).
                    stream.AbortStream(Http3ErrorCode.StreamCreationError, read: true, write: false);
                    stream.Dispose();
                    Interlocked.Increment(ref _unknownStreams);
                    break;
            }
            // A critical stream's reads failed (the loops above return when they see that).
            if (reader.Failure is { } failure) await OnCriticalStreamFailedAsync(failure).ConfigureAwait(false);
        }
        catch (Http3Exception ex)
        {
            Fail(ex);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            await OnCriticalStreamFailedAsync(ex).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
#pragma warning disable CA1031 // a background stream task must not fault unobserved
        catch (Exception ex)
        {
            Fail(new Http3Exception(Http3ErrorCode.InternalError, "unexpected error on a unidirectional stream: " + ex.Message));
        }
#pragma warning restore CA1031
    }

    /// <summary>
    /// A critical stream's reads failed: a reset by the peer is H3_CLOSED_CRITICAL_STREAM (§6.2.1); the connection
    /// going away is not an error of ours. A QUIC transport says which (<see cref="H3TransportErrors"/>); for others,
    /// give the accept loop a moment to notice a closed connection.
    /// </summary>
    private async Task OnCriticalStreamFailedAsync(Exception failure)
    {
        if (IsClosedOrFailed || failure is OperationCanceledException || H3TransportErrors.IsConnectionGone(failure)) return;
        // Up to 2 s: on a loaded machine the accept loop can take longer than a blink to see the close.
        if (!H3TransportErrors.IsStreamReset(failure)) await Task.WhenAny(_closed.Task, Task.Delay(2000)).ConfigureAwait(false);
        if (!IsClosedOrFailed) Fail(new Http3Exception(Http3ErrorCode.ClosedCriticalStream, "critical stream reset: " + failure.Message));
    }

    private long _unknownStreams;

    /// <summary>Peer unidirectional streams of unknown or reserved types, refused (RFC 9114 §6.2).</summary>
    public long UnknownStreamsRefused => Interlocked.Read(ref _unknownStreams);

    private static void Unique(ref int flag, string what)
    {
        // §6.2.1, RFC 9204 §4.2: a second control/encoder/decoder stream is H3_STREAM_CREATION_ERROR.
        if (Interlocked.Exchange(ref flag, 1) != 0) throw new Http3Exception(Http3ErrorCode.StreamCreationError, $"second {what} stream");
    }

    private async Task ReadCriticalRawAsync(Http3FrameReader reader, ProcessRaw process)
    {
        while (true)
        {
            var chunk = await reader.ReadRawAsync(ConnectionToken).ConfigureAwait(false);
            if (chunk.IsEmpty && reader.Failure is not null) return; // the caller decides (reset or connection gone)
            if (chunk.IsEmpty) throw new Http3Exception(Http3ErrorCode.ClosedCriticalStream, "QPACK stream closed");
            process(chunk.Span);
        }
    }

    private delegate void ProcessRaw(ReadOnlySpan<byte> data);

    /// <summary>Processes the peer's control stream (RFC 9114 §6.2.1, §7.2).</summary>
    internal async Task ReadControlStreamAsync(Http3FrameReader reader)
    {
        var header = await reader.ReadFrameHeaderAsync(ConnectionToken).ConfigureAwait(false);
        if (header is null && reader.Failure is not null) return; // the caller decides (reset or connection gone)
        var first = header ?? throw new Http3Exception(Http3ErrorCode.ClosedCriticalStream, "control stream closed");
        if (first.Type != Http3FrameType.Settings) throw new Http3Exception(Http3ErrorCode.MissingSettings, $"first control frame is 0x{first.Type:x}, not SETTINGS");
        var settings = Http3Settings.Parse(await reader.ReadPayloadAsync(first.Length, ConnectionToken).ConfigureAwait(false));
        Encoder.ApplyPeerSettings(settings.QpackMaxTableCapacity, settings.QpackBlockedStreams);
        _peerSettings.TrySetResult(settings);
        while (true)
        {
            var next = await reader.ReadFrameHeaderAsync(ConnectionToken).ConfigureAwait(false);
            if (next is null && reader.Failure is not null) return; // the caller decides (reset or connection gone)
            var h = next ?? throw new Http3Exception(Http3ErrorCode.ClosedCriticalStream, "control stream closed");
            await HandleControlFrameAsync(reader, h.Type, h.Length).ConfigureAwait(false);
        }
    }

    private async Task HandleControlFrameAsync(Http3FrameReader reader, ulong type, ulong length)
    {
        switch (type)
        {
            case Http3FrameType.Settings:
                throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "second SETTINGS frame");
            case Http3FrameType.Data or Http3FrameType.Headers or Http3FrameType.PushPromise:
                throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"frame 0x{type:x} on the control stream");
            case Http3FrameType.GoAway:
            {
                ulong id = Http3FramePayload.ReadSingleVarInt(await reader.ReadPayloadAsync(length, ConnectionToken).ConfigureAwait(false), "GOAWAY");
                // §7.2.6: from a server, a client-initiated bidirectional stream id.
                if (!IsServer && id % 4 != 0) throw new Http3Exception(Http3ErrorCode.IdError, "GOAWAY id is not a client bidirectional stream");
                // §5.2: ids must not increase.
                if (_lastGoAwayReceived is ulong prev && id > prev) throw new Http3Exception(Http3ErrorCode.IdError, "GOAWAY id increased");
                _lastGoAwayReceived = id;
                OnGoAway(id);
                break;
            }
            case Http3FrameType.MaxPushId:
            {
                ulong id = Http3FramePayload.ReadSingleVarInt(await reader.ReadPayloadAsync(length, ConnectionToken).ConfigureAwait(false), "MAX_PUSH_ID");
                // §7.2.7: only clients send MAX_PUSH_ID; it must not decrease.
                if (!IsServer) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "MAX_PUSH_ID from a server");
                if (_maxPushId is ulong prev && id < prev) throw new Http3Exception(Http3ErrorCode.IdError, "MAX_PUSH_ID decreased");
                _maxPushId = id;
                break;
            }
            case Http3FrameType.PriorityUpdateRequest or Http3FrameType.PriorityUpdatePush:
            {
                // RFC 9218 §7.2: servers never send PRIORITY_UPDATE.
                if (!IsServer) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, "PRIORITY_UPDATE from a server");
                byte[] payload = await reader.ReadPayloadAsync(length, ConnectionToken).ConfigureAwait(false);
                if (!VarInt.TryRead(payload, out ulong element, out int n)) throw new Http3Exception(Http3ErrorCode.FrameError, "malformed PRIORITY_UPDATE frame");
                // §7.2: we never promise pushes, so no push ID is valid; a request-stream update names a
                // client-initiated bidirectional stream.
                if (type == Http3FrameType.PriorityUpdatePush) throw new Http3Exception(Http3ErrorCode.IdError, "PRIORITY_UPDATE for a push that was never promised");
                if (element % 4 != 0) throw new Http3Exception(Http3ErrorCode.IdError, $"PRIORITY_UPDATE for stream {element}, not a request stream");
                OnPriorityUpdate(element, Http3Priority.Parse(System.Text.Encoding.Latin1.GetString(payload, n, payload.Length - n)));
                break;
            }
            case Http3FrameType.CancelPush:
            {
                _ = Http3FramePayload.ReadSingleVarInt(await reader.ReadPayloadAsync(length, ConnectionToken).ConfigureAwait(false), "CANCEL_PUSH");
                // §7.2.3: a client never allowed pushes (no MAX_PUSH_ID); a server never promised any.
                throw new Http3Exception(Http3ErrorCode.IdError, "CANCEL_PUSH for a push that cannot exist");
            }
            default:
                if (Http3FrameType.IsHttp2Only(type)) throw new Http3Exception(Http3ErrorCode.FrameUnexpected, $"HTTP/2 frame type 0x{type:x}");
                // §9: unknown and reserved frame types are ignored.
                await reader.SkipAsync(length, ConnectionToken).ConfigureAwait(false);
                break;
        }
    }

    private ulong? _maxPushId;

    /// <summary>Called (servers) for each valid PRIORITY_UPDATE of a request stream (RFC 9218 §7.2).</summary>
    private protected virtual void OnPriorityUpdate(ulong streamId, Http3Priority priority)
    {
    }

    /// <summary>Called after a valid GOAWAY from the peer.</summary>
    private protected virtual void OnGoAway(ulong id)
    {
    }

    /// <summary>Largest varint-encodable GOAWAY id for a server (§5.2: 2^62-4).</summary>
    private protected const ulong MaxServerGoAwayId = VarInt.Max - 3;
}
