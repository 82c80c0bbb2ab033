using System.Buffers.Binary;

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
    public const byte Raw = 1, PacketSent = 2, PacketReceived = 3, PacketLost = 4, Metrics = 5, Dropped = 6;

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

    public static void PutU16(Span<byte> b, int at, int v) => BinaryPrimitives.WriteUInt16LittleEndian(b[at..], (ushort)v);
    public static void PutI32(Span<byte> b, int at, int v) => BinaryPrimitives.WriteInt32LittleEndian(b[at..], v);
    public static void PutI64(Span<byte> b, int at, long v) => BinaryPrimitives.WriteInt64LittleEndian(b[at..], v);
    public static void PutU64(Span<byte> b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b[at..], v);
    public static int U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);
    public static int I32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadInt32LittleEndian(b[at..]);
    public static long I64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadInt64LittleEndian(b[at..]);
    public static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);
}
