using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Hostile;

/// <summary>
/// Calls across the host boundary: host functions called from wasm (a three-instruction stub that trusts the
/// delegate's type, checked when the host function is created), typed exports entered at their machine code,
/// functions with no instructions (no fuel code) and leaves with a small frame (no native stack check). Fuel,
/// traps, host exceptions, call depth and re-entry must behave exactly as documented (src/Pliant.Wasm/README.md,
/// docs/plugin-abi.md §8).
/// </summary>
public class HostCallTests
{
    [Fact]
    public void AHostFunctionWhoseTargetIsNotOfItsDelegateTypeIsRefused()
    {
        // The stub calls the target as the declared delegate type without a type check: Create must refuse any other.
        Action wrong = () => { };
        var e = Assert.Throws<ArgumentException>(() => HostFunction.Create(typeof(Func<int, int>), wrong));
        Assert.Contains("not a System.Func", e.Message);
        Assert.Throws<ArgumentNullException>(() => HostFunction.Create(typeof(Action), null!));
        Assert.Throws<ArgumentException>(() => HostFunction.Create(typeof(Action<string>), (Action<string>)(_ => { }))); // string cannot cross
        // A target of a variant-compatible type is a delegateType (an Action<object> is an Action<FunctionInstance>).
        int calls = 0;
        var f = HostFunction.Create(typeof(Action<FunctionInstance>), (Action<object?>)(o => calls += o is null ? 1 : 100));
        var b = new ModuleBuilder();
        uint host = b.ImportFunc("env", "see", b.Type([0x70], []));
        b.Func(b.Type([], []), [0xD0, 0x70, 0x10, (byte)host], export: "run"); // ref.null func; call see
        var inst = CompiledModule.Compile(b.Build()).Instantiate(new Imports().Define("env", "see", f));
        inst.GetFunction<Action>("run")();
        Assert.Equal(1, calls);
    }

