using System.Net;
using System.Text.Json;
using Pliant.Quic.Diagnostics;
using Pliant.Quic.Wire;
using Pliant.Router.Tests.Support;

namespace Pliant.Router.Tests.Routing;

/// <summary>
/// <c>pliant route --qlog</c> (<see cref="FirstFlightQlog"/>): one trace per routed client connection, named by its
/// original DCID, with the Initials the router saw and the routing decision; bounded in open traces.
/// </summary>
public sealed class FirstFlightQlogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pliant-route-qlog-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static List<JsonElement> Read(string file)
    {
        var records = new List<JsonElement>();
        foreach (var text in File.ReadAllText(file).Split('\u001e', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.EndsWith("\n", text, StringComparison.Ordinal);
            using var doc = JsonDocument.Parse(text);
            records.Add(doc.RootElement.Clone());
        }
        return records;
    }

    private static string Name(JsonElement e) => e.TryGetProperty("name", out var n) ? n.GetString()! : "";

    [Fact]
    public void EachRoutedConnectionHasATraceOfItsInitialsAndTheDecision()
    {
        var t = new Topology(61);
        using var qlog = new FirstFlightQlog(_dir);
        t.Router.FirstFlightObserver = qlog;
        // One ClientHello in three Initials (b.example, by name), one in a single Initial (a.example).
        var spanning = t.Connect(61, Options.Client(61, "b.example", padding: 2500));
        Assert.True(t.Download(spanning, 50_000));
        var single = t.Connect(62, Options.Client(62, "a.example"));
        Assert.True(t.Download(single, 50_000));
        Assert.True(QlogTrace.WaitForWriter(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, qlog.OpenTraces);

        var files = Directory.GetFiles(_dir, "*_router.sqlog");
        Assert.Equal(2, files.Length);
        foreach (var file in files)
        {
            var records = Read(file);
            var header = records[0].GetProperty("trace");
            Assert.Equal("network", header.GetProperty("vantage_point").GetProperty("type").GetString());
            string group = header.GetProperty("common_fields").GetProperty("group_id").GetString()!;
            Assert.Equal(group + "_router.sqlog", Path.GetFileName(file));
            var initials = records.Where(r => Name(r) == "quic:packet_received").Select(r => r.GetProperty("data").GetProperty("header")).ToList();
            Assert.NotEmpty(initials);
            Assert.All(initials, h =>
            {
                Assert.Equal("initial", h.GetProperty("packet_type").GetString());
                Assert.Equal(group, h.GetProperty("dcid").GetString()); // the client's original DCID
                Assert.Equal("00000001", h.GetProperty("version").GetString());
            });
            var decision = Assert.Single(records, r => Name(r) == "pliant:route_decided").GetProperty("data");
            Assert.Equal("pliant:route_decided", Name(records[^1]));
            Assert.Equal("exact_name", decision.GetProperty("rule").GetString());
            string name = decision.GetProperty("server_name").GetString()!;
            Assert.Equal(name == "a.example" ? "A" : "B", decision.GetProperty("backend").GetString());
            Assert.Equal(name == "b.example" ? 3 : 1, initials.Count); // the spanning hello's three Initials
            Assert.True(decision.GetProperty("client").TryGetProperty("port_v4", out _));
        }
    }

    [Fact]
    public void AFlightWithNoBackendEndsWithTheReason()
    {
        var t = new Topology(63);
        using var qlog = new FirstFlightQlog(_dir, QlogFormat.Binary);
        t.Router.FirstFlightObserver = qlog;
        var client = t.Connect(63, Options.Client(63, "nobody.example"));
        t.Network.RunUntil(() => false, 300_000);
        Assert.False(client.IsConnected);
        Assert.True(t.Router.Statistics.TotalDrops > 0);
        Assert.True(QlogTrace.WaitForWriter(TimeSpan.FromSeconds(30)));
        string file = Assert.Single(Directory.GetFiles(_dir, "*_router.pqlog"));
        using var output = new MemoryStream();
        using (var input = File.OpenRead(file)) Assert.Null(QlogBinaryFile.Convert(input, output).Problem);
        string converted = Path.Combine(_dir, "converted.json-seq");
        File.WriteAllBytes(converted, output.ToArray());
        var records = Read(converted);
        var decisions = records.Where(r => Name(r) == "pliant:route_decided").Select(r => r.GetProperty("data")).ToList();
        var first = decisions[0];
        Assert.Equal("none", first.GetProperty("rule").GetString());
        Assert.Equal("no_backend", first.GetProperty("drop_reason").GetString());
        Assert.False(first.TryGetProperty("backend", out _));
    }

    [Fact]
    public void OpenTracesAreBounded()
    {
        // Hostile: many first flights that never complete (bound: maxOpenTraces open at once; the oldest ends, saying so).
        using var qlog = new FirstFlightQlog(_dir, QlogFormat.JsonSeq, maxOpenTraces: 4);
        var client = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 5000);
        var header = default(PacketHeader);
        for (int i = 0; i < 20; i++)
        {
            byte[] dcid = [1, 2, 3, 4, 5, 6, 7, (byte)i];
            qlog.InitialReceived(dcid, header, 1200, client);
            Assert.True(qlog.OpenTraces <= 4);
        }
        Assert.Equal(16, qlog.Evicted);
        qlog.Dispose();
        Assert.True(QlogTrace.WaitForWriter(TimeSpan.FromSeconds(30)));
        var files = Directory.GetFiles(_dir, "*_router.sqlog");
        Assert.Equal(20, files.Length);
        int ended = files.Count(f => Read(f).Any(r => Name(r) == "pliant:route_decided" &&
            r.GetProperty("data").GetProperty("drop_reason").GetString()!.Contains("first flights open", StringComparison.Ordinal)));
        Assert.Equal(16, ended);
    }
}
