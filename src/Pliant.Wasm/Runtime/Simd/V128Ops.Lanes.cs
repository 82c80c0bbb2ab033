using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector128<byte>;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// WebAssembly 2.0 fixed-width SIMD (spec §4.4.3 "Vector Instructions", §4.3 numerics), called from
/// generated code. A <c>v128</c> is a <see cref="Vector128{T}"/> of bytes everywhere (locals, stack
/// slots, parameters, globals); each operator reinterprets it as its lane shape, which costs nothing.
/// <para>Lane 0 is the lowest-addressed lane (spec §4.3.1 <c>lanes</c>: little-endian), as in
/// <see cref="Vector128{T}"/> element 0, so no reordering is ever needed.</para>
/// <para>Every operator has an x86 path (SSE2 to AVX-512, chosen when the JIT compiles the caller,
/// so unused paths cost nothing) where a plain <see cref="Vector128"/> operation would be slow or has
/// different semantics, and a portable path built from <see cref="Vector128"/> operations whose
/// semantics .NET defines per element — the scalar fallback used when the hardware (or
/// <c>DOTNET_EnableHWIntrinsic=0</c>) provides no vector instructions.</para>
/// </summary>
public static partial class V128Ops
{
#pragma warning disable CS1591
    private const MethodImplOptions Inl = MethodImplOptions.AggressiveInlining;

    // ---- constants, splats, lanes (spec §4.4.3.1–4.4.3.6) --------------------------------------

    /// <summary><c>v128.const</c> from its two little-endian halves (folded to a constant by the JIT).</summary>
    [MethodImpl(Inl)] public static V Const(long lo, long hi) => Vector128.Create(lo, hi).AsByte();

