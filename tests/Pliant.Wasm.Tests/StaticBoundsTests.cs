using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Accesses whose address is statically inside the declared minimum memory are compiled without a bounds
/// check (FunctionCompiler.Bounds.cs); everything else must still trap exactly where the spec says.
/// </summary>
public class StaticBoundsTests
{
    private static byte[] And(int mask) => [0x20, 0, .. I32Const(mask), 0x71];

    [Fact]
    public void UncheckedAccessesReadAndWriteTheRightBytes()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        // store8 at (p & 0xFF) + 100, then i32.load, i64.load32_u and i32.load16_u there, summed.
        b.Func(b.Type([I32, I32], [I64]), [
            .. And(0xFF), 0x20, 1, 0x3A, 0, 100,            // i32.store8 offset=100
            .. And(0xFF), 0x28, 2, 100, 0xAD,                 // i32.load offset=100, i64.extend_i32_u
            .. And(0xFF), 0x35, 2, 100, 0x7C,                 // i64.load32_u offset=100, i64.add
            .. And(0xFF), 0x2F, 1, 100, 0xAD, 0x7C,           // i32.load16_u offset=100, i64.extend_i32_u, i64.add
        ], export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var f = inst.GetFunction<Func<int, int, long>>("f");
        var mem = inst.GetMemory()!;
        mem.Span[0x1000 + 101] = 0xFF; // outside the masked range: untouched
        Assert.Equal(3L * 0xAB, f(0x7FFF_FF00 | 5, 0x1AB)); // only the low byte is stored; address 105
        Assert.Equal(0xAB, mem.Span[105]);
        Assert.Equal(0, mem.Span[104]);
        Assert.Equal(0, mem.Span[106]);
    }

    [Fact]
    public void ABoundBeyondTheMinimumKeepsTheCheck()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        b.Func(b.Type([I32], [I32]), [.. And(0xFFFF), 0x28, 2, 0], export: "load");              // bound 65535 + 4 > 65536
        b.Func(b.Type([I32], [I32]), [.. And(0xFF), 0x2D, 0, .. U32(65281)], export: "load8");   // 255 + 65281 + 1 > 65536
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var load = inst.GetFunction<Func<int, int>>("load");
        var load8 = inst.GetFunction<Func<int, int>>("load8");
        Assert.Equal(0, load(65532));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => load(65533)).Message);
        Assert.Equal(0, load8(254));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => load8(255)).Message);
    }

    [Fact]
    public void ALoopParameterArrivingByTheBackEdgeIsChecked()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        uint loopType = b.Type([I32], [I32]);
        // i32.const 16; loop (param i32) (result i32): load8_u at the parameter; the back edge brings local 0
        b.FuncWithLocals(b.Type([I32], [I32]), [
            .. I32Const(16),
            0x03, (byte)loopType,
            0x2D, 0, 0, 0x1A,                     // i32.load8_u at the parameter, drop
            0x20, 0,                              // next parameter: p (unbounded)
            0x20, 1, 0x45,                        // continue while local 1 == 0
            .. I32Const(1), 0x21, 1,
            0x0D, 0,                              // br_if 0 (back edge)
            0x0B,
        ], [(1u, I32)], export: "f");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("f");
        Assert.Equal(100, f(100));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(65536)).Message);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(0x7FFF_0000)).Message);
    }

    [Fact]
    public void GrownMemoryKeepsUncheckedAccessesValid()
    {
        var b = new ModuleBuilder();
        b.Memory(1, 4);
        // memory.grow 2, then store and load at (p & 0xFFF): inside the first page whatever the size.
        b.Func(b.Type([I32], [I32]), [
            .. I32Const(2), 0x40, 0, 0x1A,
            .. And(0xFFF), .. I32Const(77), 0x36, 2, 0,
            .. And(0xFFF), 0x28, 2, 0,
        ], export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(77, inst.GetFunction<Func<int, int>>("f")(0x1234));
        Assert.Equal(77, BitConverter.ToInt32(inst.GetMemory()!.Span[0x234..]));
        Assert.Equal(3, inst.GetMemory()!.Pages);
    }
}
