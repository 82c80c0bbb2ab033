using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using V = System.Runtime.Intrinsics.Vector128<byte>;

namespace Pliant.Wasm.Runtime;

/// <summary>Integer lane operators (spec §4.3.2 integer operations applied lane-wise).</summary>
public static partial class V128Ops
{
#pragma warning disable CS1591
    [MethodImpl(Inl)] private static Vector128<T> L<T>(V v) => v.As<byte, T>();
    [MethodImpl(Inl)] private static V B<T>(Vector128<T> v) => v.As<T, byte>();

    // ---- comparisons: all-ones lanes for true (spec §4.4.3.9 vrelop) ----------------------------

    [MethodImpl(Inl)] private static V Eq<T>(V a, V b) => B(Vector128.Equals(L<T>(a), L<T>(b)));
    [MethodImpl(Inl)] private static V Ne<T>(V a, V b) => ~B(Vector128.Equals(L<T>(a), L<T>(b)));
    [MethodImpl(Inl)] private static V Lt<T>(V a, V b) => B(Vector128.LessThan(L<T>(a), L<T>(b)));
    [MethodImpl(Inl)] private static V Gt<T>(V a, V b) => B(Vector128.GreaterThan(L<T>(a), L<T>(b)));
    [MethodImpl(Inl)] private static V Le<T>(V a, V b) => B(Vector128.LessThanOrEqual(L<T>(a), L<T>(b)));
    [MethodImpl(Inl)] private static V Ge<T>(V a, V b) => B(Vector128.GreaterThanOrEqual(L<T>(a), L<T>(b)));

    [MethodImpl(Inl)] public static V I8x16Eq(V a, V b) => Eq<byte>(a, b);
    [MethodImpl(Inl)] public static V I8x16Ne(V a, V b) => Ne<byte>(a, b);
    [MethodImpl(Inl)] public static V I8x16LtS(V a, V b) => Lt<sbyte>(a, b);
    [MethodImpl(Inl)] public static V I8x16LtU(V a, V b) => Lt<byte>(a, b);
    [MethodImpl(Inl)] public static V I8x16GtS(V a, V b) => Gt<sbyte>(a, b);
    [MethodImpl(Inl)] public static V I8x16GtU(V a, V b) => Gt<byte>(a, b);
    [MethodImpl(Inl)] public static V I8x16LeS(V a, V b) => Le<sbyte>(a, b);
    [MethodImpl(Inl)] public static V I8x16LeU(V a, V b) => Le<byte>(a, b);
    [MethodImpl(Inl)] public static V I8x16GeS(V a, V b) => Ge<sbyte>(a, b);
    [MethodImpl(Inl)] public static V I8x16GeU(V a, V b) => Ge<byte>(a, b);
    [MethodImpl(Inl)] public static V I16x8Eq(V a, V b) => Eq<ushort>(a, b);
    [MethodImpl(Inl)] public static V I16x8Ne(V a, V b) => Ne<ushort>(a, b);
    [MethodImpl(Inl)] public static V I16x8LtS(V a, V b) => Lt<short>(a, b);
    [MethodImpl(Inl)] public static V I16x8LtU(V a, V b) => Lt<ushort>(a, b);
    [MethodImpl(Inl)] public static V I16x8GtS(V a, V b) => Gt<short>(a, b);
    [MethodImpl(Inl)] public static V I16x8GtU(V a, V b) => Gt<ushort>(a, b);
    [MethodImpl(Inl)] public static V I16x8LeS(V a, V b) => Le<short>(a, b);
    [MethodImpl(Inl)] public static V I16x8LeU(V a, V b) => Le<ushort>(a, b);
    [MethodImpl(Inl)] public static V I16x8GeS(V a, V b) => Ge<short>(a, b);
    [MethodImpl(Inl)] public static V I16x8GeU(V a, V b) => Ge<ushort>(a, b);
    [MethodImpl(Inl)] public static V I32x4Eq(V a, V b) => Eq<uint>(a, b);
    [MethodImpl(Inl)] public static V I32x4Ne(V a, V b) => Ne<uint>(a, b);
    [MethodImpl(Inl)] public static V I32x4LtS(V a, V b) => Lt<int>(a, b);
    [MethodImpl(Inl)] public static V I32x4LtU(V a, V b) => Lt<uint>(a, b);
    [MethodImpl(Inl)] public static V I32x4GtS(V a, V b) => Gt<int>(a, b);
    [MethodImpl(Inl)] public static V I32x4GtU(V a, V b) => Gt<uint>(a, b);
    [MethodImpl(Inl)] public static V I32x4LeS(V a, V b) => Le<int>(a, b);
    [MethodImpl(Inl)] public static V I32x4LeU(V a, V b) => Le<uint>(a, b);
    [MethodImpl(Inl)] public static V I32x4GeS(V a, V b) => Ge<int>(a, b);
    [MethodImpl(Inl)] public static V I32x4GeU(V a, V b) => Ge<uint>(a, b);
    [MethodImpl(Inl)] public static V I64x2Eq(V a, V b) => Eq<ulong>(a, b);
    [MethodImpl(Inl)] public static V I64x2Ne(V a, V b) => Ne<ulong>(a, b);
    [MethodImpl(Inl)] public static V I64x2LtS(V a, V b) => Lt<long>(a, b);
    [MethodImpl(Inl)] public static V I64x2GtS(V a, V b) => Gt<long>(a, b);
    [MethodImpl(Inl)] public static V I64x2LeS(V a, V b) => Le<long>(a, b);
    [MethodImpl(Inl)] public static V I64x2GeS(V a, V b) => Ge<long>(a, b);

