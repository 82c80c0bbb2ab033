using Pliant.Quic.Connection;

namespace Pliant.Quic.Tests.Simulation;

/// <summary>Connection and transfer steps the operation and plugin tests share.</summary>
public static class Transfers
{
    /// <summary>A connected simulated pair (default options), 100 ms after the handshake.</summary>
    public static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connected(int seed)
    {
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed));
        var client = pair.Connect(SimulationSetup.ClientOptions(seed));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected));
        pair.RunFor(100_000);
        return (pair, client, pair.Server.Connections[0]);
    }

    /// <summary>Uploads <paramref name="size"/> zero bytes client → server on a new stream; asserts it arrived complete.</summary>
    public static void Upload(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server, int size) => Send(pair, client, server, size);

    /// <summary>
    /// Sends <paramref name="size"/> zero bytes from <paramref name="sender"/> to <paramref name="receiver"/> on a new
    /// stream; asserts it arrived complete (the closing events, if any, in the message) and returns the time it took, µs.
    /// </summary>
    public static long Send(SimulatedPair pair, QuicConnectionCore sender, QuicConnectionCore receiver, int size)
    {
        Assert.True(sender.TryOpenStream(sender.IsClient, out ulong id));
        var pump = new StreamPump(sender, id, new byte[size]);
        var collector = new StreamCollector(receiver);
        pair.OnStep = () => { pump.Step(); collector.Step(); };
        long start = pair.NowUs;
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), 600_000_000),
            "the transfer did not complete: " + string.Join("; ", collector.Events.Where(e => e.Reason is not null).Select(e => $"{e.Kind} {e.ErrorCode} {e.Reason}")));
        Assert.Equal(size, collector.Data[id].Length);
        pair.OnStep = null;
        return pair.NowUs - start;
    }
}
