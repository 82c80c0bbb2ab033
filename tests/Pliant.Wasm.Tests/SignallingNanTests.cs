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
}
