using Pliant.Quic.Connection;

namespace Pliant.Quic.Streams;

/// <summary>
/// Streams and flow control for one connection (RFC 9000 §2–4): opens and tracks streams, runs
/// the send and receive state machines, enforces and grants flow-control credit, and writes the
/// stream-related frames into packets the connection builds. Sans-IO and single-threaded: the
/// connection serialises every call.
/// </summary>
public sealed partial class StreamManager : IDisposable
{
    private readonly bool _isClient;
    private readonly LocalStreamSettings _local;
    private PeerStreamLimits? _peer;
    private readonly Dictionary<ulong, StreamState> _streams = new();
    private readonly ReassemblyLimit _reassembly = ReassemblyLimit.ForStreams();
    private readonly Queue<ConnectionEvent> _events = new();

    // Connection-level flow control (RFC 9000 §4.1).
    private readonly FlowControlSender _connSend = new(0);
    private readonly FlowControlReceiver _connRecv;

    // Streams we open: next index and the peer's MAX_STREAMS limit (a count).
    private ulong _nextLocalBidi, _nextLocalUni;
    private ulong _localBidiLimit, _localUniLimit;
    // Streams the peer opens: next index and the limit we advertised.
    private ulong _nextPeerBidi, _nextPeerUni;
    private ulong _peerBidiLimit, _peerUniLimit;

    /// <summary>Creates the manager for a client or server with our limits.</summary>
    public StreamManager(bool isClient, LocalStreamSettings local)
    {
        ArgumentNullException.ThrowIfNull(local);
        _isClient = isClient;
        _local = local;
        _connRecv = new FlowControlReceiver(local.InitialMaxData, Math.Max(local.InitialMaxData, local.MaxConnectionWindow));
        _peerBidiLimit = local.MaxStreamsBidi;
        _peerUniLimit = local.MaxStreamsUni;
    }

    /// <summary>True for the client side.</summary>
    public bool IsClient => _isClient;

    /// <summary>IDs of the streams currently tracked (diagnostics).</summary>
    public IEnumerable<ulong> ActiveStreamIds => _streams.Keys;

    /// <summary>
    /// True when everything written on every stream, and each end of stream requested, has been acknowledged (reset
    /// streams count as done): what a graceful shutdown waits for before it closes the connection (RFC 9114 §5.2).
    /// Walks the streams; not for the hot path.
    /// </summary>
    public bool AllSendsAcknowledged
    {
        get
        {
            foreach (var s in _streams.Values)
            {
                if (s.Send is not { } send || !s.CanSendData) continue;
                if (send.Buffered > 0 || (send.IsFinRequested && !send.IsFinAcked)) return false;
            }
            return true;
        }
    }

    /// <summary>New stream bytes sent (first transmissions).</summary>
    public long BytesSent { get; private set; }

    /// <summary>Stream bytes sent again after loss.</summary>
    public long BytesRetransmitted { get; private set; }

    /// <summary>Stream bytes received (growth of the highest offsets).</summary>
    public long BytesReceived { get; private set; }

    /// <summary>Connection-level credit the peer granted and we used.</summary>
    public FlowControlSender ConnectionSendCredit => _connSend;

    /// <summary>Connection-level credit we grant the peer.</summary>
    public FlowControlReceiver ConnectionReceiveCredit => _connRecv;

    /// <summary>Current MAX_STREAMS limits we advertise to the peer (bidi, uni).</summary>
    public (ulong Bidi, ulong Uni) PeerStreamLimit => (_peerBidiLimit, _peerUniLimit);

    /// <summary>Applies the peer's transport parameters (may raise limits of streams opened before).</summary>
    public void SetPeerLimits(PeerStreamLimits peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (peer.MaxStreamsBidi > 1UL << 60 || peer.MaxStreamsUni > 1UL << 60)
            throw new QuicProtocolException(TransportErrorCode.TransportParameterError, "max_streams above 2^60");
        _peer = peer;
        _connSend.OnMaxUpdate(peer.InitialMaxData);
        if (peer.MaxStreamsBidi > _localBidiLimit)
        {
            _localBidiLimit = peer.MaxStreamsBidi;
            Emit(ConnectionEventKind.StreamsAvailable, StreamId.Create(_nextLocalBidi, _isClient, true));
        }
        if (peer.MaxStreamsUni > _localUniLimit)
        {
            _localUniLimit = peer.MaxStreamsUni;
            Emit(ConnectionEventKind.StreamsAvailable, StreamId.Create(_nextLocalUni, _isClient, false));
        }
        foreach (var s in _streams.Values)
        {
            if (s.SendCredit is null) continue;
            s.SendCredit.OnMaxUpdate(PeerInitialStreamLimit(s.Id));
            Reschedule(s);
        }
    }

