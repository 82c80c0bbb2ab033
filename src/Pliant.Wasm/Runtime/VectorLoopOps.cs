using System.Runtime.CompilerServices;
using V = System.Runtime.Intrinsics.Vector128<byte>;

namespace Pliant.Wasm.Runtime;

/// <summary>
/// The unchecked vector accesses of a vectorised counting loop (Compilation/Vectorize.cs), called from generated code.
/// The loop's entry proved every byte the vector part touches inside the memory (one comparison per stream against the
/// length at entry; memory never shrinks and the loop cannot grow it), so the accesses check nothing. Unaligned.
/// </summary>
public static class VectorLoopOps
{
    /// <summary>The 16 bytes at <paramref name="at"/> (a pointer into linear memory proved in bounds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Load(ref byte at) => Unsafe.ReadUnaligned<V>(ref at);

    /// <summary>Writes <paramref name="v"/> to the 16 bytes at <paramref name="at"/> (a pointer into linear memory proved in bounds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(ref byte at, V v) => Unsafe.WriteUnaligned(ref at, v);
}
