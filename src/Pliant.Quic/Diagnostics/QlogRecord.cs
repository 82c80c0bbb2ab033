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
/// <item>CongestionState: kind, old state (1, <see cref="NoCongestionState"/> for none), new state (1), time (8).</item>
/// </list>
/// PacketSent, PacketReceived, PacketLost and CongestionState records of a multipath connection carry
/// <see cref="Kind.OnPath"/> in their kind byte and end with the path ID (4), which becomes the event's
/// <c>tuple</c>.
/// </remarks>
internal static class QlogRecord
{
    /// <summary>Record kinds (the first byte of each record).</summary>
    public static class Kind
    {
        public const byte Raw = 1, PacketSent = 2, PacketReceived = 3, PacketLost = 4, Metrics = 5, Dropped = 6, CongestionState = 7;

        /// <summary>Flag on a packet or congestion-state record's kind: the record ends with a path ID (4 bytes).</summary>
        public const byte OnPath = 0x80;
    }

    /// <summary>No path (a connection without multipath): the records carry no path ID.</summary>
    public const long NoPath = -1;

    /// <summary>The bytes a path ID adds to a record.</summary>
    public const int PathIdSize = 4;

    /// <summary>The old state of a path's first congestion_state_updated.</summary>
    public const byte NoCongestionState = 0xff;

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
    public const int CongestionStateSize = 1 + 1 + 1 + 8;
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

    /// <summary>
    /// The state of a congestion controller for quic:congestion_state_updated (quic-events-13 §7.3 leaves the names
    /// to the stack): RFC 9002's slow start, congestion avoidance and recovery for NewReno, CUBIC and LIA, and BBR's
    /// own states (draft-ietf-ccwg-bbr-06 §5.1); <see cref="NoCongestionState"/> for a controller it does not know.
    /// </summary>
    public static byte CongestionStateCode(ICongestionController cc) => cc switch
    {
        Bbr bbr => (byte)(16 + (int)bbr.State),
        CongestionControllerBase c => c.InRecoveryPeriod ? (byte)2 : c.InSlowStart ? (byte)0 : (byte)1,
        _ => NoCongestionState,
    };

    /// <summary>The name of a <see cref="CongestionStateCode"/>.</summary>
    public static string CongestionStateName(byte code) => code switch
    {
        0 => "slow_start",
        1 => "congestion_avoidance",
        2 => "recovery",
        >= 16 and < 16 + 7 => ((BbrState)(code - 16)) switch
        {
            BbrState.Startup => "startup",
            BbrState.Drain => "drain",
            BbrState.ProbeBwDown => "probe_bw_down",
            BbrState.ProbeBwCruise => "probe_bw_cruise",
            BbrState.ProbeBwRefill => "probe_bw_refill",
            BbrState.ProbeBwUp => "probe_bw_up",
            _ => "probe_rtt",
        },
        _ => "unknown",
    };

    /// <summary>The most bytes <see cref="WriteSent"/> writes for <paramref name="packet"/>.</summary>
    public static int SentSize(SentPacket packet) => PacketHeaderSize + Math.Min(packet.Frames.Count, MaxFramesPerEvent) * MaxSentFrameSize + PathIdSize;

    /// <summary>The most bytes <see cref="WriteReceived"/> writes for a packet of <paramref name="frames"/> frames.</summary>
    public static int ReceivedSize(int frames) => PacketHeaderSize + Math.Min(frames, MaxFramesPerEvent) * MaxReceivedEntrySize + PathIdSize;

    /// <summary>A packet_sent record (on <paramref name="pathId"/> unless <see cref="NoPath"/>); returns its length.</summary>
    public static int WriteSent(Span<byte> b, long timeUs, SentPacket packet, bool zeroRtt, long pathId = NoPath)
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
        return EndOnPath(b, p, pathId);
    }

    /// <summary>Appends the path ID and flags the record, when there is a path.</summary>
    private static int EndOnPath(Span<byte> b, int p, long pathId)
    {
        if (pathId == NoPath) return p;
        b[0] |= Kind.OnPath;
        PutU32(b, p, (uint)pathId);
        return p + PathIdSize;
    }

    /// <summary>A packet_received record (a run of padding as one entry); returns its length.</summary>
    public static int WriteReceived(Span<byte> b, long timeUs, PacketType type, ulong packetNumber, int length, List<ulong> frameTypes, long pathId = NoPath)
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
        return EndOnPath(b, p, pathId);
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
    public static int WriteLost(Span<byte> b, long timeUs, SentPacket packet, long pathId = NoPath)
    {
        b[0] = Kind.PacketLost;
        b[1] = packet.Space switch { PacketSpace.Initial => Initial, PacketSpace.Handshake => Handshake, _ => OneRtt };
        PutI64(b, 2, timeUs);
        PutU64(b, 10, packet.PacketNumber);
        return EndOnPath(b, LostSize, pathId);
    }

    /// <summary>A congestion_state_updated record (states: <see cref="QlogFormatter"/>'s names); returns its length.</summary>
    public static int WriteCongestionState(Span<byte> b, long timeUs, byte oldState, byte newState, long pathId = NoPath)
    {
        b[0] = Kind.CongestionState;
        b[1] = oldState;
        b[2] = newState;
        PutI64(b, 3, timeUs);
        return EndOnPath(b, CongestionStateSize, pathId);
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
        if ((r[0] & Kind.OnPath) != 0)
        {
            // Only packet and congestion-state records carry a path ID, after the rest of the record.
            if ((r[0] & ~Kind.OnPath) is not (Kind.PacketSent or Kind.PacketReceived or Kind.PacketLost or Kind.CongestionState)) return -1;
            int size = MeasureUnflagged(r, (byte)(r[0] & ~Kind.OnPath));
            return size >= 0 && size + PathIdSize <= r.Length ? size + PathIdSize : -1;
        }
        return MeasureUnflagged(r, r[0]);
    }

    private static int MeasureUnflagged(ReadOnlySpan<byte> r, byte kind)
    {
        switch (kind)
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
            case Kind.CongestionState: return r.Length >= CongestionStateSize ? CongestionStateSize : -1;
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
    public static void PutU32(Span<byte> b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b[at..], v);
    public static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);
    public static void PutI32(Span<byte> b, int at, int v) => BinaryPrimitives.WriteInt32LittleEndian(b[at..], v);
    public static void PutI64(Span<byte> b, int at, long v) => BinaryPrimitives.WriteInt64LittleEndian(b[at..], v);
    public static void PutU64(Span<byte> b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b[at..], v);
    public static int U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);
    public static int I32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadInt32LittleEndian(b[at..]);
    public static long I64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadInt64LittleEndian(b[at..]);
    public static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
}
