using System.Buffers.Binary;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Diagnostics;

/// <summary>
/// The compact binary records a <see cref="QlogTrace"/> appends on the connection's thread and the writer thread
/// turns into JSON-SEQ text (<see cref="QlogFormatter"/>). Little-endian, unaligned, no padding; every record starts
/// with its kind byte. Times are microseconds since the trace started.
/// </summary>
/// <remarks>
/// Layouts (bytes):
/// <list type="bullet">
/// <item>PacketSent: kind, packet type, frame count (2), time (8), packet number (8), size (4), then per frame its
/// <see cref="SentFrameKind"/> and: Stream fin (1), stream id (8), offset (8), length (4); Crypto offset (8),
/// length (4); Plugin frame type (8); others nothing.</item>
/// <item>PacketReceived: kind, packet type, entry count (2), time (8), packet number (8), length (4), then per entry a
/// frame code (<see cref="FrameCode"/>); a padding entry is followed by its run of padding bytes (2).</item>
/// <item>PacketLost: kind, packet type, time (8), packet number (8).</item>
/// <item>Metrics: kind, pto count (4), time (8), min, smoothed, latest RTT, RTT variance (8 each, µs), congestion
/// window (8), bytes in flight (8).</item>
/// <item>Dropped: kind, time (8), events dropped so far (8).</item>
/// <item>Raw: kind, length (4), then that many bytes of finished JSON-SEQ text (rare events, formatted by
/// <see cref="System.Text.Json.Utf8JsonWriter"/> on the connection's thread).</item>
/// </list>
/// </remarks>
internal static class QlogRecord
{
    /// <summary>Record kinds (the first byte of each record).</summary>
    public static class Kind
    {
        public const byte Raw = 1, PacketSent = 2, PacketReceived = 3, PacketLost = 4, Metrics = 5, Dropped = 6;
    }

    /// <summary>
    /// At most this many frames (sent) or frame entries (received, a run of padding being one entry) are listed per
    /// packet event; a hostile peer's packet of a thousand one-byte frames does not make a record without bound.
    /// The event's raw length still tells the packet's size.
    /// </summary>
    public const int MaxFramesPerEvent = 1024;

    public const int PacketHeaderSize = 1 + 1 + 2 + 8 + 8 + 4;
    public const int MaxSentFrameSize = 1 + 1 + 8 + 8 + 4;
    public const int MaxReceivedEntrySize = 1 + 2;
    public const int LostSize = 1 + 1 + 8 + 8;
    public const int MetricsSize = 1 + 4 + 8 * 7;
    public const int DroppedSize = 1 + 8 + 8;
    public const int RawHeaderSize = 1 + 4;

    /// <summary>Packet type codes, shared by sent, received and lost packets: the index into the formatter's names.</summary>
    public const byte Initial = 0, Handshake = 1, ZeroRtt = 2, OneRtt = 3, Retry = 4, UnknownPacket = 5;

    /// <summary>
    /// The code of a received frame type: the type itself below 0x20 (RFC 9000 §19; the stream and ack variants are
    /// told apart by the formatter's name table), 0x30 for DATAGRAM (RFC 9221), 0xff for anything else.
    /// </summary>
    public static byte FrameCode(ulong type) => type switch
    {
        < 0x20 => (byte)type,
        0x30 or 0x31 => 0x30,
        _ => 0xff,
    };

    /// <summary>The most bytes <see cref="WriteSent"/> writes for <paramref name="packet"/>.</summary>
    public static int SentSize(SentPacket packet) => PacketHeaderSize + Math.Min(packet.Frames.Count, MaxFramesPerEvent) * MaxSentFrameSize;

    /// <summary>The most bytes <see cref="WriteReceived"/> writes for a packet of <paramref name="frames"/> frames.</summary>
    public static int ReceivedSize(int frames) => PacketHeaderSize + Math.Min(frames, MaxFramesPerEvent) * MaxReceivedEntrySize;

