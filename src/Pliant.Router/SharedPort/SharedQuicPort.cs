using System.Net;
using System.Security.Cryptography;
using Pliant.Net;
using Pliant.Net.Internal;
using Pliant.Net.Udp;
using Pliant.Quic;
using Pliant.Router.QuicLb;
using Pliant.Router.Rules;

namespace Pliant.Router.SharedPort;

/// <summary>One listener of a <see cref="SharedQuicPort"/> and the new connections it takes.</summary>
public sealed class SharedPortListenerOptions
{
    /// <summary>
    /// The listener: certificate, ALPNs, limits, plugins, congestion control. Its <see cref="QuicListenerOptions.ListenEndPoint"/> is
    /// ignored (the port's is used); leave <see cref="QuicListenerOptions.ConnectionIdGenerator"/> and
    /// <see cref="QuicListenerOptions.ForwardedBy"/> unset: the port provides the connection IDs.
    /// </summary>
    public required QuicListenerOptions Listener { get; init; }

    /// <summary>Server names (exact, or <c>*.suffix</c>) whose new connections come here (an exact name beats a wildcard).</summary>
    public IReadOnlyList<string> ServerNames { get; init; } = [];

    /// <summary>ALPN protocols whose new connections come here when no server name matched.</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; init; } = [];

    /// <summary>Takes new connections no other rule matched, and answers unknown QUIC versions with Version Negotiation.</summary>
    public bool IsDefault { get; init; }
}

/// <summary>
/// Several <see cref="QuicListener"/>s on one UDP socket (issue 13 item 4, MultiStack): each with its own certificate,
/// ALPNs, plugins or congestion controller. One thread receives for all (GRO) and hands each datagram to its
/// listener: new connections by the server name and ALPN of their ClientHello (the rules of <see cref="RoutingRules"/>,
/// reassembled across Initial packets like <c>pliant route</c>), every later packet by the listener's server ID in
/// its connection ID (QUIC-LB, plaintext: one byte of server ID and seven random nonce bytes, so no table per
/// connection); listeners send straight out of the shared socket. docs/routing.md, "Shared port".
/// </summary>
public sealed class SharedQuicPort : IAsyncDisposable
{
    private const int NonceLength = 7;

    private readonly IUdpTransport _socket;
    private readonly QuicRouter _router;
    private readonly SharedPortTransport[] _transports;
    private readonly QuicListener[] _listeners;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _disposed;

