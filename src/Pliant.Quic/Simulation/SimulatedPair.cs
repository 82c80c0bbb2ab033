using System.Net;
using Pliant.Quic.Connection;

namespace Pliant.Quic.Simulation;

/// <summary>
/// A client endpoint and a server endpoint joined by two <see cref="SimulatedLink"/>s, driven by a
/// virtual clock. Nothing sleeps: time jumps to the next event. Deterministic for a given seed. The test
/// suites and <c>pliant sim</c> (a plugin against a scenario) run connections through it.
/// </summary>
public sealed class SimulatedPair
{
    private readonly PriorityQueue<Delivery, (long, long)> _queue = new();
    private readonly byte[] _buffer = new byte[65536];
    private long _sequence;

    private sealed record Delivery(bool ToServer, byte[] Data, IPEndPoint From, bool Ce);

    /// <summary>A pair whose links and client endpoint draw their random choices from <paramref name="seed"/>.</summary>
    public SimulatedPair(int seed, QuicEndpointOptions serverOptions, QuicEndpointOptions? clientOptions = null)
    {
        Seed = seed;
        Server = new QuicEndpointCore(serverOptions);
        Client = new QuicEndpointCore(clientOptions ?? new QuicEndpointOptions { Random = new Random(seed + 1) });
        ClientToServer = new SimulatedLink(seed * 31 + 7);
        ServerToClient = new SimulatedLink(seed * 31 + 13);
    }

    /// <summary>The seed of the pair.</summary>
    public int Seed { get; }

    /// <summary>The virtual clock, µs (starts at 1 s).</summary>
    public long NowUs { get; private set; } = 1_000_000;

    /// <summary>The client endpoint.</summary>
    public QuicEndpointCore Client { get; }

    /// <summary>The server endpoint.</summary>
    public QuicEndpointCore Server { get; }

    /// <summary>The link from the client's first address to the server.</summary>
    public SimulatedLink ClientToServer { get; }

    /// <summary>The link from the server to the client's first address.</summary>
    public SimulatedLink ServerToClient { get; }

    /// <summary>The server's address.</summary>
    public IPEndPoint ServerAddress { get; } = new(IPAddress.Parse("10.0.0.1"), 443);

    /// <summary>The client's first address.</summary>
    public IPEndPoint ClientAddress { get; set; } = new(IPAddress.Parse("10.0.0.2"), 50000);

    /// <summary>
    /// Keep a copy of every datagram in <see cref="ClientSent"/>, <see cref="ServerSent"/> and
    /// <see cref="ServerSentTo"/> (tests assert on them). On by default; long runs turn it off, or they keep every
    /// byte sent.
    /// </summary>
    public bool RecordDatagrams { get; set; } = true;

    /// <summary>Datagrams sent by the client, for assertions on sizes and padding (with <see cref="RecordDatagrams"/>).</summary>
    public List<byte[]> ClientSent { get; } = [];

    /// <summary>Datagrams sent by the server (with <see cref="RecordDatagrams"/>).</summary>
    public List<byte[]> ServerSent { get; } = [];

    /// <summary>Every datagram the server sent, with the address it was sent to.</summary>
    public List<(System.Net.IPEndPoint To, int Length)> ServerSentTo { get; } = [];

    /// <summary>Deliver to the client only what the server addressed to <see cref="ClientAddress"/> (attack simulations: spoofed sources).</summary>
    public bool DropMisaddressed { get; set; }

    /// <summary>The client's other interfaces (multipath): each has its own pair of links to the server.</summary>
    private readonly Dictionary<IPEndPoint, (SimulatedLink Up, SimulatedLink Down)> _clientPaths = [];

    /// <summary>A NAT in front of a client address: the server sees the mapped address (rebinding changes it).</summary>
    private readonly Dictionary<IPEndPoint, IPEndPoint> _nat = [];

    /// <summary>
    /// Gives the client another interface at <paramref name="clientAddress"/> with its own links to the server
    /// (seeded from the pair's seed and <paramref name="index"/>); datagrams the client sends from it
    /// (<see cref="Transmit.Source"/>) and the server's answers to it travel over these links.
    /// </summary>
    public (SimulatedLink Up, SimulatedLink Down) AddClientPath(IPEndPoint clientAddress, int index = 1)
    {
        var links = (new SimulatedLink(Seed * 31 + 7 + 100 * index), new SimulatedLink(Seed * 31 + 13 + 100 * index));
        _clientPaths[clientAddress] = links;
        return links;
    }

