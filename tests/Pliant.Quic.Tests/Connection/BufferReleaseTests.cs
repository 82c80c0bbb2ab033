using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Connections;

/// <summary>
/// Pooled buffers go back to the pool when the connection is done with them (issue 17): a short connection's
/// 16 KiB chunks used to go to the garbage collector with it, so every connection allocated them afresh.
/// </summary>
public class BufferReleaseTests
{
    [Fact]
    public void AClosedConnectionHoldsNoPooledChunk_EvenWithDataUnreadAndUnacknowledged()
    {
        var pair = new SimulatedPair(61, SimulationSetup.ServerEndpoint(61));
        var client = pair.Connect(SimulationSetup.ClientOptions(61));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected));
        var server = pair.Server.Connections[0];
        // Data the server never reads, on a stream the client never finishes, and a reply nobody acknowledges.
        Assert.True(client.TryOpenStream(true, out ulong id));
        Assert.Equal(3000, client.StreamWrite(id, new byte[3000], fin: false));
        Assert.True(pair.RunUntil(() => server.PooledChunksHeld > 0));
        Assert.True(server.TryOpenStream(false, out ulong reply));
        server.StreamWrite(reply, new byte[5000], fin: false);
        pair.ServerToClient.LossRate = 1.0; // the reply is never acknowledged
        pair.RunFor(10_000);
        Assert.True(server.PooledChunksHeld >= 2, $"held {server.PooledChunksHeld}");

        server.Close(pair.NowUs, 0, "done");
        Assert.True(pair.RunUntil(() => server.IsClosed, 30_000_000));
        Assert.Equal(0, server.PooledChunksHeld);
    }

    [Fact]
    public void TheHandshakeSpacesHoldNoPooledChunkOnceConnected()
    {
        var pair = new SimulatedPair(62, SimulationSetup.ServerEndpoint(62));
        var client = pair.Connect(SimulationSetup.ClientOptions(62));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected));
        pair.RunFor(1_000_000); // handshake confirmed, Initial and Handshake spaces discarded on both sides
        Assert.Equal(0, pair.Server.Connections[0].PooledChunksHeld);
        Assert.Equal(0, client.PooledChunksHeld);
    }
}
