using System.Net;
using System.Threading.Channels;
using Pliant.Net.Internal;
using Pliant.Net.Internal.Core;
using Pliant.Quic.Connection;
using Pliant.Quic.Tls;

namespace Pliant.Net;

/// <summary>
/// A QUIC connection (RFC 9000), shaped like System.Net.Quic's: connect with
/// <see cref="ConnectAsync"/> or accept with <see cref="QuicListener.AcceptConnectionAsync"/>, then
/// open and accept <see cref="QuicStream"/>s. Thread-safe.
/// </summary>
public sealed partial class QuicConnection : IAsyncDisposable, IConnectionCoreOwner
{
    private readonly QuicEndpointDriver _driver;
    private readonly Dictionary<ulong, QuicStream> _streams = [];
    private readonly DriverQueue<QuicStream> _inboundStreams;
    private readonly Channel<byte[]> _datagrams;
    private long _datagramsDropped;
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly QuicConnectionOptions _options;
    private readonly Action<QuicConnection>? _onConnected;
    private TaskCompletionSource? _streamsAvailable;
    private QuicException? _closeException;
    private bool _closeRequested;
    private int _disposed;
    private int _released;
    private readonly long _createdTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
    private bool _handshakeCompleted; // under the driver lock

    internal QuicConnection(QuicEndpointDriver driver, IConnectionCore core, QuicConnectionOptions options, Action<QuicConnection>? onConnected)
    {
        _driver = driver;
        _inboundStreams = new DriverQueue<QuicStream>(driver, "Another AcceptInboundStreamAsync of this connection is already waiting.");
        Core = core;
        _options = options;
        _onConnected = onConnected;
        RemoteEndPoint = core.RemoteEndPoint;
        // A reader slower than the peer's DATAGRAMs loses the oldest ones (RFC 9221 §5: unreliable),
        // counted, instead of growing without bound.
        _datagrams = Channel.CreateBounded<byte[]>(
            new BoundedChannelOptions(Math.Max(1, options.DatagramReceiveQueueLength))
            {
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.DropOldest,
            },
            _ => Interlocked.Increment(ref _datagramsDropped));
        // Never leave these faulted and unobserved.
        // Observes a failed handshake nobody awaits; inline and only on failure (no thread-pool work item per connection).
        _connected.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    internal IConnectionCore Core { get; }

    internal QuicEndpointDriver Driver => _driver;

    /// <summary>True when the connection runs on a <see cref="QuicClientEndpoint"/> with others.</summary>
    internal bool SharedEndpoint { get; init; }

    internal QuicConnectionOptions Options => _options;

    /// <summary>Always true: Pliant needs no native QUIC library (unlike System.Net.Quic and msquic).</summary>
    public static bool IsSupported => true;

    /// <summary>The peer's address (updated if the peer migrates).</summary>
    public IPEndPoint RemoteEndPoint { get; private set; }

    /// <summary>The local socket's address.</summary>
    public IPEndPoint LocalEndPoint => _driver.LocalEndPoint;

    /// <summary>The ALPN protocol both sides agreed on (set once connected).</summary>
    public string? NegotiatedApplicationProtocol { get; private set; }

    /// <summary>True on the client side.</summary>
    public bool IsClient => Core.IsClient;

    /// <summary>The newest session ticket the server sent (client); pass it as <see cref="QuicClientConnectionOptions.ResumptionTicket"/>.</summary>
    public TlsSessionTicket? LastSessionTicket { get; private set; }

    /// <summary>Raised (on the thread pool) for each session ticket the server sends.</summary>
    public event EventHandler<TlsSessionTicket>? SessionTicketReceived;

    /// <summary>Completes when the handshake completed (useful after a 0-RTT <see cref="ConnectAsync"/>).</summary>
    public Task HandshakeCompleted => _connected.Task;

    /// <summary>The QUIC version in use (0x00000001 or 0x6b3343cf).</summary>
    public uint QuicVersion => ReadCore(c => c.Version, 0u);

    /// <summary>The TLS cipher suite, once negotiated.</summary>
    public Pliant.Quic.Crypto.CipherSuite? NegotiatedCipherSuite => ReadCore(c => c.CipherSuite, null);

    /// <summary>True when TLS resumed an earlier session.</summary>
    public bool IsResumed => ReadCore(c => c.IsResumed, false);

    /// <summary>True when the server accepted 0-RTT data.</summary>
    public bool EarlyDataAccepted => ReadCore(c => c.EarlyDataAccepted, false);

    /// <summary>1-RTT key updates completed (RFC 9001 §6).</summary>
    public int KeyUpdates => ReadCore(c => c.KeyUpdates, 0);

    /// <summary>
    /// The host name of the TLS server_name extension (RFC 6066 §3): on a server, what the client asked
    /// for (null when it sent none, e.g. when it connected to an IP address); on a client, what it sent.
    /// </summary>
    public string? TargetHostName => ReadCore(c => c.ServerName, null);

    /// <summary>The server's certificate (client side), once validated.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? RemoteCertificate => ReadCore(c => c.PeerCertificate, null);

    /// <summary>Packet and byte counters of the connection.</summary>
    public ConnectionStatistics? Statistics => ReadCore(c => c.Statistics, null);

    /// <summary>
    /// Client: moves to a new local port and migrates the connection to it (RFC 9000 §9): a fresh
    /// connection ID and path validation. Returns the new local address. Throws
    /// <see cref="InvalidOperationException"/> on a server connection or before the handshake is confirmed.
    /// </summary>
    public IPEndPoint Migrate()
    {
        if (!IsClient) throw new InvalidOperationException("only a client migrates");
        if (SharedEndpoint) throw new InvalidOperationException("a connection of a QuicClientEndpoint shares its socket: it cannot move to another one");
        lock (_driver.SyncRoot)
        {
            ThrowIfClosedLocked();
            if (Core.Real is not { HandshakeConfirmed: true }) throw new InvalidOperationException("migration needs a confirmed handshake");
        }
        var local = _driver.Rebind();
        lock (_driver.SyncRoot) Core.Real!.MigrateToNewLocalAddress(QuicEndpointDriver.NowUs);
        _driver.Wake();
        return local;
    }

    /// <summary>
    /// Client: keeps the connection but sends from a new local port without telling the QUIC layer, as a
    /// NAT rebinding would (RFC 9000 §9.3): the server sees a new address and validates it. A PING goes
    /// out from the new port at once — a NAT's new mapping appears when the client sends, and a client
    /// that is only receiving would otherwise say nothing while the peer keeps sending to the old port.
    /// For tests and for applications that know their mapping changed.
    /// </summary>
    public IPEndPoint Rebind()
    {
        if (!IsClient) throw new InvalidOperationException("only a client rebinds");
        if (SharedEndpoint) throw new InvalidOperationException("a connection of a QuicClientEndpoint shares its socket: it cannot move to another one");
        var local = _driver.Rebind();
        lock (_driver.SyncRoot) Core.Real?.SendPing();
        _driver.Wake();
        return local;
    }

    /// <summary>Starts a 1-RTT key update; false when not possible yet (handshake unconfirmed or one in progress).</summary>
    public bool InitiateKeyUpdate()
    {
        bool ok;
        lock (_driver.SyncRoot) ok = Core.Real?.InitiateKeyUpdate() ?? false;
        if (ok) _driver.Wake();
        return ok;
    }

    /// <summary>Raised (on the thread pool) when something happens to a plugin of this connection.</summary>
    public event EventHandler<QuicPluginEvent>? PluginEvent;

    private readonly List<QuicPluginEvent> _pluginEvents = [];

    /// <summary>Every plugin event of this connection so far (also those raised before a handler subscribed).</summary>
    public IReadOnlyList<QuicPluginEvent> PluginEventLog
    {
        get { lock (_pluginEvents) return [.. _pluginEvents]; }
    }

    internal void RaisePluginEvent(QuicPluginEvent e)
    {
        lock (_pluginEvents) if (_pluginEvents.Count < 1000) _pluginEvents.Add(e);
        var handler = PluginEvent;
        if (handler is not null) ThreadPool.QueueUserWorkItem(_ => handler(this, e));
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the sans-IO connection under the endpoint lock and flushes
    /// what it queued (attach a plugin, register a frame extension, read state).
    /// </summary>
    public T RunOnCore<T>(Func<QuicConnectionCore, T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        T result;
        lock (_driver.SyncRoot)
        {
            ThrowIfClosedLocked();
            result = Core.Real is { } real ? action(real) : throw new InvalidOperationException("this connection has no QUIC core");
        }
        _driver.Wake();
        return result;
    }

    /// <summary>Runs <paramref name="read"/> on the sans-IO connection under the endpoint lock.</summary>
    internal T ReadCore<T>(Func<QuicConnectionCore, T> read, T fallback)
    {
        lock (_driver.SyncRoot) return Core.Real is { } real ? read(real) : fallback;
    }

    /// <summary>Completes when the connection is closed (by either side, or idle).</summary>
    public Task Closed => _closed.Task;

    /// <summary>
    /// Connects to a server; completes when the handshake completes. Throws
    /// <see cref="QuicException"/> when the connection fails and <see cref="OperationCanceledException"/> on cancellation.
    /// </summary>
    public static async ValueTask<QuicConnection> ConnectAsync(QuicClientConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.RemoteEndPoint);
        if (options.ApplicationProtocols is null || options.ApplicationProtocols.Count == 0)
            throw new ArgumentException("At least one application protocol (ALPN) is required.", nameof(options));
        cancellationToken.ThrowIfCancellationRequested();

        var remote = options.RemoteEndPoint;
        var bind = options.LocalEndPoint ?? new IPEndPoint(
            remote.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var driver = QuicEndpointDriver.Start(bind, new QuicEndpointOptions(), options.LoggerFactory, endpointFactory: options.EndpointFactory,
            socket: options.UseManagedSocket ? new Udp.ManagedUdpSocket(bind) : null);
        return await ConnectOnAsync(driver, options, sharedEndpoint: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects through <paramref name="driver"/>, which holds one reference for this connection (released
    /// when it is disposed, or here if the connect fails).
    /// </summary>
    internal static async ValueTask<QuicConnection> ConnectOnAsync(QuicEndpointDriver driver, QuicClientConnectionOptions options,
        bool sharedEndpoint, CancellationToken cancellationToken)
    {
        var remote = options.RemoteEndPoint;
        QuicConnection connection;
        try
        {
            lock (driver.SyncRoot)
            {
                var core = driver.Endpoint.Connect(QuicEndpointDriver.NowUs, CoreOptions.ForClient(options), remote);
                if (options.EnableEarlyData && options.ResumptionTicket is not null)
                    core.Real?.DeferFirstFlight(QuicEndpointDriver.NowUs + (long)EarlyDataFlightDelay.TotalMicroseconds);
                connection = new QuicConnection(driver, core, options, onConnected: null) { SharedEndpoint = sharedEndpoint };
                if (core.Real is { } real) options.ConfigureCore?.Invoke(real);
                driver.Register(core, connection);
            }
        }
        catch
        {
            await driver.ReleaseAsync().ConfigureAwait(false);
            throw;
        }
        if (options.EnableEarlyData && options.ResumptionTicket is not null)
        {
            // RFC 9001 §4.6.1: with 0-RTT keys the application may send before the handshake ends;
            // HandshakeCompleted tells when it did. The core holds the first flight until the
            // application's first write (or EarlyDataFlightDelay), so early data leaves with the ClientHello.
            bool early;
            lock (driver.SyncRoot) early = connection.Core.CanSendEarlyData;
            if (early) return connection;
        }
        driver.Wake();

        try
        {
            await connection._connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return connection;
    }

    /// <summary>How long a 0-RTT connection waits for the application's first write before sending its first flight.</summary>
    internal static readonly TimeSpan EarlyDataFlightDelay = TimeSpan.FromSeconds(1);

    /// <summary>Opens a stream; waits while the peer's stream limit is reached (until MAX_STREAMS raises it).</summary>
    public async ValueTask<QuicStream> OpenOutboundStreamAsync(QuicStreamType type, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_driver.SyncRoot)
            {
                ThrowIfClosedLocked();
                if (Core.TryOpenStream(type == QuicStreamType.Bidirectional, out ulong id))
                {
                    var stream = new QuicStream(this, id, outbound: true);
                    _streams[id] = stream;
                    return stream;
                }
                _streamsAvailable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _streamsAvailable.Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the peer to open a stream.</summary>
    /// <exception cref="QuicException">The connection closed.</exception>
    /// <exception cref="InvalidOperationException">Another accept of this connection is already waiting.</exception>
    public async ValueTask<QuicStream> AcceptInboundStreamAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return await _inboundStreams.ReadOrNullAsync(cancellationToken).ConfigureAwait(false)
            ?? throw _closeException ?? QuicException.Aborted("The connection was closed.");
    }

    /// <summary>
    /// As <see cref="AcceptInboundStreamAsync"/>, but null instead of an exception once the connection has closed
    /// or been disposed: for accept loops, which all end that way (an exception per connection costs a server with
    /// many short connections measurable CPU). The wait resumes on the endpoint's thread, like a stream read.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">Another accept of this connection is already waiting.</exception>
    public ValueTask<QuicStream?> AcceptInboundStreamOrNullAsync(CancellationToken cancellationToken = default) =>
        _disposed != 0 ? ValueTask.FromResult<QuicStream?>(null) : _inboundStreams.ReadOrNullAsync(cancellationToken);

    /// <summary>Sends an unreliable datagram (RFC 9221); false if too large or not negotiated.</summary>
    public bool SendDatagram(ReadOnlySpan<byte> data)
    {
        bool sent;
        lock (_driver.SyncRoot)
        {
            ThrowIfClosedLocked();
            sent = Core.SendDatagram(data);
        }
        if (sent) _driver.Wake();
        return sent;
    }

    /// <summary>DATAGRAMs received but dropped because <see cref="QuicConnectionOptions.DatagramReceiveQueueLength"/> were already waiting (oldest first).</summary>
    public long DatagramsDropped => Interlocked.Read(ref _datagramsDropped);

    /// <summary>Waits for the next DATAGRAM frame from the peer (RFC 9221).</summary>
    public async ValueTask<byte[]> ReceiveDatagramAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _datagrams.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw _closeException ?? QuicException.Aborted("The connection was closed.");
        }
    }

    /// <summary>
    /// Completes once the peer has acknowledged everything written on every stream so far (and each end of stream),
    /// or the connection has closed: the step before a graceful close, since <see cref="CloseAsync"/> discards data
    /// still unacknowledged. Checks every 10 ms; bound the wait with <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task WaitForSendsAcknowledgedAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            lock (_driver.SyncRoot)
            {
                if (_closeRequested || _closeException is not null || Core.IsClosed || Core.StreamSendsAcknowledged) return;
            }
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes the connection with an application error code (CONNECTION_CLOSE 0x1d); pending
    /// operations fail with <see cref="QuicError.OperationAborted"/>. Completes once the close was sent.
    /// </summary>
    public async ValueTask CloseAsync(long errorCode, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(errorCode);
        lock (_driver.SyncRoot)
        {
            if (_closeRequested || _closeException is not null) return;
            _closeRequested = true;
            Core.Close(QuicEndpointDriver.NowUs, (ulong)errorCode, "");
        }
        await _driver.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_driver.SyncRoot)
        {
            OnClosedLocked(QuicException.Aborted("The connection was closed by the application."));
        }
    }

    /// <summary>Closes with <see cref="QuicConnectionOptions.DefaultCloseErrorCode"/> if still open and releases the socket (client).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            bool open;
            lock (_driver.SyncRoot) open = _closeException is null && !_closeRequested && _driver.Fault is null;
            if (open) await CloseAsync(_options.DefaultCloseErrorCode).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Disposing never throws; the close is best effort (the peer times out otherwise).
        }
        await ReleaseDriverAsync().ConfigureAwait(false);
    }

    /// <summary>Lets go of the endpoint (the last user stops it). Idempotent.</summary>
    internal Task ReleaseDriverAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 ? _driver.ReleaseAsync() : Task.CompletedTask;

    internal void ThrowIfClosedLocked()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_closeException is not null) throw _closeException;
    }

    internal QuicException? CloseExceptionLocked => _closeException;

    internal void RemoveStreamLocked(ulong id) => _streams.Remove(id);

    /// <inheritdoc />
    public override string ToString() => $"QUIC {(IsClient ? "client" : "server")} {LocalEndPoint} <-> {RemoteEndPoint}";
}
