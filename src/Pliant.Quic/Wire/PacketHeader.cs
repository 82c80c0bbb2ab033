using System.Buffers.Binary;

namespace Pliant.Quic.Wire;

/// <summary>
/// The unprotected part of a packet's header as located in a datagram (RFC 9000 §17, RFC 8999).
/// Offsets are relative to the start of the span given to <see cref="TryParse"/>. The packet number
/// and the low bits of the first byte are still header-protected at this point.
/// </summary>
/// <remarks>
/// For a long header with a version this stack does not support (see <see cref="IsSupportedVersion"/>)
/// only the version-independent fields (RFC 8999 §5.1) are parsed, so the endpoint can answer with
/// Version Negotiation: <see cref="Type"/> is then meaningless, <see cref="PacketLength"/> is the rest of the
/// datagram, and connection IDs may be up to 255 bytes (use the offset/length pairs; the
/// <see cref="ConnectionId"/> properties are empty when longer than 20 bytes).
/// </remarks>
public struct PacketHeader
{
    /// <summary>The first byte as received (its low bits are still protected).</summary>
    public byte FirstByte { get; private set; }

    /// <summary>True for a long header (RFC 9000 §17.2).</summary>
    public bool IsLongHeader { get; private set; }

    /// <summary>The packet type.</summary>
    public PacketType Type { get; private set; }

    /// <summary>The version (long header), 0 for Version Negotiation; 0 for short headers.</summary>
    public uint Version { get; private set; }

    /// <summary>True when <see cref="Version"/> is one we can process (or this is a short header / VN packet).</summary>
    public bool IsSupportedVersion { get; private set; }

    /// <summary>Destination connection ID (empty if longer than 20 bytes).</summary>
    public ConnectionId DestinationConnectionId { get; private set; }

    /// <summary>Source connection ID (long header; empty if longer than 20 bytes).</summary>
    public ConnectionId SourceConnectionId { get; private set; }

    /// <summary>Offset of the destination connection ID.</summary>
    public int DestinationConnectionIdOffset { get; private set; }

    /// <summary>Length of the destination connection ID (up to 255 for unknown versions).</summary>
    public int DestinationConnectionIdLength { get; private set; }

    /// <summary>Offset of the source connection ID (long header).</summary>
    public int SourceConnectionIdOffset { get; private set; }

    /// <summary>Length of the source connection ID (long header).</summary>
    public int SourceConnectionIdLength { get; private set; }

    /// <summary>Offset of the token (Initial, Retry).</summary>
    public int TokenOffset { get; private set; }

    /// <summary>Length of the token (Initial; Retry: up to the 16-byte integrity tag).</summary>
    public int TokenLength { get; private set; }

    /// <summary>Where the protected packet number starts (Initial, 0-RTT, Handshake, 1-RTT); 0 otherwise.</summary>
    public int PacketNumberOffset { get; private set; }

    /// <summary>Bytes of this packet in the datagram: long header = PN offset + Length field; otherwise the rest of the datagram.</summary>
    public int PacketLength { get; private set; }

    /// <summary>Version Negotiation: offset of the Supported Versions list.</summary>
    public int SupportedVersionsOffset { get; private set; }

    /// <summary>Version Negotiation: number of 32-bit entries in the Supported Versions list.</summary>
    public int SupportedVersionsCount { get; private set; }

    /// <summary>Retry: offset of the 16-byte Retry Integrity Tag.</summary>
    public int RetryIntegrityTagOffset { get; private set; }

    /// <summary>Length of a Retry Integrity Tag (RFC 9001 §5.8).</summary>
    public const int RetryIntegrityTagLength = 16;

