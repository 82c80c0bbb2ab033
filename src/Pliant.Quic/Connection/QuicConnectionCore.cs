using System.Net;
using Pliant.Quic.Crypto;
using Pliant.Quic.Recovery;
using Pliant.Quic.Streams;
using Pliant.Quic.Tls;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>Where a connection is in its life (RFC 9000 §10).</summary>
public enum ConnectionState
{
    Handshaking,
    Connected,
    /// <summary>We sent CONNECTION_CLOSE and answer further packets with it (RFC 9000 §10.2.1).</summary>
    Closing,
    /// <summary>The peer closed; we send nothing (RFC 9000 §10.2.2).</summary>
    Draining,
    Closed,
}

/// <summary>Routes connection IDs to connections; implemented by the endpoint.</summary>
internal interface IConnectionIdRegistry
{
    void Register(ConnectionId cid, QuicConnectionCore connection);
    void Unregister(ConnectionId cid);
    void DeriveResetToken(ConnectionId cid, Span<byte> token16);

    /// <summary>Makes the connection IDs this endpoint issues; null for random ones.</summary>
    IConnectionIdGenerator? Generator { get; }

    /// <summary>The server connection's handshake completed, or it closed before (admission counts).</summary>
    void HandshakeEnded(QuicConnectionCore connection);

    /// <summary>
    /// The application (or a plugin) acted on the connection from outside a datagram or timer: it may
    /// have output or a new timer now. The endpoint keeps such connections on its active list.
    /// </summary>
    void Activity(QuicConnectionCore connection);

    /// <summary>
    /// RFC 9000 §10.3.1: the stateless reset token of a peer connection ID the connection now sends to. A
    /// datagram that reaches no connection by its connection ID but ends with this token resets the connection.
    /// </summary>
    void RegisterResetToken(UInt128 token, QuicConnectionCore connection)
    {
    }

    /// <summary>The connection no longer uses the connection ID of <paramref name="token"/> (retired, or the connection ended).</summary>
    void UnregisterResetToken(UInt128 token, QuicConnectionCore connection)
    {
    }
}

/// <summary>
/// One QUIC connection as a sans-IO state machine (DESIGN §2). It never touches a socket, clock or
/// thread; time is passed in as microseconds on a monotonic clock. Members, by kind:
/// <list type="bullet">
/// <item><b>Handle</b>: <see cref="HandleDatagram(long, ReadOnlySpan{byte}, System.Net.IPEndPoint, EcnCodepoint)"/>, <see cref="HandleTimeout"/> — feed it input.</item>
/// <item><b>Poll</b>: <see cref="PollTransmit"/>, <see cref="PollTimeout"/>, <see cref="TryPollEvent"/> — take output.</item>
/// <item><b>Mutators</b>: streams, datagrams, <see cref="Close"/> — the application's intent.</item>
/// <item><b>Getters</b>: state and statistics.</item>
/// </list>
/// Not thread-safe: the driver serialises every call.
/// </summary>
public sealed partial class QuicConnectionCore
{
    private readonly QuicConnectionOptions _options;
    private readonly RandomSource _rng;
    private readonly PacketSpaceState[] _spaces;
    private readonly Queue<ConnectionEvent> _events = new();
    private readonly PathState _path;
    private readonly LiaGroup? _coupling; // the paths' coupled controllers (CongestionControlAlgorithm.Lia)
    private Diagnostics.QlogTrace? _qlog;
    private List<ulong>? _qlogFrameTypes; // the frame types of the packet being processed, while qlog is on
    private long _lastNowUs;
    private readonly PacketNumberSkipper _pnSkipper;
    private readonly StreamManager _streams;
    private readonly IConnectionIdRegistry? _registry;
    private TlsHandshake _tls;
    private ConnectionState _state = ConnectionState.Handshaking;

    /// <summary>The address a server connection was admitted from (the endpoint's per-address counts).</summary>
    internal IPAddress? AdmittedAddress { get; set; }

    /// <summary>True while the endpoint counts this connection as a handshake in progress.</summary>
    internal bool HandshakeCounted { get; set; }

