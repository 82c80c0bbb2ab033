using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Hostile;

/// <summary>RFC 9000 §21.4: packet numbers are skipped, and acknowledging one is caught.</summary>
public class OptimisticAckTests
{
    private static (SimulatedPair, QuicConnectionCore, QuicConnectionCore, ulong) AfterDownload(int seed, int bytes)
    {
        var (pair, client, server) = HostileTraffic.Connected(seed, SimulationSetup.ServerEndpoint(seed), SimulationSetup.ClientOptions(seed + 500));
        Assert.True(server.TryOpenStream(false, out ulong id));
        var pump = new StreamPump(server, id, new byte[bytes]);
        var collector = new StreamCollector(client);
        pair.OnStep = () =>
        {
            pump.Step();
            collector.Step();
        };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), 60_000_000));
        pair.OnStep = null;
        return (pair, client, server, id);
    }

    [Fact]
    public void HonestAcksOverALongTransferNeverTripTheSkips()
    {
        var (_, _, server, _) = AfterDownload(71, 24 << 20);
        Assert.True(server.PacketNumbersSkipped >= 2, $"{server.PacketNumbersSkipped} skips");
        Assert.Equal(ConnectionState.Connected, server.State);
    }

    [Fact]
    public void AnAckCoveringEverythingSentIsAnOptimisticAckAndClosesTheConnection()
    {
        var (pair, client, server, _) = AfterDownload(72, 24 << 20);
        Assert.True(server.PacketNumbersSkipped > 0);
        ulong largest = client.LargestApplicationPacketReceived!.Value;
        // "I received everything you sent": true only if no number was ever skipped.
        HostileTraffic.Inject(pair, client, HostileTraffic.Frames(b => AckFrame.Write(b, [new AckRange(0, largest)], 0, null)));
        Assert.Equal((ulong)TransportErrorCode.ProtocolViolation, HostileTraffic.CloseCode(server));
    }
}
