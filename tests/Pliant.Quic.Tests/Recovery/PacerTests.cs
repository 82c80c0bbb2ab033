using Pliant.Quic.Recovery;

namespace Pliant.Quic.Tests.Recovery;

public class PacerTests
{
    private static Pacer Create()
    {
        var rtt = new RttEstimator();
        rtt.Update(100_000, 0, true, 0);
        return new Pacer(new NewReno(1200), rtt); // cwnd 12000, srtt 100 ms
    }

    [Fact]
    public void RateIsOnePointTwentyFiveWindowsPerRtt()
    {
        var p = Create();
        Assert.Equal(150_000, p.RateBytesPerSecond, 6);
        Assert.Equal(12_000, p.CapacityBytes);
    }

    [Fact]
    public void BurstThenPaced()
    {
        var p = Create();
        // A GSO batch of 10 datagrams may leave at once.
        Assert.Null(p.NextSendTimeUs(0, 12_000));
        p.OnPacketSent(0, 12_000);
        // 1200 bytes at 0.15 bytes/µs: 8000 µs.
        Assert.Equal(8_000, p.NextSendTimeUs(0, 1200));
        Assert.Equal(8_000, p.NextSendTimeUs(4_000, 1200)); // half refilled at 4 ms
        Assert.Null(p.NextSendTimeUs(8_000, 1200));
        p.OnPacketSent(8_000, 1200);
        // A batch of 3 needs 3600 bytes: 24000 µs.
        Assert.Equal(8_000 + 24_000, p.NextSendTimeUs(8_000, 3600));
        Assert.Equal(1200, p.AvailableBytes(16_000));
    }

    [Fact]
    public void TokensCappedAtBurst()
    {
        var p = Create();
        p.OnPacketSent(0, 1200);
        Assert.Equal(12_000, p.AvailableBytes(10_000_000));
        // Requests beyond the bucket are capped so they never wait forever.
        Assert.Null(p.NextSendTimeUs(10_000_000, 50_000));
    }
}
