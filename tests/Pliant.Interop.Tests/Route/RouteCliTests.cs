using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Route;

/// <summary>
/// Issue 13 "Done when": <c>pliant route</c> on one port in front of a <c>pliant serve</c> for a.example (QUIC-LB IDs,
/// forwarding header), ngtcp2's <c>gtlsserver</c> for b.example and a second <c>pliant serve</c> for ALPN h3
/// (<see cref="RoutedSite"/>). Every backend serves only its own file, so a download that completes intact proves
/// every datagram of it reached the right backend.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class RouteCliTests
{
    private const string Cls = nameof(RouteCliTests);
    private const long TenMiB = 10 << 20;

    [Fact]
    public async Task NamesAndAlpnChooseTheBackendAndConnectionIdsKeepEveryPacketThere()
    {
        await using var site = await RoutedSite.StartAsync(TestDir.Create(Cls), TenMiB, 1301);
        using var a = await site.GetAsync("get-a", "a.example", "a.bin");
        site.AssertSame("a", Path.Combine(site.Downloads, "get-a-a.bin"), a);
        using var b = await site.GtlsClientAsync("gtls-b", "b.bin", site.RouterPort);
        site.AssertSame("b", Path.Combine(site.Downloads, "gtls-b", "b.bin"), b);
        // c.example matches no name: ALPN h3 picks C. Its ClientHello is padded past two Initial packets.
        using var c = await site.GetAsync("get-c", "c.example", "c.bin", null, "--pad-hello", "3000");
        site.AssertSame("c", Path.Combine(site.Downloads, "get-c-c.bin"), c);

        var s = await site.FreshStatsAsync();
        Assert.Contains(",pliant,conns=1,", s["backend.0"]);
        Assert.Contains(",foreign,conns=1,", s["backend.1"]);
        Assert.Contains(",pliant,conns=1,", s["backend.2"]);
        Assert.Equal(3, RoutedSite.Long(s, "by_hello"));
        Assert.True(RoutedSite.Long(s, "by_quiclb") > 50, "Pliant backends' packets are routed by their QUIC-LB IDs");
        Assert.True(RoutedSite.Long(s, "by_learned") > 100, "gtlsserver's packets are routed by the IDs learned from it");
        Assert.True(RoutedSite.Long(s, "spanning_hellos") >= 1);
        // After the handshakes nothing is kept per Pliant connection; gtlsserver's IDs are learned (and its flow open).
        Assert.Equal(0, RoutedSite.Long(s, "first_flights"));
        Assert.Equal(0, RoutedSite.Long(s, "pending"));
        Assert.True(RoutedSite.Long(s, "learned") >= 1);
    }

    [Fact]
    public async Task SpanningClientHellosAndFivePercentLossOnTheClientSide()
    {
        await using var site = await RoutedSite.StartAsync(TestDir.Create(Cls), TenMiB, 1302);
        int relay = await site.StartRelayAsync("loss=0.05", 1302);
        using var a = await site.GetAsync("get-a", "a.example", "a.bin", relay, "--pad-hello", "1500");
        site.AssertSame("a", Path.Combine(site.Downloads, "get-a-a.bin"), a);
        using var b = await site.GtlsClientAsync("gtls-b", "b.bin", relay);
        site.AssertSame("b", Path.Combine(site.Downloads, "gtls-b", "b.bin"), b);

        var s = await site.FreshStatsAsync();
        Assert.True(RoutedSite.Long(s, "spanning_hellos") >= 1, "the padded ClientHello spans two Initial packets");
        Assert.Contains(",conns=1,", s["backend.0"]);
        Assert.Contains(",conns=1,", s["backend.1"]);
    }

    [Fact]
    public async Task MigrationAndRebindingStayOnTheirBackend()
    {
        await using var site = await RoutedSite.StartAsync(TestDir.Create(Cls), TenMiB, 1303);
        using var migrate = await site.GetAsync("get-a-migrate", "a.example", "a.bin", null, "--migrate");
        site.AssertSame("a", Path.Combine(site.Downloads, "get-a-migrate-a.bin"), migrate);
        using var rebindA = await site.GetAsync("get-a-rebind", "a.example", "a.bin", null, "--rebind");
        site.AssertSame("a", Path.Combine(site.Downloads, "get-a-rebind-a.bin"), rebindA);
        // gtlsserver's IDs are learned, so a client that rebinds to a new port still reaches it (an active migration to an
        // ID from its NEW_CONNECTION_ID frames cannot be followed: those are encrypted; docs/routing.md).
        using var rebindB = await site.GetAsync("get-b-rebind", "b.example", "b.bin", null, "--rebind");
        site.AssertSame("b", Path.Combine(site.Downloads, "get-b-rebind-b.bin"), rebindB);

        var s = await site.FreshStatsAsync();
        // One routing decision per connection: the new paths were routed by connection ID, not as new connections.
        Assert.Equal(3, RoutedSite.Long(s, "by_hello"));
        Assert.Contains(",conns=2,", s["backend.0"]);
        Assert.Contains(",conns=1,", s["backend.1"]);
        Assert.Contains(",conns=0,", s["backend.2"]);
    }
}
