using System.Text.Json;
using Pliant.Quic.Diagnostics;

namespace Pliant.Net.Tests.Api;

/// <summary>
/// qlog (draft-ietf-quic-qlog-main-schema-14, QUIC events -13): one JSON-SEQ file per connection and side, every
/// record a JSON object with the schema's required fields.
/// </summary>
public class QlogTests
{
    [Fact]
    public async Task BothSidesWriteAJsonSeqQlogWhoseRecordsParse()
    {
        string dir = Path.Combine(Path.GetTempPath(), "pliant-qlog-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var pair = await QuicTestPair.CreateAsync(fake: false, o => o.QlogDirectory = dir, c => c.QlogDirectory = dir))
                await TransferWithKeyUpdateAsync(pair);
            // The files are complete once each side finished closing (draining: 3 PTOs, milliseconds on loopback).
            string[] files = [];
            for (int i = 0; i < 100 && files.Length < 2; i++)
            {
                await Task.Delay(100);
                files = Directory.GetFiles(dir, "*.sqlog").Where(f => HasEvent(f, "quic:connection_closed")).ToArray();
            }
            Assert.Contains(files, f => f.EndsWith("_client.sqlog", StringComparison.Ordinal));
            Assert.Contains(files, f => f.EndsWith("_server.sqlog", StringComparison.Ordinal));
            // Both named by the same original Destination Connection ID (the group).
            Assert.Single(files.Select(f => Path.GetFileName(f).Split('_')[0]).Distinct());
            foreach (var file in files) CheckFile(file);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task ATransferLosesNoEvent()
    {
        // 8 MiB (~6,000 packets, several of the writer's blocks): every packet either side sent or received is an
        // event in its trace, and nothing was dropped.
        string dir = Path.Combine(Path.GetTempPath(), "pliant-qlog-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var pair = await QuicTestPair.CreateAsync(fake: false, o => o.QlogDirectory = dir, c => c.QlogDirectory = dir);
            var client = pair.Client.Statistics!;
            var server = pair.Server.Statistics!;
            await using (var stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional))
            {
                var write = stream.WriteAsync(new byte[8 << 20], completeWrites: true).AsTask(); // flow control: read alongside
                await using var accepted = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
                var buffer = new byte[65536];
                long total = 0;
                int n;
                while ((n = await accepted.ReadAsync(buffer)) > 0) total += n;
                await write.WaitAsync(QuicTestPair.Timeout);
                Assert.Equal(8 << 20, total);
            }
            await pair.Client.CloseAsync(0);
            await pair.Server.Closed.WaitAsync(QuicTestPair.Timeout);
            // Each trace ends when its connection finished closing (draining: 3 PTOs, milliseconds on loopback); the
            // pair stays up meanwhile, so its counters are final. Then the writer thread has it all once caught up.
            (int Sent, int Received) clientEvents = default, serverEvents = default;
            for (int i = 0; i < 300; i++)
            {
                Assert.True(QlogTrace.WaitForWriter(QuicTestPair.Timeout));
                var files = Directory.GetFiles(dir, "*.sqlog");
                if (files.Length == 2 && files.All(f => HasEvent(f, "quic:connection_closed")))
                {
                    clientEvents = CountPackets(files.Single(f => f.EndsWith("_client.sqlog", StringComparison.Ordinal)));
                    serverEvents = CountPackets(files.Single(f => f.EndsWith("_server.sqlog", StringComparison.Ordinal)));
                    if (clientEvents == ((int)client.PacketsSent, (int)client.PacketsReceived) &&
                        serverEvents == ((int)server.PacketsSent, (int)server.PacketsReceived)) break;
                }
                await Task.Delay(100);
            }
            Assert.True(client.PacketsSent > 5000, $"{client.PacketsSent} packets");
            Assert.Equal(((int)client.PacketsSent, (int)client.PacketsReceived), clientEvents);
            Assert.Equal(((int)server.PacketsSent, (int)server.PacketsReceived), serverEvents);
            foreach (var file in Directory.GetFiles(dir, "*.sqlog")) Assert.False(HasEvent(file, "loglevel:warning"), "events were dropped");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static (int Sent, int Received) CountPackets(string file)
    {
        int sent = 0, received = 0;
        foreach (var record in Split(File.ReadAllBytes(file)))
        {
            using var doc = JsonDocument.Parse(record);
            if (!doc.RootElement.TryGetProperty("name", out var name)) continue;
            if (name.GetString() == "quic:packet_sent") sent++;
            else if (name.GetString() == "quic:packet_received") received++;
        }
        return (sent, received);
    }

    [Fact]
    public async Task AQlogDirectoryThatCannotBeWrittenLeavesTheConnectionAlone()
    {
        // The directory is operator input; the file name comes from the client's chosen DCID (hex, so no path
        // tricks). A path that cannot be a directory: no qlog, and the connection works as usual.
        string file = Path.GetTempFileName();
        try
        {
            await using var pair = await QuicTestPair.CreateAsync(fake: false, o => o.QlogDirectory = file, c => c.QlogDirectory = file);
            await using var stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Unidirectional);
            await stream.WriteAsync(new byte[] { 1, 2, 3 }, completeWrites: true);
            await using var accepted = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
            var buffer = new byte[8];
            Assert.Equal(3, await accepted.ReadAtLeastAsync(buffer, 3));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static bool HasEvent(string file, string name)
    {
        try
        {
            using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(fs).ReadToEnd().Contains($"\"name\":\"{name}\"", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task BinaryTracesConvertToTheSameJsonSeq()
    {
        // --qlog-format binary: both sides write ODCID_side.pqlog; converted, each is a JSON-SEQ trace passing the
        // same checks as the JSON mode's (every record parses, the schema's required fields, the same events).
        string dir = Path.Combine(Path.GetTempPath(), "pliant-qlog-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var pair = await QuicTestPair.CreateAsync(fake: false,
                o => { o.QlogDirectory = dir; o.QlogFormat = QlogFormat.Binary; },
                c => { c.QlogDirectory = dir; c.QlogFormat = QlogFormat.Binary; }))
                await TransferWithKeyUpdateAsync(pair);
            var converted = new List<byte[]>();
            for (int i = 0; i < 100; i++)
            {
                Assert.True(QlogTrace.WaitForWriter(QuicTestPair.Timeout));
                converted = Directory.GetFiles(dir, "*.pqlog").Select(Convert).Where(t => HasEvent(t, "quic:connection_closed")).ToList();
                if (converted.Count == 2) break;
                await Task.Delay(100);
            }
            Assert.Empty(Directory.GetFiles(dir, "*.sqlog"));
            Assert.Equal(2, converted.Count);
            foreach (var text in converted) CheckRecords(text);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }

        static byte[] Convert(string file)
        {
            using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var output = new MemoryStream();
            var result = QlogBinaryFile.Convert(input, output);
            Assert.Equal(0, result.Skipped);
            return output.ToArray();
        }

        static bool HasEvent(byte[] text, string name) =>
            System.Text.Encoding.UTF8.GetString(text).Contains($"\"name\":\"{name}\"", StringComparison.Ordinal);
    }

    /// <summary>Two streams of 30 KB with a 1-RTT key update between them (RFC 9001 §6: quic:key_updated on both sides), then the close.</summary>
    private static async Task TransferWithKeyUpdateAsync(QuicTestPair pair)
    {
        await using var stream = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        await stream.WriteAsync(new byte[30_000], completeWrites: true);
        await using var accepted = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
        var buffer = new byte[8192];
        while (await accepted.ReadAsync(buffer) > 0) { }
        for (int i = 0; i < 100 && !pair.Client.InitiateKeyUpdate(); i++) await Task.Delay(20);
        await using var second = await pair.Client.OpenOutboundStreamAsync(QuicStreamType.Bidirectional);
        await second.WriteAsync(new byte[30_000], completeWrites: true);
        await using var accepted2 = await pair.Server.AcceptInboundStreamAsync().AsTask().WaitAsync(QuicTestPair.Timeout);
        while (await accepted2.ReadAsync(buffer) > 0) { }
        for (int i = 0; i < 100 && pair.Server.KeyUpdates == 0; i++) await Task.Delay(20);
        Assert.True(pair.Server.KeyUpdates > 0, "the server saw no key update");
        await pair.Client.CloseAsync(0);
        await pair.Server.Closed.WaitAsync(QuicTestPair.Timeout);
    }

    private static void CheckFile(string file) => CheckRecords(File.ReadAllBytes(file));

    private static void CheckRecords(byte[] bytes)
    {
        Assert.Equal(0x1E, bytes[0]); // RFC 7464: every record starts with RS
        var records = Split(bytes);
        using (var header = JsonDocument.Parse(records[0]))
        {
            var h = header.RootElement;
            Assert.Equal("urn:ietf:params:qlog:file:sequential", h.GetProperty("file_schema").GetString());
            Assert.Equal("application/qlog+json-seq", h.GetProperty("serialization_format").GetString());
            var trace = h.GetProperty("trace");
            Assert.Contains("urn:ietf:params:qlog:events:quic-13", trace.GetProperty("event_schemas").EnumerateArray().Select(e => e.GetString()));
            Assert.Contains(trace.GetProperty("vantage_point").GetProperty("type").GetString(), new[] { "client", "server" });
        }
        var names = new List<string>();
        double lastTime = 0;
        foreach (var record in records.Skip(1))
        {
            using var doc = JsonDocument.Parse(record);
            var e = doc.RootElement;
            double time = e.GetProperty("time").GetDouble();
            Assert.True(time >= lastTime, "times never go back");
            lastTime = time;
            string name = e.GetProperty("name").GetString()!;
            Assert.StartsWith("quic:", name);
            var data = e.GetProperty("data");
            Assert.Equal(JsonValueKind.Object, data.ValueKind);
            if (name is "quic:packet_sent" or "quic:packet_received" or "quic:packet_lost")
            {
                var header = data.GetProperty("header");
                Assert.Contains(header.GetProperty("packet_type").GetString(), new[] { "initial", "handshake", "0RTT", "1RTT" });
                Assert.True(header.GetProperty("packet_number").GetUInt64() >= 0);
            }
            if (name is "quic:packet_sent" or "quic:packet_received")
                foreach (var frame in data.GetProperty("frames").EnumerateArray())
                    Assert.False(string.IsNullOrEmpty(frame.GetProperty("frame_type").GetString()));
            names.Add(name);
        }
        Assert.Equal("quic:connection_started", names[0]);
        Assert.Contains("quic:packet_sent", names);
        Assert.Contains("quic:packet_received", names);
        Assert.Contains("quic:recovery_metrics_updated", names);
        Assert.Contains("quic:connection_closed", names);
        Assert.Contains("quic:key_updated", names);
        Assert.Contains("quic:key_discarded", names);
    }

    private static List<byte[]> Split(byte[] bytes)
    {
        var records = new List<byte[]>();
        int start = 0;
        for (int i = 1; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == 0x1E)
            {
                records.Add(bytes[(start + 1)..i]);
                start = i;
            }
        }
        return records;
    }
}
