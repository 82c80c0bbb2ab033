using System.Net;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Quic.Tests.Hostile;

/// <summary>
/// Issue 11, "no state before proof": floods of Initials into the sans-IO server endpoint. Bounds
/// checked: junk creates no connection and retains &lt; 1 MiB whatever its volume; spoofed but valid
/// ClientHellos hold at most <see cref="ServerLimits.RetryThreshold"/> pending handshakes (≈ 56 KB each,
/// see <see cref="PendingHandshakesStayUnderTheirMemoryBudget"/>), the rest get a stateless Retry.
/// </summary>
[Collection(MemoryMeasurement.Name)]
public class AdmissionTests(ITestOutputHelper output)
{
    /// <summary>Retained bytes a pending server handshake may cost (docs/security.md states the measured figure).</summary>
    private const long PendingHandshakeBudget = 64 * 1024;

    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.1"), 443);

    // Clients here never use the server's seed: two generators with one seed give both sides the same connection IDs.
    private static QuicEndpointOptions Options(int seed, ServerLimits? limits = null, bool retry = false, TimeProvider? time = null)
    {
        var o = SimulationSetup.ServerEndpoint(seed, retry: retry);
        return new QuicEndpointOptions
        {
            Server = o.Server,
            RequireRetry = retry,
            Random = o.Random,
            StaticKey = o.StaticKey,
            Limits = limits ?? ServerLimits.Default,
            Time = time ?? TimeProvider.System,
        };
    }

    private static int Drain(QuicEndpointCore server, long nowUs, List<(IPEndPoint To, int Length)>? sent = null)
    {
        var buffer = new byte[65536];
        int n = 0;
        while (server.PollTransmit(nowUs, buffer, 1, out var t))
        {
            sent?.Add((t.Destination, t.Length));
            n++;
        }
        // What a driver does: take accepted connections and their events, so closed ones can go.
        while (server.TryAccept(out _)) { }
        while (server.TryPollConnectionWithEvents(out var c))
            while (c.TryPollEvent(out _)) { }
        return n;
    }

