using System.Buffers;
using System.Text;

namespace Pliant.Http3.Qpack;

/// <summary>
/// String literals (RFC 7541 §5.2) with QPACK's N-bit prefix variant (RFC 9204 §4.1.2): the H flag is the
/// top bit of the N-bit prefix, the length an (N-1)-bit prefix integer. Strings map to octets as Latin-1.
/// </summary>
public static class QpackString
{
    /// <summary>Writes <paramref name="value"/>, Huffman-coded when that is shorter.</summary>
    public static void Encode(IBufferWriter<byte> writer, byte firstByteFlags, int prefixBits, string value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        int rawLen = Encoding.Latin1.GetByteCount(value);
        byte[]? rented = null;
        Span<byte> raw = rawLen <= 256 ? stackalloc byte[rawLen] : (rented = ArrayPool<byte>.Shared.Rent(rawLen)).AsSpan(0, rawLen);
        try
        {
            Encoding.Latin1.GetBytes(value, raw);
            Encode(writer, firstByteFlags, prefixBits, raw);
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Octet form of <see cref="Encode(IBufferWriter{byte}, byte, int, string)"/>.</summary>
    public static void Encode(IBufferWriter<byte> writer, byte firstByteFlags, int prefixBits, ReadOnlySpan<byte> raw)
    {
        ArgumentNullException.ThrowIfNull(writer);
        byte hFlag = (byte)(1 << (prefixBits - 1));
        int huffLen = Huffman.GetEncodedLength(raw);
        if (huffLen < raw.Length)
        {
            QpackInteger.Encode(writer, (byte)(firstByteFlags | hFlag), prefixBits - 1, (ulong)huffLen);
            int n = Huffman.Encode(raw, writer.GetSpan(huffLen));
            writer.Advance(n);
        }
        else
        {
            QpackInteger.Encode(writer, firstByteFlags, prefixBits - 1, (ulong)raw.Length);
            raw.CopyTo(writer.GetSpan(raw.Length));
            writer.Advance(raw.Length);
        }
    }

    /// <summary>
    /// Reads an N-bit prefix string literal at <paramref name="position"/>. Truncation, over-long strings
    /// (more than <paramref name="maxLength"/> encoded bytes) and bad Huffman data throw with <paramref name="error"/>.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> src, int prefixBits, ref int position, Http3ErrorCode error, int maxLength = int.MaxValue)
    {
        if (position >= src.Length) throw new Http3Exception(error, "truncated string literal");
        bool huffman = (src[position] & (1 << (prefixBits - 1))) != 0;
        ulong len = QpackInteger.Decode(src, prefixBits - 1, ref position, error);
        if (len > (ulong)(src.Length - position)) throw new Http3Exception(error, "string literal runs past the end");
        if (len > (ulong)maxLength) throw new Http3Exception(error, "string literal too long");
        ReadOnlySpan<byte> body = src.Slice(position, (int)len);
        position += (int)len;
        if (!huffman) return Encoding.Latin1.GetString(body);
        byte[] decoded = Huffman.Decode(body, error);
        return Encoding.Latin1.GetString(decoded);
    }
}
