using Pliant.Quic.Connection;
using Pliant.Quic.Wire;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Connections;

/// <summary>
/// The endpoint looks only at connections with something going on (issue 17): idle ones are parked until a
/// datagram, their timer or the application wakes them, and nothing is lost or delayed by parking.
/// </summary>
public class EndpointActivityTests
{
    [Fact]
    public void IdleConnectionsAreParkedAndWakeForDatagramsTimersAndTheApplication()
    {
        var pair = new SimulatedPair(91, SimulationSetup.ServerEndpoint(91));
        var clients = Enumerable.Range(0, 40).Select(i => pair.Connect(SimulationSetup.ClientOptions(900 + i))).ToList();
        Assert.True(pair.RunUntil(() => clients.All(c => c.HandshakeConfirmed) && pair.Server.Connections.Count == 40));
        pair.RunFor(2_000_000); // ACKs, NEW_CONNECTION_IDs and tickets settle
        // A driver dispatches events; here the test takes them (a connection with events stays active).
        TakeEvents(pair);
        pair.Server.PollTimeout();
        pair.Client.PollTimeout();

        // Nothing left to do: every connection is parked on both sides.
        Assert.Equal(40, pair.Server.Connections.Count);
        Assert.Equal(0, pair.Server.ActiveConnections);
        Assert.Equal(0, pair.Client.ActiveConnections);

        // The application writes on a few parked client connections: the data goes out at once (no sweep).
        var collectors = new List<(StreamPump Pump, StreamCollector Collector, ulong Id)>();
        foreach (var client in clients.Where((_, i) => i % 10 == 3))
        {
            Assert.True(client.TryOpenStream(true, out ulong id));
            var server = pair.Server.Connections.Single(s => s.RemoteConnectionId == client.LocalConnectionId || s.LocalConnectionId == client.RemoteConnectionId);
            collectors.Add((new StreamPump(client, id, new byte[30_000]), new StreamCollector(server), id));
        }
        long start = pair.NowUs;
        pair.OnStep = () => { foreach (var (p, c, _) in collectors) { p.Step(); c.Step(); } };
        Assert.True(pair.RunUntil(() => collectors.All(x => x.Collector.Finished.Contains(x.Id)), 10_000_000));
        Assert.True(pair.NowUs - start < 500_000, $"took {(pair.NowUs - start) / 1000} ms: a parked connection waited for the sweep");
        Assert.All(collectors, x => Assert.Equal(30_000, x.Collector.Data[x.Id].Length));
        pair.OnStep = null;

        // Timers still fire for parked connections: the idle timeout closes them all (events taken as a driver would).
        pair.OnStep = () => TakeEvents(pair);
        Assert.True(pair.RunUntil(() => clients.All(c => c.IsClosed) && pair.Server.Connections.Count == 0, 120_000_000));
        Assert.All(clients, c => Assert.True(c.ClosedByIdleTimeout));
        Assert.Equal(0, pair.Server.Statistics.MissedActivations);
        Assert.Equal(0, pair.Client.Statistics.MissedActivations);
    }

    [Fact]
    public void TouchingAConnectionAfterTheEndpointRemovedItChangesNothing()
    {
        // Regression: the application acting on a connection the endpoint had already removed put it back on
        // the active list; removing it again with its stale index took another connection out of the list
        // (or faulted the endpoint with an index out of range).
        var (pair, clients) = Connected(92, 3, 950);
        var gone = pair.Server.Connections[0];
        var others = pair.Server.Connections.Skip(1).ToList();
        gone.Close(pair.NowUs, 0, "bye");
        Assert.True(pair.RunUntil(() => pair.Server.Connections.Count == 2, 10_000_000));
        Assert.DoesNotContain(gone, pair.Server.Connections);

        for (int round = 0; round < 3; round++)
        {
            gone.SendPing(); // any mutator reports activity
            gone.Close(pair.NowUs, 0, "again");
            pair.RunFor(100_000);
            Assert.Equal(2, pair.Server.Connections.Count);
            Assert.All(others, o => Assert.Contains(o, pair.Server.Connections));
        }
        Assert.Equal(0, pair.Server.Statistics.ConnectionsFaulted);
    }

    [Fact]
    public void ALastConnectionIdHitIsForgottenWhenTheIdIsUnregistered()
    {
        // The endpoint keeps the connection its last datagram went to; once that connection is gone, a datagram
        // carrying its connection ID must be unknown again (a stateless reset, RFC 9000 §10.3), not routed to it.
        var (pair, clients) = Connected(93, 2, 960);
        pair.RunFor(500_000);
        var victim = pair.Server.Connections[0];
        var cids = victim.LocalConnectionIds.ToList();
        Assert.NotEmpty(cids);
        byte[] Datagram(ConnectionId cid)
        {
            var d = new byte[100];
            new Random(7).NextBytes(d);
            d[0] = (byte)(0x40 | (d[0] & 0x3F)); // short header, fixed bit (RFC 9000 §17.3.1)
            cid.Span.CopyTo(d.AsSpan(1));
            return d;
        }

        // Routed while the connection holds the ID: no reset.
        long resets = pair.Server.Statistics.StatelessResetsSent;
        pair.Server.HandleDatagram(pair.NowUs, Datagram(cids[0]), pair.ClientAddress, EcnCodepoint.NotEct);
        Assert.Equal(resets, pair.Server.Statistics.StatelessResetsSent);

        victim.Close(pair.NowUs, 0, "test");
        Assert.True(pair.RunUntil(() => !pair.Server.Connections.Contains(victim), 20_000_000));
        pair.Server.HandleDatagram(pair.NowUs, Datagram(cids[0]), pair.ClientAddress, EcnCodepoint.NotEct);
        Assert.Equal(resets + 1, pair.Server.Statistics.StatelessResetsSent);
        Assert.Single(pair.Server.Connections);
    }

    /// <summary><paramref name="count"/> clients connected to a simulated server endpoint, events taken at every step.</summary>
    private static (SimulatedPair Pair, List<QuicConnectionCore> Clients) Connected(int seed, int count, int clientSeed)
    {
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed));
        var clients = Enumerable.Range(0, count).Select(i => pair.Connect(SimulationSetup.ClientOptions(clientSeed + i))).ToList();
        Assert.True(pair.RunUntil(() => clients.All(c => c.HandshakeConfirmed) && pair.Server.Connections.Count == count));
        pair.OnStep = () => TakeEvents(pair);
        return (pair, clients);
    }

    /// <summary>Takes every connection's pending events, as a driver would (a connection with events stays active).</summary>
    private static void TakeEvents(SimulatedPair pair)
    {
        foreach (var c in pair.Server.Connections.Concat(pair.Client.Connections))
            while (c.TryPollEvent(out _)) { }
    }
}