    /// <summary>A packet_sent record; returns its length.</summary>
    public static int WriteSent(Span<byte> b, long timeUs, SentPacket packet, bool zeroRtt)
    {
        var frames = packet.Frames;
        int count = Math.Min(frames.Count, MaxFramesPerEvent);
        _ = b[PacketHeaderSize + count * MaxSentFrameSize - 1];
        b[0] = Kind.PacketSent;
        b[1] = packet.Space switch
        {
            PacketSpace.Initial => Initial,
            PacketSpace.Handshake => Handshake,
            _ => zeroRtt ? ZeroRtt : OneRtt, // 0-RTT shares the application space
        };
        PutU16(b, 2, count);
        PutI64(b, 4, timeUs);
        PutU64(b, 12, packet.PacketNumber);
        PutI32(b, 20, packet.Size);
        int p = PacketHeaderSize;
        for (int i = 0; i < count; i++)
        {
            var f = frames[i];
            b[p++] = (byte)f.Kind;
            switch (f.Kind)
            {
                case SentFrameKind.Stream:
                    b[p] = f.Fin ? (byte)1 : (byte)0;
                    PutU64(b, p + 1, f.StreamId);
                    PutU64(b, p + 9, f.Offset);
                    PutI32(b, p + 17, f.Length);
                    p += 21;
                    break;
                case SentFrameKind.Crypto:
                    PutU64(b, p, f.Offset);
                    PutI32(b, p + 8, f.Length);
                    p += 12;
                    break;
                case SentFrameKind.Plugin:
                    PutU64(b, p, f.Value);
                    p += 8;
                    break;
            }
        }
        return p;
    }

    /// <summary>A packet_received record (a run of padding as one entry); returns its length.</summary>
    public static int WriteReceived(Span<byte> b, long timeUs, PacketType type, ulong packetNumber, int length, List<ulong> frameTypes)
    {
        b[0] = Kind.PacketReceived;
        b[1] = type switch
        {
            PacketType.Initial => Initial,
            PacketType.Handshake => Handshake,
            PacketType.ZeroRtt => ZeroRtt,
            PacketType.OneRtt => OneRtt,
            PacketType.Retry => Retry,
            _ => UnknownPacket,
        };
        PutI64(b, 4, timeUs);
        PutU64(b, 12, packetNumber);
        PutI32(b, 20, length);
        int p = PacketHeaderSize, entries = 0;
        for (int i = 0; i < frameTypes.Count && entries < MaxFramesPerEvent; entries++)
        {
            byte code = FrameCode(frameTypes[i++]);
            b[p++] = code;
            if (code == 0)
            {
                // A run of padding bytes (each one a frame, RFC 9000 §19.1) is one entry with its length.
                int run = 1;
                while (i < frameTypes.Count && frameTypes[i] == 0 && run < ushort.MaxValue) { i++; run++; }
                PutU16(b, p, run);
                p += 2;
            }
        }
        PutU16(b, 2, entries);
        return p;
    }

    /// <summary>A recovery_metrics_updated record; returns its length.</summary>
    public static int WriteMetrics(Span<byte> b, long timeUs, RttEstimator rtt, ICongestionController cc, int ptoCount)
    {
        _ = b[MetricsSize - 1];
        b[0] = Kind.Metrics;
        PutI32(b, 1, ptoCount);
        PutI64(b, 5, timeUs);
        PutI64(b, 13, Math.Max(0, rtt.MinRtt));
        PutI64(b, 21, rtt.SmoothedRtt);
        PutI64(b, 29, rtt.LatestRtt);
        PutI64(b, 37, rtt.RttVar);
        PutI64(b, 45, cc.Window);
        PutI64(b, 53, cc.BytesInFlight);
        return MetricsSize;
    }

