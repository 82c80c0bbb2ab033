using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector128<byte>;
using W = System.Runtime.Intrinsics.Vector256<byte>;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// The unchecked vector accesses of a vectorised counting loop (Compilation/Vectorize.cs), called from generated code,
/// and the 32-byte lane operations of loops over v128 values (two v128 lanes per <see cref="Vector256{T}"/>: each
/// operation is the WebAssembly SIMD one on both halves, exactly as <see cref="V128Ops"/> does it on one). The loop's
/// entry proved every byte the vector part touches inside the memory (one comparison per stream against the length
/// at entry; memory never shrinks and the loop cannot grow it), so the accesses check nothing. Unaligned.
/// </summary>
public static class VectorLoopOps
{
#pragma warning disable CS1591 // one line each, named after the WebAssembly operation they double
    private const MethodImplOptions Inl = MethodImplOptions.AggressiveInlining;

    /// <summary>The 16 bytes at <paramref name="at"/> (a pointer into linear memory proved in bounds).</summary>
    [MethodImpl(Inl)] public static V Load(ref byte at) => Unsafe.ReadUnaligned<V>(ref at);

    /// <summary>Writes <paramref name="v"/> to the 16 bytes at <paramref name="at"/> (a pointer into linear memory proved in bounds).</summary>
    [MethodImpl(Inl)] public static void Store(ref byte at, V v) => Unsafe.WriteUnaligned(ref at, v);

    /// <summary>The 32 bytes at <paramref name="at"/> (a pointer into linear memory proved in bounds).</summary>
    [MethodImpl(Inl)] public static W Load256(ref byte at) => Unsafe.ReadUnaligned<W>(ref at);

    /// <summary>Writes <paramref name="v"/> to the 32 bytes at <paramref name="at"/> (a pointer into linear memory proved in bounds).</summary>
    [MethodImpl(Inl)] public static void Store256(ref byte at, W v) => Unsafe.WriteUnaligned(ref at, v);

    /// <summary>A v128 in both halves (an invariant v128 local, once per loop).</summary>
    [MethodImpl(Inl)] public static W Join(V v) => Vector256.Create(v, v);

    /// <summary>A 32-byte constant from four little-endian 8-byte parts.</summary>
    [MethodImpl(Inl)] public static W Const256(long a, long b, long c, long d) => Vector256.Create(a, b, c, d).AsByte();

    [MethodImpl(Inl)] public static W And256(W a, W b) => a & b;
    [MethodImpl(Inl)] public static W Or256(W a, W b) => a | b;
    [MethodImpl(Inl)] public static W Xor256(W a, W b) => a ^ b;
    [MethodImpl(Inl)] public static W I32x8Add(W a, W b) => (a.AsUInt32() + b.AsUInt32()).AsByte();
    [MethodImpl(Inl)] public static W I32x8Sub(W a, W b) => (a.AsUInt32() - b.AsUInt32()).AsByte();
    [MethodImpl(Inl)] public static W I32x8Mul(W a, W b) => (a.AsUInt32() * b.AsUInt32()).AsByte();
    [MethodImpl(Inl)] public static W I64x4Add(W a, W b) => (a.AsUInt64() + b.AsUInt64()).AsByte();
    [MethodImpl(Inl)] public static W I64x4Sub(W a, W b) => (a.AsUInt64() - b.AsUInt64()).AsByte();
    [MethodImpl(Inl)] public static W I64x4Mul(W a, W b) => (a.AsUInt64() * b.AsUInt64()).AsByte();
    // Sign operations are bitwise, so NaN payloads pass through (spec §4.3.3 fabs, fneg), as in V128Ops.
    [MethodImpl(Inl)] public static W F32x8Abs(W a) => (a.AsUInt32() & Vector256.Create(0x7FFFFFFFu)).AsByte();
    [MethodImpl(Inl)] public static W F32x8Neg(W a) => (a.AsUInt32() ^ Vector256.Create(0x80000000u)).AsByte();
    [MethodImpl(Inl)] public static W F32x8Sqrt(W a) => Vector256.Sqrt(a.AsSingle()).AsByte();
    [MethodImpl(Inl)] public static W F32x8Add(W a, W b) => (a.AsSingle() + b.AsSingle()).AsByte();
    [MethodImpl(Inl)] public static W F32x8Sub(W a, W b) => (a.AsSingle() - b.AsSingle()).AsByte();
    [MethodImpl(Inl)] public static W F32x8Mul(W a, W b) => (a.AsSingle() * b.AsSingle()).AsByte();
    [MethodImpl(Inl)] public static W F32x8Div(W a, W b) => (a.AsSingle() / b.AsSingle()).AsByte();
    [MethodImpl(Inl)] public static W F64x4Abs(W a) => (a.AsUInt64() & Vector256.Create(0x7FFFFFFFFFFFFFFFUL)).AsByte();
    [MethodImpl(Inl)] public static W F64x4Neg(W a) => (a.AsUInt64() ^ Vector256.Create(0x8000000000000000UL)).AsByte();
    [MethodImpl(Inl)] public static W F64x4Sqrt(W a) => Vector256.Sqrt(a.AsDouble()).AsByte();
    [MethodImpl(Inl)] public static W F64x4Add(W a, W b) => (a.AsDouble() + b.AsDouble()).AsByte();
    [MethodImpl(Inl)] public static W F64x4Sub(W a, W b) => (a.AsDouble() - b.AsDouble()).AsByte();
    [MethodImpl(Inl)] public static W F64x4Mul(W a, W b) => (a.AsDouble() * b.AsDouble()).AsByte();
    [MethodImpl(Inl)] public static W F64x4Div(W a, W b) => (a.AsDouble() / b.AsDouble()).AsByte();
}
