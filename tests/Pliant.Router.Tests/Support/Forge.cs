using System.Buffers.Binary;
using System.Text;
using Pliant.Quic;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Router.Tests.Support;

/// <summary>
/// Builds client Initials from scratch, as an attacker can (the Initial keys follow from the DCID, RFC 9001
/// §5.2): ClientHellos with chosen names, lengths and fragmentation, under any DCID, cheaply enough for floods.
/// </summary>
internal static class Forge
{
    /// <summary>A ClientHello (RFC 8446 §4.1.2) with optional server_name and ALPN and <paramref name="padding"/> bytes of a padding extension.</summary>
    public static byte[] ClientHello(string? serverName, string[]? alpn = null, int padding = 0)
    {
        var body = new List<byte>();
        body.AddRange([0x03, 0x03]);
        body.AddRange(new byte[32]);
        body.Add(0); // legacy_session_id
        body.AddRange([0x00, 0x02, 0x13, 0x01]);
        body.AddRange([0x01, 0x00]);
        var ext = new List<byte>();
        if (serverName is not null)
        {
            var n = Encoding.ASCII.GetBytes(serverName);
            Ext(ext, 0, [.. U16(n.Length + 3), 0, .. U16(n.Length), .. n]);
        }
        if (alpn is { Length: > 0 })
        {
            var list = new List<byte>();
            foreach (var p in alpn)
            {
                list.Add((byte)p.Length);
                list.AddRange(Encoding.ASCII.GetBytes(p));
            }
            Ext(ext, 16, [.. U16(list.Count), .. list]);
        }
        Ext(ext, 43, [2, 0x03, 0x04]); // supported_versions: TLS 1.3
        if (padding > 0) Ext(ext, 21, new byte[padding]);
        body.AddRange(U16(ext.Count));
        body.AddRange(ext);
        return [0x01, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count, .. body];
    }

    /// <summary>
    /// Client Initial datagrams (1200 bytes each, packet numbers from 0) carrying <paramref name="crypto"/> from
    /// <paramref name="offset"/> in CRYPTO frames of at most <paramref name="perPacket"/> bytes.
    /// </summary>
    public static List<byte[]> Initials(ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> crypto, ulong offset = 0, int perPacket = 1000,
        uint version = QuicVersion.V1, int firstPacketNumber = 0)
    {
        var list = new List<byte[]>();
        int pn = firstPacketNumber;
        for (int at = 0; at < crypto.Length; at += perPacket)
        {
            var chunk = crypto.Slice(at, Math.Min(perPacket, crypto.Length - at));
            var frame = new byte[chunk.Length + 16];
            int n = CryptoFrame.Write(frame, offset + (ulong)at, chunk);
            list.Add(Initial(dcid, frame.AsSpan(0, n), version, pn++));
        }
        return list;
    }

    /// <summary>One protected client Initial holding <paramref name="frames"/>, padded to <paramref name="size"/> bytes (1200: a whole datagram).</summary>
    public static byte[] Initial(ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> frames, uint version = QuicVersion.V1, int packetNumber = 0, int size = 1200)
    {
        var d = new ConnectionId(dcid);
        var s = new ConnectionId([0x5c, 0x1d]);
        const int pnLength = 2;
        int headerLength = LongHeader.HeaderLength(PacketType.Initial, d, s, 0);
        var packet = new byte[size];
        LongHeader.Write(packet, PacketType.Initial, version, d, s, ReadOnlySpan<byte>.Empty, pnLength, out int lengthOffset);
        PacketNumber.Write(packet.AsSpan(headerLength), (ulong)packetNumber, pnLength);
        int payload = size - headerLength - pnLength - PacketKeys.TagLength;
        frames.CopyTo(packet.AsSpan(headerLength + pnLength)); // the rest stays zero: PADDING frames
        LongHeader.PatchLength(packet, lengthOffset, pnLength + payload + PacketKeys.TagLength);
        using var keys = InitialSecrets.CreateKeysFor(version, dcid, clientSide: true);
        PacketProtector.Protect(packet, headerLength, pnLength, (ulong)packetNumber, keys);
        return packet;
    }

    /// <summary>
    /// Small Initial packets (<paramref name="size"/> bytes each) carrying <paramref name="crypto"/> in <paramref name="perPacket"/>-byte
    /// CRYPTO frames, for coalescing several into one datagram (RFC 9000 §12.2).
    /// </summary>
    public static List<byte[]> InitialPackets(ReadOnlySpan<byte> dcid, ReadOnlySpan<byte> crypto, int perPacket, int size)
    {
        var list = new List<byte[]>();
        int pn = 0;
        for (int at = 0; at < crypto.Length; at += perPacket)
        {
            var chunk = crypto.Slice(at, Math.Min(perPacket, crypto.Length - at));
            var frame = new byte[chunk.Length + 16];
            int n = CryptoFrame.Write(frame, (ulong)at, chunk);
            list.Add(Initial(dcid, frame.AsSpan(0, n), QuicVersion.V1, pn++, size));
        }
        return list;
    }

    /// <summary>A server's long-header Handshake packet with <paramref name="scid"/> (unprotected filler: routers only read the header).</summary>
    public static byte[] ServerHandshakeHeader(ReadOnlySpan<byte> scid, ReadOnlySpan<byte> dcid)
    {
        var d = new List<byte> { 0xe0 };
        d.AddRange([0, 0, 0, 1]);
        d.Add((byte)dcid.Length);
        d.AddRange(dcid.ToArray());
        d.Add((byte)scid.Length);
        d.AddRange(scid.ToArray());
        d.AddRange([0x40, 40]); // Length 40
        d.AddRange(new byte[40]);
        return [.. d];
    }

    private static void Ext(List<byte> into, ushort type, byte[] data)
    {
        into.AddRange(U16(type));
        into.AddRange(U16(data.Length));
        into.AddRange(data);
    }

    private static byte[] U16(int v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v);
        return b;
    }
}
