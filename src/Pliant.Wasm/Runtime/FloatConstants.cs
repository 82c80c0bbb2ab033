using System.Runtime.CompilerServices;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// Float constants the JIT must not see as constants: it folds x-0, x*1, x/1, x*-1 and quiets
/// signalling NaN literals, which WebAssembly forbids (spec §4.3.3: NaN propagation).
/// Mutable statics and a non-inlined reinterpretation keep the values opaque.
/// </summary>
public static class FloatConstants
{
#pragma warning disable CA2211, CS1591
    public static float F32Zero = 0f;
    public static float F32NegZero = -0f;
    public static float F32One = 1f;
    public static float F32NegOne = -1f;
    public static double F64Zero = 0d;
    public static double F64NegZero = -0d;
    public static double F64One = 1d;
    public static double F64NegOne = -1d;

    /// <summary>
    /// Always 0. Integer bits becoming an f32 are XORed with it so the JIT never sees a constant
    /// operand: it keeps float constants as doubles, and the conversion quiets signalling NaNs
    /// (<c>i32.const 0x7FA00001; f32.reinterpret_i32</c> returned 0x7FE00001).
    /// </summary>
    public static int OpaqueZero;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float F32(int bits) => BitConverter.Int32BitsToSingle(bits);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double F64(long bits) => BitConverter.Int64BitsToDouble(bits);
#pragma warning restore CA2211, CS1591
}
