using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Accesses whose address is statically inside the declared minimum memory are compiled without a bounds
/// check (FunctionCompiler.Bounds.cs); everything else must still trap exactly where the spec says.
/// </summary>
public class StaticBoundsTests
{
    private static byte[] And(int mask) => [0x20, 0, .. I32Const(mask), 0x71];

    [Fact]
    public void UncheckedAccessesReadAndWriteTheRightBytes()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        // store8 at (p & 0xFF) + 100, then i32.load, i64.load32_u and i32.load16_u there, summed.
        b.Func(b.Type([I32, I32], [I64]), [
            .. And(0xFF), 0x20, 1, 0x3A, 0, 100,            // i32.store8 offset=100
            .. And(0xFF), 0x28, 2, 100, 0xAD,                 // i32.load offset=100, i64.extend_i32_u
            .. And(0xFF), 0x35, 2, 100, 0x7C,                 // i64.load32_u offset=100, i64.add
            .. And(0xFF), 0x2F, 1, 100, 0xAD, 0x7C,           // i32.load16_u offset=100, i64.extend_i32_u, i64.add
        ], export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var f = inst.GetFunction<Func<int, int, long>>("f");
        var mem = inst.GetMemory()!;
        mem.Span[0x1000 + 101] = 0xFF; // outside the masked range: untouched
        Assert.Equal(3L * 0xAB, f(0x7FFF_FF00 | 5, 0x1AB)); // only the low byte is stored; address 105
        Assert.Equal(0xAB, mem.Span[105]);
        Assert.Equal(0, mem.Span[104]);
        Assert.Equal(0, mem.Span[106]);
    }

