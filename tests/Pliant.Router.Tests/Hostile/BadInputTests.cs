using System.Net;
using Pliant.Quic;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Hostile;

/// <summary>
/// Issue 13 "bad input": random datagrams, truncated and corrupted Initials, Initials without a server name,
/// unknown versions. Every one is dropped and counted (or routed where the rules say), nothing throws, no
/// state is created for junk.
/// </summary>
public sealed class BadInputTests
{
    private static readonly IPEndPoint Attacker = new(IPAddress.Parse("192.0.2.66"), 6666);

    [Fact]
    public void RandomDatagramsAreDroppedAndCountedWithoutState()
    {
        var t = new Topology(31);
        var rng = new Random(31);
        const int count = 50_000;
        for (int i = 0; i < count; i++)
        {
            var d = new byte[rng.Next(0, 1500)];
            rng.NextBytes(d);
            if (i % 3 == 0 && d.Length > 6)
            {
                // A third look like long headers of a real version, so they get past the first byte.
                d[0] = (byte)(0xc0 | (d[0] & 0x3f));
                d[1] = 0; d[2] = 0; d[3] = 0; d[4] = 1;
            }
            var r = t.Network.Inject(d, Attacker);
            Assert.Equal(RouteAction.Drop, r.Action);
        }
        Assert.Equal(count, t.Router.Statistics.TotalDrops);
        Assert.Equal(new RouterState(0, 0, 0, 0), t.Router.State);
        Assert.Equal(0, t.A.Connections + t.B.Connections);
    }

    [Fact]
    public void TruncatedAndCorruptedInitialsAreDropped()
    {
        var t = new Topology(32);
        var dcid = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var initial = Forge.Initials(dcid, Forge.ClientHello("a.example", ["h3"]))[0];
        for (int cut = 0; cut < initial.Length; cut++)
            Assert.Equal(RouteAction.Drop, t.Network.Inject(initial.AsSpan(0, cut).ToArray(), Attacker).Action);
        // Every byte of the packet corrupted in turn: the header (DCID → other keys, length fields, version), the
        // protected payload or its tag: never routed (no rule has a default for unknown versions here).
        for (int at = 0; at < initial.Length; at++)
        {
            var c = (byte[])initial.Clone();
            c[at] ^= 0x5a;
            var r = t.Network.Inject(c, Attacker);
            Assert.True(r.Action == RouteAction.Drop, $"corruption at {at} was {r.Action}");
        }
        Assert.Equal(new RouterState(0, 0, 0, 0), t.Router.State);
        // Truncated: the Length field runs past the end (malformed) or the datagram is under 1200 bytes.
        Assert.True(t.Router.Statistics.Drops(DropReason.Malformed) + t.Router.Statistics.Drops(DropReason.ShortInitial) >= initial.Length);
        Assert.True(t.Router.Statistics.Drops(DropReason.JunkInitial) >= 1100);
        // The intact one is still routed afterwards.
        Assert.Equal(RouteAction.Forward, t.Network.Inject(initial, Attacker).Action);
        Assert.Equal(1, t.A.Connections);
    }

    [Fact]
    public void AnInitialWithoutServerNameGoesByAlpnOrDefaultOrIsDropped()
    {
        var noDefault = new Topology(33);
        var hello = Forge.ClientHello(null, ["h3"]);
        var r = noDefault.Network.Inject(Forge.Initials([9, 9, 9, 9, 9, 9, 9, 9], hello)[0], Attacker);
        Assert.Equal(RouteAction.Drop, r.Action);
        Assert.Equal(DropReason.NoBackend, r.Reason);
        Assert.Equal(1, noDefault.Router.Statistics.ClientHellosWithoutName);
        Assert.Equal(new RouterState(0, 0, 0, 0), noDefault.Router.State);

        var byAlpn = new Topology(34, rules: (rules, a, b) => { rules.AddName("a.example", a); rules.AddAlpn("h3", b); });
        Assert.Same(byAlpn.B, byAlpn.Network.Inject(Forge.Initials([9, 9, 9, 9, 9, 9, 9, 8], hello)[0], Attacker).Backend);
        var byDefault = new Topology(35, rules: (rules, a, b) => { rules.AddName("b.example", b); rules.AddDefault(a); });
        Assert.Same(byDefault.A, byDefault.Network.Inject(Forge.Initials([9, 9, 9, 9, 9, 9, 9, 7], hello)[0], Attacker).Backend);
    }

