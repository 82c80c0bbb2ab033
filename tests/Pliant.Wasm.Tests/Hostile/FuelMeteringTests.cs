using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Hostile;

/// <summary>
/// Fuel is one unit per instruction executed (charged per basic block), so the work a call does is
/// bounded by its budget whatever the shape of the code: long loop bodies, long straight-line code.
/// </summary>
public class FuelMeteringTests
{
    /// <summary><c>global.get 0; i32.const 1; i32.add; global.set 0</c>: four instructions adding 1 to the counter.</summary>
    private static readonly byte[] Increment = [0x23, 0x00, 0x41, 0x01, 0x6A, 0x24, 0x00];

    private static byte[] Repeat(byte[] piece, int times) => Enumerable.Range(0, times).SelectMany(_ => piece).ToArray();

    [Fact]
    public void LoopWithALongBodyIsBoundedByInstructionsNotIterations()
    {
        // loop { 2500 × increment (10 000 instructions) ; br 0 }: one unit per iteration would let a
        // 1 000 000 budget run 10^10 instructions; charged per instruction it runs ~100 iterations.
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        b.Func(b.Type([], []), [0x03, 0x40, .. Repeat(Increment, 2500), 0x0C, 0x00, 0x0B], export: "spin");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var (error, _) = Bounded.Run(() => inst.Invoke("spin", [], fuel: 1_000_000));
        Assert.Equal("fuel exhausted", Assert.IsType<WasmTrapException>(error).Message);
        int increments = inst.GetGlobal("counter").Value.I32;
        Assert.InRange(increments, 2500, 1_000_000 / 4);
    }

    [Fact]
    public void StraightLineCodeOverTheBudgetNeverStarts()
    {
        // 30 000 instructions without a branch: the block is charged before it runs, so a budget of
        // 10 000 traps at entry and the counter is never touched.
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        b.Func(b.Type([], []), Repeat(Increment, 7500), export: "long");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => inst.Invoke("long", [], fuel: 10_000)).Message);
        Assert.Equal(0, inst.GetGlobal("counter").Value.I32);
        inst.Invoke("long", [], fuel: 30_001);
        Assert.Equal(7500, inst.GetGlobal("counter").Value.I32);
    }

    [Fact]
    public void FuelIsChargedPerInstructionExecuted()
    {
        // 100 iterations of a 7-instruction body: local.get 0; i32.const 1; i32.sub; local.tee 0; br_if 0 — plus the increment's 4.
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        b.Func(b.Type([I32], []), [0x03, 0x40, .. Increment, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x22, 0x00, 0x0D, 0x00, 0x0B], export: "count");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        inst.Fuel = 1_000_000;
        inst.GetFunction<Action<int>>("count")(100);
        Assert.Equal(100, inst.GetGlobal("counter").Value.I32);
        Assert.Equal(1_000_000 - 100 * 9, inst.Fuel);
    }

    [Fact]
    public void ABranchOverCodeChargesOnlyWhatRan()
    {
        // if (param) { 1000 increments } — with param 0 only the test and the branch are charged.
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        b.Func(b.Type([I32], []), [0x20, 0x00, 0x04, 0x40, .. Repeat(Increment, 1000), 0x0B], export: "maybe");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var maybe = inst.GetFunction<Action<int>>("maybe");
        inst.Fuel = 100_000;
        maybe(0);
        Assert.Equal(100_000 - 2, inst.Fuel);
        maybe(1);
        Assert.Equal(100_000 - 2 - 2 - 4000, inst.Fuel);
    }

    [Fact]
    public void CallsInALoopAreChargedForTheCalleesBody()
    {
        // The callee is 4000 instructions; the loop calls it forever.
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        uint t = b.Type([], []);
        uint leaf = b.Func(t, Repeat(Increment, 1000));
        b.Func(t, [0x03, 0x40, 0x10, (byte)leaf, 0x0C, 0x00, 0x0B], export: "spin");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var (error, _) = Bounded.Run(() => inst.Invoke("spin", [], fuel: 1_000_000));
        Assert.Equal("fuel exhausted", Assert.IsType<WasmTrapException>(error).Message);
        Assert.InRange(inst.GetGlobal("counter").Value.I32, 1000, 1_000_000 / 4);
        Assert.Equal(0, inst.GetGlobal("counter").Value.I32 % 1000); // the leaf never started without fuel for all of it
    }

    [Fact]
    public void HostFunctionsCanChargeTheCaller()
    {
        // A host function that charges 1000 units per call (as the plugin ABI does): a loop of calls
        // runs out after ~1000 of them, checked as each call returns.
        int calls = 0;
        Instance? caller = null;
        var imports = new Imports().Function<Action>("host", "work", () => { calls++; caller!.Fuel -= 1000; });
        var b = new ModuleBuilder();
        uint t = b.Type([], []);
        uint work = b.ImportFunc("host", "work", t);
        b.Func(t, [0x03, 0x40, 0x10, (byte)work, 0x0C, 0x00, 0x0B], export: "spin");
        caller = CompiledModule.Compile(b.Build()).Instantiate(imports);
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => caller.Invoke("spin", [], fuel: 1_000_000)).Message);
        Assert.InRange(calls, 900, 1000);
    }
}