    private SharedQuicPort(IUdpTransport socket, QuicRouter router, SharedPortTransport[] transports, QuicListener[] listeners)
    {
        _socket = socket;
        _router = router;
        _transports = transports;
        _listeners = listeners;
        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = $"quic shared {socket.LocalEndPoint}" };
    }

    /// <summary>Binds <paramref name="endPoint"/> and starts one listener per entry of <paramref name="listeners"/> (at most 255).</summary>
    /// <exception cref="ArgumentException">No listener, more than 255, no rule at all, or a listener with a connection ID generator or router of its own.</exception>
    public static ValueTask<SharedQuicPort> ListenAsync(IPEndPoint endPoint, IReadOnlyList<SharedPortListenerOptions> listeners, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(listeners);
        if (listeners.Count is 0 or > 255) throw new ArgumentException("a shared port takes 1 to 255 listeners", nameof(listeners));
        cancellationToken.ThrowIfCancellationRequested();
        // One plaintext configuration: server ID = 1 + the listener's position; the nonces are random (generator).
        var config = new QuicLbConfiguration(0, 1, NonceLength);
        var backends = new RouterBackend[listeners.Count];
        var rules = new RoutingRules();
        var quicLb = new QuicLbRouting();
        quicLb.AddConfiguration(config);
        for (int i = 0; i < listeners.Count; i++)
        {
            var l = listeners[i] ?? throw new ArgumentException("a listener entry is null", nameof(listeners));
            ArgumentNullException.ThrowIfNull(l.Listener);
            if (l.Listener.ConnectionIdGenerator is not null || l.Listener.ForwardedBy is not null)
                throw new ArgumentException($"listener {i}: its connection IDs come from the shared port (no ConnectionIdGenerator, no ForwardedBy)", nameof(listeners));
            backends[i] = new RouterBackend(new IPEndPoint(IPAddress.Loopback, i + 1), forwardingHeader: true, $"listener.{i}");
            quicLb.AddServer(0, [(byte)(i + 1)], backends[i]);
            foreach (var name in l.ServerNames) rules.AddName(name, backends[i]);
            foreach (var alpn in l.ApplicationProtocols) rules.AddAlpn(alpn, backends[i]);
            if (l.IsDefault) rules.AddDefault(backends[i]);
        }
        if (rules.IsEmpty) throw new ArgumentException("no listener has a server name, an ALPN or IsDefault: no new connection could be accepted", nameof(listeners));
        var router = new QuicRouter(backends, rules, quicLb, new RouterLimits { ProbeInterval = TimeSpan.Zero });

        var socket = UdpTransport.Bind(endPoint);
        var sendLock = new Lock();
        var transports = new SharedPortTransport[listeners.Count];
        var started = new QuicListener[listeners.Count];
        try
        {
            for (int i = 0; i < listeners.Count; i++)
            {
                transports[i] = new SharedPortTransport(socket, sendLock);
                var generator = new QuicLbConnectionIdGenerator(config, [(byte)(i + 1)], RandomSource.Secure);
                started[i] = QuicListener.ListenOn(listeners[i].Listener, transports[i], generator, cancellationToken);
            }
        }
        catch
        {
            foreach (var l in started) l?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            socket.Dispose();
            throw;
        }
        var port = new SharedQuicPort(socket, router, transports, started);
        port._thread.Start();
        return ValueTask.FromResult(port);
    }

    /// <summary>The shared address (port resolved).</summary>
    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    /// <summary>The listeners, in the order given.</summary>
    public IReadOnlyList<QuicListener> Listeners => _listeners;

    /// <summary>Datagrams by what routed them and drops by reason (<see cref="DropReason.QueueFull"/>: a listener fell behind).</summary>
    public RouterStatistics Statistics => _router.Statistics;

    /// <summary>The demultiplexer's tables (first flights, held ClientHellos): bounded by <see cref="RouterLimits.Default"/>.</summary>
    public RouterState State => _router.State;

    private void ReceiveLoop()
    {
        var batch = _socket.CreateReceiveBatch();
        var stats = _router.Statistics;
        long nextTimeout = 0;
        RoutedDatagramHandler hand = (backend, data, client, ecn, _) => Hand(backend, data, client, ecn);
        try
        {
            while (!_stopping)
            {
                int n = _socket.ReceiveBatch(batch, 100);
                long now = MonotonicClock.NowUs;
                if (now >= nextTimeout)
                {
                    _router.HandleTimeout(now);
                    nextTimeout = now + 500_000;
                }
                for (int i = 0; i < n; i++)
                {
                    ref var entry = ref batch[i];
                    int segments = batch.SegmentCount(i);
                    for (int s = 0; s < segments; s++)
                    {
                        try
                        {
                            _router.Dispatch(now, batch.GetSegment(i, s), entry.From, entry.Ecn, hand);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException && !_stopping)
                        {
                            stats.Drop(DropReason.Malformed); // a bug costs one datagram, not the port
                        }
                    }
                }
            }
        }
        catch (ObjectDisposedException) when (_stopping)
        {
        }
        finally
        {
            UdpBufferPool.ReturnBatch(batch);
        }
    }

    private void Hand(RouterBackend backend, ReadOnlySpan<byte> data, IPEndPoint from, Quic.Connection.EcnCodepoint ecn)
    {
        if (_transports[backend.Index].Enqueue(data, from, ecn)) backend.CountToBackend(data.Length);
        else _router.Statistics.Drop(DropReason.QueueFull);
    }

    /// <summary>Stops the listeners (their connections end as with <see cref="QuicListener.DisposeAsync"/>) and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var l in _listeners) await l.DisposeAsync().ConfigureAwait(false);
        _stopping = true;
        _thread.Join(TimeSpan.FromSeconds(2));
        foreach (var t in _transports) t.Dispose();
        _socket.Dispose();
    }
}
