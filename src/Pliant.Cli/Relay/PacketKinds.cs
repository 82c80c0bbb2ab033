using System.Buffers.Binary;

namespace Pliant.Cli.Relay;

/// <summary>
/// Names the QUIC packets coalesced in a datagram from their unprotected header fields (RFC 8999 invariants,
/// RFC 9000 §17.2, RFC 9369 §3.2 for v2's type numbers): <c>I</c> Initial, <c>0</c> 0-RTT, <c>H</c> Handshake,
/// <c>R</c> Retry, <c>VN</c> Version Negotiation, <c>1</c> a short-header (1-RTT) packet, <c>?</c> what does
/// not parse; joined with '+', e.g. <c>I+H</c>. For the relay's trace only; an observer independent of Pliant's parser.
/// </summary>
public static class PacketKinds
{
    private const uint V2 = 0x6b3343cf;
    private const uint V2Draft = 0x709a50c4;

    /// <summary>The kinds of the packets in <paramref name="datagram"/>, at most 4 named.</summary>
    public static string Describe(ReadOnlySpan<byte> datagram)
    {
        var parts = new List<string>(2);
        var rest = datagram;
        while (rest.Length > 0 && parts.Count < 4)
        {
            if ((rest[0] & 0x80) == 0)
            {
                parts.Add("1"); // a short header runs to the end of the datagram
                break;
            }
            if (rest.Length < 7)
            {
                parts.Add("?");
                break;
            }
            var version = BinaryPrimitives.ReadUInt32BigEndian(rest[1..]);
            if (version == 0)
            {
                parts.Add("VN");
                break;
            }
            var type = (rest[0] >> 4) & 3;
            var isV2 = version is V2 or V2Draft;
            var kind = isV2 ? type switch { 1 => "I", 2 => "0", 3 => "H", _ => "R" } : type switch { 0 => "I", 1 => "0", 2 => "H", _ => "R" };
            parts.Add(kind);
            if (kind == "R") break;
            var at = 5;
            if (!Skip(rest, ref at, rest[at] + 1) || at >= rest.Length || !Skip(rest, ref at, rest[at] + 1)) break; // DCID, SCID
            if (kind == "I")
            {
                if (!ReadVarint(rest, ref at, out var tokenLength) || !Skip(rest, ref at, (long)tokenLength)) break;
            }
            if (!ReadVarint(rest, ref at, out var length) || !Skip(rest, ref at, (long)length)) break;
            rest = rest[at..];
        }
        return string.Join('+', parts);
    }

    private static bool Skip(ReadOnlySpan<byte> s, ref int at, long n)
    {
        if (n < 0 || at + n > s.Length) return false;
        at += (int)n;
        return true;
    }

    private static bool ReadVarint(ReadOnlySpan<byte> s, ref int at, out ulong value)
    {
        value = 0;
        if (at >= s.Length) return false;
        var len = 1 << (s[at] >> 6);
        if (at + len > s.Length) return false;
        value = (ulong)(s[at] & 0x3f);
        for (var i = 1; i < len; i++) value = value << 8 | s[at + i];
        at += len;
        return true;
    }
}
