using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Connections;

public class ZeroRttTests
{
    private static readonly byte[] TicketKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static QuicEndpointOptions Server(int seed, bool earlyData) => SimulationSetup.ServerEndpoint(seed,
        SimulationSetup.ServerOptions(seed, b => { b.TicketKey = TicketKey; b.EnableEarlyData = earlyData; }));

    private static TlsSessionTicket FirstConnection(int seed, bool earlyData) => SimulationSetup.FirstTicket(seed, Server(seed, earlyData));

    private static QuicConnectionOptions Resuming(int seed, TlsSessionTicket ticket) => SimulationSetup.ClientOptions(seed,
        new TlsClientOptions
        {
            ServerName = "localhost", Validation = CertificateValidation.Insecure,
            ResumptionTicket = ticket, EnableEarlyData = true,
        });

    /// <summary>A resumed client (ticket from a server seeded <paramref name="ticketSeed"/>) that has written a 3000-byte request before any packet left.</summary>
    private static (SimulatedPair Pair, QuicConnectionCore Client, ulong Id, byte[] Request) ResumedWithRequest(int ticketSeed, int seed, bool serverEarlyData)
    {
        var ticket = FirstConnection(ticketSeed, earlyData: true);
        var pair = new SimulatedPair(seed, Server(ticketSeed, serverEarlyData));
        var client = pair.Connect(Resuming(seed, ticket));
        Assert.True(client.TryOpenStream(true, out ulong id));
        var request = new byte[3000];
        new Random(seed).NextBytes(request);
        Assert.Equal(request.Length, client.StreamWrite(id, request, fin: true));
        return (pair, client, id, request);
    }

    [Fact]
    public void ResumedConnectionSendsStreamDataInZeroRtt()
    {
        var ticket = FirstConnection(60, earlyData: true);
        var pair = new SimulatedPair(61, Server(60, earlyData: true));
        var client = pair.Connect(Resuming(61, ticket));
        Assert.True(client.CanSendEarlyData);
        Assert.True(client.TryOpenStream(true, out ulong id));
        var request = "GET /index.html"u8.ToArray();
        Assert.Equal(request.Length, client.StreamWrite(id, request, fin: true));
        StreamCollector? collector = null;
        pair.OnStep = () =>
        {
            if (collector is null && pair.Server.Connections.Count == 1) collector = new StreamCollector(pair.Server.Connections[0]);
            collector?.Step();
        };
        // The server reads the 0-RTT request before the client has even seen the ServerHello.
        Assert.True(pair.RunUntil(() => collector is not null && collector.Finished.Contains(id)));
        Assert.False(client.IsConnected);
        Assert.Equal(request, collector!.Data[id].ToArray());
        Assert.True(pair.RunUntil(() => client.IsConnected));
        Assert.True(client.IsResumed);
        Assert.True(client.EarlyDataAccepted, $"server early={pair.Server.Connections[0].EarlyDataAccepted} ticketMax={ticket.MaxEarlyDataSize} alpn={ticket.ApplicationProtocol}");
        // The first flight carried a 0-RTT long-header packet (type bits 01 in v1) after the Initial.
        Assert.Contains(pair.ClientSent.Take(2), d => ContainsZeroRttPacket(d));
        // The server had the request before the handshake completed: it arrived in the first datagram.
        Assert.True(pair.Server.Connections[0].IsResumed);
    }

    [Fact]
    public void RejectedEarlyDataIsResentInOneRtt()
    {
        // Same ticket key, but this server refuses 0-RTT.
        var (pair, client, id, request) = ResumedWithRequest(62, 63, serverEarlyData: false);
        StreamCollector? collector = null;
        pair.OnStep = () =>
        {
            if (collector is null && pair.Server.Connections.Count == 1) collector = new StreamCollector(pair.Server.Connections[0]);
            collector?.Step();
        };
        Assert.True(pair.RunUntil(() => collector is not null && collector.Finished.Contains(id)));
        Assert.Equal(request, collector!.Data[id].ToArray());
        Assert.True(pair.RunUntil(() => client.IsConnected));
        Assert.True(client.IsResumed);
        Assert.False(client.EarlyDataAccepted);
    }

    [Fact]
    public void AcknowledgedZeroRttDoesNotConfirmTheClientsHandshake()
    {
        // Regression: the server acknowledges 0-RTT packets at once (here: two ack-eliciting ones) in a
        // 1-RTT packet of its first flight. The client took that for an acknowledged 1-RTT packet,
        // confirmed the handshake and discarded its Handshake keys with its Finished still unsent:
        // the server never completed (Pliant.Net's ResumingClientSendsItsRequestInZeroRtt hung ~1 %).
        var (pair, client, _, _) = ResumedWithRequest(64, 65, serverEarlyData: true);
        Assert.True(pair.RunUntil(() => client.IsConnected));
        Assert.True(client.EarlyDataAccepted);
        Assert.True(pair.RunUntil(() => pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected, 2_000_000),
            $"server state {pair.Server.Connections[0].State}, client confirmed {client.HandshakeConfirmed}");
        Assert.True(pair.RunUntil(() => client.HandshakeConfirmed, 2_000_000));
    }

    /// <summary>Walks the coalesced long-header packets of a datagram looking for a 0-RTT one.</summary>
    private static bool ContainsZeroRttPacket(byte[] datagram)
    {
        int offset = 0;
        while (offset < datagram.Length)
        {
            if (!Pliant.Quic.Wire.PacketHeader.TryParse(datagram.AsSpan(offset), 8, out var h)) return false;
            if (h.Type == Pliant.Quic.Wire.PacketType.ZeroRtt) return true;
            if (!h.IsLongHeader) return false;
            offset += h.PacketLength;
        }
        return false;
    }
}
