using Pliant.Quic.Recovery;

namespace Pliant.Quic.Tests.Recovery;

public class RttEstimatorTests
{
    [Fact]
    public void InitialValuesFollowRfc()
    {
        var rtt = new RttEstimator();
        Assert.False(rtt.HasSample);
        Assert.Equal(333_000, rtt.SmoothedRtt);
        Assert.Equal(166_500, rtt.RttVar);
        // RFC 9002 §6.2.1: smoothed_rtt + max(4*rttvar, kGranularity)
        Assert.Equal(333_000 + 4 * 166_500, rtt.PtoBase);
    }

    [Fact]
    public void FirstSampleInitialisesAndIgnoresAckDelay()
    {
        var rtt = new RttEstimator();
        rtt.Update(100_000, 5_000, handshakeConfirmed: false, maxAckDelayUs: 25_000);
        Assert.True(rtt.HasSample);
        Assert.Equal(100_000, rtt.LatestRtt);
        Assert.Equal(100_000, rtt.MinRtt);
        Assert.Equal(100_000, rtt.SmoothedRtt);
        Assert.Equal(50_000, rtt.RttVar);
    }

    [Fact]
    public void LaterSampleSubtractsAckDelay()
    {
        var rtt = new RttEstimator();
        rtt.Update(100_000, 0, true, 25_000);
        rtt.Update(120_000, 10_000, true, 25_000);
        // adjusted = 110000; rttvar = 3/4*50000 + 1/4*|100000-110000|; srtt = 7/8*100000 + 1/8*110000
        Assert.Equal(40_000, rtt.RttVar);
        Assert.Equal(101_250, rtt.SmoothedRtt);
        Assert.Equal(100_000, rtt.MinRtt);
        Assert.Equal(120_000, rtt.LatestRtt);
    }

    [Fact]
    public void AckDelayCappedByMaxAckDelayOnlyAfterHandshakeConfirmed()
    {
        var confirmed = new RttEstimator();
        confirmed.Update(100_000, 0, true, 25_000);
        confirmed.Update(150_000, 50_000, true, 25_000);
        // ack delay capped at 25000: adjusted 125000
        Assert.Equal((3 * 50_000 + 25_000) / 4, confirmed.RttVar);
        Assert.Equal((7 * 100_000 + 125_000) / 8, confirmed.SmoothedRtt);

        var unconfirmed = new RttEstimator();
        unconfirmed.Update(100_000, 0, false, 25_000);
        unconfirmed.Update(150_000, 50_000, false, 25_000);
        // full ack delay used: adjusted 100000
        Assert.Equal(3 * 50_000 / 4, unconfirmed.RttVar);
        Assert.Equal(100_000, unconfirmed.SmoothedRtt);
    }

    [Fact]
    public void AckDelayNotSubtractedBelowMinRtt()
    {
        var rtt = new RttEstimator();
        rtt.Update(100_000, 0, true, 25_000);
        rtt.Update(105_000, 10_000, true, 25_000);
        // 105000 < min_rtt + ack_delay: adjusted = latest
        Assert.Equal((3 * 50_000 + 5_000) / 4, rtt.RttVar);
        Assert.Equal((7 * 100_000 + 105_000) / 8, rtt.SmoothedRtt);
    }

    [Fact]
    public void MinRttTracksSmallestSample()
    {
        var rtt = new RttEstimator();
        rtt.Update(100_000, 0, true, 25_000);
        rtt.Update(80_000, 0, true, 25_000);
        rtt.Update(90_000, 0, true, 25_000);
        Assert.Equal(80_000, rtt.MinRtt);
    }

    [Fact]
    public void PtoBaseUsesGranularityFloor()
    {
        var rtt = new RttEstimator();
        rtt.Update(100, 0, true, 0); // rttvar 50 µs
        Assert.Equal(100 + RttEstimator.GranularityUs, rtt.PtoBase);
    }
}
