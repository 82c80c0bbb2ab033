using Pliant.Wasm.Compilation;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// A dispatch loop whose cases <c>br</c> to a shared tail that branches back to the loop (a C <c>switch</c> with
/// <c>break</c>): the tail's back-edge charge moves to the start of each case that reaches it and the tail only
/// checks (<c>FuelPlan.CheckOnly</c>). Each program runs against the same code with a free <c>block end</c> at the
/// start of the tail (the tail is then reached by fall-through and keeps its charge): results, the global counter,
/// fuel left and the trap point must agree for every budget, and the results match a C# model. The plan itself is
/// pinned: shared for the plain join, not when the join's end is also reached by <c>br_if</c>, <c>br_table</c>,
/// fall-through, or from a case that makes a call.
/// </summary>
public class JoinFuelTests
{
    private static byte[] Add(int k) => [0x23, 0x00, 0x41, (byte)k, 0x6A, 0x24, 0x00]; // counter += k

    // (param n) (locals next=1 acc=2 i=3) (result i32):
    // loop
    //   i = next; next = i + 1; if i >=u n: return acc * 1000 + i
    //   block $join  block block block  i %u 3  br_table 0 1 2  [or 0 1 $join]
    //     end  counter += 1; acc += 1; br $join      [case0: a call first, or a br_if $join]
    //     end  counter += 2; acc ^= i; br $join
    //     end  counter += 3; acc += i * 3; br $loop  (past the tail)  [or falls into the tail]
    //   end  [block end]  acc = acc * 3 + 1; br $loop
    // end  -1
    private static byte[] Dispatch(bool defeat, string shape = "") =>
    [
        0x03, 0x40,
        0x20, 0x01, 0x22, 0x03, 0x41, 0x01, 0x6A, 0x21, 0x01,
        0x20, 0x03, 0x20, 0x00, 0x4F, 0x04, 0x40, 0x20, 0x02, 0x41, 0xE8, 0x07, 0x6C, 0x20, 0x03, 0x6A, 0x0F, 0x0B,
        0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x02, 0x40,
        0x20, 0x03, 0x41, 0x03, 0x70, .. (shape == "table" ? new byte[] { 0x0E, 0x02, 0x00, 0x01, 0x03 } : [0x0E, 0x02, 0x00, 0x01, 0x02]),
        0x0B, .. (shape == "call" ? new byte[] { 0x10, 0x00 } : []), .. Add(1), 0x20, 0x02, 0x41, 0x01, 0x6A, 0x21, 0x02,
        .. (shape == "brif" ? new byte[] { 0x20, 0x03, 0x0D, 0x02 } : []), 0x0C, 0x02, 0x0B,
        .. Add(2), 0x20, 0x02, 0x20, 0x03, 0x73, 0x21, 0x02, 0x0C, 0x01, 0x0B,
        .. Add(3), 0x20, 0x02, 0x20, 0x03, 0x41, 0x03, 0x6C, 0x6A, 0x21, 0x02, .. (shape == "fall" ? new byte[0] : [0x0C, 0x01]),
        0x0B, .. (defeat ? new byte[] { 0x02, 0x40, 0x0B } : []),
        0x20, 0x02, 0x41, 0x03, 0x6C, 0x41, 0x01, 0x6A, 0x21, 0x02, 0x0C, 0x00,
        0x0B,
        0x41, 0x7F,
    ];

    private static uint Model(uint n, out int counter)
    {
        uint next = 0, acc = 0;
        counter = 0;
        while (true)
        {
            uint i = next;
            next = i + 1;
            if (i >= n) return acc * 1000 + i;
            switch (i % 3)
            {
                case 0: counter += 1; acc += 1; break;
                case 1: counter += 2; acc ^= i; break;
                default: counter += 3; acc += i * 3; continue;
            }
            acc = acc * 3 + 1;
        }
    }

    private static byte[] Module(bool defeat, string shape = "")
    {
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        uint empty = b.Type([], []);
        uint t = b.Type([I32], [I32]);
        b.Func(empty, [], export: "nothing");
        b.FuncWithLocals(t, Dispatch(defeat, shape), [(3, I32)], export: "dispatch");
        return b.Build();
    }

    private static Instance Build(bool defeat, bool meter) =>
        CompiledModule.Compile(Module(defeat), new WasmLimits { MeterFuel = meter }).Instantiate();

