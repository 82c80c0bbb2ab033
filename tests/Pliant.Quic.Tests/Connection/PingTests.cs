using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Connections;

public class PingTests
{
    [Fact]
    public void SendPingElicitsAnAcknowledgementFromAnIdleConnection()
    {
        var pair = new SimulatedPair(41, SimulationSetup.ServerEndpoint(41));
        var client = pair.Connect(SimulationSetup.ClientOptions(41));
        Assert.False(client.SendPing()); // no 1-RTT keys yet
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].HandshakeConfirmed));
        pair.RunFor(1_000_000); // let everything settle: nothing left to send
        var server = pair.Server.Connections[0];
        long clientSent = client.Statistics.PacketsSent, serverReceived = server.Statistics.PacketsReceived;
        long serverSent = server.Statistics.PacketsSent;

        Assert.True(client.SendPing());
        pair.RunFor(200_000);

        Assert.Equal(clientSent + 1, client.Statistics.PacketsSent);      // one packet: the PING
        Assert.True(server.Statistics.PacketsReceived > serverReceived);
        Assert.True(server.Statistics.PacketsSent > serverSent);          // ack-eliciting: the server acknowledged it
        Assert.True(client.IsConnected);
    }
}
