using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// An access at exactly a local's value shows local + offset + size inside the memory; while the local is
/// not written that stays true (memory never shrinks), so inside loops an access at local | b or local + b
/// for b &lt;= B needs no check when B + its offset + size fits (FunctionCompiler.Bounds.cs, RecordSpan):
/// clang's <c>regs[program[pc] &amp; 3]</c> over a frame in linear memory. Every access these tests make
/// out of bounds must still trap where the spec says (WebAssembly 2.0 §4.4.7) — after a check that another
/// path skipped, after the local changed, at every iteration — and one that the fact covers must not,
/// also once the memory grew.
/// </summary>
public class CheckedSpanTests
{
    private const string Oob = "out of bounds memory access";

    // The frame's entry store of 16 bytes (clang: regs[0..3] = {0, n, 0, 0} as an i64 store at offset 8 and more).
    private static byte[] EntryStore(int local) => [0x20, (byte)local, 0x42, 0, 0x37, 3, 8];

    // regs[x & 3] as clang addresses it: local | (x & 3) << 2.
    private static byte[] RegAddress(int local, int x) => [0x20, (byte)local, 0x20, (byte)x, .. I32Const(3), 0x71, .. I32Const(2), 0x74, 0x72];

    private static Func<int, int, int> Build(byte[] code, byte[]? locals = null, uint pages = 1, uint? max = null, Action<Instance>? seen = null)
    {
        var b = new ModuleBuilder();
        b.Memory(pages, max);
        b.Func(b.Type([I32, I32], [I32]), code, locals, export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        seen?.Invoke(inst);
        return inst.GetFunction<Func<int, int, int>>("f");
    }

    /// <summary>The interpreter's shape: an entry store at the frame, then a loop of register stores and loads at frame | (x &amp; 3) &lt;&lt; 2.</summary>
    private static readonly byte[] Registers =
    [
        .. EntryStore(0),
        0x03, 0x40,                                                   // loop: regs[x & 3] = x + 1000; x -= 1; while x != -1
        .. RegAddress(0, 1), 0x20, 1, .. I32Const(1000), 0x6A, 0x36, 2, 0,
        0x20, 1, .. I32Const(1), 0x6B, 0x22, 1, .. I32Const(-1), 0x47, 0x0D, 0,
        0x0B,
        .. RegAddress(0, 1), 0x28, 2, 0,                              // regs[-1 & 3] = regs[3], outside a loop (checked)
        0x03, 0x7F, .. I32Const(2), .. RegAddress(0, 1), 0x28, 2, 0, 0x6A, 0x0B, // 2 + regs[3], in a loop (not)
        0x6A,
    ];

    [Fact]
    public void RegisterAccessesAtTheFrameReadAndWriteTheRightBytesUpToTheMemorysEnd()
    {
        Memory? mem = null;
        var f = Build(Registers, seen: i => mem = i.GetMemory());
        foreach (int frame in (int[])[0, 16, 65520, 65504])
        {
            // x counts down from 5: regs[1] = 1005 then 1001, regs[0] = 1004 then 1000, regs[3] = 1003, regs[2] = 1002.
            Assert.Equal(1003 + 2 + 1003, f(frame, 5));
            for (int r = 0; r < 4; r++)
                Assert.Equal(1000 + r, BitConverter.ToInt32(mem!.Span[(frame | r << 2)..]));
        }
        Assert.Equal(1000 + 2 + 1000, f(65518, 5));     // 0xFFEE: every register at 0xFFEE, the last one stored 1000
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65521, 5)).Message); // the entry store: 65521 + 16 > 65536
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(-4, 5)).Message);
    }

    [Fact]
    public void ACheckOnlyOnePathMadeShowsNothingAfterThePathsMerge()
    {
        // block: if c, skip the load at p + 12; end. loop: load at p + 12 (by i32.add) — must be checked.
        byte[] code =
        [
            0x02, 0x40, 0x20, 1, 0x0D, 0, 0x20, 0, 0x28, 2, 12, 0x1A, 0x0B,
            0x03, 0x7F, 0x20, 0, .. I32Const(12), 0x6A, 0x28, 2, 0, 0x0B,
        ];
        var f = Build(code);
        Assert.Equal(0, f(65520, 0));
        Assert.Equal(0, f(65520, 1));
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65521, 0)).Message); // the block's own load
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65521, 1)).Message); // skipped: the loop's load traps
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65532, 1)).Message);
    }

    [Fact]
    public void ACheckInTheThenArmShowsNothingInTheElseArm()
    {
        // loop: if c { load p + 12 } else { load p | 12 }: with c = 0 the else arm's load is checked on its own.
        byte[] code =
        [
            0x03, 0x7F, 0x20, 1, 0x04, 0x7F,
            0x20, 0, 0x28, 2, 12,
            0x05,
            0x20, 0, .. I32Const(12), 0x72, 0x28, 2, 0,
            0x0B, 0x0B,
        ];
        var f = Build(code);
        Assert.Equal(0, f(65520, 1));
        Assert.Equal(0, f(65520, 0));
        Assert.Equal(0, f(65524, 0));                                                    // 65524 | 12 = 65532
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65533, 0)).Message); // 65533 | 12 = 65533
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65523, 0)).Message); // 65523 | 12 = 65535
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65521, 1)).Message);
    }

    [Fact]
    public void ALocalWrittenInTheLoopIsCheckedAtEveryIteration()
    {
        // entry: load p (shows p + 16 with offset 12); loop: mem[0] = i; load p + 12; p += 4; i += 1; until i == 100.
        // The load of iteration k is at p0 + 4k + 12: it traps at the first k with p0 + 4k + 16 > 65536, after mem[0] = k.
        byte[] code =
        [
            0x20, 0, 0x28, 2, 12, 0x1A,
            0x03, 0x40,
            .. I32Const(0), 0x20, 2, 0x36, 2, 0,
            0x20, 0, .. I32Const(12), 0x6A, 0x28, 2, 0, 0x1A,
            0x20, 0, .. I32Const(4), 0x6A, 0x21, 0,
            0x20, 2, .. I32Const(1), 0x6A, 0x22, 2, .. I32Const(100), 0x47, 0x0D, 0,
            0x0B,
            0x20, 2,
        ];
        Memory? mem = null;
        var f = Build(code, [I32], seen: i => mem = i.GetMemory());
        Assert.Equal(100, f(65536 - 16 - 400, 0));
        for (int k = 1; k < 5; k++)
        {
            Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65536 - 16 - 4 * k, 0)).Message);
            Assert.Equal(k + 1, BitConverter.ToInt32(mem!.Span)); // iteration k + 1's load, after its store
        }
    }

    [Fact]
    public void ALocalWrittenAfterItsCheckIsCheckedAgain()
    {
        // In a loop: load p (shows p + 4); push p; p = q; load (old p) | 0 — its own room; load p | 0 — checked.
        byte[] code =
        [
            0x03, 0x7F,
            0x20, 0, 0x28, 2, 0, 0x1A,
            0x20, 0,                                                  // the old p, pushed before the write
            0x20, 1, 0x21, 0,
            .. I32Const(0), 0x72, 0x28, 2, 0,
            0x20, 0, .. I32Const(0), 0x72, 0x28, 2, 0, 0x6A,
            0x0B,
        ];
        var f = Build(code);
        Assert.Equal(0, f(65532, 65532));
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(0, 65533)).Message);
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65533, 0)).Message);
    }

    [Fact]
    public void AGroupHeadShowsItsWholeSpan()
    {
        // loop: load p + load p offset 4 (one check of 8 bytes at the head), then load p | 4 and p + 4 shown by it.
        byte[] code =
        [
            0x03, 0x7F,
            0x20, 0, 0x28, 2, 0, 0x20, 0, 0x28, 2, 4, 0x6A,
            0x20, 0, .. I32Const(4), 0x72, 0x28, 2, 0, 0x6A,
            0x20, 0, .. I32Const(4), 0x6A, 0x28, 2, 0, 0x6A,
            0x0B,
        ];
        Memory? mem = null;
        var f = Build(code, seen: i => mem = i.GetMemory());
        BitConverter.TryWriteBytes(mem!.Span[65528..], 3);
        BitConverter.TryWriteBytes(mem.Span[65532..], 5);
        Assert.Equal(3 + 5 + 5 + 5, f(65528, 0));
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65529, 0)).Message);
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(-4, 0)).Message);
    }

    [Fact]
    public void FactsHoldAcrossMemoryGrowthAndAFrameBeyondTheFirstSizeWorksOnceItFits()
    {
        // entry store at p (16 bytes); loop three times: memory.grow 1, regs[i & 3] = i, sum += regs[i & 3].
        byte[] code =
        [
            .. EntryStore(0),
            0x03, 0x40,
            .. I32Const(1), 0x40, 0, 0x1A,
            .. RegAddress(0, 1), 0x20, 1, 0x36, 2, 0,
            .. RegAddress(0, 1), 0x28, 2, 0, 0x20, 2, 0x6A, 0x21, 2,
            0x20, 1, .. I32Const(1), 0x6A, 0x22, 1, .. I32Const(3), 0x49, 0x0D, 0,
            0x0B,
            0x20, 2,
        ];
        var f = Build(code, [I32], pages: 1, max: 8);
        Assert.Equal(0 + 1 + 2, f(65520, 0));                                            // pages 1 -> 4
        Assert.Equal(0 + 1 + 2, f(4 * 65536 - 16, 0));                                   // inside once grown
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(7 * 65536 - 15, 0)).Message); // 7 pages now: the entry store
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(8 * 65536 - 16, 0)).Message);
    }
    [Fact]
    public void VectorAccessesNeedAllTheirBytesInsideTheRoom()
    {
        // entry store at p (shows p + 16); loop: lane 1 of v128.load p (16 bytes: the room exactly) plus, if x,
        // lane 0 of v128.load (p + 1) — one byte beyond the room: checked.
        byte[] code =
        [
            .. EntryStore(0),
            0x03, 0x7F,
            0x20, 0, .. SimdInstr(0x00, [4, 0]), .. SimdInstr(0x1B, [1]),
            0x20, 1, 0x04, 0x7F,
            0x20, 0, .. I32Const(1), 0x6A, .. SimdInstr(0x00, [4, 0]), .. SimdInstr(0x1B, [0]),
            0x05, .. I32Const(0), 0x0B,
            0x6A,
            0x0B,
        ];
        Memory? mem = null;
        var f = Build(code, seen: i => mem = i.GetMemory());
        for (int i = 65500; i < 65536; i++) mem!.Span[i] = (byte)i;
        int Word(int at) => BitConverter.ToInt32(mem!.Span[at..]);
        Assert.Equal(Word(65520 + 4), f(65520, 0));
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65520, 1)).Message); // p + 1 + 16 > 65536
        for (int i = 65500; i < 65527; i++) mem!.Span[i] = (byte)i;                     // the entry store zeroed p + 8 ..
        int expected = Word(65519 + 4) + Word(65520);
        Assert.Equal(expected, f(65519, 1));
        Assert.Equal(Oob, Assert.Throws<WasmTrapException>(() => f(65521, 0)).Message); // the entry store
    }
}
