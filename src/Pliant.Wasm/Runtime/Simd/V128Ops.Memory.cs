using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using V = System.Runtime.Intrinsics.Vector128<byte>;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// Vector loads and stores (spec §4.4.7). Every access is bounds-checked for the bytes it touches
/// (16, 8, 4, 2 or 1) before anything is read or written — a store that traps writes nothing — and
/// may be unaligned: the memarg alignment is only a hint.
/// </summary>
public static partial class V128Ops
{
#pragma warning disable CS1591
    [MethodImpl(Inl)]
    private static ref byte At(ref byte m, nuint len, int addr, long off, int size) =>
        ref Unsafe.Add(ref m, Memory.Ea(len, addr, off, size));

    [MethodImpl(Inl)] private static T Read<T>(ref byte m, nuint len, int addr, long off) where T : unmanaged => Unsafe.ReadUnaligned<T>(ref At(ref m, len, addr, off, Unsafe.SizeOf<T>()));

    [MethodImpl(Inl)] public static V Load(ref byte m, nuint len, int addr, long off) => Read<V>(ref m, len, addr, off);

    // load MxN: 8 bytes widened lane by lane.
    [MethodImpl(Inl)] public static V Load8x8S(ref byte m, nuint len, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(ref m, len, addr, off)).AsSByte()));
    [MethodImpl(Inl)] public static V Load8x8U(ref byte m, nuint len, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(ref m, len, addr, off)).AsByte()));
    [MethodImpl(Inl)] public static V Load16x4S(ref byte m, nuint len, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(ref m, len, addr, off)).AsInt16()));
    [MethodImpl(Inl)] public static V Load16x4U(ref byte m, nuint len, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(ref m, len, addr, off)).AsUInt16()));
    [MethodImpl(Inl)] public static V Load32x2S(ref byte m, nuint len, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(ref m, len, addr, off)).AsInt32()));
    [MethodImpl(Inl)] public static V Load32x2U(ref byte m, nuint len, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(ref m, len, addr, off)).AsUInt32()));

    [MethodImpl(Inl)] public static V Load8Splat(ref byte m, nuint len, int addr, long off) => Vector128.Create(Read<byte>(ref m, len, addr, off));
    [MethodImpl(Inl)] public static V Load16Splat(ref byte m, nuint len, int addr, long off) => B(Vector128.Create(Read<ushort>(ref m, len, addr, off)));
    [MethodImpl(Inl)] public static V Load32Splat(ref byte m, nuint len, int addr, long off) => B(Vector128.Create(Read<uint>(ref m, len, addr, off)));
    [MethodImpl(Inl)] public static V Load64Splat(ref byte m, nuint len, int addr, long off) => B(Vector128.Create(Read<ulong>(ref m, len, addr, off)));

    [MethodImpl(Inl)] public static V Load32Zero(ref byte m, nuint len, int addr, long off) => B(Vector128.CreateScalar(Read<uint>(ref m, len, addr, off)));
    [MethodImpl(Inl)] public static V Load64Zero(ref byte m, nuint len, int addr, long off) => B(Vector128.CreateScalar(Read<ulong>(ref m, len, addr, off)));

    [MethodImpl(Inl)] public static V Load8Lane(ref byte m, nuint len, int addr, V v, long off, int lane) => v.WithElement(lane, Read<byte>(ref m, len, addr, off));
    [MethodImpl(Inl)] public static V Load16Lane(ref byte m, nuint len, int addr, V v, long off, int lane) => B(v.AsUInt16().WithElement(lane, Read<ushort>(ref m, len, addr, off)));
    [MethodImpl(Inl)] public static V Load32Lane(ref byte m, nuint len, int addr, V v, long off, int lane) => B(v.AsUInt32().WithElement(lane, Read<uint>(ref m, len, addr, off)));
    [MethodImpl(Inl)] public static V Load64Lane(ref byte m, nuint len, int addr, V v, long off, int lane) => B(v.AsUInt64().WithElement(lane, Read<ulong>(ref m, len, addr, off)));

    [MethodImpl(Inl)] public static void Store(ref byte m, nuint len, int addr, V v, long off) => Unsafe.WriteUnaligned(ref At(ref m, len, addr, off, 16), v);
    [MethodImpl(Inl)] public static void Store8Lane(ref byte m, nuint len, int addr, V v, long off, int lane) => At(ref m, len, addr, off, 1) = v.GetElement(lane);
    [MethodImpl(Inl)] public static void Store16Lane(ref byte m, nuint len, int addr, V v, long off, int lane) => Unsafe.WriteUnaligned(ref At(ref m, len, addr, off, 2), v.AsUInt16().GetElement(lane));
    [MethodImpl(Inl)] public static void Store32Lane(ref byte m, nuint len, int addr, V v, long off, int lane) => Unsafe.WriteUnaligned(ref At(ref m, len, addr, off, 4), v.AsUInt32().GetElement(lane));
    [MethodImpl(Inl)] public static void Store64Lane(ref byte m, nuint len, int addr, V v, long off, int lane) => Unsafe.WriteUnaligned(ref At(ref m, len, addr, off, 8), v.AsUInt64().GetElement(lane));
#pragma warning restore CS1591
}
