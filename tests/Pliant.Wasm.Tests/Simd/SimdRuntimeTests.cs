using System.Runtime.Intrinsics;
using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Simd;

/// <summary>v128 values across every boundary: typed exports, host imports, globals, multi-value, tables, control flow.</summary>
public class SimdRuntimeTests
{
    private const uint I32x4Add = 174, I32x4Splat = 17, I32x4ExtractLane = 27, I32x4Mul = 181;

    [Fact]
    public void TypedExportTakesAndReturnsVectors()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([V128, V128], [V128]), [0x20, 0, 0x20, 1, .. SimdInstr(I32x4Add)], export: "add");
        var add = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<Vector128<byte>, Vector128<byte>, Vector128<byte>>>("add");
        var r = add(Vector128.Create(1, 2, 3, int.MaxValue).AsByte(), Vector128.Create(10, 20, 30, 1).AsByte()).AsInt32();
        Assert.Equal(Vector128.Create(11, 22, 33, int.MinValue), r);
    }

    [Fact]
    public void HostFunctionTakesAndReturnsVectors()
    {
        var b = new ModuleBuilder();
        uint host = b.ImportFunc("env", "twice", b.Type([V128], [V128]));
        b.Func(b.Type([I32], [I32]), [0x20, 0, .. SimdInstr(I32x4Splat), 0x10, (byte)host, .. SimdInstr(I32x4ExtractLane, 3)], export: "f");
        int calls = 0;
        var imports = new Imports().Function("env", "twice", (Vector128<byte> v) => { calls++; return (v.AsInt32() * 2).AsByte(); });
        var inst = CompiledModule.Compile(b.Build()).Instantiate(imports);
        Assert.Equal(42, inst.GetFunction<Func<int, int>>("f")(21));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void VectorGlobalsAreReadAndWrittenByWasmAndHost()
    {
        var b = new ModuleBuilder();
        uint g = b.Global(V128, true, V128Const(1, 2, 3, 4), export: "g");
        b.Func(b.Type([I32], [I32]), [0x23, (byte)g, .. SimdInstr(I32x4ExtractLane, 2), 0x20, 0, .. SimdInstr(I32x4Splat), 0x24, (byte)g], export: "swap");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var global = inst.GetGlobal("g");
        Assert.Equal(Vector128.Create(1, 2, 3, 4).AsByte(), global.Value.V128);
        Assert.Equal(3, inst.GetFunction<Func<int, int>>("swap")(9));
        Assert.Equal(Vector128.Create(9).AsByte(), global.Value.V128);
        global.Value = WasmValue.FromV128(Vector128.Create(5, 6, 7, 8).AsByte());
        Assert.Equal(7, inst.GetFunction<Func<int, int>>("swap")(0));
    }

    [Fact]
    public void MultipleResultsIncludingVectors()
    {
        var inst = CompiledModule.Compile(BuildThree()).Instantiate();
        var r = inst.Invoke("three", []);
        Assert.Equal(Vector128.Create(1, 2, 3, 4).AsByte(), r[0].V128);
        Assert.Equal(7, r[1].I32);
        Assert.Equal(Vector128.Create(10, 20, 30, 40).AsByte(), r[2].V128);
        Assert.Equal((2 + 20) * 7, inst.GetFunction<Func<int>>("use")());
    }

    /// <summary>three() -> (v128 1 2 3 4, i32 7, v128 10 20 30 40); use() = ((a + c) * splat k).lane1 with c kept in a local.</summary>
    private static byte[] BuildThree()
    {
        var b = new ModuleBuilder();
        uint three = b.Func(b.Type([], [V128, I32, V128]), [.. V128Const(1, 2, 3, 4), 0x41, 7, .. V128Const(10, 20, 30, 40)], export: "three");
        b.Func(b.Type([], [I32]),
            [0x10, (byte)three, 0x21, 1, 0x21, 0, 0x20, 1, .. SimdInstr(I32x4Add), 0x20, 0, .. SimdInstr(I32x4Splat), .. SimdInstr(I32x4Mul), .. SimdInstr(I32x4ExtractLane, 1)],
            locals: [I32, V128], export: "use");
        return b.Build();
    }

    [Fact]
    public void CallIndirectPassesVectors()
    {
        var b = new ModuleBuilder();
        b.Table(2);
        uint t = b.Type([V128], [V128]);
        uint dbl = b.Func(t, [0x20, 0, 0x20, 0, .. SimdInstr(I32x4Add)]);
        uint sq = b.Func(t, [0x20, 0, 0x20, 0, .. SimdInstr(I32x4Mul)]);
        b.Elem(0, dbl, sq);
        b.Func(b.Type([I32, I32], [I32]), [0x20, 1, .. SimdInstr(I32x4Splat), 0x20, 0, 0x11, (byte)t, 0x00, .. SimdInstr(I32x4ExtractLane, 0)], export: "apply");
        var apply = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int, int>>("apply");
        Assert.Equal(12, apply(0, 6));
        Assert.Equal(36, apply(1, 6));
        Assert.Equal("undefined element", Assert.Throws<WasmTrapException>(() => apply(2, 6)).Message);
    }

    [Fact]
    public void VectorsFlowThroughBranchesIfAndSelect()
    {
        var b = new ModuleBuilder();
        // block (result v128) { const 1; br_table 0 0 (k) } ; const 10 ; select (k) ; lane 0
        b.Func(b.Type([I32], [I32]),
            [0x02, V128, .. V128Const(1, 1, 1, 1), 0x20, 0, 0x0E, 1, 0, 0, 0x0B, .. V128Const(10, 20, 30, 40), 0x20, 0, 0x1B, .. SimdInstr(I32x4ExtractLane, 0)],
            export: "sel");
        // const 5 6 7 8 ; if (param v128) (result v128) (k) { + 1 } else { } ; lane 2
        uint vv = b.Type([V128], [V128]);
        b.Func(b.Type([I32], [I32]),
            [.. V128Const(5, 6, 7, 8), 0x20, 0, 0x04, (byte)vv, .. V128Const(1, 1, 1, 1), .. SimdInstr(I32x4Add), 0x05, 0x0B, .. SimdInstr(I32x4ExtractLane, 2)],
            export: "cond");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var sel = inst.GetFunction<Func<int, int>>("sel");
        var cond = inst.GetFunction<Func<int, int>>("cond");
        Assert.Equal(1, sel(1));
        Assert.Equal(10, sel(0));
        Assert.Equal(8, cond(1));
        Assert.Equal(7, cond(0));
    }
}
