using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pliant.Wasm.Runtime;

/// <summary>Numeric operators with WebAssembly semantics (spec §4.3), called from generated code.</summary>
public static class Numerics
{
#pragma warning disable CS1591
    private const MethodImplOptions Inl = MethodImplOptions.AggressiveInlining;

    [MethodImpl(Inl)] public static int Clz32(int x) => BitOperations.LeadingZeroCount((uint)x);
    // BitOperations.TrailingZeroCount is 32 (64) for zero, as wasm's ctz (spec §4.3.2 ictz): one tzcnt, no zero test.
    // Without BMI1 (tzcnt) on x86 it is a zero test and bsf, and .NET 10's JIT then tests the count for zero with
    // bsf's zero flag, which is set by the operand, not the count (seen with DOTNET_EnableHWIntrinsic=0: br_if on
    // i32.ctz(1) branched): there (x86 without BMI1) the count is popcnt(~x & (x - 1)), the bits below the lowest
    // set one (all for 0).
    [MethodImpl(Inl)] public static int Ctz32(int x) =>
        Bmi1.IsSupported || System.Runtime.Intrinsics.Arm.ArmBase.IsSupported ? BitOperations.TrailingZeroCount(x) : BitOperations.PopCount((uint)(~x & (x - 1)));
    [MethodImpl(Inl)] public static int Popcnt32(int x) => BitOperations.PopCount((uint)x);
    [MethodImpl(Inl)] public static long Clz64(long x) => BitOperations.LeadingZeroCount((ulong)x);
    [MethodImpl(Inl)] public static long Ctz64(long x) =>
        Bmi1.X64.IsSupported || System.Runtime.Intrinsics.Arm.ArmBase.Arm64.IsSupported ? BitOperations.TrailingZeroCount(x) : BitOperations.PopCount((ulong)(~x & (x - 1)));
    [MethodImpl(Inl)] public static long Popcnt64(long x) => BitOperations.PopCount((ulong)x);
    // Rotations are written so the JIT does not turn them into rol/ror: .NET 10's JIT was observed
    // to branch on stale flags when an inlined rol result is tested for zero (wrong br_if result).
    [MethodImpl(Inl)] public static int Rotl32(int x, int n)
    {
        int s = n & 31;
        return (x << s) | (int)((uint)x >> 1 >> (31 - s));
    }

    [MethodImpl(Inl)] public static int Rotr32(int x, int n)
    {
        int s = n & 31;
        return (int)((uint)x >> s) | (x << 1 << (31 - s));
    }

    [MethodImpl(Inl)] public static long Rotl64(long x, long n)
    {
        int s = (int)(n & 63);
        return (x << s) | (long)((ulong)x >> 1 >> (63 - s));
    }

    [MethodImpl(Inl)] public static long Rotr64(long x, long n)
    {
        int s = (int)(n & 63);
        return (long)((ulong)x >> s) | (x << 1 << (63 - s));
    }

    // Rotations by a count that is not a compile-time constant: one rol/ror by cl. Generated code masks the
    // count with ExecState.RotateMask32/64 (fields), so the JIT cannot fold it into a constant: the flags bug
    // above is with rol/ror by an immediate (seen: rol ebx, 1; sete al), while after rol/ror by cl (flags
    // unchanged when the count is 0) the JIT emits its own test. DeferredStackTests covers both kinds.
    // A rotate by a masked count s (0..31, 0..63) and t = (s ^ 31) + 1 = 32 - s (64 - s): two shifts and an or that the
    // JIT does not turn back into rol/ror (it does not see t as 32 - s), so with BMI2 shlx/shrx take both counts in
    // any register. For s = 0, t is 32 (64) and C# masks it to 0: x | x = x. For a count that a loop does not
    // change, s and t are computed once before it, and the rotate needs no rcx (rol by cl cost three moves there).
    [MethodImpl(Inl)] public static int RotlSplit32(int x, int s, int t) => (x << s) | (int)((uint)x >> t);
    [MethodImpl(Inl)] public static int RotrSplit32(int x, int s, int t) => (int)((uint)x >> s) | (x << t);
    [MethodImpl(Inl)] public static long RotlSplit64(long x, int s, int t) => (x << s) | (long)((ulong)x >> t);
    [MethodImpl(Inl)] public static long RotrSplit64(long x, int s, int t) => (long)((ulong)x >> s) | (x << t);
    [MethodImpl(Inl)] public static int RotlVar32(int x, int s) => (int)BitOperations.RotateLeft((uint)x, s);
    [MethodImpl(Inl)] public static int RotrVar32(int x, int s) => (int)BitOperations.RotateRight((uint)x, s);
    [MethodImpl(Inl)] public static long RotlVar64(long x, int s) => (long)BitOperations.RotateLeft((ulong)x, s);
    [MethodImpl(Inl)] public static long RotrVar64(long x, int s) => (long)BitOperations.RotateRight((ulong)x, s);

