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
    private static ref byte At(byte[] b, int addr, long off, int size) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b), Memory.Ea(b, addr, off, size));

    [MethodImpl(Inl)] private static T Read<T>(byte[] b, int addr, long off) where T : unmanaged => Unsafe.ReadUnaligned<T>(ref At(b, addr, off, Unsafe.SizeOf<T>()));

    [MethodImpl(Inl)] public static V Load(byte[] b, int addr, long off) => Read<V>(b, addr, off);

    // load MxN: 8 bytes widened lane by lane.
    [MethodImpl(Inl)] public static V Load8x8S(byte[] b, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(b, addr, off)).AsSByte()));
    [MethodImpl(Inl)] public static V Load8x8U(byte[] b, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(b, addr, off)).AsByte()));
    [MethodImpl(Inl)] public static V Load16x4S(byte[] b, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(b, addr, off)).AsInt16()));
    [MethodImpl(Inl)] public static V Load16x4U(byte[] b, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(b, addr, off)).AsUInt16()));
    [MethodImpl(Inl)] public static V Load32x2S(byte[] b, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(b, addr, off)).AsInt32()));
    [MethodImpl(Inl)] public static V Load32x2U(byte[] b, int addr, long off) => B(Vector128.WidenLower(Vector128.CreateScalar(Read<long>(b, addr, off)).AsUInt32()));

    [MethodImpl(Inl)] public static V Load8Splat(byte[] b, int addr, long off) => Vector128.Create(Read<byte>(b, addr, off));
    [MethodImpl(Inl)] public static V Load16Splat(byte[] b, int addr, long off) => B(Vector128.Create(Read<ushort>(b, addr, off)));
    [MethodImpl(Inl)] public static V Load32Splat(byte[] b, int addr, long off) => B(Vector128.Create(Read<uint>(b, addr, off)));
    [MethodImpl(Inl)] public static V Load64Splat(byte[] b, int addr, long off) => B(Vector128.Create(Read<ulong>(b, addr, off)));

    [MethodImpl(Inl)] public static V Load32Zero(byte[] b, int addr, long off) => B(Vector128.CreateScalar(Read<uint>(b, addr, off)));
    [MethodImpl(Inl)] public static V Load64Zero(byte[] b, int addr, long off) => B(Vector128.CreateScalar(Read<ulong>(b, addr, off)));

    [MethodImpl(Inl)] public static V Load8Lane(byte[] b, int addr, V v, long off, int lane) => v.WithElement(lane, Read<byte>(b, addr, off));
    [MethodImpl(Inl)] public static V Load16Lane(byte[] b, int addr, V v, long off, int lane) => B(v.AsUInt16().WithElement(lane, Read<ushort>(b, addr, off)));
    [MethodImpl(Inl)] public static V Load32Lane(byte[] b, int addr, V v, long off, int lane) => B(v.AsUInt32().WithElement(lane, Read<uint>(b, addr, off)));
    [MethodImpl(Inl)] public static V Load64Lane(byte[] b, int addr, V v, long off, int lane) => B(v.AsUInt64().WithElement(lane, Read<ulong>(b, addr, off)));

    [MethodImpl(Inl)] public static void Store(byte[] b, int addr, V v, long off) => Unsafe.WriteUnaligned(ref At(b, addr, off, 16), v);
    [MethodImpl(Inl)] public static void Store8Lane(byte[] b, int addr, V v, long off, int lane) => At(b, addr, off, 1) = v.GetElement(lane);
    [MethodImpl(Inl)] public static void Store16Lane(byte[] b, int addr, V v, long off, int lane) => Unsafe.WriteUnaligned(ref At(b, addr, off, 2), v.AsUInt16().GetElement(lane));
    [MethodImpl(Inl)] public static void Store32Lane(byte[] b, int addr, V v, long off, int lane) => Unsafe.WriteUnaligned(ref At(b, addr, off, 4), v.AsUInt32().GetElement(lane));
    [MethodImpl(Inl)] public static void Store64Lane(byte[] b, int addr, V v, long off, int lane) => Unsafe.WriteUnaligned(ref At(b, addr, off, 8), v.AsUInt64().GetElement(lane));
#pragma warning restore CS1591
}
