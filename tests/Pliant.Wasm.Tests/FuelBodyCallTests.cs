using Pliant.Wasm.Runtime;
using Xunit;

namespace Pliant.Wasm.Tests;

/// <summary>
/// A metered self-recursive function that nothing outside the module's code can reach (not exported, in no element
/// segment or global, not the start function) gets no wrapper: its callers call its fuel-passing body themselves
/// (ModuleCompiler, <c>FunctionCompiler.EmitFuelBodyCall</c>). Checked against the same module with those functions
/// exported (callers then go through the wrapper): the same results, the same trap, and the same fuel left after a
/// return, after "fuel exhausted" and after another trap inside the recursion, for every budget up to the full run.
/// </summary>
public class FuelBodyCallTests
{
    private const byte I32 = 0x7F;

    // Functions: 0 down(n) (no result), 1 fib(n), 2 bad(n) (unreachable at 0), 3 run(n), 4 runBad(n).
    private static CompiledModule Build(bool exportRecursive)
    {
        var b = new ModuleBuilder();
        uint unary = b.Type([I32], [I32]);
        // down(n): if n { down(n - 1) }
        b.Func(b.Type([I32], []), [0x20, 0, 0x04, 0x40, 0x20, 0, 0x41, 1, 0x6B, 0x10, 0, 0x0B], export: exportRecursive ? "down" : null);
        // fib(n) = n < 2 ? n : fib(n - 1) + fib(n - 2)
        b.Func(unary, [0x20, 0, 0x41, 2, 0x48, 0x04, I32, 0x20, 0, 0x05, 0x20, 0, 0x41, 1, 0x6B, 0x10, 1, 0x20, 0, 0x41, 2, 0x6B, 0x10, 1, 0x6A, 0x0B],
            export: exportRecursive ? "fib" : null);
        // bad(n) = n == 0 ? unreachable : bad(n - 1) + 1
        b.Func(unary, [0x20, 0, 0x45, 0x04, I32, 0x00, 0x05, 0x20, 0, 0x41, 1, 0x6B, 0x10, 2, 0x41, 1, 0x6A, 0x0B], export: exportRecursive ? "bad" : null);
        // run(n) = down(n); fib(n) + 1
        b.Func(unary, [0x20, 0, 0x10, 0, 0x20, 0, 0x10, 1, 0x41, 1, 0x6A], export: "run");
        // runBad(n) = fib(3) + bad(n)
        b.Func(unary, [0x41, 3, 0x10, 1, 0x20, 0, 0x10, 2, 0x6A], export: "runBad");
        return CompiledModule.Compile(b.Build());
    }

    private static (int? Result, string? Trap, long Left) Run(CompiledModule m, string name, int n, long fuel)
    {
        var inst = m.Instantiate();
        inst.Fuel = fuel;
        try
        {
            return (inst.Invoke(name, [WasmValue.FromI32(n)])[0].I32, null, inst.Fuel);
        }
        catch (WasmTrapException e)
        {
            return (null, e.Message, inst.Fuel);
        }
    }

