using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// A loop whose header starts <c>local.get a; local.tee b</c> (clang's copy of a loop-carried value, as an
/// interpreter's <c>pc</c>) is entered by <c>br</c> and <c>br_table</c> past that copy, which the branch does
/// itself (FunctionCompiler.Emit.cs, <c>PlanHeaderCopy</c>): from the local <c>a</c> was just copied from, or
/// with the value just stored into <c>a</c>. Each program runs against the same code with a <c>nop</c> after
/// <c>loop</c> (free, and it stops the rotation): results, the global counter, fuel left and the fuel trap
/// point must agree for every budget, metered and unmetered, and the results match a C# model.
/// </summary>
public class RotatedLoopTests
{
    /// <summary><c>global.get 0; i32.const 1; i32.add; global.set 0</c>.</summary>
    internal static readonly byte[] Increment = [0x23, 0x00, 0x41, 0x01, 0x6A, 0x24, 0x00];

    // (param n) (locals a=1 b=2 next=3 acc=4) (result i32):
    // loop (result i32)
    //   local.get 1; local.tee 2; i32.const 1; i32.add; local.tee 3; local.set 1    b = a; next = b + 1; a = next
    //   b >=u n: return a * 1000 + acc
    //   block block block block  b * 5 %u 7 %u 5  br_table 0 1 2 3 4 (4: the loop, a = next)
    //   end  counter++; acc += 1; local.get 3; local.set 1; br 3               a = next (a copy of a local)
    //   end  counter++; acc += b * 3; a = b + 2; br 2                          (a computed value)
    //   end  counter++; acc ^= 0x55; br_if 1 if acc & 1 (a = next); a = next + 1; br 1
    //   end  counter++; a = next; next = a + 9; local.get 1; br 0              (the copy's source rewritten; a value left on the stack)
    // end
    private static byte[] Interp(bool nop) =>
    [
        0x03, 0x7F, .. (nop ? new byte[] { 0x01 } : []),
        0x20, 0x01, 0x22, 0x02, 0x41, 0x01, 0x6A, 0x22, 0x03, 0x21, 0x01,
        0x20, 0x02, 0x20, 0x00, 0x4F, 0x04, 0x40, 0x20, 0x01, 0x41, 0xE8, 0x07, 0x6C, 0x20, 0x04, 0x6A, 0x0F, 0x0B,
        0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x02, 0x40,
        0x20, 0x02, 0x41, 0x05, 0x6C, 0x41, 0x07, 0x70, 0x41, 0x05, 0x70, 0x0E, 0x04, 0x00, 0x01, 0x02, 0x03, 0x04,
        0x0B, .. Increment, 0x20, 0x04, 0x41, 0x01, 0x6A, 0x21, 0x04, 0x20, 0x03, 0x21, 0x01, 0x0C, 0x03,
        0x0B, .. Increment, 0x20, 0x04, 0x20, 0x02, 0x41, 0x03, 0x6C, 0x6A, 0x21, 0x04, 0x20, 0x02, 0x41, 0x02, 0x6A, 0x21, 0x01, 0x0C, 0x02,
        0x0B, .. Increment, 0x20, 0x04, 0x41, 0xD5, 0x00, 0x73, 0x22, 0x04, 0x41, 0x01, 0x71, 0x0D, 0x01,
        0x20, 0x03, 0x41, 0x01, 0x6A, 0x21, 0x01, 0x0C, 0x01,
        0x0B, .. Increment, 0x20, 0x03, 0x21, 0x01, 0x20, 0x01, 0x41, 0x09, 0x6A, 0x21, 0x03, 0x20, 0x01, 0x0C, 0x00,
        0x0B,
    ];

    private static uint InterpModel(uint n)
    {
        uint a = 0, acc = 0;
        while (true)
        {
            uint b = a, next = b + 1;
            a = next;
            if (b >= n) return a * 1000 + acc;
            switch (b * 5 % 7 % 5)
            {
                case 0: acc += 1; a = next; break;
                case 1: acc += b * 3; a = b + 2; break;
                case 2:
                    acc ^= 0x55;
                    if ((acc & 1) == 0) a = next + 1;
                    break;
                case 3: a = next; break;
            }
        }
    }

