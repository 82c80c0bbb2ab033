using Pliant.Quic;
using Pliant.Quic.Wire;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Routing;

/// <summary>
/// Issue 13 item 2 in simulation: the router opens the client's Initials, reassembles the ClientHello across
/// packets (reordered, lost), routes by server name, and the connection then stays on its backend.
/// </summary>
public sealed class FirstFlightRoutingTests
{
    [Theory]
    [InlineData("a.example", true)]
    [InlineData("b.example", false)]
    public void EachNameReachesItsBackendAndTheTransferCompletes(string name, bool toA)
    {
        var t = new Topology(1);
        var client = t.Connect(1, Options.Client(1, name));
        Assert.True(t.Download(client, 300_000));
        Assert.Same(toA ? t.ServerA : t.ServerB, t.LastServedBy);
        Assert.Equal(1, (toA ? t.A : t.B).Connections);
        Assert.Equal(0, (toA ? t.B : t.A).Connections);
        Assert.Equal(0, t.Network.BackendReceived[toA ? 1 : 0]);
        Assert.Equal(0, t.Router.Statistics.TotalDrops);
        if (toA)
        {
            // A's datagrams after the first flight route by QUIC-LB; nothing is learned for it.
            Assert.True(t.Router.Statistics.RoutedByQuicLb > 10);
            Assert.Equal(0, t.Router.State.LearnedIds);
        }
        else
        {
            Assert.True(t.Router.Statistics.RoutedByLearnedId > 10);
            Assert.True(t.Router.State.LearnedIds >= 1);
        }
    }

    [Theory]
    [InlineData(QuicVersion.V1)]
    [InlineData(QuicVersion.V2)]
    [InlineData(QuicVersion.V2Draft)]
    public void AClientHelloSpanningSeveralInitialsIsReassembled(uint version)
    {
        var t = new Topology(2);
        // ~2.5 KB of transport parameter padding: the ClientHello needs three Initial packets.
        var client = t.Connect(2, Options.Client(2, "b.example", version: version, padding: 2500));
        Assert.True(t.Download(client, 100_000));
        Assert.Same(t.ServerB, t.LastServedBy);
        Assert.Equal(1, t.Router.Statistics.SpanningFirstFlights);
        Assert.Equal(0, t.Router.Statistics.TotalDrops);
        Assert.True(t.Network.ClientSent.Take(3).All(d => d.Length >= 1200 && (d[0] & 0x80) != 0));
    }

    [Fact]
    public void ReorderedInitialsAreReassembled()
    {
        var t = new Topology(3);
        var client = t.Connect(3, Options.Client(3, "a.example", padding: 1800));
        // The first datagram is held back long enough for the second one to arrive first.
        t.Network.HoldBackClientDatagrams.Add(0);
        Assert.True(t.Download(client, 50_000));
        Assert.Same(t.ServerA, t.LastServedBy);
        Assert.Equal(1, t.Router.Statistics.SpanningFirstFlights);
        Assert.Equal(0, t.Router.Statistics.TotalDrops);
        // The router released both, in arrival order: the one with offset > 0 first.
        Assert.Equal([RouteAction.Held, RouteAction.Held], t.Network.Decisions.Take(2).Select(d => d.Action));
    }

    [Fact]
    public void ASecondInitialArrivingFirstWaitsForTheFirst()
    {
        var t = new Topology(4);
        var client = t.Connect(4, Options.Client(4, "a.example", padding: 1800));
        // The first datagram is lost: the second (CRYPTO at offset > 0) comes alone and is held until the
        // client's retransmission brings offset 0.
        t.Network.DropClientDatagrams.Add(0);
        Assert.True(t.Download(client, 50_000));
        Assert.Same(t.ServerA, t.LastServedBy);
        Assert.Equal(1, t.Router.Statistics.SpanningFirstFlights);
        Assert.Equal(0, t.Router.Statistics.TotalDrops);
        Assert.Equal(0, t.Router.State.PendingFlights);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void SpanningHellosSurviveLossAndReorderingOnTheClientSide(int seed)
    {
        var t = new Topology(seed);
        t.Network.UpLoss = 0.05;
        t.Network.UpReorder = 0.1;
        var a = t.Connect(seed, Options.Client(seed, "a.example", padding: 2000));
        Assert.True(t.Download(a, 200_000));
        Assert.Same(t.ServerA, t.LastServedBy);
        var b = t.Connect(seed + 100, Options.Client(seed + 100, "b.example", padding: 2000));
        Assert.True(t.Download(b, 200_000));
        Assert.Same(t.ServerB, t.LastServedBy);
        Assert.Equal(2, t.Router.Statistics.RoutedByClientHello);
    }

    [Fact]
    public void TheFirstFlightEntryGoesOnceTheHandshakeReachesTheServersId()
    {
        var t = new Topology(5);
        var client = t.Connect(5, Options.Client(5, "a.example"));
        Assert.True(t.Download(client, 100_000));
        // The client's Handshake packets reached A by A's QUIC-LB ID: the router forgot the first DCID.
        Assert.Equal(1, t.Router.Statistics.FirstFlightsCompleted);
        Assert.Equal(new RouterState(0, 0, 0, 0), t.Router.State);
        Assert.Equal(0, t.Router.State.Bytes);
    }

    [Fact]
    public void FirstFlightEntriesOfForeignBackendsExpire()
    {
        var t = new Topology(6);
        var client = t.Connect(6, Options.Client(6, "b.example"));
        Assert.True(t.Download(client, 10_000));
        Assert.Equal(0, t.Router.State.FirstFlights); // forgotten at the client's Handshake packet (learned ID)
        Assert.True(t.Router.State.LearnedIds >= 1);
        // Idle past the learned-ID timeout: the table empties.
        client.Close(t.Network.NowUs, 0, "done");
        t.Network.RunUntil(() => false, 5_000_000); // the close goes through; both sides drain
        long timeout = (long)t.Router.Limits.LearnedIdTimeout.TotalMicroseconds;
        t.Router.HandleTimeout(t.Network.NowUs + timeout / 2);
        Assert.True(t.Router.State.LearnedIds >= 1);
        t.Router.HandleTimeout(t.Network.NowUs + timeout);
        Assert.Equal(0, t.Router.State.LearnedIds);
    }

    [Fact]
    public void ZeroLengthDcidOfClientIsHandledAndInitialsUseOnlyTheOriginalDcid()
    {
        // RFC 9000 §7.2: the client's Initials after the server's first one carry the server's ID, which does not
        // open with the DCID's own keys: the router routes them by that ID, not as junk.
        var t = new Topology(7);
        var client = t.Connect(7, Options.Client(7, "a.example"));
        Assert.True(t.Download(client, 10_000));
        var laterInitials = t.Network.ClientSent.Skip(1).Where(d => PacketHeader.TryParse(d, 0, out var h) && h.Type == PacketType.Initial).ToList();
        Assert.NotEmpty(laterInitials);
        Assert.Equal(0, t.Router.Statistics.Drops(DropReason.JunkInitial));
    }
}
