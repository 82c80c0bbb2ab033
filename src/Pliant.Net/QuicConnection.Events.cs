using Pliant.Net.Internal;
using Pliant.Quic.Connection;

namespace Pliant.Net;

public sealed partial class QuicConnection
{
    /// <summary>Set by the listener once the application accepted this connection.</summary>
    internal bool HandedToApplication { get; set; }

    /// <summary>The listener that accepted this connection (server side).</summary>
    internal QuicListener? Listener { get; init; }

    /// <summary>Routes one core event to the API objects. Runs under the driver lock: never run user code here.</summary>
    internal void OnEventLocked(in ConnectionEvent e)
    {
        switch (e.Kind)
        {
            case ConnectionEventKind.Connected:
                NegotiatedApplicationProtocol = Core.ApplicationProtocol;
                RemoteEndPoint = Core.RemoteEndPoint;
                if (_connected.TrySetResult())
                {
                    _handshakeCompleted = true;
                    Pliant.Quic.Diagnostics.QuicMetrics.HandshakeCompleted(IsClient, System.Diagnostics.Stopwatch.GetElapsedTime(_createdTimestamp));
                    _onConnected?.Invoke(this);
                }
                break;
            case ConnectionEventKind.StreamOpened:
                if (!_streams.ContainsKey(e.StreamId) && _closeException is null)
                {
                    var stream = new QuicStream(this, e.StreamId, outbound: false);
                    _streams[e.StreamId] = stream;
                    _inboundStreams.TryWriteLocked(stream);
                }
                break;
            case ConnectionEventKind.StreamReadable:
                if (_streams.TryGetValue(e.StreamId, out var readable)) readable.OnReadableLocked();
                break;
            case ConnectionEventKind.StreamWritable:
                if (_streams.TryGetValue(e.StreamId, out var writable)) writable.OnWritableLocked();
                break;
            case ConnectionEventKind.StreamReset:
                if (_streams.TryGetValue(e.StreamId, out var reset)) reset.OnResetLocked((long)e.ErrorCode);
                break;
            case ConnectionEventKind.StreamStopSending:
                if (_streams.TryGetValue(e.StreamId, out var stopped)) stopped.OnStopSendingLocked((long)e.ErrorCode);
                break;
            case ConnectionEventKind.StreamSendComplete:
                if (_streams.TryGetValue(e.StreamId, out var complete)) complete.OnSendCompleteLocked();
                break;
            case ConnectionEventKind.StreamsAvailable:
                _streamsAvailable?.TrySetResult();
                _streamsAvailable = null;
                break;
            case ConnectionEventKind.DatagramReceived:
                if (e.Data is not null) _datagrams.Writer.TryWrite(e.Data);
                break;
            case ConnectionEventKind.SessionTicket:
                if (e.Ticket is { } ticket)
                {
                    LastSessionTicket = ticket;
                    if (SessionTicketReceived is { } handler)
                        ThreadPool.QueueUserWorkItem(static s => s.handler(s.self, s.ticket), (handler, self: this, ticket), preferLocal: false);
                }
                break;
            case ConnectionEventKind.Plugin:
                RaisePluginEvent(new QuicPluginEvent(e.Data is null ? "" : System.Text.Encoding.UTF8.GetString(e.Data), e.Reason ?? ""));
                break;
            case ConnectionEventKind.EarlyDataRejected:
                Log.EarlyDataRejected(_driver.Logger, RemoteEndPoint);
                break;
            case ConnectionEventKind.PathOpened:
            case ConnectionEventKind.PathValidated:
            case ConnectionEventKind.PathAbandoned:
                OnPathEventLocked(e);
                break;
            case ConnectionEventKind.Closed:
                var error = CloseErrors.FromClosedEvent(e);
                Log.ConnectionClosed(_driver.Logger, RemoteEndPoint, error.Message);
                OnClosedLocked(error);
                break;
        }
    }

    /// <summary>Fails everything pending with <paramref name="error"/> (first close wins).</summary>
    internal void OnClosedLocked(QuicException error)
    {
        if (_closeException is not null) return;
        _closeException = error;
        var real = Core.Real;
        Pliant.Quic.Diagnostics.QuicMetrics.ConnectionClosed(IsClient, _handshakeCompleted, real?.SmoothedRttUs ?? 0, real?.Statistics.PacketsLost ?? 0);
        _connected.TrySetException(error);
        _inboundStreams.CompleteLocked();
        _datagrams.Writer.TryComplete();
        _streamsAvailable?.TrySetException(error);
        _streamsAvailable = null;
        FailPathWaitersLocked(error);
        foreach (var stream in _streams.Values) stream.OnConnectionClosedLocked(error);
        _closed.TrySetResult();
        if (!Core.IsClosed) _driver.TrackClosing(this);
        else OnDrainedLocked();
    }

    /// <summary>The core finished closing (draining over): a connection nobody holds lets go of the endpoint.</summary>
    internal void OnDrainedLocked()
    {
        Listener?.OnConnectionDrainedLocked(this);
        // Deferred: releasing may stop the driver, which must not happen inside its own dispatch.
        if (!IsClient && !HandedToApplication)
            ThreadPool.QueueUserWorkItem(static c => _ = c.ReleaseDriverAsync(), this, preferLocal: false);
    }
}
