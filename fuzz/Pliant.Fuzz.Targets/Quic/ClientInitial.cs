using System.Buffers.Binary;
using Pliant.Quic;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Fuzz.Quic;

/// <summary>
/// Builds correctly protected client packets around arbitrary plaintext, so the fuzzer's bytes reach
/// frame parsing instead of dying at decryption. The Initial keys are public: they derive from the
/// client's first Destination Connection ID (RFC 9001 §5.2); Handshake and 1-RTT keys come from a
/// real handshake (<see cref="HandshakenClient"/>).
/// </summary>
public static class ClientInitial
{
    /// <summary>The client's first Destination Connection ID (8 bytes: the minimum, RFC 9000 §7.2).</summary>
    public static ReadOnlySpan<byte> Dcid => [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

    /// <summary>The client's Source Connection ID.</summary>
    public static ReadOnlySpan<byte> Scid => [0xc1, 0x1e, 0x47, 0x00, 0x00, 0x00, 0x00, 0x01];

    /// <summary>Most plaintext per packet (keeps the 2-byte Length field and a run cheap).</summary>
    public const int MaxPlaintext = 4000;

    private const int PacketNumberLength = 4;
    private static readonly Lazy<PacketKeys> s_keys = new(() =>
    {
        InitialSecrets.CreateKeys(QuicVersion.V1, Dcid, isServer: false, out var send, out _);
        return send;
    });

    /// <summary>
    /// One datagram holding one QUIC v1 Initial with packet number <paramref name="pn"/> whose payload
    /// is <paramref name="plaintext"/> followed by PADDING up to a 1200-byte datagram (RFC 9000 §14.1).
    /// </summary>
    public static byte[] Datagram(ReadOnlySpan<byte> plaintext, uint pn) =>
        LongPacket(0x00, s_keys.Value, Dcid, plaintext, pn, padTo: 1200);

    /// <summary>
    /// A protected long-header packet (<paramref name="typeBits"/>: 0x00 Initial, 0x20 Handshake) from
    /// <see cref="Scid"/> to <paramref name="dcid"/>, padded with PADDING frames to <paramref name="padTo"/> bytes.
    /// </summary>
    public static byte[] LongPacket(byte typeBits, PacketKeys keys, ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> plaintext, uint pn, int padTo)
    {
        if (plaintext.Length > MaxPlaintext) plaintext = plaintext[..MaxPlaintext];
        bool initial = typeBits == 0x00;
        int pnOffset = 1 + 4 + 1 + dcid.Length + 1 + Scid.Length + (initial ? 1 : 0) + 2;
        // RFC 9001 §5.4.2: at least 4 bytes of PN + payload so the header protection sample fits.
        int payloadLength = Math.Max(Math.Max(plaintext.Length, 4), padTo - pnOffset - PacketNumberLength - PacketKeys.TagLength);
        var packet = new byte[pnOffset + PacketNumberLength + payloadLength + PacketKeys.TagLength];
        int p = 0;
        packet[p++] = (byte)(0xc0 | typeBits | (PacketNumberLength - 1)); // long header, fixed bit, 4-byte PN
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(p), QuicVersion.V1);
        p += 4;
        packet[p++] = (byte)dcid.Length;
        dcid.CopyTo(packet.AsSpan(p));
        p += dcid.Length;
        packet[p++] = (byte)Scid.Length;
        Scid.CopyTo(packet.AsSpan(p));
        p += Scid.Length;
        if (initial) packet[p++] = 0; // no token
        int length = PacketNumberLength + payloadLength + PacketKeys.TagLength;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(p), (ushort)(0x4000 | length));
        p += 2;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(p), pn);
        plaintext.CopyTo(packet.AsSpan(pnOffset + PacketNumberLength)); // the rest stays zero: PADDING frames
        PacketProtector.Protect(packet, pnOffset, PacketNumberLength, pn, keys);
        return packet;
    }

    /// <summary>A protected 1-RTT (short header) packet to <paramref name="dcid"/> (RFC 9000 §17.3.1).</summary>
    public static byte[] ShortPacket(PacketKeys keys, ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> plaintext, uint pn, bool keyPhase)
    {
        if (plaintext.Length > MaxPlaintext) plaintext = plaintext[..MaxPlaintext];
        int pnOffset = 1 + dcid.Length;
        int payloadLength = Math.Max(plaintext.Length, 4);
        var packet = new byte[pnOffset + PacketNumberLength + payloadLength + PacketKeys.TagLength];
        packet[0] = (byte)(0x40 | (keyPhase ? 0x04 : 0) | (PacketNumberLength - 1));
        dcid.CopyTo(packet.AsSpan(1));
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(pnOffset), pn);
        plaintext.CopyTo(packet.AsSpan(pnOffset + PacketNumberLength));
        PacketProtector.Protect(packet, pnOffset, PacketNumberLength, pn, keys);
        return packet;
    }

    /// <summary>A CRYPTO frame (RFC 9000 §19.6).</summary>
    public static byte[] CryptoFrame(ulong offset, ReadOnlySpan<byte> data)
    {
        var b = new byte[1 + 8 + 8 + data.Length];
        int n = 0;
        b[n++] = 0x06;
        n += VarInt.Write(b.AsSpan(n), offset);
        n += VarInt.Write(b.AsSpan(n), (ulong)data.Length);
        data.CopyTo(b.AsSpan(n));
        return b[..(n + data.Length)];
    }
}
