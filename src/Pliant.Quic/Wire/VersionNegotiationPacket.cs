using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Pliant.Quic.Wire;

/// <summary>Writes Version Negotiation packets (RFC 9000 §17.2.1, RFC 8999 §6).</summary>
public static class VersionNegotiationPacket
{
    /// <summary>Bytes needed for a VN packet.</summary>
    public static int EncodedLength(int dcidLength, int scidLength, int versionCount) =>
        1 + 4 + 1 + dcidLength + 1 + scidLength + 4 * versionCount;

    /// <summary>
    /// Writes a VN packet. <paramref name="dcid"/> is the client's SCID and <paramref name="scid"/> the
    /// client's DCID (RFC 9000 §17.2.1). Returns bytes written.
    /// </summary>
    public static int Write(Span<byte> dest, ConnectionId dcid, ConnectionId scid, ReadOnlySpan<uint> versions) =>
        Write(dest, dcid.Span, scid.Span, versions, false);

    /// <summary>
    /// Writes a VN packet with raw connection IDs (up to 255 bytes, RFC 8999), optionally followed by a
    /// reserved "greased" version of the form 0x?a?a?a?a (RFC 9000 §6.3, §15).
    /// </summary>
    public static int Write(Span<byte> dest, ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> scid, ReadOnlySpan<uint> versions, bool includeGreasedVersion)
    {
        if (dcid.Length > 255 || scid.Length > 255) throw new ArgumentException("connection IDs are at most 255 bytes");
        // RFC 9000 §17.2.1: Header Form 1, Unused (7) set to a random value by the server.
        dest[0] = (byte)(0x80 | RandomNumberGenerator.GetInt32(0x80));
        BinaryPrimitives.WriteUInt32BigEndian(dest[1..], QuicVersion.Negotiation);
        int pos = 5;
        dest[pos++] = (byte)dcid.Length;
        dcid.CopyTo(dest[pos..]);
        pos += dcid.Length;
        dest[pos++] = (byte)scid.Length;
        scid.CopyTo(dest[pos..]);
        pos += scid.Length;
        foreach (uint v in versions)
        {
            BinaryPrimitives.WriteUInt32BigEndian(dest[pos..], v);
            pos += 4;
        }
        if (includeGreasedVersion)
        {
            BinaryPrimitives.WriteUInt32BigEndian(dest[pos..], GreasedVersion());
            pos += 4;
        }
        return pos;
    }

    /// <summary>A random reserved version 0x?a?a?a?a (RFC 9000 §15).</summary>
    public static uint GreasedVersion() => ((uint)RandomNumberGenerator.GetInt32(int.MaxValue) & 0xF0F0F0F0u) | 0x0A0A0A0Au;

    /// <summary>True for reserved versions matching 0x?a?a?a?a (RFC 9000 §15).</summary>
    public static bool IsReservedVersion(uint version) => (version & 0x0F0F0F0Fu) == 0x0A0A0A0Au;
}
