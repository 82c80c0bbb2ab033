using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector128<byte>;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// Floating-point lane operators and conversions (spec §4.3.3, §4.3.4). Arithmetic (add, sub, mul, div,
/// sqrt, rounding) is IEEE 754 per lane in hardware and in the portable path alike, and every NaN it
/// produces is quiet (an arithmetic NaN, spec §4.3.3 "NaN propagation"); min and max return the
/// canonical NaN; abs, neg and the pseudo-min/max are bit operations and selections that never
/// change a NaN.
/// </summary>
public static partial class V128Ops
{
#pragma warning disable CS1591
    [MethodImpl(Inl)] private static Vector128<float> F(V v) => v.AsSingle();
    [MethodImpl(Inl)] private static Vector128<double> D(V v) => v.AsDouble();

    // ---- comparisons (ordered, except ne which is true for NaN) ------------------------------------

    [MethodImpl(Inl)] public static V F32x4Eq(V a, V b) => Eq<float>(a, b);
    [MethodImpl(Inl)] public static V F32x4Ne(V a, V b) => Ne<float>(a, b);
    [MethodImpl(Inl)] public static V F32x4Lt(V a, V b) => Lt<float>(a, b);
    [MethodImpl(Inl)] public static V F32x4Gt(V a, V b) => Gt<float>(a, b);
    [MethodImpl(Inl)] public static V F32x4Le(V a, V b) => Le<float>(a, b);
    [MethodImpl(Inl)] public static V F32x4Ge(V a, V b) => Ge<float>(a, b);
    [MethodImpl(Inl)] public static V F64x2Eq(V a, V b) => Eq<double>(a, b);
    [MethodImpl(Inl)] public static V F64x2Ne(V a, V b) => Ne<double>(a, b);
    [MethodImpl(Inl)] public static V F64x2Lt(V a, V b) => Lt<double>(a, b);
    [MethodImpl(Inl)] public static V F64x2Gt(V a, V b) => Gt<double>(a, b);
    [MethodImpl(Inl)] public static V F64x2Le(V a, V b) => Le<double>(a, b);
    [MethodImpl(Inl)] public static V F64x2Ge(V a, V b) => Ge<double>(a, b);

    // ---- arithmetic ---------------------------------------------------------------------------------

