using System.Collections.Concurrent;

namespace Pliant.Http3.Server;

/// <summary>
/// Runs an <see cref="Http3ServerConnection"/> per accepted connection (e.g. for <c>pliant serve</c>). On
/// cancellation every live connection gets a graceful shutdown (GOAWAY, drain, close with H3_NO_ERROR).
/// </summary>
public static class Http3ServerHost
{
    /// <param name="acceptConnection">Returns the next connection, or null when the listener is done.</param>
    /// <param name="handler">Request handler, e.g. <c>new StaticFileHandler(root).HandleAsync</c>.</param>
    /// <param name="options">Per-connection limits.</param>
    /// <param name="drainTimeout">How long in-flight requests may take after shutdown starts.</param>
    /// <param name="ct">Stops accepting and shuts connections down gracefully.</param>
    public static async Task RunAsync(
        Func<CancellationToken, ValueTask<IH3Connection?>> acceptConnection,
        Func<Http3ServerRequest, Http3ServerResponse, CancellationToken, Task> handler,
        Http3ServerOptions? options = null,
        TimeSpan? drainTimeout = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(acceptConnection);
        ArgumentNullException.ThrowIfNull(handler);
        var live = new ConcurrentDictionary<Http3ServerConnection, Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                IH3Connection? conn;
                try
                {
                    conn = await acceptConnection(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                if (conn is null) break;
                var server = new Http3ServerConnection(conn, handler, options);
                var run = Task.Run(() => server.RunAsync(CancellationToken.None), CancellationToken.None);
                live[server] = run;
                _ = run.ContinueWith(_ => live.TryRemove(server, out Task? _), TaskScheduler.Default);
            }
        }
        finally
        {
            using var drain = new CancellationTokenSource(drainTimeout ?? TimeSpan.FromSeconds(5));
            await Task.WhenAll(live.Keys.Select(s => s.ShutdownAsync(drain.Token))).ConfigureAwait(false);
            await Task.WhenAll(live.Values).ConfigureAwait(false);
        }
    }
}
