using Pliant.Quic.Connection;
using Pliant.Quic.Tls;

namespace Pliant.Quic.Tests.Simulation;

/// <summary>
/// A download over a long path to a client with small initial flow-control windows (64 KiB per stream, 256 KiB for
/// the connection): how fast credit grows decides how long it takes (flow.window_update tests).
/// </summary>
public static class FlowSetup
{
    public static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connect(int seed, long oneWayDelayUs = 40_000, long maxStreamWindow = 16 << 20)
    {
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed));
        var client = pair.Connect(new QuicConnectionOptions
        {
            Client = new TlsClientOptions { ServerName = "localhost", Validation = CertificateValidation.Insecure },
            Random = new Random(seed),
            InitialMaxStreamData = 64 << 10,
            InitialMaxData = 256 << 10,
            MaxStreamWindow = maxStreamWindow,
        });
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected));
        pair.ClientToServer.DelayUs = pair.ServerToClient.DelayUs = oneWayDelayUs;
        pair.ServerToClient.BandwidthBitsPerSecond = 100_000_000;
        pair.RunFor(200_000);
        return (pair, client, pair.Server.Connections[0]);
    }

    /// <summary>Downloads <paramref name="size"/> bytes server → client; returns the virtual time it took, µs.</summary>
    public static long Download(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server, int size) =>
        Transfers.Send(pair, server, client, size);
}
