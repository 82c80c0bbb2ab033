using System.Net;
using System.Security.Cryptography;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Tls;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Tls;

/// <summary>
/// Issue 11 item 5 over QUIC (the sans-IO endpoint and the simulator): an attacker who captured a
/// client's first flight — Initial with the ClientHello, 0-RTT packets with the request — and sends it
/// again gets no early data processed; the server marks streams whose data arrived as 0-RTT; the server
/// drops its 0-RTT keys three PTOs after the first 1-RTT packet (RFC 9001 §4.9.3).
/// </summary>
public class ZeroRttReplayConnectionTests
{
    private static readonly IPEndPoint Attacker = new(IPAddress.Parse("10.66.0.9"), 40000);

    private static QuicEndpointOptions Server(int seed, byte[] ticketKey) => SimulationSetup.ServerEndpoint(seed,
        SimulationSetup.ServerOptions(seed, b => { b.TicketKey = ticketKey; b.EnableEarlyData = true; }));


    private sealed record Resumed(SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server, ulong StreamId,
        byte[] Request, List<byte[]> FirstFlight, StreamCollector Collector);

    /// <summary>A resumed client that sent a request in 0-RTT; run until the server has read it and both completed.</summary>
    private static Resumed ResumeWithEarlyRequest(int seed, byte[] ticketKey)
    {
        var ticket = SimulationSetup.FirstTicket(seed, Server(seed, ticketKey));
        var pair = new SimulatedPair(seed + 1, Server(seed, ticketKey));
        var client = pair.Connect(SimulationSetup.ClientOptions(seed + 1, new TlsClientOptions
        {
            ServerName = "localhost", Validation = CertificateValidation.Insecure, ResumptionTicket = ticket, EnableEarlyData = true,
        }));
        Assert.True(client.TryOpenStream(true, out ulong id));
        var request = new byte[2500];
        new Random(seed).NextBytes(request);
        Assert.Equal(request.Length, client.StreamWrite(id, request, fin: true));
        // The first flush sends the whole first flight: what an on-path attacker records.
        Assert.True(pair.RunUntil(() => pair.ClientSent.Count > 0, 1));
        var firstFlight = pair.ClientSent.Select(d => d.ToArray()).ToList();
        Assert.Contains(firstFlight, ContainsZeroRtt);
        StreamCollector? collector = null;
        pair.OnStep = () =>
        {
            if (collector is null && pair.Server.Connections.Count == 1) collector = new StreamCollector(pair.Server.Connections[0]);
            collector?.Step();
        };
        Assert.True(pair.RunUntil(() => collector is not null && collector.Finished.Contains(id) && client.IsConnected && pair.Server.Connections[0].IsConnected));
        var server = pair.Server.Connections[0];
        Assert.True(server.EarlyDataAccepted);
        Assert.Equal(request, collector!.Data[id].ToArray());
        return new Resumed(pair, client, server, id, request, firstFlight, collector);
    }

    /// <summary>Feeds <paramref name="datagrams"/> to <paramref name="endpoint"/> from the attacker and runs its timers a while.</summary>
    private static void Replay(QuicEndpointCore endpoint, IEnumerable<byte[]> datagrams, long nowUs)
    {
        foreach (var d in datagrams) endpoint.HandleDatagram(nowUs, d, Attacker, EcnCodepoint.NotEct);
        var sink = new byte[65536];
        for (int i = 0; i < 20; i++)
        {
            nowUs += 10_000;
            endpoint.HandleTimeout(nowUs);
            while (endpoint.PollTransmit(nowUs, sink, 10, out _)) { }
        }
    }

    private static int EarlyBytesDelivered(QuicConnectionCore connection)
    {
        var collector = new StreamCollector(connection);
        collector.Step();
        return collector.Data.Values.Sum(ms => (int)ms.Length);
    }

