using System.Security.Cryptography;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Connections;

/// <summary>
/// Path MTU discovery (DPLPMTUD, RFC 9000 §14.3, RFC 8899): a connection carries datagrams above 1,200 bytes only
/// once a probe of the size was acknowledged, finds a path's limit by bisection, and falls back to 1,200 bytes when
/// the path stops carrying the size in use. Before: 1,452-byte datagrams right after the handshake, and a path with
/// a smaller MTU (a tunnel) stalled every connection.
/// </summary>
public class PathMtuDiscoveryTests
{
    [Fact]
    public void Search_TriesTheLimitFirst_ThenBisectsAfterThreeLostProbes()
    {
        var d = new PmtuDiscovery();
        d.Start(1452, 0);
        Assert.True(d.ProbeDue(0));
        Assert.Equal(1452, d.NextProbeSize(0));
        for (int i = 0; i < PmtuDiscovery.MaxProbes; i++)
        {
            d.OnProbeSent(1452);
            Assert.False(d.ProbeDue(0)); // one probe in flight
            d.OnProbeLost(1452, 0);
        }
        Assert.Equal(1200, d.Current);
        int next = d.NextProbeSize(0);
        Assert.Equal(1326, next); // halfway between 1200 (acknowledged) and 1451 (not refused yet)
        d.OnProbeSent(next);
        Assert.True(d.OnProbeAcked(next, 0));
        Assert.Equal(1326, d.Current);
    }

    [Fact]
    public void Search_ConvergesBelowTheLimitOfThePath_AndRetriesAfterTheRaiseTimer()
    {
        var d = new PmtuDiscovery();
        d.Start(1452, 0);
        const int pathLimit = 1300;
        int probes = 0;
        while (d.ProbeDue(0))
        {
            int size = d.NextProbeSize(0);
            d.OnProbeSent(size);
            if (size <= pathLimit) d.OnProbeAcked(size, 0);
            else d.OnProbeLost(size, 0);
            Assert.True(++probes < 64, "the search did not end");
        }
        Assert.InRange(d.Current, pathLimit - PmtuDiscovery.Granularity, pathLimit);
        Assert.False(d.Searching);
        Assert.False(d.ProbeDue(PmtuDiscovery.RaiseTimerUs - 1));
        Assert.True(d.ProbeDue(PmtuDiscovery.RaiseTimerUs));
        Assert.Equal(1452, d.NextProbeSize(PmtuDiscovery.RaiseTimerUs)); // PMTU_RAISE_TIMER: the limit again
    }

    [Fact]
    public void BlackHole_ReturnsToTheBaseSizeAndSearchesBelowTheSizeThatFailed()
    {
        var d = new PmtuDiscovery();
        d.Start(1452, 0);
        d.OnProbeSent(1452);
        d.OnProbeAcked(1452, 0);
        Assert.Equal(1452, d.Current);
        Assert.False(d.ProbeDue(long.MaxValue - 1)); // at the limit: nothing more to find
        Assert.True(d.OnBlackHole(10));
        Assert.Equal(1200, d.Current);
        Assert.False(d.ProbeDue(10));
        Assert.True(d.ProbeDue(10 + PmtuDiscovery.BlackHoleBackoffUs));
        Assert.InRange(d.NextProbeSize(10 + PmtuDiscovery.BlackHoleBackoffUs), 1201, 1451);
        Assert.False(d.OnBlackHole(20)); // already at the base size
    }

    private static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connect(int seed, bool discovery = true, int mtu = 0)
    {
        var server = SimulationSetup.ServerOptions(seed);
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed, server));
        if (mtu > 0)
        {
            pair.ClientToServer.DropFilter = (_, d) => d.Length > mtu;
            pair.ServerToClient.DropFilter = (_, d) => d.Length > mtu;
        }
        var client = pair.Connect(SimulationSetup.ClientOptions(seed, pathMtuDiscovery: discovery));
        Assert.True(pair.RunUntil(() => client.HandshakeConfirmed && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected));
        return (pair, client, pair.Server.Connections[0]);
    }

    private static void Transfer(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server, int size, int seed, Action? during = null)
    {
        Assert.True(server.TryOpenStream(false, out ulong id));
        var payload = new byte[size];
        new Random(seed).NextBytes(payload);
        var pump = new StreamPump(server, id, payload);
        var collector = new StreamCollector(client);
        pair.OnStep = () =>
        {
            pump.Step();
            collector.Step();
            during?.Invoke();
        };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), 120_000_000), $"transfer incomplete; seed {seed}");
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(collector.Data[id].ToArray()));
    }

    [Fact]
    public void AnOrdinaryPath_ReachesTheLimitWithinTheFirstRoundTrips()
    {
        var (pair, client, server) = Connect(81);
        pair.RunFor(200_000);
        Assert.Equal(1452, server.CurrentDatagramSize);
        Assert.Equal(1452, client.CurrentDatagramSize);
        Assert.Equal(0, server.PmtuStatistics.ProbesLost);
        Assert.Equal(1, server.PmtuStatistics.ProbesSent);
    }

    [Fact]
    public void APathWithA1300ByteMtu_CarriesATransferInTheLargestDatagramsItPasses()
    {
        const int mtu = 1300; // UDP payload a tunnel passes; larger datagrams vanish without a trace
        var (pair, client, server) = Connect(82, mtu: mtu);
        Transfer(pair, client, server, 2 << 20, 82);
        Assert.InRange(server.CurrentDatagramSize, mtu - PmtuDiscovery.Granularity, mtu);
        Assert.True(server.PmtuStatistics.ProbesLost >= PmtuDiscovery.MaxProbes);
        // Only probes went above what the path passes; the data never did.
        Assert.True(pair.ServerSent.Count(d => d.Length > mtu) <= server.PmtuStatistics.ProbesSent);
    }

    [Fact]
    public void APathWhoseMtuShrinksMidTransfer_FallsBackAndCompletes()
    {
        var (pair, client, server) = Connect(83);
        pair.RunFor(200_000);
        Assert.Equal(1452, server.CurrentDatagramSize);
        long start = pair.NowUs;
        bool shrunk = false;
        Transfer(pair, client, server, 8 << 20, 83, () =>
        {
            if (shrunk || pair.NowUs < start + 30_000) return;
            shrunk = true; // a route change: from now on the path passes at most 1280 bytes
            pair.ServerToClient.DropFilter = (_, d) => d.Length > 1280;
        });
        Assert.True(shrunk);
        Assert.True(server.PmtuStatistics.BlackHoles >= 1);
        Assert.InRange(server.CurrentDatagramSize, 1200, 1280);
    }

    [Fact]
    public void WithoutDiscovery_EveryDatagramStaysAt1200Bytes()
    {
        var (pair, client, server) = Connect(84, discovery: false);
        int before = pair.ClientSent.Count;
        pair.RunFor(200_000);
        Assert.Equal(1200, client.CurrentDatagramSize);
        Assert.Equal(0, client.PmtuStatistics.ProbesSent);
        Assert.All(pair.ClientSent.Skip(before), d => Assert.True(d.Length <= 1200));
    }
}
