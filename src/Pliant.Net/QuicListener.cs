using System.Net;
using System.Threading.Channels;
using Pliant.Net.Internal;
using Pliant.Net.Internal.Core;
using Pliant.Quic.Connection;

namespace Pliant.Net;

/// <summary>
/// Accepts QUIC connections on one UDP port, shaped like System.Net.Quic's listener. Connections
/// already accepted keep running after the listener is disposed; the port is released when the
/// listener and all its connections are disposed.
/// </summary>
public sealed class QuicListener : IAsyncDisposable
{
    private readonly QuicEndpointDriver _driver; // set right after start; callbacks get the driver passed in
    private readonly QuicListenerOptions _options;
    private readonly Channel<QuicConnection> _accepted;
    private readonly HashSet<QuicConnection> _pending = new(ReferenceEqualityComparer.Instance);
    private Udp.ForwardingHeaderTransport? _forwarding;
    private int _disposed;

    private QuicListener(QuicListenerOptions options, Func<QuicListener, QuicEndpointDriver> start)
    {
        _options = options;
        _accepted = Channel.CreateBounded<QuicConnection>(new BoundedChannelOptions(Math.Max(1, options.ListenBacklog))
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the connection is refused
        });
        _driver = start(this);
    }

    /// <summary>Always true: Pliant needs no native QUIC library (unlike System.Net.Quic and msquic).</summary>
    public static bool IsSupported => true;

    /// <summary>
    /// What the listener's endpoint admitted, refused, dropped and answered statelessly (live counters,
    /// updated by the driver; read them for monitoring).
    /// </summary>
    public EndpointStatistics Statistics => _driver.Endpoint.Statistics ?? new EndpointStatistics();

    /// <summary>
    /// Behind a router (<see cref="QuicListenerOptions.ForwardedBy"/>): datagrams dropped because they did not come
    /// from the router or carried no valid forwarding header. 0 otherwise.
    /// </summary>
    public long ForwardingRejected => _forwarding?.Rejected ?? 0;

    /// <summary>The address the listener is bound to (port resolved).</summary>
    public IPEndPoint LocalEndPoint => _driver.LocalEndPoint;

    /// <summary>Binds the port and starts accepting.</summary>
    public static ValueTask<QuicListener> ListenAsync(QuicListenerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.ListenEndPoint);
        return ValueTask.FromResult(Start(options, null, options.ConnectionIdGenerator, cancellationToken));
    }

    /// <summary>
    /// A listener on <paramref name="transport"/> (a port shared with other listeners, <c>Pliant.Router.SharedQuicPort</c>)
    /// issuing connection IDs from <paramref name="generator"/>; <see cref="QuicListenerOptions.ListenEndPoint"/> is not used.
    /// </summary>
    internal static QuicListener ListenOn(QuicListenerOptions options, Udp.IUdpTransport transport, IConnectionIdGenerator generator, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(generator);
        if (options.ForwardedBy is not null || options.ConnectionIdGenerator is not null)
            throw new ArgumentException("a listener on a shared port has its connection IDs from the port and is not behind a router", nameof(options));
        return Start(options, transport, generator, cancellationToken);
    }

    private static QuicListener Start(QuicListenerOptions options, Udp.IUdpTransport? transport, IConnectionIdGenerator? generator, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options.ServerCertificate);
        if (options.ApplicationProtocols is null || options.ApplicationProtocols.Count == 0)
            throw new ArgumentException("At least one application protocol (ALPN) is required.", nameof(options));
        if (!options.ServerCertificate.HasPrivateKey)
            throw new ArgumentException("The server certificate needs its private key.", nameof(options));
        cancellationToken.ThrowIfCancellationRequested();

        var endpointOptions = new QuicEndpointOptions
        {
            Server = CoreOptions.ForServer(options),
            RequireRetry = options.RequireRetry,
            StaticKey = options.StaticKey,
            Limits = options.Limits ?? ServerLimits.Default,
            ConnectionIdGenerator = generator,
            ConnectionIdLength = generator?.Length ?? 8,
        };
        var logging = options.LoggerFactory ?? options.ConnectionOptions.LoggerFactory;
        var listener = new QuicListener(options, self =>
        {
            Udp.IUdpTransport? socket = transport;
            if (socket is null && options.ForwardedBy is { } router)
                socket = self._forwarding = Udp.ForwardingHeaderTransport.Bind(options.ListenEndPoint, router, options.UseManagedSocket);
            else if (socket is null && options.UseManagedSocket)
                socket = new Udp.ManagedUdpSocket(options.ListenEndPoint);
            return QuicEndpointDriver.Start(options.ListenEndPoint ?? socket!.LocalEndPoint, endpointOptions, logging, self.OnCoreAccepted, self.OnFault, options.EndpointFactory, socket);
        });
        return listener;
    }

    /// <summary>Waits for a client whose handshake completed.</summary>
    public async ValueTask<QuicConnection> AcceptConnectionAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        while (true)
        {
            QuicConnection connection;
            try
            {
                connection = await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ChannelClosedException || (_driver.Fault is not null && e == _driver.Fault))
            {
                ObjectDisposedException.ThrowIf(_disposed != 0, this);
                throw _driver.Fault is { } fault
                    ? new QuicException(QuicError.InternalError, null, "The listener failed.", fault)
                    : QuicException.Aborted("The listener was stopped.");
            }
            lock (_driver.SyncRoot)
            {
                _pending.Remove(connection);
                connection.HandedToApplication = true;
            }
            return connection;
        }
    }

    /// <summary>Called by the driver (under its lock) for each connection the endpoint accepted.</summary>
    private QuicConnection? OnCoreAccepted(QuicEndpointDriver driver, IConnectionCore core)
    {
        if (_disposed != 0) return null; // the core's connection times out unanswered
        driver.AddRef();
        var connection = new QuicConnection(driver, core, _options.ConnectionOptions, OnHandshakeCompleted) { Listener = this };
        if (core.Real is { } real) _options.ConnectionOptions.ConfigureCore?.Invoke(real);
        _pending.Add(connection);
        return connection;
    }

    /// <summary>Under the driver lock: a connection the application never took is gone.</summary>
    internal void OnConnectionDrainedLocked(QuicConnection connection) => _pending.Remove(connection);

    /// <summary>Under the driver lock: the endpoint failed, accepting ends.</summary>
    private void OnFault(Exception e) => _accepted.Writer.TryComplete(e);

    /// <summary>Under the driver lock: the handshake finished, queue for the application.</summary>
    private void OnHandshakeCompleted(QuicConnection connection)
    {
        if (_disposed != 0 || !_accepted.Writer.TryWrite(connection))
        {
            Log.BacklogFull(connection.Driver.Logger, connection.RemoteEndPoint);
            connection.Core.Close(QuicEndpointDriver.NowUs, 0, "server busy");
            connection.OnClosedLocked(QuicException.Aborted("The listener did not accept the connection."));
        }
    }

    /// <summary>Stops accepting; connections not yet accepted are closed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        QuicConnection[] pending;
        lock (_driver.SyncRoot)
        {
            _accepted.Writer.TryComplete();
            pending = [.. _pending];
            _pending.Clear();
        }
        foreach (var c in pending) await c.DisposeAsync().ConfigureAwait(false);
        await _driver.ReleaseAsync().ConfigureAwait(false);
    }
}
