using System.Security.Cryptography;
using Pliant.Quic.Connection;
using Pliant.Quic.Recovery;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Quic.Tests.Connections;

/// <summary>
/// BBR end to end in the seeded simulator: a 50 Mbit/s bottleneck (256 KiB drop-tail queue) with a 20 ms
/// RTT, with and without random loss. Outcomes are simulated time and counts, never wall time.
/// </summary>
public sealed class BbrTransferTests(ITestOutputHelper output)
{
    private const long LinkBitsPerSecond = 50_000_000;

    internal sealed record Outcome(double GoodputMbit, long MaxSmoothedRttUs, long MinRttUs, ICongestionController Cc, long DurationUs);

    internal static Outcome Upload(int seed, CongestionControlAlgorithm cc, double loss, int size)
    {
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed, SimulationSetup.ServerOptions(seed, cc: cc)));
        foreach (var link in new[] { pair.ClientToServer, pair.ServerToClient })
        {
            link.BandwidthBitsPerSecond = LinkBitsPerSecond;
            link.DelayUs = 10_000;
            link.QueueLimitBytes = 256 * 1024;
            link.LossRate = loss;
        }
        var client = pair.Connect(SimulationSetup.ClientOptions(seed, cc: cc));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected, 60_000_000));
        var server = pair.Server.Connections[0];
        Assert.True(client.TryOpenStream(true, out ulong id));
        var payload = new byte[size];
        new Random(seed).NextBytes(payload);
        var pump = new StreamPump(client, id, payload);
        var collector = new StreamCollector(server);
        long maxSrtt = 0;
        long start = pair.NowUs;
        pair.OnStep = () =>
        {
            pump.Step();
            collector.Step();
            // After the first round trips of slow start / Startup: the standing queue the controller keeps.
            if (pair.NowUs - start > 1_000_000) maxSrtt = Math.Max(maxSrtt, client.SmoothedRttUs);
        };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), 600_000_000), $"transfer incomplete; seed {seed}");
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(collector.Data[id].ToArray()));
        long duration = pair.NowUs - start;
        return new Outcome(size * 8.0 / duration, maxSrtt, 20_000, client.NativeCongestionController, duration);
    }

    /// <summary>
    /// Loss-free: BBR fills the link (≥ 90 % of 50 Mbit/s over 8 MiB, Startup included) while the smoothed RTT
    /// stays near the 20 ms minimum; CUBIC fills the 256 KiB queue (its RTT more than doubles).
    /// </summary>
    [Fact]
    public void BbrFillsTheLinkWithoutStandingQueue()
    {
        var bbr = Upload(41, CongestionControlAlgorithm.Bbr, 0, 8 << 20);
        var cubic = Upload(41, CongestionControlAlgorithm.Cubic, 0, 8 << 20);
        output.WriteLine($"bbr {bbr.GoodputMbit:F2} Mbit/s max srtt {bbr.MaxSmoothedRttUs} us; cubic {cubic.GoodputMbit:F2} Mbit/s max srtt {cubic.MaxSmoothedRttUs} us");
        Assert.True(bbr.GoodputMbit >= 45, $"{bbr.GoodputMbit:F2} Mbit/s");
        Assert.True(bbr.MaxSmoothedRttUs <= 1.5 * bbr.MinRttUs, $"srtt {bbr.MaxSmoothedRttUs} us");
        Assert.True(cubic.MaxSmoothedRttUs > 2 * cubic.MinRttUs, $"cubic srtt {cubic.MaxSmoothedRttUs} us");
        var b = Assert.IsType<Bbr>(bbr.Cc);
        Assert.True(b.FullBwReached);
        Assert.InRange(b.MaxBw * 8, 0.95 * LinkBitsPerSecond, 1.05 * LinkBitsPerSecond);
    }

    /// <summary>
    /// Random loss of 1 % and 2 % in both directions (ACKs lost too), 10 MiB: the bench's lossy-path goal in
    /// simulation. The loss-free run of the same seed is the ceiling (Startup, headers and handshake included);
    /// losing a share p of the packets leaves (1 - p) of it, and BBR must keep 95 % of that: random loss below
    /// the draft's 2 % per-round objective is not congestion. (Before the loss tests needed a significant excess
    /// over 2 %, the short-term model ratcheted the rate down every lossy round: 41.3 and 39.9 Mbit/s mean over
    /// six seeds, against 46.1 and 45.5 now, 46.6 loss-free.) CUBIC collapses on the same path.
    /// </summary>
    [Theory]
    [InlineData(0.01)]
    [InlineData(0.02)]
    public void BbrKeepsTheRateUnderRandomLoss(double loss)
    {
        var clean = Upload(42, CongestionControlAlgorithm.Bbr, 0, 10 << 20);
        var bbr = Upload(42, CongestionControlAlgorithm.Bbr, loss, 10 << 20);
        var cubic = Upload(42, CongestionControlAlgorithm.Cubic, loss, 10 << 20);
        output.WriteLine($"loss {loss}: bbr {bbr.GoodputMbit:F2} Mbit/s (loss-free {clean.GoodputMbit:F2}), cubic {cubic.GoodputMbit:F2} Mbit/s");
        Assert.True(bbr.GoodputMbit >= 0.95 * (1 - loss) * clean.GoodputMbit, $"bbr {bbr.GoodputMbit:F2} vs loss-free {clean.GoodputMbit:F2} Mbit/s");
        Assert.True(bbr.GoodputMbit >= 3 * cubic.GoodputMbit, $"bbr {bbr.GoodputMbit:F2} vs cubic {cubic.GoodputMbit:F2} Mbit/s");
    }

    /// <summary>The simulation and the controller's random probe wait are seeded: the same seed, the same run.</summary>
    [Fact]
    public void TheSameSeedGivesTheSameTransfer()
    {
        var a = Upload(43, CongestionControlAlgorithm.Bbr, 0.02, 2 << 20);
        var b = Upload(43, CongestionControlAlgorithm.Bbr, 0.02, 2 << 20);
        Assert.Equal(a.DurationUs, b.DurationUs);
        Assert.Equal(a.Cc.Window, b.Cc.Window);
    }
}
