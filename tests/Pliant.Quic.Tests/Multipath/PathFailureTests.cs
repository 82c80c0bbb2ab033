using Pliant.Quic.Connection;
using static Pliant.Quic.Tests.Multipath.MultipathSetup;

namespace Pliant.Quic.Tests.Multipath;

/// <summary>Two paths, one of them lossy, broken, rebound or abandoned (draft-ietf-quic-multipath-21 §3.4, §5).</summary>
public class PathFailureTests
{
    /// <summary>20 Mbit/s each way on both paths, so a transfer lasts long enough for something to happen during it.</summary>
    private static void LimitRates(Pliant.Quic.Simulation.SimulatedPair pair, params Pliant.Quic.Simulation.SimulatedLink[] more)
    {
        foreach (var link in new[] { pair.ClientToServer, pair.ServerToClient }.Concat(more))
        {
            link.BandwidthBitsPerSecond = 20_000_000;
            link.QueueLimitBytes = 128 * 1024;
        }
    }

    [Fact]
    public void LossOnOnePathOnly_TheTransferCompletes()
    {
        var pair = Pair(311, Server(311));
        var (up, down) = pair.AddClientPath(SecondInterface);
        up.LossRate = 0.1;
        down.LossRate = 0.1;
        var (client, server) = Connect(pair, Client(311));
        OpenSecondPath(pair, client, server);
        Download(pair, client, server, 2 << 20, 311);
        Assert.True(server.Statistics.PacketsLost > 0, "no loss happened on the lossy path");
    }

    /// <summary>
    /// The second path goes dark in both directions mid-transfer: what was in flight on it is sent again on the
    /// first path, the download completes intact, and the broken path is abandoned (PATH_UNSTABLE_OR_POOR).
    /// </summary>
    [Fact]
    public void APathThatGoesDark_IsAbandonedAndTheTransferCompletes()
    {
        var pair = Pair(312, Server(312));
        var (up, down) = pair.AddClientPath(SecondInterface);
        LimitRates(pair, up, down);
        var (client, server) = Connect(pair, Client(312));
        uint id = OpenSecondPath(pair, client, server);
        long start = pair.NowUs;
        Download(pair, client, server, 4 << 20, 312, onStep: () =>
        {
            if (pair.NowUs > start + 300_000) { up.Down = true; down.Down = true; }
        });
        Assert.True(up.Down, "the path never went dark during the transfer");
        // Abandoned once nothing on it was acknowledged for PathFailureTimeout (1 s), maybe after the download ended.
        Assert.True(pair.RunUntil(() => server.Statistics.PathsAbandoned == 1 && server.Paths.All(p => p.PathId != id || p.Abandoned), 10_000_000),
            "the server did not abandon the dark path");
        Assert.True(pair.RunUntil(() => client.Paths.All(p => p.PathId != id || p.Abandoned), 5_000_000),
            "the client did not learn that the path was abandoned");
        Assert.True(client.IsConnected && server.IsConnected);
    }

    /// <summary>
    /// A short outage of the second path (0.7 s, three PTOs and more at its 20 ms RTT — a Wi-Fi hand-over) moves
    /// its data to the first path but does not abandon it: once a PING is answered it carries data again. Before,
    /// three PTOs abandoned a path for good, whatever their duration.
    /// </summary>
    [Fact]
    public void AShortOutage_DoesNotAbandonThePath_ItCarriesDataAgainAfterwards()
    {
        var pair = Pair(315, Server(315));
        var (up, down) = pair.AddClientPath(SecondInterface); // 50 Mbit/s, a 20 ms RTT: PTOs every ~60, 120, 240 ms
        LimitRates(pair);
        foreach (var l in new[] { up, down })
        {
            l.BandwidthBitsPerSecond = 50_000_000;
            l.QueueLimitBytes = 256 * 1024;
        }
        var (client, server) = Connect(pair, Client(315));
        uint id = OpenSecondPath(pair, client, server);
        long start = pair.NowUs, bytesAfter = -1;
        bool wasDown = false;
        Download(pair, client, server, 12 << 20, 315, onStep: () =>
        {
            bool down1 = pair.NowUs > start + 300_000 && pair.NowUs < start + 1_000_000;
            up.Down = down1;
            down.Down = down1;
            wasDown |= down1;
            if (bytesAfter < 0 && pair.NowUs >= start + 1_000_000) bytesAfter = down.Sent;
        });
        Assert.True(wasDown && bytesAfter >= 0, "the outage did not happen during the transfer");
        Assert.True(server.Statistics.PtoCount >= 3, $"the outage caused {server.Statistics.PtoCount} PTOs");
        Assert.Equal(0, server.Statistics.PathsAbandoned);
        Assert.Contains(server.Paths, p => p.PathId == id && !p.Abandoned);
        Assert.True(down.Sent - bytesAfter > 100, "the path carried nothing after the outage");
    }