    [MethodImpl(Inl)]
    public static int DivS32(int a, int b)
    {
        if (b == 0) Trap.DivideByZero();
        if (b == -1 && a == int.MinValue) Trap.IntegerOverflow();
        return a / b;
    }

    [MethodImpl(Inl)]
    public static int DivU32(int a, int b)
    {
        if (b == 0) Trap.DivideByZero();
        return (int)((uint)a / (uint)b);
    }

    [MethodImpl(Inl)]
    public static int RemS32(int a, int b)
    {
        if (b == 0) Trap.DivideByZero();
        return b == -1 ? 0 : a % b;
    }

    [MethodImpl(Inl)]
    public static int RemU32(int a, int b)
    {
        if (b == 0) Trap.DivideByZero();
        return (int)((uint)a % (uint)b);
    }

    // i32 division through the FP divider, for divisors the compiler proved nonzero (and, for the signed ones, != -1,
    // so INT_MIN / -1 cannot occur; FunctionCompiler.UseFpDivider). Exact: every 32-bit a and d is a double exactly
    // (|a| < 2^53), and divsd rounds q = a / d correctly, so its error is at most |q| * 2^-53 = |a| / (|d| * 2^53)
    // < 2^32 / (|d| * 2^53) < 1 / |d|. An integer q is representable, so it comes out exactly; a non-integer q is
    // n + k / |d| (0 < k < |d|), at least 1 / |d| from the integers on both sides, so the rounded value never reaches
    // or crosses one, and truncation (cvttsd2si) gives trunc(q), the wasm quotient (spec §4.3.2 idiv_u / idiv_s).
    // The remainder is a - q * d in wrapping i32 arithmetic (exact: |q * d| <= |a|). Not for i64: |a| may be >= 2^53.
    // The conversions: with AVX-512 vcvtusi2sd takes the u32 register as is (no zero-extending mov, as the
    // int64 route needs); the divisor's conversion merges into the dividend's register (its upper lane is not
    // read: divsd and cvttsd2si use the low lane only), so only the first needs a dependency-breaking xor. Same
    // values either way: every u32 and i32 converts exactly. int_math's loop: 3 x64 instructions fewer (h-divpair).
    [MethodImpl(Inl)]
    public static int DivU32Fp(int a, int b)
    {
        if (Avx512F.IsSupported && Sse2.X64.IsSupported)
        {
            var x = Avx512F.ConvertScalarToVector128Double(Vector128<double>.Zero, (uint)a);
            return (int)Sse2.X64.ConvertToInt64WithTruncation(Sse2.DivideScalar(x, Avx512F.ConvertScalarToVector128Double(x, (uint)b)));
        }
        if (Sse2.X64.IsSupported)
        {
            var x = Sse2.X64.ConvertScalarToVector128Double(Vector128<double>.Zero, (long)(uint)a);
            return (int)Sse2.X64.ConvertToInt64WithTruncation(Sse2.DivideScalar(x, Sse2.X64.ConvertScalarToVector128Double(x, (long)(uint)b)));
        }
        return (int)(long)((double)(uint)a / (double)(uint)b);
    }

    [MethodImpl(Inl)] public static int RemU32Fp(int a, int b) => a - DivU32Fp(a, b) * b;