    // (param n) (locals a=1 b=2 c=3) (result i32), the loop carrying acc as its parameter:
    // block (result i32) i32.const 0
    //   loop (param i32) (result i32)
    //     local.get 1; local.tee 2; i32.const 1; i32.add; local.set 1; local.get 2; i32.add    b = a; a = b + 1; acc += b
    //     b >=u n: br_if 1 (acc)
    //     counter++; br_if 0 if b is odd (acc)
    //     block  br_if 0 if b & 2;  c = a + 1; a = c  end          (a copy of c on one path only)
    //     br 0 (acc)
    //   end
    // end  acc + a * 1000
    private static byte[] Carried(bool nop, uint loopType) =>
    [
        0x02, 0x7F, 0x41, 0x00,
        0x03, (byte)loopType, .. (nop ? new byte[] { 0x01 } : []),
        0x20, 0x01, 0x22, 0x02, 0x41, 0x01, 0x6A, 0x21, 0x01, 0x20, 0x02, 0x6A,
        0x20, 0x02, 0x20, 0x00, 0x4F, 0x0D, 0x01,
        .. Increment, 0x20, 0x02, 0x41, 0x01, 0x71, 0x0D, 0x00,
        0x02, 0x40, 0x20, 0x02, 0x41, 0x02, 0x71, 0x0D, 0x00, 0x20, 0x01, 0x41, 0x01, 0x6A, 0x22, 0x03, 0x21, 0x01, 0x0B,
        0x0C, 0x00,
        0x0B, 0x0B,
        0x20, 0x01, 0x41, 0xE8, 0x07, 0x6C, 0x6A,
    ];

    private static uint CarriedModel(uint n)
    {
        uint a = 0, acc = 0;
        while (true)
        {
            uint b = a;
            a = b + 1;
            acc += b;
            if (b >= n) return acc + a * 1000;
            if ((b & 3) == 0) a++;
        }
    }

    private static Instance Build(bool nop, bool meter)
    {
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        uint t = b.Type([I32], [I32]);
        b.FuncWithLocals(t, Interp(nop), [(4, I32)], export: "interp");
        b.FuncWithLocals(t, Carried(nop, t), [(3, I32)], export: "carried");
        return CompiledModule.Compile(b.Build(), new WasmLimits { MeterFuel = meter }).Instantiate();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(40)]
    [InlineData(1000)]
    public void ResultsMatchTheModelMeteredAndNot(int n)
    {
        foreach (bool nop in new[] { false, true })
        foreach (bool meter in new[] { false, true })
        {
            var inst = Build(nop, meter);
            Assert.Equal(InterpModel((uint)n), (uint)inst.GetFunction<Func<int, int>>("interp")(n));
            Assert.Equal(CarriedModel((uint)n), (uint)inst.GetFunction<Func<int, int>>("carried")(n));
        }
    }

    [Theory]
    [InlineData("interp", 14)] // each arm runs at least twice
    [InlineData("carried", 9)]
    public void FuelAndItsTrapPointMatchTheUnrotatedLoopForEveryBudget(string name, int n)
    {
        var rotated = Build(nop: false, meter: true);
        var plain = Build(nop: true, meter: true);
        const long Plenty = 1_000_000;
        rotated.Fuel = plain.Fuel = Plenty;
        Assert.Equal(plain.GetFunction<Func<int, int>>(name)(n), rotated.GetFunction<Func<int, int>>(name)(n));
        long used = Plenty - plain.Fuel;
        Assert.Equal(plain.Fuel, rotated.Fuel);
        Assert.InRange(used, 50, 5000);
        int traps = 0;
        for (long fuel = 0; fuel <= used + 1; fuel++)
        {
            var (pr, pc, pf) = Run(plain, name, n, fuel);
            var (rr, rc, rf) = Run(rotated, name, n, fuel);
            Assert.Equal((pr, pc, pf), (rr, rc, rf));
            if (pr == null) traps++;
        }
        // Every budget short of the last straight-line stretch traps, at a point the counter tells apart.
        Assert.InRange(traps, used - 40, used);
        Assert.Null(Run(rotated, name, n, 0).Result);
        Assert.NotNull(Run(rotated, name, n, used).Result);
    }

    /// <summary>Runs export <paramref name="name"/> with <paramref name="fuel"/>: its result (null on a fuel trap), the counter and the fuel left.</summary>
    private static (int? Result, int Counter, long Left) Run(Instance inst, string name, int n, long fuel)
    {
        inst.GetGlobal("counter").Value = WasmValue.FromI32(0);
        inst.Fuel = fuel;
        int? result = null;
        try
        {
            result = inst.GetFunction<Func<int, int>>(name)(n);
        }
        catch (WasmTrapException e)
        {
            Assert.Equal("fuel exhausted", e.Message);
        }
        return (result, inst.GetGlobal("counter").Value.I32, inst.Fuel);
    }
}