    [Fact]
    public void AbandoningAPath_MovesTheRestOfTheTransferToTheOther_AndForgetsIt()
    {
        var pair = Pair(313, Server(313));
        var (up, down) = pair.AddClientPath(SecondInterface);
        LimitRates(pair, up, down);
        var (client, server) = Connect(pair, Client(313));
        uint id = OpenSecondPath(pair, client, server);
        bool abandoned = false;
        long start = pair.NowUs;
        Download(pair, client, server, 2 << 20, 313, onStep: () =>
        {
            if (!abandoned && pair.NowUs > start + 200_000) abandoned = client.AbandonPath(pair.NowUs, id);
        });
        Assert.True(abandoned);
        Assert.True(pair.RunUntil(() => server.Paths.All(p => p.PathId != id), 10_000_000), "the server kept the abandoned path");
        Assert.DoesNotContain(client.Paths, p => p.PathId == id);
        Assert.False(client.AbandonPath(pair.NowUs, id));
    }

    [Fact]
    public void ABackupPathCarriesNoDataWhileThePrimaryWorks()
    {
        var pair = Pair(314, Server(314));
        pair.AddClientPath(SecondInterface);
        var (client, server) = Connect(pair, Client(314));
        uint id = OpenSecondPath(pair, client, server);
        Assert.True(client.SetPathStatus(id, PathStatus.Backup));
        pair.RunFor(200_000); // PATH_STATUS_BACKUP reaches the server
        long before = server.Paths.Single(p => p.PathId == id).BytesSent;
        Download(pair, client, server, 1 << 20, 314);
        long after = server.Paths.Single(p => p.PathId == id).BytesSent;
        Assert.True(after - before < 20_000, $"the backup path carried {after - before} bytes");
        Assert.Equal(PathStatus.Backup, server.Paths.Single(p => p.PathId == id).Status);
    }

    /// <summary>
    /// The NAT in front of the client's second interface changes its mapping in the middle of an upload: the server
    /// sees the path's packets from a new address, validates it (RFC 9000 §9.3 per path, draft §3.1.2) and keeps
    /// the path, which goes on carrying data; nothing is abandoned.
    /// </summary>
    [Fact]
    public void NatRebindingOnTheSecondPath_IsFollowedAfterValidation()
    {
        var pair = Pair(315, Server(315));
        var (up, down) = pair.AddClientPath(SecondInterface);
        LimitRates(pair, up, down);
        var (client, server) = Connect(pair, Client(315));
        uint id = OpenSecondPath(pair, client, server);
        var rebound = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.1.2"), 60001);
        long start = pair.NowUs;
        long receivedAtRebind = 0;
        Upload(pair, client, server, 4 << 20, 315, onStep: () =>
        {
            if (receivedAtRebind == 0 && pair.NowUs > start + 300_000)
            {
                pair.Rebind(SecondInterface, rebound);
                receivedAtRebind = server.Paths.Single(p => p.PathId == id).BytesReceived;
            }
        });
        Assert.True(receivedAtRebind > 0, "the rebinding did not happen during the upload");
        var path = server.Paths.Single(p => p.PathId == id);
        Assert.Equal(rebound, path.Remote);
        Assert.True(path.Validated, "the rebound address was not validated");
        Assert.True(path.BytesReceived > receivedAtRebind + 100_000, "the rebound path carried no more data");
        Assert.True(0 == server.Statistics.PathsAbandoned + client.Statistics.PathsAbandoned,
            $"abandoned: server {server.Statistics.PathsAbandoned}, client {client.Statistics.PathsAbandoned}");
    }

    [Fact]
    public void AKeyUpdateWhileTwoPathsAreActive()
    {
        var pair = Pair(316, Server(316));
        pair.AddClientPath(SecondInterface);
        var (client, server) = Connect(pair, Client(316));
        OpenSecondPath(pair, client, server);
        bool updated = false;
        long start = pair.NowUs;
        Download(pair, client, server, 2 << 20, 316, onStep: () =>
        {
            if (!updated && pair.NowUs > start + 100_000) updated = client.InitiateKeyUpdate();
        });
        Assert.True(updated);
        Assert.True(client.KeyUpdates >= 1 && server.KeyUpdates >= 1);
        Assert.All(server.Paths, p => Assert.True(p.BytesReceived > 0));
    }
}
