using System.Buffers.Binary;

namespace Pliant.Quic.Wire;

/// <summary>
/// Datagrams shaped like a client's first Initial — a valid QUIC v1 long header, an 8-byte random
/// DCID and SCID, no token, a Length that covers the rest — with a garbage payload that does not
/// decrypt: what an Initial flood sends. For the hostile tests and <c>pliant bench --flood</c>.
/// </summary>
internal static class SyntheticInitial
{
    /// <summary>Offset of the 8-byte DCID (change it per datagram for fresh Initial keys each time).</summary>
    public const int DcidOffset = 6;

    /// <summary>A junk Initial of <paramref name="length"/> bytes (at least 1200 to pass RFC 9000 §14.1).</summary>
    public static byte[] Junk(Random random, int length = 1200)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 64);
        var d = new byte[length];
        random.NextBytes(d);
        d[0] = 0xc3; // long header, fixed bit, Initial, 4-byte packet number
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(1), QuicVersion.V1);
        d[5] = 8;  // DCID length; DCID at 6..13
        d[14] = 8; // SCID length; SCID at 15..22
        d[23] = 0; // token length
        VarInt.WriteWithLength(d.AsSpan(24), (ulong)(length - 26), 2);
        return d;
    }

    /// <summary>Gives <paramref name="datagram"/> a fresh random DCID.</summary>
    public static void NewDcid(byte[] datagram, Random random) => random.NextBytes(datagram.AsSpan(DcidOffset, 8));
}
