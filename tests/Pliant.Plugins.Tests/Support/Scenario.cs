using System.Text;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Plugins.Tests.Support;

/// <summary>A connected simulated pair plus helpers to move data and watch plugin events.</summary>
public sealed class Scenario
{
    private readonly List<Action> _steps = [];

    /// <param name="transportParameters">Extra transport parameters both sides send (plugins' TPs).</param>
    public Scenario(int seed, Action<SimulatedPair>? link = null, CongestionControlAlgorithm cc = CongestionControlAlgorithm.Cubic, int datagrams = 0,
        IReadOnlyList<(ulong Id, byte[] Value)>? transportParameters = null)
    {
        var tps = transportParameters ?? [];
        var server = SimulationSetup.ServerOptions(seed, cc: cc, maxDatagramFrameSize: datagrams);
        server = new QuicConnectionOptions
        {
            Server = server.Server, Random = server.Random, CongestionControl = cc, MaxDatagramFrameSize = datagrams, ExtraTransportParameters = tps,
        };
        Pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed, server));
        link?.Invoke(Pair);
        var client = SimulationSetup.ClientOptions(seed, cc: cc, maxDatagramFrameSize: datagrams);
        Client = Pair.Connect(new QuicConnectionOptions
        {
            Client = client.Client, Random = client.Random, CongestionControl = cc, InitialVersion = client.InitialVersion,
            MaxDatagramFrameSize = datagrams, ExtraTransportParameters = tps,
        });
        Assert.True(Pair.RunUntil(() => Client.IsConnected && Pair.Server.Connections.Count == 1 && Pair.Server.Connections[0].IsConnected, 10_000_000), "handshake");
        Server = Pair.Server.Connections[0];
        Collector = new StreamCollector(Server);
        ClientCollector = new StreamCollector(Client);
        Pair.OnStep = () =>
        {
            ClientCollector.Step();
            Collector.Step();
            foreach (var s in _steps) s();
        };
    }

    public SimulatedPair Pair { get; }
    public QuicConnectionCore Client { get; }
    public QuicConnectionCore Server { get; }
    public StreamCollector Collector { get; }
    public StreamCollector ClientCollector { get; }
    public List<ConnectionEvent> ClientEvents => ClientCollector.Events;
    public List<ConnectionEvent> ServerEvents => Collector.Events;
    public long NowUs => Pair.NowUs;

    public void OnStep(Action a) => _steps.Add(a);

    /// <summary>Starts a client → server upload; returns the stream id.</summary>
    public ulong StartUpload(int size, int seed = 1)
    {
        Assert.True(Client.TryOpenStream(true, out ulong id));
        var payload = new byte[size];
        new Random(seed).NextBytes(payload);
        var pump = new StreamPump(Client, id, payload);
        _steps.Add(pump.Step);
        return id;
    }

    /// <summary>Starts a server → client download on a server-initiated stream; returns the stream id.</summary>
    public ulong StartDownload(int size, int seed = 2)
    {
        Assert.True(Server.TryOpenStream(false, out ulong id));
        var payload = new byte[size];
        new Random(seed).NextBytes(payload);
        var pump = new StreamPump(Server, id, payload);
        _steps.Add(pump.Step);
        return id;
    }

    public int Downloaded(ulong id) => ClientCollector.Data.TryGetValue(id, out var ms) ? (int)ms.Length : 0;

    public int Received(ulong id) => Collector.Data.TryGetValue(id, out var ms) ? (int)ms.Length : 0;

    /// <summary>Uploads <paramref name="size"/> bytes and returns the virtual time it took (µs).</summary>
    public long Upload(int size, long limitUs = 120_000_000)
    {
        long start = NowUs;
        ulong id = StartUpload(size);
        Assert.True(Pair.RunUntil(() => Collector.Finished.Contains(id), limitUs), $"upload incomplete: {Received(id)} of {size}");
        return NowUs - start;
    }

    /// <summary>Plugin event messages raised on a connection for <paramref name="pluginId"/>.</summary>
    public static IEnumerable<string> PluginMessages(IEnumerable<ConnectionEvent> events, string pluginId) =>
        events.Where(e => e.Kind == ConnectionEventKind.Plugin && e.Data is { } d && Encoding.UTF8.GetString(d) == pluginId).Select(e => e.Reason ?? "");
}
