using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Connections;

/// <summary>
/// RFC 9000 §10.3: a server that lost its state (a crash and restart with the same static key) answers the
/// client's next packet with a stateless reset. It carries no connection ID of the client's, so only the reset
/// token of the connection ID the client sends to can route it: the client's endpoint keeps those tokens and
/// the connection ends at once instead of waiting for its idle timeout.
/// </summary>
public class StatelessResetTests
{
    [Fact]
    public void AResetFromARestartedServerEndsTheClientConnectionAtOnce()
    {
        const int seed = 81;
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed));
        var client = pair.Connect(SimulationSetup.ClientOptions(seed));
        Assert.True(pair.RunUntil(() => client.HandshakeConfirmed && pair.Server.Connections.Count == 1));
        pair.RunFor(200_000);

        // The server process restarts: same static key, no connections.
        var restarted = new QuicEndpointCore(SimulationSetup.ServerEndpoint(seed));
        var buffer = new byte[65536];
        Assert.True(client.SendPing());
        Assert.True(pair.Client.PollTransmit(pair.NowUs, buffer, 1, out var ping));
        restarted.HandleDatagram(pair.NowUs, buffer.AsSpan(0, ping.Length), pair.ClientAddress, EcnCodepoint.NotEct);
        Assert.True(restarted.PollTransmit(pair.NowUs, buffer, 1, out var reset), "the restarted server sent no stateless reset");
        Assert.True(reset.Length >= 21);

        // The reset's first bytes are random: it reaches the connection through the token only.
        pair.Client.HandleDatagram(pair.NowUs, buffer.AsSpan(0, reset.Length), pair.ServerAddress, EcnCodepoint.NotEct);
        Assert.Equal(ConnectionState.Draining, client.State);
        Assert.Equal("stateless reset", client.CloseInfo?.Reason);
        Assert.False(client.CloseInfo?.IsLocal);
    }

    [Fact]
    public void ADatagramEndingWithAnUnknownTokenIsNotAReset()
    {
        const int seed = 82;
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed));
        var client = pair.Connect(SimulationSetup.ClientOptions(seed));
        Assert.True(pair.RunUntil(() => client.HandshakeConfirmed && pair.Server.Connections.Count == 1));
        var junk = new byte[40];
        new Random(seed).NextBytes(junk);
        junk[0] = 0x40; // short header, fixed bit
        pair.Client.HandleDatagram(pair.NowUs, junk, pair.ServerAddress, EcnCodepoint.NotEct);
        Assert.Equal(ConnectionState.Connected, client.State);
    }
}