    [MethodImpl(Inl)]
    public static int DivS32Fp(int a, int b)
    {
        if (Sse2.IsSupported)
        {
            var x = Sse2.ConvertScalarToVector128Double(Vector128<double>.Zero, a);
            return Sse2.ConvertToInt32WithTruncation(Sse2.DivideScalar(x, Sse2.ConvertScalarToVector128Double(x, b)));
        }
        return (int)((double)a / (double)b);
    }

    [MethodImpl(Inl)] public static int RemS32Fp(int a, int b) => a - DivS32Fp(a, b) * b;

    [MethodImpl(Inl)]
    public static long DivS64(long a, long b)
    {
        if (b == 0) Trap.DivideByZero();
        if (b == -1 && a == long.MinValue) Trap.IntegerOverflow();
        return a / b;
    }

    [MethodImpl(Inl)]
    public static long DivU64(long a, long b)
    {
        if (b == 0) Trap.DivideByZero();
        return (long)((ulong)a / (ulong)b);
    }

    [MethodImpl(Inl)]
    public static long RemS64(long a, long b)
    {
        if (b == 0) Trap.DivideByZero();
        return b == -1 ? 0 : a % b;
    }

    [MethodImpl(Inl)]
    public static long RemU64(long a, long b)
    {
        if (b == 0) Trap.DivideByZero();
        return (long)((ulong)a % (ulong)b);
    }

    // Floats: sign operations touch the sign bit only, so NaN payloads are preserved (spec §4.3.3). Math.Abs,
    // negation and Math.CopySign are exactly that (x64: andps/xorps/a masked blend with a constant, ARM64:
    // fabs/fneg/bsl; their managed fallbacks mask the bits); the same through the integer bits costs two moves
    // between register files and a 64-bit constant in a general register for each (f64.abs guards every
    // i64.trunc_f64_s clang emits).
    [MethodImpl(Inl)] public static float AbsF32(float x) => MathF.Abs(x);
    [MethodImpl(Inl)] public static float NegF32(float x) => -x;
    [MethodImpl(Inl)] public static float CopysignF32(float x, float y) => MathF.CopySign(x, y);
    [MethodImpl(Inl)] public static double AbsF64(double x) => Math.Abs(x);
    [MethodImpl(Inl)] public static double NegF64(double x) => -x;
    [MethodImpl(Inl)] public static double CopysignF64(double x, double y) => Math.CopySign(x, y);

    [MethodImpl(Inl)] public static float CeilF32(float x) => MathF.Ceiling(x);
    [MethodImpl(Inl)] public static float FloorF32(float x) => MathF.Floor(x);
    [MethodImpl(Inl)] public static float TruncF32(float x) => MathF.Truncate(x);
    [MethodImpl(Inl)] public static float NearestF32(float x) => MathF.Round(x, MidpointRounding.ToEven);
    [MethodImpl(Inl)] public static float SqrtF32(float x) => MathF.Sqrt(x);
    [MethodImpl(Inl)] public static double CeilF64(double x) => Math.Ceiling(x);
    [MethodImpl(Inl)] public static double FloorF64(double x) => Math.Floor(x);
    [MethodImpl(Inl)] public static double TruncF64(double x) => Math.Truncate(x);
    [MethodImpl(Inl)] public static double NearestF64(double x) => Math.Round(x, MidpointRounding.ToEven);
    [MethodImpl(Inl)] public static double SqrtF64(double x) => Math.Sqrt(x);

