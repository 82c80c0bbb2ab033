using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Signalling NaN bit patterns survive every move that is not arithmetic (spec §4.3.3: only arithmetic
/// may quiet a NaN), also when the JIT can see the value is a constant: it keeps float constants as
/// doubles, and converting a signalling f32 NaN to double quiets it. Found by the SIMD differential test
/// (an f32 lane extracted from a v128.const and splatted came back with its quiet bit set).
/// </summary>
public class SignallingNanTests
{
    private const int Snan = 0x7FA00001;
    private const int NegSnan = unchecked((int)0xFF81FEFF);

    private static readonly byte[] SnanBits = [0x41, .. S32(Snan), 0xBE]; // i32.const; f32.reinterpret_i32

    [Fact]
    public void ReinterpretedConstantIsReturnedUnchanged()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([], [F32]), SnanBits, export: "f");
        Assert.Equal(Snan, (int)CompiledModule.Compile(b.Build()).Instantiate().Invoke("f", [])[0].Bits);
    }

    [Fact]
    public void ReinterpretedConstantIsStoredUnchanged()
    {
        var b = new ModuleBuilder();
        b.Memory(1, 1);
        uint g = b.Global(F32, true, [0x43, 0, 0, 0, 0]);
        b.Func(b.Type([], [I32]), [.. SnanBits, 0x24, (byte)g, 0x23, (byte)g, 0xBC], export: "global");
        b.Func(b.Type([], [I32]), [0x41, 0, .. SnanBits, 0x38, 2, 0, 0x41, 0, 0x28, 2, 0], export: "store");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(Snan, inst.GetFunction<Func<int>>("global")());
        Assert.Equal(Snan, inst.GetFunction<Func<int>>("store")());
    }

    [Fact]
    public void LaneOfAConstantVectorMovesUnchanged()
    {
        var b = new ModuleBuilder();
        b.Memory(1, 1);
        byte[] constant = V128Const(NegSnan, Snan, 0, 0);
        b.Func(b.Type([], [F32]), [.. constant, .. SimdInstr(31, 1)], export: "extract");
        b.Func(b.Type([], [I32]), [.. constant, .. SimdInstr(31, 0), .. SimdInstr(19), .. SimdInstr(27, 3)], export: "splat");
        b.Func(b.Type([], [I32]), [.. constant, .. SimdInstr(31, 1), 0xBC], export: "reinterpret");
        b.Func(b.Type([], [I32]), [0x41, 0, .. constant, .. SimdInstr(31, 0), 0x38, 2, 0, 0x41, 0, 0x28, 2, 0], export: "store");
        b.Func(b.Type([], [I32]), [.. V128Const(0, 0, 0, 0), .. constant, .. SimdInstr(31, 1), .. SimdInstr(32, 2), .. SimdInstr(27, 2)], export: "replace");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(Snan, (int)inst.Invoke("extract", [])[0].Bits);
        Assert.Equal(NegSnan, inst.GetFunction<Func<int>>("splat")());
        Assert.Equal(Snan, inst.GetFunction<Func<int>>("reinterpret")());
        Assert.Equal(NegSnan, inst.GetFunction<Func<int>>("store")());
        Assert.Equal(Snan, inst.GetFunction<Func<int>>("replace")());
    }

    [Fact]
    public void SignOperationsKeepThePayloadOfAConstantOrVariableNaN()
    {
        // abs, neg, copysign change the sign bit only (spec §4.3.3), also when the JIT sees the operand is a
        // constant (it could fold them through a double and quiet an f32 signalling NaN) — f32 and f64.
        const long Snan64 = 0x7FF0000000000F01, NegSnan64 = unchecked((long)0xFFF4000000000001);
        byte[] snan32 = SnanBits, negSnan32 = [0x41, .. S32(NegSnan), 0xBE], one32 = [0x43, 0, 0, 0x80, 0x3F];
        byte[] snan64 = [0x42, .. S64(Snan64), 0xBF], negSnan64 = [0x42, .. S64(NegSnan64), 0xBF], minusOne64 = [0x44, 0, 0, 0, 0, 0, 0, 0xF0, 0xBF];
        var b = new ModuleBuilder();
        uint t32 = b.Type([], [I32]), t64 = b.Type([], [I64]), p32 = b.Type([I32], [I32]), p64 = b.Type([I64], [I64]);
        b.Func(t32, [.. negSnan32, 0x8B, 0xBC], export: "abs32");
        b.Func(t32, [.. snan32, 0x8C, 0xBC], export: "neg32");
        b.Func(t32, [.. negSnan32, .. one32, 0x98, 0xBC], export: "copysign32");
        b.Func(t64, [.. negSnan64, 0x99, 0xBD], export: "abs64");
        b.Func(t64, [.. snan64, 0x9A, 0xBD], export: "neg64");
        b.Func(t64, [.. snan64, .. minusOne64, 0xA6, 0xBD], export: "copysign64");
        // The same on a parameter (not a constant): abs, then neg, then copysign from the original.
        b.Func(p32, [0x20, 0, 0xBE, 0x8B, 0x8C, 0x20, 0, 0xBE, 0x98, 0xBC], export: "var32");
        b.Func(p64, [0x20, 0, 0xBF, 0x99, 0x9A, 0x20, 0, 0xBF, 0xA6, 0xBD], export: "var64");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(NegSnan & 0x7FFFFFFF, inst.GetFunction<Func<int>>("abs32")());
        Assert.Equal(Snan | int.MinValue, inst.GetFunction<Func<int>>("neg32")());
        Assert.Equal(NegSnan & 0x7FFFFFFF, inst.GetFunction<Func<int>>("copysign32")());
        Assert.Equal(NegSnan64 & long.MaxValue, inst.GetFunction<Func<long>>("abs64")());
        Assert.Equal(Snan64 | long.MinValue, inst.GetFunction<Func<long>>("neg64")());
        Assert.Equal(Snan64 | long.MinValue, inst.GetFunction<Func<long>>("copysign64")());
        foreach (int x in new[] { Snan, NegSnan, 0, int.MinValue, 0x3F800000 })
            Assert.Equal(x, inst.GetFunction<Func<int, int>>("var32")(x));
        foreach (long x in new[] { Snan64, NegSnan64, 0, long.MinValue, 0x3FF0000000000000 })
            Assert.Equal(x, inst.GetFunction<Func<long, long>>("var64")(x));
    }
}