    /// <summary>
    /// Releases every stream's pooled buffers (the connection closed). The manager must not be used
    /// afterwards.
    /// </summary>
    public void Dispose()
    {
        foreach (var s in _streams.Values)
        {
            s.Collected = true;
            s.Send?.Dispose();
            s.Recv?.Dispose();
        }
        _streams.Clear();
        foreach (var q in _sendQueues) q.Clear();
        foreach (var l in _sequential) l.Clear();
        _levelMask = 0;
        _controlQueue.Clear();
        _connBlocked.Clear();
    }

    /// <summary>Polls the next stream event.</summary>
    public bool TryPollEvent(out ConnectionEvent e)
    {
        if (!_events.TryDequeue(out e)) return false;
        // RFC 9000 §3.2: the application learning of the reset moves the stream to "Reset Read".
        if (e.Kind == ConnectionEventKind.StreamReset && _streams.TryGetValue(e.StreamId, out var s) &&
            s.RecvState == RecvState.ResetRecvd)
        {
            s.RecvState = RecvState.ResetRead;
            TryCollect(s);
        }
        return true;
    }

    private ulong PeerInitialStreamLimit(ulong id)
    {
        if (_peer is null) return 0;
        if (StreamId.IsUnidirectional(id)) return _peer.InitialMaxStreamDataUni;
        // The peer's "bidi_local" covers streams it opened; "bidi_remote" the ones we opened.
        return StreamId.IsLocal(id, _isClient) ? _peer.InitialMaxStreamDataBidiRemote : _peer.InitialMaxStreamDataBidiLocal;
    }

    private ulong LocalInitialStreamWindow(ulong id)
    {
        if (StreamId.IsUnidirectional(id)) return _local.InitialMaxStreamDataUni;
        return StreamId.IsLocal(id, _isClient) ? _local.InitialMaxStreamDataBidiLocal : _local.InitialMaxStreamDataBidiRemote;
    }

    /// <summary>The send buffer each sending stream gets now (grown by <see cref="GrowSendBuffers"/>).</summary>
    public long SendBufferTarget => _sendBufferTarget;

    private long _sendBufferTarget = -1;

    /// <summary>
    /// Send-buffer auto-tuning: a stream's buffer holds everything from its oldest unacknowledged byte, so it must
    /// cover what the paths carry while that byte is on its way — on a long fat path or beside a slow path of a
    /// multipath connection far more than the initial 1 MiB, or the writer waits while the window is open. Raises
    /// every stream's buffer (and new streams') to <paramref name="bytes"/>, within the settings; never lowers it.
    /// Walks the streams only when the target grows by a quarter or more.
    /// </summary>
    public void GrowSendBuffers(long bytes)
    {
        if (_sendBufferTarget < 0) _sendBufferTarget = _local.SendBufferPerStream;
        long target = Math.Min(bytes, Math.Max(_local.MaxSendBufferPerStream, _local.SendBufferPerStream));
        if (target < _sendBufferTarget + (_sendBufferTarget >> 2)) return;
        _sendBufferTarget = target;
        foreach (var s in _streams.Values)
        {
            if (s.Send is not { } buf || buf.Capacity >= target) continue;
            long before = buf.Available;
            buf.Capacity = target;
            if (s.WriteBlocked && buf.Available > before)
            {
                s.WriteBlocked = false;
                Emit(ConnectionEventKind.StreamWritable, s.Id);
            }
        }
    }

    private StreamState CreateStream(ulong id)
    {
        var s = new StreamState(id);
        if (StreamId.CanSend(id, _isClient))
        {
            s.Send = new SendBuffer(_sendBufferTarget < 0 ? _local.SendBufferPerStream : _sendBufferTarget);
            s.SendCredit = new FlowControlSender(PeerInitialStreamLimit(id));
        }
        if (StreamId.CanReceive(id, _isClient))
        {
            ulong window = LocalInitialStreamWindow(id);
            s.Recv = new ReceiveBuffer(_reassembly);
            s.RecvCredit = new FlowControlReceiver(window, Math.Max(window, _local.MaxStreamWindow)) { PolicyDriven = _windowUpdateOverride is not null };
        }
        _streams.Add(id, s);
        return s;
    }

    private void Emit(ConnectionEventKind kind, ulong id, ulong code = 0) =>
        _events.Enqueue(new ConnectionEvent(kind, StreamId: id, ErrorCode: code));

    /// <summary>Removes a stream whose both parts are terminal; replenishes MAX_STREAMS for peer streams.</summary>
    private void TryCollect(StreamState s)
    {
        if (s.Collected || !s.IsSendTerminal || !s.IsRecvTerminal) return;
        s.Collected = true;
        _streams.Remove(s.Id);
        if (!s.Incremental) ForgetSequential(s);
        s.Send?.Dispose();
        s.Recv?.Dispose();
        if (!StreamId.IsLocal(s.Id, _isClient))
        {
            // Keep the peer able to open streams continuously: each closed peer stream frees one
            // slot (RFC 9000 §4.6).
            if (StreamId.IsBidirectional(s.Id)) { _peerBidiLimit++; _maxStreamsBidiPending = true; }
            else { _peerUniLimit++; _maxStreamsUniPending = true; }
        }
    }
}
