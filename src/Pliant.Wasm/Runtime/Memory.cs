using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pliant.Wasm.Runtime;

/// <summary>A linear memory: a byte array grown in 64 KiB pages, every access bounds-checked.</summary>
public sealed class Memory
{
    /// <summary>Page size in bytes.</summary>
    public const int PageSize = 65536;

    /// <summary>Largest memory a managed byte array can hold, in pages (just under 2 GiB).</summary>
    public const uint MaxPagesInArray = 32767;

    /// <summary>
    /// The bytes, replaced on growth by a larger array and never by a smaller one: compiled code reads this
    /// field directly and omits bounds checks it proved against the declared minimum size.
    /// </summary>
    public byte[] Buffer;

    /// <summary>Creates a memory of <paramref name="pages"/> pages with an optional maximum.</summary>
    public Memory(uint pages, uint? max, uint cap)
    {
        if (pages > cap) throw new WasmTrapException("memory size exceeds the engine's page cap");
        try
        {
            Buffer = new byte[(long)pages * PageSize];
        }
        catch (OutOfMemoryException)
        {
            throw new WasmTrapException("out of memory allocating linear memory");
        }
        Max = max;
        Cap = Math.Min(cap, MaxPagesInArray);
    }

    /// <summary>Declared maximum, in pages.</summary>
    public uint? Max { get; }

    /// <summary>Engine cap, in pages.</summary>
    public uint Cap { get; }

    /// <summary>Current size in pages.</summary>
    public int Pages => Buffer.Length / PageSize;

    /// <summary>The memory's contents, for the host to read and write.</summary>
    public Span<byte> Span => Buffer;

    /// <summary>memory.grow: returns the old size in pages, or -1.</summary>
    public int Grow(int delta)
    {
        uint old = (uint)Pages;
        ulong want = old + (ulong)(uint)delta;
        if (want > (Max ?? 65536u) || want > Cap) return -1;
        if (delta == 0) return (int)old;
        try
        {
            var nb = new byte[(long)want * PageSize];
            Buffer.AsSpan().CopyTo(nb);
            Buffer = nb;
        }
        catch (OutOfMemoryException)
        {
            return -1;
        }
        return (int)old;
    }

    /// <summary>
    /// Bounds check against a memory of <paramref name="length"/> bytes: returns the effective address or
    /// traps. Native-sized, so the JIT indexes with the zero-extended address as it is.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint Ea(nuint length, int addr, long offset, int size)
    {
        // Signed 64-bit: ea < 2^33 and length - size >= -16, so neither side wraps; length - size is
        // loop-invariant, so the JIT hoists it and the check is one compare of the address itself.
        long ea = (long)(uint)addr + offset;
        if (ea > (long)length - size) Trap.OutOfBounds();
        return (nuint)ea;
    }

    /// <summary>
    /// The first byte of <paramref name="buffer"/>. Generated code keeps it with the length in two locals
    /// (reloaded whenever the memory may have grown) and passes both to the access helpers below: a loop
    /// then needs neither the array's length field nor its data offset per access.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref byte Data(byte[] buffer) => ref MemoryMarshal.GetArrayDataReference(buffer);

#pragma warning disable CS1591
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LoadI32(ref byte m, nuint len, int addr, long off) => Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref m, Ea(len, addr, off, 4)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LoadI64(ref byte m, nuint len, int addr, long off) => Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref m, Ea(len, addr, off, 8)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadF32(ref byte m, nuint len, int addr, long off) => Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref m, Ea(len, addr, off, 4)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double LoadF64(ref byte m, nuint len, int addr, long off) => Unsafe.ReadUnaligned<double>(ref Unsafe.Add(ref m, Ea(len, addr, off, 8)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Load8S(ref byte m, nuint len, int addr, long off) => (sbyte)Unsafe.Add(ref m, Ea(len, addr, off, 1));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Load8U(ref byte m, nuint len, int addr, long off) => Unsafe.Add(ref m, Ea(len, addr, off, 1));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Load16S(ref byte m, nuint len, int addr, long off) => Unsafe.ReadUnaligned<short>(ref Unsafe.Add(ref m, Ea(len, addr, off, 2)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Load16U(ref byte m, nuint len, int addr, long off) => Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref m, Ea(len, addr, off, 2)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Load32S(ref byte m, nuint len, int addr, long off) => LoadI32(ref m, len, addr, off);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Load32U(ref byte m, nuint len, int addr, long off) => (uint)LoadI32(ref m, len, addr, off);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreI32(ref byte m, nuint len, int addr, int v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref m, Ea(len, addr, off, 4)), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreI64(ref byte m, nuint len, int addr, long v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref m, Ea(len, addr, off, 8)), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreF32(ref byte m, nuint len, int addr, float v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref m, Ea(len, addr, off, 4)), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreF64(ref byte m, nuint len, int addr, double v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref m, Ea(len, addr, off, 8)), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store8(ref byte m, nuint len, int addr, int v, long off) => Unsafe.Add(ref m, Ea(len, addr, off, 1)) = (byte)v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16(ref byte m, nuint len, int addr, int v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref m, Ea(len, addr, off, 2)), (short)v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store8L(ref byte m, nuint len, int addr, long v, long off) => Unsafe.Add(ref m, Ea(len, addr, off, 1)) = (byte)v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16L(ref byte m, nuint len, int addr, long v, long off) => Store16(ref m, len, addr, (int)v, off);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store32L(ref byte m, nuint len, int addr, long v, long off) => StoreI32(ref m, len, addr, (int)v, off);
#pragma warning restore CS1591
}
