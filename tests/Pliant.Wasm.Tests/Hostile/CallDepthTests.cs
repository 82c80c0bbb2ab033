using Pliant.Wasm.Compilation;
using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Hostile;

/// <summary>
/// Call depth is counted only by functions that can recurse (<see cref="CallGraph"/>): on a cycle of direct
/// calls, or making an indirect or imported call. Every cycle a hostile module can build still adds to the
/// depth, so unbounded recursion traps at <see cref="WasmLimits.MaxCallDepth"/> exactly.
/// </summary>
public class CallDepthTests
{
    /// <summary><c>global.get 0; i32.const 1; i32.add; global.set 0</c>.</summary>
    private static readonly byte[] Increment = [0x23, 0x00, 0x41, 0x01, 0x6A, 0x24, 0x00];

    [Fact]
    public void CallGraphMarksCyclesAndUnknownTargets()
    {
        var b = new ModuleBuilder();
        uint v = b.Type([], []);
        b.ImportFunc("host", "cb", v);                 // 0 (import)
        b.Func(v, [0x10, 2]);                          // 1: chain -> 2
        b.Func(v, [0x10, 3]);                          // 2: chain -> 3
        b.Func(v, []);                                 // 3: leaf
        b.Func(v, [0x10, 4]);                          // 4: calls itself
        b.Func(v, [0x10, 6]);                          // 5: 5 -> 6 -> 7 -> 5
        b.Func(v, [0x10, 7]);                          // 6
        b.Func(v, [0x10, 5, 0x10, 3]);                 // 7
        b.Func(v, [0x41, 0, 0x11, (byte)v, 0x00]);     // 8: call_indirect
        b.Func(v, [0x10, 0]);                          // 9: calls the import
        b.Func(v, [0x10, 4]);                          // 10: calls a counting function, is not on a cycle
        b.Func(v, [0x10, 10]);                         // 11: calls 10, which does not count but reaches 4
        b.Table(1);
        var m = CompiledModule.Compile(b.Build()).Module;
        var g = CallGraph.Of(m);
        // Indices below are defined-function indices (function index - 1 import).
        Assert.Equal([false, false, false, true, true, true, true, true, true, false, false], g.Counts);
        Assert.Equal([false, false, false, true, true, true, true, true, true, true, false], g.Restores);
        // Neutral: no run changes the depth, even a trapping one (11 reaches the counting 4 through 10).
        Assert.Equal([true, true, true, false, false, false, false, false, false, false, false], g.Neutral);
    }

    [Fact]
    public void ComponentsOfALongChainAndARingAreFoundWithoutRecursion()
    {
        // 100 000 functions in one call chain closing into a ring: one component, found iteratively.
        const int n = 100_000;
        var first = new int[n + 1];
        for (int i = 0; i <= n; i++) first[i] = i;
        var ring = new int[n];
        for (int i = 0; i < n; i++) ring[i] = (i + 1) % n;
        Assert.All(CallGraph.Components(first, ring), c => Assert.Equal(0, c));
        var chainFirst = new int[n + 1];
        for (int i = 0; i <= n; i++) chainFirst[i] = Math.Min(i, n - 1);
        var chain = new int[n - 1];
        for (int i = 0; i < n - 1; i++) chain[i] = i + 1;
        Assert.Equal(n, CallGraph.Components(chainFirst, chain).Distinct().Count());
    }

    [Fact]
    public void ComponentsSplitTwoCyclesJoinedByOneEdge()
    {
        // 0 <-> 1 -> 2 <-> 3, and 4 alone calling 0: three components, {2, 3} closing first.
        int[] first = [0, 1, 3, 4, 5, 6];
        int[] targets = [1, 0, 2, 3, 2, 0];
        var c = CallGraph.Components(first, targets);
        Assert.Equal(c[0], c[1]);
        Assert.Equal(c[2], c[3]);
        Assert.NotEqual(c[0], c[2]);
        Assert.NotEqual(c[4], c[0]);
        Assert.Equal(0, c[2]);
        Assert.Equal(3, c.Distinct().Count());
    }

