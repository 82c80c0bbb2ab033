using System.Text;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>Small encoders for the connection-level frames the connection writes itself (RFC 9000 §19).</summary>
internal static class FrameWriter
{
    public static int Ping(Span<byte> dest)
    {
        if (dest.IsEmpty) return 0;
        dest[0] = 0x01;
        return 1;
    }

    public static int HandshakeDone(Span<byte> dest)
    {
        if (dest.IsEmpty) return 0;
        dest[0] = 0x1e;
        return 1;
    }

    /// <summary>CRYPTO header (type, offset, length); the data follows.</summary>
    public static int CryptoHeaderLength(ulong offset, int length) =>
        1 + VarInt.Length(offset) + VarInt.Length((ulong)length);

    public static int CryptoHeader(Span<byte> dest, ulong offset, int length)
    {
        dest[0] = 0x06;
        int n = 1 + VarInt.Write(dest[1..], offset);
        return n + VarInt.Write(dest[n..], (ulong)length);
    }

    /// <summary>PATH_CHALLENGE (0x1a) or PATH_RESPONSE (0x1b) with 8 bytes of data.</summary>
    public static int Path(Span<byte> dest, bool response, ulong data)
    {
        if (dest.Length < 9) return 0;
        dest[0] = response ? (byte)0x1b : (byte)0x1a;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(dest[1..], data);
        return 9;
    }

    public static int NewConnectionId(Span<byte> dest, ulong sequence, ulong retirePriorTo, ConnectionId cid, ReadOnlySpan<byte> token)
    {
        int need = 1 + VarInt.Length(sequence) + VarInt.Length(retirePriorTo) + 1 + cid.Length + 16;
        if (dest.Length < need) return 0;
        dest[0] = 0x18;
        int n = 1 + VarInt.Write(dest[1..], sequence);
        n += VarInt.Write(dest[n..], retirePriorTo);
        dest[n++] = (byte)cid.Length;
        cid.Span.CopyTo(dest[n..]);
        n += cid.Length;
        token[..16].CopyTo(dest[n..]);
        return n + 16;
    }

    public static int RetireConnectionId(Span<byte> dest, ulong sequence)
    {
        int need = 1 + VarInt.Length(sequence);
        if (dest.Length < need) return 0;
        dest[0] = 0x19;
        return 1 + VarInt.Write(dest[1..], sequence);
    }

    public static int NewToken(Span<byte> dest, ReadOnlySpan<byte> token)
    {
        int need = 1 + VarInt.Length((ulong)token.Length) + token.Length;
        if (dest.Length < need) return 0;
        dest[0] = 0x07;
        int n = 1 + VarInt.Write(dest[1..], (ulong)token.Length);
        token.CopyTo(dest[n..]);
        return n + token.Length;
    }

    /// <summary>DATAGRAM with a length field (type 0x31, RFC 9221 §4).</summary>
    public static int Datagram(Span<byte> dest, ReadOnlySpan<byte> data)
    {
        int need = 1 + VarInt.Length((ulong)data.Length) + data.Length;
        if (dest.Length < need) return 0;
        dest[0] = 0x31;
        int n = 1 + VarInt.Write(dest[1..], (ulong)data.Length);
        data.CopyTo(dest[n..]);
        return n + data.Length;
    }

    /// <summary>CONNECTION_CLOSE: transport (0x1c, with frame type) or application (0x1d).</summary>
    public static int ConnectionClose(Span<byte> dest, bool application, ulong errorCode, ulong frameType, string reason)
    {
        Span<byte> reasonBytes = stackalloc byte[Math.Min(Encoding.UTF8.GetMaxByteCount(reason.Length), 256)];
        int reasonLength = 0;
        if (reason.Length > 0)
        {
            // Keep reason phrases short: they travel in one packet.
            string r = reason.Length > 80 ? reason[..80] : reason;
            reasonLength = Encoding.UTF8.GetBytes(r, reasonBytes);
        }
        int need = 1 + VarInt.Length(errorCode) + (application ? 0 : VarInt.Length(frameType)) +
                   VarInt.Length((ulong)reasonLength) + reasonLength;
        if (dest.Length < need) return 0;
        dest[0] = application ? (byte)0x1d : (byte)0x1c;
        int n = 1 + VarInt.Write(dest[1..], errorCode);
        if (!application) n += VarInt.Write(dest[n..], frameType);
        n += VarInt.Write(dest[n..], (ulong)reasonLength);
        reasonBytes[..reasonLength].CopyTo(dest[n..]);
        return n + reasonLength;
    }
}