    [MethodImpl(Inl)] public static V I8x16Splat(int x) => Vector128.Create((byte)x);
    [MethodImpl(Inl)] public static V I16x8Splat(int x) => Vector128.Create((short)x).AsByte();
    [MethodImpl(Inl)] public static V I32x4Splat(int x) => Vector128.Create(x).AsByte();
    [MethodImpl(Inl)] public static V I64x2Splat(long x) => Vector128.Create(x).AsByte();
    [MethodImpl(Inl)] public static V F32x4Splat(float x) => Vector128.Create(BitConverter.SingleToInt32Bits(x)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Splat(double x) => Vector128.Create(x).AsByte();

    // The lane index is a validated immediate (< lane count), a constant once inlined.
    [MethodImpl(Inl)] public static int I8x16ExtractLaneS(V v, int lane) => v.AsSByte().GetElement(lane);
    [MethodImpl(Inl)] public static int I8x16ExtractLaneU(V v, int lane) => v.GetElement(lane);
    [MethodImpl(Inl)] public static int I16x8ExtractLaneS(V v, int lane) => v.AsInt16().GetElement(lane);
    [MethodImpl(Inl)] public static int I16x8ExtractLaneU(V v, int lane) => v.AsUInt16().GetElement(lane);
    [MethodImpl(Inl)] public static int I32x4ExtractLane(V v, int lane) => v.AsInt32().GetElement(lane);
    [MethodImpl(Inl)] public static long I64x2ExtractLane(V v, int lane) => v.AsInt64().GetElement(lane);
    // f32 lanes move as their bits: a float taken from a constant vector would otherwise become a JIT
    // float constant, which loses signalling NaNs (see FloatConstants.OpaqueZero).
    [MethodImpl(Inl)] public static float F32x4ExtractLane(V v, int lane) => Numerics.F32FromBits(v.AsInt32().GetElement(lane));
    [MethodImpl(Inl)] public static double F64x2ExtractLane(V v, int lane) => v.AsDouble().GetElement(lane);

    [MethodImpl(Inl)] public static V I8x16ReplaceLane(V v, int x, int lane) => v.WithElement(lane, (byte)x);
    [MethodImpl(Inl)] public static V I16x8ReplaceLane(V v, int x, int lane) => v.AsInt16().WithElement(lane, (short)x).AsByte();
    [MethodImpl(Inl)] public static V I32x4ReplaceLane(V v, int x, int lane) => v.AsInt32().WithElement(lane, x).AsByte();
    [MethodImpl(Inl)] public static V I64x2ReplaceLane(V v, long x, int lane) => v.AsInt64().WithElement(lane, x).AsByte();
    [MethodImpl(Inl)] public static V F32x4ReplaceLane(V v, float x, int lane) => v.AsInt32().WithElement(lane, BitConverter.SingleToInt32Bits(x)).AsByte();
    [MethodImpl(Inl)] public static V F64x2ReplaceLane(V v, double x, int lane) => v.AsDouble().WithElement(lane, x).AsByte();

    /// <summary>
    /// <c>i8x16.shuffle</c>: the compiler turns the 16 immediate lane indices into one selector per
    /// operand (index into that operand, or 0x80 = "not from here"); both shuffles zero the lanes
    /// marked 0x80 (pshufb: high bit set; <see cref="Vector128.Shuffle(Vector128{byte}, Vector128{byte})"/>: index ≥ 16).
    /// </summary>
    [MethodImpl(Inl)]
    public static V Shuffle(V a, V b, V fromA, V fromB)
    {
        if (Ssse3.IsSupported) return Ssse3.Shuffle(a, fromA) | Ssse3.Shuffle(b, fromB);
        return Vector128.Shuffle(a, fromA) | Vector128.Shuffle(b, fromB);
    }

    /// <summary><c>i8x16.shuffle</c> whose lanes all come from the first operand.</summary>
    [MethodImpl(Inl)]
    public static V ShuffleOne(V a, V fromA) => Ssse3.IsSupported ? Ssse3.Shuffle(a, fromA) : Vector128.Shuffle(a, fromA);

    /// <summary>
    /// <c>i8x16.shuffle</c> that moves whole 32-bit lanes, result lanes 0 and 1 from <paramref name="a"/> and 2 and 3
    /// from <paramref name="b"/> (two bits of <paramref name="control"/> each, lowest first): one shufps (a pure
    /// move of bits; clang's narrowing of two i64x2 to their low halves), where two pshufb and an or were three µops.
    /// </summary>
    [MethodImpl(Inl)]
    public static V ShuffleDwordPairs(V a, V b, [ConstantExpected] byte control)
    {
        if (Sse.IsSupported) return Sse.Shuffle(a.AsSingle(), b.AsSingle(), control).AsByte();
        Vector128<uint> x = a.AsUInt32(), y = b.AsUInt32();
        return Vector128.Create(x.GetElement(control & 3), x.GetElement((control >> 2) & 3), y.GetElement((control >> 4) & 3), y.GetElement(control >> 6)).AsByte();
    }

    /// <summary><c>i8x16.shuffle</c> of whole 32-bit lanes of one operand: one pshufd, with no selector constant.</summary>
    [MethodImpl(Inl)]
    public static V ShuffleDwords(V a, [ConstantExpected] byte control)
    {
        if (Sse2.IsSupported) return Sse2.Shuffle(a.AsUInt32(), control).AsByte();
        var x = a.AsUInt32();
        return Vector128.Create(x.GetElement(control & 3), x.GetElement((control >> 2) & 3), x.GetElement((control >> 4) & 3), x.GetElement(control >> 6)).AsByte();
    }

    /// <summary><c>i8x16.swizzle</c>: indices ≥ 16 select 0 (spec §4.4.3.2).</summary>
    [MethodImpl(Inl)]
    public static V Swizzle(V a, V idx)
    {
        // pshufb uses the low 4 bits unless bit 7 is set: 0..15 -> 0x70..0x7F keeps them, 16..255 saturate to >= 0x80.
        if (Ssse3.IsSupported) return Ssse3.Shuffle(a, Sse2.AddSaturate(idx, Vector128.Create((byte)0x70)));
        return Vector128.Shuffle(a, idx);
    }

    // ---- bitwise (spec §4.3.2 vvunop/vvbinop/vvternop) -------------------------------------------

    [MethodImpl(Inl)] public static V Not(V a) => ~a;
    [MethodImpl(Inl)] public static V And(V a, V b) => a & b;
    [MethodImpl(Inl)] public static V AndNot(V a, V b) => Vector128.AndNot(a, b); // a & ~b
    [MethodImpl(Inl)] public static V Or(V a, V b) => a | b;
    [MethodImpl(Inl)] public static V Xor(V a, V b) => a ^ b;
    /// <summary><c>v128.bitselect(v1, v2, c)</c> = (v1 &amp; c) | (v2 &amp; ~c).</summary>
    [MethodImpl(Inl)] public static V Bitselect(V a, V b, V c) => Vector128.ConditionalSelect(c, a, b);

    // ---- tests and masks ---------------------------------------------------------------------------

    [MethodImpl(Inl)] public static int AnyTrue(V a) => a != V.Zero ? 1 : 0;
    [MethodImpl(Inl)] public static int I8x16AllTrue(V a) => Vector128.EqualsAny(a, V.Zero) ? 0 : 1;
    [MethodImpl(Inl)] public static int I16x8AllTrue(V a) => Vector128.EqualsAny(a.AsUInt16(), Vector128<ushort>.Zero) ? 0 : 1;
    [MethodImpl(Inl)] public static int I32x4AllTrue(V a) => Vector128.EqualsAny(a.AsUInt32(), Vector128<uint>.Zero) ? 0 : 1;
    [MethodImpl(Inl)] public static int I64x2AllTrue(V a) => Vector128.EqualsAny(a.AsUInt64(), Vector128<ulong>.Zero) ? 0 : 1;
    [MethodImpl(Inl)] public static int I8x16Bitmask(V a) => (int)a.ExtractMostSignificantBits();
    [MethodImpl(Inl)] public static int I16x8Bitmask(V a) => (int)a.AsUInt16().ExtractMostSignificantBits();
    [MethodImpl(Inl)] public static int I32x4Bitmask(V a) => (int)a.AsUInt32().ExtractMostSignificantBits();
    [MethodImpl(Inl)] public static int I64x2Bitmask(V a) => (int)a.AsUInt64().ExtractMostSignificantBits();
#pragma warning restore CS1591
}
