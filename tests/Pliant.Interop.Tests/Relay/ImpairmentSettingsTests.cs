using Pliant.Cli.Relay;

namespace Pliant.Interop.Tests.Relay;

/// <summary>The relay's impairment text form: every key, units, round trip, and precise errors for bad input.</summary>
public sealed class ImpairmentSettingsTests
{
    [Fact]
    public void ParsesEveryKeyAndRoundTrips()
    {
        var s = ImpairmentSettings.Parse("delay=5ms, jitter=250us,loss=2%,corrupt=0.3,reorder=0.05,reorder-delay=10ms,rate=10mbit,queue=256k");
        Assert.Equal(TimeSpan.FromMilliseconds(5), s.Delay);
        Assert.Equal(TimeSpan.FromMicroseconds(250), s.Jitter);
        Assert.Equal(0.02, s.Loss, 12);
        Assert.Equal(0.3, s.Corrupt, 12);
        Assert.Equal(0.05, s.Reorder, 12);
        Assert.Equal(TimeSpan.FromMilliseconds(10), s.ReorderDelay);
        Assert.Equal(10_000_000, s.RateBitsPerSecond);
        Assert.Equal(256 * 1024, s.QueueBytes);
        Assert.True(s.IsScheduled);
        Assert.Equal(s, ImpairmentSettings.Parse(s.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("none")]
    [InlineData(" NONE ")]
    public void EmptyMeansNone(string text)
    {
        Assert.Equal(ImpairmentSettings.None, ImpairmentSettings.Parse(text));
        Assert.Equal("none", ImpairmentSettings.Parse(text).ToString());
        Assert.False(ImpairmentSettings.None.IsScheduled);
    }

    [Fact]
    public void LossAndCorruptionAloneNeedNoScheduler() => Assert.False(ImpairmentSettings.Parse("loss=0.3,corrupt=0.3").IsScheduled);

    [Theory]
    [InlineData("loss=2")]
    [InlineData("loss=-0.1")]
    [InlineData("loss=NaN")]
    [InlineData("loss=Infinity")]
    [InlineData("corrupt=101%")]
    [InlineData("delay=5h")]
    [InlineData("delay=61s")]
    [InlineData("delay=1e300s")]
    [InlineData("rate=10tbit")]
    [InlineData("rate=1e300gbit")]
    [InlineData("queue=100")]
    [InlineData("queue=1g")]
    [InlineData("queue=9e30")]
    [InlineData("foo=1")]
    [InlineData("loss")]
    [InlineData("=0.1")]
    [InlineData("loss=")]
    public void RejectsBadInputWithAFormatException(string text) => Assert.Throws<FormatException>(() => ImpairmentSettings.Parse(text));

    [Theory]
    [InlineData("1200", 1200)]
    [InlineData("3m", 3 << 20)]
    [InlineData("256K", 256 << 10)]
    [InlineData("1g", 1L << 30)]
    public void ParsesSizes(string text, long bytes) => Assert.Equal(bytes, ImpairmentSettings.ParseSize(text));

    [Theory]
    [InlineData("1.5s", 1500)]
    [InlineData("40", 40)]
    [InlineData("500us", 0.5)]
    public void ParsesDurations(string text, double ms) => Assert.Equal(ms, ImpairmentSettings.ParseDuration(text).TotalMilliseconds, 9);

    [Fact]
    public void RelayOptionsRejectOutOfRangeValues()
    {
        var ok = new RelayOptions { ListenEndPoint = new(System.Net.IPAddress.Loopback, 0), TargetEndPoint = new(System.Net.IPAddress.Loopback, 9) };
        ok.Validate();
        Assert.Throws<ArgumentException>(() => (ok with { MaxFlows = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (ok with { BlackholeAfterBytes = 0 }).Validate()); // no duration
        Assert.Throws<ArgumentException>(() => (ok with { LoseSecondFlight = TimeSpan.FromSeconds(-1) }).Validate());
        Assert.Throws<ArgumentException>(() => (ok with { TracePerFlow = -1 }).Validate());
    }
}
