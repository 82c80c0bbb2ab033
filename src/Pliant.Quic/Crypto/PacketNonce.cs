using System.Buffers.Binary;

namespace Pliant.Quic.Crypto;

/// <summary>
/// AEAD nonces for packet protection: RFC 9001 §5.3 (IV XOR packet number) and the multipath form of
/// draft-ietf-quic-multipath-21 §2.4 (IV XOR path-and-packet-number). Neither allocates.
/// </summary>
public static class PacketNonce
{
    /// <summary>Length of the path-and-packet-number (PPN), 96 bits (draft-ietf-quic-multipath-21 §2.4).</summary>
    public const int PathAndPacketNumberLength = 12;

    /// <summary>The largest packet number, 2^62-1 (RFC 9000 §12.3).</summary>
    public const ulong MaxPacketNumber = (1UL << 62) - 1;

    /// <summary>
    /// RFC 9001 §5.3: the 62-bit packet number, left-padded with zeros to the IV's size, XORed with the
    /// IV. <paramref name="nonce"/> must be as long as <paramref name="iv"/> (at least 8 bytes).
    /// </summary>
    public static void Build(ReadOnlySpan<byte> iv, ulong packetNumber, Span<byte> nonce)
    {
        CheckLengths(iv, nonce, 8);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packetNumber, MaxPacketNumber);
        iv.CopyTo(nonce);
        Span<byte> tail = nonce[^8..];
        BinaryPrimitives.WriteUInt64BigEndian(tail, BinaryPrimitives.ReadUInt64BigEndian(tail) ^ packetNumber);
    }

    /// <summary>
    /// draft-ietf-quic-multipath-21 §2.4: PPN = Path ID (32 bits) ‖ 0b00 ‖ packet number (62 bits), all
    /// in network byte order, left-padded with zeros to the IV's size and XORed with the IV. Path ID 0
    /// gives exactly the RFC 9001 nonce of <see cref="Build"/>. The IV (and <paramref name="nonce"/>,
    /// which must be as long) must be at least 12 bytes: a shorter AEAD nonce cannot carry the path ID.
    /// </summary>
    public static void BuildMultipath(ReadOnlySpan<byte> iv, uint pathId, ulong packetNumber, Span<byte> nonce)
    {
        CheckLengths(iv, nonce, PathAndPacketNumberLength);
        // The two zero bits between path ID and packet number: a packet number never exceeds 2^62-1.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packetNumber, MaxPacketNumber);
        iv.CopyTo(nonce);
        Span<byte> ppn = nonce[^PathAndPacketNumberLength..];
        BinaryPrimitives.WriteUInt32BigEndian(ppn, BinaryPrimitives.ReadUInt32BigEndian(ppn) ^ pathId);
        Span<byte> pn = ppn[4..];
        BinaryPrimitives.WriteUInt64BigEndian(pn, BinaryPrimitives.ReadUInt64BigEndian(pn) ^ packetNumber);
    }

    private static void CheckLengths(ReadOnlySpan<byte> iv, Span<byte> nonce, int minimum)
    {
        if (iv.Length < minimum) throw new ArgumentException($"the IV must be at least {minimum} bytes", nameof(iv));
        if (nonce.Length != iv.Length) throw new ArgumentException("the nonce must be as long as the IV", nameof(nonce));
    }
}
