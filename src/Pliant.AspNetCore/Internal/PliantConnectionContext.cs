using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Pliant.Net;

namespace Pliant.AspNetCore.Internal;

/// <summary>
/// One QUIC connection as Kestrel sees it: accepts the client's streams and opens ours
/// (<see cref="MultiplexedConnectionContext"/>); <see cref="Abort(ConnectionAbortedException)"/> closes with the
/// code of <see cref="IProtocolErrorCodeFeature"/> (Kestrel sets H3_NO_ERROR after a GOAWAY, RFC 9114 §5.2).
/// </summary>
internal sealed partial class PliantConnectionContext : MultiplexedConnectionContext
{
    private static long s_nextId;

    private readonly QuicConnection _connection;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _closedCts = new();
    private readonly Lock _gate = new();
    private Task? _closeTask;
    private ConnectionAbortedException? _abortReason;
    private long? _error;

    public PliantConnectionContext(QuicConnection connection, StreamSettings settings, ILogger log)
    {
        _connection = connection;
        Settings = settings;
        _log = log;
        LocalEndPoint = connection.LocalEndPoint;
        RemoteEndPoint = connection.RemoteEndPoint;
        ConnectionId = "pq" + Interlocked.Increment(ref s_nextId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        ConnectionClosed = _closedCts.Token;
        Features = CreateFeatures();
        // The QUIC connection ends (peer close, idle, error): Kestrel learns it through ConnectionClosed.
        _ = connection.Closed.ContinueWith(static (_, s) => ((PliantConnectionContext)s!).OnQuicClosed(), this,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public StreamSettings Settings { get; }

    public QuicConnection Connection => _connection;

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; }

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    private void OnQuicClosed()
    {
        try
        {
            _closedCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var stream = await _connection.AcceptInboundStreamAsync(cancellationToken).ConfigureAwait(false);
            var context = new PliantStreamContext(this, stream, Settings, _log);
            context.Start();
            return context;
        }
        catch (QuicException ex) when (ex.QuicError == QuicError.ConnectionAborted)
        {
            // The peer closed the connection (CONNECTION_CLOSE): an abortive end, unless it said H3_NO_ERROR.
            _error = ex.ApplicationErrorCode;
            Log.ConnectionClosedByPeer(_log, ConnectionId, ex.ApplicationErrorCode ?? -1);
            throw new ConnectionResetException(ex.Message, ex);
        }
        catch (QuicException ex) when (ex.QuicError == QuicError.OperationAborted)
        {
            // We closed it (Abort, DisposeAsync): the reason Kestrel gave, or a graceful end.
            lock (_gate)
            {
                if (_abortReason is not null) throw _abortReason;
            }
            return null;
        }
        catch (QuicException ex) when (ex.QuicError is QuicError.ConnectionIdle or QuicError.ConnectionTimeout or QuicError.TransportError or QuicError.InternalError)
        {
            Log.ConnectionFailed(_log, ConnectionId, ex.Message);
            throw new ConnectionAbortedException(ex.Message, ex);
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                if (_abortReason is not null) throw _abortReason;
            }
            return null;
        }
    }

    public override async ValueTask<ConnectionContext> ConnectAsync(IFeatureCollection? features = null, CancellationToken cancellationToken = default)
    {
        // Kestrel opens its control and QPACK streams with IStreamDirectionFeature { CanRead = false }.
        bool bidirectional = features?.Get<IStreamDirectionFeature>() is not { CanRead: false };
        var stream = await _connection.OpenOutboundStreamAsync(bidirectional ? QuicStreamType.Bidirectional : QuicStreamType.Unidirectional, cancellationToken)
            .ConfigureAwait(false);
        var context = new PliantStreamContext(this, stream, Settings, _log);
        context.Start();
        return context;
    }

    public override void Abort() => Abort(new ConnectionAbortedException("The connection was aborted by the application."));

    public override void Abort(ConnectionAbortedException abortReason)
    {
        lock (_gate)
        {
            if (_abortReason is not null || _closeTask is not null) return;
            _abortReason = abortReason;
            long code = _error ?? Settings.DefaultCloseErrorCode;
            Log.ConnectionAborted(_log, ConnectionId, code, abortReason.Message);
            _closeTask = CloseQuietlyAsync(code);
        }
    }

    private async Task CloseQuietlyAsync(long code)
    {
        try
        {
            await _connection.CloseAsync(code).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is QuicException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    public override async ValueTask DisposeAsync()
    {
        Task close;
        lock (_gate) close = _closeTask ??= CloseQuietlyAsync(_error ?? Settings.DefaultCloseErrorCode);
        await close.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _closedCts.Dispose();
    }

    public override string ToString() => ConnectionId;
}
