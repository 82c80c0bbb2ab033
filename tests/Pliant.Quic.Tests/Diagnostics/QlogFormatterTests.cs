using System.Globalization;
using System.Text.Json;
using Pliant.Quic.Diagnostics;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Diagnostics;

/// <summary>
/// The writer thread's formatting of binary qlog records (issue 14): exact JSON-SEQ text, numbers at every digit
/// count, the quic-events-13 frame shapes, and records made from hostile packets bounded.
/// </summary>
public class QlogFormatterTests
{
    [Fact]
    public void NumbersOfEveryLengthFormatAsDecimal()
    {
        var values = new List<ulong> { 0, ulong.MaxValue, ulong.MaxValue - 1, 1UL << 63 };
        for (ulong p = 1; p <= 10_000_000_000_000_000_000UL; p *= 10)
        {
            values.Add(p);
            values.Add(p - 1);
            values.Add(p + 1);
            if (p > ulong.MaxValue / 10) break;
        }
        var buffer = new byte[32];
        foreach (ulong v in values)
        {
            int n = QlogFormatter.Number(buffer, 0, v);
            Assert.Equal(v.ToString(CultureInfo.InvariantCulture), QlogRecords.Text(buffer.AsSpan(0, n)));
        }
    }

    [Theory]
    [InlineData(0L, "0.000")]
    [InlineData(7L, "0.007")]
    [InlineData(1_000L, "1.000")]
    [InlineData(993_935L, "993.935")]
    [InlineData(-1_500L, "-1.500")]
    public void MicrosecondsBecomeMillisecondsWithThreeDecimals(long us, string expected)
    {
        var buffer = new byte[32];
        int n = QlogFormatter.Millis(buffer, 0, us);
        Assert.Equal(expected, QlogRecords.Text(buffer.AsSpan(0, n)));
    }

    [Fact]
    public void PacketSentIsTheSchemasText()
    {
        var packet = new SentPacket { Space = PacketSpace.Application, PacketNumber = 500_117, Size = 1452 };
        packet.Frames.Add(new SentFrame(SentFrameKind.Stream, StreamId: 4, Offset: 707_757_039, Length: 1418, Fin: true));
        packet.Frames.Add(new SentFrame(SentFrameKind.Ack));
        packet.Frames.Add(new SentFrame(SentFrameKind.Crypto, Offset: 10, Length: 20));
        packet.Frames.Add(new SentFrame(SentFrameKind.Plugin, Value: 0x3f00));
        var block = new byte[QlogRecord.SentSize(packet)];
        int size = QlogRecord.WriteSent(block, 993_935, packet, zeroRtt: false);
        Assert.Equal(
            "\u001e{\"time\":993.935,\"name\":\"quic:packet_sent\",\"data\":{\"header\":{\"packet_type\":\"1RTT\",\"packet_number\":500117}," +
            "\"frames\":[{\"frame_type\":\"stream\",\"stream_id\":4,\"offset\":707757039,\"fin\":true,\"raw\":{\"payload_length\":1418}}," +
            "{\"frame_type\":\"ack\"},{\"frame_type\":\"crypto\",\"offset\":10,\"raw\":{\"payload_length\":20}}," +
            "{\"frame_type\":\"unknown\",\"raw_frame_type\":16128}],\"raw\":{\"length\":1452}}}\n",
            Format(block, size));
    }

