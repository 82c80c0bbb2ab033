using Pliant.Quic.Diagnostics;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Diagnostics;

/// <summary>
/// A trace on the connection's side (issue 14): no allocation per packet event, everything written once the trace
/// ends, and a writer that falls behind costs dropped (and counted) events, never blocking or unbounded memory.
/// One class: its tests pause the process's one writer thread, so they do not run side by side.
/// </summary>
[Collection(QlogWriterCollection.Name)]
public sealed class QlogTraceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pliant-qlog-trace-" + Guid.NewGuid().ToString("N"));
    private static readonly byte[] Dcid = [1, 2, 3, 4, 5, 6, 7, 8];

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static SentPacket StreamPacket()
    {
        var packet = new SentPacket { Space = PacketSpace.Application, Size = 1452 };
        packet.Frames.Add(new SentFrame(SentFrameKind.Stream, StreamId: 0, Offset: 0, Length: 1418));
        return packet;
    }

    private string FileOf(bool isClient) => Path.Combine(_dir, QlogTrace.FileName(Dcid, isClient));

    [Fact]
    public void PacketEventsAllocateNothing()
    {
        using var trace = QlogTrace.Open(_dir, Dcid, isClient: false, 0)!;
        var packet = StreamPacket();
        var frameTypes = new List<ulong> { 0x02, 0x08 };
        var rtt = new RttEstimator();
        var cc = new NewReno(1200);
        // Steady state: as many blocks exist as a trace may have in use (16 waiting, one being filled). Made so with
        // the writer held, then given back to the writer's free list; from then on blocks are reused, never new.
        // Twice: the first time, the trace's small first block takes one of the 16 places.
        for (int round = 0; round < 2; round++)
        {
            long dropped = trace.DroppedEvents;
            using (QlogWriter.PauseForTests())
            {
                for (int i = 0; trace.DroppedEvents == dropped; i++) trace.PacketSent(i, packet, zeroRtt: false);
            }
            Assert.True(QlogTrace.WaitForWriter(TimeSpan.FromSeconds(30)));
        }
        // Many blocks' worth (records ~50 bytes): handing blocks over and reusing them is part of the steady state.
        AllocationAssert.NoAllocationPerCall(i =>
        {
            packet.PacketNumber = (ulong)i;
            trace.PacketSent(i, packet, zeroRtt: false);
            trace.PacketReceived(i, PacketType.OneRtt, (ulong)i, 40, frameTypes);
            if (i % 10 == 0) trace.MetricsUpdated(i, rtt, cc, 0);
        }, warmup: 20_000, iterations: 50_000);
    }

    [Fact]
    public void EverythingIsWrittenWhenTheTraceEnds()
    {
        const int Packets = 20_000; // ~10 blocks
        var trace = QlogTrace.Open(_dir, Dcid, isClient: true, 0)!;
        var packet = StreamPacket();
        for (int i = 0; i < Packets; i++)
        {
            packet.PacketNumber = (ulong)i;
            trace.PacketSent(i * 10, packet, zeroRtt: false);
        }
        trace.ConnectionClosed(Packets * 10, local: true, 0, application: true, "bye \"quoted\" \u00e9");
        // The closing period: a packet after the close is still recorded.
        packet.PacketNumber = Packets;
        trace.PacketSent(Packets * 10 + 1, packet, zeroRtt: false);
        trace.Dispose();
        Assert.True(QlogTrace.WaitForWriter(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, trace.DroppedEvents);

        var records = QlogRecords.Read(FileOf(isClient: true));
        Assert.True(records[0].TryGetProperty("file_schema", out _));
        var sent = records.Where(r => QlogRecords.Name(r) == "quic:packet_sent").ToList();
        Assert.Equal(Packets + 1, sent.Count);
        Assert.Equal(Enumerable.Range(0, Packets + 1).Select(i => (ulong)i),
            sent.Select(r => r.GetProperty("data").GetProperty("header").GetProperty("packet_number").GetUInt64()));
        var closed = Assert.Single(records, r => QlogRecords.Name(r) == "quic:connection_closed");
        Assert.Equal("bye \"quoted\" \u00e9", closed.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal("quic:connection_closed", QlogRecords.Name(records[^2]));
    }

    [Fact]
    public void ARecordLargerThanABlockIsWrittenWhole()
    {
        var trace = QlogTrace.Open(_dir, Dcid, isClient: true, 0)!;
        string message = new('x', 300_000); // larger than a block and than the writer's text buffer
        trace.PluginEvent(5, "big", message);
        trace.PacketSent(6, StreamPacket(), zeroRtt: false);
        trace.Dispose();
        Assert.True(QlogTrace.WaitForWriter(TimeSpan.FromSeconds(30)));
        var records = QlogRecords.Read(FileOf(isClient: true));
        Assert.Equal("plugin big: " + message, records.Single(r => QlogRecords.Name(r) == "loglevel:info").GetProperty("data").GetProperty("message").GetString());
        Assert.Equal("quic:packet_sent", QlogRecords.Name(records[^1]));
    }

    [Fact]
    public void AWriterThatFallsBehindCostsCountedEventsNotMemory()
    {
        const int Packets = 100_000; // ~50 blocks of 64 KiB: more than the 16 a trace may have waiting
        var trace = QlogTrace.Open(_dir, Dcid, isClient: false, 0)!;
        var packet = StreamPacket();
        using (QlogWriter.PauseForTests())
        {
            for (int i = 0; i < Packets; i++)
            {
                packet.PacketNumber = (ulong)i;
                trace.PacketSent(i, packet, zeroRtt: false);
            }
            Assert.True(trace.DroppedEvents > 0, "nothing dropped");
        }
        trace.Dispose();
        Assert.True(QlogTrace.WaitForWriter(TimeSpan.FromSeconds(30)));

        var records = QlogRecords.Read(FileOf(isClient: false));
        int written = records.Count(r => QlogRecords.Name(r) == "quic:packet_sent");
        // At most 16 blocks (plus the one being filled) were kept: what was not written was dropped and counted.
        Assert.Equal(Packets, written + trace.DroppedEvents);
        Assert.True(written <= (QlogWriter.MaxQueuedBlocksPerFile + 1) * QlogWriter.BlockSize / QlogRecord.SentSize(packet), $"{written} written");
        // The file says so: warning records with the count so far, the last one the total.
        var warnings = records.Where(r => QlogRecords.Name(r) == "loglevel:warning").ToList();
        Assert.NotEmpty(warnings);
        Assert.Contains($"{trace.DroppedEvents} events dropped", warnings[^1].GetProperty("data").GetProperty("message").GetString(), StringComparison.Ordinal);
        // Times never go back, drops or not.
        var times = records.Skip(1).Select(r => r.GetProperty("time").GetDouble()).ToList();
        Assert.Equal(times.Order(), times);
    }
}