    [Fact]
    public void JunkInitialFloodCreatesNoConnectionAndKeepsNoMemory()
    {
        var server = new QuicEndpointCore(Options(1));
        var rng = new Random(1);
        var junk = Enumerable.Range(0, 64).Select(_ => HostileTraffic.JunkInitial(rng)).ToArray();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < 20_000; i++)
        {
            var d = junk[i % junk.Length];
            rng.NextBytes(d.AsSpan(6, 8)); // a fresh DCID each time: fresh Initial keys
            server.HandleDatagram(1_000_000 + i, d, HostileTraffic.Spoofed(i % 1000), EcnCodepoint.NotEct);
        }
        Assert.Equal(0, Drain(server, 2_000_000)); // not even a Retry or a refusal: junk is not answered
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Empty(server.Connections);
        Assert.Equal(20_000, server.Statistics.JunkInitials);
        Assert.Equal(0, server.HandshakesInProgress);
        output.WriteLine($"retained after 20,000 junk Initials: {after - before} bytes");
        Assert.True(after - before < 1 << 20, $"retained {after - before} bytes");
    }

    [Fact]
    public void JunkInitialsAllocateAlmostNothing()
    {
        // A flood's memory is its garbage until a gen0 GC: each junk Initial used to leave ~1.5 KB (its Initial keys),
        // so `pliant serve`'s RSS grew with the flood. The inspector now re-derives one key object in place.
        // Bound: < 64 bytes allocated per junk datagram (AES-NI path; the OpenSSL path creates BCL objects per packet).
        if (!Pliant.Quic.Crypto.PacketKeys.IntrinsicsByDefault) return;
        var server = new QuicEndpointCore(Options(7));
        var rng = new Random(7);
        var junk = Enumerable.Range(0, 64).Select(_ => HostileTraffic.JunkInitial(rng)).ToArray();
        var from = Enumerable.Range(0, 64).Select(HostileTraffic.Spoofed).ToArray();
        void Send(int i)
        {
            var d = junk[i % junk.Length];
            rng.NextBytes(d.AsSpan(6, 8)); // a fresh DCID each time: fresh Initial keys
            server.HandleDatagram(1_000_000 + i, d, from[i % from.Length], EcnCodepoint.NotEct);
        }
        for (int i = 0; i < 500; i++) Send(i);
        const int Count = 5_000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Count; i++) Send(500 + i);
        long perDatagram = (GC.GetAllocatedBytesForCurrentThread() - before) / Count;
        output.WriteLine($"allocated per junk Initial: {perDatagram} bytes");
        Assert.Equal(5_500, server.Statistics.JunkInitials);
        Assert.Empty(server.Connections);
        Assert.True(perDatagram < 64, $"{perDatagram} bytes allocated per junk Initial");
    }

    [Fact]
    public void InitialThatDecryptsButCarriesNoClientHelloCreatesNothing()
    {
        // A correctly protected Initial whose CRYPTO data is not a ClientHello (type 2 = ServerHello).
        var flight = HostileTraffic.FirstFlight(5);
        var server = new QuicEndpointCore(Options(2));
        server.HandleDatagram(1_000_000, flight, HostileTraffic.Spoofed(1), EcnCodepoint.NotEct);
        Assert.Single(server.Connections); // the real one is admitted…
        var other = new QuicEndpointCore(Options(3));
        var tampered = HostileTraffic.ReprotectInitial(flight, payload =>
        {
            // …the same packet with its ClientHello's handshake type changed is not.
            int at = HostileTraffic.FindCryptoOffsetZero(payload);
            payload[at] = 0x02;
        });
        other.HandleDatagram(1_000_000, tampered, HostileTraffic.Spoofed(1), EcnCodepoint.NotEct);
        Assert.Empty(other.Connections);
        Assert.Equal(1, other.Statistics.JunkInitials);
    }

    [Fact]
    public void SpoofedClientHelloFloodIsCappedAndAnsweredWithRetry()
    {
        var server = new QuicEndpointCore(Options(4));
        var flights = Enumerable.Range(0, 1500).Select(i => HostileTraffic.FirstFlight(10_000 + i)).ToArray();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var sent = new List<(IPEndPoint To, int Length)>();
        for (int i = 0; i < flights.Length; i++)
        {
            server.HandleDatagram(1_000_000 + i * 100, flights[i], HostileTraffic.Spoofed(i), EcnCodepoint.NotEct);
            Drain(server, 1_000_000 + i * 100, sent);
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        int threshold = ServerLimits.Default.RetryThreshold;
        Assert.Equal(threshold, server.HandshakesInProgress);
        Assert.Equal(threshold, server.Connections.Count);
        Assert.Equal(flights.Length - threshold, server.Statistics.RetriesSent);
        // Nothing sent to any spoofed address exceeds three times what "it" sent (RFC 9000 §8.1).
        foreach (var g in sent.GroupBy(s => s.To))
            Assert.True(g.Sum(s => s.Length) <= 3 * 1200, $"{g.Key}: {g.Sum(s => s.Length)} bytes");
        long perHandshake = (after - before) / threshold;
        output.WriteLine($"retained per pending handshake: {perHandshake} bytes");
        Assert.True(after - before < threshold * PendingHandshakeBudget, $"retained {after - before} bytes");
        GC.KeepAlive(flights);
    }

    [Fact]
    public void PendingHandshakesStayUnderTheirMemoryBudget()
    {
        var server = new QuicEndpointCore(Options(5, new ServerLimits { RetryThreshold = 10_000 }));
        var flights = Enumerable.Range(0, 200).Select(i => HostileTraffic.FirstFlight(20_000 + i)).ToArray();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < flights.Length; i++)
            server.HandleDatagram(1_000_000, flights[i], HostileTraffic.Spoofed(i), EcnCodepoint.NotEct);
        Drain(server, 1_000_000);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(200, server.HandshakesInProgress);
        output.WriteLine($"retained per pending handshake: {(after - before) / 200} bytes");
        Assert.True((after - before) / 200 < PendingHandshakeBudget, $"{(after - before) / 200} bytes per pending handshake");
        GC.KeepAlive(server);
    }

    [Fact]
    public void HalfOpenHandshakesAreDroppedAfterTheHandshakeTimeout()
    {
        var server = new QuicEndpointCore(Options(6));
        for (int i = 0; i < 10; i++)
            server.HandleDatagram(1_000_000, HostileTraffic.FirstFlight(30_000 + i), HostileTraffic.Spoofed(i), EcnCodepoint.NotEct);
        Assert.Equal(10, server.HandshakesInProgress);
        long t = 1_000_000;
        while (server.PollTimeout() is { } next && next < 60_000_000)
        {
            t = next;
            server.HandleTimeout(t);
            Drain(server, t);
        }
        server.HandleTimeout(t); // removes what closed (its events were taken)
        Assert.Empty(server.Connections);
        Assert.Equal(0, server.HandshakesInProgress);
        // Within the default handshake timeout of 10 s (not the 30 s idle timeout).
        Assert.True(t <= 1_000_000 + 10_500_000, $"last handshake dropped at {t} µs");
    }

    [Fact]
    public void RealClientConnectsDuringAFloodAndRetryStopsWhenTheFloodEnds()
    {
        var pair = new SimulatedPair(7, Options(7));
        var rng = new Random(7);
        int junkSent = 0, spoofedSent = 0;
        var flights = Enumerable.Range(0, 600).Select(i => HostileTraffic.FirstFlight(40_000 + i)).ToArray();
        // Before and while the client connects: junk and spoofed ClientHellos every step.
        pair.OnStep = () =>
        {
            for (int k = 0; k < 20; k++)
                pair.Server.HandleDatagram(pair.NowUs, HostileTraffic.JunkInitial(rng), HostileTraffic.Spoofed(junkSent++), EcnCodepoint.NotEct);
            if (spoofedSent < flights.Length)
                pair.Server.HandleDatagram(pair.NowUs, flights[spoofedSent], HostileTraffic.Spoofed(100_000 + spoofedSent++), EcnCodepoint.NotEct);
        };
        pair.DropMisaddressed = true;
        // A burst of spoofed ClientHellos first: more than the Retry threshold are pending.
        for (int i = 0; i < 400; i++)
            pair.Server.HandleDatagram(pair.NowUs, flights[spoofedSent], HostileTraffic.Spoofed(100_000 + spoofedSent++), EcnCodepoint.NotEct);
        pair.RunFor(50_000);
        Assert.Equal(ServerLimits.Default.RetryThreshold, pair.Server.HandshakesInProgress);
        var client = pair.Connect(SimulationSetup.ClientOptions(507));
        Assert.True(pair.RunUntil(() => client.IsConnected, 5_000_000), "the real client did not connect during the flood");
        Assert.True(pair.Server.Statistics.RetriesSent > 0);
        // Spoofed sources stay at the threshold; only the validated real client went beyond it.
        Assert.True(pair.Server.HandshakesInProgress <= ServerLimits.Default.RetryThreshold + 1);

        // The flood stops; once the half-open handshakes time out, no Retry is needed any more.
        pair.OnStep = null;
        pair.RunFor(12_000_000);
        Assert.Equal(0, pair.Server.HandshakesInProgress);
        long retries = pair.Server.Statistics.RetriesSent;
        var second = pair.Connect(SimulationSetup.ClientOptions(508));
        Assert.True(pair.RunUntil(() => second.IsConnected, 5_000_000));
        Assert.Equal(retries, pair.Server.Statistics.RetriesSent);
    }

    [Fact]
    public void TooManyHandshakesFromOneAddressAreRefusedWithConnectionRefused()
    {
        var pair = new SimulatedPair(9, Options(9, new ServerLimits { MaxHandshakesPerAddress = 3 }));
        for (int i = 0; i < 3; i++)
            pair.Server.HandleDatagram(pair.NowUs, HostileTraffic.FirstFlight(50_000 + i),
                new IPEndPoint(pair.ClientAddress.Address, 40_000 + i), EcnCodepoint.NotEct);
        pair.DropMisaddressed = true;
        var client = pair.Connect(SimulationSetup.ClientOptions(509));
        Assert.True(pair.RunUntil(() => client.IsClosed || client.State == ConnectionState.Draining, 2_000_000));
        Assert.Equal((ulong)TransportErrorCode.ConnectionRefused, client.CloseInfo?.ErrorCode);
        Assert.Equal(1, pair.Server.Statistics.Refused);
        // Another address is not affected.
        pair.ClientAddress = new IPEndPoint(IPAddress.Parse("10.0.0.3"), 50000);
        var other = pair.Connect(SimulationSetup.ClientOptions(510));
        Assert.True(pair.RunUntil(() => other.IsConnected, 2_000_000));
    }

    [Fact]
    public void MaxConnectionsRefusesTheNextClient()
    {
        var pair = new SimulatedPair(11, Options(11, new ServerLimits { MaxConnections = 2 }));
        var first = pair.Connect(SimulationSetup.ClientOptions(511));
        var second = pair.Connect(SimulationSetup.ClientOptions(12));
        Assert.True(pair.RunUntil(() => first.IsConnected && second.IsConnected));
        var third = pair.Connect(SimulationSetup.ClientOptions(13));
        Assert.True(pair.RunUntil(() => third.CloseInfo is not null, 2_000_000));
        Assert.Equal((ulong)TransportErrorCode.ConnectionRefused, third.CloseInfo!.Value.ErrorCode);
        Assert.True(first.IsConnected && second.IsConnected);
    }

    [Fact]
    public void ManyConnectionsFromOneAddressStopAtThePerAddressLimit()
    {
        var pair = new SimulatedPair(12, Options(12, new ServerLimits { MaxConnectionsPerAddress = 2 }));
        var clients = new List<QuicConnectionCore>();
        for (int i = 0; i < 3; i++)
        {
            pair.ClientAddress = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 50000 + i); // one address, three ports
            clients.Add(pair.Connect(SimulationSetup.ClientOptions(600 + i)));
            pair.RunUntil(() => clients[^1].IsConnected || clients[^1].CloseInfo is not null, 2_000_000);
        }
        Assert.True(clients[0].IsConnected && clients[1].IsConnected);
        Assert.Equal((ulong)TransportErrorCode.ConnectionRefused, clients[2].CloseInfo?.ErrorCode);
        pair.ClientAddress = new IPEndPoint(IPAddress.Parse("10.0.0.9"), 50000);
        var other = pair.Connect(SimulationSetup.ClientOptions(610));
        Assert.True(pair.RunUntil(() => other.IsConnected, 2_000_000));
    }

    [Fact]
    public void StaleRetryTokenIsAnsweredWithInvalidTokenNotSilence()
    {
        var time = new MovableTime(DateTimeOffset.Parse("2026-12-04T12:00:00Z"));
        var pair = new SimulatedPair(14, Options(14, retry: true, time: time));
        // Hold the server's Retry for 20 s of wall time: the token (10 s lifetime) is stale when used.
        pair.ServerToClient.DropFilter = (index, data) =>
        {
            if ((data[0] & 0xf0) == 0xf0) time.Advance(TimeSpan.FromSeconds(20)); // a v1 Retry packet
            return false;
        };
        var client = pair.Connect(SimulationSetup.ClientOptions(514));
        Assert.True(pair.RunUntil(() => client.CloseInfo is not null, 3_000_000), "the client was left to time out");
        Assert.Equal((ulong)TransportErrorCode.InvalidToken, client.CloseInfo!.Value.ErrorCode);
        Assert.Equal(1, pair.Server.Statistics.InvalidTokens);
    }

    [Fact]
    public void NewTokenTokenSkipsRetryAndAForeignOneGetsRetryInsteadOfSilence()
    {
        // A first connection earns a NEW_TOKEN token.
        var (pair, first, _) = HostileTraffic.Connected(15, Options(15, retry: true));
        Assert.True(pair.RunUntil(() => first.ReceivedNewToken is not null));
        byte[] token = first.ReceivedNewToken!;

        // The token lets the next client in at once, though the server requires Retry (RFC 9000 §8.1.3).
        long retries = pair.Server.Statistics.RetriesSent;
        var second = pair.Connect(ClientWithToken(16, token));
        Assert.True(pair.RunUntil(() => second.IsConnected, 2_000_000));
        Assert.Equal(retries, pair.Server.Statistics.RetriesSent);

        // A token this server cannot validate (another server's key) is treated as none: Retry, then in.
        var other = new SimulatedPair(17, new QuicEndpointOptions
        {
            Server = SimulationSetup.ServerOptions(17), RequireRetry = true, Random = new Random(17), StaticKey = Enumerable.Repeat((byte)7, 32).ToArray(),
        });
        var third = other.Connect(ClientWithToken(18, token));
        Assert.True(other.RunUntil(() => third.IsConnected, 2_000_000));
        Assert.Equal(1, other.Server.Statistics.RetriesSent);
    }

    private static QuicConnectionOptions ClientWithToken(int seed, byte[] token)
    {
        var o = SimulationSetup.ClientOptions(seed);
        return new QuicConnectionOptions
        {
            Client = o.Client, Random = o.Random, InitialVersion = o.InitialVersion, Versions = o.Versions, AddressToken = token,
        };
    }

    [Fact]
    public void StatelessAnswersAreRateLimited()
    {
        var server = new QuicEndpointCore(Options(19, new ServerLimits { StatelessResponsesPerSecond = 100 }));
        var rng = new Random(19);
        // Unknown versions: each would get a Version Negotiation packet.
        for (int i = 0; i < 5000; i++)
        {
            var d = HostileTraffic.JunkInitial(rng);
            d[1] = 0x1a; // version 0x1a000001: unsupported
            server.HandleDatagram(1_000_000 + i * 10, d, HostileTraffic.Spoofed(i), EcnCodepoint.NotEct); // 50 ms of flood
        }
        int sent = Drain(server, 2_000_000);
        Assert.InRange(sent, 1, 100 / 10 + 100 * 50 / 1000 + 1); // the burst plus 50 ms at 100/s
        Assert.Equal(5000 - sent, server.Statistics.StatelessResponsesLimited);
    }

    private sealed class MovableTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }

    [Fact]
    public void LimitsSharedAmongDriversKeepTheirMeaning()
    {
        // Several drivers on one port each get a share; a 0 that means "always Retry" or "no stateless answers"
        // must stay 0 (it became 1 when every limit was divided with a floor of 1).
        var limits = new ServerLimits { MaxConnections = 10, MaxHandshakes = 3, RetryThreshold = 0, StatelessResponsesPerSecond = 0 };
        var share = limits.DividedAmong(4);
        Assert.Equal(2, share.MaxConnections);
        Assert.Equal(1, share.MaxHandshakes); // never below 1: a driver must admit someone
        Assert.Equal(0, share.RetryThreshold);
        Assert.Equal(0, share.StatelessResponsesPerSecond);
        Assert.Equal(ServerLimits.Default.MaxConnections, ServerLimits.Default.DividedAmong(1).MaxConnections);
        Assert.Throws<ArgumentOutOfRangeException>(() => limits.DividedAmong(0));
    }
}
