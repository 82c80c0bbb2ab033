using Pliant.Quic.Recovery;
using static Pliant.Quic.Tests.Recovery.RecoveryTestHelpers;

namespace Pliant.Quic.Tests.Recovery;

public class CubicTests
{
    private static SentPacket[] Packets(int count, long sentUs)
    {
        var list = new SentPacket[count];
        for (int i = 0; i < count; i++) list[i] = Packet(PacketSpace.Application, (ulong)i, sentUs);
        return list;
    }

    /// <summary>Sends the packets, then acknowledges them (a window in use, RFC 9002 §7.8).</summary>
    private static void Ack(Cubic cc, SentPacket[] packets, long nowUs, RttEstimator rtt)
    {
        foreach (var p in packets) cc.OnPacketSent(p.TimeSentUs, p.Size);
        cc.OnPacketsAcked(packets, nowUs, rtt);
    }

    private static RttEstimator Rtt100ms()
    {
        var rtt = new RttEstimator();
        rtt.Update(100_000, 0, true, 0);
        return rtt;
    }

    /// <summary>Slow start to 120000 bytes (100 segments), then one loss at t = 1 s.</summary>
    private static Cubic AfterLoss(RttEstimator rtt)
    {
        var cc = new Cubic(1200);
        Ack(cc, Packets(90, 0), 500_000, rtt);
        Assert.Equal(120_000, cc.Window);
        cc.OnPacketsLost(Packets(1, 0), false, 1_000_000);
        return cc;
    }

    [Fact]
    public void LossReducesByBetaAndSetsK()
    {
        var cc = AfterLoss(Rtt100ms());
        Assert.Equal(84_000, cc.Window); // 0.7 * 120000
        Assert.Equal(84_000, cc.SlowStartThreshold);
        Assert.Equal(120_000, cc.WMaxBytes);
        // K = cbrt(W_max * (1 - beta) / C) in segments: cbrt(100 * 0.3 / 0.4) = cbrt(75)
        Assert.Equal(Math.Cbrt(75), cc.KSeconds, 9);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    [InlineData(6.0)]
    public void CubicFunctionMatchesFormula(double t)
    {
        var cc = AfterLoss(Rtt100ms());
        double k = Math.Cbrt(75);
        double expectedSegments = (0.4 * Math.Pow(t - k, 3)) + 100;
        Assert.Equal(expectedSegments * 1200, cc.CubicWindowBytes(t), 6);
    }

    [Fact]
    public void CubicCurveEndpoints()
    {
        var cc = AfterLoss(Rtt100ms());
        Assert.Equal(84_000, cc.CubicWindowBytes(0), 6);
        Assert.Equal(120_000, cc.CubicWindowBytes(cc.KSeconds), 6);
    }

    [Fact]
    public void WindowConvergesToCubicTargetAfterTwoSeconds()
    {
        var rtt = Rtt100ms();
        var cc = AfterLoss(rtt);
        long now = 1_000_000 + 2_000_000;
        double target = cc.CubicWindowBytes(2.0 + 0.1); // W_cubic(t + RTT)
        Ack(cc, Packets(500, 1_000_001), now, rtt);
        Assert.True(cc.RenoEstimateBytes < cc.CubicWindowBytes(2.0));
        Assert.True(cc.Window <= target + 1, $"{cc.Window} > {target}");
        Assert.True(cc.Window >= target * 0.99, $"{cc.Window} < {target}");

        // Later, beyond K, the window exceeds W_max (convex region).
        now = 1_000_000 + 6_000_000;
        double target6 = cc.CubicWindowBytes(6.1);
        Ack(cc, Packets(2000, now - 1), now, rtt);
        Assert.True(cc.Window > 120_000);
        Assert.True(cc.Window <= target6 + 1);
    }

    [Fact]
    public void RenoFriendlyRegionRightAfterLoss()
    {
        var rtt = Rtt100ms();
        var cc = AfterLoss(rtt);
        Ack(cc, Packets(70, 1_000_001), 1_000_001, rtt);
        // W_cubic(0) = 84000 < W_est: cwnd follows W_est.
        Assert.True(cc.Window > 84_000);
        Assert.True(Math.Abs(cc.Window - cc.RenoEstimateBytes) <= 1, $"{cc.Window} vs {cc.RenoEstimateBytes}");
        // alpha_cubic * one segment per window acknowledged (70 segments of an 84000-byte window).
        Assert.InRange(cc.RenoEstimateBytes - 84_000, Cubic.Alpha * 1200 * 0.9, Cubic.Alpha * 1200);
    }

    [Fact]
    public void FastConvergenceLowersWMax()
    {
        var rtt = Rtt100ms();
        var cc = AfterLoss(rtt);
        cc.OnPacketsLost(Packets(1, 1_000_001), false, 1_100_000);
        Assert.Equal(84_000 * 1.7 / 2, cc.WMaxBytes, 6);
        Assert.Equal(58_800, cc.Window);
    }

    [Fact]
    public void NeverBelowMinimumWindow()
    {
        var cc = new Cubic(1200);
        for (int i = 1; i <= 30; i++)
        {
            cc.OnPacketsLost(Packets(1, i * 1000), false, (i * 1000) + 1);
            Assert.True(cc.Window >= 2400);
        }

        Assert.Equal(2400, cc.Window);
        cc.OnPacketsLost(Packets(1, 100_000), true, 100_001);
        Assert.Equal(2400, cc.Window);
    }

    [Fact]
    public void NoGrowthDuringRecoveryOrWhenAppLimited()
    {
        var rtt = Rtt100ms();
        var cc = AfterLoss(rtt);
        Ack(cc, Packets(50, 999_000), 1_050_000, rtt);
        Assert.Equal(84_000, cc.Window);
        cc.IsAppLimited = true;
        Ack(cc, Packets(50, 1_100_000), 3_000_000, rtt);
        Assert.Equal(84_000, cc.Window);
    }
}