    [Fact]
    public void AFunctionOfStructuralInstructionsOnlyChargesAndChecksNothing()
    {
        // One unit per instruction executed: nop, block, loop and end cost nothing, so a body made of them runs
        // with any fuel, even none left, and leaves the fuel as it was. One unit more and it traps at entry.
        var b = new ModuleBuilder();
        uint v = b.Type([], []);
        b.Func(v, [], export: "empty");
        b.Func(v, [0x01, 0x02, 0x40, 0x03, 0x40, 0x01, 0x0B, 0x0B], export: "structural"); // nop block loop nop end end
        b.Func(v, [0x01, 0x41, 0x00, 0x1A], export: "two"); // nop i32.const 0 drop: 2 units
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var empty = inst.GetFunction<Action>("empty");
        var structural = inst.GetFunction<Action>("structural");
        var two = inst.GetFunction<Action>("two");
        foreach (long fuel in new[] { -1L, 0, 1, 5 })
        {
            inst.Fuel = fuel;
            empty();
            structural();
            Assert.Empty(inst.Invoke("empty", []));
            Assert.Equal(fuel, inst.Fuel);
            if (fuel >= 2)
            {
                two();
                Assert.Equal(fuel - 2, inst.Fuel);
            }
            else
            {
                Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(two).Message);
                Assert.Equal(fuel - 2, inst.Fuel); // how far over budget, as for any exhaustion
            }
        }
    }

    [Fact]
    public void FuelRunsOutAtAHostCallExactlyAsAtACallToAWasmFunction()
    {
        // f(n): loop { call g; local.get 0; i32.const 1; i32.sub; local.tee 0; br_if 0 } (6 units an iteration)
        // with g a host function charging 0 or 2 units and with g a wasm function of 0 or 2 instructions: for every
        // budget, the same outcome and the same fuel left. The host's charge is seen as soon as it returns; the
        // wasm g's at its entry: both trap with the fuel before the call minus 2.
        byte[] loop = [0x03, 0x40, 0x10, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x22, 0x00, 0x0D, 0x00, 0x0B];
        foreach (int charge in new[] { 0, 2 })
        {
            Instance? caller = null;
            int hostCalls = 0;
            var hb = new ModuleBuilder();
            hb.ImportFunc("env", "g", hb.Type([], []));
            hb.Func(hb.Type([I32], []), loop, export: "f");
            var hostInst = caller = CompiledModule.Compile(hb.Build()).Instantiate(new Imports().Function("env", "g", () =>
            {
                hostCalls++;
                caller!.Fuel -= charge;
            }));
            var wb = new ModuleBuilder();
            wb.Func(wb.Type([], []), charge == 0 ? [] : [0x41, 0x00, 0x1A]); // nothing, or i32.const 0; drop
            wb.Func(wb.Type([I32], []), loop, export: "f");
            var wasmInst = CompiledModule.Compile(wb.Build()).Instantiate();
            var hf = hostInst.GetFunction<Action<int>>("f");
            var wf = wasmInst.GetFunction<Action<int>>("f");
            int traps = 0;
            for (long fuel = 0; fuel <= 60; fuel++)
            {
                hostCalls = 0;
                hostInst.Fuel = wasmInst.Fuel = fuel;
                var he = Record.Exception(() => hf(6));
                var we = Record.Exception(() => wf(6));
                Assert.Equal(we?.Message, he?.Message);
                Assert.Equal(wasmInst.Fuel, hostInst.Fuel);
                if (he is null)
                {
                    Assert.Equal(fuel - 6 * (6 + charge), hostInst.Fuel);
                    Assert.Equal(6, hostCalls);
                }
                else
                {
                    traps++;
                    Assert.Equal("fuel exhausted", Assert.IsType<WasmTrapException>(he).Message);
                    Assert.InRange(hostInst.Fuel, -6, -1);
                }
            }
            Assert.Equal(6 * (6 + charge), traps); // every budget below the run's cost traps, every other does not
        }
    }

    [Fact]
    public void HostExceptionsPropagateUnchangedAndLeaveTheDepthAsFound()
    {
        // A host function throwing from inside wasm (called from a function that counts depth): the exception
        // reaches the caller of the export unchanged, through typed and untyped entries, and 200 of them leave
        // no depth behind: the limit is still exact afterwards.
        var boom = new InvalidOperationException("host says no");
        bool fail = true;
        var b = new ModuleBuilder();
        uint v = b.Type([], []);
        uint host = b.ImportFunc("env", "host", v);
        b.Func(v, [0x10, (byte)host], export: "call");
        // rec(n): if n { call host; rec(n - 1) } — counts depth (it calls itself and an import)
        uint rec = b.Func(b.Type([I32], []), [0x20, 0x00, 0x04, 0x40, 0x10, (byte)host, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x10, 0x02, 0x0B], export: "rec");
        Assert.Equal(2u, rec);
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 40 }).Instantiate(
            new Imports().Function("env", "host", () => { if (fail) throw boom; }));
        var call = inst.GetFunction<Action>("call");
        var r = inst.GetFunction<Action<int>>("rec");
        for (int i = 0; i < 100; i++)
        {
            Assert.Same(boom, Assert.Throws<InvalidOperationException>(call));
            Assert.Same(boom, Assert.Throws<InvalidOperationException>(() => r(10)));
            Assert.Same(boom, Assert.Throws<InvalidOperationException>(() => inst.Invoke("rec", [WasmValue.FromI32(3)])));
        }
        Assert.Equal(0, inst.State.Depth);
        fail = false;
        r(38); // 39 entries, within 40
        r(39); // 40: at the limit
        Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => r(40)).Message);
    }

    [Fact]
    public void ReentryThroughTheHostCountsDepthChargesFuelAndSurfacesInnerTraps()
    {
        // down(n): call host(n) — the host calls down(n - 1) back through a typed export while n > 0, so
        // host -> wasm -> host -> wasm ... Every level is a wasm frame that counts (it calls an import): with
        // MaxCallDepth 25 the 26th nested entry traps, the trap crosses every host frame unchanged, and the
        // depth is given back. Fuel is one budget: the inner calls' units are charged to it exactly.
        var b = new ModuleBuilder();
        uint host = b.ImportFunc("env", "host", b.Type([I32], []));
        b.Func(b.Type([I32], []), [0x20, 0x00, 0x10, (byte)host], export: "down"); // 2 units
        b.Func(b.Type([], []), [0x00], export: "trap");
        Action<int>? down = null;
        Action? trap = null;
        int deepest = 0, trapAt = -1;
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 25 }).Instantiate(
            new Imports().Function("env", "host", (int n) =>
            {
                deepest = Math.Max(deepest, n);
                if (n == trapAt) trap!();
                else if (n > 0) down!(n - 1);
            }));
        down = inst.GetFunction<Action<int>>("down");
        trap = inst.GetFunction<Action>("trap");
        inst.Fuel = 1000;
        down(24); // 25 nested entries of down
        Assert.Equal(1000 - 25 * 2, inst.Fuel);
        Assert.Equal(0, inst.State.Depth);
        Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => down(25)).Message);
        Assert.Equal(0, inst.State.Depth);
        // A trap two host frames deep (in the callback of the callback) surfaces as itself.
        trapAt = 10;
        inst.Fuel = 1000;
        Assert.Equal("unreachable", Assert.Throws<WasmTrapException>(() => down(12)).Message);
        Assert.Equal(0, inst.State.Depth);
        // Fuel running out in an inner entry: the outer ones see it as soon as their host call returns.
        trapAt = -1;
        inst.Fuel = 2 * 10 + 1; // 10 entries and half of the 11th
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => down(20)).Message);
        Assert.Equal(-1, inst.Fuel); // the 11th entry's 2 units did not fit: 1 - 2
        Assert.Equal(0, inst.State.Depth);
    }

    [Fact]
    public void RecursionThroughTheHostOnASmallStackTrapsAtTheNativeCheck()
    {
        // The same re-entry with a depth limit far beyond what 512 KiB of stack holds: only the native stack check
        // of the wasm frames (they call an import, so they are no leaves and keep it) can stop it, as a trap.
        var b = new ModuleBuilder();
        uint host = b.ImportFunc("env", "host", b.Type([], []));
        b.Func(b.Type([], []), [0x10, (byte)host], export: "down");
        Action? down = null;
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 10_000_000 }).Instantiate(
            new Imports().Function("env", "host", () => down!()));
        down = inst.GetFunction<Action>("down");
        for (int i = 0; i < 2; i++)
        {
            var (error, _) = Bounded.Run(() => down(), stackBytes: 512 << 10);
            Assert.Equal("call stack exhausted", Assert.IsType<WasmTrapException>(error).Message);
        }
    }

    [Fact]
    public void OnlyALeafWithASmallFrameSkipsTheNativeStackCheck()
    {
        // Called from a host thread whose stack is nearly used up (the runtime's own check fails: under 128 KiB
        // left), a leaf with a large frame (300 i64 locals) still traps "call stack exhausted" before its frame
        // could overflow the stack; a leaf with a small frame runs like any small method. A function that makes a
        // call checks (it could lengthen a chain).
        var b = new ModuleBuilder();
        uint v = b.Type([], [I64]);
        b.Func(v, [0x20, 0x00], locals: Enumerable.Repeat(I64, 300).ToArray(), export: "big_leaf");
        uint small = b.Func(v, [0x42, 0x07], export: "small_leaf");
        b.Func(v, [0x10, (byte)small], export: "caller");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var bigLeaf = inst.GetFunction<Func<long>>("big_leaf");
        var smallLeaf = inst.GetFunction<Func<long>>("small_leaf");
        var caller = inst.GetFunction<Func<long>>("caller");
        Exception? big = null, call = null;
        long smallResult = 0;
        var (error, _) = Bounded.Run(() => AtTheStacksEdge(() =>
        {
            big = Record.Exception(() => bigLeaf());
            smallResult = smallLeaf();
            call = Record.Exception(() => caller());
        }), stackBytes: 1 << 20);
        Assert.Null(error);
        Assert.Equal("call stack exhausted", Assert.IsType<WasmTrapException>(big).Message);
        Assert.Equal(7, smallResult);
        Assert.Equal("call stack exhausted", Assert.IsType<WasmTrapException>(call).Message);
        Assert.Equal(7, caller()); // with stack to spare, all is well
    }

    /// <summary>Recurses (1 KiB a frame) until the runtime's stack check fails, then runs <paramref name="work"/> there.</summary>
    private static int AtTheStacksEdge(Action work)
    {
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            work();
            return 0;
        }
        Span<byte> pad = stackalloc byte[1024];
        pad[^1] = 1;
        return AtTheStacksEdge(work) + pad[^1];
    }

    [Fact]
    public void PreparedModulesCallThroughTablesImportsAndExportsAtTheirMachineCode()
    {
        // After PrepareAll, instances take the functions' machine code as entry points: calls through a table,
        // from another module and from typed exports must give the same results, traps and depth as before.
        var a = new ModuleBuilder();
        uint i2i = a.Type([I32], [I32]);
        // fac(n) = n == 0 ? 1 : n * fac(n - 1)  (self-recursive: a fuel-passing body behind a wrapper)
        uint fac = a.Func(i2i, [0x20, 0x00, 0x45, 0x04, I32, 0x41, 0x01, 0x05, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x10, 0x00, 0x6C, 0x0B], export: "fac");
        uint inc = a.Func(i2i, [0x20, 0x00, 0x41, 0x01, 0x6A], export: "inc");
        a.Table(2).Elem(0, fac, inc);
        a.Func(a.Type([I32, I32], [I32]), [0x20, 0x00, 0x20, 0x01, 0x11, (byte)i2i, 0x00], export: "via_table");
        var module = CompiledModule.Compile(a.Build(), new WasmLimits { MaxCallDepth = 30 });
        var before = module.Instantiate();
        Assert.False(before.GetExportedFunction("inc").AtMachineCode);
        Assert.Equal(8, before.GetFunction<Func<int, int>>("inc")(7)); // compiles inc; later instances enter it at its code
        Assert.True(module.Instantiate().GetExportedFunction("inc").AtMachineCode);
        Assert.False(module.Instantiate().GetExportedFunction("fac").AtMachineCode);
        module.PrepareAll();
        var after = module.Instantiate();
        Assert.All(after.Functions, f => Assert.True(f.AtMachineCode));
        var fuel = new List<long>();
        foreach (var inst in new[] { before, after })
        {
            Assert.Equal(3628800, inst.GetFunction<Func<int, int>>("fac")(10));
            Assert.Equal(120, inst.GetFunction<Func<int, int, int>>("via_table")(5, 0));
            Assert.Equal(6, inst.GetFunction<Func<int, int, int>>("via_table")(5, 1));
            Assert.Equal("undefined element", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Func<int, int, int>>("via_table")(5, 2)).Message);
            Assert.Equal("call stack exhausted", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Func<int, int>>("fac")(40)).Message);
            Assert.Equal(0, inst.State.Depth);
            var b = new ModuleBuilder();
            uint imported = b.ImportFunc("a", "fac", b.Type([I32], [I32]));
            b.Func(b.Type([I32], [I32]), [0x20, 0x00, 0x10, (byte)imported, 0x41, 0x01, 0x6A], export: "fac_plus_one");
            var user = CompiledModule.Compile(b.Build()).Instantiate(new Imports().Register("a", inst), inst.State);
            Assert.Equal(25, user.GetFunction<Func<int, int>>("fac_plus_one")(4));
            inst.Fuel = 1000;
            Assert.Equal(6, inst.GetFunction<Func<int, int>>("fac")(3));
            fuel.Add(inst.Fuel);
        }
        Assert.Equal(fuel[0], fuel[1]);
    }
}
