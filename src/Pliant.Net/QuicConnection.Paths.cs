using System.Net;
using Pliant.Net.Internal;
using Pliant.Quic.Connection;

namespace Pliant.Net;

// Multipath QUIC (draft-ietf-quic-multipath-21, issue 12): opening paths from other local addresses, their
// status, abandoning them, and path events.
public sealed partial class QuicConnection
{
    private readonly Dictionary<ulong, TaskCompletionSource<PathInfo>> _pathWaiters = [];

    /// <summary>
    /// Raised (on the thread pool) when a path is opened, validated or abandoned. <see cref="QuicPathEventArgs.PathId"/>
    /// names it; <see cref="Paths"/> has its details.
    /// </summary>
    public event EventHandler<QuicPathEventArgs>? PathChanged;

    /// <summary>True once both sides negotiated multipath (<see cref="QuicConnectionOptions.MaxPathId"/> on both).</summary>
    public bool IsMultipath => ReadCore(c => c.IsMultipath, false);

    /// <summary>A snapshot of the connection's paths: addresses, validation, status, RTT, congestion window, bytes.</summary>
    public IReadOnlyList<PathInfo> Paths => ReadCore(c => c.Paths, []);

    /// <summary>How long <see cref="OpenPathAsync"/> waits for a path ID to become usable (confirmation, the peer's connection IDs).</summary>
    private static readonly TimeSpan PathIdWait = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Client, multipath: opens a new path from <paramref name="localEndPoint"/> (a second interface's address; port
    /// 0 picks one) to <paramref name="remoteEndPoint"/> (default: the server address of the connection) and
    /// completes once the path is validated (draft-ietf-quic-multipath-21 §3.1). Right after the handshake it first
    /// waits (up to 3 s) for the handshake to be confirmed and the server's connection IDs for a new path ID. From
    /// then on the scheduler (<see cref="QuicConnectionOptions.PathScheduler"/>) spreads packets over the path too.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not a client, on a shared endpoint, multipath not negotiated, or no path ID became available.</exception>
    /// <exception cref="QuicException">The path could not be validated (it was abandoned) or the connection closed.</exception>
    public async Task<PathInfo> OpenPathAsync(IPEndPoint localEndPoint, IPEndPoint? remoteEndPoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        if (!IsClient) throw new InvalidOperationException("only a client opens paths");
        if (SharedEndpoint) throw new InvalidOperationException("a connection of a QuicClientEndpoint shares its socket: it cannot open paths");
        var local = _driver.AddPathSocket(localEndPoint);
        var waiter = new TaskCompletionSource<PathInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        var deadline = DateTime.UtcNow + PathIdWait;
        while (true)
        {
            string? refusal = null;
            bool retry = false;
            lock (_driver.SyncRoot)
            {
                if (_closeException is not null) refusal = "the connection is closed";
                else if (Core.Real is not { } core) refusal = "this connection cannot open paths";
                else if (core.HandshakeConfirmed && !core.IsMultipath) refusal = "multipath was not negotiated (both sides need MaxPathId)";
                else if (core.TryOpenPath(QuicEndpointDriver.NowUs, local, out uint id, remoteEndPoint)) _pathWaiters[id] = waiter;
                else if (DateTime.UtcNow < deadline) retry = true;
                else refusal = "no path ID became available (handshake not confirmed, or the peer's path limit is reached)";
            }
            if (refusal is not null)
            {
                _driver.RemovePathSocket(local);
                throw new InvalidOperationException(refusal);
            }
            if (!retry) break;
            try
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _driver.RemovePathSocket(local);
                throw;
            }
        }
        _driver.Wake();
        using (cancellationToken.Register(static w => ((TaskCompletionSource<PathInfo>)w!).TrySetCanceled(), waiter))
            return await waiter.Task.ConfigureAwait(false);
    }

    /// <summary>Sets our preference for a path (backup: used only while no available path works) and tells the peer.</summary>
    /// <returns>False when there is no such open path.</returns>
    public bool SetPathStatus(uint pathId, PathStatus status)
    {
        bool ok;
        lock (_driver.SyncRoot) ok = Core.Real?.SetPathStatus(pathId, status) ?? false;
        if (ok) _driver.Wake();
        return ok;
    }

    /// <summary>Abandons a path (PATH_ABANDON): its traffic moves to the others.</summary>
    /// <returns>False when there is no such open path.</returns>
    public bool AbandonPath(uint pathId)
    {
        bool ok;
        lock (_driver.SyncRoot) ok = Core.Real?.AbandonPath(QuicEndpointDriver.NowUs, pathId) ?? false;
        if (ok) _driver.Wake();
        return ok;
    }

    /// <summary>A path event from the core: completes <see cref="OpenPathAsync"/> and raises <see cref="PathChanged"/>.</summary>
    private void OnPathEventLocked(in ConnectionEvent e)
    {
        ulong pathId = e.PathId;
        if (_pathWaiters.Remove(pathId, out var waiter))
        {
            if (e.Kind == ConnectionEventKind.PathValidated && Core.Real is { } core)
                waiter.TrySetResult(core.Paths.First(p => p.PathId == pathId));
            else if (e.Kind == ConnectionEventKind.PathAbandoned)
                waiter.TrySetException(new QuicException(QuicError.ConnectionAborted, (long)e.ErrorCode, $"path {e.PathId} could not be used (abandoned, error 0x{e.ErrorCode:x})"));
            else _pathWaiters[e.PathId] = waiter; // opened: still waiting for validation
        }
        if (e.Kind == ConnectionEventKind.PathAbandoned && Core.Real?.Paths.FirstOrDefault(p => p.PathId == pathId) is { Local: { } local })
            _driver.RemovePathSocket(local);
        if (PathChanged is { } handler)
        {
            var args = new QuicPathEventArgs((uint)e.PathId, e.Kind switch
            {
                ConnectionEventKind.PathOpened => QuicPathEventKind.Opened,
                ConnectionEventKind.PathValidated => QuicPathEventKind.Validated,
                _ => QuicPathEventKind.Abandoned,
            }, e.ErrorCode);
            ThreadPool.QueueUserWorkItem(static s => s.handler(s.self, s.args), (handler, self: this, args), preferLocal: false);
        }
    }

    /// <summary>The connection closed: path waiters fail with its error.</summary>
    private void FailPathWaitersLocked(QuicException error)
    {
        foreach (var w in _pathWaiters.Values) w.TrySetException(error);
        _pathWaiters.Clear();
    }
}

/// <summary>What happened to a path (<see cref="QuicConnection.PathChanged"/>).</summary>
public enum QuicPathEventKind
{
    /// <summary>The path was opened (by us, or by the peer's first packet on it).</summary>
    Opened,
    /// <summary>The path was validated and may carry data.</summary>
    Validated,
    /// <summary>The path was abandoned (by either side, or because it failed).</summary>
    Abandoned,
}

/// <summary>A path event of a multipath connection.</summary>
/// <param name="PathId">The path ID.</param>
/// <param name="Kind">What happened.</param>
/// <param name="ErrorCode">For <see cref="QuicPathEventKind.Abandoned"/>: the PATH_ABANDON error code (0x3e76: unstable or poor, e.g. it went dark).</param>
public sealed record QuicPathEventArgs(uint PathId, QuicPathEventKind Kind, ulong ErrorCode);