    // ---- add, sub, mul, neg (wrapping) -----------------------------------------------------------

    [MethodImpl(Inl)] public static V I8x16Add(V a, V b) => a + b;
    [MethodImpl(Inl)] public static V I8x16Sub(V a, V b) => a - b;
    [MethodImpl(Inl)] public static V I8x16Neg(V a) => V.Zero - a;
    [MethodImpl(Inl)] public static V I16x8Add(V a, V b) => B(L<ushort>(a) + L<ushort>(b));
    [MethodImpl(Inl)] public static V I16x8Sub(V a, V b) => B(L<ushort>(a) - L<ushort>(b));
    [MethodImpl(Inl)] public static V I16x8Mul(V a, V b) => B(L<ushort>(a) * L<ushort>(b));
    [MethodImpl(Inl)] public static V I16x8Neg(V a) => B(Vector128<ushort>.Zero - L<ushort>(a));
    [MethodImpl(Inl)] public static V I32x4Add(V a, V b) => B(L<uint>(a) + L<uint>(b));
    [MethodImpl(Inl)] public static V I32x4Sub(V a, V b) => B(L<uint>(a) - L<uint>(b));
    [MethodImpl(Inl)] public static V I32x4Mul(V a, V b) => B(L<uint>(a) * L<uint>(b));
    [MethodImpl(Inl)] public static V I32x4Neg(V a) => B(Vector128<uint>.Zero - L<uint>(a));
    [MethodImpl(Inl)] public static V I64x2Add(V a, V b) => B(L<ulong>(a) + L<ulong>(b));
    [MethodImpl(Inl)] public static V I64x2Sub(V a, V b) => B(L<ulong>(a) - L<ulong>(b));
    [MethodImpl(Inl)] public static V I64x2Neg(V a) => B(Vector128<ulong>.Zero - L<ulong>(a));

    [MethodImpl(Inl)]
    public static V I64x2Mul(V a, V b)
    {
        if (Avx512DQ.VL.IsSupported) return B(Avx512DQ.VL.MultiplyLow(L<ulong>(a), L<ulong>(b)));
        if (Sse2.IsSupported)
        {
            // (ah*2^32 + al)(bh*2^32 + bl) mod 2^64 = al*bl + ((ah*bl + al*bh) << 32): three pmuludq.
            var x = L<ulong>(a);
            var y = L<ulong>(b);
            var lo = Sse2.Multiply(x.AsUInt32(), y.AsUInt32());
            var cross = Sse2.Multiply(Sse2.ShiftRightLogical(x, 32).AsUInt32(), y.AsUInt32())
                      + Sse2.Multiply(x.AsUInt32(), Sse2.ShiftRightLogical(y, 32).AsUInt32());
            return B(lo + Sse2.ShiftLeftLogical(cross, 32));
        }
        return B(L<ulong>(a) * L<ulong>(b));
    }