    private QuicConnectionCore(QuicConnectionOptions options, bool isClient, IPEndPoint remote, long nowUs,
        IConnectionIdRegistry? registry)
    {
        _options = options;
        IsClient = isClient;
        if (options.MaxPathId is uint maxPathId)
        {
            // draft-ietf-quic-multipath-21 §2.1: multipath needs non-empty connection IDs; the path state is sized by the limit.
            if (maxPathId > QuicConnectionOptions.MaxPathIdLimit)
                throw new ArgumentOutOfRangeException(nameof(options), $"MaxPathId is at most {QuicConnectionOptions.MaxPathIdLimit}");
            if (options.ConnectionIdLength == 0)
                throw new ArgumentException("multipath needs connection IDs of non-zero length", nameof(options));
            if (options.PathFailureTimeout < TimeSpan.FromMilliseconds(100))
                throw new ArgumentOutOfRangeException(nameof(options), "PathFailureTimeout is at least 100 ms");
        }
        _rng = RandomSource.From(options.Random);
        _registry = registry;
        // Until the path is known to carry more, send 1200-byte datagrams (RFC 9000 §14.1); raised
        // after the handshake to the configured size when the peer allows it.
        _coupling = options.CongestionControl == CongestionControlAlgorithm.Lia ? new LiaGroup() : null;
        _path = new PathState(0, remote, Math.Clamp(options.MaxUdpPayloadSize, 1200, 65527), options.CongestionControl, _rng, _coupling);
        _spaces = [new(PacketSpace.Initial), new(PacketSpace.Handshake), new(PacketSpace.Application, _path.ApplicationNumbers)];
        _pnSkipper = new PacketNumberSkipper(_rng);
        _cids = new ConnectionIdState(this, registry, _rng, options.ConnectionIdLength, options.ActiveConnectionIdLimit);
        _streams = new StreamManager(isClient, new LocalStreamSettings
        {
            InitialMaxData = (ulong)options.InitialMaxData,
            InitialMaxStreamDataBidiLocal = (ulong)options.InitialMaxStreamData,
            InitialMaxStreamDataBidiRemote = (ulong)options.InitialMaxStreamData,
            InitialMaxStreamDataUni = (ulong)options.InitialMaxStreamData,
            MaxStreamsBidi = (ulong)options.MaxBidirectionalStreams,
            MaxStreamsUni = (ulong)options.MaxUnidirectionalStreams,
            MaxStreamWindow = (ulong)options.MaxStreamWindow,
            MaxConnectionWindow = (ulong)options.MaxConnectionWindow,
        });
        _spaces[2].Numbers.Acks.MaxAckDelayUs = (long)options.MaxAckDelay.TotalMicroseconds;
        _idleTimeoutUs = (long)options.IdleTimeout.TotalMicroseconds;
        _deadlines.Set(ConnectionTimer.Idle, nowUs + Math.Max(_idleTimeoutUs, 1));
        // RFC 9000 §10.1 leaves handshakes to the idle timeout; a server must not hold a handshake
        // that an attacker never finishes for that long (issue 11), so it has its own deadline.
        if (options.HandshakeTimeout > TimeSpan.Zero)
            _deadlines.Set(ConnectionTimer.Handshake, nowUs + (long)options.HandshakeTimeout.TotalMicroseconds);
        _lastActivityUs = nowUs;
        Version = options.InitialVersion;
        _ecnEnabled = options.EnableEcn;
        _tls = null!;
        InitOperations();
    }

