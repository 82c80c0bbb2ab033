using Pliant.Quic.Recovery;
using static Pliant.Quic.Tests.Recovery.RecoveryTestHelpers;

namespace Pliant.Quic.Tests.Recovery;

public class NewRenoTests
{
    private static readonly RttEstimator Rtt = new();

    private static SentPacket[] SendMany(ICongestionController cc, int count, long sentUs, int size = 1200)
    {
        var list = new SentPacket[count];
        for (int i = 0; i < count; i++)
        {
            list[i] = Packet(PacketSpace.Application, (ulong)i, sentUs, size);
            cc.OnPacketSent(sentUs, size);
        }

        return list;
    }

    [Theory]
    [InlineData(1200, 12_000)]
    [InlineData(1500, 14_720)]
    [InlineData(9000, 18_000)]
    public void InitialWindow(int mds, long expected)
    {
        var cc = new NewReno(mds);
        Assert.Equal(expected, cc.Window);
        Assert.Equal(2L * mds, cc.MinimumWindow);
    }

    [Fact]
    public void SlowStartGrowsByAckedBytes()
    {
        var cc = new NewReno(1200);
        var sent = SendMany(cc, 10, 0);
        Assert.Equal(12_000, cc.BytesInFlight);
        Assert.False(cc.CanSend(1));
        cc.OnPacketsAcked(sent, 100, Rtt);
        Assert.Equal(24_000, cc.Window);
        Assert.Equal(0, cc.BytesInFlight);
        Assert.True(cc.CanSend(1200));
    }

    [Fact]
    public void LossHalvesWindowAndRecoveryPeriodBlocksGrowth()
    {
        var cc = new NewReno(1200);
        cc.OnPacketsAcked(SendMany(cc, 10, 0), 10, Rtt); // 24000
        var sent = SendMany(cc, 4, 50);
        cc.OnPacketsLost(sent.AsSpan(0, 1), false, 100);
        Assert.Equal(12_000, cc.Window);
        Assert.Equal(12_000, cc.SlowStartThreshold);
        Assert.Equal(100, cc.RecoveryStartUs);

        // Another loss of a packet sent before recovery started: no second reduction.
        cc.OnPacketsLost(sent.AsSpan(1, 1), false, 150);
        Assert.Equal(12_000, cc.Window);
        Assert.Equal(1, cc.CongestionEvents);

        // Acks of packets sent before recovery do not grow the window.
        cc.OnPacketsAcked(sent.AsSpan(2), 200, Rtt);
        Assert.Equal(12_000, cc.Window);
        Assert.Equal(0, cc.BytesInFlight);

        // Congestion avoidance: one max_datagram_size per window of acknowledged bytes.
        var after = SendMany(cc, 10, 300);
        cc.OnPacketsAcked(after.AsSpan(0, 9), 400, Rtt);
        Assert.Equal(12_000, cc.Window);
        cc.OnPacketsAcked(after.AsSpan(9), 400, Rtt);
        Assert.Equal(13_200, cc.Window);
    }

    [Fact]
    public void NeverBelowMinimumWindow()
    {
        var cc = new NewReno(1200);
        for (int i = 0; i < 10; i++)
        {
            var p = SendMany(cc, 1, 1000 * i);
            cc.OnPacketsLost(p, false, 1000 * i + 1);
            Assert.True(cc.Window >= cc.MinimumWindow);
        }

        Assert.Equal(2400, cc.Window);
    }

    [Fact]
    public void PersistentCongestionCollapsesToMinimum()
    {
        var cc = new NewReno(1200);
        var p = SendMany(cc, 2, 0);
        cc.OnPacketsLost(p, true, 10);
        Assert.Equal(2400, cc.Window);
        Assert.Null(cc.RecoveryStartUs);
    }

    [Fact]
    public void AppLimitedDoesNotGrow()
    {
        var cc = new NewReno(1200) { IsAppLimited = true };
        cc.OnPacketsAcked(SendMany(cc, 2, 0), 10, Rtt);
        Assert.Equal(12_000, cc.Window);
        Assert.Equal(0, cc.BytesInFlight);
    }

    [Fact]
    public void EcnCeIsCongestionEventOncePerRecoveryPeriod()
    {
        var cc = new NewReno(1200);
        cc.OnEcnCe(0, 100);
        Assert.Equal(6_000, cc.Window);
        cc.OnEcnCe(50, 200); // sent before recovery start
        Assert.Equal(6_000, cc.Window);
        cc.OnEcnCe(150, 300);
        Assert.Equal(3_000, cc.Window);
    }

    [Fact]
    public void MtuProbeLossIsNotCongestion()
    {
        var cc = new NewReno(1200);
        var p = Packet(PacketSpace.Application, 0, 0, 1400);
        p.IsMtuProbe = true;
        cc.OnPacketSent(0, 1400);
        cc.OnPacketsLost(new[] { p }, false, 10);
        Assert.Equal(12_000, cc.Window);
        Assert.Equal(0, cc.BytesInFlight);
    }

    [Fact]
    public void DiscardedBytesLeaveFlight()
    {
        var cc = new NewReno(1200);
        SendMany(cc, 3, 0);
        cc.OnPacketsDiscarded(2400);
        Assert.Equal(1200, cc.BytesInFlight);
    }

    [Fact]
    public void PacingInterval()
    {
        var cc = new NewReno(1200);
        var rtt = new RttEstimator();
        rtt.Update(100_000, 0, true, 0);
        // RFC 9002 §7.7: srtt * size / (1.25 * cwnd) = 100000 * 1200 / 15000
        Assert.Equal(8_000, cc.PacingIntervalUs(1200, rtt));
    }
}
