using System.Net;
using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Router.QuicLb;
using Pliant.Router.Rules;

namespace Pliant.Router.Tests.Support;

/// <summary>
/// The topology in simulation: backend A (a Pliant server with QUIC-LB IDs and the forwarding header) for
/// a.example, backend B (a server with random IDs behind flows: "foreign") for b.example.
/// </summary>
internal sealed class Topology
{
    public static readonly QuicLbConfiguration LbConfig = new(0, 3, 6, Convert.FromHexString("8f95f09245765f80256934e50c66207f"));
    public static readonly byte[] ServerIdA = [0x0a, 0x00, 0x01];

    public Topology(int seed, RouterLimits? limits = null, Action<RoutingRules, RouterBackend, RouterBackend>? rules = null, IReadOnlyList<string>? alpn = null)
    {
        A = new RouterBackend(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 4433), forwardingHeader: true, "A");
        B = new RouterBackend(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 4433), forwardingHeader: false, "B");
        var quicLb = new QuicLbRouting();
        quicLb.AddConfiguration(LbConfig);
        quicLb.AddServer(0, ServerIdA, A);
        var r = new RoutingRules();
        if (rules is null)
        {
            r.AddName("a.example", A);
            r.AddName("b.example", B);
        }
        else
        {
            rules(r, A, B);
        }
        Router = new QuicRouter([A, B], r, quicLb, limits ?? new RouterLimits { ProbeInterval = TimeSpan.Zero }, RandomSource.Seeded(new Random(seed)));
        var generator = new QuicLbConnectionIdGenerator(LbConfig, ServerIdA, RandomSource.Seeded(new Random(seed + 5)));
        ServerA = new QuicEndpointCore(Options.Server(seed + 10, generator, alpn: alpn));
        ServerB = new QuicEndpointCore(Options.Server(seed + 20, alpn: alpn));
        Network = new RoutedNetwork(seed, Router, [ServerA, ServerB]);
    }

    public RouterBackend A { get; }
    public RouterBackend B { get; }
    public QuicRouter Router { get; }
    public QuicEndpointCore ServerA { get; }
    public QuicEndpointCore ServerB { get; }
    public RoutedNetwork Network { get; }

    public QuicConnectionCore Connect(int seed, QuicConnectionOptions options)
    {
        var endpoint = new QuicEndpointCore(Options.ClientEndpoint(seed));
        Network.AddClient(endpoint);
        return endpoint.Connect(Network.NowUs, options, Network.RouterAddress);
    }

    /// <summary>Which server endpoint served each downloaded connection (the last <see cref="Download"/>).</summary>
    public QuicEndpointCore? LastServedBy { get; private set; }

    /// <summary>
    /// The client asks on a stream and downloads <paramref name="bytes"/> from whichever server accepted it; true when all
    /// arrived. <paramref name="midway"/> runs once a third has arrived (migrations).
    /// </summary>
    public bool Download(QuicConnectionCore client, int bytes, Action? midway = null, long limitUs = 120_000_000)
    {
        LastServedBy = null;
        if (!Network.RunUntil(() => client.IsConnected, limitUs)) return false;
        client.TryOpenStream(bidirectional: true, out ulong id);
        client.StreamWrite(id, [1], fin: true);
        long received = 0;
        bool midwayDone = midway is null;
        var buffer = new byte[65536];
        var zeros = new byte[65536];
        var remaining = new Dictionary<QuicConnectionCore, (ulong Stream, int Left)>();
        return Network.RunUntil(() =>
        {
            foreach (var server in new[] { ServerA, ServerB })
            {
                foreach (var c in server.Connections)
                {
                    while (c.TryPollEvent(out var e))
                    {
                        if (e.Kind == ConnectionEventKind.StreamReadable && !remaining.ContainsKey(c))
                        {
                            remaining[c] = (e.StreamId, bytes);
                            LastServedBy = server;
                        }
                    }
                    if (remaining.TryGetValue(c, out var r) && r.Left > 0)
                    {
                        int chunk = Math.Min(r.Left, zeros.Length);
                        int n = c.StreamWrite(r.Stream, zeros.AsSpan(0, chunk), fin: chunk == r.Left);
                        remaining[c] = (r.Stream, r.Left - n);
                        if (n == chunk && chunk == r.Left) remaining[c] = (r.Stream, 0);
                    }
                }
            }
            while (client.TryPollEvent(out _)) { }
            while (true)
            {
                int n = client.StreamRead(id, buffer, out bool fin);
                received += n;
                if (!midwayDone && received > bytes / 3)
                {
                    midwayDone = true;
                    midway!();
                }
                if (fin) return received == bytes;
                if (n == 0) return false;
            }
        }, limitUs);
    }
}
