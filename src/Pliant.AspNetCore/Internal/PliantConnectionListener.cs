using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Pliant.Net;

namespace Pliant.AspNetCore.Internal;

/// <summary>
/// One Kestrel endpoint's QUIC listener: hands each connection whose handshake completed to Kestrel
/// as a <see cref="PliantConnectionContext"/>.
/// </summary>
internal sealed class PliantConnectionListener : IMultiplexedConnectionListener
{
    private readonly QuicListener _listener;
    private readonly StreamSettings _settings;
    private readonly ILogger _log;
    private int _disposed;

    private PliantConnectionListener(QuicListener listener, StreamSettings settings, ILogger log)
    {
        _listener = listener;
        _settings = settings;
        _log = log;
        EndPoint = listener.LocalEndPoint;
    }

    public EndPoint EndPoint { get; }

    /// <summary>The QUIC listener (its statistics: admissions, refusals, Retries).</summary>
    public QuicListener Listener => _listener;

    public static async ValueTask<PliantConnectionListener> BindAsync(QuicListenerOptions listenerOptions, StreamSettings settings, ILogger log,
        CancellationToken cancellationToken)
    {
        var listener = await QuicListener.ListenAsync(listenerOptions, cancellationToken).ConfigureAwait(false);
        Log.Listening(log, listener.LocalEndPoint, string.Join(",", listenerOptions.ApplicationProtocols), listenerOptions.ServerCertificate.Subject);
        return new PliantConnectionListener(listener, settings, log);
    }

    public async ValueTask<MultiplexedConnectionContext?> AcceptAsync(IFeatureCollection? features = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var connection = await _listener.AcceptConnectionAsync(cancellationToken).ConfigureAwait(false);
            var context = new PliantConnectionContext(connection, _settings, _log);
            Log.ConnectionAccepted(_log, context.ConnectionId, connection.RemoteEndPoint);
            return context;
        }
        catch (QuicException ex)
        {
            // Stopped (unbind) or failed: Kestrel stops accepting on this endpoint.
            if (ex.QuicError != QuicError.OperationAborted) Log.ListenerStopped(_log, _listener.LocalEndPoint, ex.Message);
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _listener.DisposeAsync().ConfigureAwait(false);
    }
}
