using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Pliant.Quic.Wire;

/// <summary>Variable-length integers (RFC 9000 §16): 1, 2, 4 or 8 bytes, 62-bit values.</summary>
public static class VarInt
{
    /// <summary>The largest value a varint can hold, 2^62-1.</summary>
    public const ulong Max = (1UL << 62) - 1;

    /// <summary>Bytes needed to encode <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Length(ulong value) => value switch
    {
        < 0x40 => 1,
        < 0x4000 => 2,
        < 0x4000_0000 => 4,
        <= Max => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(value), "varint values are below 2^62"),
    };

    /// <summary>Length in bytes given the first byte of an encoding (its two high bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LengthFromFirstByte(byte first) => 1 << (first >> 6);

    /// <summary>Writes <paramref name="value"/> with the shortest encoding; returns bytes written.</summary>
    public static int Write(Span<byte> dest, ulong value)
    {
        int len = Length(value);
        WriteWithLength(dest, value, len);
        return len;
    }

    /// <summary>Writes <paramref name="value"/> using exactly <paramref name="length"/> bytes (1, 2, 4, 8).</summary>
    public static void WriteWithLength(Span<byte> dest, ulong value, int length)
    {
        switch (length)
        {
            case 1: dest[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16BigEndian(dest, (ushort)(0x4000 | value)); break;
            case 4: BinaryPrimitives.WriteUInt32BigEndian(dest, (uint)(0x8000_0000 | value)); break;
            case 8: BinaryPrimitives.WriteUInt64BigEndian(dest, 0xC000_0000_0000_0000 | value); break;
            default: throw new ArgumentOutOfRangeException(nameof(length));
        }
    }

    /// <summary>Reads a varint; false if <paramref name="src"/> is too short.</summary>
    public static bool TryRead(ReadOnlySpan<byte> src, out ulong value, out int length)
    {
        if (src.IsEmpty) { value = 0; length = 0; return false; }
        length = LengthFromFirstByte(src[0]);
        if (src.Length < length) { value = 0; return false; }
        value = length switch
        {
            1 => src[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(src) & 0x3FFFu,
            4 => BinaryPrimitives.ReadUInt32BigEndian(src) & 0x3FFF_FFFFu,
            _ => BinaryPrimitives.ReadUInt64BigEndian(src) & 0x3FFF_FFFF_FFFF_FFFFUL,
        };
        return true;
    }
}
