using System.Net;
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
    private readonly QuicEndpointDriver[] _drivers; // set right after start; callbacks get the driver passed in
    private readonly QuicListenerOptions _options;
    private readonly AcceptQueue<QuicConnection> _accepted;
    private readonly HashSet<QuicConnection> _pending = new(ReferenceEqualityComparer.Instance); // under its own lock
    private Udp.ForwardingHeaderTransport? _forwarding;
    private int _disposed;

    private QuicListener(QuicListenerOptions options, Func<QuicListener, QuicEndpointDriver[]> start)
    {
        _options = options;
        _accepted = new AcceptQueue<QuicConnection>(Math.Max(1, options.ListenBacklog)); // full: the connection is refused
        _drivers = start(this);
    }

    private QuicEndpointDriver _driver => _drivers[0];

    /// <summary>Endpoint drivers (threads, sockets) serving the port (<see cref="QuicListenerOptions.Drivers"/>).</summary>
    public int DriverCount => _drivers.Length;

    /// <summary>The drivers' parking (<see cref="QuicListenerOptions.ParkIdleDrivers"/>); null with one driver or parking off.</summary>
    internal DriverParking? Parking => _drivers[0].Parking;

    /// <summary>Driver <paramref name="index"/> (tests).</summary>
    internal QuicEndpointDriver Driver(int index) => _drivers[index];

    /// <summary>What driver <paramref name="index"/> admitted, refused and dropped (live counters), for tests and monitoring.</summary>
    public EndpointStatistics DriverStatistics(int index) => _drivers[index].Endpoint.Statistics ?? new EndpointStatistics();

    /// <summary>Always true: Pliant needs no native QUIC library (unlike System.Net.Quic and msquic).</summary>
    public static bool IsSupported => true;

    /// <summary>
    /// What the listener's endpoint admitted, refused, dropped and answered statelessly (live counters,
    /// updated by the driver; read them for monitoring).
    /// </summary>
    /// <remarks>With several drivers, a snapshot summed over them (read again for fresh figures).</remarks>
    public EndpointStatistics Statistics => _drivers.Length == 1
        ? _driver.Endpoint.Statistics ?? new EndpointStatistics()
        : EndpointStatistics.Sum(_drivers.Select(d => d.Endpoint.Statistics ?? new EndpointStatistics()));

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
        if (options.Drivers != 1)
            return StartGroup(options, endpointOptions, logging);
        var listener = new QuicListener(options, self =>
        {
            Udp.IUdpTransport? socket = transport;
            if (socket is null && options.ForwardedBy is { } router)
                socket = self._forwarding = Udp.ForwardingHeaderTransport.Bind(options.ListenEndPoint, router, options.UseManagedSocket);
            else if (socket is null && options.UseManagedSocket)
                socket = new Udp.ManagedUdpSocket(options.ListenEndPoint);
            return [QuicEndpointDriver.Start(options.ListenEndPoint ?? socket!.LocalEndPoint, endpointOptions, logging, self.OnCoreAccepted, self.OnFault, options.EndpointFactory, socket)];
        });
        return listener;
    }

    /// <summary>
    /// <see cref="QuicListenerOptions.Drivers"/> drivers on one SO_REUSEPORT group: each its own socket, core and
    /// thread, connection IDs naming it, one static key (a token or reset made by one is checked by any), the
    /// limits shared out.
    /// </summary>
    private static QuicListener StartGroup(QuicListenerOptions options, QuicEndpointOptions template, Microsoft.Extensions.Logging.ILoggerFactory? logging)
    {
        int n = options.Drivers;
        if (n < 1 || n > Udp.Linux.ReusePortGroup.MaxSockets)
            throw new ArgumentOutOfRangeException(nameof(options), $"Drivers is 1 to {Udp.Linux.ReusePortGroup.MaxSockets}");
        if (!OperatingSystem.IsLinux() || options.UseManagedSocket || options.EndpointFactory is not null)
            throw new PlatformNotSupportedException("Several drivers on one port need Linux's SO_REUSEPORT and the native socket.");
        if (options.ConnectionIdGenerator is not null || options.ForwardedBy is not null)
            throw new ArgumentException("Several drivers pick their own connection IDs: not with a ConnectionIdGenerator or behind a router.", nameof(options));
        var sockets = Udp.Linux.ReusePortGroup.Bind(options.ListenEndPoint, n);
        var generators = new IConnectionIdGenerator[n];
        for (int i = 0; i < n; i++) generators[i] = new DriverConnectionIds(i, n);
        return StartDrivers(options, template, logging, sockets, generators);
    }

    /// <summary>
    /// A listener with one driver per socket of <paramref name="sockets"/> (sockets of a reuseport group of processes,
    /// <c>pliant serve --reuseport</c>), driver i issuing connection IDs from <paramref name="generators"/>[i]; the
    /// admission limits are shared out among them. <see cref="QuicListenerOptions.ListenEndPoint"/> and
    /// <see cref="QuicListenerOptions.Drivers"/> are not used.
    /// </summary>
    internal static QuicListener ListenOnSockets(QuicListenerOptions options, IReadOnlyList<Udp.IUdpTransport> sockets, IReadOnlyList<IConnectionIdGenerator> generators)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.ServerCertificate);
        if (options.ApplicationProtocols is null || options.ApplicationProtocols.Count == 0)
            throw new ArgumentException("At least one application protocol (ALPN) is required.", nameof(options));
        if (!options.ServerCertificate.HasPrivateKey)
            throw new ArgumentException("The server certificate needs its private key.", nameof(options));
        if (sockets.Count == 0 || sockets.Count != generators.Count) throw new ArgumentException("one connection ID generator per socket", nameof(generators));
        if (options.ConnectionIdGenerator is not null || options.ForwardedBy is not null)
            throw new ArgumentException("the sockets' drivers have their own connection IDs and are not behind a router", nameof(options));
        var template = new QuicEndpointOptions
        {
            Server = CoreOptions.ForServer(options),
            RequireRetry = options.RequireRetry,
            StaticKey = options.StaticKey,
            Limits = options.Limits ?? ServerLimits.Default,
        };
        return StartDrivers(options, template, options.LoggerFactory ?? options.ConnectionOptions.LoggerFactory, [.. sockets], [.. generators]);
    }

    private static QuicListener StartDrivers(QuicListenerOptions options, QuicEndpointOptions template, Microsoft.Extensions.Logging.ILoggerFactory? logging,
        Udp.IUdpTransport[] sockets, IConnectionIdGenerator[] generators)
    {
        int n = sockets.Length;
        byte[] staticKey = options.StaticKey ?? System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var share = template.Limits.DividedAmong(n);
        // Parking needs one wait on every socket: the native Linux sockets only.
        bool canPark = n > 1 && options.ParkIdleDrivers && Array.TrueForAll(sockets, s => QuicEndpointDriver.NativeSocket(s) is not null);
        return new QuicListener(options, self =>
        {
            DriverParking? parking = null;
            Func<QuicEndpointDriver, DriverParking?>? parkingFor = canPark ? d => parking ??= new DriverParking(d) : null;
            var drivers = new List<QuicEndpointDriver>(n);
            try
            {
                for (int i = 0; i < n; i++)
                {
                    var endpointOptions = new QuicEndpointOptions
                    {
                        Server = template.Server,
                        RequireRetry = template.RequireRetry,
                        StaticKey = staticKey,
                        Limits = share,
                        ConnectionIdGenerator = generators[i],
                        ConnectionIdLength = generators[i].Length,
                    };
                    drivers.Add(QuicEndpointDriver.Start(sockets[i].LocalEndPoint, endpointOptions, logging, self.OnCoreAccepted, self.OnFault, null, sockets[i], parkingFor));
                }
                return [.. drivers];
            }
            catch
            {
                foreach (var d in drivers) _ = d.ReleaseAsync();
                for (int i = drivers.Count; i < n; i++) sockets[i].Dispose();
                throw;
            }
        });
    }

    /// <summary>
    /// Waits for a client whose handshake completed. The wait resumes on the thread of the endpoint driver that
    /// serves the connection (like its stream operations): move long synchronous work elsewhere.
    /// </summary>
    /// <exception cref="QuicException">The listener was stopped or failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<QuicConnection> AcceptConnectionAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var connection = await _accepted.ReadOrNullAsync(cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            throw Array.Find(_drivers, d => d.Fault is not null)?.Fault is { } fault
                ? new QuicException(QuicError.InternalError, null, "The listener failed.", fault)
                : QuicException.Aborted("The listener was stopped.");
        }
        lock (_pending) _pending.Remove(connection);
        lock (connection.Driver.SyncRoot) connection.HandedToApplication = true;
        return connection;
    }

    /// <summary>Called by the driver (under its lock) for each connection the endpoint accepted.</summary>
    private QuicConnection? OnCoreAccepted(QuicEndpointDriver driver, IConnectionCore core)
    {
        if (_disposed != 0) return null; // the core's connection times out unanswered
        driver.AddRef();
        var connection = new QuicConnection(driver, core, _options.ConnectionOptions, OnHandshakeCompleted) { Listener = this };
        if (core.Real is { } real) _options.ConnectionOptions.ConfigureCore?.Invoke(real);
        lock (_pending) _pending.Add(connection);
        return connection;
    }

    /// <summary>Under the driver lock: a connection the application never took is gone.</summary>
    internal void OnConnectionDrainedLocked(QuicConnection connection)
    {
        lock (_pending) _pending.Remove(connection);
    }

    /// <summary>Under the driver lock: the endpoint failed, accepting ends.</summary>
    private void OnFault(Exception e) => _accepted.Complete();

    /// <summary>Under the driver lock: the handshake finished, queue for the application.</summary>
    private void OnHandshakeCompleted(QuicConnection connection)
    {
        if (_disposed != 0 || !_accepted.TryWrite(connection, connection.Driver))
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
        _accepted.Complete();
        lock (_pending)
        {
            pending = [.. _pending];
            _pending.Clear();
        }
        foreach (var c in pending) await c.DisposeAsync().ConfigureAwait(false);
        foreach (var d in _drivers) await d.ReleaseAsync().ConfigureAwait(false);
    }
}