    // ---- absolute value: |MinValue| wraps to MinValue (spec §4.3.2 iabs) -------------------------

    [MethodImpl(Inl)] private static Vector128<T> AbsSoft<T>(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<T>.Zero), Vector128<T>.Zero - x, x);

    [MethodImpl(Inl)] public static V I8x16Abs(V a) => Ssse3.IsSupported ? Ssse3.Abs(L<sbyte>(a)) : B(AbsSoft(L<sbyte>(a)));
    [MethodImpl(Inl)] public static V I16x8Abs(V a) => Ssse3.IsSupported ? B(Ssse3.Abs(L<short>(a))) : B(AbsSoft(L<short>(a)));
    [MethodImpl(Inl)] public static V I32x4Abs(V a) => Ssse3.IsSupported ? B(Ssse3.Abs(L<int>(a))) : B(AbsSoft(L<int>(a)));
    [MethodImpl(Inl)] public static V I64x2Abs(V a) => Avx512F.VL.IsSupported ? B(Avx512F.VL.Abs(L<long>(a))) : B(AbsSoft(L<long>(a)));

    // ---- shifts: the count is taken modulo the lane width (spec §4.3.2 ishl/ishr) ----------------

    [MethodImpl(Inl)]
    public static V I8x16Shl(V a, int n)
    {
        int s = n & 7;
        return B(Vector128.ShiftLeft(L<ushort>(a), s)) & Vector128.Create((byte)(0xFF << s));
    }

    [MethodImpl(Inl)]
    public static V I8x16ShrU(V a, int n)
    {
        int s = n & 7;
        return B(Vector128.ShiftRightLogical(L<ushort>(a), s)) & Vector128.Create((byte)(0xFF >> s));
    }

    /// <summary>Arithmetic byte shift from a logical one: ((x ^ 0x80) >>> s) - (0x80 >>> s).</summary>
    [MethodImpl(Inl)]
    public static V I8x16ShrS(V a, int n)
    {
        int s = n & 7;
        var bias = Vector128.Create((byte)0x80);
        return I8x16ShrU(a ^ bias, s) - Vector128.Create((byte)(0x80 >> s));
    }

    [MethodImpl(Inl)] public static V I16x8Shl(V a, int n) => B(Vector128.ShiftLeft(L<ushort>(a), n & 15));
    [MethodImpl(Inl)] public static V I16x8ShrS(V a, int n) => B(Vector128.ShiftRightArithmetic(L<short>(a), n & 15));
    [MethodImpl(Inl)] public static V I16x8ShrU(V a, int n) => B(Vector128.ShiftRightLogical(L<ushort>(a), n & 15));
    [MethodImpl(Inl)] public static V I32x4Shl(V a, int n) => B(Vector128.ShiftLeft(L<uint>(a), n & 31));
    [MethodImpl(Inl)] public static V I32x4ShrS(V a, int n) => B(Vector128.ShiftRightArithmetic(L<int>(a), n & 31));
    [MethodImpl(Inl)] public static V I32x4ShrU(V a, int n) => B(Vector128.ShiftRightLogical(L<uint>(a), n & 31));
    [MethodImpl(Inl)] public static V I64x2Shl(V a, int n) => B(Vector128.ShiftLeft(L<ulong>(a), n & 63));
    [MethodImpl(Inl)] public static V I64x2ShrU(V a, int n) => B(Vector128.ShiftRightLogical(L<ulong>(a), n & 63));

    [MethodImpl(Inl)]
    public static V I64x2ShrS(V a, int n)
    {
        int s = n & 63;
        if (Avx512F.VL.IsSupported) return B(Vector128.ShiftRightArithmetic(L<long>(a), s)); // vpsraq
        // Without vpsraq: ((x >>> s) ^ t) - t with t = 2^63 >>> s sign-extends the shifted value.
        var t = Vector128.Create(0x8000000000000000UL >> s);
        return B((Vector128.ShiftRightLogical(L<ulong>(a), s) ^ t) - t);
    }

    // ---- saturating add/sub (spec §4.3.2 iadd_sat, isub_sat) --------------------------------------

    [MethodImpl(Inl)] public static V I8x16AddSatS(V a, V b) => Sse2.IsSupported ? B(Sse2.AddSaturate(L<sbyte>(a), L<sbyte>(b))) : B(Vector128.AddSaturate(L<sbyte>(a), L<sbyte>(b)));
    [MethodImpl(Inl)] public static V I8x16AddSatU(V a, V b) => Sse2.IsSupported ? Sse2.AddSaturate(a, b) : Vector128.Min(a, ~b) + b;
    [MethodImpl(Inl)] public static V I8x16SubSatS(V a, V b) => Sse2.IsSupported ? B(Sse2.SubtractSaturate(L<sbyte>(a), L<sbyte>(b))) : B(Vector128.SubtractSaturate(L<sbyte>(a), L<sbyte>(b)));
    [MethodImpl(Inl)] public static V I8x16SubSatU(V a, V b) => Sse2.IsSupported ? Sse2.SubtractSaturate(a, b) : Vector128.Max(a, b) - b;
    [MethodImpl(Inl)] public static V I16x8AddSatS(V a, V b) => Sse2.IsSupported ? B(Sse2.AddSaturate(L<short>(a), L<short>(b))) : B(Vector128.AddSaturate(L<short>(a), L<short>(b)));
    [MethodImpl(Inl)] public static V I16x8AddSatU(V a, V b) => Sse2.IsSupported ? B(Sse2.AddSaturate(L<ushort>(a), L<ushort>(b))) : B(Vector128.Min(L<ushort>(a), ~L<ushort>(b)) + L<ushort>(b));
    [MethodImpl(Inl)] public static V I16x8SubSatS(V a, V b) => Sse2.IsSupported ? B(Sse2.SubtractSaturate(L<short>(a), L<short>(b))) : B(Vector128.SubtractSaturate(L<short>(a), L<short>(b)));
    [MethodImpl(Inl)] public static V I16x8SubSatU(V a, V b) => Sse2.IsSupported ? B(Sse2.SubtractSaturate(L<ushort>(a), L<ushort>(b))) : B(Vector128.Max(L<ushort>(a), L<ushort>(b)) - L<ushort>(b));

    // ---- min, max, rounding average --------------------------------------------------------------

    [MethodImpl(Inl)] public static V I8x16MinS(V a, V b) => B(Vector128.Min(L<sbyte>(a), L<sbyte>(b)));
    [MethodImpl(Inl)] public static V I8x16MinU(V a, V b) => Vector128.Min(a, b);
    [MethodImpl(Inl)] public static V I8x16MaxS(V a, V b) => B(Vector128.Max(L<sbyte>(a), L<sbyte>(b)));
    [MethodImpl(Inl)] public static V I8x16MaxU(V a, V b) => Vector128.Max(a, b);
    [MethodImpl(Inl)] public static V I16x8MinS(V a, V b) => B(Vector128.Min(L<short>(a), L<short>(b)));
    [MethodImpl(Inl)] public static V I16x8MinU(V a, V b) => B(Vector128.Min(L<ushort>(a), L<ushort>(b)));
    [MethodImpl(Inl)] public static V I16x8MaxS(V a, V b) => B(Vector128.Max(L<short>(a), L<short>(b)));
    [MethodImpl(Inl)] public static V I16x8MaxU(V a, V b) => B(Vector128.Max(L<ushort>(a), L<ushort>(b)));
    [MethodImpl(Inl)] public static V I32x4MinS(V a, V b) => B(Vector128.Min(L<int>(a), L<int>(b)));
    [MethodImpl(Inl)] public static V I32x4MinU(V a, V b) => B(Vector128.Min(L<uint>(a), L<uint>(b)));
    [MethodImpl(Inl)] public static V I32x4MaxS(V a, V b) => B(Vector128.Max(L<int>(a), L<int>(b)));
    [MethodImpl(Inl)] public static V I32x4MaxU(V a, V b) => B(Vector128.Max(L<uint>(a), L<uint>(b)));

    /// <summary>(a + b + 1) / 2 without overflow: (a | b) - ((a ^ b) >>> 1).</summary>
    [MethodImpl(Inl)]
    public static V I8x16AvgrU(V a, V b) => Sse2.IsSupported ? Sse2.Average(a, b) : (a | b) - Vector128.ShiftRightLogical(a ^ b, 1);

    [MethodImpl(Inl)]
    public static V I16x8AvgrU(V a, V b)
    {
        if (Sse2.IsSupported) return B(Sse2.Average(L<ushort>(a), L<ushort>(b)));
        var x = L<ushort>(a);
        var y = L<ushort>(b);
        return B((x | y) - Vector128.ShiftRightLogical(x ^ y, 1));
    }

    // ---- popcnt, narrow, extend --------------------------------------------------------------------

    [MethodImpl(Inl)]
    public static V I8x16Popcnt(V a)
    {
        var low4 = Vector128.Create((byte)0x0F);
        if (Ssse3.IsSupported)
        {
            // Bits set in each nibble, looked up with pshufb.
            var table = Vector128.Create(0x0302020102010100L, 0x0403030203020201L).AsByte();
            var lo = a & low4;
            var hi = B(Vector128.ShiftRightLogical(L<ushort>(a), 4)) & low4;
            return Ssse3.Shuffle(table, lo) + Ssse3.Shuffle(table, hi);
        }
        var x = a - (Vector128.ShiftRightLogical(a, 1) & Vector128.Create((byte)0x55));
        x = (x & Vector128.Create((byte)0x33)) + (Vector128.ShiftRightLogical(x, 2) & Vector128.Create((byte)0x33));
        return (x + Vector128.ShiftRightLogical(x, 4)) & low4;
    }

    // Narrowing reads the input lanes as signed and saturates (spec §4.3.4 narrow_s, narrow_u).
    [MethodImpl(Inl)]
    public static V I8x16NarrowI16x8S(V a, V b) =>
        Sse2.IsSupported ? B(Sse2.PackSignedSaturate(L<short>(a), L<short>(b))) : B(Vector128.NarrowWithSaturation(L<short>(a), L<short>(b)));

    [MethodImpl(Inl)]
    public static V I8x16NarrowI16x8U(V a, V b)
    {
        if (Sse2.IsSupported) return Sse2.PackUnsignedSaturate(L<short>(a), L<short>(b));
        var x = Vector128.Max(L<short>(a), Vector128<short>.Zero).AsUInt16();
        var y = Vector128.Max(L<short>(b), Vector128<short>.Zero).AsUInt16();
        return Vector128.NarrowWithSaturation(x, y);
    }

    [MethodImpl(Inl)]
    public static V I16x8NarrowI32x4S(V a, V b) =>
        Sse2.IsSupported ? B(Sse2.PackSignedSaturate(L<int>(a), L<int>(b))) : B(Vector128.NarrowWithSaturation(L<int>(a), L<int>(b)));

    [MethodImpl(Inl)]
    public static V I16x8NarrowI32x4U(V a, V b)
    {
        if (Sse41.IsSupported) return B(Sse41.PackUnsignedSaturate(L<int>(a), L<int>(b)));
        var x = Vector128.Max(L<int>(a), Vector128<int>.Zero).AsUInt32();
        var y = Vector128.Max(L<int>(b), Vector128<int>.Zero).AsUInt32();
        return B(Vector128.NarrowWithSaturation(x, y));
    }

    [MethodImpl(Inl)] public static V I16x8ExtendLowI8x16S(V a) => B(Vector128.WidenLower(L<sbyte>(a)));
    [MethodImpl(Inl)] public static V I16x8ExtendHighI8x16S(V a) => B(Vector128.WidenUpper(L<sbyte>(a)));
    [MethodImpl(Inl)] public static V I16x8ExtendLowI8x16U(V a) => B(Vector128.WidenLower(a));
    [MethodImpl(Inl)] public static V I16x8ExtendHighI8x16U(V a) => B(Vector128.WidenUpper(a));
    [MethodImpl(Inl)] public static V I32x4ExtendLowI16x8S(V a) => B(Vector128.WidenLower(L<short>(a)));
    [MethodImpl(Inl)] public static V I32x4ExtendHighI16x8S(V a) => B(Vector128.WidenUpper(L<short>(a)));
    [MethodImpl(Inl)] public static V I32x4ExtendLowI16x8U(V a) => B(Vector128.WidenLower(L<ushort>(a)));
    [MethodImpl(Inl)] public static V I32x4ExtendHighI16x8U(V a) => B(Vector128.WidenUpper(L<ushort>(a)));
    [MethodImpl(Inl)] public static V I64x2ExtendLowI32x4S(V a) => B(Vector128.WidenLower(L<int>(a)));
    [MethodImpl(Inl)] public static V I64x2ExtendHighI32x4S(V a) => B(Vector128.WidenUpper(L<int>(a)));
    [MethodImpl(Inl)] public static V I64x2ExtendLowI32x4U(V a) => B(Vector128.WidenLower(L<uint>(a)));
    [MethodImpl(Inl)] public static V I64x2ExtendHighI32x4U(V a) => B(Vector128.WidenUpper(L<uint>(a)));

    // ---- extended multiplication (spec §4.4.3.17 extmul) -------------------------------------------

    [MethodImpl(Inl)] public static V I16x8ExtmulLowI8x16S(V a, V b) => B(Vector128.WidenLower(L<sbyte>(a)) * Vector128.WidenLower(L<sbyte>(b)));
    [MethodImpl(Inl)] public static V I16x8ExtmulHighI8x16S(V a, V b) => B(Vector128.WidenUpper(L<sbyte>(a)) * Vector128.WidenUpper(L<sbyte>(b)));
    [MethodImpl(Inl)] public static V I16x8ExtmulLowI8x16U(V a, V b) => B(Vector128.WidenLower(a) * Vector128.WidenLower(b));
    [MethodImpl(Inl)] public static V I16x8ExtmulHighI8x16U(V a, V b) => B(Vector128.WidenUpper(a) * Vector128.WidenUpper(b));
    [MethodImpl(Inl)] public static V I32x4ExtmulLowI16x8S(V a, V b) => B(Vector128.WidenLower(L<short>(a)) * Vector128.WidenLower(L<short>(b)));
    [MethodImpl(Inl)] public static V I32x4ExtmulHighI16x8S(V a, V b) => B(Vector128.WidenUpper(L<short>(a)) * Vector128.WidenUpper(L<short>(b)));
    [MethodImpl(Inl)] public static V I32x4ExtmulLowI16x8U(V a, V b) => B(Vector128.WidenLower(L<ushort>(a)) * Vector128.WidenLower(L<ushort>(b)));
    [MethodImpl(Inl)] public static V I32x4ExtmulHighI16x8U(V a, V b) => B(Vector128.WidenUpper(L<ushort>(a)) * Vector128.WidenUpper(L<ushort>(b)));

    // 32x32 -> 64: pmuldq/pmuludq multiply lanes 0 and 2, so the wanted half is spread there first.
    private const byte LowToEven = 0b_01_01_00_00, HighToEven = 0b_11_11_10_10;

    [MethodImpl(Inl)]
    public static V I64x2ExtmulLowI32x4S(V a, V b) => Sse41.IsSupported
        ? B(Sse41.Multiply(Sse2.Shuffle(L<int>(a), LowToEven), Sse2.Shuffle(L<int>(b), LowToEven)))
        : B(Vector128.WidenLower(L<int>(a)) * Vector128.WidenLower(L<int>(b)));

    [MethodImpl(Inl)]
    public static V I64x2ExtmulHighI32x4S(V a, V b) => Sse41.IsSupported
        ? B(Sse41.Multiply(Sse2.Shuffle(L<int>(a), HighToEven), Sse2.Shuffle(L<int>(b), HighToEven)))
        : B(Vector128.WidenUpper(L<int>(a)) * Vector128.WidenUpper(L<int>(b)));

    [MethodImpl(Inl)]
    public static V I64x2ExtmulLowI32x4U(V a, V b) => Sse2.IsSupported
        ? B(Sse2.Multiply(Sse2.Shuffle(L<uint>(a), LowToEven), Sse2.Shuffle(L<uint>(b), LowToEven)))
        : B(Vector128.WidenLower(L<uint>(a)) * Vector128.WidenLower(L<uint>(b)));

    [MethodImpl(Inl)]
    public static V I64x2ExtmulHighI32x4U(V a, V b) => Sse2.IsSupported
        ? B(Sse2.Multiply(Sse2.Shuffle(L<uint>(a), HighToEven), Sse2.Shuffle(L<uint>(b), HighToEven)))
        : B(Vector128.WidenUpper(L<uint>(a)) * Vector128.WidenUpper(L<uint>(b)));

    // ---- pairwise sums, dot product, Q15 multiply ------------------------------------------------

    // With SSSE3 one pmaddubsw (unsigned bytes of its first operand times signed bytes of its second, adjacent
    // products added with signed saturation) against a vector of ones: the lanes themselves, as signed (ones
    // first) or unsigned (ones second); the sums, -256..254 and 0..510, never saturate. Otherwise even lanes
    // sign- or zero-extended in place (shift up, shift back), odd lanes shifted down.
    [MethodImpl(Inl)]
    public static V I16x8ExtaddPairwiseI8x16S(V a)
    {
        if (Ssse3.IsSupported) return B(Ssse3.MultiplyAddAdjacent(Vector128.Create((byte)1), a.AsSByte()));
        var x = L<short>(a);
        return B(Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 8), 8) + Vector128.ShiftRightArithmetic(x, 8));
    }

    [MethodImpl(Inl)]
    public static V I16x8ExtaddPairwiseI8x16U(V a)
    {
        if (Ssse3.IsSupported) return B(Ssse3.MultiplyAddAdjacent(a, Vector128.Create((sbyte)1)));
        var x = L<ushort>(a);
        return B((x & Vector128.Create((ushort)0xFF)) + Vector128.ShiftRightLogical(x, 8));
    }

    [MethodImpl(Inl)]
    public static V I32x4ExtaddPairwiseI16x8S(V a)
    {
        if (Sse2.IsSupported) return B(Sse2.MultiplyAddAdjacent(L<short>(a), Vector128.Create((short)1)));
        var x = L<int>(a);
        return B(Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 16), 16) + Vector128.ShiftRightArithmetic(x, 16));
    }

    [MethodImpl(Inl)]
    public static V I32x4ExtaddPairwiseI16x8U(V a)
    {
        var x = L<uint>(a);
        return B((x & Vector128.Create(0xFFFFu)) + Vector128.ShiftRightLogical(x, 16));
    }

    /// <summary><c>i32x4.dot_i16x8_s</c>: products of signed lanes, pairs added modulo 2^32 (pmaddwd).</summary>
    [MethodImpl(Inl)]
    public static V I32x4DotI16x8S(V a, V b)
    {
        if (Sse2.IsSupported) return B(Sse2.MultiplyAddAdjacent(L<short>(a), L<short>(b)));
        var x = L<int>(a);
        var y = L<int>(b);
        var even = Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(x, 16), 16) * Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(y, 16), 16);
        var odd = Vector128.ShiftRightArithmetic(x, 16) * Vector128.ShiftRightArithmetic(y, 16);
        return B(even + odd);
    }

    /// <summary>
    /// <c>i16x8.q15mulr_sat_s</c> = sat16((a*b + 2^14) >> 15). pmulhrsw computes the same except for
    /// -32768 * -32768, where it wraps to 0x8000; 0x8000 is never a correct result otherwise (the most
    /// negative product gives -32767), so every 0x8000 lane becomes 0x7FFF.
    /// </summary>
    [MethodImpl(Inl)]
    public static V I16x8Q15MulrSatS(V a, V b)
    {
        if (Ssse3.IsSupported)
        {
            var r = Ssse3.MultiplyHighRoundScale(L<short>(a), L<short>(b));
            return B(r ^ Vector128.Equals(r, Vector128.Create(short.MinValue)));
        }
        var round = Vector128.Create(0x4000);
        var lo = Vector128.ShiftRightArithmetic(Vector128.WidenLower(L<short>(a)) * Vector128.WidenLower(L<short>(b)) + round, 15);
        var hi = Vector128.ShiftRightArithmetic(Vector128.WidenUpper(L<short>(a)) * Vector128.WidenUpper(L<short>(b)) + round, 15);
        return B(Vector128.NarrowWithSaturation(lo, hi));
    }
#pragma warning restore CS1591
}
