using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// A load whose address is <c>local.get a; local.get b; i32.add</c> with both locals bounded so that the sum never
/// wraps (FunctionCompiler.Numeric.cs, TryDeferLocalSum): an unchecked access computes memory + a + b as native
/// integers, a checked one reads the i32 sum. Every load width, with and without an offset immediate, up to
/// the last byte of memory, and one byte further, where the access must trap exactly there (spec §4.4.7).
/// </summary>
public class LocalSumAddressTests
{
    // (load opcode, access size, result type)
    private static readonly (byte Op, int Size, byte Type)[] Loads =
    [
        (0x28, 4, I32), (0x29, 8, I64), (0x2A, 4, F32), (0x2B, 8, F64), (0x2C, 1, I32), (0x2D, 1, I32), (0x2E, 2, I32), (0x2F, 2, I32),
        (0x30, 1, I64), (0x31, 1, I64), (0x32, 2, I64), (0x33, 2, I64), (0x34, 4, I64), (0x35, 4, I64),
    ];

    /// <summary>
    /// f(x): base = (x &amp; 0x3FE) &lt;&lt; 6 (at most 65408); i counts 0, 4, .. 60 (a counting loop: bounded); per i the load
    /// at base + i + offset, its bits folded into a checksum (i32.wrap / reinterpretation for floats) as
    /// acc = acc * 31 + bits. Memory is one page: base + 60 + offset + size is at most 65536 for the offsets
    /// chosen (the last byte).
    /// </summary>
    private static byte[] Body(byte op, int size, byte type, int offset)
    {
        byte[] toI32 = type switch
        {
            I64 => [0xA7],             // i32.wrap_i64
            F32 => [0xBC],             // i32.reinterpret_f32
            F64 => [0xBD, 0xA7],       // i64.reinterpret_f64, wrap
            _ => [],
        };
        return [
            0x20, 0, .. I32Const(0x3FE), 0x71, .. I32Const(6), 0x74, 0x21, 1,   // base = (x & 0x3FE) << 6 (local 1)
            .. I32Const(0), 0x21, 2,                                              // i = 0 (local 2)
            0x03, 0x40,
            0x20, 3, .. I32Const(31), 0x6C,                                       // acc * 31
            0x20, 1, 0x20, 2, 0x6A, op, 0, .. U32((uint)offset),     // load(base + i) offset=...
            .. toI32, 0x6A, 0x21, 3,
            0x20, 2, .. I32Const(4), 0x6A, 0x22, 2, .. I32Const(64), 0x47, 0x0D, 0,  // i += 4; br_if i != 64
            0x0B, 0x20, 3,
        ];
    }

    private static long SignExtend(ulong raw, int size) => size switch
    {
        1 => (sbyte)raw, 2 => (short)raw, 4 => (int)raw, _ => (long)raw,
    };

    [Fact]
    public void LoadsAtASumOfBoundedLocalsMatchTheDefinition()
    {
        var rng = new Random(2605);
        var b = new ModuleBuilder();
        b.Memory(1, 1);
        // Offsets: 0, 3 (unaligned) and the largest that keeps base + 60 + offset + size within 65536.
        var cases = new List<(byte Op, int Size, byte Type, int Offset)>();
        foreach (var (op, size, type) in Loads)
            foreach (int offset in (int[])[0, 3, 65536 - 65408 - 60 - size])
                cases.Add((op, size, type, offset));
        for (int c = 0; c < cases.Count; c++)
            b.FuncWithLocals(b.Type([I32], [I32]), Body(cases[c].Op, cases[c].Size, cases[c].Type, cases[c].Offset), [(3u, I32)], export: $"f{c}");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var mem = inst.GetMemory().Span;
        rng.NextBytes(mem);
        var copy = mem.ToArray();
        for (int c = 0; c < cases.Count; c++)
        {
            var (op, size, type, offset) = cases[c];
            bool signed = op is 0x2C or 0x2E or 0x30 or 0x32 or 0x34;
            var f = inst.GetFunction<Func<int, int>>($"f{c}");
            foreach (int x in (int[])[0, 1, 0x3FF, -1, 0x12345, 0x3FE, 0x3FC, rng.Next()])
            {
                int acc = 0, bas = (x & 0x3FE) << 6;
                for (int i = 0; i < 64; i += 4)
                {
                    int ea = bas + i + offset;
                    ulong raw = 0;
                    for (int k = 0; k < size; k++) raw |= (ulong)copy[ea + k] << (8 * k);
                    long v = signed ? SignExtend(raw, size) : (long)raw;
                    acc = acc * 31 + (int)v; // wrap_i64 / reinterpret keep the low 32 bits
                }
                Assert.True(acc == f(x), $"load 0x{op:x2} offset {offset}, x = {x}: expected {acc}, got {f(x)}");
            }
        }
    }

    /// <summary>
    /// The same loop one byte further (offset + 1): the bounds do not prove the last access inside memory, so
    /// it is checked and traps when x selects the last block (the earlier iterations' loads were fine), and
    /// runs through for any other x.
    /// </summary>
    [Fact]
    public void ALoadOneBytePastTheEndTrapsThere()
    {
        var b = new ModuleBuilder();
        b.Memory(1, 1);
        int offset = 65536 - 65408 - 60 - 4 + 1;
        b.FuncWithLocals(b.Type([I32], [I32]), Body(0x28, 4, I32, offset), [(3u, I32)], export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var f = inst.GetFunction<Func<int, int>>("f");
        Assert.Throws<WasmTrapException>(() => f(0x3FE));
        Assert.Throws<WasmTrapException>(() => f(-1));
        f(0x3FC); // the last block but one: every access inside
        f(0);
    }
}
