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

    [Fact]
    public void ConsecutiveCallsInOneBlockSeeExactlyTheFuelTheirPredecessorsLeft()
    {
        // f(n): block { loop { call leaf; call host; local.get 0; i32.eqz; br_if 1        (header block: 5)
        //                      call leaf; call leaf; local.get 0; i32.const 1; i32.sub; local.tee 0; br_if 0 }}  (7)
        // A call right after another in the same block publishes no fuel before calling (the local holds what
        // the previous callee left, ExecState.Fuel already); after a charge (the block after br_if) it must.
        // Each callee has to start from exactly what is left — the host's own charge (1000) included — and
        // stop at the same point when it runs out.
        Instance? caller = null;
        int hostCalls = 0;
        var imports = new Imports().Function<Action>("host", "work", () => { hostCalls++; caller!.Fuel -= 1000; });
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        uint t = b.Type([], []);
        uint host = b.ImportFunc("host", "work", t);
        uint leaf = b.Func(t, Repeat(Increment, 10)); // 40 instructions
        b.Func(b.Type([I32], []), [0x02, 0x40, 0x03, 0x40, 0x10, (byte)leaf, 0x10, (byte)host, 0x20, 0x00, 0x45, 0x0D, 0x01,
            0x10, (byte)leaf, 0x10, (byte)leaf, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x22, 0x00, 0x0D, 0x00, 0x0B, 0x0B], export: "f");
        caller = CompiledModule.Compile(b.Build()).Instantiate(imports);
        var f = caller.GetFunction<Action<int>>("f");
        caller.Fuel = 1_000_000;
        f(10);
        // Per iteration: 12 instructions of f, 3 × 40 of the leaves, 1000 charged by the host.
        Assert.Equal(300, caller.GetGlobal("counter").I32); // 30 leaves
        Assert.Equal(1_000_000 - 10 * (12 + 3 * 40 + 1000), caller.Fuel);

        // Fuel left at each point (header 5, leaf 40, host 1000, second block 7), and where it runs out:
        // 1200: header 1195, leaf 1155, host 155, block 148, leaves 108 and 68; header 63, leaf 23, host -977:
        //       the check after the second host call traps (4 leaves ran);
        // 170:  header 165, leaf 125, host -875: trapped after the first host call (1 leaf);
        // 1160: header 1155, leaf 1115, host 115, block 108, leaves 68 and 28; header 23, and the next leaf
        //       does not fit: it traps at its entry with -17 (3 leaves);
        // 1049: header 1044, leaf 1004, host 4, block -3 (not checked there), and the leaf after it traps at
        //       its entry with -43 (1 leaf).
        foreach (var (fuel, leaves, hosts, left) in new[] { (1200L, 4, 2, -977L), (170L, 1, 1, -875L), (1160L, 3, 1, -17L), (1049L, 1, 1, -43L) })
        {
            caller.GetGlobal("counter").I32 = 0;
            hostCalls = 0;
            caller.Fuel = fuel;
            Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => f(10)).Message);
            Assert.Equal(leaves * 10, caller.GetGlobal("counter").I32);
            Assert.Equal(hosts, hostCalls);
            Assert.Equal(left, caller.Fuel);
        }
    }

    // block { loop { counter++; local.get 0; i32.eqz; br_if 1  (header block: 7)
    //                 local.get 0; i32.const 1; i32.sub; local.set 0; br 0 }}  (back edge block: 5)
    private static readonly byte[] CountDown =
        [0x02, 0x40, 0x03, 0x40, .. Increment, 0x20, 0x00, 0x45, 0x0D, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x21, 0x00, 0x0C, 0x00, 0x0B, 0x0B];

    [Fact]
    public void ABackEdgeIsChargedForItsBlockAndTheLoopHeader()
    {
        // The block ending in `br 0` is charged at the branch together with the header block it skips
        // (FuelPlan.Edge): n iterations cost 12n, the last header 7, exactly as one unit per instruction.
        var inst = Counting(CountDown, 1_000_000);
        inst.GetFunction<Action<int>>("f")(100);
        Assert.Equal(101, inst.GetGlobal("counter").Value.I32);
        Assert.Equal(1_000_000 - (12 * 100 + 7), inst.Fuel);
    }

    [Theory]
    // Fuel runs out where the next header's charge no longer fits: after k back-edge blocks, before the
    // k+1-th header (so the counter shows k), with 93 - 12k left; exactly zero left does not trap.
    [InlineData(100, 8, -3)]
    [InlineData(43, 4, -12)]
    [InlineData(6, 0, -1)]
    public void FuelRunsOutAtTheSamePointThroughABackEdge(long fuel, int counter, long left)
    {
        var inst = Counting(CountDown, fuel);
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Action<int>>("f")(1000)).Message);
        Assert.Equal(counter, inst.GetGlobal("counter").Value.I32);
        Assert.Equal(left, inst.Fuel);
    }

    // An interpreter's dispatch loop: block { loop { local.get 0; i32.eqz; br_if 1            (header: 3)
    //   block block block  local.get 0; i32.const 1; i32.sub; local.tee 0; i32.const 3; i32.and;
    //   br_table 0 1 2 3 (default: the loop)                                                 (dispatch: 7)
    //   end counter++ ×1; br 2   end counter++ ×2; br 1   end counter++ ×3; br 0 }}           (arms: 5, 9, 13)
    private static readonly byte[] Dispatch =
    [
        0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x45, 0x0D, 0x01,
        0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x22, 0x00, 0x41, 0x03, 0x71, 0x0E, 0x03, 0x00, 0x01, 0x02, 0x03,
        0x0B, .. Increment, 0x0C, 0x02,
        0x0B, .. Repeat(Increment, 2), 0x0C, 0x01,
        0x0B, .. Repeat(Increment, 3), 0x0C, 0x00,
        0x0B, 0x0B,
    ];

    [Fact]
    public void ADispatchLoopIsChargedPerInstructionWhicheverWayItLoopsBack()
    {
        // n = 8 runs the arms for (n-1)&3 = 3 (the default, back through the header), 2, 1, 0, twice:
        // 8 × 10 for header and dispatch, 2 × (0 + 13 + 9 + 5) for the arms, 3 for the last header.
        var inst = Counting(Dispatch, 1_000_000);
        inst.GetFunction<Action<int>>("f")(8);
        Assert.Equal(12, inst.GetGlobal("counter").Value.I32);
        Assert.Equal(1_000_000 - 137, inst.Fuel);

        // With 50: headers leave 47, 37 (after the default), 14 (after arm 2), then arm 1 runs
        // (counter 5) and the fourth header does not fit: -5.
        inst = Counting(Dispatch, 50);
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Action<int>>("f")(8)).Message);
        Assert.Equal(5, inst.GetGlobal("counter").Value.I32);
        Assert.Equal(-5, inst.Fuel);
    }

    [Fact]
    public void ThePlanMovesABackEdgeBlocksChargeToItsBranch()
    {
        // CountDown: block(0) loop(1) | header 2..8 | back-edge block 9..13 (br 0 at 13) | end end.
        var plan = PlanOf(CountDown);
        Assert.Equal(7, plan.Cost[2]);
        Assert.True(plan.Check[2]);
        Assert.Equal(0, plan.Cost[9]);
        Assert.False(plan.Check[9]);
        Assert.Equal(5 + 7, plan.Edge![13]);
        Assert.Equal(7 + 12, plan.Cost.Sum() + plan.Edge!.Sum());

        // Not moved: a block that calls (the callee must see the fuel it had)...
        // loop(0) | header 1..2: local.get 0; br_if 0 | 3..5: local.get 0; call 0; br 0 | end (and the body's)
        var calls = PlanOf([0x03, 0x40, 0x20, 0x00, 0x0D, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0C, 0x00, 0x0B]);
        Assert.Equal(3, calls.Cost[3]);
        Assert.Null(calls.Edge);
        // ...nor a loop's own header block branching back to itself (the branch re-enters at its charge).
        // loop(0) | header 1..3: local.get 0; drop; br 0 | end end
        var self = PlanOf([0x03, 0x40, 0x20, 0x00, 0x1A, 0x0C, 0x00, 0x0B]);
        Assert.Equal(3, self.Cost[1]);
        Assert.Null(self.Edge);

        // A branch from an inner loop to the outer one takes the outer header's charge.
        // loop(0) | outer header 1..2: i32.const 1; drop | loop(3) | inner header 4..5: local.get 0; br_if 0
        // | 6..8: local.get 0; drop; br 1 | end end end
        var nested = PlanOf([0x03, 0x40, 0x41, 0x01, 0x1A, 0x03, 0x40, 0x20, 0x00, 0x0D, 0x00, 0x20, 0x00, 0x1A, 0x0C, 0x01, 0x0B, 0x0B]);
        Assert.Equal(2, nested.Cost[1]);
        Assert.Equal(2, nested.Cost[4]);
        Assert.Equal(0, nested.Cost[6]);
        Assert.Equal(3 + 2, nested.Edge![8]);
    }

    /// <summary>An instance of <paramref name="code"/> as export <c>f</c> (one i32 parameter), with a counter global and <paramref name="fuel"/>.</summary>
    private static Instance Counting(byte[] code, long fuel)
    {
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        b.Func(b.Type([I32], []), code, export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        inst.Fuel = fuel;
        return inst;
    }

    private static Pliant.Wasm.Compilation.FuelPlan PlanOf(byte[] code)
    {
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        uint t = b.Type([I32], []);
        b.Func(t, code);
        var body = Pliant.Wasm.Decoding.ModuleDecoder.Decode(b.Build()).Bodies[0];
        return Pliant.Wasm.Compilation.FuelPlan.For(body.Code, body.Tables);
    }
}
