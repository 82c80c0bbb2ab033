using System.Net;
using Pliant.Net.Udp;

namespace Pliant.Net.Internal;

// Multipath (issue 12): a client connection's extra paths send from other local addresses (a second interface).
// Each has its own socket and a receive thread that hands its datagrams to the same endpoint under the lock; the
// endpoint demultiplexes them by connection ID like any other. Sends pick the socket by Transmit.Source.
internal sealed partial class QuicEndpointDriver
{
    /// <summary>At most this many extra sockets per endpoint (one per path; the core's path limit is 16).</summary>
    private const int MaxPathSockets = 16;

    private readonly Dictionary<IPEndPoint, PathSocket> _pathSockets = [];

    private sealed class PathSocket(IUdpTransport transport)
    {
        public IUdpTransport Transport { get; } = transport;
        public Thread? Receiver { get; set; }
        public volatile bool Closed;
    }

    /// <summary>
    /// Binds another socket at <paramref name="bind"/> (port 0: any) for a path and starts its receive thread;
    /// returns the bound address, the <c>Transmit.Source</c> the core will name for that path.
    /// </summary>
    /// <exception cref="InvalidOperationException">Too many path sockets, or the endpoint stopped.</exception>
    public IPEndPoint AddPathSocket(IPEndPoint bind)
    {
        var transport = UdpTransport.Bind(bind);
        var path = new PathSocket(transport);
        lock (SyncRoot)
        {
            if (_stopping || _fault is not null || _pathSockets.Count >= MaxPathSockets)
            {
                transport.Dispose();
                throw new InvalidOperationException(_pathSockets.Count >= MaxPathSockets ? "too many paths on this endpoint" : "the endpoint stopped");
            }
            _pathSockets[transport.LocalEndPoint] = path;
        }
        path.Receiver = new Thread(() => ReceivePath(path)) { IsBackground = true, Name = $"quic path {transport.LocalEndPoint}" };
        path.Receiver.Start();
        return transport.LocalEndPoint;
    }

    /// <summary>Closes the socket of a path that is gone.</summary>
    public void RemovePathSocket(IPEndPoint local)
    {
        PathSocket? path;
        lock (SyncRoot)
        {
            if (!_pathSockets.Remove(local, out path)) return;
        }
        path.Closed = true;
        path.Transport.Dispose();
    }

    /// <summary>The socket bound at <paramref name="source"/>, or the endpoint's own when there is none.</summary>
    private IUdpTransport PathSocketLocked(IPEndPoint source) =>
        _pathSockets.TryGetValue(source, out var path) && !path.Closed ? path.Transport : _socket;

    private void ClosePathSockets()
    {
        PathSocket[] all;
        lock (SyncRoot)
        {
            all = [.. _pathSockets.Values];
            _pathSockets.Clear();
        }
        foreach (var p in all)
        {
            p.Closed = true;
            p.Transport.Dispose();
        }
    }

    /// <summary>A path socket's receive thread: blocks on its socket, then feeds what arrived to the endpoint.</summary>
    private void ReceivePath(PathSocket path)
    {
        var batch = path.Transport.CreateReceiveBatch();
        try
        {
            while (!path.Closed && !_stopping)
            {
                int n;
                try
                {
                    n = path.Transport.ReceiveBatch(batch, 200);
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                if (n == 0) continue;
                lock (SyncRoot)
                {
                    if (_fault is not null) break;
                    long now = NowUs;
                    for (int i = 0; i < n; i++)
                    {
                        ref var entry = ref batch[i];
                        for (int s = 0; s < batch.SegmentCount(i); s++)
                        {
                            try
                            {
                                Endpoint.HandleDatagram(now, batch.GetSegment(i, s), entry.From, entry.Ecn);
                            }
                            catch (Exception e)
                            {
                                Log.DatagramFailed(_logger, entry.From, e);
                            }
                        }
                    }
                }
                Wake(); // the loop sends what the datagrams called for
            }
        }
        finally
        {
            UdpBufferPool.ReturnBatch(batch);
        }
    }
}