    [Fact]
    public void MutualRecursionThroughCallIndirectTrapsAtTheDepthLimit()
    {
        // f: counter += 1; call_indirect (table[0] = g); g: call f. Only f counts (its call is indirect), so
        // each round trip f -> g adds one: with MaxCallDepth 300, f is entered exactly 300 times (600 small
        // frames: far from what the native stack check would stop).
        var b = new ModuleBuilder();
        uint v = b.Type([], []);
        b.GlobalI32("counter");
        uint f = b.Func(v, [.. Increment, 0x41, 0, 0x11, (byte)v, 0x00], export: "f");
        uint g = b.Func(v, [0x10, (byte)f]);
        b.Table(1).Elem(0, g);
        var module = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 300 });
        var inst = module.Instantiate();
        Assert.Equal([true, false], CallGraph.Of(module.Module).Counts);
        for (int round = 1; round <= 3; round++)
        {
            var (error, _) = Bounded.Run(() => inst.GetFunction<Action>("f")());
            Assert.Equal("call stack exhausted", Assert.IsType<WasmTrapException>(error).Message);
            // The depth is restored after the trap: every round gets the same 300 levels.
            Assert.Equal(300 * round, inst.GetGlobal("counter").Value.I32);
        }
    }

    [Fact]
    public void SequentialCallsDoNotAccumulateDepth()
    {
        // rec(n): if n { rec(n - 1) } — n + 1 entries. driver: 20 × rec(40), from a function that does not
        // count itself: each call's depth is given back (by the caller) before the next.
        var b = new ModuleBuilder();
        uint t = b.Type([I32], []);
        uint rec = b.Func(t, [0x20, 0, 0x04, 0x40, 0x20, 0, 0x41, 1, 0x6B, 0x10, 0, 0x0B], export: "rec");
        Assert.Equal(0u, rec);
        b.Func(b.Type([], []), [0x41, 20, 0x21, 0, 0x03, 0x40, 0x41, 40, 0x10, 0, 0x20, 0, 0x41, 1, 0x6B, 0x22, 0, 0x0D, 0, 0x0B],
            locals: [I32], export: "driver");
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 50 }).Instantiate();
        inst.GetFunction<Action>("driver")();
        var r = inst.GetFunction<Action<int>>("rec");
        r(49); // 50 entries: at the limit
        Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => r(50)).Message);
        r(49);
        inst.GetFunction<Action>("driver")();
    }

    [Fact]
    public void TypedExportsLeaveTheDepthAsTheyFoundItWhenTheyTrap()
    {
        // 0: traps at once (depth-neutral: its typed delegate saves nothing); 1: rec(n) counts, traps at n = 0;
        // 2: does not count, calls rec (restores the depth after the call, but a trap skips that).
        var b = new ModuleBuilder();
        uint v = b.Type([], []), t = b.Type([I32], []);
        b.Func(v, [0x00], export: "trap");
        b.Func(t, [0x20, 0, 0x45, 0x04, 0x40, 0x00, 0x0B, 0x20, 0, 0x41, 1, 0x6B, 0x10, 1], export: "rec");
        b.Func(t, [0x20, 0, 0x10, 1], export: "via");
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 50 }).Instantiate();
        Assert.True(inst.GetExportedFunction("trap").DepthNeutral);
        Assert.False(inst.GetExportedFunction("via").DepthNeutral);
        var trap = inst.GetFunction<Action>("trap");
        var rec = inst.GetFunction<Action<int>>("rec");
        var via = inst.GetFunction<Action<int>>("via");
        foreach (int outer in new[] { 0, 7 })
        {
            // 7: as inside a host function called back from wasm at that depth.
            inst.State.Depth = outer;
            Assert.Throws<WasmTrapException>(trap);
            Assert.Equal(outer, inst.State.Depth);
            Assert.Throws<WasmTrapException>(() => rec(10));
            Assert.Equal(outer, inst.State.Depth);
            Assert.Throws<WasmTrapException>(() => via(10));
            Assert.Equal(outer, inst.State.Depth);
        }
        // Many trapping calls leave no depth behind: the limit is still reached at exactly 50 entries.
        inst.State.Depth = 0;
        for (int i = 0; i < 100; i++) Assert.Throws<WasmTrapException>(() => via(3));
        Assert.Equal("unreachable", Assert.Throws<WasmTrapException>(() => rec(49)).Message);
        Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => rec(50)).Message);
    }

    [Fact]
    public void ANonRecursiveChainDoesNotCountDepth()
    {
        // 40 functions, each calling the next: no cycle, so even MaxCallDepth 1 lets the chain run.
        var b = new ModuleBuilder();
        uint t = b.Type([], [I32]);
        for (uint i = 0; i < 39; i++) b.Func(t, [0x10, .. U32(i + 1)], export: i == 0 ? "head" : null);
        b.Func(t, [0x41, 7]);
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 1 }).Instantiate();
        Assert.Equal(7, inst.GetFunction<Func<int>>("head")());
    }

    [Fact]
    public void WithoutFuelMeteringCodeRunsUnchargedAndFuelCannotBeSet()
    {
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        b.Func(b.Type([I32], []), [0x03, 0x40, .. Increment, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x22, 0x00, 0x0D, 0x00, 0x0B], export: "count");
        b.Func(b.Type([], []), [0x10, 1], export: "rec");
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MeterFuel = false }).Instantiate();
        long before = inst.Fuel;
        inst.GetFunction<Action<int>>("count")(1000);
        Assert.Equal(1000, inst.GetGlobal("counter").Value.I32);
        Assert.Equal(before, inst.Fuel);
        Assert.Contains("MeterFuel", Assert.Throws<InvalidOperationException>(() => inst.Fuel = 10).Message);
        Assert.Throws<InvalidOperationException>(() => inst.Invoke("count", [WasmValue.FromI32(1)], fuel: 100));
        // Recursion is still bounded without fuel.
        var (error, _) = Bounded.Run(() => inst.Invoke("rec", []));
        Assert.Equal("call stack exhausted", Assert.IsType<WasmTrapException>(error).Message);
    }

    /// <summary>
    /// fib(n) = n &lt; 2 ? n : fib(n - 1) + fib(n - 2), written so the compiler inlines its self-calls
    /// (<see cref="FunctionCompiler.InlineSelfMaxInstructions"/>), or padded with 60 nops (which cost no fuel)
    /// so it does not: both must agree on results, fuel charged and the depth at which they trap.
    /// </summary>
    private static Instance Fib(bool padded, int maxDepth)
    {
        byte[] body = [0x20, 0, 0x41, 2, 0x48, 0x04, 0x7F, 0x20, 0, 0x05,
            0x20, 0, 0x41, 1, 0x6B, 0x10, 0, 0x20, 0, 0x41, 2, 0x6B, 0x10, 0, 0x6A, 0x0B];
        var b = new ModuleBuilder();
        b.Func(b.Type([I32], [I32]), padded ? [.. Enumerable.Repeat((byte)0x01, 60), .. body] : body, export: "fib");
        return CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = maxDepth }).Instantiate();
    }

    [Fact]
    public void InlinedSelfCallsChargeTheSameFuelAndTrapAtTheSameDepth()
    {
        var inlined = Fib(padded: false, maxDepth: 30);
        var plain = Fib(padded: true, maxDepth: 30);
        foreach (int n in new[] { 0, 1, 2, 5, 17, 22, 29 })
        {
            inlined.Fuel = plain.Fuel = 1L << 40;
            Assert.Equal(plain.GetFunction<Func<int, int>>("fib")(n), inlined.GetFunction<Func<int, int>>("fib")(n));
            Assert.Equal(plain.Fuel, inlined.Fuel);
            Assert.True(inlined.Fuel < 1L << 40);
        }
        Assert.Equal(514229, inlined.GetFunction<Func<int, int>>("fib")(29)); // depth 29 of 30
        foreach (var inst in new[] { inlined, plain })
        {
            Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Func<int, int>>("fib")(31)).Message);
            Assert.Equal(1, inst.GetFunction<Func<int, int>>("fib")(1)); // depth given back after the trap
        }
        // Fuel running out inside an inlined copy traps like a call would, with the same amount left.
        inlined.Fuel = plain.Fuel = 5000;
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => inlined.GetFunction<Func<int, int>>("fib")(25)).Message);
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => plain.GetFunction<Func<int, int>>("fib")(25)).Message);
        Assert.Equal(plain.Fuel, inlined.Fuel);
    }

    [Fact]
    public void InlinedCopiesSeeMemoryGrownByTheirCallees()
    {
        // f(n): if n { drop(memory.grow 1); f(n - 1) }; store at (memory.size * 65536 - 4); memory.size.
        // Each level's store is past what the caller's memory had before the call: a copy that kept its
        // caller's memory length would trap, one that kept a stale buffer would write the old array.
        var b = new ModuleBuilder();
        b.Memory(1, 64);
        b.Func(b.Type([I32], [I32]), [0x20, 0, 0x04, 0x40, 0x41, 1, 0x40, 0, 0x1A, 0x20, 0, 0x41, 1, 0x6B, 0x10, 0, 0x1A, 0x0B,
            0x3F, 0, 0x41, 0x10, 0x74, 0x41, 4, 0x6B, 0x41, 42, 0x36, 2, 0, 0x3F, 0], export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(11, inst.GetFunction<Func<int, int>>("f")(10));
        Assert.Equal(42, BitConverter.ToInt32(inst.GetMemory().Span[(11 * 65536 - 4)..]));
    }

    /// <summary>
    /// A self-recursive function's body takes and returns fuel in registers (FunctionCompiler.PassesFuel), not
    /// through <see cref="ExecState.Fuel"/>: with i32, f64 and no result, inlined or not (padded with free
    /// nops), the fuel charged must be exactly one unit per instruction, a host function called inside the
    /// recursion must see (and charge) the fuel the recursion has left, and running out must trap at the
    /// same point with the same fuel published.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FuelPassedThroughSelfCallsIsChargedAndPublishedExactly(bool padded)
    {
        byte[] pad = padded ? [.. Enumerable.Repeat((byte)0x01, 60)] : [];
        Instance? inst = null;
        int hostCalls = 0;
        var imports = new Imports().Function<Action>("host", "work", () => { hostCalls++; inst!.Fuel -= 100; });
        var b = new ModuleBuilder();
        uint host = b.ImportFunc("host", "work", b.Type([], []));
        b.GlobalI32("counter");
        // sum(n) = n == 0 ? 0 : (host(); sum(n - 1) + 1): 3 + 7 instructions (and the host's 100) per level, 4 at 0.
        b.Func(b.Type([I32], [I32]), [.. pad, 0x20, 0, 0x45, 0x04, 0x7F, 0x41, 0, 0x05,
            0x10, (byte)host, 0x20, 0, 0x41, 1, 0x6B, 0x10, 1, 0x41, 1, 0x6A, 0x0B], export: "sum");
        // half(n) = n == 0 ? 1.5 : half(n - 1) * 2 (f64): 3 + 6 per level, 4 at 0.
        b.Func(b.Type([I32], [F64]), [.. pad, 0x20, 0, 0x45, 0x04, 0x7C, 0x44, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x05,
            0x20, 0, 0x41, 1, 0x6B, 0x10, 2, 0x44, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xA2, 0x0B], export: "half");
        // count(n): if n { counter++; count(n - 1) } (no result): 2 + 8 per level, 2 at 0.
        b.Func(b.Type([I32], []), [.. pad, 0x20, 0, 0x04, 0x40, .. Increment, 0x20, 0, 0x41, 1, 0x6B, 0x10, 3, 0x0B], export: "count");
        // pick(n, x: externref, y: f32) -> externref, and fpick -> f32: results in a reference and in a float
        // register beside the fuel (RAX:RDX and XMM0:RAX), each 3 + 6 per level, 4 at 0.
        uint pickType = b.Type([I32, 0x6F, F32], [0x6F]), fpickType = b.Type([I32, 0x6F, F32], [F32]);
        b.Func(pickType, [.. pad, 0x20, 0, 0x45, 0x04, 0x6F, 0x20, 1, 0x05, 0x20, 0, 0x41, 1, 0x6B, 0x20, 1, 0x20, 2, 0x10, 4, 0x0B], export: "pick");
        b.Func(fpickType, [.. pad, 0x20, 0, 0x45, 0x04, 0x7D, 0x20, 2, 0x05, 0x20, 0, 0x41, 1, 0x6B, 0x20, 1, 0x20, 2, 0x10, 5, 0x0B], export: "fpick");
        inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 40 }).Instantiate(imports);
        var sum = inst.GetFunction<Func<int, int>>("sum");

        inst.Fuel = 1_000_000;
        Assert.Equal(20, sum(20));
        Assert.Equal(20, hostCalls);
        Assert.Equal(1_000_000 - (110 * 20 + 4), inst.Fuel);
        inst.Fuel = 1_000_000;
        Assert.Equal(1.5 * (1 << 20), inst.GetFunction<Func<int, double>>("half")(20));
        Assert.Equal(1_000_000 - (9 * 20 + 4), inst.Fuel);
        inst.Fuel = 1_000_000;
        inst.GetFunction<Action<int>>("count")(30);
        Assert.Equal(30, inst.GetGlobal("counter").I32);
        Assert.Equal(1_000_000 - (10 * 30 + 2), inst.Fuel);

        var token = new object();
        inst.Fuel = 1_000_000;
        Assert.Same(token, inst.Invoke("pick", [WasmValue.FromI32(25), WasmValue.FromRef(Pliant.Wasm.Decoding.ValType.ExternRef, token), WasmValue.FromF32(2.5f)])[0].Ref);
        Assert.Equal(1_000_000 - (9 * 25 + 4), inst.Fuel);
        inst.Fuel = 1_000_000;
        Assert.Equal(2.5f, inst.Invoke("fpick", [WasmValue.FromI32(25), WasmValue.FromRef(Pliant.Wasm.Decoding.ValType.ExternRef, null), WasmValue.FromF32(2.5f)])[0].F32);
        Assert.Equal(1_000_000 - (9 * 25 + 4), inst.Fuel);

        // 1000: level k's host call leaves 1000 - 110k; at level 10 the entry (3) and the else block (7) leave 0
        // and the host -100, trapped by the check after it. 992: level 10's entry leaves -1 and traps there.
        foreach (var (fuel, hosts, left) in new[] { (1000L, 10, -100L), (992L, 9, -1L) })
        {
            hostCalls = 0;
            inst.Fuel = fuel;
            Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => sum(20)).Message);
            Assert.Equal(hosts, hostCalls);
            Assert.Equal(left, inst.Fuel);
        }
        // The depth limit still holds, and the depth is given back after the trap.
        inst.Fuel = 1_000_000;
        Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => sum(40)).Message);
        Assert.Equal(5, sum(5));
        Assert.Equal(39, sum(39));
    }

    /// <summary>
    /// A fuel-passing body checks its depth without storing it and publishes it only before calls that read it:
    /// a host function called at the bottom of a recursion that re-enters must see the depth of the frame (or
    /// inlined copy) that called it, so the limit holds across the host exactly.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFuelPassingRecursionPublishesItsDepthBeforeCallingTheHost(bool padded)
    {
        byte[] pad = padded ? [.. Enumerable.Repeat((byte)0x01, 60)] : [];
        Func<int, int>? rec = null;
        int again = -1;
        var imports = new Imports().Function<Action>("host", "reenter", () =>
        {
            int m = again;
            again = -1;
            if (m >= 0) rec!(m);
        });
        var b = new ModuleBuilder();
        uint host = b.ImportFunc("host", "reenter", b.Type([], []));
        // rec(n) = n == 0 ? (reenter(); 7) : rec(n - 1)
        b.Func(b.Type([I32], [I32]), [.. pad, 0x20, 0, 0x45, 0x04, 0x7F, 0x10, (byte)host, 0x41, 7, 0x05,
            0x20, 0, 0x41, 1, 0x6B, 0x10, 1, 0x0B], export: "rec");
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 30 }).Instantiate(imports);
        rec = inst.GetFunction<Func<int, int>>("rec");
        // rec(10) runs at depths 1..11 and calls the host from depth 11; rec(m) re-entered runs at 12..12 + m.
        for (int round = 0; round < 2; round++) // twice: each trap gives the depth back
        {
            again = 18;
            Assert.Equal(7, rec(10));
            Assert.Equal(-1, again);
            again = 19;
            Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => rec(10)).Message);
            again = 0;
            Assert.Equal(7, rec(28)); // 29 frames, the host's re-entry the 30th
            again = 1;
            Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => rec(28)).Message);
        }
    }

    [Fact]
    public void AFuelPassingBodyTakesAVectorParameter()
    {
        // dbl(n, v) = n == 0 ? lane 1 of v : dbl(n - 1, v + v) — a v128 parameter beside the fuel and depth
        // (v128 locals keep it from being inlined); run(n) = dbl(n, splat 3). 3 + 7 per level, 5 at 0, 4 in run.
        var b = new ModuleBuilder();
        b.Func(b.Type([I32, V128], [I32]), [0x20, 0, 0x45, 0x04, 0x7F, 0x20, 1, .. SimdInstr(27, 1), 0x05,
            0x20, 0, 0x41, 1, 0x6B, 0x20, 1, 0x20, 1, .. SimdInstr(174), 0x10, 0, 0x0B]);
        b.Func(b.Type([I32], [I32]), [0x20, 0, 0x41, 3, .. SimdInstr(17), 0x10, 0], export: "run");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        inst.Fuel = 1_000_000;
        Assert.Equal(3 << 20, inst.GetFunction<Func<int, int>>("run")(20));
        Assert.Equal(1_000_000 - (10 * 20 + 5 + 4), inst.Fuel);
    }
}