    [Fact]
    public void ABoundBeyondTheMinimumKeepsTheCheck()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        b.Func(b.Type([I32], [I32]), [.. And(0xFFFF), 0x28, 2, 0], export: "load");              // bound 65535 + 4 > 65536
        b.Func(b.Type([I32], [I32]), [.. And(0xFF), 0x2D, 0, .. U32(65281)], export: "load8");   // 255 + 65281 + 1 > 65536
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var load = inst.GetFunction<Func<int, int>>("load");
        var load8 = inst.GetFunction<Func<int, int>>("load8");
        Assert.Equal(0, load(65532));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => load(65533)).Message);
        Assert.Equal(0, load8(254));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => load8(255)).Message);
    }

    [Fact]
    public void VectorAccessesNeedAllSixteenBytesInsideTheMinimum()
    {
        // v128.load / v128.store at (p & mask) + offset: unchecked only when bound + offset + 16 fits in 65536.
        var b = new ModuleBuilder();
        b.Memory(1);
        byte[] Copy(int mask, uint offset) => [.. And(mask), .. And(mask), .. SimdInstr(0x00, [4, .. U32(offset)]), .. SimdInstr(0x0B, [4, .. U32(offset)])];
        b.Func(b.Type([I32], []), Copy(0x7FF0, 0x8000), export: "inside");   // 32752 + 32768 + 16 = 65536: no check
        b.Func(b.Type([I32], []), Copy(0x7FF1, 0x8000), export: "edge");     // 32753 + 32768 + 16 > 65536: checked
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var mem = inst.GetMemory()!;
        for (int i = 0; i < 16; i++) mem.Span[65520 + i] = (byte)(i + 1);
        var inside = inst.GetFunction<Action<int>>("inside");
        var edge = inst.GetFunction<Action<int>>("edge");
        inside(0x7FF0); // loads and stores back the last 16 bytes
        Assert.Equal(16, mem.Span[65535]);
        edge(0x7FF0);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => edge(0x7FF1)).Message);
        Assert.Equal(16, mem.Span[65535]);
    }

    [Fact]
    public void LaneAndSplatAccessesAreCheckedForTheBytesTheyTouch()
    {
        // v128.store32_lane lane 3 and v128.load16_splat at (p & 0x7FFF) + offset: unchecked only when
        // bound + offset + size (4, 2) fits in 65536; one byte further and the check stays.
        var b = new ModuleBuilder();
        b.Memory(1);
        byte[] Lane(uint offset) => [.. And(0x7FFF), .. V128Const(1, 2, 3, 0x0A0B0C0D), .. SimdInstr(0x5A, [2, .. U32(offset), 3])];
        byte[] Splat(uint offset) => [.. And(0x7FFF), .. SimdInstr(0x08, [1, .. U32(offset)]), .. SimdInstr(0x18, [0])];
        b.Func(b.Type([I32], []), Lane(0x7FFD), export: "laneInside");      // 32767 + 32765 + 4 = 65536
        b.Func(b.Type([I32], []), Lane(0x7FFE), export: "laneEdge");
        b.Func(b.Type([I32], [I32]), Splat(0x7FFF), export: "splatInside"); // 32767 + 32767 + 2 = 65536
        b.Func(b.Type([I32], [I32]), Splat(0x8000), export: "splatEdge");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var mem = inst.GetMemory()!;
        inst.GetFunction<Action<int>>("laneInside")(0x7FFF);
        Assert.Equal(0x0A0B0C0D, BitConverter.ToInt32(mem.Span[65532..]));
        inst.GetFunction<Action<int>>("laneEdge")(0x7FFD);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Action<int>>("laneEdge")(0x7FFF)).Message);
        Assert.Equal(0x0A, mem.Span[65534]); // laneEdge wrote 0D 0C 0B 0A at 65531
        Assert.Equal(0x0A0A, inst.GetFunction<Func<int, int>>("splatInside")(0x7FFF));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Func<int, int>>("splatEdge")(0x7FFF)).Message);
    }

    [Fact]
    public void ALoopParameterArrivingByTheBackEdgeIsChecked()
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        uint loopType = b.Type([I32], [I32]);
        // i32.const 16; loop (param i32) (result i32): load8_u at the parameter; the back edge brings local 0
        b.FuncWithLocals(b.Type([I32], [I32]), [
            .. I32Const(16),
            0x03, (byte)loopType,
            0x2D, 0, 0, 0x1A,                     // i32.load8_u at the parameter, drop
            0x20, 0,                              // next parameter: p (unbounded)
            0x20, 1, 0x45,                        // continue while local 1 == 0
            .. I32Const(1), 0x21, 1,
            0x0D, 0,                              // br_if 0 (back edge)
            0x0B,
        ], [(1u, I32)], export: "f");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("f");
        Assert.Equal(100, f(100));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(65536)).Message);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(0x7FFF_0000)).Message);
    }

    [Fact]
    public void GrownMemoryKeepsUncheckedAccessesValid()
    {
        var b = new ModuleBuilder();
        b.Memory(1, 4);
        // memory.grow 2, then store and load at (p & 0xFFF): inside the first page whatever the size.
        b.Func(b.Type([I32], [I32]), [
            .. I32Const(2), 0x40, 0, 0x1A,
            .. And(0xFFF), .. I32Const(77), 0x36, 2, 0,
            .. And(0xFFF), 0x28, 2, 0,
        ], export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(77, inst.GetFunction<Func<int, int>>("f")(0x1234));
        Assert.Equal(77, BitConverter.ToInt32(inst.GetMemory()!.Span[0x234..]));
        Assert.Equal(3, inst.GetMemory()!.Pages);
    }

    /// <summary>i = c0; loop: acc += memory[i + base] (locals 1 = i, 2 = acc).</summary>
    private static byte[] LoopHead(int c0, int baseAddr) => [
        .. I32Const(c0), 0x21, 1,
        0x03, 0x40,
        0x20, 1, .. I32Const(baseAddr), 0x6A, 0x2D, 0, 0,     // i32.load8_u at i + base
        0x20, 2, 0x6A, 0x21, 2,                               // acc += it
    ];

    /// <summary>Instantiates the module with memory[x] = x * 7 and returns its export f.</summary>
    private static Func<int, int> Summing(ModuleBuilder b)
    {
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var mem = inst.GetMemory()!;
        for (int x = 0; x < mem.Span.Length; x++) mem.Span[x] = (byte)(x * 7);
        return inst.GetFunction<Func<int, int>>("f");
    }

    /// <summary>
    /// sum of bytes at base + i for i in [c0, 0) step k, clang's counting-loop shape; <paramref name="body"/>
    /// goes between the load and the increment (to break the shape), <paramref name="c0"/> and k vary.
    /// </summary>
    private static Func<int, int> CountingLoop(int c0, int k, int baseAddr, byte[]? body = null, uint pages = 1, byte[]? exit = null)
    {
        var b = new ModuleBuilder();
        b.Memory(pages, 2);
        // locals: 1 = i, 2 = acc.
        b.FuncWithLocals(b.Type([I32], [I32]), [
            .. LoopHead(c0, baseAddr),
            .. body ?? [],
            0x20, 1, .. I32Const(k), 0x6A, 0x22, 1, .. exit ?? [], 0x0D, 0, // i += k; [exit test]; br_if 0
            0x0B,
            0x20, 2,
        ], [(2u, I32)], export: "f");
        return Summing(b);
    }

    private static int Expected(int c0, int k, int baseAddr)
    {
        int acc = 0;
        for (int i = c0; i < 0; i += k) acc += (byte)((baseAddr + i) * 7);
        return acc;
    }

    /// <summary>
    /// A counting loop with a br_table inside (the loop analysis stops at it: FunctionCompiler.AnalyzeLoop, from the
    /// body's index of loops and br_tables) reads the same bytes, and past the minimum memory still traps.
    /// </summary>
    [Fact]
    public void ACountingLoopWithABrTableInsideReadsTheRightBytesAndTraps()
    {
        // block (br_table 0 0 on p) end: a br_table that only leaves its own block.
        byte[] brTable = [0x02, 0x40, 0x20, 0, 0x0E, 1, 0, 0, 0x0B];
        Assert.Equal(Expected(-256, 1, 256), CountingLoop(-256, 1, 256, brTable)(0));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => CountingLoop(-2, 1, 65537, brTable)(0)).Message);
    }

    /// <summary>
    /// Hostile nesting: a counting loop inside 3000 loops, after 3000 more in sequence. The loops' ends and branches
    /// come from one pass over the body and the analysis shares a budget of a few passes (bound: linear compile
    /// time); the result is the plain sum, and an access past the minimum memory still traps.
    /// </summary>
    [Theory]
    [InlineData(256, 0)]
    [InlineData(65537, -1)]
    public void CountingLoopsUnderAHostileNestOfLoopsCompileAndRun(int baseAddr, int expectTrap)
    {
        const int Nest = 3000;
        var body = new List<byte>();
        for (int i = 0; i < Nest; i++) body.AddRange([0x03, 0x40, 0x0B]); // loop end, in sequence
        for (int i = 0; i < Nest; i++) body.AddRange([0x03, 0x40]);       // loop ... nested
        body.AddRange([.. LoopHead(-2, baseAddr), 0x20, 1, .. I32Const(1), 0x6A, 0x22, 1, 0x0D, 0, 0x0B]);
        for (int i = 0; i < Nest; i++) body.Add(0x0B);
        body.AddRange([0x20, 2]);
        var b = new ModuleBuilder();
        b.Memory(1, 2);
        b.FuncWithLocals(b.Type([I32], [I32]), [.. body], [(2u, I32)], export: "f");
        var f = Summing(b);
        if (expectTrap == 0) Assert.Equal(Expected(-2, 1, baseAddr), f(0));
        else Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(0)).Message);
    }

    [Theory]
    [InlineData(-256, 1, 256)]      // addresses 0..255
    [InlineData(-4096, 8, 65536)]   // up to the last byte of the page, stride 8
    [InlineData(-16, 4, 100)]
    public void CountingLoopsReadTheRightBytes(int c0, int k, int baseAddr) =>
        Assert.Equal(Expected(c0, k, baseAddr), CountingLoop(c0, k, baseAddr)(0));

    [Fact]
    public void CountingLoopsOutsideTheMinimumStillTrap()
    {
        // i + 65537 for i in [-2, 0): the last access (65536) is out of a one-page memory.
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => CountingLoop(-2, 1, 65537)(0)).Message);
        // i + 10 for i in [-16, 0): negative addresses wrap to 4 GiB - 6: trap.
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => CountingLoop(-16, 1, 10)(0)).Message);
        // -c0 not a multiple of k: the counter skips 0 and runs on (wrapping) until an access traps.
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => CountingLoop(-10, 4, 100)(0)).Message);
    }

    [Fact]
    public void ALoopWritingItsCounterElsewhereKeepsItsChecks()
    {
        // local.get 0; local.set 1 inside the body: i becomes the parameter, then the next access traps.
        var f = CountingLoop(-256, 1, 256, [0x20, 0, 0x21, 1]);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(0x10000)).Message);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(-0x7FFF_0000)).Message);
    }

    [Fact]
    public void ALoopWithAnotherBranchToItsHeaderKeepsItsChecks()
    {
        // if (p != 0) { i = p - 256 (via tee in a block); br 1 (back to the loop) } — a second back edge.
        var f = CountingLoop(-256, 1, 256, [
            0x20, 0, 0x04, 0x40,                       // if p
            0x20, 0, .. I32Const(0), 0x21, 0,          // p = 0 (so the branch is taken once)
            0x20, 0, 0x1A,
            .. I32Const(-0x7000_0000), 0x21, 1,        // i = -0x70000000 (a second write: analysis refuses)
            0x0C, 1,                                   // br 1: back to the loop header
            0x0B,
        ]);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(1)).Message);
    }

    [Theory]
    [InlineData(0, 4, 4096, 1000)]          // i32.ne: i in [0, 4092]
    [InlineData(-8, 8, 65536 - 64, 8)]      // i32.ne from below zero
    public void CountingLoopsUpToALimitReadTheRightBytes(int c0, int k, int limit, int baseAddr)
    {
        var f = CountingLoop(c0, k, baseAddr, exit: [.. I32Const(limit), 0x47]);
        int acc = 0;
        for (int i = c0; i != limit; i += k) acc += (byte)((baseAddr + i) * 7);
        Assert.Equal(acc, f(0));
    }

    [Theory]
    [InlineData(-4, 16, 65532, 4)]          // i32.lt_u, memcopy's shape: i = -4, 12, 28, ... < 65532
    [InlineData(5, 3, 60000, 0)]
    public void CountingLoopsBelowAnUnsignedLimitReadTheRightBytes(int c0, int k, int limit, int baseAddr)
    {
        var f = CountingLoop(c0, k, baseAddr, exit: [.. I32Const(limit), 0x49]);
        int acc = 0, i = c0;
        do { acc += (byte)((baseAddr + i) * 7); i += k; } while ((uint)i < (uint)limit);
        Assert.Equal(acc, f(0));
    }

    [Fact]
    public void LimitLoopsOutsideTheMinimumOrSkippingTheLimitStillTrap()
    {
        // i32.ne: i + 1000 for i in [0, 65000): the last accesses pass 65536.
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => CountingLoop(0, 4, 1000, exit: [.. I32Const(65000), 0x47])(0)).Message);
        // i32.ne with a step that jumps over the limit: runs on and wraps until an access traps.
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => CountingLoop(0, 3, 0, exit: [.. I32Const(100), 0x47])(0)).Message);
        // i32.lt_u starting far above the limit: its first access is out of bounds.
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => CountingLoop(0x7000_0000, 4, 0, exit: [.. I32Const(100), 0x49])(0)).Message);
        // i32.lt_u with a limit past the memory: traps at 65536.
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => CountingLoop(0, 1, 0, exit: [.. I32Const(70000), 0x49])(0)).Message);
    }

    /// <summary>
    /// The counter tested before its step (clang's outer loops): <c>t = i &lt;u n; i += k; br_if t</c>, summing
    /// bytes at base + i.
    /// </summary>
    private static Func<int, int> TestFirstLoop(int c0, int k, int limit, int baseAddr)
    {
        var b = new ModuleBuilder();
        b.Memory(1, 2);
        b.FuncWithLocals(b.Type([I32], [I32]), [
            .. LoopHead(c0, baseAddr),
            0x20, 1, .. I32Const(limit), 0x49, 0x21, 3,           // t = i <u n
            0x20, 1, .. I32Const(k), 0x6A, 0x21, 1,               // i += k
            0x20, 3, 0x0D, 0,                                     // br_if t
            0x0B,
            0x20, 2,
        ], [(3u, I32)], export: "f");
        return Summing(b);
    }

    [Theory]
    [InlineData(0, 4096, 57345, 0)]   // i = 0, 4096, ..., 61440: the last access, 61440, is below 65536
    [InlineData(0, 1, 100, 10)]
    public void TestFirstLoopsReadTheRightBytes(int c0, int k, int limit, int baseAddr)
    {
        int acc = 0, i = c0;
        while (true)
        {
            acc += (byte)((baseAddr + i) * 7);
            bool t = (uint)i < (uint)limit;
            i += k;
            if (!t) break;
        }
        Assert.Equal(acc, TestFirstLoop(c0, k, limit, baseAddr)(0));
    }

    [Fact]
    public void TestFirstLoopsPastTheMinimumStillTrap()
    {
        // 65500 passes the test (< 65501), so 65600 = limit - 1 + k is read: out of a one-page memory.
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => TestFirstLoop(0, 100, 65501, 0)(0)).Message);
    }

    /// <summary>
    /// base = (p &amp; mask) &lt;&lt; shift (local 1), set before a loop over j = 0, 4, ..., 60 (local 2) that reads
    /// i32 at base + j, and writes local 1 inside the loop only when <paramref name="writeInLoop"/>: then
    /// local 1 = p on the first pass, which the back edge brings to the header.
    /// </summary>
    private static Func<int, int> InvariantBaseLoop(int mask, int shift, bool writeInLoop)
    {
        var b = new ModuleBuilder();
        b.Memory(1, 2);
        b.FuncWithLocals(b.Type([I32], [I32]), [
            .. And(mask), .. I32Const(shift), 0x74, 0x21, 1,           // local 1 = (p & mask) << shift
            .. I32Const(0), 0x21, 2,
            0x03, 0x40,
            0x20, 1, 0x20, 2, 0x6A, 0x28, 2, 0,                        // i32.load at local 1 + j
            0x20, 3, 0x6A, 0x21, 3,                                    // acc += it
            .. (writeInLoop ? (byte[])[0x20, 0, 0x21, 1] : []),        // local 1 = p
            0x20, 2, .. I32Const(4), 0x6A, 0x22, 2, .. I32Const(64), 0x47, 0x0D, 0,
            0x0B,
            0x20, 3,
        ], [(3u, I32)], export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var mem = inst.GetMemory()!;
        for (int x = 0; x < mem.Span.Length; x += 4) BitConverter.TryWriteBytes(mem.Span[x..], x);
        return inst.GetFunction<Func<int, int>>("f");
    }

    private static int WordSum(int from) { int acc = 0; for (int j = 0; j < 64; j += 4) acc += from + j; return acc; }

    [Fact]
    public void ALocalTheLoopNeverWritesKeepsItsBoundInside()
    {
        // (p & 0x3FF) << 6 <= 65472, + j <= 60, + 4 bytes: inside one page, unchecked; the values prove the addresses.
        var f = InvariantBaseLoop(0x3FF, 6, writeInLoop: false);
        Assert.Equal(WordSum(0x3FF << 6), f(-1));
        Assert.Equal(WordSum(5 << 6), f(5 | 0x7FFF_0000));
    }

    [Fact]
    public void ALocalWrittenInTheLoopOrShiftedTooFarKeepsItsChecks()
    {
        // Written in the loop: the second pass reads at p + 4, which traps for a p past the memory.
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => InvariantBaseLoop(0x3FF, 6, writeInLoop: true)(0x10000)).Message);
        Assert.Equal(WordSum(0), InvariantBaseLoop(0x3FF, 6, writeInLoop: true)(0));
        // (p & 0x3FF) << 7 reaches 130944: the bound does not fit, the check stays and traps.
        var f = InvariantBaseLoop(0x3FF, 7, writeInLoop: false);
        Assert.Equal(WordSum(100 << 7), f(100));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(0x200)).Message);
        // A shift by 31 of a mask keeps only bit 0 of p: 0 or 2^31, the second traps.
        var g = InvariantBaseLoop(1, 31, writeInLoop: false);
        Assert.Equal(WordSum(0), g(2));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => g(1)).Message);
    }

    [Fact]
    public void AFactEndsWhereABranchOutOfABlockMerges()
    {
        // local 1 = p & 0xFF; block: local 1 = p; br_if 0 (p != 0); local 1 = 0; end; load at local 1.
        // After the block local 1 is p or 0: a large p must trap.
        var b = new ModuleBuilder();
        b.Memory(1);
        b.FuncWithLocals(b.Type([I32], [I32]), [
            .. And(0xFF), 0x21, 1,
            0x02, 0x40,
            0x20, 0, 0x21, 1, 0x20, 0, 0x0D, 0,
            .. I32Const(0), 0x21, 1,
            0x0B,
            0x20, 1, 0x28, 2, 0,
        ], [(1u, I32)], export: "f");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("f");
        Assert.Equal(0, f(0));
        Assert.Equal(0, f(100));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(0x10000)).Message);
    }

    [Fact]
    public void AConstantAddedToABoundedAddressIsFoldedOnlyWithoutWrap()
    {
        // store32 then load32 at (p & 0xFFF) + 0xE000: exact sum at most 0xEFFF (+ 4 bytes inside the page), folded into the address.
        // load8 at (p & 0xFF) + -1: the sum wraps to 2^32 - 1 for p & 0xFF == 0, so it is not folded and traps.
        var b = new ModuleBuilder();
        b.Memory(1);
        b.Func(b.Type([I32], [I32]), [
            .. And(0xFFF), .. I32Const(0xE000), 0x6A, 0x20, 0, 0x36, 2, 0,
            .. And(0xFFF), .. I32Const(0xE000), 0x6A, 0x28, 2, 0,
        ], export: "word");
        b.Func(b.Type([I32], [I32]), [.. And(0xFF), .. I32Const(-1), 0x6A, 0x2D, 0, 0], export: "byte");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var mem = inst.GetMemory()!;
        Assert.Equal(0x7654_3FFF, inst.GetFunction<Func<int, int>>("word")(0x7654_3FFF));
        Assert.Equal(0x7654_3FFF, BitConverter.ToInt32(mem.Span[(0xE000 + 0xFFF)..]));
        mem.Span[0x41] = 99;
        Assert.Equal(99, inst.GetFunction<Func<int, int>>("byte")(0x42));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => inst.GetFunction<Func<int, int>>("byte")(0x100)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFactSurvivesAnIfThatLeavesTheLocalAloneAndEndsAtOneThatWritesIt(bool writeInElse)
    {
        // local 1 = p & 0xFF; if (p < 0) [local 2 = 1 | local 1 = p] else [local 1 = p | local 2 = 1] end;
        // i32.load at local 1. Whichever arm writes local 1, the load after the if must trap for a wild p.
        byte[] setLocal1 = [0x20, 0, 0x21, 1], setLocal2 = [.. I32Const(1), 0x21, 2];
        var b = new ModuleBuilder();
        b.Memory(1);
        b.FuncWithLocals(b.Type([I32], [I32]), [
            .. And(0xFF), 0x21, 1,
            0x20, 0, .. I32Const(0), 0x48, 0x04, 0x40,
            .. (writeInElse ? setLocal2 : setLocal1),
            0x05,
            .. (writeInElse ? setLocal1 : setLocal2),
            0x0B,
            0x20, 1, 0x28, 2, 0,
        ], [(2u, I32)], export: "f");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("f");
        int wild = writeInElse ? 0x7000_0000 : -0x1000_0000; // takes the arm that writes local 1
        int tame = writeInElse ? -0x1000_0000 : 0x7000_0000;  // takes the other arm: local 1 = p & 0xFF
        Assert.Equal(0, f(tame));
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(wild)).Message);
    }
}
