using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Streams;

public class FlowControlTests
{
    [Fact]
    public void SenderTracksCreditAndReportsBlockedOncePerLimit()
    {
        var s = new FlowControlSender(100);
        s.Consume(60);
        Assert.Equal(40UL, s.Available);
        Assert.False(s.ShouldReportBlocked());
        s.Consume(40);
        Assert.True(s.ShouldReportBlocked());
        Assert.False(s.ShouldReportBlocked());
        Assert.False(s.OnMaxUpdate(50)); // lower limits are ignored (RFC 9000 §19.9)
        Assert.True(s.OnMaxUpdate(150));
        Assert.Equal(50UL, s.Available);
        Assert.Throws<InvalidOperationException>(() => s.Consume(51));
        s.Consume(50);
        Assert.True(s.ShouldReportBlocked());
    }

    [Fact]
    public void ReceiverRejectsDataBeyondLimit()
    {
        var r = new FlowControlReceiver(1000, 1000);
        r.OnReceived(1000);
        var ex = Assert.Throws<QuicProtocolException>(() => r.OnReceived(1));
        Assert.Equal(TransportErrorCode.FlowControlError, ex.ErrorCode);
    }

    [Fact]
    public void UpdateAfterHalfTheWindowIsConsumed()
    {
        var r = new FlowControlReceiver(1000, 1000);
        r.OnReceived(1000);
        r.OnConsumed(499);
        Assert.False(r.ShouldSendUpdate);
        r.OnConsumed(1);
        Assert.True(r.ShouldSendUpdate);
        Assert.Equal(1500UL, r.UpdateLimit(0, 100_000));
        Assert.False(r.ShouldSendUpdate);
    }

    [Fact]
    public void WindowDoublesWhenUpdatesComeFasterThanTwoRtts()
    {
        const long rtt = 50_000;
        var r = new FlowControlReceiver(1000, 8000);
        long now = 0;
        r.OnConsumed(500);
        r.UpdateLimit(now, rtt);                 // first update: no history, window stays
        Assert.Equal(1000UL, r.Window);
        now += rtt;                              // 1 RTT later (< 2 RTT): grow
        r.OnConsumed(500);
        Assert.Equal(2000UL + 1000UL, r.UpdateLimit(now, rtt));
        Assert.Equal(2000UL, r.Window);
        now += rtt;
        r.UpdateLimit(now, rtt);
        now += rtt;
        r.UpdateLimit(now, rtt);
        Assert.Equal(8000UL, r.Window);          // capped at the maximum
        now += rtt;
        r.UpdateLimit(now, rtt);
        Assert.Equal(8000UL, r.Window);
    }

    [Fact]
    public void WindowStaysWhenUpdatesAreSlow()
    {
        const long rtt = 50_000;
        var r = new FlowControlReceiver(1000, 8000);
        r.UpdateLimit(0, rtt);
        r.UpdateLimit(3 * rtt, rtt);
        r.UpdateLimit(6 * rtt, rtt);
        Assert.Equal(1000UL, r.Window);
    }
}