    [MethodImpl(Inl)]
    public static float MinF32(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b)) return a + b;
        if (a == b) return BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) | BitConverter.SingleToInt32Bits(b));
        return a < b ? a : b;
    }

    [MethodImpl(Inl)]
    public static float MaxF32(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b)) return a + b;
        if (a == b) return BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) & BitConverter.SingleToInt32Bits(b));
        return a > b ? a : b;
    }

    [MethodImpl(Inl)]
    public static double MinF64(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b)) return a + b;
        if (a == b) return BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(a) | BitConverter.DoubleToInt64Bits(b));
        return a < b ? a : b;
    }

    [MethodImpl(Inl)]
    public static double MaxF64(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b)) return a + b;
        if (a == b) return BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(a) & BitConverter.DoubleToInt64Bits(b));
        return a > b ? a : b;
    }

    // Trapping truncations (spec §4.3.4 trunc). The in-range test (false for NaN) is inlined into the
    // generated code; only a value that traps goes to the out-of-line TruncTrap. In range, the conversion
    // is one cvttss2si/cvttsd2si (Cvt*): a C# cast since .NET 9 saturates, which x64 pays for with a NaN
    // mask, a compare and a cmov per conversion that the range test has already made useless.
    [MethodImpl(Inl)]
    private static int CvtI32(float x) => Sse.IsSupported ? Sse.ConvertToInt32WithTruncation(Vector128.CreateScalarUnsafe(x)) : (int)x;

    [MethodImpl(Inl)]
    private static int CvtI32(double x) => Sse2.IsSupported ? Sse2.ConvertToInt32WithTruncation(Vector128.CreateScalarUnsafe(x)) : (int)x;

    [MethodImpl(Inl)]
    private static long CvtI64(float x) => Sse.X64.IsSupported ? Sse.X64.ConvertToInt64WithTruncation(Vector128.CreateScalarUnsafe(x)) : (long)x;

    [MethodImpl(Inl)]
    private static long CvtI64(double x) => Sse2.X64.IsSupported ? Sse2.X64.ConvertToInt64WithTruncation(Vector128.CreateScalarUnsafe(x)) : (long)x;

    // The conversions of in-range values (the trapping forms' in-range path; FunctionCompiler.Numeric.cs also emits
    // them alone where a branch the code took right before proves the operand in range, TruncGuardedInRange).
    [MethodImpl(Inl)] public static int InRangeI32F32S(float x) => CvtI32(x);
    [MethodImpl(Inl)] public static int InRangeI32F32U(float x) => Sse.X64.IsSupported ? (int)CvtI64(x) : (int)(uint)x; // 0 .. 2^32 - 1 fits an int64
    [MethodImpl(Inl)] public static int InRangeI32F64S(double x) => CvtI32(x);
    [MethodImpl(Inl)] public static int InRangeI32F64U(double x) => Sse2.X64.IsSupported ? (int)CvtI64(x) : (int)(uint)x;
    [MethodImpl(Inl)] public static long InRangeI64F32S(float x) => CvtI64(x);
    [MethodImpl(Inl)] public static long InRangeI64F32U(float x) => (long)(ulong)x;
    [MethodImpl(Inl)] public static long InRangeI64F64S(double x) => CvtI64(x);
    [MethodImpl(Inl)] public static long InRangeI64F64U(double x) => (long)(ulong)x;

    [MethodImpl(Inl)]
    public static int TruncI32F32S(float x)
    {
        if (x >= -2147483648f && x < 2147483648f) return InRangeI32F32S(x);
        TruncTrap(x);
        return 0;
    }

    [MethodImpl(Inl)]
    public static int TruncI32F32U(float x)
    {
        if (x > -1f && x < 4294967296f) return InRangeI32F32U(x);
        TruncTrap(x);
        return 0;
    }

    [MethodImpl(Inl)]
    public static int TruncI32F64S(double x)
    {
        if (x > -2147483649.0 && x < 2147483648.0) return InRangeI32F64S(x);
        TruncTrap(x);
        return 0;
    }

    [MethodImpl(Inl)]
    public static int TruncI32F64U(double x)
    {
        if (x > -1.0 && x < 4294967296.0) return InRangeI32F64U(x);
        TruncTrap(x);
        return 0;
    }

    [MethodImpl(Inl)]
    public static long TruncI64F32S(float x)
    {
        if (x >= -9223372036854775808f && x < 9223372036854775808f) return InRangeI64F32S(x);
        TruncTrap(x);
        return 0;
    }

    [MethodImpl(Inl)]
    public static long TruncI64F32U(float x)
    {
        if (x > -1f && x < 18446744073709551616f) return InRangeI64F32U(x);
        TruncTrap(x);
        return 0;
    }

    [MethodImpl(Inl)]
    public static long TruncI64F64S(double x)
    {
        if (x >= -9223372036854775808.0 && x < 9223372036854775808.0) return InRangeI64F64S(x);
        TruncTrap(x);
        return 0;
    }

    [MethodImpl(Inl)]
    public static long TruncI64F64U(double x)
    {
        if (x > -1.0 && x < 18446744073709551616.0) return InRangeI64F64U(x);
        TruncTrap(x);
        return 0;
    }

    /// <summary>
    /// The trap of a trapping truncation whose operand is out of range: NaN is an invalid conversion, anything
    /// else an overflow. Its body is a single throw, so the JIT sees a call that never returns: the values live
    /// in the conversion's hot path need not survive that call (before, with a conditional body, the JIT kept
    /// them on the stack around it: spills on the hot path of every loop with a truncation).
    /// </summary>
    [DoesNotReturn]
    private static void TruncTrap(double x) => Trap.Truncation(x);

    // Saturating truncations (spec §4.3.4 trunc_sat).
    [MethodImpl(Inl)] public static int SatI32F32S(float x) => float.IsNaN(x) ? 0 : x < -2147483648f ? int.MinValue : x >= 2147483648f ? int.MaxValue : (int)x;
    [MethodImpl(Inl)] public static int SatI32F32U(float x) => float.IsNaN(x) || x <= -1f ? 0 : x >= 4294967296f ? -1 : (int)(uint)x;
    [MethodImpl(Inl)] public static int SatI32F64S(double x) => double.IsNaN(x) ? 0 : x <= -2147483649.0 ? int.MinValue : x >= 2147483648.0 ? int.MaxValue : (int)x;
    [MethodImpl(Inl)] public static int SatI32F64U(double x) => double.IsNaN(x) || x <= -1.0 ? 0 : x >= 4294967296.0 ? -1 : (int)(uint)x;
    [MethodImpl(Inl)] public static long SatI64F32S(float x) => float.IsNaN(x) ? 0 : x < -9223372036854775808f ? long.MinValue : x >= 9223372036854775808f ? long.MaxValue : (long)x;
    [MethodImpl(Inl)] public static long SatI64F32U(float x) => float.IsNaN(x) || x <= -1f ? 0 : x >= 18446744073709551616f ? -1 : (long)(ulong)x;
    [MethodImpl(Inl)] public static long SatI64F64S(double x) => double.IsNaN(x) ? 0 : x < -9223372036854775808.0 ? long.MinValue : x >= 9223372036854775808.0 ? long.MaxValue : (long)x;
    [MethodImpl(Inl)] public static long SatI64F64U(double x) => double.IsNaN(x) || x <= -1.0 ? 0 : x >= 18446744073709551616.0 ? -1 : (long)(ulong)x;

    // Unsigned 64-bit to float with a single rounding.
    public static float U64ToF32(long v)
    {
        if (v >= 0) return v;
        ulong u = (ulong)v;
        return (float)(long)((u >> 1) | (u & 1)) * 2f;
    }

    public static double U64ToF64(long v)
    {
        if (v >= 0) return v;
        ulong u = (ulong)v;
        return (double)(long)((u >> 1) | (u & 1)) * 2.0;
    }

    /// <summary>f64.promote_f32 with NaNs quieted explicitly, so the JIT cannot fold demote(promote(x)) to x.</summary>
    [MethodImpl(Inl)]
    public static double PromoteF32(float x)
    {
        double d = x;
        return !double.IsNaN(d) ? d : BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(d) | 0x0008000000000000);
    }

    public static float U32ToF32(int v) => (float)(uint)v;
    public static double U32ToF64(int v) => (uint)v;
    public static float I64ToF32(long v) => v;

    [MethodImpl(Inl)] public static int F32Bits(float x) => BitConverter.SingleToInt32Bits(x);
    [MethodImpl(Inl)] public static long F64Bits(double x) => BitConverter.DoubleToInt64Bits(x);
    /// <summary>f32.reinterpret_i32, never folded into a float constant (see <see cref="FloatConstants.OpaqueZero"/>).</summary>
    [MethodImpl(Inl)] public static float F32FromBits(int x) => BitConverter.Int32BitsToSingle(x ^ FloatConstants.OpaqueZero);
    [MethodImpl(Inl)] public static double F64FromBits(long x) => BitConverter.Int64BitsToDouble(x);
#pragma warning restore CS1591
}
