using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Connections;

public class VersionNegotiationTests
{
    private static QuicConnectionOptions Client(int seed, uint initial, params uint[] versions)
    {
        var o = SimulationSetup.ClientOptions(seed, version: initial);
        return new QuicConnectionOptions { Client = o.Client, Random = o.Random, InitialVersion = initial, Versions = versions };
    }

    [Fact]
    public void ServerUpgradesToTheClientsPreferredCompatibleVersion()
    {
        // RFC 9368 §2.3: the client starts in v1 but prefers v2; the server switches during the handshake.
        var pair = new SimulatedPair(70, SimulationSetup.ServerEndpoint(70));
        var client = pair.Connect(Client(70, QuicVersion.V1, QuicVersion.V2, QuicVersion.V1));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections[0].IsConnected));
        Assert.Equal(QuicVersion.V2, client.Version);
        Assert.Equal(QuicVersion.V2, pair.Server.Connections[0].Version);
        // The first client datagram was v1, the last ones are v2 long headers or short headers.
        Assert.Equal(QuicVersion.V1, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(pair.ClientSent[0].AsSpan(1)));
    }

    [Fact]
    public void NoUpgradeWhenTheClientPrefersWhatItUses()
    {
        var pair = new SimulatedPair(71, SimulationSetup.ServerEndpoint(71));
        var client = pair.Connect(Client(71, QuicVersion.V1, QuicVersion.V1, QuicVersion.V2));
        Assert.True(pair.RunUntil(() => client.IsConnected));
        Assert.Equal(QuicVersion.V1, client.Version);
    }

    [Fact]
    public void DraftVersion2Works()
    {
        var pair = new SimulatedPair(72, SimulationSetup.ServerEndpoint(72));
        var client = pair.Connect(Client(72, QuicVersion.V2Draft, QuicVersion.V2Draft));
        Assert.True(pair.RunUntil(() => client.IsConnected));
        Assert.Equal(QuicVersion.V2Draft, client.Version);
    }

    [Fact]
    public void UnknownVersionGetsVersionNegotiationAndTheClientGivesUp()
    {
        var pair = new SimulatedPair(73, SimulationSetup.ServerEndpoint(73));
        // A client whose only version the server does not speak: craft one by sending a bogus version Initial.
        var datagram = new byte[1200];
        datagram[0] = 0xc0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(1), 0x1a2a3a4a);
        datagram[5] = 8;
        new Random(73).NextBytes(datagram.AsSpan(6, 8));
        datagram[14] = 0;
        pair.Server.HandleDatagram(pair.NowUs, datagram, pair.ClientAddress, EcnCodepoint.NotEct);
        var buffer = new byte[1500];
        Assert.True(pair.Server.PollTransmit(pair.NowUs, buffer, 1, out var t));
        Assert.Equal(0u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(1)));
        Assert.True(t.Length >= 7 + 8 + 8);
    }
}
