using Pliant.Wasm.Compilation;
using Pliant.Wasm.Decoding;
using Pliant.Wasm.Validation;

namespace Pliant.Wasm.Tests;

/// <summary>
/// The front end's tables (issue 16, compile speed): the decoder's common instruction shapes, the packed numeric
/// signatures, the call graph's per-opcode kinds and FuelPlan's runs of plain instructions must give exactly what
/// the code they replaced gave. Checked against plain definitions over the bench kernels (both builds) and seeded
/// random programs (scalar and SIMD), and for malformed immediates against the errors the decoder gave before.
/// </summary>
public class FrontEndTableTests
{
    private static IEnumerable<(string Name, byte[] Bytes)> Corpus()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Pliant.slnx"))) dir = dir.Parent;
        foreach (var file in new[] { "workloads.wasm", "workloads-simd.wasm" })
            yield return (file, File.ReadAllBytes(Path.Combine(dir!.FullName, "bench", "wasm", "vsnode", file)));
        var scalar = new ProgramGenerator(new Random(1616));
        for (int i = 0; i < 150; i++) yield return ($"random {i}", scalar.Module());
        var simd = new Simd.SimdProgramGenerator(new Random(1617));
        for (int i = 0; i < 100; i++) yield return ($"random simd {i}", simd.Module());
    }

    [Fact]
    public void PackedNumericSignaturesMatchTheSwitch()
    {
        for (int op = 0; op <= 0xFFFF; op++)
        {
            var want = OpInfo.NumericOf((ushort)op);
            bool numeric = OpInfo.TryNumeric((ushort)op, out var a, out var b, out var r);
            Assert.Equal(want.Result != ValType.Unknown, numeric);
            if (numeric) Assert.Equal(want, (a, b, r));
            else Assert.Equal((ValType.Unknown, ValType.Unknown, ValType.Unknown), (a, b, r));
        }
    }

    [Fact]
    public void FuelPlanRunsOfPlainInstructionsChangeNothing()
    {
        int bodies = 0;
        foreach (var (name, bytes) in Corpus())
        {
            var m = CompiledModule.DecodeAndValidate(bytes);
            foreach (var body in m.Bodies)
            {
                var fast = FuelPlan.For(body.Code, body.Tables);
                FuelPlan general;
                FuelPlan.PlainRuns = false;
                try { general = FuelPlan.For(body.Code, body.Tables); }
                finally { FuelPlan.PlainRuns = true; }
                Assert.True(fast.Cost.AsSpan().SequenceEqual(general.Cost), name);
                Assert.True(fast.Check.AsSpan().SequenceEqual(general.Check), name);
                Assert.Equal(general.Edge, fast.Edge);
                bodies++;
            }
        }
        Assert.True(bodies >= 400, $"{bodies} bodies");
    }

    /// <summary>The call graph's scan, by the definitions of <see cref="CallGraph.BodyScan"/>'s fields.</summary>
    [Fact]
    public void CallGraphScansMatchTheirDefinitions()
    {
        foreach (var (name, bytes) in Corpus())
        {
            var m = CompiledModule.DecodeAndValidate(bytes);
            var graph = CallGraph.Of(m);
            for (int f = 0; f < m.Bodies.Count; f++)
            {
                var code = m.Bodies[f].Code;
                var scan = graph.Scans[f];
                long self = f + m.ImportedFunctionCount;
                Assert.Equal(code.Count(i => i.Op is >= 0x28 and <= 0x3E), scan.ScalarAccesses);
                Assert.Equal(code.Any(i => i.Op == 0x03), scan.HasLoop);
                Assert.Equal(code.Any(i => i.Op == 0x10 && i.Imm == self), scan.CallsSelf);
                Assert.Equal(code.Any(i => i.Op is 0x10 or 0x11), scan.MakesCalls);
                Assert.Equal(code.All(i => FuelPlan.CostOf(i.Op) == 0), scan.Free);
                Assert.Equal(First(code, (i, pc) => i.Op is >= 0x28 and <= 0x3E || i.Op >= 0xFD00 && SimdOpInfo.IsMemory((uint)i.Op & 0xFF)), scan.FirstMemory);
                Assert.Equal(First(code, (i, pc) => i.Op is 0x77 or 0x78 || i.Op is 0x67 or 0x68 && pc > 0 && code[pc - 1].Op == 0x72), scan.FirstRotate32);
                Assert.Equal(First(code, (i, pc) => i.Op is 0x89 or 0x8A || i.Op is 0x79 or 0x7A && pc > 0 && code[pc - 1].Op == 0x84), scan.FirstRotate64);
                // Counts: a call to an import, to itself or call_indirect makes a function count by itself.
                if (code.Any(i => i.Op == 0x11 || i.Op == 0x10 && (i.Imm < m.ImportedFunctionCount || i.Imm == self)))
                    Assert.True(graph.Counts[f], name);
            }
        }
    }

    /// <summary>
    /// Long runs of the common shapes (the decoder's run loop and its stops): seeded random i32.const, local.get/set and
    /// i32.load with immediates of every length (padded encodings included), 9,000 instructions (the buffer grows past
    /// the size kept for the thread), decoded to exactly the instructions written; the same body cut short fails
    /// "unexpected end" wherever it is cut.
    /// </summary>
    [Fact]
    public void LongRunsOfCommonShapesDecodeExactly()
    {
        var rng = new Random(1633);
        var body = new List<byte>();
        var want = new List<Instr>();
        for (int i = 0; want.Count < 9000; i++)
        {
            int length = 1 + rng.Next(5);
            int v = rng.Next(int.MinValue, int.MaxValue) >> rng.Next(32);
            var enc = Encode(v, length) ?? Encode(v, 5)!;
            switch (rng.Next(3))
            {
                case 0: // i32.const v; drop
                    body.Add(0x41); body.AddRange(enc); body.Add(0x1A);
                    want.Add(new Instr { Op = 0x41, Imm = v });
                    want.Add(new Instr { Op = 0x1A });
                    break;
                case 1: // local.get 0; local.set 0, the index in 1-5 bytes
                    body.Add(0x20); body.AddRange(U32(0, length)); body.Add(0x21); body.AddRange(U32(0, 1 + rng.Next(5)));
                    want.Add(new Instr { Op = 0x20 });
                    want.Add(new Instr { Op = 0x21 });
                    break;
                default: // i32.const 0; i32.load align offset; drop
                {
                    uint align = (uint)rng.Next(3), offset = (uint)rng.Next(1 << rng.Next(1, 20));
                    body.Add(0x41); body.Add(0x00); body.Add(0x28); body.AddRange(U32(align, 1 + rng.Next(2))); body.AddRange(ModuleBuilder.U32(offset)); body.Add(0x1A);
                    want.Add(new Instr { Op = 0x41 });
                    want.Add(new Instr { Op = 0x28, Imm = offset, Imm2 = align });
                    want.Add(new Instr { Op = 0x1A });
                    break;
                }
            }
        }
        want.Add(new Instr { Op = 0x0B });
        var b = new ModuleBuilder();
        b.Memory(1, 1);
        b.Func(b.Type([], []), [.. body], [ModuleBuilder.I32]);
        var bytes = b.Build();
        var code = CompiledModule.DecodeAndValidate(bytes).Bodies[0].Code;
        Assert.Equal(want, code);
        // The instructions cut anywhere (no end follows): the reads run out of data, in a run or inside an immediate.
        var all = body.ToArray();
        for (int cut = 0; cut < 40; cut++) Assert.Equal("unexpected end", CutError(all.AsSpan(0, cut).ToArray()));
        for (int i = 0; i < 40; i++) Assert.Equal("unexpected end", CutError(all.AsSpan(0, rng.Next(all.Length)).ToArray()));
    }

    private static string? CutError(byte[] code)
    {
        try
        {
            var r = new WasmReader(code);
            CodeDecoder.Decode(ref r, hasDataCount: true, includeEnd: true, out _);
            return null;
        }
        catch (WasmMalformedException e)
        {
            return e.Message;
        }
    }

    // u as an unsigned LEB128 of exactly `length` bytes (padded with zero groups).
    private static byte[] U32(uint u, int length)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++, u >>= 7) b[i] = (byte)((u & 0x7F) | (i < length - 1 ? 0x80u : 0));
        return b;
    }

    /// <summary>
    /// ReadS32 (its direct path when five bytes are there, else the general one) against the spec's definition (§5.2.2):
    /// every length of encoding, padded ones included, the fifth byte's checks, and input that ends inside the number.
    /// Seeded: 20,000 random encodings plus the boundary values.
    /// </summary>
    [Fact]
    public void S32ReadsAsTheSpecDefines()
    {
        var rng = new Random(1632);
        var values = new List<int> { 0, -1, 63, 64, -64, -65, 8191, 8192, -8192, -8193, 1 << 20, -(1 << 20), (1 << 27) - 1, 1 << 27, -(1 << 27) - 1, int.MaxValue, int.MinValue };
        for (int i = 0; i < 2000; i++) values.Add(rng.Next(int.MinValue, int.MaxValue) >> rng.Next(32));
        foreach (int v in values)
        {
            for (int length = 1; length <= 5; length++)
            {
                var enc = Encode(v, length);
                if (enc == null) continue;
                foreach (int tail in new[] { 0, 1, 4 })
                {
                    var bytes = enc.Concat(Enumerable.Repeat((byte)0x0B, tail)).ToArray();
                    var r = new WasmReader(bytes);
                    Assert.Equal(v, r.ReadS32());
                    Assert.Equal(enc.Length, r.Position);
                }
                var cut = enc[..^1];
                Assert.Equal("unexpected end", Assert.Throws<WasmMalformedException>(() => new WasmReader(cut).ReadS32()).Message);
            }
        }
        for (int i = 0; i < 20000; i++)
        {
            // Five bytes with random continuation bits and a random fifth byte: the spec's outcome or its error.
            var bytes = new byte[5 + rng.Next(3)];
            rng.NextBytes(bytes);
            string? want = Reference(bytes, out int value, out int used);
            string? got = null;
            int read = 0, pos = 0;
            try { var r = new WasmReader(bytes); read = r.ReadS32(); pos = r.Position; }
            catch (WasmMalformedException e) { got = e.Message; }
            Assert.Equal(want, got);
            if (want == null) Assert.Equal((value, used), (read, pos));
        }
    }

    // v as an s32 LEB128 of exactly `length` bytes (padded with sign bytes), or null when it needs more.
    private static byte[]? Encode(int v, int length)
    {
        var b = new byte[length];
        long x = v;
        for (int i = 0; i < length; i++, x >>= 7) b[i] = (byte)((int)(x & 0x7F) | (i < length - 1 ? 0x80 : 0));
        return x == 0 || x == -1 ? (length == 5 || ((b[^1] & 0x40) != 0) == (v < 0) ? b : null) : null;
    }

    // Spec §5.2.2 for s32: at most 5 bytes; the fifth has no continuation and its unused bits equal the sign bit.
    private static string? Reference(byte[] bytes, out int value, out int used)
    {
        long result = 0;
        value = used = 0;
        for (int i = 0; i < 5; i++)
        {
            if (i >= bytes.Length) return "unexpected end";
            int b = bytes[i];
            result |= (long)(b & 0x7F) << 7 * i;
            if (i == 4)
            {
                if ((b & 0x80) != 0) return "integer representation too long";
                if ((b & 0x70) != 0 && (b & 0x70) != 0x70 || ((b & 0x08) != 0) != ((b & 0x70) == 0x70)) return "integer too large";
                value = (int)result;
                used = 5;
                return null;
            }
            if ((b & 0x80) == 0)
            {
                int bits = 7 * (i + 1);
                value = (int)(result << (64 - bits) >> (64 - bits));
                used = i + 1;
                return null;
            }
        }
        throw new InvalidOperationException();
    }

    /// <summary>
    /// The validator's facts (FunctionBody.Facts) give the call graph its own scan's result: the same scans, counting,
    /// restoring and neutral functions as a scan of bodies the validator has not passed.
    /// </summary>
    [Fact]
    public void CallGraphFromValidatorFactsMatchesItsOwnScan()
    {
        int calls = 0;
        foreach (var (name, bytes) in Corpus())
        {
            var m = CompiledModule.DecodeAndValidate(bytes);
            Assert.All(m.Bodies, b => Assert.True(b.Facts.HasValue, name));
            calls += m.Bodies.Sum(b => b.Facts!.Value.Calls.Length);
            var fromFacts = CallGraph.Of(m);
            foreach (var body in m.Bodies) body.Facts = null;
            var scanned = CallGraph.Of(m);
            Assert.Equal(scanned.Scans, fromFacts.Scans);
            Assert.Equal(scanned.Counts, fromFacts.Counts);
            Assert.Equal(scanned.Restores, fromFacts.Restores);
            Assert.Equal(scanned.Neutral, fromFacts.Neutral);
        }
        Assert.True(calls > 100, $"{calls} calls");
    }

    /// <summary>A body that fails validation gets no facts (a later compile cannot take them for a validated body's).</summary>
    [Fact]
    public void InvalidBodyGetsNoFacts()
    {
        // (func (result i32) call 0 i64.const 0): the call is noted, then the result type fails.
        var body = new FunctionBody { Locals = [], Code = [new Instr { Op = 0x10, Imm = 0 }, new Instr { Op = 0x42 }, new Instr { Op = 0x0B }] };
        var m = new WasmModule();
        m.Types.Add(new FuncType([], [ValType.I32]));
        m.Functions.Add(0);
        m.Bodies.Add(body);
        Assert.Throws<WasmInvalidException>(() => ModuleValidator.Validate(m));
        Assert.Null(body.Facts);
    }

    private static int First(Instr[] code, Func<Instr, int, bool> match)
    {
        for (int pc = 0; pc < code.Length; pc++) if (match(code[pc], pc)) return pc;
        return -1;
    }

    /// <summary>The shapes the decoder reads itself (no immediate, an index, a memarg, an s32), with multi-byte immediates.</summary>
    [Fact]
    public void CommonShapesReadTheirImmediates()
    {
        var b = new ModuleBuilder();
        b.Memory(1, 1);
        b.Global(ModuleBuilder.I32, true, ModuleBuilder.I32Const(0));
        uint t = b.Type([], [ModuleBuilder.I32]);
        var locals = Enumerable.Repeat(ModuleBuilder.I32, 300).ToArray();
        b.Func(t,
        [
            0x41, .. ModuleBuilder.S32(-1_000_000),       // i32.const -1000000
            0x21, .. ModuleBuilder.U32(299),              // local.set 299
            0x41, .. ModuleBuilder.S32(63),               // i32.const 63 (one byte)
            0x28, .. ModuleBuilder.U32(2), .. ModuleBuilder.U32(70_000), // i32.load align=2 offset=70000
            0x20, .. ModuleBuilder.U32(299),              // local.get 299
            0x6A,                                         // i32.add
            0x24, .. ModuleBuilder.U32(0),                // global.set 0
            0x23, 0x80, 0x00,                             // global.get 0, index in two bytes
        ], locals);
        var code = CompiledModule.DecodeAndValidate(b.Build()).Bodies[0].Code;
        Assert.Equal(new Instr { Op = 0x41, Imm = -1_000_000 }, code[0]);
        Assert.Equal(new Instr { Op = 0x21, Imm = 299 }, code[1]);
        Assert.Equal(new Instr { Op = 0x41, Imm = 63 }, code[2]);
        Assert.Equal(new Instr { Op = 0x28, Imm = 70_000, Imm2 = 2 }, code[3]);
        Assert.Equal(new Instr { Op = 0x20, Imm = 299 }, code[4]);
        Assert.Equal(new Instr { Op = 0x6A }, code[5]);
        Assert.Equal(new Instr { Op = 0x24 }, code[6]);
        Assert.Equal(new Instr { Op = 0x23 }, code[7]);
        Assert.Equal(new Instr { Op = 0x0B }, code[8]);
        Assert.Equal(9, code.Length);
    }

    /// <summary>Malformed immediates of those shapes fail with the decoder's messages (spec §5.2.2 LEB128 limits, §5.4.6 memarg).</summary>
    [Theory]
    [InlineData(new byte[] { 0x20 }, "unexpected end")]
    [InlineData(new byte[] { 0x41 }, "unexpected end")]
    [InlineData(new byte[] { 0x28, 0x02 }, "unexpected end")]
    [InlineData(new byte[] { 0x28, 0x20, 0x00 }, "malformed memop flags")]
    [InlineData(new byte[] { 0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, "integer representation too long")]
    [InlineData(new byte[] { 0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F }, "integer too large")]
    [InlineData(new byte[] { 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x4F }, "integer too large")]
    [InlineData(new byte[] { 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, "integer representation too long")]
    [InlineData(new byte[] { 0x10, 0x80 }, "unexpected end")]
    public void MalformedCommonShapesFailAsBefore(byte[] code, string message)
    {
        // One function whose body is the code alone (no end: a truncated immediate runs into the body's end).
        byte[] body = [0x00, .. code];
        byte[] module =
        [
            0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
            0x03, 0x02, 0x01, 0x00,
            0x0A, .. ModuleBuilder.U32((uint)body.Length + 2), 0x01, .. ModuleBuilder.U32((uint)body.Length), .. body,
        ];
        var e = Assert.Throws<WasmMalformedException>(() => ModuleDecoder.Decode(module));
        Assert.Equal(message, e.Message);
    }

    /// <summary>The validator's in-place numeric path leaves every mismatch to the spec's algorithm.</summary>
    [Theory]
    [InlineData(new byte[] { 0x42, 0x01, 0x41, 0x02, 0x6A, 0x1A })]       // i64 i32 i32.add
    [InlineData(new byte[] { 0x41, 0x01, 0x42, 0x02, 0x6A, 0x1A })]       // i32 i64 i32.add
    [InlineData(new byte[] { 0x41, 0x01, 0x6A, 0x1A })]                   // one operand
    [InlineData(new byte[] { 0x42, 0x01, 0x45, 0x1A })]                   // i32.eqz of an i64
    [InlineData(new byte[] { 0x41, 0x01, 0x02, 0x40, 0x41, 0x02, 0x6A, 0x1A, 0x0B, 0x1A })] // operand below the block's height
    public void NumericMismatchesStayInvalid(byte[] code)
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), code);
        var e = Assert.Throws<WasmInvalidException>(() => CompiledModule.DecodeAndValidate(b.Build()));
        Assert.Equal("type mismatch", e.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x6A, 0x1A })]             // unreachable, i32.add of unknowns
    [InlineData(new byte[] { 0x00, 0x41, 0x01, 0x6A, 0x45, 0x1A })] // one known operand
    public void NumericInUnreachableCodeStaysValid(byte[] code)
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), code);
        CompiledModule.DecodeAndValidate(b.Build());
    }

    /// <summary>
    /// An instruction after the function's own <c>end</c> (a body built by hand; the decoder ends a body there) fails at
    /// that end, as the per-instruction check before it did; the end as the last instruction stays valid.
    /// </summary>
    [Theory]
    [InlineData(0x01)] // nop
    [InlineData(0x0B)] // a second end
    [InlineData(0x41)] // i32.const
    public void InstructionAfterTheFunctionsEndIsInvalid(ushort after)
    {
        WasmModule Module(params Instr[] code)
        {
            var m = new WasmModule();
            m.Types.Add(new FuncType([], []));
            m.Functions.Add(0);
            m.Bodies.Add(new FunctionBody { Locals = [], Code = code });
            return m;
        }
        ModuleValidator.Validate(Module(new Instr { Op = 0x01 }, new Instr { Op = 0x0B }));
        var e = Assert.Throws<WasmInvalidException>(() => ModuleValidator.Validate(Module(new Instr { Op = 0x0B }, new Instr { Op = after })));
        Assert.Equal("type mismatch", e.Message);
    }

    /// <summary>
    /// The validator's operand stack grows past its first array (64 values) and past each doubling, keeping every type:
    /// n values pushed (i32, i64, f32, f64 in turn), then checked by the typed stores of locals that pop them.
    /// </summary>
    [Theory]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(300)]
    public void ValidatorStackGrowsAndKeepsTypes(int n)
    {
        byte[] types = [0x7F, 0x7E, 0x7D, 0x7C]; // i32 i64 f32 f64
        byte[] consts = [0x41, 0x42, 0x43, 0x44];
        var code = new List<byte>();
        for (int i = 0; i < n; i++)
        {
            code.Add(consts[i % 4]);
            code.AddRange((i % 4) switch { 2 => new byte[4], 3 => new byte[8], _ => [0] });
        }
        for (int i = n - 1; i >= 0; i--) code.AddRange([0x21, (byte)(i % 4)]); // local.set of the matching type
        var b = new ModuleBuilder();
        b.Func(b.Type([], []), [.. code], types);
        CompiledModule.DecodeAndValidate(b.Build());
        // The same pops with the first two local types swapped: the deepest i32 and i64 no longer match.
        code[^1] = 1;
        code[^3] = 0;
        var bad = new ModuleBuilder();
        bad.Func(bad.Type([], []), [.. code], types);
        var e = Assert.Throws<WasmInvalidException>(() => CompiledModule.DecodeAndValidate(bad.Build()));
        Assert.Equal("type mismatch", e.Message);
    }

    /// <summary>
    /// block, loop and if with every one-byte block type (read by the decoder's common-shape loop when valid) and with
    /// two-byte ones (read by ReadBlockType): the same instructions, and "malformed value type" for a negative type that
    /// is none of the value types (spec §5.4.1); the ends inside the sequence are counted so only its own end stops it.
    /// </summary>
    [Fact]
    public void BlockTypesAndEndsDecodeAsReadBlockTypeReadsThem()
    {
        int valid = 0;
        foreach (byte op in new byte[] { 0x02, 0x03, 0x04 })
        {
            for (int b = 0; b < 0x80; b++)
            {
                long bt = b < 0x40 ? b : b - 0x80;
                bool ok = bt >= 0 || bt is -64 or -1 or -2 or -3 or -4 or -5 or -16 or -17;
                var r = new WasmReader(new byte[] { op, (byte)b, 0x01, 0x0B, 0x0B, 0xFF });
                if (!ok)
                {
                    Assert.Equal("malformed value type", CutError([op, (byte)b, 0x0B, 0x0B]));
                    continue;
                }
                valid++;
                var code = CodeDecoder.Decode(ref r, hasDataCount: true, includeEnd: true, out _);
                Assert.Equal([new Instr { Op = op, Imm = bt }, new Instr { Op = 0x01 }, new Instr { Op = 0x0B }, new Instr { Op = 0x0B }], code);
                Assert.Equal(5, r.Position); // the byte after the sequence's end is not read
                // The same type in two bytes (a padded LEB128): the reader's path, the same instruction.
                var two = new WasmReader(new byte[] { op, (byte)(b | 0x80), (byte)(bt < 0 ? 0x7F : 0x00), 0x01, 0x0B, 0x0B });
                Assert.Equal(code, CodeDecoder.Decode(ref two, hasDataCount: true, includeEnd: true, out _));
            }
        }
        Assert.Equal(3 * (64 + 8), valid);
        // Nesting 300 deep (past the buffer's first 256 instructions), then the ends; without the sequence's own end
        // the data runs out.
        var nested = new List<byte>();
        for (int i = 0; i < 300; i++) nested.AddRange([(byte)(0x02 + i % 3), 0x40]);
        for (int i = 0; i < 300; i++) nested.Add(0x0B);
        Assert.Equal("unexpected end", CutError([.. nested]));
        nested.Add(0x0B);
        var n = new WasmReader([.. nested]);
        var all = CodeDecoder.Decode(ref n, hasDataCount: true, includeEnd: false, out _);
        Assert.Equal(600, all.Length);
        for (int i = 0; i < 300; i++) Assert.Equal(new Instr { Op = (ushort)(0x02 + i % 3), Imm = -64 }, all[i]);
        for (int i = 300; i < 600; i++) Assert.Equal(0x0B, all[i].Op);
    }
}
