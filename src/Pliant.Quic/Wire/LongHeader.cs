using System.Buffers.Binary;

namespace Pliant.Quic.Wire;

/// <summary>Writes long headers for Initial, 0-RTT and Handshake packets (RFC 9000 §17.2).</summary>
public static class LongHeader
{
    /// <summary>Size of the Length field as written by <see cref="Write"/> (a 2-byte varint).</summary>
    public const int LengthFieldSize = 2;

    /// <summary>Largest value <see cref="PatchLength"/> can store in the 2-byte Length field.</summary>
    public const int MaxLengthFieldValue = 0x3FFF;

    /// <summary>Bytes <see cref="Write"/> will produce for these parameters.</summary>
    public static int HeaderLength(PacketType type, ConnectionId dcid, ConnectionId scid, int tokenLength)
    {
        int n = 1 + 4 + 1 + dcid.Length + 1 + scid.Length;
        if (type == PacketType.Initial) n += VarInt.Length((ulong)tokenLength) + tokenLength;
        return n + LengthFieldSize;
    }

    /// <summary>
    /// Writes a long header up to (not including) the packet number. The Length field is written as
    /// a 2-byte placeholder at <paramref name="lengthFieldOffset"/>; fill it with <see cref="PatchLength"/>.
    /// </summary>
    /// <returns>Bytes written.</returns>
    public static int Write(Span<byte> dest, PacketType type, uint version, ConnectionId dcid, ConnectionId scid,
        ReadOnlySpan<byte> token, int packetNumberLength, out int lengthFieldOffset)
    {
        if (type is not (PacketType.Initial or PacketType.ZeroRtt or PacketType.Handshake))
            throw new ArgumentException("only Initial, 0-RTT and Handshake packets carry a packet number", nameof(type));
        if (packetNumberLength is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(packetNumberLength));
        if (type != PacketType.Initial && !token.IsEmpty) throw new ArgumentException("only Initial packets carry a token", nameof(token));

        // RFC 9000 §17.2: Header Form 1, Fixed Bit 1, Type (2), Reserved (2) = 0, PN Length (2).
        dest[0] = (byte)(0xC0 | PacketTypes.ToBits(type, version) << 4 | (packetNumberLength - 1));
        BinaryPrimitives.WriteUInt32BigEndian(dest[1..], version);
        int pos = 5;
        dest[pos++] = (byte)dcid.Length;
        dcid.Span.CopyTo(dest[pos..]);
        pos += dcid.Length;
        dest[pos++] = (byte)scid.Length;
        scid.Span.CopyTo(dest[pos..]);
        pos += scid.Length;
        if (type == PacketType.Initial)
        {
            pos += VarInt.Write(dest[pos..], (ulong)token.Length);
            token.CopyTo(dest[pos..]);
            pos += token.Length;
        }
        lengthFieldOffset = pos;
        VarInt.WriteWithLength(dest[pos..], 0, LengthFieldSize);
        return pos + LengthFieldSize;
    }

    /// <summary>Fills the Length field (packet number + payload + AEAD tag, RFC 9000 §17.2).</summary>
    public static void PatchLength(Span<byte> packet, int lengthFieldOffset, int length)
    {
        if ((uint)length > MaxLengthFieldValue) throw new ArgumentOutOfRangeException(nameof(length));
        VarInt.WriteWithLength(packet[lengthFieldOffset..], (ulong)length, LengthFieldSize);
    }
}
