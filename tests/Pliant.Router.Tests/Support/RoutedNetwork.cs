using System.Net;
using Pliant.Quic.Connection;

namespace Pliant.Router.Tests.Support;

/// <summary>
/// Clients, a <see cref="QuicRouter"/> and backend endpoints on a virtual clock. A datagram to a Pliant
/// backend reaches it with the client's address (what the forwarding header carries); a foreign backend sees
/// one flow address per (client address, backend), as through the router's flow sockets, and what it sends
/// is shown to <see cref="QuicRouter.OnBackendDatagram"/> before it goes back. Client → router datagrams can be
/// lost or held back (seeded). Deterministic for a seed.
/// </summary>
internal sealed class RoutedNetwork
{
    private readonly PriorityQueue<(int Kind, byte[] Data, IPEndPoint From, IPEndPoint To, int Backend), (long, long)> _queue = new();
    private readonly byte[] _buffer = new byte[65536];
    private readonly Random _dice;
    private readonly Dictionary<(IPEndPoint Client, int Backend), IPEndPoint> _flows = [];
    private readonly Dictionary<IPEndPoint, (IPEndPoint Client, int Backend)> _flowOwners = [];
    private long _sequence;
    private int _nextFlowPort = 20000;

    public RoutedNetwork(int seed, QuicRouter router, IReadOnlyList<QuicEndpointCore> backends)
    {
        _dice = new Random(seed);
        Router = router;
        Backends = backends;
        router.FourTupleLookup = client =>
        {
            foreach (var ((c, b), _) in _flows) if (c.Equals(client)) return router.Backends[b];
            return null;
        };
    }

    public QuicRouter Router { get; }
    public IReadOnlyList<QuicEndpointCore> Backends { get; }
    public List<(QuicEndpointCore Endpoint, IPEndPoint Address)> Clients { get; } = [];
    public IPEndPoint RouterAddress { get; } = new(IPAddress.Parse("198.51.100.1"), 443);
    public long NowUs { get; private set; } = 1_000_000;

    /// <summary>Client → router: probability a datagram is lost.</summary>
    public double UpLoss { get; set; }

    /// <summary>Client → router: probability a datagram is held back by <see cref="ReorderDelayUs"/>.</summary>
    public double UpReorder { get; set; }

    public long ReorderDelayUs { get; set; } = 30_000;

    /// <summary>One-way delay of every hop.</summary>
    public long DelayUs { get; set; } = 5_000;

    /// <summary>Drops the client's datagrams whose index (per client, from 0) is in this set, once each (exact loss patterns).</summary>
    public HashSet<int> DropClientDatagrams { get; } = [];

    /// <summary>Holds the client's datagrams whose index is in this set back by <see cref="ReorderDelayUs"/> (exact reordering).</summary>
    public HashSet<int> HoldBackClientDatagrams { get; } = [];

    /// <summary>Every client datagram as sent, in order.</summary>
    public List<byte[]> ClientSent { get; } = [];

    /// <summary>Routing decisions of the router, in order.</summary>
    public List<RouteResult> Decisions { get; } = [];

    /// <summary>Datagrams each backend received.</summary>
    public int[] BackendReceived => _backendReceived ??= new int[Backends.Count];
    private int[]? _backendReceived;

