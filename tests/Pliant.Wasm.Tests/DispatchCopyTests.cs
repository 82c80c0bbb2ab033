using Pliant.Wasm.Compilation;
using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Threaded dispatch (FunctionCompiler.Dispatch.cs): a <c>br</c> back to an interpreter loop whose header is a
/// short straight-line dispatch ending in <c>br_table</c> emits its own copy of the header. A bytecode VM in
/// wasm (clang's shape: the <c>pc</c> copied at the header, five operations, a default that continues, a halt,
/// a jump, a conditional skip and a nested loop) runs a seeded random program with copies and without
/// (<see cref="FunctionCompiler.NoDispatchCopies"/>): results, the operation counter, the fuel left and the fuel
/// trap point agree at every budget, metered and unmetered, rotated header and not, and match a C# model; a
/// pc running off the end of memory traps out of bounds the same way.
/// </summary>
public class DispatchCopyTests
{
    // (param start) (locals pc=1 b=2 next=3 acc=4 i=5) (result i32):
    // pc = start
    // loop (result i32)  [nop: no rotated copy]
    //   b = pc; next = b + 1; pc = next                       local.get 1; local.tee 2; ... (the rotated copy)
    //   block x5  br_table mem8[b]: 0 1 2 3 4, default: the loop
    //   end  op0: call inc (counter++: a call, so the back edge is not charged there, FuelPlan.Edge); acc += 1; br loop
    //   end  op1: counter++; acc = acc * 3 + b; pc = next + 1 + (mem8[next] & 3); br loop
    //   end  op2: counter++; acc ^= 0x55; br_if loop (acc & 1); pc = next + 1; br loop
    //   end  op3: counter++; i = 3; loop { acc += i; i -= 1; br_if (i) }; br loop
    //   end  op4: acc (halt: the loop's result)
    // end
    private static byte[] Vm(bool nop) =>
    [
        0x20, 0x00, 0x21, 0x01,
        0x03, 0x7F, .. (nop ? new byte[] { 0x01 } : []),
        0x20, 0x01, 0x22, 0x02, 0x41, 0x01, 0x6A, 0x22, 0x03, 0x21, 0x01,
        0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x02, 0x40,
        0x20, 0x02, 0x2D, 0x00, 0x00,
        0x0E, 0x05, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
        0x0B, 0x10, 0x01, 0x20, 0x04, 0x41, 0x01, 0x6A, 0x21, 0x04, 0x0C, 0x04,
        0x0B, .. RotatedLoopTests.Increment, 0x20, 0x04, 0x41, 0x03, 0x6C, 0x20, 0x02, 0x6A, 0x21, 0x04,
        0x20, 0x03, 0x2D, 0x00, 0x00, 0x41, 0x03, 0x71, 0x20, 0x03, 0x6A, 0x41, 0x01, 0x6A, 0x21, 0x01, 0x0C, 0x03,
        0x0B, .. RotatedLoopTests.Increment, 0x20, 0x04, 0x41, 0xD5, 0x00, 0x73, 0x22, 0x04, 0x41, 0x01, 0x71, 0x0D, 0x02,
        0x20, 0x03, 0x41, 0x01, 0x6A, 0x21, 0x01, 0x0C, 0x02,
        0x0B, .. RotatedLoopTests.Increment, 0x41, 0x03, 0x21, 0x05,
        0x03, 0x40, 0x20, 0x04, 0x20, 0x05, 0x6A, 0x21, 0x04, 0x20, 0x05, 0x41, 0x7F, 0x6A, 0x22, 0x05, 0x0D, 0x00, 0x0B,
        0x0C, 0x01,
        0x0B, 0x20, 0x04,
        0x0B,
    ];

