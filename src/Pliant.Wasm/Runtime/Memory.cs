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

    /// <summary>The bytes (replaced on growth). Generated code reads this field directly.</summary>
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
    /// Bounds check: returns the effective address or traps. Native-sized, so the JIT indexes the array with
    /// the zero-extended address as it is (an <c>int</c> result cost a sign extension per access).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint Ea(byte[] b, int addr, long offset, int size)
    {
        ulong ea = (ulong)(uint)addr + (ulong)offset;
        if (ea + (ulong)size > (ulong)b.Length) Trap.OutOfBounds();
        return (nuint)ea;
    }

#pragma warning disable CS1591
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LoadI32(byte[] b, int addr, long off) => Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 4)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LoadI64(byte[] b, int addr, long off) => Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 8)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LoadF32(byte[] b, int addr, long off) => Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 4)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double LoadF64(byte[] b, int addr, long off) => Unsafe.ReadUnaligned<double>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 8)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Load8S(byte[] b, int addr, long off) => (sbyte)Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 1));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Load8U(byte[] b, int addr, long off) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 1));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Load16S(byte[] b, int addr, long off) => Unsafe.ReadUnaligned<short>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 2)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Load16U(byte[] b, int addr, long off) => Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 2)));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Load32S(byte[] b, int addr, long off) => LoadI32(b, addr, off);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Load32U(byte[] b, int addr, long off) => (uint)LoadI32(b, addr, off);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreI32(byte[] b, int addr, int v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 4)), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreI64(byte[] b, int addr, long v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 8)), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreF32(byte[] b, int addr, float v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 4)), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreF64(byte[] b, int addr, double v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 8)), v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store8(byte[] b, int addr, int v, long off) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 1)) = (byte)v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16(byte[] b, int addr, int v, long off) => Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 2)), (short)v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store8L(byte[] b, int addr, long v, long off) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Ea(b, addr, off, 1)) = (byte)v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store16L(byte[] b, int addr, long v, long off) => Store16(b, addr, (int)v, off);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store32L(byte[] b, int addr, long v, long off) => StoreI32(b, addr, (int)v, off);
#pragma warning restore CS1591
}
