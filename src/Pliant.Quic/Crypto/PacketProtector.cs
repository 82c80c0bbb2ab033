namespace Pliant.Quic.Crypto;

/// <summary>
/// In-place QUIC packet protection: AEAD payload protection (RFC 9001 §5.3) plus header protection
/// (RFC 9001 §5.4). Each method works on one packet: for coalesced long-header packets pass the slice
/// of the datagram that holds just that packet.
/// </summary>
public static class PacketProtector
{
    /// <summary>
    /// Protects a packet in place. <paramref name="packet"/> holds the unprotected header (the packet
    /// number of <paramref name="pnLength"/> bytes at <paramref name="pnOffset"/> already written, and the
    /// first byte's PN length bits set accordingly), the plaintext payload, and 16 spare bytes at the end
    /// for the tag. The payload plus PN must be long enough to sample (RFC 9001 §5.4.2). A 1-RTT packet on path
    /// <paramref name="pathId"/> of a multipath connection has the path ID in its nonce (draft-ietf-quic-multipath-21
    /// §2.4; path 0's nonce is the single-path one).
    /// </summary>
    public static void Protect(Span<byte> packet, int pnOffset, int pnLength, ulong pn, PacketKeys keys, uint pathId = 0)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (pnLength is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(pnLength));
        if ((packet[0] & 0x03) + 1 != pnLength)
            throw new ArgumentException("the first byte's packet number length bits disagree with pnLength", nameof(packet));
        int payloadOffset = pnOffset + pnLength;
        int plaintextLength = packet.Length - payloadOffset - PacketKeys.TagLength;
        if (plaintextLength < 0) throw new ArgumentException("no room for the tag", nameof(packet));
        // RFC 9001 §5.4.2: the sample starts 4 bytes after the PN offset; the sender must pad so it fits.
        if (pnOffset + 4 + PacketKeys.SampleLength > packet.Length)
            throw new ArgumentException("packet too short for a header protection sample", nameof(packet));

        // RFC 9001 §5.3: the associated data is the header up to and including the unprotected PN.
        var header = packet[..payloadOffset];
        var body = packet[payloadOffset..];
        if (pathId == 0) keys.Seal(pn, header, body[..plaintextLength], body);
        else keys.Seal(pathId, pn, header, body[..plaintextLength], body);