    [Fact]
    public void UnreachableRecursiveFunctionsHaveNoWrapper()
    {
        string[] names(CompiledModule m) => [.. m.CodeHolder.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly)
            .Select(x => x.Name).Order(StringComparer.Ordinal)];
        Assert.Equal(["f0b", "f1b", "f2b", "f3", "f4"], names(Build(false)));
        Assert.Equal(["f0", "f0b", "f1", "f1b", "f2", "f2b", "f3", "f4"], names(Build(true)));
    }

    /// <summary>Every budget from 0 to past the whole run (fib(7): 41 calls; down(7): 8): bound ~1,000 runs per case.</summary>
    [Theory]
    [InlineData("run", 7)]
    [InlineData("run", 0)]
    [InlineData("runBad", 5)]
    public void SameOutcomeAndFuelAsThroughTheWrapper(string name, int n)
    {
        var direct = Build(false);
        var wrapped = Build(true);
        var full = Run(wrapped, name, n, 1_000_000);
        long used = 1_000_000 - full.Left;
        Assert.True(used > 0 && used < 2_000, $"used {used}");
        Assert.Equal(full, Run(direct, name, n, 1_000_000));
        if (name == "run") Assert.Equal(n < 2 ? n + 1 : 14, full.Result);
        else Assert.Equal("unreachable", full.Trap);
        for (long fuel = 0; fuel <= used + 1; fuel++)
        {
            var expected = Run(wrapped, name, n, fuel);
            Assert.Equal(expected, Run(direct, name, n, fuel));
            if (fuel < used) Assert.Equal("fuel exhausted", expected.Trap);
        }
    }

    /// <summary>
    /// Hostile: the host edits the module's public lists after Compile to hand out the functions compiled without
    /// an entry (export, start, element segment, global), retypes them in place and drops their type indices.
    /// Instantiate reads the copy taken at compile time: the instance is the compiled one, no call through a null
    /// entry. Bound: one module, three instances.
    /// </summary>
    [Fact]
    public void EditsAfterCompileDoNotReachTheInstance()
    {
        var m = Build(false);
        var module = m.Module;
        module.Exports.Add(new Decoding.Export("down", Decoding.ExternKind.Func, 0));
        module.Exports.Add(new Decoding.Export("fib", Decoding.ExternKind.Func, 1));
        module.Start = 2;
        module.Tables.Add(new Decoding.TableType(Decoding.ValType.FuncRef, new Decoding.Limits(4, null)));
        module.Elements.Add(new Decoding.ElementSegment
        {
            Mode = Decoding.SegmentMode.Active,
            Type = Decoding.ValType.FuncRef,
            Offset = new Decoding.ConstExpr { Code = [new Decoding.Instr { Op = 0x41, Imm = 0 }] },
            Items = [new Decoding.ConstExpr { Code = [new Decoding.Instr { Op = 0xD2, Imm = 1 }] }],
        });
        module.Globals.Add(new Decoding.GlobalDef
        {
            Type = new Decoding.GlobalType(Decoding.ValType.FuncRef, false),
            Init = new Decoding.ConstExpr { Code = [new Decoding.Instr { Op = 0xD2, Imm = 0 }] },
        });
        foreach (var t in module.Types) for (int i = 0; i < t.Params.Length; i++) t.Params[i] = Decoding.ValType.F64;
        module.Functions.Clear();
        for (int k = 0; k < 3; k++)
        {
            var inst = m.Instantiate();
            Assert.Equal(["run", "runBad"], inst.Exports.Keys.Order(StringComparer.Ordinal));
            Assert.Empty(inst.Tables);
            Assert.Empty(inst.Globals);
            Assert.Equal(14, inst.Invoke("run", [WasmValue.FromI32(7)])[0].I32);
            Assert.Equal([Decoding.ValType.I32], inst.GetExportedFunction("run").Type.Params);
        }
    }

    /// <summary>
    /// Hostile: the functions compiled without an entry are still listed in the public <see cref="Instance.Functions"/>;
    /// a host that calls one directly, or stores it in a table that the module's code calls through, gets a
    /// <see cref="WasmLinkException"/>, not a call through a null pointer. Bound: one module, six calls.
    /// </summary>
    [Fact]
    public void FunctionsWithoutEntryThrowWhenCalledFromOutside()
    {
        var inst = Build(false).Instantiate();
        foreach (int f in new[] { 0, 1, 2 })
        {
            var fn = inst.Functions[f];
            Assert.NotEqual(0, fn.Entry);
            var e = Assert.Throws<WasmLinkException>(() => Instance.Invoke(fn, [WasmValue.FromI32(3)]));
            Assert.Contains("no entry point", e.Message);
        }
        Assert.Equal(14, inst.Invoke("run", [WasmValue.FromI32(7)])[0].I32); // the module's own calls still work
        // Through a table: call_indirect from another module's code to fib, put there by the host.
        var b = new ModuleBuilder();
        uint unary = b.Type([I32], [I32]);
        b.Table(1);
        b.Func(unary, [0x20, 0, 0x41, 0, 0x11, 0, 0], export: "call");
        var caller = CompiledModule.Compile(b.Build()).Instantiate();
        caller.Tables[0].Elements[0] = inst.Functions[1];
        Assert.Throws<WasmLinkException>(() => caller.Invoke("call", [WasmValue.FromI32(5)]));
    }
}