    /// <summary>Creates a client connection and queues its first flight (ClientHello).</summary>
    internal static QuicConnectionCore CreateClient(QuicConnectionOptions options, IPEndPoint remote, long nowUs,
        IConnectionIdRegistry? registry)
    {
        var tlsOptions = options.Client ?? throw new ArgumentException("client options need TLS client settings", nameof(options));
        if (!QuicVersion.IsSupported(options.InitialVersion))
            throw new ArgumentException($"unsupported QUIC version 0x{options.InitialVersion:x8}", nameof(options));
        var c = new QuicConnectionCore(options, isClient: true, remote, nowUs, registry);
        // RFC 9000 §7.2: the first Destination Connection ID is random and at least 8 bytes.
        c._originalDcid = ConnectionId.Random(Math.Max(8, options.ConnectionIdLength), c._rng);
        c._cids.StartPeer(c._originalDcid);
        c._dcidForInitialKeys = c._originalDcid;
        c._initialScid = c._cids.IssueFirst();
        c._path.Validated = true; // a client is never limited by anti-amplification
        if (options.AddressToken is { Length: > 0 } token) c._token = token; // RFC 9000 §8.1.3
        c.InstallInitialKeys(c._originalDcid);
        c.StartQlog(nowUs);
        c._tls = TlsHandshake.CreateClient(tlsOptions, c.BuildLocalTransportParameters().Encode());
        if (tlsOptions.ResumptionTicket?.TransportParameters is { } remembered && tlsOptions.EnableEarlyData)
        {
            // RFC 9000 §7.4.1: 0-RTT uses the remembered flow-control and stream limits.
            c.ApplyRememberedTransportParameters(remembered);
        }
        c._tls.Start();
        c.ProcessTlsEvents(nowUs);
        return c;
    }

    /// <summary>Creates a server connection for a client's first Initial packet.</summary>
    internal static QuicConnectionCore CreateServer(QuicConnectionOptions options, IPEndPoint remote, long nowUs,
        uint version, ConnectionId clientDcid, ConnectionId clientScid, ConnectionId originalDcid,
        ConnectionId? retryScid, bool addressValidated, IConnectionIdRegistry? registry)
    {
        var tlsOptions = options.Server ?? throw new ArgumentException("server options need TLS server settings", nameof(options));
        var c = new QuicConnectionCore(options, isClient: false, remote, nowUs, registry);
        c.Version = version;
        c._originalDcid = originalDcid;
        c._retryScid = retryScid;
        c._cids.StartPeer(clientScid);
        c._initialScid = c._cids.IssueFirst();
        c._cids.ClientInitialDcid = clientDcid;
        registry?.Register(clientDcid, c);
        if (addressValidated) c.MarkCurrentPathValidated();
        c.InstallInitialKeys(clientDcid);
        c.StartQlog(nowUs);
        c._tls = TlsHandshake.CreateServer(tlsOptions, c.BuildLocalTransportParameters().Encode());
        c._tls.ClientTransportParametersReceived = c.ChooseCompatibleVersion;
        return c;
    }

    // ---- Getters ----

    /// <summary>True on the client side.</summary>
    public bool IsClient { get; }

    /// <summary>True once the handshake completed.</summary>
    public bool IsConnected => _handshakeComplete && _state == ConnectionState.Connected;

    /// <summary>True once the connection is fully closed (draining over); the driver may drop it.</summary>
    public bool IsClosed => _state == ConnectionState.Closed;

    private void StartQlog(long nowUs)
    {
        if (_options.QlogDirectory is not { } directory) return;
        _qlog = Diagnostics.QlogTrace.Open(directory, _originalDcid.Span, IsClient, nowUs, _options.QlogFormat);
        if (_qlog is null) return;
        _qlogFrameTypes = [];
        _qlog.ConnectionStarted(nowUs, RemoteEndPoint, Version);
    }

    /// <summary>The path a packet event names in the qlog: its ID on a multipath connection, none otherwise.</summary>
    private long QlogPath(PathState path) => _mp is null ? Diagnostics.QlogRecord.NoPath : (long)path.Id;

    /// <summary>quic:congestion_state_updated when <paramref name="path"/>'s controller changed state since it was last logged.</summary>
    private void QlogCongestionState(long nowUs, PathState path)
    {
        byte state = Diagnostics.QlogRecord.CongestionStateCode(path.Congestion);
        if (state == path.QlogCongestionState) return;
        _qlog?.CongestionStateUpdated(nowUs, path.QlogCongestionState, state, QlogPath(path));
        path.QlogCongestionState = state;
    }

