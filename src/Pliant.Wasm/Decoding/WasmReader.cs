using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace Pliant.Wasm.Decoding;

/// <summary>Cursor over a byte span with the binary format's primitive decoders (LEB128, floats, names).</summary>
[System.Runtime.CompilerServices.SkipLocalsInit] // see FunctionCompiler
internal ref struct WasmReader
{
    private readonly ReadOnlySpan<byte> _data;

    public WasmReader(ReadOnlySpan<byte> data, int position = 0)
    {
        _data = data;
        Position = position;
    }

    public int Position;

    public readonly int Length => _data.Length;

    public readonly ReadOnlySpan<byte> Full => _data;

    public readonly bool AtEnd => Position >= _data.Length;

    public static WasmMalformedException Eof() => new("unexpected end");

    // Inlined (a method that throws is not): every byte of a module is read here or by ReadU32/ReadSigned's one-byte path.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadByte()
    {
        int p = Position;
        if ((uint)p >= (uint)_data.Length) ThrowEof();
        Position = p + 1;
        return _data[p];
    }

    [DoesNotReturn]
    private static void ThrowEof() => throw Eof();

    public ReadOnlySpan<byte> ReadBytes(int n)
    {
        if (n < 0 || n > _data.Length - Position) throw Eof();
        var s = _data.Slice(Position, n);
        Position += n;
        return s;
    }

    /// <summary>An unsigned LEB128 of at most 32 bits; one-byte values (most indices and immediates) inline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadU32()
    {
        int p = Position;
        if ((uint)p < (uint)_data.Length && _data[p] < 0x80)
        {
            Position = p + 1;
            return _data[p];
        }
        return ReadU32Long();
    }

    private uint ReadU32Long()
    {
        uint result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = ReadByte();
            if (shift == 28 && (b & 0x70) != 0)
                throw new WasmMalformedException((b & 0x80) != 0 ? "integer representation too long" : "integer too large");
            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
            if (shift == 28) throw new WasmMalformedException("integer representation too long");
        }
    }

    public int ReadS32()
    {
        int p = Position;
        if ((uint)p < (uint)_data.Length && _data[p] < 0x80)
        {
            Position = p + 1;
            return (sbyte)(byte)(_data[p] << 1) >> 1;
        }
        return ReadS32Long();
    }

    /// <summary>
    /// <see cref="ReadSignedLong"/> for 32 bits, with the bytes read directly when all five an encoding may take are there
    /// (the same value and, at the fifth byte, the same checks); otherwise (near the end) by ReadSignedLong itself.
    /// </summary>
    private int ReadS32Long()
    {
        int p = Position;
        var d = _data;
        if ((uint)(p + 4) >= (uint)d.Length) return (int)ReadSignedLong(32);
        int result = d[p] & 0x7F;
        for (int i = 1; i < 4; i++)
        {
            int b = d[p + i];
            result |= (b & 0x7F) << 7 * i;
            if (b < 0x80)
            {
                // The last byte's bit 6 is the sign of the 7 * (i + 1) bits read.
                Position = p + i + 1;
                int unused = 32 - 7 * (i + 1);
                return result << unused >> unused;
            }
        }
        // Fifth byte: no continuation, and its unused high bits all equal the sign bit (spec §5.2.2).
        int last = d[p + 4];
        if ((last & 0x80) != 0) throw new WasmMalformedException("integer representation too long");
        int upper = (last & 0x7F) >> 3;
        if (upper != 0 && upper != 0xF) throw new WasmMalformedException("integer too large");
        Position = p + 5;
        return result | last << 28;
    }

    public long ReadS64() => ReadSigned(64);

    public long ReadS33() => ReadSigned(33);

    private long ReadSigned(int bits)
    {
        // One byte (a value in [-64, 63]): never the last byte of a 32-, 33- or 64-bit encoding, so nothing to check.
        int p = Position;
        if ((uint)p < (uint)_data.Length && _data[p] < 0x80)
        {
            Position = p + 1;
            return (long)(sbyte)(byte)(_data[p] << 1) >> 1;
        }
        return ReadSignedLong(bits);
    }

    private long ReadSignedLong(int bits)
    {
        long result = 0;
        int shift = 0;
        int maxBytes = (bits + 6) / 7;
        for (int i = 0; ; i++)
        {
            byte b = ReadByte();
            if (i == maxBytes - 1)
            {
                // Last byte: the unused high bits must all equal the sign bit.
                if ((b & 0x80) != 0) throw new WasmMalformedException("integer representation too long");
                int used = bits - shift;
                int upper = (b & 0x7F) >> (used - 1);
                if (upper != 0 && upper != (1 << (8 - used)) - 1) throw new WasmMalformedException("integer too large");
                result |= (long)(b & 0x7F) << shift;
                return bits == 64 ? result : (result << (64 - bits)) >> (64 - bits);
            }
            result |= (long)(b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0)
            {
                if (shift < 64 && (b & 0x40) != 0) result |= -1L << shift;
                return result;
            }
        }
    }

    public uint ReadF32Bits() => (uint)(ReadByte() | ReadByte() << 8 | ReadByte() << 16 | ReadByte() << 24);

    public ulong ReadF64Bits()
    {
        ulong lo = ReadF32Bits();
        ulong hi = ReadF32Bits();
        return lo | hi << 32;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public string ReadName()
    {
        uint n = ReadU32();
        var bytes = ReadBytes(checked((int)Math.Min(n, int.MaxValue)));
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new WasmMalformedException("malformed UTF-8 encoding");
        }
    }
}
