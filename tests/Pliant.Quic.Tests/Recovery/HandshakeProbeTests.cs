using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Recovery;

/// <summary>
/// RFC 9002 §6.2.4: a PTO sends one or two probe datagrams. In the Initial and Handshake spaces each of them
/// must carry the unacknowledged CRYPTO data again: a PING-only Initial cannot start a connection at a server
/// that keeps no state before it sees a ClientHello (issue 11, "no state before proof"), so a client whose
/// first probe datagram is lost wasted the second one and waited a whole further PTO (doubled). Found by the
/// interop fault case handshakeloss (tests/Pliant.Interop.Tests/Faults/HandshakeLoss.cs).
/// </summary>
public class HandshakeProbeTests
{
    /// <summary>
    /// Runs a handshake with <paramref name="lose"/> datagrams of one direction lost (by their index) and returns
    /// how many datagrams <paramref name="counted"/> (a side's sent list) held when <paramref name="reached"/> first held.
    /// </summary>
    private static (SimulatedPair Pair, int Count) CountUntil(int seed, bool loseClientDatagrams, int lose,
        Func<SimulatedPair, bool> reached, Func<SimulatedPair, List<byte[]>> counted)
    {
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed));
        (loseClientDatagrams ? pair.ClientToServer : pair.ServerToClient).DropFilter = (index, _) => index < lose;
        var client = pair.Connect(SimulationSetup.ClientOptions(seed));
        int count = -1;
        pair.OnStep = () =>
        {
            if (count < 0 && reached(pair)) count = counted(pair).Count;
        };
        Assert.True(pair.RunUntil(() => client.IsConnected, limitUs: 20_000_000));
        return (pair, count);
    }

    /// <summary>
    /// The client's first Initial and the first datagram of its first PTO probe are lost; the second probe
    /// datagram must start the connection. Old behaviour: it was a PING, the server created nothing, and the
    /// connection started only from the second PTO's probe (the client's 4th datagram).
    /// </summary>
    [Fact]
    public void SecondProbeDatagramAlsoCarriesTheClientHello()
    {
        var (_, clientDatagrams) = CountUntil(43, loseClientDatagrams: true, lose: 2, p => p.Server.Connections.Count > 0, p => p.ClientSent);
        Assert.Equal(3, clientDatagrams);
    }

    /// <summary>
    /// The same on the server: its first flight (Initial + Handshake) and the first datagram of its first PTO
    /// are lost. Now each probe datagram repeats the ServerHello and the Handshake flight (coalesced, RFC 9002
    /// §6.2.4), so the second probe datagram (#2) completes the client's handshake. Old behaviour: #2 was PING +
    /// PADDING and the client connected only after the server's 7th datagram.
    /// </summary>
    [Fact]
    public void ServerHandshakeProbesBothCarryCryptoData()
    {
        var (_, serverDatagrams) = CountUntil(44, loseClientDatagrams: false, lose: 2, ClientConnected, p => p.ServerSent);
        Assert.Equal(3, serverDatagrams);
    }

    /// <summary>
    /// RFC 9002 §6.2.4: a PTO also probes the other handshake space with data in flight. The server's first
    /// flight and both datagrams of its first PTO are lost. Old behaviour: the second PTO fired for the
    /// Handshake space and resent only Handshake packets, which the client (without the ServerHello, so without
    /// Handshake keys) could not use; a third PTO resent the Initial (9 server datagrams, 3 PTOs). Now every
    /// probe coalesces the unacknowledged Initial with the Handshake data (5 datagrams, 2 PTOs). Found by the
    /// interop fault case handshakeloss (pliant get to pliant serve at 30 % loss each way, seed 9).
    /// </summary>
    [Fact]
    public void ServerProbeResendsTheInitialWithTheHandshakeFlight()
    {
        var (pair, serverDatagrams) = CountUntil(46, loseClientDatagrams: false, lose: 3, ClientConnected, p => p.ServerSent);
        Assert.Equal(2, pair.Server.Connections.Single().Statistics.PtoCount);
        Assert.Equal(5, serverDatagrams);
    }

    private static bool ClientConnected(SimulatedPair pair) => pair.Client.Connections.Single().IsConnected;

    /// <summary>
    /// RFC 9002 §6.2.4, the client's side: after its handshake completes the client's PTO runs in the Handshake
    /// space (its Finished is unacknowledged, the handshake unconfirmed, RFC 9002 §6.2.1), but the server drops
    /// its Handshake keys once it has the Finished, so Handshake-only probes are unreadable there. With 1-RTT data
    /// in flight each probe datagram must carry a 1-RTT packet too. Old behaviour: only Handshake packets, so when
    /// the request, the client's 1-RTT ACKs and HANDSHAKE_DONE were lost the connection hung to the idle timeout
    /// (seen with pliant get against pliant serve at 30 % loss each way).
    /// </summary>
    [Fact]
    public void ClientHandshakeProbeAlsoCarriesOneRtt()
    {
        const int seed = 47;
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed));
        var client = pair.Connect(SimulationSetup.ClientOptions(seed));
        bool silence = false;
        var probes = new List<byte[]>();
        pair.ServerToClient.DropFilter = (_, _) => silence;
        pair.ClientToServer.DropFilter = (_, d) =>
        {
            if (silence && client.Statistics.PtoCount > 0) probes.Add(d);
            return false;
        };
        StreamPump? pump = null;
        ulong id = 0;
        pair.OnStep = () =>
        {
            if (pump is null && client.IsConnected && client.TryOpenStream(true, out id))
            {
                silence = true; // from here on the server is not heard: HANDSHAKE_DONE and every ACK are lost
                pump = new StreamPump(client, id, new byte[50]);
            }
            pump?.Step();
        };
        pair.RunFor(3_000_000);
        var withHandshake = probes.Where(d => DatagramKinds.Of(d).Contains(PacketType.Handshake)).ToList();
        Assert.NotEmpty(withHandshake);
        Assert.All(withHandshake, d => Assert.Contains(PacketType.OneRtt, DatagramKinds.Of(d)));

        // And once the server is heard again the request arrives.
        silence = false;
        var collector = new StreamCollector(pair.Server.Connections.Single());
        pair.OnStep = () => { pump?.Step(); collector.Step(); };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), limitUs: 20_000_000));
    }
}
