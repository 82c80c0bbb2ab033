using System.Net;
using System.Text;
using Pliant.Quic.Diagnostics;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Diagnostics;

/// <summary>
/// The binary qlog (.pqlog, <see cref="QlogBinaryFile"/>): the same events written in both formats give, once the
/// binary file is converted, the same bytes; hostile files give a precise error or counted skips, never a crash or
/// an allocation the file's size does not justify.
/// </summary>
[Collection(QlogWriterCollection.Name)]
public sealed class QlogBinaryFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pliant-qlog-binary-" + Guid.NewGuid().ToString("N"));
    private static readonly byte[] Dcid = [0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4];
    private static readonly DateTime Epoch = new(2026, 12, 5, 3, 4, 5, 678, DateTimeKind.Utc);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Every kind of record, a record larger than a block, and enough packets for several blocks.</summary>
    private static void Record(QlogTrace trace)
    {
        trace.ConnectionStarted(10, new IPEndPoint(IPAddress.Parse("192.0.2.7"), 4433), 1);
        var packet = new SentPacket { Space = PacketSpace.Application, Size = 1452 };
        packet.Frames.Add(new SentFrame(SentFrameKind.Stream, StreamId: 4, Offset: 0, Length: 1418, Fin: true));
        packet.Frames.Add(new SentFrame(SentFrameKind.Ack));
        packet.Frames.Add(new SentFrame(SentFrameKind.Crypto, Offset: 10, Length: 20));
        packet.Frames.Add(new SentFrame(SentFrameKind.Plugin, Value: 0x3f00));
        var types = new List<ulong> { 0x02, 0x08, 0x00, 0x00, 0x00, 0x40, 0x30 };
        var rtt = new RttEstimator();
        rtt.Update(latestUs: 25_000, ackDelayUs: 0, handshakeConfirmed: true, maxAckDelayUs: 25_000);
        var cc = new NewReno(1200);
        for (int i = 0; i < 5_000; i++)
        {
            packet.PacketNumber = (ulong)i;
            trace.PacketSent(100 + i * 7, packet, zeroRtt: i == 0);
            trace.PacketReceived(100 + i * 7 + 3, i < 2 ? PacketType.Initial : PacketType.OneRtt, (ulong)i, 60, types);
            if (i % 50 == 0) trace.MetricsUpdated(100 + i * 7 + 4, rtt, cc, i % 3);
            if (i % 97 == 0) trace.PacketLost(100 + i * 7 + 5, packet);
        }
        // A multipath connection's records: path IDs as tuples, path and congestion events.
        trace.TupleAssigned(39_000, 1, new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443), new IPEndPoint(IPAddress.Parse("10.0.1.2"), 50001));
        trace.PathUpdated(39_001, 1, "validated");
        packet.PacketNumber = 7;
        trace.PacketSent(39_002, packet, zeroRtt: false, pathId: 1);
        trace.PacketReceived(39_003, PacketType.OneRtt, 8, 60, types, pathId: uint.MaxValue);
        trace.PacketLost(39_004, packet, pathId: 0);
        trace.CongestionStateUpdated(39_005, QlogRecord.NoCongestionState, 0);
        trace.CongestionStateUpdated(39_006, 0, 2, pathId: 1);
        trace.CongestionStateUpdated(39_007, 16, 22, pathId: 2);
        trace.PathUpdated(39_008, 1, "abandoned", 0x3e75);
        trace.KeyUpdated(40_000, clientSecret: true, 1, local: false);
        trace.PluginEvent(40_001, "big", new string('x', 300_000) + " \"é\""); // larger than a block and the text buffer
        trace.ConnectionClosed(50_000, local: true, 0x0100, application: true, "bye \"quoted\" \u00e9");
        packet.PacketNumber = 99_999;
        trace.PacketSent(50_001, packet, zeroRtt: false); // the closing period
    }

    private (string Json, string Binary) WriteBoth()
    {
        foreach (var format in new[] { QlogFormat.JsonSeq, QlogFormat.Binary })
        {
            var trace = QlogTrace.Open(_dir, Dcid, isClient: false, 0, format, Epoch)!;
            Record(trace);
            trace.Dispose();
            Assert.Equal(0, trace.DroppedEvents);
        }
        Assert.True(QlogTrace.WaitForWriter(TimeSpan.FromSeconds(60)));
        return (Path.Combine(_dir, QlogTrace.FileName(Dcid, false, QlogFormat.JsonSeq)),
                Path.Combine(_dir, QlogTrace.FileName(Dcid, false, QlogFormat.Binary)));
    }

    private static (byte[] Text, QlogConversion Result) Convert(byte[] pqlog)
    {
        using var output = new MemoryStream();
        var result = QlogBinaryFile.Convert(new MemoryStream(pqlog), output);
        return (output.ToArray(), result);
    }

    [Fact]
    public void ConvertedBinaryIsTheJsonSeqTraceByteForByte()
    {
        var (json, binary) = WriteBoth();
        Assert.EndsWith("_server.pqlog", binary, StringComparison.Ordinal);
        byte[] pqlog = File.ReadAllBytes(binary);
        Assert.True(QlogBinaryFile.IsBinary(pqlog));
        byte[] sqlog = File.ReadAllBytes(json);
        Assert.True(pqlog.Length * 3 < sqlog.Length, $"binary {pqlog.Length} bytes, text {sqlog.Length}");
        var (text, result) = Convert(pqlog);
        Assert.Null(result.Problem);
        Assert.Equal(0, result.Skipped);
        Assert.Equal(QlogRecords.Read(json).Count, result.Records);
        Assert.Equal(Encoding.UTF8.GetString(sqlog), Encoding.UTF8.GetString(text)); // the same text, record for record
        var header = QlogRecords.Read(json)[0];
        Assert.Equal("2026-12-05T03:04:05.678Z", header.GetProperty("trace").GetProperty("common_fields").GetProperty("reference_time").GetProperty("epoch").GetString());
    }

    [Fact]
    public void ABadHeaderIsRefusedPrecisely()
    {
        var good = QlogBinaryFile.Header(Dcid, QlogVantage.Client, Epoch);
        void Refused(byte[] file, string expected)
        {
            var e = Assert.Throws<InvalidDataException>(() => Convert(file));
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }
        Refused([], "magic");
        Refused(Encoding.ASCII.GetBytes("\u001e{\"qlog_version\":\"0.3\"}\n"), "magic");
        Refused(good[..10], "cut short");
        Refused(good[..^2], "cut short");
        var v2 = (byte[])good.Clone();
        v2[8] = 2;
        Refused(v2, "version 2");
        var longHeader = (byte[])good.Clone();
        longHeader[10] = 0xff;
        longHeader[11] = 0xff;
        Refused(longHeader, "header of 65535 bytes");
        var side = (byte[])good.Clone();
        side[12] = 7;
        Refused(side, "vantage point 7");
        side[12] = 2; // a router's trace: the "network" vantage point
        var (routerText, _) = Convert(side);
        Assert.Contains("\"type\":\"network\"", Encoding.UTF8.GetString(routerText), StringComparison.Ordinal);
        var cid = (byte[])good.Clone();
        cid[22] = 21;
        Refused(cid, "connection ID of 21 bytes");
        var time = (byte[])good.Clone();
        QlogRecord.PutI64(time, 14, long.MaxValue);
        Refused(time, "is not a date");
    }

    private static byte[] WithBlocks(params byte[][] blocks)
    {
        var file = new List<byte>(QlogBinaryFile.Header(Dcid, QlogVantage.Client, Epoch));
        foreach (var b in blocks)
        {
            var length = new byte[4];
            QlogRecord.PutI32(length, 0, b.Length);
            file.AddRange(length);
            file.AddRange(b);
        }
        return [.. file];
    }

    private static byte[] LostRecord(ulong pn)
    {
        var r = new byte[QlogRecord.LostSize];
        QlogRecord.WriteLost(r, 1000, new SentPacket { Space = PacketSpace.Application, PacketNumber = pn });
        return r;
    }

    [Fact]
    public void DamagedRecordsAreSkippedAndCounted()
    {
        byte[] raw(string text)
        {
            var t = Encoding.UTF8.GetBytes(text);
            var r = new byte[QlogRecord.RawHeaderSize + t.Length];
            QlogRecord.WriteRaw(r, t);
            return r;
        }
        var file = WithBlocks(
            [.. LostRecord(1), 0x77, .. LostRecord(2)], // an unknown kind: the rest of the block goes
            [.. raw("\u001e{not json\n"), .. LostRecord(3)], // a raw record that is not JSON: that record goes
            [.. raw("\u001e{\"time\":1}{\"time\":2}\n"), .. raw("\u001e{\"time\":1,\"name\":\"x\",\"data\":{}}\n")],
            [.. LostRecord(4), .. LostRecord(5)[..10]]); // a record cut short inside its block
        var (text, result) = Convert(file);
        Assert.Null(result.Problem);
        Assert.Equal(4, result.Skipped);
        var records = Records(text);
        Assert.Equal(5, result.Records); // the header, packets 1, 3, 4 and the good raw record
        Assert.Equal(5, records.Count);
        Assert.Equal(new ulong[] { 1, 3, 4 }, records.Where(r => QlogRecords.Name(r) == "quic:packet_lost")
            .Select(r => r.GetProperty("data").GetProperty("header").GetProperty("packet_number").GetUInt64()));
    }

    [Fact]
    public void ATruncatedOrLyingFileStopsWithWhatWasRead()
    {
        var whole = WithBlocks([.. LostRecord(1), .. LostRecord(2)], [.. LostRecord(3)]);
        // Cut inside the second block: the first block's records and the problem.
        var (text, result) = Convert(whole[..^5]);
        Assert.Contains("truncated: the block at offset", result.Problem, StringComparison.Ordinal);
        Assert.Equal(3, Records(text).Count);
        // Cut inside a block length.
        (_, result) = Convert(whole[..^(QlogRecord.LostSize + 2)]);
        Assert.Contains("inside a block length", result.Problem, StringComparison.Ordinal);

        // A block claiming 16 MiB with 10 bytes behind it: stops, and allocates nowhere near the claim.
        var liar = WithBlocks([.. LostRecord(1)]).Concat(new byte[] { 0, 0, 0, 1 }).Concat(new byte[10]).ToArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        (text, result) = Convert(liar);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("has 10 of its 16777216 bytes", result.Problem, StringComparison.Ordinal);
        Assert.True(allocated < 2 << 20, $"{allocated} bytes allocated");
        Assert.Equal(2, Records(text).Count);

        foreach (uint length in new uint[] { 0, QlogBinaryFile.MaxBlockSize + 1, uint.MaxValue })
        {
            var bad = WithBlocks([.. LostRecord(1)]).ToList();
            var l = new byte[4];
            QlogRecord.PutI32(l, 0, (int)length);
            bad.AddRange(l);
            bad.AddRange(new byte[100]);
            (_, result) = Convert([.. bad]);
            Assert.Contains($"a block length of {length} bytes", result.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void RandomBytesNeverCrashTheConverter()
    {
        // Seeded: random bodies after a good header, and a real trace with bytes flipped. Every outcome is a header
        // error, or records that all parse as JSON (skips and problems counted).
        var random = new Random(14);
        var (_, binary) = WriteBoth();
        byte[] real = File.ReadAllBytes(binary)[..40_000];
        for (int i = 0; i < 300; i++)
        {
            byte[] file;
            if (i % 2 == 0)
            {
                var body = new byte[random.Next(0, 4000)];
                random.NextBytes(body);
                if (body.Length >= 4 && random.Next(2) == 0) QlogRecord.PutI32(body, 0, random.Next(1, body.Length)); // a plausible length
                file = [.. QlogBinaryFile.Header(Dcid, QlogVantage.Server, Epoch), .. body];
            }
            else
            {
                file = (byte[])real.Clone();
                for (int k = random.Next(1, 20); k > 0; k--) file[random.Next(file.Length)] = (byte)random.Next(256);
            }
            try
            {
                var (text, result) = Convert(file);
                Assert.True(result.Records >= 1);
                Assert.Equal(result.Records, Records(text).Count);
            }
            catch (InvalidDataException)
            {
                // a damaged header: refused with a message
            }
        }
    }

    private static List<System.Text.Json.JsonElement> Records(byte[] text)
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, text);
            return QlogRecords.Read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>Tests that use (or pause) the process's one qlog writer thread run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class QlogWriterCollection
{
    public const string Name = "qlog writer";
}