    [Fact]
    public void AClientWithoutServerNameCompletesThroughTheDefault()
    {
        var t = new Topology(36, rules: (rules, a, b) => { rules.AddName("b.example", b); rules.AddDefault(a); });
        var client = t.Connect(36, Options.Client(36, serverName: null));
        Assert.True(t.Download(client, 20_000));
        Assert.Same(t.ServerA, t.LastServedBy);
        Assert.Equal(1, t.Router.Statistics.ClientHellosWithoutName);
    }

    [Fact]
    public void AnUnknownVersionGoesToTheDefaultWhichAnswersVersionNegotiation()
    {
        var t = new Topology(37, rules: (rules, a, b) => { rules.AddName("b.example", b); rules.AddDefault(a); });
        var probe = new byte[1200];
        int n = t.Router.TryPollProbe(0, probe, out _, out _) ? 0 : 0; // (probing is off in this topology)
        Assert.Equal(0, n);
        var d = new byte[1200];
        d[0] = 0xc0;
        d[1] = 0x7a; d[2] = 0x7a; d[3] = 0x7a; d[4] = 0x7a;
        d[5] = 8;
        d[14] = 4;
        var r = t.Network.Inject(d, Attacker);
        Assert.Equal(RouteAction.Forward, r.Action);
        Assert.Same(t.A, r.Backend);
        Assert.Equal(1, t.Router.Statistics.RoutedUnknownVersion);
        t.Network.RunUntil(() => t.ServerA.Statistics.VersionNegotiationSent == 1, 1_000_000);
        Assert.Equal(1, t.ServerA.Statistics.VersionNegotiationSent);

        var noDefault = new Topology(38);
        Assert.Equal(DropReason.UnknownVersion, noDefault.Network.Inject(d, Attacker).Reason);
    }

    [Fact]
    public void ServerOnlyPacketTypesFromClientsAreDropped()
    {
        var t = new Topology(39);
        var retry = new byte[60];
        retry[0] = 0xf0; // long header, type Retry
        retry[4] = 1;
        retry[5] = 8;
        retry[14] = 0;
        Assert.Equal(DropReason.Malformed, t.Network.Inject(retry, Attacker).Reason);
        var vn = new byte[30];
        vn[0] = 0x80;
        vn[5] = 4;
        vn[10] = 4;
        Assert.Equal(DropReason.Malformed, t.Network.Inject(vn, Attacker).Reason);
        Assert.Equal(DropReason.Malformed, t.Network.Inject([0x40], Attacker).Reason);
    }

    [Fact]
    public void ShortHeadersWithUnknownIdsAreDropped()
    {
        var t = new Topology(40);
        var rng = new Random(40);
        for (int i = 0; i < 1000; i++)
        {
            var d = new byte[rng.Next(2, 1400)];
            rng.NextBytes(d);
            d[0] = (byte)(0x40 | (d[0] & 0x3f));
            if (d.Length > 1) d[1] = (byte)(0xe0 | d[1]); // config rotation bits 0b111: unroutable by definition
            Assert.Equal(DropReason.UnknownConnectionId, t.Network.Inject(d, Attacker).Reason);
        }
        // A short header with A's QUIC-LB ID is routed without any state, whatever its (undecryptable) payload.
        var cid = new Pliant.Router.QuicLb.QuicLbConnectionIdGenerator(Topology.LbConfig, Topology.ServerIdA, RandomSource.Seeded(new Random(1))).Generate();
        var shortHeader = new byte[100];
        shortHeader[0] = 0x40;
        cid.Span.CopyTo(shortHeader.AsSpan(1));
        Assert.Same(t.A, t.Network.Inject(shortHeader, Attacker).Backend);
    }
}
