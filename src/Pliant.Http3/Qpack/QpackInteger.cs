using System.Buffers;
using Pliant.Quic.Wire;

namespace Pliant.Http3.Qpack;

/// <summary>Prefixed integers (RFC 7541 §5.1, used unmodified by RFC 9204 §4.1.1), up to 62 bits.</summary>
public static class QpackInteger
{
    /// <summary>
    /// Writes <paramref name="value"/> with an N-bit prefix; <paramref name="firstByteFlags"/> holds the bits
    /// above the prefix in the first byte.
    /// </summary>
    public static void Encode(IBufferWriter<byte> writer, byte firstByteFlags, int prefixBits, ulong value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> buf = writer.GetSpan(11);
        int n = Encode(buf, firstByteFlags, prefixBits, value);
        writer.Advance(n);
    }

    /// <summary>Span form of <see cref="Encode(IBufferWriter{byte}, byte, int, ulong)"/>; returns bytes written.</summary>
    public static int Encode(Span<byte> dest, byte firstByteFlags, int prefixBits, ulong value)
    {
        if (prefixBits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(prefixBits));
        ulong max = (1UL << prefixBits) - 1;
        if (value < max)
        {
            dest[0] = (byte)(firstByteFlags | (byte)value);
            return 1;
        }
        dest[0] = (byte)(firstByteFlags | (byte)max);
        value -= max;
        int i = 1;
        // RFC 7541 §5.1: 7 bits per continuation byte, least significant group first, MSB = "more".
        while (value >= 0x80)
        {
            dest[i++] = (byte)(0x80 | (value & 0x7F));
            value >>= 7;
        }
        dest[i++] = (byte)value;
        return i;
    }

    /// <summary>
    /// Reads an N-bit prefix integer. False when <paramref name="src"/> ends first; throws
    /// <see cref="Http3Exception"/> with <paramref name="error"/> for values above 2^62-1.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> src, int prefixBits, out ulong value, out int consumed, Http3ErrorCode error)
    {
        value = 0;
        consumed = 0;
        if (src.IsEmpty) return false;
        ulong max = (1UL << prefixBits) - 1;
        value = src[0] & max;
        if (value < max)
        {
            consumed = 1;
            return true;
        }
        int shift = 0;
        for (int i = 1; i < src.Length; i++)
        {
            byte b = src[i];
            ulong part = (ulong)(b & 0x7F);
            // RFC 9204 §4.1.1: decoders must handle 62 bits; anything larger is an error.
            if (shift > 56 || (shift > 0 && part > (VarInt.Max >> shift)))
                throw new Http3Exception(error, "prefixed integer exceeds 62 bits");
            value += part << shift;
            if (value > VarInt.Max) throw new Http3Exception(error, "prefixed integer exceeds 62 bits");
            shift += 7;
            if ((b & 0x80) == 0)
            {
                consumed = i + 1;
                return true;
            }
        }
        value = 0;
        return false;
    }

    /// <summary>Like <see cref="TryDecode"/>, but truncation is also an error.</summary>
    public static ulong Decode(ReadOnlySpan<byte> src, int prefixBits, ref int position, Http3ErrorCode error)
    {
        if (!TryDecode(src[position..], prefixBits, out ulong v, out int n, error))
            throw new Http3Exception(error, "truncated prefixed integer");
        position += n;
        return v;
    }
}