    /// <summary>The VM's result and operation count from <paramref name="start"/>, or null for an out-of-bounds trap.</summary>
    private static (uint Result, int Counter)? Model(byte[] mem, int start)
    {
        uint acc = 0;
        int pc = start, counter = 0;
        while (true)
        {
            int b = pc, next = b + 1;
            pc = next;
            if (b >= mem.Length) return null;
            switch (mem[b])
            {
                case 0: counter++; acc += 1; break;
                case 1:
                    counter++;
                    acc = acc * 3 + (uint)b;
                    if (next >= mem.Length) return null;
                    pc = next + 1 + (mem[next] & 3);
                    break;
                case 2:
                    counter++;
                    acc ^= 0x55;
                    if ((acc & 1) == 0) pc = next + 1;
                    break;
                case 3: counter++; acc += 6; break;
                case 4: return (acc, counter);
            }
        }
    }

    private const int Start = 100, End = 65536 - 40;

    /// <summary>Seeded program: operations 0-3 and invalid ones (the default) from <see cref="Start"/>, a halt after; the same up to the end of memory from <see cref="End"/>, without a halt.</summary>
    private static byte[] Program(int seed)
    {
        var rng = new Random(seed);
        var mem = new byte[65536];
        byte[] ops = [0, 1, 2, 3, 5, 9, 0xFF];
        for (int i = 0; i < 60; i++) mem[Start + i] = ops[rng.Next(ops.Length)];
        mem[Start + 60] = mem[Start + 61] = mem[Start + 62] = mem[Start + 63] = mem[Start + 64] = 4;
        for (int i = End; i < mem.Length; i++) mem[i] = ops[rng.Next(ops.Length)];
        return mem;
    }

