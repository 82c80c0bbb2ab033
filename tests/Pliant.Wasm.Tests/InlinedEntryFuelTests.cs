using Pliant.Wasm.Runtime;
using Xunit;

namespace Pliant.Wasm.Tests;

/// <summary>
/// A self-call inlined at the end of a pure stretch that starts at a checked block (FunctionCompiler
/// <c>ChargeWithInlinedEntry</c>): the block's charge and the copy's entry charge are one subtraction and one check,
/// with a cold path taking the traps the two checks took, in their order. Checked against the same function with a
/// <c>nop</c> (no fuel, no code) at the head of that stretch, which stops the merge: the same result, trap and fuel
/// left for every fuel budget up to the whole run, with the call depth unlimited and limited at several depths (the
/// order of "call stack exhausted" and "fuel exhausted" at one call). A third build adds a call to another function
/// in dead code (no code, no fuel), which also stops the copies' depth tests against the room taken at the method's
/// entry (<c>_depthRoom</c>, only in methods that call nothing but themselves): each copy then checks its own depth
/// against <see cref="ExecState.MaxDepth"/> as before; all three agree.
/// </summary>
public class InlinedEntryFuelTests
{
    private const byte I32 = 0x7F;

    // clang -O2's fib from bench/wasm/vsnode/workloads.c (one recursion turned into a loop), as function 0.
    private static CompiledModule Build(bool nop, bool otherCall = false)
    {
        var b = new ModuleBuilder();
        byte[] dead = otherCall ? [0x10, 1] : [];
        byte[] head = [0x02, 0x40, 0x20, 0, 0x41, 2, 0x4E, 0x0D, 0, 0x20, 0, 0x41, 0, 0x6A, 0x0F, .. dead, 0x0B, 0x41, 0, 0x21, 1, 0x03, 0x40];
        byte[] loop = [0x20, 0, 0x41, 0x7F, 0x6A, 0x10, 0, 0x20, 1, 0x6A, 0x21, 1, 0x20, 0, 0x41, 3, 0x4B, 0x21, 2,
            0x20, 0, 0x41, 0x7E, 0x6A, 0x22, 3, 0x21, 0, 0x20, 2, 0x0D, 0, 0x0B, 0x20, 3, 0x20, 1, 0x6A];
        b.FuncWithLocals(b.Type([I32], [I32]), [.. head, .. (nop ? new byte[] { 0x01 } : []), .. loop], [(3, I32)], export: "fib");
        b.Func(b.Type([], []), []);
        return CompiledModule.Compile(b.Build());
    }

    private static (int? Result, string? Trap, long Left) Run(CompiledModule m, int n, long fuel, int maxDepth)
    {
        var inst = m.Instantiate();
        inst.Fuel = fuel;
        if (maxDepth > 0) inst.State.MaxDepth = maxDepth;
        try
        {
            return (inst.Invoke("fib", [WasmValue.FromI32(n)])[0].I32, null, inst.Fuel);
        }
        catch (WasmTrapException e)
        {
            return (null, e.Message, inst.Fuel);
        }
    }

    /// <summary>fib(9) (~100 calls, ~1,500 units): every budget to past the run, 4 depth limits; bound ~6,000 runs per module.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(6)]
    public void SameOutcomeAndFuelAsWithoutTheMerge(int maxDepth)
    {
        var merged = Build(nop: false);
        var separate = Build(nop: true);
        var plain = Build(nop: true, otherCall: true);
        // Fuel used by the whole run without a depth limit (a trap of another kind does not publish the fuel left).
        long used = 1_000_000 - Run(separate, 9, 1_000_000, 0).Left;
        Assert.True(used > 0 && used < 5_000, $"used {used}");
        var full = Run(separate, 9, 1_000_000, maxDepth);
        Assert.Equal(full, Run(merged, 9, 1_000_000, maxDepth));
        Assert.Equal(full, Run(plain, 9, 1_000_000, maxDepth));
        if (maxDepth == 0) Assert.Equal(34, full.Result);
        else Assert.Equal("call stack exhausted", full.Trap);
        int fuelTraps = 0, depthTraps = 0;
        for (long fuel = 0; fuel <= used + 1; fuel++)
        {
            var expected = Run(separate, 9, fuel, maxDepth);
            Assert.Equal(expected, Run(merged, 9, fuel, maxDepth));
            Assert.Equal(expected, Run(plain, 9, fuel, maxDepth));
            if (expected.Trap == "fuel exhausted") fuelTraps++;
            else if (expected.Trap == "call stack exhausted") depthTraps++;
        }
        Assert.True(fuelTraps > 0);
        if (maxDepth > 0) Assert.True(depthTraps > 0);
    }
}
