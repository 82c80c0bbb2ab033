using Pliant.Quic.Connection;

namespace Pliant.Quic.Tests.Simulation;

/// <summary>
/// A server that keeps its DATAGRAM queue full (1000-byte datagrams) while it sends one stream over a 20 Mbit/s link
/// (packet.schedule_frames tests): how the packets are shared between the two kinds decides how long the stream takes.
/// </summary>
public static class DatagramFlood
{
    public const int StreamSize = 300_000;

    public static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connect(int seed)
    {
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed, SimulationSetup.ServerOptions(seed, maxDatagramFrameSize: 1200)));
        var client = pair.Connect(SimulationSetup.ClientOptions(seed, maxDatagramFrameSize: 1200));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected));
        pair.ServerToClient.BandwidthBitsPerSecond = 20_000_000;
        pair.RunFor(100_000);
        return (pair, client, pair.Server.Connections[0]);
    }

    /// <summary>Runs the flood and the stream until the stream arrived; returns the time it took (µs) and the datagrams queued meanwhile.</summary>
    public static (long StreamUs, int Datagrams) Run(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server)
    {
        Assert.True(server.TryOpenStream(false, out ulong id));
        var pump = new StreamPump(server, id, new byte[StreamSize]);
        var collector = new StreamCollector(client);
        var payload = new byte[1000];
        int datagrams = 0;
        pair.OnStep = () =>
        {
            while (server.IsConnected && server.SendDatagram(payload)) datagrams++;
            pump.Step();
            collector.Step();
        };
        long start = pair.NowUs;
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), 600_000_000), "the stream did not complete");
        Assert.Equal(StreamSize, collector.Data[id].Length);
        pair.OnStep = null;
        return (pair.NowUs - start, datagrams);
    }
}
