using System.Net;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Hostile;

/// <summary>
/// Coalesced and oversized first flights (RFC 9000 §12.2): several Initial packets in one datagram are all opened
/// (a ClientHello split across them is complete at once), junk after a valid Initial changes nothing, and the work
/// per datagram is bounded (at most 9 packets opened) whatever its size.
/// </summary>
public sealed class CoalescedAndOversizedTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.10"), 5555);
    private static readonly byte[] Dcid = [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38];

    private static byte[] Concat(IEnumerable<byte[]> parts) => [.. parts.SelectMany(p => p)];

    [Fact]
    public void AClientHelloSplitAcrossCoalescedInitialsIsRoutedAtOnce()
    {
        var t = new Topology(61);
        var hello = Forge.ClientHello("b.example", ["h3"], padding: 1200);
        var packets = Forge.InitialPackets(Dcid, hello, perPacket: 700, size: 760);
        Assert.True(packets.Count >= 2);
        var r = t.Network.Inject(Concat(packets), Client);
        Assert.Equal(RouteAction.Forward, r.Action);
        Assert.Same(t.B, r.Backend);
        Assert.Equal(0, t.Router.Statistics.SpanningFirstFlights);
        Assert.Equal(new RouterState(1, 0, 0, 0), t.Router.State);
    }

    [Fact]
    public void JunkCoalescedAfterAValidInitialIsIgnored()
    {
        var t = new Topology(62);
        var initial = Forge.Initials(Dcid, Forge.ClientHello("a.example", ["h3"]))[0];
        var rng = new Random(62);
        // Random bytes, a packet under another DCID (does not open with these keys) and an Initial whose Length runs past the end.
        var random = new byte[900];
        rng.NextBytes(random);
        var otherDcid = Forge.Initials([9, 9, 9, 9, 9, 9, 9, 9], Forge.ClientHello("b.example"))[0];
        var truncated = initial.AsSpan(0, 300).ToArray();
        foreach (var tail in new[] { random, otherDcid, truncated })
        {
            var router = new Topology(62);
            var r = router.Network.Inject([.. initial, .. tail], Client);
            Assert.Equal(RouteAction.Forward, r.Action);
            Assert.Same(router.A, r.Backend);
            Assert.Equal(new RouterState(1, 0, 0, 0), router.Router.State);
        }
        // A valid Initial after junk: the datagram's first packet decides, junk first means dropped.
        Assert.Equal(RouteAction.Drop, t.Network.Inject([.. random, .. initial], Client).Action);
        Assert.Equal(new RouterState(0, 0, 0, 0), t.Router.State);
    }

    [Fact]
    public void AtMostNinePacketsOfADatagramAreOpened()
    {
        // Twelve coalesced packets of 100 bytes of ClientHello each: the router opens the first nine (its bound of work
        // per datagram), so the hello is incomplete and the flight waits; the rest must come in later datagrams.
        var t = new Topology(63);
        var hello = Forge.ClientHello("a.example", ["h3"], padding: 1050);
        var packets = Forge.InitialPackets(Dcid, hello, perPacket: 100, size: 160);
        Assert.Equal(12, packets.Count);
        var r = t.Network.Inject(Concat(packets), Client);
        Assert.Equal(RouteAction.Held, r.Action);
        Assert.Equal(1, t.Router.State.PendingFlights);
        // The last three in a datagram of their own (padded to 1200 bytes as a client must) complete it.
        var rest = Concat(packets.Skip(9));
        var padded = new byte[1200];
        rest.CopyTo(padded, 0);
        Assert.Equal(RouteAction.Held, t.Network.Inject(padded, Client).Action); // released, with the first datagram
        Assert.Equal(1, t.Router.Statistics.SpanningFirstFlights);
        Assert.Equal(new RouterState(1, 0, 0, 0), t.Router.State);
        Assert.Equal(1, t.A.Connections);
    }

    [Fact]
    public void OversizedDatagramsAreHandledWithoutExtraState()
    {
        var t = new Topology(64);
        var rng = new Random(64);
        // The largest UDP payload, random after a long header of version 1: dropped, nothing kept.
        var junk = new byte[65_507];
        rng.NextBytes(junk);
        junk[0] = 0xc3;
        junk[1] = 0; junk[2] = 0; junk[3] = 0; junk[4] = 1;
        Assert.Equal(RouteAction.Drop, t.Network.Inject(junk, Client).Action);
        // The same size with a valid Initial in front: routed once, one entry.
        var initial = Forge.Initials(Dcid, Forge.ClientHello("a.example"))[0];
        var big = new byte[65_507];
        rng.NextBytes(big);
        initial.CopyTo(big, 0);
        var r = t.Network.Inject(big, Client);
        Assert.Equal(RouteAction.Forward, r.Action);
        Assert.Equal(new RouterState(1, 0, 0, 0), t.Router.State);
    }
}