    private void StopQlog()
    {
        _qlog?.Dispose();
        _qlog = null;
        _qlogFrameTypes = null;
    }

    /// <summary>Where the connection is in its life.</summary>
    public ConnectionState State => _state;

    /// <summary>The peer's current address.</summary>
    public IPEndPoint RemoteEndPoint
    {
        get => _path.Remote;
        private set => _path.Remote = value;
    }

    /// <summary>The negotiated ALPN protocol, once known.</summary>
    public string? ApplicationProtocol => _tls.ApplicationProtocol;

    /// <summary>The QUIC version in use.</summary>
    public uint Version { get; private set; }

    /// <summary>The negotiated cipher suite, once known.</summary>
    public CipherSuite? CipherSuite => _tls.Suite;

    /// <summary>True when the TLS handshake resumed an earlier session.</summary>
    public bool IsResumed => _tls.IsResumed;

    /// <summary>True when the server accepted our 0-RTT data (client), or we accepted the client's (server).</summary>
    public bool EarlyDataAccepted => _tls.EarlyDataAccepted == true;

    /// <summary>The server name the client asked for (server side) or used (client side).</summary>
    public string? ServerName => IsClient ? _options.Client?.ServerName : _tls.ServerName;

    /// <summary>The peer's certificate (client side), once validated.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? PeerCertificate => _tls.PeerCertificate;

    /// <summary>True once the handshake is confirmed (RFC 9001 §4.1.2).</summary>
    public bool HandshakeConfirmed => _handshakeConfirmed;

    /// <summary>True on a resuming client that holds 0-RTT keys before the handshake completed (RFC 9001 §4.6.1).</summary>
    public bool CanSendEarlyData => IsClient && !_handshakeComplete && _zeroRttSendKeys is not null &&
                                   _state == ConnectionState.Handshaking;

    /// <summary>Counters for diagnostics and benchmarks.</summary>
    public ConnectionStatistics Statistics { get; } = new();

    /// <summary>Smoothed RTT in microseconds (RFC 9002 §5.3).</summary>
    public long SmoothedRttUs => _path.Rtt.SmoothedRtt;

    /// <summary>Current congestion window in bytes.</summary>
    public long CongestionWindow => _path.Congestion.Window;

    /// <summary>The built-in controller (under any operation adapter), for tests and diagnostics.</summary>
    internal ICongestionController NativeCongestionController => _path.Congestion is Operations.OperationCongestionController a ? a.Native : _path.Congestion;

    /// <summary>Number of 1-RTT key updates completed (RFC 9001 §6).</summary>
    public int KeyUpdates => _keyUpdates;

    /// <summary>Why the connection closed, once it has.</summary>
    public ConnectionEvent? CloseInfo { get; private set; }

    // ---- Events ----

    /// <summary>Takes the next event for the application.</summary>
    public bool TryPollEvent(out ConnectionEvent connectionEvent)
    {
        if (_events.TryDequeue(out connectionEvent)) return true;
        if (_receivedDatagrams.TryDequeue(out var datagram))
        {
            connectionEvent = new ConnectionEvent(ConnectionEventKind.DatagramReceived, Data: datagram);
            return true;
        }
        return _streams.TryPollEvent(out connectionEvent);
    }

    /// <summary>True when <see cref="TryPollEvent"/> has something.</summary>
    internal bool HasEvents => _events.Count > 0 || _receivedDatagrams.Count > 0 || _streams.HasEvents;

    /// <summary>Received DATAGRAMs held for <see cref="TryPollEvent"/> at most; beyond, the oldest is dropped (RFC 9221 §5).</summary>
    public const int MaxQueuedDatagrams = 256;

    private readonly Queue<byte[]> _receivedDatagrams = new();

    private void OnDatagramReceived(ReadOnlySpan<byte> data)
    {
        if (_receivedDatagrams.Count >= MaxQueuedDatagrams)
        {
            _receivedDatagrams.Dequeue();
            Statistics.DatagramsDropped++;
        }
        _receivedDatagrams.Enqueue(data.ToArray());
    }