    /// <summary>Version Negotiation: the <paramref name="index"/>th supported version, read from the same datagram.</summary>
    public readonly uint GetSupportedVersion(ReadOnlySpan<byte> datagram, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SupportedVersionsCount);
        return BinaryPrimitives.ReadUInt32BigEndian(datagram[(SupportedVersionsOffset + 4 * index)..]);
    }

    /// <summary>
    /// Parses the header of the packet at the start of <paramref name="datagram"/>. Returns false for
    /// anything that is not a QUIC packet this endpoint can process. Never throws.
    /// </summary>
    /// <param name="datagram">The remaining bytes of the UDP datagram, starting at this packet.</param>
    /// <param name="shortHeaderDcidLength">Length of our connection IDs (short headers carry no length).</param>
    /// <param name="h">The parsed header.</param>
    public static bool TryParse(ReadOnlySpan<byte> datagram, int shortHeaderDcidLength, out PacketHeader h)
    {
        h = default;
        if (datagram.IsEmpty) return false;
        byte first = datagram[0];
        h.FirstByte = first;
        if ((first & 0x80) == 0) return TryParseShort(datagram, shortHeaderDcidLength, ref h);

        // RFC 8999 §5.1: version, DCID len (8), DCID (0..255), SCID len (8), SCID (0..255).
        if (datagram.Length < 7) return false;
        h.IsLongHeader = true;
        uint version = BinaryPrimitives.ReadUInt32BigEndian(datagram[1..]);
        h.Version = version;
        int pos = 5;
        int dcidLen = datagram[pos++];
        if (datagram.Length - pos < dcidLen + 1) return false;
        h.DestinationConnectionIdOffset = pos;
        h.DestinationConnectionIdLength = dcidLen;
        pos += dcidLen;
        int scidLen = datagram[pos++];
        if (datagram.Length - pos < scidLen) return false;
        h.SourceConnectionIdOffset = pos;
        h.SourceConnectionIdLength = scidLen;
        pos += scidLen;
        if (dcidLen <= ConnectionId.MaxLength) h.DestinationConnectionId = new ConnectionId(datagram.Slice(h.DestinationConnectionIdOffset, dcidLen));
        if (scidLen <= ConnectionId.MaxLength) h.SourceConnectionId = new ConnectionId(datagram.Slice(h.SourceConnectionIdOffset, scidLen));

        if (version == QuicVersion.Negotiation)
        {
            // RFC 9000 §17.2.1: the rest is a list of 32-bit versions; the fixed bit is unused.
            int rest = datagram.Length - pos;
            if (rest % 4 != 0) return false;
            h.Type = PacketType.VersionNegotiation;
            h.IsSupportedVersion = true;
            h.SupportedVersionsOffset = pos;
            h.SupportedVersionsCount = rest / 4;
            h.PacketLength = datagram.Length;
            return true;
        }

        if (!QuicVersion.IsSupported(version))
        {
            // Unknown version: enough to send Version Negotiation (RFC 9000 §6.1).
            h.IsSupportedVersion = false;
            h.PacketLength = datagram.Length;
            return true;
        }

        h.IsSupportedVersion = true;
        // RFC 9000 §17.2: in v1 (and v2) CIDs are at most 20 bytes; longer → drop.
        if (dcidLen > ConnectionId.MaxLength || scidLen > ConnectionId.MaxLength) return false;
        // RFC 9000 §17.2: packets with the fixed bit 0 are not valid and are discarded.
        if ((first & 0x40) == 0) return false;
        h.Type = PacketTypes.FromBits(first >> 4, version);

        if (h.Type == PacketType.Retry)
        {
            // RFC 9000 §17.2.5: Retry Token (..), Retry Integrity Tag (128).
            int rest = datagram.Length - pos;
            if (rest < RetryIntegrityTagLength) return false;
            h.TokenOffset = pos;
            h.TokenLength = rest - RetryIntegrityTagLength;
            h.RetryIntegrityTagOffset = pos + h.TokenLength;
            h.PacketLength = datagram.Length;
            return true;
        }

        if (h.Type == PacketType.Initial)
        {
            if (!VarInt.TryRead(datagram[pos..], out ulong tokenLen, out int n)) return false;
            pos += n;
            if (tokenLen > (ulong)(datagram.Length - pos)) return false;
            h.TokenOffset = pos;
            h.TokenLength = (int)tokenLen;
            pos += (int)tokenLen;
        }

        // RFC 9000 §17.2: Length = packet number + payload, in bytes.
        if (!VarInt.TryRead(datagram[pos..], out ulong length, out int ln)) return false;
        pos += ln;
        if (length < 1 || length > (ulong)(datagram.Length - pos)) return false;
        h.PacketNumberOffset = pos;
        h.PacketLength = pos + (int)length;
        return true;
    }

    private static bool TryParseShort(ReadOnlySpan<byte> datagram, int dcidLength, ref PacketHeader h)
    {
        // RFC 9000 §17.3.1: fixed bit must be 1.
        if ((h.FirstByte & 0x40) == 0) return false;
        if (dcidLength < 0 || dcidLength > ConnectionId.MaxLength) return false;
        // At least one packet number byte must follow the DCID.
        if (datagram.Length < 1 + dcidLength + 1) return false;
        h.IsLongHeader = false;
        h.Type = PacketType.OneRtt;
        h.IsSupportedVersion = true;
        h.DestinationConnectionIdOffset = 1;
        h.DestinationConnectionIdLength = dcidLength;
        h.DestinationConnectionId = new ConnectionId(datagram.Slice(1, dcidLength));
        h.PacketNumberOffset = 1 + dcidLength;
        h.PacketLength = datagram.Length;
        return true;
    }
}
