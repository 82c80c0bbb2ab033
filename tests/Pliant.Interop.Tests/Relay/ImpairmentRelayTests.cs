using System.Net;
using Pliant.Cli.Relay;

namespace Pliant.Interop.Tests.Relay;

/// <summary>
/// The impairment relay over real UDP on loopback: it forwards both ways per flow, its random choices repeat
/// with the seed, corruption flips exactly one byte, reordering, the rate limit's queue, the blackhole and the
/// lost second flight do what they say, and its counts match what arrived. Timeouts only guard against hangs.
/// </summary>
public sealed class ImpairmentRelayTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static ImpairmentRelay Start(UdpPeer server, RelayOptions? shape = null) => ImpairmentRelay.Start((shape ?? Options()) with
    {
        ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        TargetEndPoint = server.EndPoint,
    });

    private static RelayOptions Options(ImpairmentSettings? up = null, ImpairmentSettings? down = null, ulong seed = 1) => new()
    {
        ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        TargetEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        Seed = seed,
        ClientToServer = up ?? ImpairmentSettings.None,
        ServerToClient = down ?? ImpairmentSettings.None,
        TracePerFlow = 1000,
    };

    private static int IndexOf(byte[] datagram) => BitConverter.ToInt32(datagram, 0);

    /// <summary>Sends a datagram every 200 ms until the server has received a second one (a window or blackhole ended); false after <see cref="Patience"/>.</summary>
    private static bool KeepSendingUntilHeard(UdpPeer client, UdpPeer server, ImpairmentRelay relay, int size)
    {
        var deadline = DateTime.UtcNow + Patience;
        for (int k = 1000; server.Received.Count < 2 && DateTime.UtcNow < deadline; k++)
        {
            client.Send(UdpPeer.Numbered(k, size), relay.LocalEndPoint);
            server.ReceiveUntil(2, TimeSpan.FromMilliseconds(200));
        }
        return server.Received.Count == 2;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <see cref="Patience"/> passed.</summary>
    private static bool WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(10);
        }
        return true;
    }

    [Fact]
    public void ForwardsBothWaysUnchangedAndCountsPerFlow()
    {
        using var server = new UdpPeer();
        using var client = new UdpPeer();
        using var relay = Start(server);
        var sent = Enumerable.Range(0, 20).Select(i => UdpPeer.Numbered(i, 100 + i)).ToList();
        foreach (var d in sent) client.Send(d, relay.LocalEndPoint);
        Assert.True(server.ReceiveUntil(20, Patience), relay.Report());
        Assert.Equal(sent.Select(Convert.ToHexString), server.Received.Select(r => Convert.ToHexString(r.Data)));

        // The server answers the address it saw: the flow's own upstream socket, not the client.
        var flow = Assert.Single(relay.Flows);
        Assert.Equal(flow.UpstreamLocalEndPoint.Port, server.Received[0].From.Port);
        Assert.NotEqual(client.EndPoint.Port, server.Received[0].From.Port);
        foreach (var d in sent) server.Send(d, server.Received[0].From);
        Assert.True(client.ReceiveUntil(20, Patience), relay.Report());
        Assert.All(client.Received, r => Assert.Equal(relay.LocalEndPoint, r.From));

        var up = flow.ClientToServer;
        var down = flow.ServerToClient;
        Assert.Equal((20, sent.Sum(d => (long)d.Length), 20L), (up.Datagrams, up.Bytes, up.Forwarded));
        Assert.Equal((20, sent.Sum(d => (long)d.Length), 20L), (down.Datagrams, down.Bytes, down.Forwarded));
        Assert.Equal(0, up.Lost + up.Corrupted + down.Lost + down.Corrupted);
    }

    [Fact]
    public void EachClientAddressIsItsOwnFlowAndMaxFlowsHolds()
    {
        using var server = new UdpPeer();
        using var a = new UdpPeer();
        using var b = new UdpPeer();
        using var c = new UdpPeer();
        using var relay = Start(server, Options() with { MaxFlows = 2 });
        a.Send(UdpPeer.Numbered(1, 50), relay.LocalEndPoint);
        Assert.True(server.ReceiveUntil(1, Patience));
        b.Send(UdpPeer.Numbered(2, 50), relay.LocalEndPoint);
        Assert.True(server.ReceiveUntil(2, Patience));
        c.Send(UdpPeer.Numbered(3, 50), relay.LocalEndPoint);
        a.Send(UdpPeer.Numbered(4, 50), relay.LocalEndPoint);
        Assert.True(server.ReceiveUntil(3, Patience));
        server.Drain(TimeSpan.FromMilliseconds(200));

        Assert.Equal(2, relay.Flows.Count);
        Assert.Equal([a.EndPoint, b.EndPoint], relay.Flows.Select(f => f.Client));
        Assert.Equal(2, server.Received.Select(r => r.From).Distinct().Count());
        Assert.DoesNotContain(server.Received, r => IndexOf(r.Data) == 3);
        Assert.Equal(1, relay.RejectedDatagrams);
    }

    /// <summary>Which of 300 datagrams a seed loses, as seen by the receiver.</summary>
    private static (HashSet<int> Arrived, RelayCounts Counts) LoseWithSeed(ulong seed)
    {
        using var server = new UdpPeer();
        using var client = new UdpPeer();
        using var relay = Start(server, Options(up: new ImpairmentSettings { Loss = 0.3 }, seed: seed));
        for (int i = 0; i < 300; i++) client.Send(UdpPeer.Numbered(i, 64), relay.LocalEndPoint);
        RelayCounts counts = default;
        WaitFor(() => (counts = relay.Total(RelayDirection.ClientToServer)).Forwarded + counts.Lost >= 300);
        server.ReceiveUntil((int)counts.Forwarded, Patience);
        server.Drain(TimeSpan.FromMilliseconds(100));
        return (server.Received.Select(r => IndexOf(r.Data)).ToHashSet(), counts);
    }

    [Fact]
    public void LossIsSeededReproducibleAndCounted()
    {
        var (first, counts) = LoseWithSeed(5);
        var (again, _) = LoseWithSeed(5);
        var (other, _) = LoseWithSeed(6);
        Assert.Equal(300, counts.Datagrams);
        Assert.Equal(300 - first.Count, counts.Lost);
        Assert.Equal(first.Count, counts.Forwarded);
        Assert.InRange(counts.Lost, 60, 120); // 30 % of 300, seeded: the same figure every run
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void CorruptionFlipsExactlyOneByte()
    {
        using var server = new UdpPeer();
        using var client = new UdpPeer();
        using var relay = Start(server, Options(up: new ImpairmentSettings { Corrupt = 1.0 }));
        for (int i = 0; i < 50; i++)
        {
            var d = UdpPeer.Numbered(i, 100);
            client.Send(d, relay.LocalEndPoint);
            Assert.True(server.ReceiveUntil(i + 1, Patience));
            var got = server.Received[i].Data;
            Assert.Equal(d.Length, got.Length);
            Assert.Equal(1, d.Zip(got).Count(p => p.First != p.Second));
        }
        Assert.Equal(50, relay.Total(RelayDirection.ClientToServer).Corrupted);
    }

    [Fact]
    public void ReorderingHoldsSomeBackAndDeliversAll()
    {
        using var server = new UdpPeer();
        using var client = new UdpPeer();
        var reorder = new ImpairmentSettings { Reorder = 0.5, ReorderDelay = TimeSpan.FromMilliseconds(300) };
        using var relay = Start(server, Options(up: reorder));
        for (int i = 0; i < 40; i++) client.Send(UdpPeer.Numbered(i, 64), relay.LocalEndPoint);
        Assert.True(server.ReceiveUntil(40, Patience), relay.Report());
        var order = server.Received.Select(r => IndexOf(r.Data)).ToList();
        Assert.Equal(Enumerable.Range(0, 40), order.Order());
        var trace = relay.Flows.Single().Trace;
        var held = trace.Where(e => (e.Fate & RelayFate.Reordered) != 0).Select(e => (int)e.Index).ToHashSet();
        Assert.Equal(held.Count, relay.Total(RelayDirection.ClientToServer).Reordered);
        Assert.InRange(held.Count, 1, 39);
        // Each held datagram arrives after every datagram sent (back to back) after it that was not held.
        foreach (var h in held)
        {
            foreach (var later in Enumerable.Range(h + 1, 39 - h).Where(j => !held.Contains(j)))
                Assert.True(order.IndexOf(later) < order.IndexOf(h), $"#{later} did not overtake held #{h}: {string.Join(",", order)}");
        }
    }

    [Fact]
    public void RateLimitQueueDropsWhatDoesNotFit()
    {
        using var server = new UdpPeer();
        using var client = new UdpPeer();
        // 1 Mbit/s drains 125 bytes per ms; a 4000-byte queue holds 4 of these 1000-byte datagrams.
        using var relay = Start(server, Options(up: new ImpairmentSettings { RateBitsPerSecond = 1_000_000, QueueBytes = 4000 }));
        for (int i = 0; i < 30; i++) client.Send(UdpPeer.Numbered(i, 1000), relay.LocalEndPoint);
        RelayCounts c = default;
        // Forwarded counts when the departure thread sends a datagram: wait until every one is accounted for.
        Assert.True(WaitFor(() => (c = relay.Total(RelayDirection.ClientToServer)).Forwarded + c.QueueDropped >= 30), relay.Report());
        Assert.Equal(30, c.Forwarded + c.QueueDropped);
        Assert.True(server.ReceiveUntil((int)c.Forwarded, Patience), relay.Report());
        Assert.True(c.QueueDropped >= 10, relay.Report()); // sending 30 datagrams takes far less than the 160 ms that would drain 20 KB
        Assert.Equal(c.Forwarded, server.Received.Count);
    }

    [Fact]
    public void BlackholeStartsAfterTheServerBytesAndEnds()
    {
        using var server = new UdpPeer();
        using var client = new UdpPeer();
        using var relay = Start(server, Options() with { BlackholeAfterBytes = 5000, BlackholeDuration = TimeSpan.FromSeconds(3) });
        client.Send(UdpPeer.Numbered(0, 50), relay.LocalEndPoint);
        Assert.True(server.ReceiveUntil(1, Patience));
        var flowAddress = server.Received[0].From;
        // 1000-byte datagrams: the 5th reaches 5000 bytes and starts the blackhole; the next 5 fall in it, and so does the client's answer.
        for (int i = 1; i <= 10; i++) server.Send(UdpPeer.Numbered(i, 1000), flowAddress);
        Assert.True(client.ReceiveUntil(5, Patience));
        client.Send(UdpPeer.Numbered(11, 50), relay.LocalEndPoint);
        Assert.True(WaitFor(() => relay.Total(RelayDirection.ServerToClient).Datagrams == 10 && relay.Total(RelayDirection.ClientToServer).Datagrams == 2), relay.Report());
        client.Drain(TimeSpan.FromMilliseconds(100));
        Assert.Equal(5, client.Received.Count);
        Assert.Equal(1, relay.BlackholesStarted);
        Assert.Equal(5, relay.Total(RelayDirection.ServerToClient).Blackholed);
        Assert.Equal(1, relay.Total(RelayDirection.ClientToServer).Blackholed);

        // It ends: the client is heard again (polled; the blackhole lasts 3 s).
        Assert.True(KeepSendingUntilHeard(client, server, relay, 50), relay.Report());
        Assert.False(relay.InBlackhole);
        Assert.Equal(1, relay.BlackholesStarted); // triggered once only
    }

    [Fact]
    public void LosesTheSecondFlightThenLetsTheClientThrough()
    {
        using var server = new UdpPeer();
        using var client = new UdpPeer();
        using var relay = Start(server, Options() with { LoseSecondFlight = TimeSpan.FromSeconds(3) });
        for (int i = 0; i < 5; i++) client.Send(UdpPeer.Numbered(i, 1200), relay.LocalEndPoint);
        Assert.True(server.ReceiveUntil(1, Patience));
        Assert.True(WaitFor(() => relay.Total(RelayDirection.ClientToServer).Datagrams == 5), relay.Report());
        server.Drain(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, IndexOf(Assert.Single(server.Received).Data));
        Assert.Equal(4, relay.Total(RelayDirection.ClientToServer).SecondFlightDropped);

        Assert.True(KeepSendingUntilHeard(client, server, relay, 1200), relay.Report());
    }

    [Fact]
    public void LargestAndEmptyDatagramsPass()
    {
        using var server = new UdpPeer();
        using var client = new UdpPeer();
        using var relay = Start(server, Options(up: new ImpairmentSettings { Corrupt = 1.0, Delay = TimeSpan.FromMilliseconds(1) }));
        client.Send([], relay.LocalEndPoint);
        var big = UdpPeer.Numbered(1, 65507);
        client.Send(big, relay.LocalEndPoint);
        Assert.True(server.ReceiveUntil(2, Patience), relay.Report());
        Assert.Empty(server.Received[0].Data);
        Assert.Equal(big.Length, server.Received[1].Data.Length);
        Assert.Equal(1, big.Zip(server.Received[1].Data).Count(p => p.First != p.Second));
    }
}