    private static (Instance Inst, int Copies) Build(bool nop, bool meter, bool copies, byte[] mem)
    {
        var b = new ModuleBuilder();
        b.GlobalI32("counter");
        b.Memory(1, 1);
        b.FuncWithLocals(b.Type([I32], [I32]), Vm(nop), [(5, I32)], export: "vm");
        b.Func(b.Type([], []), RotatedLoopTests.Increment);
        int before = FunctionCompiler.DispatchCopies;
        FunctionCompiler.NoDispatchCopies = !copies;
        try
        {
            var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MeterFuel = meter }).Instantiate();
            mem.CopyTo(inst.GetMemory().Span);
            return (inst, FunctionCompiler.DispatchCopies - before);
        }
        finally
        {
            FunctionCompiler.NoDispatchCopies = false;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ResultsMatchTheModelWithCopiesAndWithout(int seed)
    {
        var mem = Program(seed);
        foreach (bool nop in new[] { false, true })
        foreach (bool meter in new[] { false, true })
        foreach (bool copies in new[] { false, true })
        {
            var (inst, n) = Build(nop, meter, copies, mem);
            // Four br back to the loop with nothing on the stack: each copies the header (the br_if and the br_table's default do not).
            Assert.Equal(copies ? 4 : 0, n);
            if (meter) inst.Fuel = 1_000_000;
            var expected = Model(mem, Start)!.Value;
            Assert.Equal(expected, Run(inst, Start));
            Assert.Null(Model(mem, End));
            var e = Assert.Throws<WasmTrapException>(() => inst.GetFunction<Func<int, int>>("vm")(End));
            Assert.Equal("out of bounds memory access", e.Message);
        }
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 3)]
    public void FuelAndItsTrapPointAreTheSameWithCopiesAtEveryBudget(bool nop, int seed)
    {
        var mem = Program(seed);
        var copied = Build(nop, meter: true, copies: true, mem).Inst;
        var plain = Build(nop, meter: true, copies: false, mem).Inst;
        foreach (int start in new[] { Start, End })
        {
            // Every budget up to the first that suffices (a trap's fuel left is not defined, so it is found by trying) and one more.
            long fuel = 0;
            for (; ; fuel++)
            {
                Assert.True(fuel <= 5000, "the program ends within 5000 units");
                var p = RunFuel(plain, start, fuel);
                Assert.Equal(p, RunFuel(copied, start, fuel));
                if (p.Outcome != "fuel exhausted") break;
            }
            Assert.InRange(fuel, 30, 5000);
            Assert.Equal(start == Start ? ((int)Model(mem, Start)!.Value.Result).ToString() : "out of bounds memory access", RunFuel(copied, start, fuel).Outcome);
            Assert.Equal(RunFuel(plain, start, fuel + 1), RunFuel(copied, start, fuel + 1));
        }
    }

    // (param n) (locals pc=1 b=2 next=3) (result i32): b = pc; next = b + 1; pc = next; block block
    // br_table (b & 1): 0 1 0; end  even b: 200 x (block; br_if 0 (b != 2k); br loop; end); br loop
    // end  odd b: br_if loop (b <u n); b, the loop's result. Returns the first odd b >= n.
    private static byte[] ManyBackEdges()
    {
        var code = new List<byte>
        {
            0x03, 0x7F, 0x20, 0x01, 0x22, 0x02, 0x41, 0x01, 0x6A, 0x22, 0x03, 0x21, 0x01,
            0x02, 0x40, 0x02, 0x40, 0x20, 0x02, 0x41, 0x01, 0x71, 0x0E, 0x02, 0x00, 0x01, 0x00, 0x0B,
        };
        for (int k = 0; k < 200; k++) code.AddRange([0x02, 0x40, 0x20, 0x02, .. I32Const(2 * k), 0x47, 0x0D, 0x00, 0x0C, 0x02, 0x0B]);
        code.AddRange([0x0C, 0x01, 0x0B, 0x20, 0x02, 0x20, 0x00, 0x49, 0x0D, 0x00, 0x20, 0x02, 0x0B]);
        return [.. code];
    }

    /// <summary>
    /// Hostile: 201 back edges to one dispatch loop. Copies stop at 1024 copied instructions per function (10 per copy
    /// here, the budget checked with the header's 12): 102 copies, the other branches jump to the header; results
    /// and fuel as without copies.
    /// </summary>
    [Fact]
    public void CopiesStopAtTheFunctionsBudget()
    {
        foreach (bool meter in new[] { false, true })
        {
            var results = new List<(int, long)>();
            foreach (bool copies in new[] { false, true })
            {
                var b = new ModuleBuilder();
                b.FuncWithLocals(b.Type([I32], [I32]), ManyBackEdges(), [(3, I32)], export: "f");
                int before = FunctionCompiler.DispatchCopies;
                FunctionCompiler.NoDispatchCopies = !copies;
                Instance inst;
                try
                {
                    inst = CompiledModule.Compile(b.Build(), new WasmLimits { MeterFuel = meter }).Instantiate();
                }
                finally
                {
                    FunctionCompiler.NoDispatchCopies = false;
                }
                Assert.Equal(copies ? 102 : 0, FunctionCompiler.DispatchCopies - before);
                var f = inst.GetFunction<Func<int, int>>("f");
                foreach (int n in new[] { 0, 1, 2, 7, 100, 399, 400, 401, 1000 })
                {
                    if (meter) inst.Fuel = 1_000_000;
                    int r = f(n);
                    Assert.Equal(n | 1, r);
                    results.Add((r, meter ? inst.Fuel : 0));
                }
            }
            Assert.Equal(results[..9], results[9..]);
        }
    }

    private static (uint, int) Run(Instance inst, int start)
    {
        inst.GetGlobal("counter").Value = WasmValue.FromI32(0);
        uint r = (uint)inst.GetFunction<Func<int, int>>("vm")(start);
        return (r, inst.GetGlobal("counter").Value.I32);
    }

    /// <summary>Runs the VM from <paramref name="start"/> with <paramref name="fuel"/>: its result or trap message, the counter and the fuel left.</summary>
    private static (string Outcome, int Counter, long Left) RunFuel(Instance inst, int start, long fuel)
    {
        inst.GetGlobal("counter").Value = WasmValue.FromI32(0);
        inst.Fuel = fuel;
        string outcome;
        try
        {
            outcome = inst.GetFunction<Func<int, int>>("vm")(start).ToString();
        }
        catch (WasmTrapException e)
        {
            outcome = e.Message;
        }
        return (outcome, inst.GetGlobal("counter").Value.I32, inst.Fuel);
    }
}