    public int AddClient(QuicEndpointCore endpoint)
    {
        Clients.Add((endpoint, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 50000 + Clients.Count)));
        return Clients.Count - 1;
    }

    /// <summary>
    /// The client moves to a new port (a NAT rebinding, or a migration when its core is told too). What is sent to the
    /// old port still reaches it, as with Pliant's driver, which keeps the old socket open for a while: the client
    /// answers from the new port, and the server follows it there.
    /// </summary>
    public IPEndPoint MoveClient(int index)
    {
        var (e, a) = Clients[index];
        var moved = new IPEndPoint(a.Address, a.Port + 1000);
        Clients[index] = (e, moved);
        _oldAddresses[a] = index;
        return moved;
    }

    private readonly Dictionary<IPEndPoint, int> _oldAddresses = [];

    public bool RunUntil(Func<bool> done, long limitUs = 60_000_000)
    {
        long end = NowUs + limitUs;
        var received = BackendReceived;
        for (int guard = 0; guard < 5_000_000; guard++)
        {
            Flush();
            if (done()) return true;
            long next = long.MaxValue;
            if (_queue.TryPeek(out _, out var key)) next = key.Item1;
            foreach (var (c, _) in Clients) if (c.PollTimeout() is { } t) next = Math.Min(next, t);
            foreach (var b in Backends) if (b.PollTimeout() is { } t) next = Math.Min(next, t);
            if (next == long.MaxValue) return done();
            if (next > end) return done();
            NowUs = Math.Max(NowUs, next);
            while (_queue.TryPeek(out var d, out var k) && k.Item1 <= NowUs)
            {
                _queue.Dequeue();
                switch (d.Kind)
                {
                    case 0: // client → router
                        Route(d.Data, d.From);
                        break;
                    case 1: // router → backend
                        received[d.Backend]++;
                        Backends[d.Backend].HandleDatagram(NowUs, d.Data, d.From, EcnCodepoint.NotEct);
                        break;
                    default: // router → client
                        foreach (var (c, a) in Clients)
                            if (a.Equals(d.To)) c.HandleDatagram(NowUs, d.Data, RouterAddress, EcnCodepoint.NotEct);
                        if (_oldAddresses.TryGetValue(d.To, out int old)) Clients[old].Endpoint.HandleDatagram(NowUs, d.Data, RouterAddress, EcnCodepoint.NotEct);
                        break;
                }
            }
            foreach (var (c, _) in Clients) c.HandleTimeout(NowUs);
            foreach (var b in Backends) b.HandleTimeout(NowUs);
            Router.HandleTimeout(NowUs);
        }
        throw new InvalidOperationException("the simulation did not settle");
    }

    /// <summary>Feeds a datagram to the router as if <paramref name="from"/> had sent it (hostile input).</summary>
    public RouteResult Inject(byte[] datagram, IPEndPoint from) => Route(datagram, from);

    private RouteResult Route(byte[] data, IPEndPoint from)
    {
        var r = Router.RouteFromClient(NowUs, data, from);
        Decisions.Add(r);
        if (r.Action == RouteAction.Forward) ToBackend(r.Backend!, data, from);
        while (Router.TryTakeReleased(out var held)) ToBackend(held.Backend, held.Data, held.Client);
        return r;
    }

    private void ToBackend(RouterBackend backend, byte[] data, IPEndPoint client)
    {
        var from = client;
        if (!backend.ForwardingHeader)
        {
            if (!_flows.TryGetValue((client, backend.Index), out var flow))
            {
                flow = new IPEndPoint(IPAddress.Parse("192.0.2.200"), _nextFlowPort++);
                _flows[(client, backend.Index)] = flow;
                _flowOwners[flow] = (client, backend.Index);
            }
            from = flow;
        }
        _queue.Enqueue((1, data, from, backend.Address, backend.Index), (NowUs + DelayUs, _sequence++));
    }

    private void Flush()
    {
        for (int round = 0; round < 10_000; round++)
        {
            bool any = false;
            foreach (var (c, address) in Clients)
            {
                while (c.PollTransmit(NowUs, _buffer, 1, out var t))
                {
                    any = true;
                    var d = _buffer.AsSpan(0, t.Length).ToArray();
                    int index = ClientSent.Count;
                    ClientSent.Add(d);
                    if (DropClientDatagrams.Remove(index)) continue;
                    if (UpLoss > 0 && _dice.NextDouble() < UpLoss) continue;
                    bool holdBack = HoldBackClientDatagrams.Remove(index) || (UpReorder > 0 && _dice.NextDouble() < UpReorder);
                    long delay = DelayUs + (holdBack ? ReorderDelayUs : 0);
                    _queue.Enqueue((0, d, address, RouterAddress, -1), (NowUs + delay, _sequence++));
                }
            }
            for (int i = 0; i < Backends.Count; i++)
            {
                var b = Backends[i];
                while (b.PollTransmit(NowUs, _buffer, 1, out var t))
                {
                    any = true;
                    var d = _buffer.AsSpan(0, t.Length).ToArray();
                    var backend = Router.Backends[i];
                    if (Router.OnBackendDatagram(NowUs, backend, d)) continue;
                    var client = t.Destination;
                    if (!backend.ForwardingHeader)
                    {
                        if (!_flowOwners.TryGetValue(t.Destination, out var owner)) continue;
                        client = owner.Client;
                    }
                    _queue.Enqueue((2, d, RouterAddress, client, -1), (NowUs + DelayUs, _sequence++));
                }
            }
            if (!any) return;
        }
    }
}
