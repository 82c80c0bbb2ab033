using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// The short paths FunctionCompiler takes for the commonest instructions (FunctionCompiler.Bounds.cs: PlanLocalWrite,
/// PlanAdd, RecordLocal's newest-fact case; FunctionCompiler.Lazy.cs: TryDeferAdd, MaterializeLocal for a
/// <c>local.set</c>) must plan exactly what the general path did: a bound kept too long would drop a bounds check
/// the spec needs (§4.4.7: an access traps when its effective address + size exceeds the memory's length).
/// </summary>
public class StraightPathTests
{
    private static byte[] And(int mask) => [0x20, 0, .. I32Const(mask), 0x71];

    private static Func<int, int> Load(byte[] code)
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        b.FuncWithLocals(b.Type([I32], [I32]), code, [(1, I32)], export: "f");
        return CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("f");
    }

    [Fact]
    public void ASecondWriteOfTheNewestFactsLocalReplacesItsBound()
    {
        // local 1 = p & 0xFF (bound 255), then local 1 = p & 0xFFFF (the same local, still the newest fact: bound
        // 65535), then i32.load at local 1: 65535 + 4 > 65536, so the access keeps its check.
        var f = Load([.. And(0xFF), 0x21, 1, .. And(0xFFFF), 0x21, 1, 0x20, 1, 0x28, 2, 0]);
        Assert.Equal(0, f(65532));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(65533)).Message);
        // The same through a tee of the second value.
        var g = Load([.. And(0xFF), 0x21, 1, .. And(0xFFFF), 0x22, 1, 0x28, 2, 0]);
        Assert.Equal(0, g(65532));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => g(65533)).Message);
    }

    [Fact]
    public void TheBoundOfASumIsTheSumOfTheBounds()
    {
        // (p & 0xFF) + (p & 0xFF) is at most 510: with offset 65022, 510 + 65022 + 4 = 65536 fits (no check needed),
        // with offset 65023 it does not (checked: traps at p = 255 only).
        var inside = Load([.. And(0xFF), .. And(0xFF), 0x6A, 0x28, 2, .. U32(65022)]);
        Assert.Equal(0, inside(255));
        var edge = Load([.. And(0xFF), .. And(0xFF), 0x6A, 0x28, 2, .. U32(65023)]);
        Assert.Equal(0, edge(254));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => edge(255)).Message);
    }

    [Fact]
    public void ALocalSetOfItsOwnSumLeavesTheOldValueBelow()
    {
        // local.get 0 (kept below); local 0 = local 0 + 5 (a deferred sum of the local, written into it); then the
        // old p below plus the new local 0: p + (p + 5), repeated over a straight run of such writes.
        byte[] step = [0x20, 0, .. I32Const(5), 0x6A, 0x21, 0];
        var f = Load([0x20, 0, .. step, .. step, .. step, 0x20, 0, 0x6A]);
        Assert.Equal(7 + 7 + 15, f(7));
        Assert.Equal(unchecked(int.MaxValue + int.MaxValue + 15), f(int.MaxValue));
    }
}