    [Fact]
    public void PathsBecomeTuplesAndCongestionStatesAreNamed()
    {
        var packet = new SentPacket { Space = PacketSpace.Application, PacketNumber = 3, Size = 100 };
        packet.Frames.Add(new SentFrame(SentFrameKind.Ping));
        var block = new byte[QlogRecord.SentSize(packet)];
        Assert.Equal(
            "\u001e{\"time\":0.001,\"name\":\"quic:packet_sent\",\"data\":{\"header\":{\"packet_type\":\"1RTT\",\"packet_number\":3}," +
            "\"frames\":[{\"frame_type\":\"ping\"}],\"raw\":{\"length\":100}},\"tuple\":\"2\"}\n",
            Format(block, QlogRecord.WriteSent(block, 1, packet, zeroRtt: false, pathId: 2)));
        block = new byte[QlogRecord.LostSize + QlogRecord.PathIdSize];
        Assert.Equal(
            "\u001e{\"time\":0.002,\"name\":\"quic:packet_lost\",\"data\":{\"header\":{\"packet_type\":\"1RTT\",\"packet_number\":3}},\"tuple\":\"0\"}\n",
            Format(block, QlogRecord.WriteLost(block, 2, packet, pathId: 0)));
        block = new byte[QlogRecord.CongestionStateSize + QlogRecord.PathIdSize];
        Assert.Equal(
            "\u001e{\"time\":0.003,\"name\":\"quic:congestion_state_updated\",\"data\":{\"old\":\"slow_start\",\"new\":\"recovery\"},\"tuple\":\"1\"}\n",
            Format(block, QlogRecord.WriteCongestionState(block, 3, 0, 2, pathId: 1)));
        Assert.Equal(
            "\u001e{\"time\":0.004,\"name\":\"quic:congestion_state_updated\",\"data\":{\"new\":\"startup\"}}\n",
            Format(block, QlogRecord.WriteCongestionState(block, 4, QlogRecord.NoCongestionState, 16)));
    }

    [Fact]
    public void TheLongestRecordStaysWithinItsTextBound()
    {
        // Every frame at its longest (20-digit numbers, fin): the text fits the bound the writer sizes its buffer by,
        // and the bytes after the bound stay untouched (constants are copied without bounds checks).
        var packet = new SentPacket { Space = PacketSpace.Handshake, PacketNumber = ulong.MaxValue, Size = int.MaxValue };
        for (int i = 0; i < QlogRecord.MaxFramesPerEvent; i++)
            packet.Frames.Add(new SentFrame(SentFrameKind.Stream, StreamId: ulong.MaxValue, Offset: ulong.MaxValue, Length: int.MaxValue, Fin: true));
        var block = new byte[QlogRecord.SentSize(packet)];
        QlogRecord.WriteSent(block, long.MaxValue, packet, zeroRtt: false);
        int bound = QlogFormatter.RecordTextBound(block, 0);
        var text = new byte[bound + 64];
        Array.Fill(text, (byte)0xAA);
        int n = QlogFormatter.Format(block, 0, text.AsSpan(0, bound), out _);
        Assert.True(n <= bound);
        Assert.All(text[bound..], b => Assert.Equal(0xAA, b));
        using var doc = JsonDocument.Parse(text.AsMemory(1, n - 1));
        Assert.Equal(QlogRecord.MaxFramesPerEvent, doc.RootElement.GetProperty("data").GetProperty("frames").GetArrayLength());
        Assert.Throws<ArgumentException>(() => QlogFormatter.Format(block, 0, text.AsSpan(0, bound - 1), out _));
    }

    [Fact]
    public void ZeroRttAndHandshakePacketsAreNamed()
    {
        var packet = new SentPacket { Space = PacketSpace.Application, PacketNumber = 1, Size = 100 };
        var block = new byte[QlogRecord.SentSize(packet)];
        Assert.Contains("\"packet_type\":\"0RTT\"", Format(block, QlogRecord.WriteSent(block, 0, packet, zeroRtt: true)), StringComparison.Ordinal);
        packet.Space = PacketSpace.Handshake;
        Assert.Contains("\"packet_type\":\"handshake\"", Format(block, QlogRecord.WriteSent(block, 0, packet, zeroRtt: false)), StringComparison.Ordinal);
    }