    private void Raise(in ConnectionEvent e) => _events.Enqueue(e);

    // ---- Mutators ----

    /// <summary>Where the endpoint keeps this connection: active list, timer heap (only the endpoint touches it).</summary>
    internal EndpointSlot Slot;

    /// <summary>Tells the endpoint this connection may have output or a new timer (every mutator calls it).</summary>
    internal void NoteActivity() => _registry?.Activity(this);

    /// <summary>Opens a stream; false when the peer's stream limit is reached (wait for StreamsAvailable).</summary>
    public bool TryOpenStream(bool bidirectional, out ulong streamId)
    {
        NoteActivity();
        ThrowIfClosed();
        if (!_handshakeComplete && _zeroRttSendKeys is null)
            throw new InvalidOperationException("streams can be opened once the handshake completes (or with 0-RTT keys)");
        return _streams.TryOpenStream(bidirectional, out streamId);
    }

    /// <summary>True when all stream data written so far (and every requested end of stream) was acknowledged by the peer.</summary>
    public bool StreamSendsAcknowledged => _streams.AllSendsAcknowledged;

    /// <summary>
    /// Queues data on a stream; returns how many bytes were taken (fewer than offered when the
    /// stream's send buffer is full — wait for StreamWritable). <paramref name="fin"/> ends the stream
    /// once every offered byte was taken.
    /// </summary>
    public int StreamWrite(ulong streamId, ReadOnlySpan<byte> data, bool fin)
    {
        NoteActivity();
        ThrowIfClosed();
        return _streams.Write(streamId, data, fin);
    }

    /// <summary>Reads received data in order; <paramref name="fin"/> is true once the stream's end was read.</summary>
    public int StreamRead(ulong streamId, Span<byte> destination, out bool fin)
    {
        NoteActivity(); // reading may free flow-control credit (MAX_STREAM_DATA, MAX_DATA)
        return _streams.Read(streamId, destination, out fin);
    }

    /// <summary>
    /// A reader waits with <paramref name="target"/>: in-order data arriving meanwhile is copied
    /// straight into it (one copy on the receive side instead of two). Raises
    /// <see cref="ConnectionEventKind.StreamReadable"/> when some arrived; the reader then calls
    /// <see cref="StreamTakeDirect"/> before it touches the buffer.
    /// </summary>
    public void StreamSetReadTarget(ulong streamId, Memory<byte> target)
    {
        NoteActivity();
        _streams.SetReadTarget(streamId, target);
    }

    /// <summary>Ends a <see cref="StreamSetReadTarget"/> wait: the bytes delivered into the buffer, accounted as read.</summary>
    public int StreamTakeDirect(ulong streamId, out bool fin)
    {
        NoteActivity();
        return _streams.TakeDirect(streamId, out fin);
    }

    /// <summary>
    /// True when some of the stream's data arrived in 0-RTT packets (server): it may have been replayed
    /// (RFC 9001 §9.2, RFC 8470). False for a stream already closed and forgotten.
    /// </summary>
    public bool StreamReceivedEarlyData(ulong streamId) => _streams.ReceivedEarlyData(streamId);

    /// <summary>
    /// Sets the sending priority of a stream (RFC 9218 §4: urgency 0-7, incremental): the stream scheduler sends more
    /// urgent streams first and, at one urgency, non-incremental streams one at a time by id (§10). HTTP/3 passes each
    /// request's priority and PRIORITY_UPDATE changes. A stream that is closed or cannot send is left alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An urgency outside 0..7.</exception>
    public void StreamSetPriority(ulong streamId, StreamPriority priority)
    {
        NoteActivity();
        _streams.SetPriority(streamId, priority);
    }

    /// <summary>The stream's sending priority (<see cref="StreamPriority.Unset"/> for one never given one).</summary>
    public StreamPriority StreamGetPriority(ulong streamId) => _streams.GetPriority(streamId);

    /// <summary>Abruptly ends the sending side (RESET_STREAM, RFC 9000 §19.4).</summary>
    public void StreamReset(ulong streamId, ulong errorCode)
    {
        NoteActivity();
        if (_state is ConnectionState.Closed or ConnectionState.Draining or ConnectionState.Closing) return;
        _streams.Reset(streamId, errorCode);
    }

