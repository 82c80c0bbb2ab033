using System.Buffers.Binary;

namespace Pliant.Quic.Wire;

/// <summary>Writes Retry packets without the integrity tag (RFC 9000 §17.2.5; the tag is RFC 9001 §5.8).</summary>
public static class RetryPacket
{
    /// <summary>Bytes written by <see cref="Write"/> (the 16-byte tag not included).</summary>
    public static int EncodedLength(ConnectionId dcid, ConnectionId scid, int tokenLength) =>
        1 + 4 + 1 + dcid.Length + 1 + scid.Length + tokenLength;

    /// <summary>
    /// Writes a Retry packet up to the Retry Integrity Tag, which the caller appends. <paramref name="dcid"/>
    /// is the client's SCID; <paramref name="scid"/> is the new server-chosen CID. Returns bytes written.
    /// </summary>
    public static int Write(Span<byte> dest, uint version, ConnectionId dcid, ConnectionId scid, ReadOnlySpan<byte> token)
    {
        if (token.IsEmpty) throw new ArgumentException("a Retry token must not be empty", nameof(token)); // RFC 9000 §17.2.5.2
        // Header Form 1, Fixed Bit 1, Type (2), Unused (4) = 0.
        dest[0] = (byte)(0xC0 | PacketTypes.ToBits(PacketType.Retry, version) << 4);
        BinaryPrimitives.WriteUInt32BigEndian(dest[1..], version);
        int pos = 5;
        dest[pos++] = (byte)dcid.Length;
        dcid.Span.CopyTo(dest[pos..]);
        pos += dcid.Length;
        dest[pos++] = (byte)scid.Length;
        scid.Span.CopyTo(dest[pos..]);
        pos += scid.Length;
        token.CopyTo(dest[pos..]);
        return pos + token.Length;
    }
}
