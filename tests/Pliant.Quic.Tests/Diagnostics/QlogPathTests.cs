using System.Text.Json;
using Pliant.Quic.Connection;
using Pliant.Quic.Diagnostics;
using static Pliant.Quic.Tests.Multipath.MultipathSetup;

namespace Pliant.Quic.Tests.Diagnostics;

/// <summary>
/// qlog of multipath connections (draft-ietf-quic-multipath-21) and of congestion state: quic:tuple_assigned per
/// path, pliant:path_updated (opened, validated, abandoned), the path ID as the packet events' <c>tuple</c>, and
/// quic:congestion_state_updated — in both formats (the client binary, converted; the server JSON-SEQ).
/// </summary>
[Collection(QlogWriterCollection.Name)]
public sealed class QlogPathTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pliant-qlog-path-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>The trace of one side, read back (a binary one converted first).</summary>
    private List<JsonElement> Trace(string side)
    {
        Assert.True(QlogTrace.WaitForWriter(TimeSpan.FromSeconds(30)));
        string file = Assert.Single(Directory.GetFiles(_dir, $"*_{side}.*"));
        if (file.EndsWith(QlogBinaryFile.Extension, StringComparison.Ordinal))
        {
            string converted = Path.Combine(_dir, "converted-" + side + ".json-seq");
            using (var input = File.OpenRead(file))
            using (var output = File.Create(converted))
            {
                var result = QlogBinaryFile.Convert(input, output);
                Assert.Equal(0, result.Skipped);
                Assert.Null(result.Problem);
            }
            file = converted;
        }
        return QlogRecords.Read(file);
    }

    private static IEnumerable<JsonElement> Named(List<JsonElement> trace, string name) => trace.Where(e => QlogRecords.Name(e) == name);

    private static string? Tuple(JsonElement e) => e.TryGetProperty("tuple", out var t) ? t.GetString() : null;

    [Fact]
    public void ATwoPathConnectionLogsItsPathsAndTagsPacketsWithThem()
    {
        var pair = Pair(341, Server(341, qlogDirectory: _dir));
        pair.AddClientPath(SecondInterface);
        var (client, server) = Connect(pair, Client(341, qlogDirectory: _dir, qlogFormat: QlogFormat.Binary));
        uint id = OpenSecondPath(pair, client, server);
        Download(pair, client, server, 1 << 20, 341);
        Assert.True(client.AbandonPath(pair.NowUs, id));
        pair.RunFor(1_000_000);
        client.Close(pair.NowUs, 0, "done");
        pair.RunFor(5_000_000); // closing and draining: each trace ends

        foreach (string side in new[] { "client", "server" })
        {
            var trace = Trace(side);
            // Path 0 (the handshake's) once multipath is negotiated, then path 1 with its addresses.
            var tuples = Named(trace, "quic:tuple_assigned").ToList();
            Assert.Contains(tuples, t => t.GetProperty("data").GetProperty("tuple_id").GetString() == "0");
            var path1 = tuples.Where(t => t.GetProperty("data").GetProperty("tuple_id").GetString() == "1").ToList();
            Assert.True(path1.Count >= 2, $"{side}: {path1.Count} tuple_assigned for path 1");
            Assert.True(path1[0].GetProperty("data").TryGetProperty("tuple_remote", out var remote), side);
            Assert.True(remote.TryGetProperty("port_v4", out _) || remote.TryGetProperty("port_v6", out _), side);
            // Abandoned: the last one for path 1 has no addresses (quic-events-13 §4.7).
            Assert.False(path1[^1].GetProperty("data").TryGetProperty("tuple_remote", out _), side);
            Assert.False(path1[^1].GetProperty("data").TryGetProperty("tuple_local", out _), side);

            var states = Named(trace, "pliant:path_updated")
                .Where(e => e.GetProperty("data").GetProperty("path_id").GetUInt64() == 1)
                .Select(e => e.GetProperty("data").GetProperty("state").GetString()).ToList();
            Assert.Equal(["opened", "validated", "abandoned"], states);

            // Packets carry their path as the event's tuple, on both paths, once multipath is on.
            foreach (string name in new[] { "quic:packet_sent", "quic:packet_received" })
            {
                var byTuple = Named(trace, name).GroupBy(Tuple).ToDictionary(g => g.Key ?? "", g => g.Count());
                Assert.True(byTuple.GetValueOrDefault("0") > 10, $"{side} {name} on path 0: {byTuple.GetValueOrDefault("0")}");
                Assert.True(byTuple.GetValueOrDefault("1") > 10, $"{side} {name} on path 1: {byTuple.GetValueOrDefault("1")}");
            }
            // The congestion controllers of both paths report their state (slow start first; path 0's first report
            // comes with the handshake's first ACK, before multipath is negotiated: no tuple yet).
            var congestion = Named(trace, "quic:congestion_state_updated").ToList();
            Assert.Contains(congestion, e => Tuple(e) is null or "0");
            Assert.Contains(congestion, e => Tuple(e) == "1");
            Assert.Equal("slow_start", congestion.First(e => Tuple(e) == "1").GetProperty("data").GetProperty("new").GetString());
            Assert.False(congestion.First(e => Tuple(e) == "1").GetProperty("data").TryGetProperty("old", out _));
        }
    }

    [Fact]
    public void ASinglePathConnectionHasNoTuples()
    {
        var pair = Pair(342, Server(342, maxPathId: null, qlogDirectory: _dir));
        var (client, server) = Connect(pair, Client(342, qlogDirectory: _dir));
        Download(pair, client, server, 200_000, 342);
        client.Close(pair.NowUs, 0, "done");
        pair.RunFor(5_000_000);
        var trace = Trace("server");
        Assert.Empty(Named(trace, "quic:tuple_assigned"));
        Assert.Empty(Named(trace, "pliant:path_updated"));
        Assert.All(trace.Skip(1), e => Assert.Null(Tuple(e)));
    }

    [Fact]
    public void KeyUpdatesAndDiscardedKeysAreLogged()
    {
        // quic:key_updated for a 1-RTT key update (RFC 9001 §6) and quic:key_discarded for the Initial and
        // Handshake keys (§4.9) and, about three PTOs later, the peer's previous 1-RTT generation (§6.5).
        var pair = Pair(344, Server(344, maxPathId: null, qlogDirectory: _dir));
        var (client, server) = Connect(pair, Client(344, maxPathId: null, qlogDirectory: _dir));
        Download(pair, client, server, 100_000, 344);
        Assert.True(client.InitiateKeyUpdate());
        Download(pair, client, server, 100_000, 345);
        pair.RunFor(2_000_000);
        Assert.Equal(1, server.KeyUpdates);
        client.Close(pair.NowUs, 0, "done");
        pair.RunFor(5_000_000);
        foreach (string side in new[] { "client", "server" })
        {
            var trace = Trace(side);
            var updated = Named(trace, "quic:key_updated").Select(e => e.GetProperty("data")).ToList();
            Assert.Equal(2, updated.Count); // both directions' secrets, phase 1
            Assert.All(updated, d => Assert.Equal(1, d.GetProperty("key_phase").GetInt64()));
            Assert.Contains(updated, d => d.GetProperty("trigger").GetString() == (side == "client" ? "local_update" : "remote_update"));
            var discarded = Named(trace, "quic:key_discarded").Select(e => e.GetProperty("data")).ToList();
            var types = discarded.Select(d => d.GetProperty("key_type").GetString()).ToList();
            foreach (string t in new[] { "client_initial_secret", "server_initial_secret", "client_handshake_secret", "server_handshake_secret" })
                Assert.Contains(t, types);
            var old = Assert.Single(discarded, d => d.GetProperty("key_type").GetString()!.EndsWith("1rtt_secret", StringComparison.Ordinal));
            Assert.Equal(side == "client" ? "server_1rtt_secret" : "client_1rtt_secret", old.GetProperty("key_type").GetString());
            Assert.Equal(0, old.GetProperty("key_phase").GetInt64());
            // quic:mtu_updated: path MTU discovery took each side from 1,200 to 1,452 bytes, and the search ended.
            var mtu = Assert.Single(Named(trace, "quic:mtu_updated")).GetProperty("data");
            Assert.Equal(1200, mtu.GetProperty("old").GetInt32());
            Assert.Equal(1452, mtu.GetProperty("new").GetInt32());
            Assert.True(mtu.GetProperty("done").GetBoolean());
        }
    }

    [Theory]
    [InlineData(CongestionControlAlgorithm.Cubic, "congestion_avoidance")]
    [InlineData(CongestionControlAlgorithm.NewReno, "congestion_avoidance")]
    [InlineData(CongestionControlAlgorithm.Bbr, "drain")]
    public void LossesShowAsCongestionStateChanges(CongestionControlAlgorithm cc, string later)
    {
        // 2 % of the server's datagrams lost (seeded): NewReno and CUBIC enter recovery (RFC 9002 §7.3.2) and leave
        // it; BBR goes through its own states (draft-ietf-ccwg-bbr-06 §5.1) from startup.
        var pair = Pair(343, Server(343, maxPathId: null, cc: cc, qlogDirectory: _dir));
        pair.ServerToClient.LossRate = 0.02;
        pair.ServerToClient.BandwidthBitsPerSecond = 50_000_000;
        var (client, server) = Connect(pair, Client(343, maxPathId: null, cc: cc, qlogDirectory: _dir));
        Download(pair, client, server, 4 << 20, 343);
        client.Close(pair.NowUs, 0, "done");
        pair.RunFor(5_000_000);
        var changes = Named(Trace("server"), "quic:congestion_state_updated")
            .Select(e => (Old: e.GetProperty("data").TryGetProperty("old", out var o) ? o.GetString() : null, New: e.GetProperty("data").GetProperty("new").GetString()))
            .ToList();
        Assert.True(changes.Count >= 2, string.Join(", ", changes));
        Assert.Null(changes[0].Old);
        Assert.Equal(cc == CongestionControlAlgorithm.Bbr ? "startup" : "slow_start", changes[0].New);
        for (int i = 1; i < changes.Count; i++)
        {
            Assert.Equal(changes[i - 1].New, changes[i].Old); // each change starts where the last one ended
            Assert.NotEqual(changes[i].Old, changes[i].New);
        }
        if (cc != CongestionControlAlgorithm.Bbr)
        {
            Assert.Contains(changes, c => c.New == "recovery");
            Assert.Contains(changes, c => c.Old == "recovery");
        }
        Assert.True(changes.Any(c => c.New == later), string.Join(", ", changes));
    }
}