    /// <summary>Asks the peer to stop sending (STOP_SENDING, RFC 9000 §19.5).</summary>
    public void StreamStopSending(ulong streamId, ulong errorCode)
    {
        NoteActivity();
        if (_state is ConnectionState.Closed or ConnectionState.Draining or ConnectionState.Closing) return;
        _streams.StopSending(streamId, errorCode);
    }

    /// <summary>Sends an unreliable datagram (RFC 9221); false if too large, not negotiated, or the queue is full.</summary>
    public bool SendDatagram(ReadOnlySpan<byte> data)
    {
        NoteActivity();
        ThrowIfClosed();
        if (_peerMaxDatagramFrameSize == 0) return false;
        // type + length varint + data must fit the peer's limit and one packet.
        int frameLength = 1 + VarInt.Length((ulong)data.Length) + data.Length;
        if ((ulong)frameLength > _peerMaxDatagramFrameSize || frameLength > _path.DatagramSize - 64) return false;
        if (_datagramQueue.Count >= 256) return false;
        _datagramQueue.Enqueue(data.ToArray());
        return true;
    }

    /// <summary>Starts a 1-RTT key update (RFC 9001 §6.1); false when one is still in progress or keys are not ready.</summary>
    public bool InitiateKeyUpdate()
    {
        NoteActivity();
        return TryInitiateKeyUpdate();
    }

    /// <summary>
    /// Sends an ack-eliciting PING soon (RFC 9000 §19.2), as a probe (not held by congestion control or
    /// pacing): e.g. so the peer sees a new local address at once. False before 1-RTT keys or once closing.
    /// </summary>
    public bool SendPing()
    {
        NoteActivity();
        var app = _spaces[(int)PacketSpace.Application];
        if (_state != ConnectionState.Connected || app.Discarded || app.SendKeys is null) return false;
        app.ProbesPending = Math.Max(app.ProbesPending, 1);
        return true;
    }

    /// <summary>Closes the connection with an application error code (CONNECTION_CLOSE type 0x1d).</summary>
    public void Close(long nowUs, ulong applicationErrorCode, string reason)
    {
        NoteActivity();
        if (_state is ConnectionState.Closing or ConnectionState.Draining or ConnectionState.Closed) return;
        EnterClosing(nowUs, applicationErrorCode, reason, isApplication: true, frameType: 0, isLocal: true);
    }

    private void ThrowIfClosed()
    {
        if (_state is ConnectionState.Closing or ConnectionState.Draining or ConnectionState.Closed)
            throw new InvalidOperationException("the connection is closed");
    }
}

/// <summary>Counters kept by a connection.</summary>
public sealed class ConnectionStatistics
{
    public long DatagramsSent;
    public long DatagramsReceived;
    public long PacketsSent;
    public long PacketsReceived;
    public long PacketsLost;
    public long PacketsDropped;
    public long BytesSent;
    public long BytesReceived;
    public long StreamBytesRetransmitted;
    public long CongestionEvents;
    public long PtoCount;

    /// <summary>Datagrams not built because the congestion window was full (ACK-only packets may still go).</summary>
    public long CongestionLimited;

    /// <summary>Datagrams not built because the pacer asked to wait (RFC 9002 §7.7).</summary>
    public long PacingLimited;

    /// <summary>Received DATAGRAMs dropped because <see cref="QuicConnectionCore.MaxQueuedDatagrams"/> were waiting.</summary>
    public long DatagramsDropped;

    /// <summary>PATH_CHALLENGEs not answered: over the rate limit, or the address's 3x allowance was spent.</summary>
    public long PathResponsesLimited;

    /// <summary>Multipath: paths abandoned, by either side (draft-ietf-quic-multipath-21 §3.4).</summary>
    public long PathsAbandoned;

    /// <summary>Multipath: path validations that failed (the path was then abandoned).</summary>
    public long PathValidationsFailed;
}
