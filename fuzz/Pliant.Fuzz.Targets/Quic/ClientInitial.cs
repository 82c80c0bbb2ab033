using System.Buffers.Binary;
using Pliant.Quic;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Fuzz.Quic;

/// <summary>
/// Builds correctly protected client Initial packets around arbitrary plaintext, so the fuzzer's bytes
/// reach frame parsing and the TLS ClientHello instead of dying at decryption. The Initial keys are
/// public: they derive from the client's first Destination Connection ID (RFC 9001 §5.2).
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
    public static byte[] Datagram(ReadOnlySpan<byte> plaintext, uint pn)
    {
        if (plaintext.Length > MaxPlaintext) plaintext = plaintext[..MaxPlaintext];
        int headerLength = 1 + 4 + 1 + Dcid.Length + 1 + Scid.Length + 1 + 2;
        int pnOffset = headerLength;
        int payloadLength = Math.Max(plaintext.Length, 1200 - pnOffset - PacketNumberLength - PacketKeys.TagLength);
        var packet = new byte[pnOffset + PacketNumberLength + payloadLength + PacketKeys.TagLength];
        int p = 0;
        packet[p++] = 0xc0 | (PacketNumberLength - 1); // long header, fixed bit, Initial, 4-byte PN
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(p), QuicVersion.V1);
        p += 4;
        packet[p++] = (byte)Dcid.Length;
        Dcid.CopyTo(packet.AsSpan(p));
        p += Dcid.Length;
        packet[p++] = (byte)Scid.Length;
        Scid.CopyTo(packet.AsSpan(p));
        p += Scid.Length;
        packet[p++] = 0; // no token
        int length = PacketNumberLength + payloadLength + PacketKeys.TagLength;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(p), (ushort)(0x4000 | length));
        p += 2;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(p), pn);
        plaintext.CopyTo(packet.AsSpan(pnOffset + PacketNumberLength)); // the rest stays zero: PADDING frames
        PacketProtector.Protect(packet, pnOffset, PacketNumberLength, pn, s_keys.Value);
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
