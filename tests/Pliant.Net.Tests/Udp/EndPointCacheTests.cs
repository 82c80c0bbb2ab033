using System.Net;
using Pliant.Net.Internal;
using Pliant.Net.Udp;

namespace Pliant.Net.Tests.Udp;

public class EndPointCacheTests
{
    [Fact]
    public void SameAddress_ReturnsSameInstance()
    {
        var cache = new EndPointCache();
        var a = cache.GetV4([127, 0, 0, 1], 4433);
        cache.GetV4([10, 0, 0, 1], 1);
        var b = cache.GetV4([127, 0, 0, 1], 4433);
        Assert.Same(a, b);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 4433), a);
    }

    [Fact]
    public void V4Mapped_IsUnmapped()
    {
        var cache = new EndPointCache();
        var mapped = IPAddress.Parse("::ffff:192.0.2.7").GetAddressBytes();
        var ep = cache.GetV6(mapped, 443, 0);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 443), ep);
    }

    [Fact]
    public void V6_KeepsScope()
    {
        var cache = new EndPointCache();
        var ep = cache.GetV6(IPAddress.Parse("fe80::1").GetAddressBytes(), 443, 3);
        Assert.Equal(3, ep.Address.ScopeId);
    }

    [Fact]
    public void Full_IsClearedNotGrown()
    {
        var cache = new EndPointCache(capacity: 2);
        for (int i = 0; i < 10; i++) Assert.Equal(i, cache.GetV4([1, 2, 3, 4], (ushort)i).Port);
    }

    [Fact]
    public void MillisecondsUntil_RoundsUpAndClamps()
    {
        Assert.Equal(1000, MonotonicClock.MillisecondsUntil(null, 0, 1000));
        Assert.Equal(0, MonotonicClock.MillisecondsUntil(5, 10, 1000));
        Assert.Equal(2, MonotonicClock.MillisecondsUntil(1001, 0, 1000));
        Assert.Equal(1000, MonotonicClock.MillisecondsUntil(5_000_000, 0, 1000));
        Assert.True(MonotonicClock.NowUs > 0);
    }
}
