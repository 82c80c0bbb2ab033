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

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float F32(int bits) => BitConverter.Int32BitsToSingle(bits);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double F64(long bits) => BitConverter.Int64BitsToDouble(bits);
#pragma warning restore CA2211, CS1591
}
