using System.Net;
using Pliant.Net;

namespace Pliant.Http3.Client;

/// <summary>
/// One HTTP/3 connection per endpoint (host, port, server name), shared by concurrent requests as streams.
/// A connection that closed, failed or received GOAWAY takes no new requests: the next request opens a new
/// one, and the old one is disposed once it has closed (its requests in flight finish first, RFC 9114 §5.2).
/// Requests that ask for the same endpoint while it connects wait for that one handshake.
/// </summary>
internal sealed class Http3ConnectionPool(Func<PoolKey, CancellationToken, Task<PooledConnection>> connect) : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<PoolKey, Task<PooledConnection>> _live = [];
    private readonly List<PooledConnection> _all = [];
    private readonly CancellationTokenSource _disposed = new();
    private long _opened;

    public long ConnectionsOpened => Interlocked.Read(ref _opened);

    public async Task<PooledConnection> GetAsync(PoolKey key, CancellationToken ct)
    {
        Task<PooledConnection> task;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            if (!_live.TryGetValue(key, out task!) || task.IsFaulted || task.IsCanceled || (task.IsCompletedSuccessfully && !task.Result.IsUsable))
            {
                task = OpenAsync(key);
                _live[key] = task;
            }
        }
        try
        {
            return await task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch when (!ct.IsCancellationRequested)
        {
            lock (_gate)
            {
                if (_live.TryGetValue(key, out var current) && current == task) _live.Remove(key);
            }
            throw;
        }
    }

    private async Task<PooledConnection> OpenAsync(PoolKey key)
    {
        // Not cancelled by the first caller: others may be waiting for the same handshake.
        var c = await connect(key, _disposed.Token).ConfigureAwait(false);
        Interlocked.Increment(ref _opened);
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested)
            {
                _ = c.DisposeAsync().AsTask();
                throw new ObjectDisposedException(nameof(Http3MessageHandler));
            }
            _all.Add(c);
        }
        _ = RetireWhenClosedAsync(c);
        return c;
    }

    private async Task RetireWhenClosedAsync(PooledConnection c)
    {
        await Task.WhenAny(c.Http.Closed, c.Quic.Closed).ConfigureAwait(false);
        lock (_gate) _all.Remove(c);
        await c.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        PooledConnection[] all;
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested) return;
            _disposed.Cancel();
            all = [.. _all];
            _all.Clear();
            _live.Clear();
        }
        foreach (var c in all) await c.DisposeAsync().ConfigureAwait(false);
        _disposed.Dispose();
    }
}

/// <summary>What a pooled connection is keyed by: where it goes and the name its certificate must carry.</summary>
internal readonly record struct PoolKey(string Host, int Port, string ServerName);

/// <summary>A QUIC connection and the HTTP/3 session on it.</summary>
internal sealed class PooledConnection(QuicConnection quic, Http3ClientConnection http) : IAsyncDisposable
{
    private int _disposed;

    public QuicConnection Quic { get; } = quic;

    public Http3ClientConnection Http { get; } = http;

    public IPEndPoint RemoteEndPoint => Quic.RemoteEndPoint;

    private volatile bool _broken;

    /// <summary>Takes new requests: not closed (QUIC or HTTP/3), not failed, no GOAWAY received.</summary>
    public bool IsUsable => !_broken && !Quic.Closed.IsCompleted && !Http.Closed.IsCompleted && Http.Error is null && Http.PeerGoAwayId is null;

    /// <summary>A request saw the connection fail: no more requests on it.</summary>
    public void MarkBroken() => _broken = true;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await Http.CloseAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or QuicException or Http3Exception or ObjectDisposedException)
        {
        }
        await Quic.DisposeAsync().ConfigureAwait(false);
    }
}
