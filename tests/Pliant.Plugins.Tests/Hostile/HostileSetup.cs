using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Plugins.Tests.Hostile;

/// <summary>Two client connections through one simulated pair: the victim runs the hostile plugin, the bystander runs nothing.</summary>
internal sealed class HostileSetup
{
    public HostileSetup(int seed)
    {
        S = new Scenario(seed, p => p.ClientToServer.BandwidthBitsPerSecond = 50_000_000);
        Bystander = S.Pair.Connect(SimulationSetup.ClientOptions(seed + 1000));
        Assert.True(S.Pair.RunUntil(() => Bystander.IsConnected && S.Pair.Server.Connections.Count == 2 && S.Pair.Server.Connections[1].IsConnected, 10_000_000));
        BystanderServer = S.Pair.Server.Connections[1];
        BystanderClientCollector = new StreamCollector(Bystander);
        BystanderServerCollector = new StreamCollector(BystanderServer);
        S.OnStep(() => { BystanderClientCollector.Step(); BystanderServerCollector.Step(); });
    }

    public Scenario S { get; }
    public PluginHost Host { get; } = new();
    public QuicConnectionCore Bystander { get; }
    public QuicConnectionCore BystanderServer { get; }
    public StreamCollector BystanderClientCollector { get; }
    public StreamCollector BystanderServerCollector { get; }

    /// <summary>Uploads on both connections at once; asserts the bystander's data arrives intact.</summary>
    public (bool VictimDone, ulong VictimStream) UploadOnBoth(int size, long limitUs = 30_000_000)
    {
        ulong victim = S.StartUpload(size, 7);
        Assert.True(Bystander.TryOpenStream(true, out ulong other));
        var payload = new byte[size];
        new Random(8).NextBytes(payload);
        var pump = new StreamPump(Bystander, other, payload);
        S.OnStep(pump.Step);
        Assert.True(S.Pair.RunUntil(() => BystanderServerCollector.Finished.Contains(other), limitUs), "bystander transfer incomplete");
        Assert.Equal(payload, BystanderServerCollector.Data[other].ToArray());
        bool done = S.Pair.RunUntil(() => S.Collector.Finished.Contains(victim) || S.Client.IsClosed, limitUs);
        return (done && S.Collector.Finished.Contains(victim), victim);
    }

    /// <summary>The bystander saw no plugin events and is still connected.</summary>
    public void AssertBystanderUntouched()
    {
        Assert.True(Bystander.IsConnected && BystanderServer.IsConnected);
        Assert.DoesNotContain(BystanderClientCollector.Events, e => e.Kind == ConnectionEventKind.Plugin);
        Assert.DoesNotContain(BystanderServerCollector.Events, e => e.Kind == ConnectionEventKind.Plugin);
    }

    public string[] VictimMessages(string pluginId) => [.. Scenario.PluginMessages(S.ClientEvents, pluginId)];
}