    [Fact]
    public void ReplayedFirstFlight_ToAnotherInstanceSharingTheTicketKey_NoEarlyData()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var r = ResumeWithEarlyRequest(70, key);
        // Another endpoint of this process with the same ticket key array (e.g. a second listener).
        var other = new QuicEndpointCore(Server(72, key));
        Replay(other, r.FirstFlight, r.Pair.NowUs);
        var replayed = Assert.Single(other.Connections);
        Assert.False(replayed.EarlyDataAccepted);
        Assert.False(replayed.IsConnected);
        Assert.Equal(0, EarlyBytesDelivered(replayed));
        Assert.Equal(1, ZeroRttAntiReplay.ForTicketKey(key).CountOf(ZeroRttDecision.Replayed));
    }

    [Fact]
    public void ReplayedFirstFlight_ToTheSameServerAfterTheConnectionEnded_NoEarlyData()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var r = ResumeWithEarlyRequest(74, key);
        r.Client.Close(r.Pair.NowUs, 0, "done");
        Assert.True(r.Pair.RunUntil(() => r.Server.IsClosed && r.Client.IsClosed));
        int before = r.Pair.Server.Connections.Count(c => !c.IsClosed);
        Replay(r.Pair.Server, r.FirstFlight, r.Pair.NowUs);
        var replayed = r.Pair.Server.Connections.Where(c => !c.IsClosed).ToList();
        Assert.Equal(before + 1, replayed.Count);
        Assert.All(replayed, c => Assert.False(c.EarlyDataAccepted));
        Assert.All(replayed, c => Assert.Equal(0, EarlyBytesDelivered(c)));
    }

    [Fact]
    public void StreamsWhoseDataArrivedInZeroRtt_AreMarked()
    {
        var r = ResumeWithEarlyRequest(76, RandomNumberGenerator.GetBytes(32));
        Assert.True(r.Server.StreamReceivedEarlyData(r.StreamId));
        // A stream opened after the handshake travels in 1-RTT.
        Assert.True(r.Client.TryOpenStream(true, out ulong late));
        r.Client.StreamWrite(late, "after"u8, fin: true);
        Assert.True(r.Pair.RunUntil(() => r.Collector.Finished.Contains(late)));
        Assert.False(r.Server.StreamReceivedEarlyData(late));
        Assert.True(r.Server.StreamReceivedEarlyData(r.StreamId));
        Assert.False(r.Client.StreamReceivedEarlyData(r.StreamId));
    }

    [Fact]
    public void ServerDropsItsZeroRttKeysThreePtosAfterTheFirstOneRttPacket()
    {
        var r = ResumeWithEarlyRequest(78, RandomNumberGenerator.GetBytes(32));
        byte[] zeroRtt = r.FirstFlight.Select(ZeroRttPacket).First(p => p is not null)!;
        var stats = r.Server.Statistics;

        // Right after the handshake a late 0-RTT packet still decrypts (a duplicate here): nothing dropped.
        long received = stats.DatagramsReceived, dropped = stats.PacketsDropped;
        r.Server.HandleDatagram(r.Pair.NowUs, zeroRtt, r.Pair.ClientAddress, EcnCodepoint.NotEct);
        Assert.Equal(received + 1, stats.DatagramsReceived);
        Assert.Equal(dropped, stats.PacketsDropped);

        // Three PTOs later (keep the connection busy so it does not idle out) the keys are gone.
        long until = r.Pair.NowUs + 3 * 1_000_000;
        r.Pair.OnStep = null;
        r.Pair.RunUntil(() => r.Pair.NowUs >= until, 3_100_000);
        received = stats.DatagramsReceived;
        dropped = stats.PacketsDropped;
        r.Server.HandleDatagram(r.Pair.NowUs, zeroRtt, r.Pair.ClientAddress, EcnCodepoint.NotEct);
        Assert.Equal(received + 1, stats.DatagramsReceived);
        Assert.True(stats.PacketsDropped > dropped, "the 0-RTT packet was still decrypted");
    }

    private static bool ContainsZeroRtt(byte[] datagram) => ZeroRttPacket(datagram) is not null;

    /// <summary>The first 0-RTT packet coalesced in <paramref name="datagram"/>, alone, or null.</summary>
    private static byte[]? ZeroRttPacket(byte[] datagram)
    {
        int offset = 0;
        while (offset < datagram.Length)
        {
            if (!PacketHeader.TryParse(datagram.AsSpan(offset), 8, out var h) || !h.IsLongHeader) return null;
            if (h.Type == PacketType.ZeroRtt) return datagram[offset..(offset + h.PacketLength)];
            offset += h.PacketLength;
        }
        return null;
    }
}