    /// <summary>A packet_lost record; returns its length.</summary>
    public static int WriteLost(Span<byte> b, long timeUs, SentPacket packet)
    {
        b[0] = Kind.PacketLost;
        b[1] = packet.Space switch { PacketSpace.Initial => Initial, PacketSpace.Handshake => Handshake, _ => OneRtt };
        PutI64(b, 2, timeUs);
        PutU64(b, 10, packet.PacketNumber);
        return LostSize;
    }

    /// <summary>A record of the events dropped so far; returns its length.</summary>
    public static int WriteDropped(Span<byte> b, long timeUs, long dropped)
    {
        b[0] = Kind.Dropped;
        PutI64(b, 1, timeUs);
        PutI64(b, 9, dropped);
        return DroppedSize;
    }

    /// <summary>A record of finished JSON-SEQ text; returns its length.</summary>
    public static int WriteRaw(Span<byte> b, ReadOnlySpan<byte> text)
    {
        b[0] = Kind.Raw;
        PutI32(b, 1, text.Length);
        text.CopyTo(b[RawHeaderSize..]);
        return RawHeaderSize + text.Length;
    }

    /// <summary>
    /// The length of the well-formed record at the start of <paramref name="r"/>, or -1 when it is not one (an unknown
    /// kind, a count beyond <see cref="MaxFramesPerEvent"/>, or bytes missing): how a reader of a binary qlog file
    /// (<see cref="QlogBinaryFile"/>, hostile input) checks a record before <see cref="QlogFormatter"/> formats it.
    /// It mirrors the layouts above; a raw record's text is not looked into here.
    /// </summary>
    public static int Measure(ReadOnlySpan<byte> r)
    {
        if (r.IsEmpty) return -1;
        switch (r[0])
        {
            case Kind.PacketSent:
            {
                if (r.Length < PacketHeaderSize) return -1;
                int frames = U16(r, 2);
                if (frames > MaxFramesPerEvent) return -1;
                int p = PacketHeaderSize;
                for (int i = 0; i < frames; i++)
                {
                    if (p >= r.Length) return -1;
                    p += 1 + (SentFrameKind)r[p] switch
                    {
                        SentFrameKind.Stream => 21,
                        SentFrameKind.Crypto => 12,
                        SentFrameKind.Plugin => 8,
                        _ => 0,
                    };
                }
                return p <= r.Length ? p : -1;
            }
            case Kind.PacketReceived:
            {
                if (r.Length < PacketHeaderSize) return -1;
                int entries = U16(r, 2);
                if (entries > MaxFramesPerEvent) return -1;
                int p = PacketHeaderSize;
                for (int i = 0; i < entries; i++)
                {
                    if (p >= r.Length) return -1;
                    p += r[p] == 0 ? 3 : 1; // a run of padding carries its length
                }
                return p <= r.Length ? p : -1;
            }
            case Kind.PacketLost: return r.Length >= LostSize ? LostSize : -1;
            case Kind.Metrics: return r.Length >= MetricsSize ? MetricsSize : -1;
            case Kind.Dropped: return r.Length >= DroppedSize ? DroppedSize : -1;
            case Kind.Raw:
            {
                if (r.Length < RawHeaderSize) return -1;
                int length = I32(r, 1);
                return length >= 0 && length <= r.Length - RawHeaderSize ? RawHeaderSize + length : -1;
            }
            default: return -1;
        }
    }

    public static void PutU16(Span<byte> b, int at, int v) => BinaryPrimitives.WriteUInt16LittleEndian(b[at..], (ushort)v);
    public static void PutI32(Span<byte> b, int at, int v) => BinaryPrimitives.WriteInt32LittleEndian(b[at..], v);
    public static void PutI64(Span<byte> b, int at, long v) => BinaryPrimitives.WriteInt64LittleEndian(b[at..], v);
    public static void PutU64(Span<byte> b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b[at..], v);
    public static int U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);
    public static int I32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadInt32LittleEndian(b[at..]);
    public static long I64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadInt64LittleEndian(b[at..]);
    public static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
}
