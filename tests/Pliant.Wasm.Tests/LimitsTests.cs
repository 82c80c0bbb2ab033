using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>Hostile modules: each must trap cleanly and leave the process usable.</summary>
public class LimitsTests
{
    [Fact]
    public void InfiniteLoopRunsOutOfFuel()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), [0x03, 0x40, 0x0C, 0x00, 0x0B], export: "spin"); // loop br 0 end
        b.Func(b.Type([], [I32]), [0x41, 7], export: "seven");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var e = Assert.Throws<WasmTrapException>(() => inst.Invoke("spin", [], fuel: 1_000_000));
        Assert.Equal("fuel exhausted", e.Message);
        Assert.Equal(WasmValue.FromI32(7), inst.Invoke("seven", [], fuel: 10)[0]);
    }

    [Fact]
    public void UnboundedRecursionIsATrapNotACrash()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), [0x10, 0x00], export: "rec");
        uint t = b.Type([I64], [I64]);
        // a function with a wide frame recursing forever
        b.Func(t, [0x20, 0, 0x42, 1, 0x7C, 0x10, 1, 0x20, 1, 0x7C], locals: Enumerable.Repeat(I64, 200).ToArray(), export: "wide");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => inst.Invoke("rec", [])).Message);
            Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Func<long, long>>("wide")(0)).Message);
        }
    }

    [Fact]
    public void RecursionOnASmallThreadStackStillTraps()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), [0x10, 0x00], export: "rec");
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 1_000_000 }).Instantiate();
        Exception? caught = null;
        var th = new Thread(() => caught = Record.Exception(() => inst.Invoke("rec", [])), 256 * 1024);
        th.Start();
        th.Join();
        Assert.IsType<WasmTrapException>(caught);
    }

    [Fact]
    public void MemoryGrowLoopHitsThePageCap()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        // loop: if memory.grow(1) != -1 continue; then unreachable
        b.Func(b.Type([], []), [0x03, 0x40, 0x41, 1, 0x40, 0, 0x41, 0x7F, 0x47, 0x0D, 0, 0x0B, 0x00], export: "hog");
        var module = CompiledModule.Compile(b.Build(), new WasmLimits { MaxMemoryPages = 64 });
        var inst = module.Instantiate();
        Assert.Equal("unreachable", Assert.Throws<WasmTrapException>(() => inst.Invoke("hog", [])).Message);
        Assert.Equal(64, inst.GetMemory().Pages);
    }

    [Fact]
    public void GrowthIsChargedSoFuelBoundsAGrowLoop()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        b.Func(b.Type([], []), [0x03, 0x40, 0x41, 1, 0x40, 0, 0x41, 0x7F, 0x47, 0x0D, 0, 0x0B, 0x00], export: "hog");
        var inst = CompiledModule.Compile(b.Build()).Instantiate(); // default cap: 16384 pages
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => inst.Invoke("hog", [], fuel: 5_000_000)).Message);
        Assert.InRange(inst.GetMemory().Pages, 2, 200);
    }

    [Fact]
    public void TableGrowLoopHitsTheSizeCap()
    {
        var b = new ModuleBuilder();
        b.Table(0);
        // loop: if table.grow(ref.null, 1000) != -1 continue; then unreachable
        b.Func(b.Type([], []), [0x03, 0x40, 0xD0, 0x70, 0x41, 0xE8, 0x07, 0xFC, 0x0F, 0x00, 0x41, 0x7F, 0x47, 0x0D, 0, 0x0B, 0x00], export: "hog");
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxTableSize = 50_000 }).Instantiate();
        Assert.Equal("unreachable", Assert.Throws<WasmTrapException>(() => inst.Invoke("hog", [])).Message);
        Assert.Equal(50_000, inst.Tables[0].Size);
    }

    [Fact]
    public void ModuleSizeIsCapped()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), []);
        var bytes = b.Build();
        Assert.Throws<WasmMalformedException>(() => CompiledModule.Compile(bytes, new WasmLimits { MaxModuleBytes = 8 }));
    }
}

public class FuelAccountingTests
{
    [Fact]
    public void FuelIsChargedAcrossCallsAndTypedExports()
    {
        var b = new ModuleBuilder();
        uint leaf = b.Func(b.Type([], []), []);
        // loop forever calling leaf
        b.Func(b.Type([], []), [0x03, 0x40, 0x10, (byte)leaf, 0x0C, 0x00, 0x0B], export: "spin");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        inst.Fuel = 10_000;
        var spin = inst.GetFunction<Action>("spin");
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(spin).Message);
        Assert.True(inst.Fuel < 0);
        inst.Fuel = 1_000_000;
        Assert.Throws<WasmTrapException>(spin);
    }
}
