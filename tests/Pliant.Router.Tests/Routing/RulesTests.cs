using System.Net;
using Pliant.Router.FirstFlight;
using Pliant.Router.Rules;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Routing;

/// <summary>Rule precedence: exact name > wildcard (longest suffix) > ALPN (client's order) > default; pools skip down backends.</summary>
public sealed class RulesTests
{
    private static RouterBackend B(int port) => new(new IPEndPoint(IPAddress.Loopback, port), forwardingHeader: true, $"b{port}");

    private static ClientHelloInfo Hello(string? name, params string[] alpn) => ClientHelloInfo.TryParse(Forge.ClientHello(name, alpn))!;

    [Fact]
    public void ExactBeatsWildcardBeatsAlpnBeatsDefault()
    {
        RouterBackend exact = B(1), wildcard = B(2), longer = B(3), alpn = B(4), other = B(5), dflt = B(6);
        var r = new RoutingRules();
        r.AddName("*.example", wildcard);
        r.AddName("*.b.example", longer);
        r.AddName("a.example", exact);
        r.AddAlpn("h3", alpn);
        r.AddAlpn("hq-interop", other);
        r.AddDefault(dflt);

        Assert.Same(exact, r.Select(Hello("a.example", "h3"), 0, out var k));
        Assert.Equal(RuleKind.ExactName, k);
        Assert.Same(exact, r.Select(Hello("A.Example.", "h3"), 0, out _)); // case and the trailing dot do not matter
        Assert.Same(wildcard, r.Select(Hello("x.example", "h3"), 0, out k));
        Assert.Equal(RuleKind.Wildcard, k);
        Assert.Same(longer, r.Select(Hello("x.b.example"), 0, out _)); // the longest suffix
        Assert.Same(wildcard, r.Select(Hello("x.y.example"), 0, out _)); // any depth
        Assert.Same(alpn, r.Select(Hello("example", "h3"), 0, out k)); // "*.example" needs a label before it
        Assert.Equal(RuleKind.Alpn, k);
        Assert.Same(other, r.Select(Hello("c.test", "hq-interop", "h3"), 0, out _)); // the client's preference first
        Assert.Same(alpn, r.Select(Hello(null, "foo", "h3"), 0, out _));
        Assert.Same(dflt, r.Select(Hello(null), 0, out k));
        Assert.Equal(RuleKind.Default, k);
        Assert.Same(dflt, r.Select(Hello("c.test", "foo"), 0, out _));
    }

    [Fact]
    public void NothingMatchesWithoutADefault()
    {
        var r = new RoutingRules();
        r.AddName("a.example", B(1));
        Assert.Null(r.Select(Hello("b.example", "h3"), 0, out var k));
        Assert.Equal(RuleKind.None, k);
        Assert.Null(r.Select(Hello(null), 0, out _));
    }

    [Fact]
    public void PoolsSpreadByHashAndSkipBackendsThatAreDown()
    {
        RouterBackend p1 = B(1), p2 = B(2), p3 = B(3), fallback = B(4);
        var r = new RoutingRules();
        foreach (var p in new[] { p1, p2, p3 }) r.AddName("a.example", p);
        r.AddName("*.example", fallback);
        var hello = Hello("a.example");
        var counts = new Dictionary<RouterBackend, int>();
        for (uint h = 0; h < 300; h++)
        {
            var b = r.Select(hello, h * 2654435761u, out _)!;
            counts[b] = counts.GetValueOrDefault(b) + 1;
        }
        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 60, 140));
        // The same hash always picks the same member.
        Assert.Same(r.Select(hello, 12345, out _), r.Select(hello, 12345, out _));

        p2.Health = BackendHealth.Down;
        for (uint h = 0; h < 100; h++) Assert.NotSame(p2, r.Select(hello, h, out _));
        p1.Health = BackendHealth.Down;
        p3.Health = BackendHealth.Down;
        // The whole exact pool is down: the wildcard takes over.
        Assert.Same(fallback, r.Select(hello, 7, out var k));
        Assert.Equal(RuleKind.Wildcard, k);
        fallback.Health = BackendHealth.Down;
        Assert.Null(r.Select(hello, 7, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("*.")]
    [InlineData("a.*.example")]
    [InlineData("f*.example")]
    public void BadNamePatternsAreRefused(string pattern)
    {
        Assert.ThrowsAny<ArgumentException>(() => new RoutingRules().AddName(pattern, B(1)));
    }

    [Fact]
    public void ClientHelloParsingTakesNameAndAlpnAndRefusesJunk()
    {
        var info = ClientHelloInfo.TryParse(Forge.ClientHello("Www.Example.ORG.", ["h3", "h3-29"], padding: 300))!;
        Assert.Equal("www.example.org", info.ServerName);
        Assert.Equal(["h3", "h3-29"], info.ApplicationProtocols);
        var bare = ClientHelloInfo.TryParse(Forge.ClientHello(null))!;
        Assert.Null(bare.ServerName);
        Assert.Empty(bare.ApplicationProtocols);

        var hello = Forge.ClientHello("a.example", ["h3"]);
        for (int cut = 0; cut < hello.Length; cut++) Assert.Null(ClientHelloInfo.TryParse(hello.AsSpan(0, cut)));
        var wrongType = (byte[])hello.Clone();
        wrongType[0] = 2;
        Assert.Null(ClientHelloInfo.TryParse(wrongType));
        // Every single-byte corruption either parses into something or is refused; never throws.
        var rng = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            var c = (byte[])hello.Clone();
            c[rng.Next(c.Length)] ^= (byte)(1 + rng.Next(255));
            _ = ClientHelloInfo.TryParse(c);
        }
    }
}
