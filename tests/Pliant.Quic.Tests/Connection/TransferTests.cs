using System.Security.Cryptography;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Connections;

public class TransferTests
{
    private static byte[] Payload(int seed, int size)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Client uploads <paramref name="size"/> bytes on one stream; the server reads them back.</summary>
    private static void Upload(SimulatedPair pair, QuicConnectionCore client, int size, int seed, long limitUs = 300_000_000)
    {
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected, 60_000_000));
        var server = pair.Server.Connections[0];
        Assert.True(client.TryOpenStream(true, out ulong id));
        var payload = Payload(seed, size);
        var pump = new StreamPump(client, id, payload);
        var collector = new StreamCollector(server);
        pair.OnStep = () => { pump.Step(); collector.Step(); };
        bool done = pair.RunUntil(() => collector.Finished.Contains(id), limitUs);
        Assert.True(done, $"transfer incomplete: got {(collector.Data.TryGetValue(id, out var got) ? got.Length : 0)} of {size}; seed {seed}");
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(collector.Data[id].ToArray()));
    }

    [Fact]
    public void OneKibibyte()
    {
        var pair = new SimulatedPair(20, SimulationSetup.ServerEndpoint(20));
        Upload(pair, pair.Connect(SimulationSetup.ClientOptions(20)), 1024, 20);
    }

    [Fact]
    public void TwoMebibytesOverBandwidthLimitedLink()
    {
        var pair = new SimulatedPair(21, SimulationSetup.ServerEndpoint(21));
        pair.ClientToServer.BandwidthBitsPerSecond = 50_000_000;
        pair.ServerToClient.BandwidthBitsPerSecond = 50_000_000;
        pair.ClientToServer.QueueLimitBytes = 256 * 1024;
        Upload(pair, pair.Connect(SimulationSetup.ClientOptions(21)), 2 << 20, 21);
    }

    [Theory]
    [InlineData(22, 0.05, CongestionControlAlgorithm.Cubic)]
    [InlineData(23, 0.05, CongestionControlAlgorithm.NewReno)]
    [InlineData(24, 0.15, CongestionControlAlgorithm.Cubic)]
    [InlineData(26, 0.05, CongestionControlAlgorithm.Lia)]
    public void OneMebibyteUnderLoss(int seed, double loss, CongestionControlAlgorithm cc)
    {
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed, SimulationSetup.ServerOptions(seed, cc: cc)));
        pair.ClientToServer.LossRate = loss;
        pair.ServerToClient.LossRate = loss;
        Upload(pair, pair.Connect(SimulationSetup.ClientOptions(seed, cc: cc)), 1 << 20, seed);
    }

    [Fact]
    public void ReorderingDuplicationAndCorruption()
    {
        var pair = new SimulatedPair(25, SimulationSetup.ServerEndpoint(25));
        foreach (var link in new[] { pair.ClientToServer, pair.ServerToClient })
        {
            link.ReorderRate = 0.1;
            link.DuplicateRate = 0.05;
            link.CorruptRate = 0.02;
        }
        Upload(pair, pair.Connect(SimulationSetup.ClientOptions(25)), 512 * 1024, 25);
    }

    [Fact]
    public void TwentyConcurrentStreamsBothWays()
    {
        var pair = new SimulatedPair(26, SimulationSetup.ServerEndpoint(26));
        var client = pair.Connect(SimulationSetup.ClientOptions(26));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections[0].IsConnected));
        var server = pair.Server.Connections[0];
        var pumps = new List<StreamPump>();
        var payloads = new Dictionary<ulong, byte[]>();
        for (int i = 0; i < 20; i++)
        {
            Assert.True(client.TryOpenStream(true, out ulong id));
            payloads[id] = Payload(100 + i, 10_000 + i * 3_000);
            pumps.Add(new StreamPump(client, id, payloads[id]));
        }
        var collector = new StreamCollector(server);
        pair.OnStep = () => { foreach (var p in pumps) p.Step(); collector.Step(); };
        Assert.True(pair.RunUntil(() => collector.Finished.Count == 20));
        foreach (var (id, data) in payloads) Assert.Equal(data, collector.Data[id].ToArray());
    }

    [Fact]
    public void KeyUpdateInitiatedByClientMidTransfer()
    {
        var pair = new SimulatedPair(27, SimulationSetup.ServerEndpoint(27));
        var client = pair.Connect(SimulationSetup.ClientOptions(27));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections[0].IsConnected));
        pair.RunFor(200_000); // let HANDSHAKE_DONE arrive: key updates need a confirmed handshake
        var server = pair.Server.Connections[0];
        Assert.True(client.TryOpenStream(true, out ulong id));
        var payload = Payload(27, 300_000);
        var pump = new StreamPump(client, id, payload);
        var collector = new StreamCollector(server);
        int updates = 0;
        pair.OnStep = () =>
        {
            pump.Step();
            collector.Step();
            if (updates < 3 && client.InitiateKeyUpdate()) updates++;
        };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id)));
        Assert.Equal(payload, collector.Data[id].ToArray());
        Assert.True(updates >= 2, $"only {updates} key updates");
        Assert.True(server.KeyUpdates >= 2);
    }

    [Fact]
    public void NatRebindingMidTransfer()
    {
        var pair = new SimulatedPair(28, SimulationSetup.ServerEndpoint(28));
        var client = pair.Connect(SimulationSetup.ClientOptions(28));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections[0].IsConnected));
        pair.RunFor(200_000);
        var server = pair.Server.Connections[0];
        Assert.True(client.TryOpenStream(true, out ulong id));
        var payload = Payload(28, 400_000);
        var pump = new StreamPump(client, id, payload);
        var collector = new StreamCollector(server);
        bool rebound = false;
        pair.OnStep = () =>
        {
            pump.Step();
            collector.Step();
            if (!rebound && collector.Data.TryGetValue(id, out var ms) && ms.Length > 100_000)
            {
                rebound = true;
                pair.ClientAddress = new System.Net.IPEndPoint(pair.ClientAddress.Address, 50001);
            }
        };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id)));
        Assert.Equal(payload, collector.Data[id].ToArray());
        Assert.Equal(50001, server.RemoteEndPoint.Port);
        Assert.True(server.PathMigrations >= 1);
    }

    [Fact]
    public void ClientMigrationMidTransferUsesANewConnectionIdAndValidatesThePath()
    {
        var pair = new SimulatedPair(29, SimulationSetup.ServerEndpoint(29));
        var client = pair.Connect(SimulationSetup.ClientOptions(29));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections[0].IsConnected));
        pair.RunFor(200_000); // HANDSHAKE_DONE and the server's spare connection IDs arrive
        var server = pair.Server.Connections[0];
        Assert.True(client.TryOpenStream(true, out ulong id));
        var payload = Payload(29, 400_000);
        var pump = new StreamPump(client, id, payload);
        var collector = new StreamCollector(server);
        var before = client.RemoteConnectionId;
        bool migrated = false;
        pair.OnStep = () =>
        {
            pump.Step();
            collector.Step();
            if (!migrated && collector.Data.TryGetValue(id, out var ms) && ms.Length > 100_000)
            {
                migrated = true;
                pair.ClientAddress = new System.Net.IPEndPoint(pair.ClientAddress.Address, 50002);
                Assert.True(client.MigrateToNewLocalAddress(pair.NowUs));
            }
        };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id) && !client.IsValidatingPath));
        Assert.Equal(payload, collector.Data[id].ToArray());
        Assert.NotEqual(before, client.RemoteConnectionId); // RFC 9000 §9.5
        Assert.Equal(50002, server.RemoteEndPoint.Port);
    }
}
