using System.Buffers;
using Pliant.Quic;
using Pliant.Quic.Wire;

namespace Pliant.Router;

/// <summary>
/// Long-header parsing for a router, which is no endpoint: RFC 9287 lets a peer that saw the grease_quic_bit
/// transport parameter clear the QUIC Bit (0x40) of its packets, and the bit is no invariant (RFC 8999 §5.1), so a
/// router between, e.g., ngtcp2's client and server sees long-header packets that an endpoint's parser
/// (<see cref="PacketHeader.TryParse"/>, RFC 9000 §17.2) discards. Those are parsed as if the bit were set: a copy
/// with the bit set (rare: pooled buffer, no steady-state allocation); offsets and IDs are those of the original, FirstByte has the bit set.
/// </summary>
internal static class LenientHeader
{
    public static bool TryParse(ReadOnlySpan<byte> packet, out PacketHeader h)
    {
        if (PacketHeader.TryParse(packet, 0, out h)) return true;
        if (packet.Length < 7 || (packet[0] & 0xc0) != 0x80) return false; // not a long header with the QUIC Bit cleared
        if (!QuicVersion.IsSupported(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(packet[1..]))) return false;
        var copy = ArrayPool<byte>.Shared.Rent(packet.Length);
        try
        {
            packet.CopyTo(copy);
            copy[0] |= 0x40;
            if (!PacketHeader.TryParse(copy.AsSpan(0, packet.Length), 0, out h)) return false;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }
}
