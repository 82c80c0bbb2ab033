using Pliant.Wasm.Compilation;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Accesses at constant distances from one address share one bounds check at the first of them
/// (FunctionCompiler.Cover.cs). A covered access that is out of bounds must still trap, at a point where the
/// program has done exactly what it would have done before the access: earlier stores visible, later ones not,
/// and no other trap overtaken.
/// </summary>
public class CoveredBoundsTests
{
    private const string Oob = "out of bounds memory access";

    // p + c, as clang computes an address from a base pointer.
    private static byte[] At(int c) => [0x20, 0, .. I32Const(c), 0x6A];

    private static byte[] Load(int c, uint offset = 0) => [.. At(c), 0x28, 2, .. U32(offset)];

    // The planner only looks at bodies with a loop: the code runs once as the body of a loop i32.
    private static byte[] InLoop(byte[] code) => [0x03, I32, .. code, 0x0B];

    private static Instance Build(byte[] code, bool withGlobal = false, byte[]? locals = null)
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        if (withGlobal) b.GlobalI32("g");
        b.Func(b.Type([I32, I32], [I32]), InLoop(code), locals, export: "f");
        return CompiledModule.Compile(b.Build()).Instantiate();
    }

    private static int[]? Plan(byte[] code)
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        b.GlobalI32();
        b.Func(b.Type([I32, I32], [I32]), InLoop(code), [I32, I32]);
        // Heads as the span they check, covered accesses as -1.
        return FunctionCompiler.PlanCover(ModuleDecoder.Decode(b.Build()).Bodies[0].Code)?.Select(x => x > 0 ? x >> 2 : x < 0 ? -1 : 0).ToArray();
    }

    // The interpreter's binary operation: stack[sp - 2] = stack[sp - 2] + stack[sp - 1], the first address kept in a local.
    private static readonly byte[] BinaryOp =
    [
        .. At(8), 0x22, 2, 0x20, 2, 0x28, 2, 0,          // local.tee 2; local.get 2; i32.load
        .. Load(12), 0x6A,                                // + i32.load (p + 12)
        0x36, 2, 0,                                       // i32.store at local 2
        0x20, 2, 0x28, 2, 0,                              // result: the stored word, read back
    ];

    [Fact]
    public void TheInterpretersOperandAccessesShareOneCheck()
    {
        var cover = Plan(BinaryOp)!;
        Assert.NotNull(cover);
        int[] marks = [.. cover.Where(x => x != 0)];
        Assert.Equal([8, -1, -1], marks); // the head checks 8 bytes; the second load and the store are covered
    }

    [Fact]
    public void ACoveredLoadOutOfBoundsTrapsBeforeTheStoreThatFollowsIt()
    {
        var inst = Build(BinaryOp, locals: [I32]);
        var f = inst.GetFunction<Func<int, int, int>>("f");
        var mem = inst.GetMemory()!.Span;
        BitConverter.TryWriteBytes(mem[65528..], 5);
        BitConverter.TryWriteBytes(mem[65532..], 7);
        Assert.Equal(12, f(65536 - 16, 0));                       // both operands inside, at the memory's end
        Assert.Equal(12, BitConverter.ToInt32(mem[65528..]));
        mem[65529] = 1;
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65536 - 15, 0)).Message); // the second load is out
        Assert.Equal(1, mem[65529]);                              // and the store after it never happened
        BitConverter.TryWriteBytes(mem[0..], 3);
        BitConverter.TryWriteBytes(mem[4..], 4);
        Assert.Equal(7, f(-8, 0));                                // p wraps: the accesses are at 0 and 4
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(-12, 0)).Message); // the first at 2^32 - 4
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(-9, 0)).Message);  // the first at 2^32 - 1
    }

    [Fact]
    public void AStoreBeforeTheOutOfBoundsAccessStaysVisible()
    {
        // store p+0 := 9, then loads at p+4 and p+8: the store ends every group, the loads form their own.
        byte[] code = [.. At(0), .. I32Const(9), 0x36, 2, 0, .. Load(4), .. Load(8), 0x6A];
        var inst = Build(code);
        var f = inst.GetFunction<Func<int, int, int>>("f");
        var mem = inst.GetMemory()!.Span;
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65536 - 8, 0)).Message);
        Assert.Equal(9, BitConverter.ToInt32(mem[(65536 - 8)..]));
    }

    [Fact]
    public void AStoreInTheGroupEndsIt()
    {
        // load p, store p (covered), load p + 4: checked on its own, after the store happened.
        byte[] code = [.. At(0), .. Load(0), .. I32Const(1), 0x6A, 0x36, 2, 0, .. Load(4)];
        var cover = Plan(code)!;
        Assert.Equal([4, -1], [.. cover.Where(x => x != 0)]);
        var inst = Build(code);
        var f = inst.GetFunction<Func<int, int, int>>("f");
        var mem = inst.GetMemory()!.Span;
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65532, 0)).Message);
        Assert.Equal(1, BitConverter.ToInt32(mem[65532..]));
    }

    [Fact]
    public void AnotherTrapBetweenKeepsItsPlace()
    {
        // load p; 100 / z; load p + 4: with z = 0 the division traps first, whatever p + 4 is.
        byte[] code = [.. Load(0), .. I32Const(100), 0x20, 1, 0x6E, 0x6A, .. Load(4), 0x6A];
        var f = Build(code).GetFunction<Func<int, int, int>>("f");
        Assert.Equal("integer divide by zero", Assert.Throws<WasmTrapException>(() => f(65532, 0)).Message);
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65532, 1)).Message);
        Assert.Equal(100, f(0, 1));
    }

    [Fact]
    public void AGlobalSetBetweenStaysVisible()
    {
        // load p; global.set g := 5; load p + 4.
        byte[] code = [.. Load(0), .. I32Const(5), 0x24, 0, .. Load(4), 0x6A];
        var inst = Build(code, withGlobal: true);
        var f = inst.GetFunction<Func<int, int, int>>("f");
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65532, 0)).Message);
        Assert.Equal(5, inst.GetGlobal("g").I32);
    }

    [Fact]
    public void AnAccessBelowTheHeadIsCheckedOnItsOwn()
    {
        // load p + 4, then load p: p = 2^32 - 4 puts the first at 0 (inside) and the second out of bounds.
        byte[] code = [.. Load(4), .. Load(0), 0x6A];
        Assert.Null(Plan(code));
        var f = Build(code).GetFunction<Func<int, int, int>>("f");
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(-4, 0)).Message);
        Assert.Equal(0, f(65528, 0));
    }

    [Fact]
    public void FormsBeyondThePlannersLimitsKeepTheirOwnChecks()
    {
        // Five bases open at once (the planner tracks four groups), a sum of four values (it keeps two terms)
        // and an offset beyond 2^16: every access still traps exactly where the spec says.
        byte[] Base(int k) => [0x20, 0, .. I32Const(k), 0x6C];                          // p * k
        byte[] code =
        [
            .. Load(0), 0x21, 2, .. Load(4), 0x21, 3,                                   // two loaded (opaque) values
            .. Base(3), 0x28, 2, 0, .. Base(5), 0x28, 2, 0, .. Base(7), 0x28, 2, 0, .. Base(9), 0x28, 2, 0, .. Base(11), 0x28, 2, 0,
            .. Base(3), 0x28, 2, 4, .. Base(5), 0x28, 2, 4, .. Base(7), 0x28, 2, 4, .. Base(9), 0x28, 2, 4, .. Base(11), 0x28, 2, 4,
            0x6A, 0x6A, 0x6A, 0x6A, 0x6A, 0x6A, 0x6A, 0x6A, 0x6A,
            0x20, 0, 0x20, 1, 0x6A, 0x20, 2, 0x6A, 0x20, 3, 0x6A, 0x28, 2, 0, 0x6A,    // + [p + z + a + b]
            0x20, 0, 0x20, 1, 0x6A, 0x20, 2, 0x6A, 0x20, 3, 0x6A, 0x28, 2, 4, 0x6A,    // + [p + z + a + b + 4]
            0x20, 1, .. I32Const(1), 0x46, 0x04, 0x40,                                  // if z == 1: [p + 70000]
            0x20, 0, 0x28, 2, .. U32(70000), 0x1A, 0x0B,
        ];
        var inst = Build(code, locals: [I32, I32]);
        var f = inst.GetFunction<Func<int, int, int>>("f");
        Assert.Equal(0, f(0, 0));
        Assert.Equal(0, f(65532 / 11, 0));                                               // 11p + 4 + 4 <= 65536
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65532 / 11 + 1, 0)).Message);
        Assert.Equal(0, f(1, 65527));                                                    // p + z + 4 + 4 = 65536
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(1, 65528)).Message);  // the second sum access is out
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(0, 1)).Message);      // the far offset
        Assert.Equal(0, f(0, 2));
    }

    [Fact]
    public void TheCoverPassesAccessSizesAreTheOpcodesOwn()
    {
        for (ushort op = 0x28; op <= 0x3E; op++) Assert.Equal(OpInfo.Memory(op).Size, FunctionCompiler.CoverAccessSize(op));
    }

    /// <summary>
    /// The cover pass steps only through the stretches where a load is followed by another access (FunctionCompiler.Cover.cs,
    /// CoverPass.Run): over random bodies of loads, stores, address arithmetic, local traffic and the instructions that end
    /// a stretch (calls, divisions, branches, blocks, prefixed opcodes), its plan is the one of stepping through every
    /// stretch. Seeded; 3,000 bodies of up to 120 instructions (not validated: the pass reads any instruction sequence).
    /// </summary>
    [Fact]
    public void SkippingStretchesWithoutAPairPlansAsSteppingThroughAll()
    {
        var rng = new Random(3216);
        ushort[] ends = [0x10, 0x6D, 0x0D, 0x02, 0x0B, 0x24, 0xFC0A, 0xFD00, 0x40, 0x70];
        ushort[] others = [0x01, 0x1A, 0x1B, 0x23, 0x42, 0x45, 0x46, 0x67, 0x71, 0x72, 0x75, 0x6B, 0x6C, 0x74, 0x6A, 0x6A];
        int covered = 0;
        for (int body = 0; body < 3000; body++)
        {
            var code = new Instr[rng.Next(1, 121)];
            for (int i = 0; i < code.Length; i++)
            {
                code[i] = rng.Next(20) switch
                {
                    < 4 => new Instr { Op = (ushort)rng.Next(0x28, 0x36), Imm = rng.Next(4) == 0 ? 70000 : rng.Next(0, 24) },  // a load
                    < 6 => new Instr { Op = (ushort)rng.Next(0x36, 0x3F), Imm = rng.Next(0, 24) },                               // a store
                    < 9 => new Instr { Op = 0x41, Imm = rng.Next(-16, 17) },
                    < 13 => new Instr { Op = (ushort)(0x20 + rng.Next(3)), Imm = rng.Next(4) },                                 // local.get/set/tee
                    < 14 => new Instr { Op = 0x03 },
                    < 15 => new Instr { Op = ends[rng.Next(ends.Length)] },
                    _ => new Instr { Op = others[rng.Next(others.Length)] },
                };
            }
            var skipping = FunctionCompiler.PlanCover(code);
            FunctionCompiler.CoverEveryStretch = true;
            int[]? all;
            try { all = FunctionCompiler.PlanCover(code); }
            finally { FunctionCompiler.CoverEveryStretch = false; }
            Assert.True(all == null ? skipping == null : skipping != null && all.SequenceEqual(skipping), $"body {body}: the plans differ");
            if (all != null) covered++;
        }
        Assert.True(covered > 300, $"only {covered} bodies had covered accesses");
    }

    /// <summary>
    /// A root compiler's cover pass also marks, on its scan, the instructions the write index reads (block, loop, if, end,
    /// br, br_if, br_table, local.set, local.tee: FunctionCompiler.IndexWritesNow then walks only those): over random bodies
    /// the marks are exactly those pcs, ascending, the plan is the one made without marking, and once the thread plans
    /// another root body the first body's marks are no longer handed out. Seeded; 2,000 bodies of up
    /// to 120 instructions (not validated: the pass reads any instruction sequence).
    /// </summary>
    [Fact]
    public void TheRootsCoverScanMarksExactlyWhatTheWriteIndexReads()
    {
        var rng = new Random(3317);
        ushort[] ops = [0x02, 0x03, 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x1A, 0x20, 0x21, 0x22, 0x23, 0x24, 0x41, 0x6A,
            0x6D, 0xFC0A, 0xFD00, 0x121, 0x28, 0x2D, 0x36, 0x3A];
        var indexed = new HashSet<ushort> { 0x02, 0x03, 0x04, 0x0B, 0x0C, 0x0D, 0x0E, 0x21, 0x22 };
        Instr[]? previous = null;
        for (int body = 0; body < 2000; body++)
        {
            var code = new Instr[rng.Next(1, 121)];
            for (int i = 0; i < code.Length; i++) code[i] = new Instr { Op = ops[rng.Next(ops.Length)], Imm = rng.Next(4) };
            var expected = Enumerable.Range(0, code.Length).Where(pc => indexed.Contains(code[pc].Op)).ToArray();
            var plain = FunctionCompiler.PlanCover(code)?.ToArray();
            var (plan, marks) = FunctionCompiler.PlanCoverAsRoot(code);
            if (previous != null) Assert.Null(FunctionCompiler.MarksOfLastPlan(previous)); // another root body was planned since
            Assert.True(plain == null ? plan == null : plan != null && plain.SequenceEqual(plan), $"body {body}: the plans differ");
            Assert.NotNull(marks);
            Assert.Equal(expected, marks);
            previous = code;
        }
    }

    /// <summary>
    /// Random straight-line runs of loads, stores, divisions and global writes at p + c + offset, each run
    /// for bases at both ends of the memory and across the 2^32 wrap, against a model that executes the
    /// accesses one by one: same result, same trap, same memory and global afterwards. Seeded; 400 programs,
    /// 24 bases each.
    /// </summary>
    [Fact]
    public void RandomRunsTrapExactlyWhereTheModelDoes()
    {
        var rng = new Random(1606);
        int covered = 0;
        for (int prog = 0; prog < 400; prog++)
        {
            var ops = new List<(int Kind, int C, uint Offset, int Size, int Value)>();
            int n = rng.Next(2, 12);
            for (int i = 0; i < n; i++)
            {
                int kind = rng.Next(10) switch { < 5 => 0, < 8 => 1, 8 => 2, _ => 3 }; // load, store, div, global.set
                ops.Add((kind, rng.Next(-12, 13), (uint)rng.Next(0, 3) * 4 + (uint)rng.Next(2), new[] { 1, 2, 4 }[rng.Next(3)], rng.Next()));
            }
            byte[] code = Encode(ops, rng.Next(2) == 0);
            if (Plan(code) is { } plan && plan.Any(x => x < 0)) covered++;
            var inst = Build(code, withGlobal: true, locals: [I32, I32]);
            var f = inst.GetFunction<Func<int, int, int>>("f");
            var mem = inst.GetMemory()!;
            var model = new byte[65536];
            for (int t = 0; t < 24; t++)
            {
                int p = t < 8 ? 65536 - rng.Next(0, 40) : t < 16 ? -rng.Next(0, 40) : rng.Next(0, 40);
                int z = rng.Next(4) == 0 ? 0 : rng.Next(1, 100);
                mem.Span.CopyTo(model);
                int g = inst.GetGlobal("g").I32;
                var (expected, trap) = Model(ops, p, z, model, ref g);
                string? actualTrap = null;
                int actual = 0;
                try { actual = f(p, z); }
                catch (WasmTrapException e) { actualTrap = e.Message; }
                string where = $"program {prog}, p = {p}, z = {z}";
                Assert.True(trap == actualTrap, $"{where}: trap {actualTrap ?? "none"}, expected {trap ?? "none"}");
                if (trap == null) Assert.True(expected == actual, $"{where}: {actual}, expected {expected}");
                Assert.True(model.AsSpan().SequenceEqual(mem.Span), $"{where}: memory differs");
                Assert.True(g == inst.GetGlobal("g").I32, $"{where}: global differs");
            }
        }
        Assert.True(covered > 100, $"only {covered} programs had covered accesses");
    }

    private static byte[] Encode(List<(int Kind, int C, uint Offset, int Size, int Value)> ops, bool viaLocal)
    {
        var code = new List<byte>();
        foreach (var (kind, c, offset, size, value) in ops)
        {
            // The address p + c, directly or through local 3 (as clang keeps a computed address).
            byte[] addr = viaLocal ? [.. At(c), 0x22, 3] : At(c);
            switch (kind)
            {
                case 0:
                    code.AddRange(addr);
                    code.AddRange(new byte[] { size == 1 ? (byte)0x2D : size == 2 ? (byte)0x2F : (byte)0x28, 0 });
                    code.AddRange(U32(offset));
                    code.AddRange(new byte[] { 0x20, 2, 0x73, 0x21, 2 }); // acc (local 2) ^= the loaded value
                    break;
                case 1:
                    code.AddRange(addr);
                    code.AddRange(I32Const(value));
                    code.AddRange(new byte[] { size == 1 ? (byte)0x3A : size == 2 ? (byte)0x3B : (byte)0x36, 0 });
                    code.AddRange(U32(offset));
                    break;
                case 2:
                    code.AddRange([.. I32Const(value), 0x20, 1, 0x6E, 0x20, 2, 0x6A, 0x21, 2]); // acc += value / z
                    break;
                default:
                    code.AddRange([.. I32Const(value), 0x24, 0]);
                    break;
            }
        }
        code.AddRange(new byte[] { 0x20, 2 });
        return [.. code];
    }

    /// <summary>The accesses one by one (spec §4.4.7): the result and the first trap's message, if any.</summary>
    private static (int Result, string? Trap) Model(List<(int Kind, int C, uint Offset, int Size, int Value)> ops, int p, int z, byte[] mem, ref int g)
    {
        int acc = 0;
        foreach (var (kind, c, offset, size, value) in ops)
        {
            ulong ea = (ulong)(uint)(p + c) + offset;
            switch (kind)
            {
                case 0 or 1 when ea + (ulong)size > (ulong)mem.Length:
                    return (0, Oob);
                case 0:
                    int v = 0;
                    for (int i = 0; i < size; i++) v |= mem[(int)ea + i] << (8 * i);
                    acc = v ^ acc;
                    break;
                case 1:
                    for (int i = 0; i < size; i++) mem[(int)ea + i] = (byte)(value >> (8 * i));
                    break;
                case 2:
                    if (z == 0) return (0, "integer divide by zero");
                    acc += (int)((uint)value / (uint)z);
                    break;
                default:
                    g = value;
                    break;
            }
        }
        return (acc, null);
    }
}