        // RFC 9001 §5.4.1: header protection is applied after packet protection.
        Span<byte> mask = stackalloc byte[PacketKeys.MaskLength];
        keys.HeaderProtectionMask(packet.Slice(pnOffset + 4, PacketKeys.SampleLength), mask);
        ApplyMask(packet, pnOffset, pnLength, mask);
    }

    /// <summary>
    /// Removes header protection in place and reads the truncated packet number. Returns false (leaving
    /// the packet unchanged) when the packet is too short to contain a complete sample: RFC 9001 §5.4.2
    /// says such packets are discarded.
    /// </summary>
    public static bool TryRemoveHeaderProtection(Span<byte> packet, int pnOffset, PacketKeys keys,
        out int pnLength, out ulong truncatedPn) =>
        TryRemoveHeaderProtection(packet, packet, pnOffset, keys, out pnLength, out truncatedPn); // copying onto itself is a no-op

    /// <summary>
    /// Decrypts the payload in place after header protection was removed and the full packet number
    /// <paramref name="pn"/> was recovered. The payload (of <paramref name="payloadLength"/> bytes) then
    /// starts at <paramref name="pnOffset"/> + <paramref name="pnLength"/>. False on authentication failure.
    /// </summary>
    public static bool TryDecrypt(Span<byte> packet, int pnOffset, int pnLength, ulong pn, PacketKeys keys,
        out int payloadLength)
    {
        ArgumentNullException.ThrowIfNull(keys);
        payloadLength = 0;
        int payloadOffset = pnOffset + pnLength;
        if (pnLength is < 1 or > 4 || payloadOffset + PacketKeys.TagLength > packet.Length) return false;
        var header = packet[..payloadOffset];
        var body = packet[payloadOffset..];
        if (!keys.TryOpen(pn, header, body, body)) return false;
        payloadLength = body.Length - PacketKeys.TagLength;
        return true;
    }

    /// <summary>
    /// Out-of-place variant of <see cref="TryRemoveHeaderProtection(Span{byte}, int, PacketKeys, out int, out ulong)"/>
    /// for a packet in a read-only receive buffer: copies the header (through the longest possible packet
    /// number) from <paramref name="source"/> to <paramref name="dest"/> and unmasks it there, sampling
    /// <paramref name="source"/>. <paramref name="dest"/> must be at least as long as <paramref name="source"/>.
    /// </summary>
    public static bool TryRemoveHeaderProtection(ReadOnlySpan<byte> source, Span<byte> dest, int pnOffset, PacketKeys keys,
        out int pnLength, out ulong truncatedPn)
    {
        ArgumentNullException.ThrowIfNull(keys);
        pnLength = 0;
        truncatedPn = 0;
        // RFC 9001 §5.4.2: packets too short to sample are discarded.
        if (pnOffset < 1 || pnOffset + 4 + PacketKeys.SampleLength > source.Length || dest.Length < source.Length) return false;

        Span<byte> mask = stackalloc byte[PacketKeys.MaskLength];
        keys.HeaderProtectionMask(source.Slice(pnOffset + 4, PacketKeys.SampleLength), mask);
        source[..(pnOffset + 4)].CopyTo(dest);

        // RFC 9001 §5.4.1: unmask the first byte first, then the PN length is known.
        bool isLong = (dest[0] & 0x80) != 0;
        dest[0] ^= (byte)(mask[0] & (isLong ? 0x0f : 0x1f));
        pnLength = (dest[0] & 0x03) + 1;
        ulong value = 0;
        for (int i = 0; i < pnLength; i++)
        {
            dest[pnOffset + i] ^= mask[1 + i];
            value = (value << 8) | dest[pnOffset + i];
        }
        truncatedPn = value;
        return true;
    }

    /// <summary>
    /// Out-of-place variant of <see cref="TryDecrypt(Span{byte}, int, int, ulong, PacketKeys, out int)"/>: the
    /// unprotected header is already in <paramref name="packet"/> (see the out-of-place
    /// <c>TryRemoveHeaderProtection</c>); the ciphertext is read from <paramref name="source"/> and the
    /// plaintext written to <paramref name="packet"/> after the header. Saves copying each received datagram.
    /// <paramref name="pathId"/>: as for <see cref="Protect"/>.
    /// </summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> source, Span<byte> packet, int pnOffset, int pnLength, ulong pn,
        PacketKeys keys, out int payloadLength, uint pathId = 0)
    {
        ArgumentNullException.ThrowIfNull(keys);
        payloadLength = 0;
        int payloadOffset = pnOffset + pnLength;
        if (pnLength is < 1 or > 4 || payloadOffset + PacketKeys.TagLength > source.Length || packet.Length < source.Length) return false;
        var body = source[payloadOffset..];
        // RFC 9001 §5.3: the associated data is the unprotected header, through the packet number.
        var plaintext = packet.Slice(payloadOffset, body.Length - PacketKeys.TagLength);
        if (!(pathId == 0 ? keys.TryOpen(pn, packet[..payloadOffset], body, plaintext) : keys.TryOpen(pathId, pn, packet[..payloadOffset], body, plaintext)))
            return false;
        payloadLength = body.Length - PacketKeys.TagLength;
        return true;
    }

    private static void ApplyMask(Span<byte> packet, int pnOffset, int pnLength, ReadOnlySpan<byte> mask)
    {
        // RFC 9001 §5.4.1: long header → low 4 bits of byte 0; short header → low 5 bits (incl. key phase).
        bool isLong = (packet[0] & 0x80) != 0;
        packet[0] ^= (byte)(mask[0] & (isLong ? 0x0f : 0x1f));
        for (int i = 0; i < pnLength; i++)
            packet[pnOffset + i] ^= mask[1 + i];
    }
}