    [Fact]
    public void ReceivedPaddingIsOneFrameWithItsLength()
    {
        // An Initial of CRYPTO, then 1000 one-byte PADDING frames (RFC 9000 §19.1), then a PING.
        var types = new List<ulong> { 0x06 };
        types.AddRange(Enumerable.Repeat(0UL, 1000));
        types.Add(0x01);
        types.Add(0x40); // not a frame type qlog names
        var block = new byte[QlogRecord.ReceivedSize(types.Count)];
        int size = QlogRecord.WriteReceived(block, 1, PacketType.Initial, 0, 1200, types);
        Assert.Equal(
            "\u001e{\"time\":0.001,\"name\":\"quic:packet_received\",\"data\":{\"header\":{\"packet_type\":\"initial\",\"packet_number\":0}," +
            "\"frames\":[{\"frame_type\":\"crypto\"},{\"frame_type\":\"padding\",\"raw\":{\"length\":1000}},{\"frame_type\":\"ping\"}," +
            "{\"frame_type\":\"unknown\"}],\"raw\":{\"length\":1200}}}\n",
            Format(block, size));
    }

    [Fact]
    public void AHostilePacketOfManyFramesMakesABoundedRecord()
    {
        // 60,000 frames alternating PING and PADDING (each padding run one byte): the record lists 1024 of them.
        var types = new List<ulong>();
        for (int i = 0; i < 30_000; i++) { types.Add(0x01); types.Add(0x00); }
        int bound = QlogRecord.ReceivedSize(types.Count);
        Assert.True(bound <= QlogRecord.PacketHeaderSize + QlogRecord.MaxFramesPerEvent * QlogRecord.MaxReceivedEntrySize + QlogRecord.PathIdSize);
        var block = new byte[bound];
        int size = QlogRecord.WriteReceived(block, 1, PacketType.OneRtt, 9, 65_000, types);
        Assert.True(size <= bound);
        using var doc = JsonDocument.Parse(Format(block, size).Trim('\u001e', '\n'));
        Assert.Equal(QlogRecord.MaxFramesPerEvent, doc.RootElement.GetProperty("data").GetProperty("frames").GetArrayLength());

        // A run of 70,000 padding bytes: runs of at most 65,535 (the run field's size), lengths adding up.
        var padding = Enumerable.Repeat(0UL, 70_000).ToList();
        block = new byte[QlogRecord.ReceivedSize(padding.Count)];
        size = QlogRecord.WriteReceived(block, 1, PacketType.OneRtt, 9, 70_000, padding);
        using var doc2 = JsonDocument.Parse(Format(block, size).Trim('\u001e', '\n'));
        var frames = doc2.RootElement.GetProperty("data").GetProperty("frames").EnumerateArray().ToList();
        Assert.Equal(70_000, frames.Sum(f => f.GetProperty("raw").GetProperty("length").GetInt32()));
    }

    [Fact]
    public void MetricsAreInMilliseconds()
    {
        var rtt = new RttEstimator();
        rtt.Update(latestUs: 25_000, ackDelayUs: 0, handshakeConfirmed: true, maxAckDelayUs: 25_000);
        var cc = new NewReno(1200);
        var block = new byte[QlogRecord.MetricsSize];
        int size = QlogRecord.WriteMetrics(block, 2_000, rtt, cc, ptoCount: 2);
        using var doc = JsonDocument.Parse(Format(block, size).Trim('\u001e', '\n'));
        var data = doc.RootElement.GetProperty("data");
        Assert.Equal(25.0, data.GetProperty("min_rtt").GetDouble());
        Assert.Equal(rtt.SmoothedRtt / 1000.0, data.GetProperty("smoothed_rtt").GetDouble());
        Assert.Equal(rtt.RttVar / 1000.0, data.GetProperty("rtt_variance").GetDouble());
        Assert.Equal(2, data.GetProperty("pto_count").GetInt32());
        Assert.Equal(cc.Window, data.GetProperty("congestion_window").GetInt64());
        Assert.Equal(2.0, doc.RootElement.GetProperty("time").GetDouble());
    }

    private static string Format(byte[] block, int size)
    {
        var text = new byte[QlogFormatter.RecordTextBound(block, 0)];
        int n = QlogFormatter.Format(block, 0, text, out int consumed);
        Assert.Equal(size, consumed);
        return QlogRecords.Text(text.AsSpan(0, n));
    }
}
