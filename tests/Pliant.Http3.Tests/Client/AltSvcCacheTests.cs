using Pliant.Http3.Client;

namespace Pliant.Http3.Tests.Client;

/// <summary>The <c>Alt-Svc</c> parser and cache (RFC 7838) behind <see cref="Http3MessageHandler"/>'s upgrade to HTTP/3.</summary>
public sealed class AltSvcCacheTests
{
    private sealed class FakeTimeProvider(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    private static readonly DateTimeOffset s_now = new(2026, 12, 4, 20, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string?, int, long> Values => new()
    {
        // value, h3 host (null: no h3 alternative), port, max-age seconds
        { "h3=\":443\"", "", 443, 86_400 },
        { "h3=\":8443\"; ma=60", "", 8443, 60 },
        { "h2=\":443\", h3=\"alt.example:4433\"; ma=\"120\"; persist=1", "alt.example", 4433, 120 },
        { "h3-29=\":443\", h3=\"[::1]:443\"", "::1", 443, 86_400 },
        { "h3=\":443\"; ma=99999999999", "", 443, 365 * 86_400 },
        { "h2=\":443\"", null, 0, 0 },
        { "quic=\":443\"; v=\"1\"", null, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void ParsesTheFirstH3Alternative(string value, string? host, int port, long maxAge)
    {
        var parsed = AltSvcCache.Parse(value, s_now);
        Assert.NotNull(parsed);
        Assert.False(parsed.Value.Clear);
        if (host is null)
        {
            Assert.Null(parsed.Value.H3);
            return;
        }
        Assert.Equal(new AltSvcCache.Alternative(host, port, s_now.AddSeconds(maxAge)), parsed.Value.H3);
    }

    [Theory]
    [InlineData("h3")]
    [InlineData("h3=:443")]
    [InlineData("h3=\"443\"")]
    [InlineData("h3=\":0\"")]
    [InlineData("h3=\":70000\"")]
    [InlineData("h3=\":-1\"")]
    [InlineData("=\":443\"")]
    public void MalformedValuesAreIgnored(string value) => Assert.Null(AltSvcCache.Parse(value, s_now));

    [Fact]
    public void ExpiryAndClear()
    {
        var time = new FakeTimeProvider(s_now);
        var cache = new AltSvcCache(time);
        var origin = new Uri("https://example.com/");
        cache.Learn(origin, ["h3=\":4433\"; ma=10"]);
        Assert.True(cache.TryGet(new Uri("https://EXAMPLE.com/other"), out var alt));
        Assert.Equal(4433, alt.Port);
        Assert.False(cache.TryGet(new Uri("https://example.com:8443/"), out _)); // another origin
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.False(cache.TryGet(origin, out _));
        cache.Learn(origin, ["h3=\":4433\""]);
        cache.Learn(origin, ["clear"]);
        Assert.False(cache.TryGet(origin, out _));
    }

    [Fact]
    public void TheCacheIsBounded()
    {
        var cache = new AltSvcCache(new FakeTimeProvider(s_now));
        for (int i = 0; i < 5000; i++) cache.Learn(new Uri($"https://h{i}.example/"), [$"h3=\":443\"; ma={i + 100}"]);
        Assert.Equal(AltSvcCache.MaxOrigins, cache.Count);
        // The entries expiring first were dropped; the latest survive.
        Assert.True(cache.TryGet(new Uri("https://h4999.example/"), out _));
        Assert.False(cache.TryGet(new Uri("https://h0.example/"), out _));
    }

    [Fact]
    public void AHugeValueIsParsedInBoundedWork()
    {
        string value = string.Join(", ", Enumerable.Repeat("h2=\":443\"", 100_000)) + ", h3=\":443\"";
        // Only the first 64 alternatives are looked at.
        Assert.Null(AltSvcCache.Parse(value, s_now)!.Value.H3);
    }
}