    [MethodImpl(Inl)] public static V F32x4Add(V a, V b) => (F(a) + F(b)).AsByte();
    [MethodImpl(Inl)] public static V F32x4Sub(V a, V b) => (F(a) - F(b)).AsByte();
    [MethodImpl(Inl)] public static V F32x4Mul(V a, V b) => (F(a) * F(b)).AsByte();
    [MethodImpl(Inl)] public static V F32x4Div(V a, V b) => (F(a) / F(b)).AsByte();
    [MethodImpl(Inl)] public static V F32x4Sqrt(V a) => Vector128.Sqrt(F(a)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Add(V a, V b) => (D(a) + D(b)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Sub(V a, V b) => (D(a) - D(b)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Mul(V a, V b) => (D(a) * D(b)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Div(V a, V b) => (D(a) / D(b)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Sqrt(V a) => Vector128.Sqrt(D(a)).AsByte();

    // Sign operations are bitwise, so NaN payloads pass through (spec §4.3.3 fabs, fneg).
    [MethodImpl(Inl)] public static V F32x4Abs(V a) => (a.AsUInt32() & Vector128.Create(0x7FFFFFFFu)).AsByte();
    [MethodImpl(Inl)] public static V F32x4Neg(V a) => (a.AsUInt32() ^ Vector128.Create(0x80000000u)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Abs(V a) => (a.AsUInt64() & Vector128.Create(0x7FFFFFFFFFFFFFFFUL)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Neg(V a) => (a.AsUInt64() ^ Vector128.Create(0x8000000000000000UL)).AsByte();

    [MethodImpl(Inl)] public static V F32x4Ceil(V a) => Vector128.Ceiling(F(a)).AsByte();
    [MethodImpl(Inl)] public static V F32x4Floor(V a) => Vector128.Floor(F(a)).AsByte();
    [MethodImpl(Inl)] public static V F32x4Trunc(V a) => Vector128.Truncate(F(a)).AsByte();
    [MethodImpl(Inl)] public static V F32x4Nearest(V a) => Vector128.Round(F(a)).AsByte(); // ties to even
    [MethodImpl(Inl)] public static V F64x2Ceil(V a) => Vector128.Ceiling(D(a)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Floor(V a) => Vector128.Floor(D(a)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Trunc(V a) => Vector128.Truncate(D(a)).AsByte();
    [MethodImpl(Inl)] public static V F64x2Nearest(V a) => Vector128.Round(D(a)).AsByte();

    // ---- min and max (spec §4.3.3 fmin, fmax): NaN if either lane is NaN, -0 < +0 -----------------

    /// <summary>
    /// Shared by both widths: the smaller (or larger) of two ordered distinct lanes; for equal lanes
    /// (only ±0 can differ in bits) the OR of the bits for min (-0 wins) and the AND for max (+0 wins);
    /// NaN lanes become the canonical NaN, which is an allowed result whatever the inputs.
    /// </summary>
    [MethodImpl(Inl)]
    private static Vector128<T> MinMax<T>(Vector128<T> a, Vector128<T> b, Vector128<T> canonicalNan, bool max)
    {
        var ordered = Vector128.Equals(a, a) & Vector128.Equals(b, b);
        var pick = max ? Vector128.ConditionalSelect(Vector128.LessThan(a, b), b, a) : Vector128.ConditionalSelect(Vector128.LessThan(b, a), b, a);
        var r = Vector128.ConditionalSelect(Vector128.Equals(a, b), max ? a & b : a | b, pick);
        return Vector128.ConditionalSelect(ordered, r, canonicalNan);
    }

    [MethodImpl(Inl)] public static V F32x4Min(V a, V b) => MinMax(F(a), F(b), Vector128.Create(0x7FC00000).AsSingle(), false).AsByte();
    [MethodImpl(Inl)] public static V F32x4Max(V a, V b) => MinMax(F(a), F(b), Vector128.Create(0x7FC00000).AsSingle(), true).AsByte();
    [MethodImpl(Inl)] public static V F64x2Min(V a, V b) => MinMax(D(a), D(b), Vector128.Create(0x7FF8000000000000L).AsDouble(), false).AsByte();
    [MethodImpl(Inl)] public static V F64x2Max(V a, V b) => MinMax(D(a), D(b), Vector128.Create(0x7FF8000000000000L).AsDouble(), true).AsByte();

    // Pseudo-min/max (spec §4.3.3 fpmin, fpmax): pmin(a, b) = b < a ? b : a, exactly minps(b, a).
    [MethodImpl(Inl)]
    public static V F32x4Pmin(V a, V b) => Sse.IsSupported ? Sse.Min(F(b), F(a)).AsByte() : Vector128.ConditionalSelect(Vector128.LessThan(F(b), F(a)), F(b), F(a)).AsByte();

    [MethodImpl(Inl)]
    public static V F32x4Pmax(V a, V b) => Sse.IsSupported ? Sse.Max(F(b), F(a)).AsByte() : Vector128.ConditionalSelect(Vector128.LessThan(F(a), F(b)), F(b), F(a)).AsByte();

    [MethodImpl(Inl)]
    public static V F64x2Pmin(V a, V b) => Sse2.IsSupported ? Sse2.Min(D(b), D(a)).AsByte() : Vector128.ConditionalSelect(Vector128.LessThan(D(b), D(a)), D(b), D(a)).AsByte();

    [MethodImpl(Inl)]
    public static V F64x2Pmax(V a, V b) => Sse2.IsSupported ? Sse2.Max(D(b), D(a)).AsByte() : Vector128.ConditionalSelect(Vector128.LessThan(D(a), D(b)), D(b), D(a)).AsByte();

    // ---- conversions (spec §4.3.4) -------------------------------------------------------------------

    /// <summary>NaN lanes replaced by +0 (trunc_sat maps NaN to 0).</summary>
    [MethodImpl(Inl)] private static Vector128<T> NanToZero<T>(Vector128<T> x) => x & Vector128.Equals(x, x);

    /// <summary>
    /// <c>i32x4.trunc_sat_f32x4_s</c>: NaN to 0, out of range to the nearest bound. With SSE2, cvttps2dq gives
    /// 0x80000000 for every lane out of range or NaN: right for lanes below -2^31; a lane at or above 2^31 (an
    /// ordered compare, false for NaN) is all ones in the compare's mask, and 0x80000000 ^ 0xFFFFFFFF is
    /// int.MaxValue; NaN lanes are then cleared by the x == x mask. Compare, compare, convert, xor, and: one µop
    /// each (the JIT makes the xor and the and one vpternlogd with AVX-512), where a blend was two or three.
    /// Without SSE2 the input is first clamped so the portable conversion is always in range.
    /// </summary>
    [MethodImpl(Inl)]
    public static V I32x4TruncSatF32x4S(V a)
    {
        var x = F(a);
        var high = Vector128.GreaterThanOrEqual(x, Vector128.Create(2147483648f)).AsInt32();
        if (Sse2.IsSupported)
            return ((Sse2.ConvertToVector128Int32WithTruncation(x) ^ high) & Vector128.Equals(x, x).AsInt32()).AsByte();
        x = Vector128.Max(Vector128.Min(NanToZero(x), Vector128.Create(2147483520f)), Vector128.Create(-2147483648f));
        return Vector128.ConditionalSelect(high, Vector128.Create(int.MaxValue), Vector128.ConvertToInt32(x)).AsByte();
    }

    /// <summary>
    /// <c>i32x4.trunc_sat_f32x4_u</c>: NaN and negatives to 0, ≥ 2^32 to 0xFFFFFFFF. Lanes ≥ 2^31 are
    /// converted as x - 2^31 and get 2^31 added back, so only the signed conversion is needed.
    /// </summary>
    [MethodImpl(Inl)]
    public static V I32x4TruncSatF32x4U(V a)
    {
        // AVX-512: maxps gives its second operand (+0) for NaN, -0 and negatives; vcvttps2udq is then exact below 2^32
        // and gives 0xFFFFFFFF (its out-of-range value) at and above.
        if (Avx512F.VL.IsSupported) return Avx512F.VL.ConvertToVector128UInt32WithTruncation(Sse.Max(F(a), Vector128<float>.Zero)).AsByte();
        var x = NanToZero(F(a));
        var overflow = Vector128.GreaterThanOrEqual(x, Vector128.Create(4294967296f)).AsUInt32();
        x = Vector128.Max(Vector128.Min(x, Vector128.Create(4294967040f)), Vector128<float>.Zero);
        var two31 = Vector128.Create(2147483648f);
        var big = Vector128.GreaterThanOrEqual(x, two31);
        x -= two31 & big;
        var r = (Sse2.IsSupported ? Sse2.ConvertToVector128Int32WithTruncation(x) : Vector128.ConvertToInt32(x)).AsUInt32();
        r += big.AsUInt32() & Vector128.Create(0x80000000u);
        return (r | overflow).AsByte();
    }

    [MethodImpl(Inl)]
    public static V F32x4ConvertI32x4S(V a) => Vector128.ConvertToSingle(a.AsInt32()).AsByte();

    /// <summary>
    /// <c>f32x4.convert_i32x4_u</c> with one rounding: the high and low 16 bits convert exactly, the
    /// high part scaled by 2^16 is exact, and the final addition rounds once (to nearest, ties to even).
    /// </summary>
    [MethodImpl(Inl)]
    public static V F32x4ConvertI32x4U(V a)
    {
        if (Avx512F.VL.IsSupported) return Avx512F.VL.ConvertToVector128Single(a.AsUInt32()).AsByte(); // vcvtudq2ps: one rounding, to nearest
        var x = a.AsInt32();
        var hi = Vector128.ConvertToSingle(Vector128.ShiftRightLogical(x, 16)) * Vector128.Create(65536f);
        var lo = Vector128.ConvertToSingle(x & Vector128.Create(0xFFFF));
        return (hi + lo).AsByte();
    }

    /// <summary><c>i32x4.trunc_sat_f64x2_s_zero</c>: clamped in f64 (both bounds are exact), upper lanes 0.</summary>
    [MethodImpl(Inl)]
    public static V I32x4TruncSatF64x2SZero(V a)
    {
        var x = Vector128.Max(Vector128.Min(NanToZero(D(a)), Vector128.Create(2147483647.0)), Vector128.Create(-2147483648.0));
        if (Sse2.IsSupported) return Sse2.ConvertToVector128Int32WithTruncation(x).AsByte();
        return Vector128.Narrow(Vector128.ConvertToInt64(x), Vector128<long>.Zero).AsByte();
    }

    [MethodImpl(Inl)]
    public static V I32x4TruncSatF64x2UZero(V a)
    {
        // AVX-512: as I32x4TruncSatF32x4U, vcvttpd2udq of two lanes zeroes the upper two.
        if (Avx512F.VL.IsSupported) return Avx512F.VL.ConvertToVector128UInt32WithTruncation(Sse2.Max(D(a), Vector128<double>.Zero)).AsByte();
        var x = Vector128.Max(Vector128.Min(NanToZero(D(a)), Vector128.Create(4294967295.0)), Vector128<double>.Zero);
        if (Sse41.IsSupported)
        {
            // Truncated first (x >= 0, so no fraction rounds the wrong way below), shifted down by 2^31
            // into the signed range, converted, and the top bit flipped back.
            var r = Sse2.ConvertToVector128Int32WithTruncation(Sse41.RoundToZero(x) - Vector128.Create(2147483648.0));
            return (r ^ Vector128.Create(int.MinValue, int.MinValue, 0, 0)).AsByte();
        }
        return Vector128.Narrow(Vector128.ConvertToUInt64(x), Vector128<ulong>.Zero).AsByte();
    }

    [MethodImpl(Inl)]
    public static V F64x2ConvertLowI32x4S(V a) =>
        Sse2.IsSupported ? Sse2.ConvertToVector128Double(a.AsInt32()).AsByte() : Vector128.ConvertToDouble(Vector128.WidenLower(a.AsInt32())).AsByte();

    /// <summary>
    /// Exact: one vcvtudq2pd with AVX-512; else 2^52 + u has u in its low mantissa bits, so
    /// (bits(2^52) | u) - 2^52 = u.
    /// </summary>
    [MethodImpl(Inl)]
    public static V F64x2ConvertLowI32x4U(V a)
    {
        if (Avx512F.VL.IsSupported) return Avx512F.VL.ConvertToVector128Double(a.AsUInt32()).AsByte();
        var two52 = Vector128.Create(0x4330000000000000UL);
        return ((Vector128.WidenLower(a.AsUInt32()) | two52).AsDouble() - two52.AsDouble()).AsByte();
    }

    [MethodImpl(Inl)]
    public static V F32x4DemoteF64x2Zero(V a) =>
        Sse2.IsSupported ? Sse2.ConvertToVector128Single(D(a)).AsByte() : Vector128.Narrow(D(a), Vector128<double>.Zero).AsByte();

    [MethodImpl(Inl)]
    public static V F64x2PromoteLowF32x4(V a) =>
        Sse2.IsSupported ? Sse2.ConvertToVector128Double(F(a)).AsByte() : Vector128.WidenLower(F(a)).AsByte();
#pragma warning restore CS1591
}