    /// <summary>NAT rebinding on the client's interface <paramref name="clientAddress"/>: the server sees <paramref name="mapped"/> from now on.</summary>
    public void Rebind(IPEndPoint clientAddress, IPEndPoint mapped) => _nat[clientAddress] = mapped;

    private IPEndPoint Mapped(IPEndPoint local) => _nat.TryGetValue(local, out var m) ? m : local;

    private SimulatedLink UpLinkOf(IPEndPoint? source) =>
        source is null || source.Equals(ClientAddress) || !_clientPaths.TryGetValue(source, out var l) ? ClientToServer : l.Up;

    /// <summary>The link to a client address; null when the address is a NAT mapping that no longer exists (dropped).</summary>
    private SimulatedLink? DownLinkTo(IPEndPoint destination)
    {
        foreach (var (local, links) in _clientPaths)
        {
            if (Mapped(local).Equals(destination)) return links.Down;
            if (local.Equals(destination) && _nat.ContainsKey(local)) return null; // the old mapping after a rebinding
        }
        return ServerToClient;
    }

    /// <summary>Called after every step, e.g. to feed application data.</summary>
    public Action? OnStep { get; set; }

    /// <summary>Starts a client connection to <see cref="ServerAddress"/>.</summary>
    public QuicConnectionCore Connect(QuicConnectionOptions options) =>
        Client.Connect(NowUs, options, ServerAddress);

    /// <summary>Runs until <paramref name="done"/> holds or virtual time passes <paramref name="limitUs"/>. True if done.</summary>
    public bool RunUntil(Func<bool> done, long limitUs = 60_000_000)
    {
        long end = NowUs + limitUs;
        for (int guard = 0; guard < 50_000_000; guard++)
        {
            Flush();
            OnStep?.Invoke();
            Flush();
            if (done()) return true;
            long next = long.MaxValue;
            if (_queue.TryPeek(out _, out var key)) next = key.Item1;
            if (Client.PollTimeout() is { } ct) next = Math.Min(next, ct);
            if (Server.PollTimeout() is { } st) next = Math.Min(next, st);
            if (next == long.MaxValue) return done();
            if (next > end) { NowUs = end; return done(); }
            NowUs = Math.Max(NowUs, next);
            while (_queue.TryPeek(out var d, out var k) && k.Item1 <= NowUs)
            {
                _queue.Dequeue();
                var ecn = d.Ce ? EcnCodepoint.Ce : EcnCodepoint.Ect0;
                if (d.ToServer) Server.HandleDatagram(NowUs, d.Data, d.From, ecn);
                else Client.HandleDatagram(NowUs, d.Data, ServerAddress, ecn);
            }
            Client.HandleTimeout(NowUs);
            Server.HandleTimeout(NowUs);
        }
        throw new InvalidOperationException("simulation did not settle");
    }

    /// <summary>Advances virtual time by <paramref name="us"/> while running.</summary>
    public void RunFor(long us)
    {
        long end = NowUs + us;
        RunUntil(() => NowUs >= end, us + 1);
    }

    private void Flush()
    {
        for (int round = 0; round < 10_000; round++)
        {
            bool any = false;
            while (Client.PollTransmit(NowUs, _buffer, 10, out var t))
            {
                any = true;
                var from = Mapped(t.Source ?? ClientAddress);
                var up = UpLinkOf(t.Source);
                foreach (var datagram in Split(t))
                {
                    if (RecordDatagrams) ClientSent.Add(datagram);
                    foreach (var (at, data, ce) in up.Transmit(NowUs, datagram))
                        _queue.Enqueue(new Delivery(true, data, from, ce), (at, _sequence++));
                }
            }
            while (Server.PollTransmit(NowUs, _buffer, 10, out var t))
            {
                any = true;
                var down = DownLinkTo(t.Destination);
                foreach (var datagram in Split(t))
                {
                    if (RecordDatagrams)
                    {
                        ServerSent.Add(datagram);
                        ServerSentTo.Add((t.Destination, datagram.Length));
                    }
                    if (DropMisaddressed && !t.Destination.Equals(ClientAddress) || down is null) continue;
                    foreach (var (at, data, ce) in down.Transmit(NowUs, datagram))
                        _queue.Enqueue(new Delivery(false, data, ServerAddress, ce), (at, _sequence++));
                }
            }
            if (!any) return;
        }
    }

    private IEnumerable<byte[]> Split(Transmit t)
    {
        int segment = t.SegmentSize <= 0 ? t.Length : t.SegmentSize;
        for (int offset = 0; offset < t.Length; offset += segment)
            yield return _buffer.AsSpan(offset, Math.Min(segment, t.Length - offset)).ToArray();
    }
}