    /// <summary>The plan of the dispatch body: the Edge value at the tail's back edge (the last <c>br</c> of the body).</summary>
    private static int TailEdge(bool defeat, string shape)
    {
        var body = ModuleDecoder.Decode(Module(defeat, shape)).Bodies[1];
        var code = body.Code;
        var plan = FuelPlan.For(code, body.Tables);
        int br = Array.FindLastIndex(code, i => i.Op == 0x0C);
        return plan.Edge?[br] ?? 0;
    }

    [Fact]
    public void TheTailOnlyChecksWhenEveryWayInIsABrFromACaseWithoutCall()
    {
        Assert.Equal(FuelPlan.CheckOnly, TailEdge(defeat: false, ""));
        Assert.True(TailEdge(defeat: true, "") > 0);
        foreach (string shape in new[] { "call", "brif", "table", "fall" })
            Assert.True(TailEdge(defeat: false, shape) > 0, shape);
    }

    [Fact]
    public void ChargesMovedToTheCasesAddUpToTheSameUnits()
    {
        var body = ModuleDecoder.Decode(Module(false)).Bodies[1];
        var code = body.Code;
        var other = ModuleDecoder.Decode(Module(true)).Bodies[1];
        var plain = FuelPlan.For(other.Code, other.Tables);
        var plan = FuelPlan.For(code, body.Tables);
        // The tail's units (its block and the header block's) show up once in each of the two cases that reach it.
        int br = Array.FindLastIndex(code, i => i.Op == 0x0C);
        int tail = plain.Edge![Array.FindLastIndex(ModuleDecoder.Decode(Module(true)).Bodies[1].Code, i => i.Op == 0x0C)];
        Assert.Equal(FuelPlan.CheckOnly, plan.Edge![br]);
        Assert.Equal(plain.Cost.Sum() + 2 * tail, plan.Cost.Sum());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(1000)]
    public void ResultsMatchTheModelMeteredAndNot(int n)
    {
        uint expected = Model((uint)n, out int counter);
        foreach (bool defeat in new[] { false, true })
        foreach (bool meter in new[] { false, true })
        {
            var inst = Build(defeat, meter);
            inst.GetGlobal("counter").Value = WasmValue.FromI32(0);
            Assert.Equal(expected, (uint)inst.GetFunction<Func<int, int>>("dispatch")(n));
            Assert.Equal(counter, inst.GetGlobal("counter").Value.I32);
        }
    }

    [Theory]
    [InlineData(9)] // each case three times
    [InlineData(20)]
    public void FuelAndItsTrapPointMatchTheUnsharedTailForEveryBudget(int n)
    {
        var shared = Build(defeat: false, meter: true);
        var plain = Build(defeat: true, meter: true);
        const long Plenty = 1_000_000;
        shared.Fuel = plain.Fuel = Plenty;
        Assert.Equal(plain.GetFunction<Func<int, int>>("dispatch")(n), shared.GetFunction<Func<int, int>>("dispatch")(n));
        long used = Plenty - plain.Fuel;
        Assert.Equal(plain.Fuel, shared.Fuel);
        Assert.InRange(used, 100, 5000);
        int traps = 0;
        for (long fuel = 0; fuel <= used + 1; fuel++)
        {
            var p = Run(plain, n, fuel);
            var s = Run(shared, n, fuel);
            Assert.Equal(p, s);
            if (p.Result == null) traps++;
        }
        Assert.InRange(traps, used - 40, used);
        Assert.Null(Run(shared, n, 0).Result);
        Assert.NotNull(Run(shared, n, used).Result);
    }

    /// <summary>Runs the dispatch with <paramref name="fuel"/>: its result (null on a fuel trap), the counter and the fuel left.</summary>
    private static (int? Result, int Counter, long Left) Run(Instance inst, int n, long fuel)
    {
        inst.GetGlobal("counter").Value = WasmValue.FromI32(0);
        inst.Fuel = fuel;
        int? result = null;
        try
        {
            result = inst.GetFunction<Func<int, int>>("dispatch")(n);
        }
        catch (WasmTrapException e)
        {
            Assert.Equal("fuel exhausted", e.Message);
        }
        return (result, inst.GetGlobal("counter").Value.I32, inst.Fuel);
    }
}
