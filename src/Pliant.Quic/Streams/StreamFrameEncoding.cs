using Pliant.Quic.Wire;

namespace Pliant.Quic.Streams;

/// <summary>
/// Writers for the stream-related frames (RFC 9000 §19.4–19.14). Each returns the bytes written,
/// or 0 if the frame does not fit in <c>dest</c>.
/// </summary>
internal static class StreamFrameEncoding
{
    public const byte ResetStream = 0x04, StopSending = 0x05, Stream = 0x08, MaxData = 0x10,
        MaxStreamData = 0x11, MaxStreamsBidi = 0x12, MaxStreamsUni = 0x13, DataBlocked = 0x14,
        StreamDataBlocked = 0x15, StreamsBlockedBidi = 0x16, StreamsBlockedUni = 0x17;

    public const byte StreamOff = 0x04, StreamLen = 0x02, StreamFin = 0x01;

    /// <summary>A frame of a type byte followed by one varint (MAX_DATA, DATA_BLOCKED, MAX_STREAMS, STREAMS_BLOCKED).</summary>
    public static int WriteOne(Span<byte> dest, byte type, ulong a)
    {
        int len = 1 + VarInt.Length(a);
        if (dest.Length < len) return 0;
        dest[0] = type;
        VarInt.Write(dest[1..], a);
        return len;
    }

    /// <summary>Type byte and two varints (MAX_STREAM_DATA, STREAM_DATA_BLOCKED, STOP_SENDING).</summary>
    public static int WriteTwo(Span<byte> dest, byte type, ulong a, ulong b)
    {
        int len = 1 + VarInt.Length(a) + VarInt.Length(b);
        if (dest.Length < len) return 0;
        dest[0] = type;
        int p = 1 + VarInt.Write(dest[1..], a);
        VarInt.Write(dest[p..], b);
        return len;
    }

    /// <summary>RESET_STREAM: stream ID, application error code, final size (RFC 9000 §19.4).</summary>
    public static int WriteResetStream(Span<byte> dest, ulong id, ulong code, ulong finalSize)
    {
        int len = 1 + VarInt.Length(id) + VarInt.Length(code) + VarInt.Length(finalSize);
        if (dest.Length < len) return 0;
        dest[0] = ResetStream;
        int p = 1 + VarInt.Write(dest[1..], id);
        p += VarInt.Write(dest[p..], code);
        VarInt.Write(dest[p..], finalSize);
        return len;
    }

    /// <summary>
    /// Bytes of a STREAM frame header (RFC 9000 §19.8) with the Length field of
    /// <paramref name="lengthFieldSize"/> bytes; the Offset field is omitted at offset 0.
    /// </summary>
    public static int StreamHeaderLength(ulong id, ulong offset, int lengthFieldSize) =>
        1 + VarInt.Length(id) + (offset == 0 ? 0 : VarInt.Length(offset)) + lengthFieldSize;

    /// <summary>Writes a STREAM frame header (always with the Length field); the data follows it.</summary>
    public static int WriteStreamHeader(Span<byte> dest, ulong id, ulong offset, int length, bool fin, int lengthFieldSize)
    {
        byte type = (byte)(Stream | StreamLen | (offset != 0 ? StreamOff : 0) | (fin ? StreamFin : 0));
        dest[0] = type;
        int p = 1 + VarInt.Write(dest[1..], id);
        if (offset != 0) p += VarInt.Write(dest[p..], offset);
        VarInt.WriteWithLength(dest[p..], (ulong)length, lengthFieldSize);
        return p + lengthFieldSize;
    }
}
