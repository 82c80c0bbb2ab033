using System.Net;
using Microsoft.Extensions.Logging;
using Pliant.Net.Internal;
using Pliant.Quic.Connection;

namespace Pliant.Net;

/// <summary>
/// One UDP socket and one endpoint thread shared by many client connections (a connection pool, a
/// load generator): <see cref="QuicConnection.ConnectAsync"/> gives every connection its own socket and
/// thread, this gives them one. Connections demultiplex by connection ID. They cannot migrate
/// (<see cref="QuicConnection.Migrate"/>, <see cref="QuicConnection.Rebind"/>) since the socket is shared.
/// The endpoint stays alive while it or any of its connections is not disposed.
/// </summary>
public sealed class QuicClientEndpoint : IAsyncDisposable
{
    private readonly QuicEndpointDriver _driver;
    private int _disposed;

    private QuicClientEndpoint(QuicEndpointDriver driver) => _driver = driver;

    /// <summary>
    /// Binds <paramref name="localEndPoint"/> (default 0.0.0.0:0; use [::]:0 for IPv6 and IPv4 peers) and
    /// starts the endpoint's thread.
    /// </summary>
    public static QuicClientEndpoint Create(IPEndPoint? localEndPoint = null, ILoggerFactory? loggerFactory = null) =>
        new(QuicEndpointDriver.Start(localEndPoint ?? new IPEndPoint(IPAddress.Any, 0), new QuicEndpointOptions(), loggerFactory));

    /// <summary>The local socket's address.</summary>
    public IPEndPoint LocalEndPoint => _driver.LocalEndPoint;

    /// <summary>
    /// Connects to <see cref="QuicClientConnectionOptions.RemoteEndPoint"/> over this endpoint's socket;
    /// completes when the handshake completes (or, with 0-RTT, when early data may be sent).
    /// <see cref="QuicClientConnectionOptions.LocalEndPoint"/> is ignored (the endpoint is bound already).
    /// </summary>
    public ValueTask<QuicConnection> ConnectAsync(QuicClientConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.RemoteEndPoint);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (options.ApplicationProtocols is null || options.ApplicationProtocols.Count == 0)
            throw new ArgumentException("At least one application protocol (ALPN) is required.", nameof(options));
        _driver.AddRef(); // released by the connection
        return QuicConnection.ConnectOnAsync(_driver, options, sharedEndpoint: true, cancellationToken);
    }

    /// <summary>Lets go of the endpoint; it stops (and the port is released) once its connections are disposed too.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) await _driver.ReleaseAsync().ConfigureAwait(false);
    }
}
