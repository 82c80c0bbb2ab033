using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Recovery;

/// <summary>
/// RFC 9002 §6.2.4: "Previously sent data MAY be sent if no new data can be sent." An Application Data probe
/// repeats the frames of the oldest ack-eliciting packets still in flight, so a lost tail (a response's last
/// packet, a FIN, HANDSHAKE_DONE) is recovered by the probe itself, even while the peer's acknowledgments are
/// lost too. Found by the interop fault case handshakeloss (pliant get to pliant serve at 30 % loss each way:
/// the packet with the response's FIN and the client's ACKs of the server's PING probes were lost, and the
/// download hung until the idle timeout).
/// </summary>
public class TailLossProbeTests
{
    /// <summary>A connected pair, handshake confirmed, whose client sent a request the server has read; returns the stream.</summary>
    private static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server, ulong Id) RequestSent(int seed)
    {
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed));
        var client = pair.Connect(SimulationSetup.ClientOptions(seed));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected));
        var server = pair.Server.Connections[0];
        Assert.True(pair.RunUntil(() => client.HandshakeConfirmed));
        Assert.True(client.TryOpenStream(true, out ulong id));
        client.StreamWrite(id, "GET /"u8, fin: true);
        var requests = new StreamCollector(server);
        pair.OnStep = requests.Step;
        Assert.True(pair.RunUntil(() => requests.Finished.Contains(id)));
        return (pair, client, server, id);
    }

    /// <summary>
    /// The server's response datagram is lost and from then on nothing the client sends arrives, so the server
    /// never learns of the loss from an ACK. Old behaviour: its probes were PINGs and the response never came.
    /// </summary>
    [Fact]
    public void ProbeCarriesTheLostResponseWithoutAnyAck()
    {
        const int seed = 50;
        var (pair, client, server, id) = RequestSent(seed);

        // From here: the response's datagram is lost, and so is everything the client sends.
        long responseDatagram = pair.ServerToClient.Sent;
        pair.ServerToClient.DropFilter = (index, _) => index == responseDatagram;
        pair.ClientToServer.DropFilter = (_, _) => true;
        var response = new byte[1000];
        new Random(seed).NextBytes(response);
        Assert.Equal(response.Length, server.StreamWrite(id, response, fin: true));
        var received = new StreamCollector(client);
        pair.OnStep = received.Step;
        Assert.True(pair.RunUntil(() => received.Finished.Contains(id), limitUs: 20_000_000), "the lost response was never resent");
        Assert.Equal(response, received.Data[id].ToArray());
    }

    /// <summary>
    /// Both datagrams of a probe carry the lost data: the response and the first probe datagram are lost (and
    /// nothing from the client arrives); the second probe datagram delivers it. Before: the second was a PING and
    /// it took the next, doubled, PTO (seen: pliant serve's 1110-byte response lost five times in a row while
    /// every PING beside it arrived).
    /// </summary>
    [Fact]
    public void SecondProbeDatagramCarriesTheDataToo()
    {
        const int seed = 51;
        var (pair, client, server, id) = RequestSent(seed);
        long first = pair.ServerToClient.Sent;
        pair.ServerToClient.DropFilter = (index, _) => index == first || index == first + 1;
        pair.ClientToServer.DropFilter = (_, _) => true;
        Assert.Equal(1000, server.StreamWrite(id, new byte[1000], fin: true));
        var received = new StreamCollector(client);
        long serverDatagramsWhenDone = -1;
        pair.OnStep = () =>
        {
            received.Step();
            if (serverDatagramsWhenDone < 0 && received.Finished.Contains(id)) serverDatagramsWhenDone = pair.ServerToClient.Sent - first;
        };
        Assert.True(pair.RunUntil(() => received.Finished.Contains(id), limitUs: 20_000_000));
        Assert.Equal(3, serverDatagramsWhenDone); // the response, probe datagram 1 (lost), probe datagram 2
    }

    /// <summary>
    /// Older packets arrived but their ACKs were lost, then the response's packet was lost: the probes must
    /// carry the response (the newest packet in flight), not only the oldest ones again and again. Seen in the
    /// handshakecorruption fault case (Pliant↔Pliant, seed 103): the server's probes repeated two 138-byte
    /// control packets four times while the 1110-byte response never came back, until the idle timeout.
    /// </summary>
    [Fact]
    public void ProbesCarryTheLostTailBehindOlderUnacknowledgedPackets()
    {
        const int seed = 52;
        var (pair, client, server, id) = RequestSent(seed);
        pair.ClientToServer.DropFilter = (_, _) => true; // from here no ACK reaches the server
        // Three small packets on streams of their own, each delivered (their ACKs are lost)...
        for (int i = 0; i < 3; i++)
        {
            Assert.True(server.TryOpenStream(bidirectional: false, out ulong uni));
            server.StreamWrite(uni, new byte[100], fin: false);
            pair.RunFor(2_000);
        }
        // ...then the response, whose datagram is lost.
        long response = pair.ServerToClient.Sent;
        pair.ServerToClient.DropFilter = (index, _) => index == response;
        var body = new byte[1000];
        new Random(seed).NextBytes(body);
        Assert.Equal(body.Length, server.StreamWrite(id, body, fin: true));
        var received = new StreamCollector(client);
        pair.OnStep = received.Step;
        Assert.True(pair.RunUntil(() => received.Finished.Contains(id), limitUs: 20_000_000), "the probes never carried the lost response");
        Assert.Equal(body, received.Data[id].ToArray());
    }
}
