using Pliant.Wasm.Runtime;
using Pliant.Wasm.Tests.Hostile;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Simd;

/// <summary>
/// Hostile SIMD input: immediates out of range, truncated or unknown encodings, misaligned and
/// out-of-bounds accesses, frames of vectors, long vector code. Each is refused with the spec's
/// error kind (malformed: decoding, invalid: validation) or traps with the spec's message.
/// </summary>
public class SimdHostileTests
{
    private const uint Load = 0, Store = 11, Const = 12, ShuffleOp = 13, I32x4ExtractLane = 27, I8x16Add = 110;

    private static byte[] Body(byte[] code, byte[]? parameters = null, byte[]? results = null, bool memory = true)
    {
        var b = new ModuleBuilder();
        if (memory) b.Memory(1, 1);
        b.Func(b.Type(parameters ?? [], results ?? []), code, export: "f");
        return b.Build();
    }

    private static T Refused<T>(byte[] wasm) where T : WasmException
    {
        var (error, _) = Bounded.Run(() => CompiledModule.Compile(wasm));
        return Assert.IsType<T>(error);
    }

    private static byte[] Memarg(uint align, uint offset) => [.. U32(align), .. U32(offset)];

    // ---- lane indices ----------------------------------------------------------------------------

    [Theory]
    [InlineData(21u, 16)] // i8x16.extract_lane_s
    [InlineData(22u, 255)] // i8x16.extract_lane_u
    [InlineData(24u, 8)] // i16x8.extract_lane_s
    [InlineData(27u, 4)] // i32x4.extract_lane
    [InlineData(29u, 2)] // i64x2.extract_lane
    [InlineData(31u, 4)] // f32x4.extract_lane
    [InlineData(33u, 2)] // f64x2.extract_lane
    public void ExtractLaneOutOfRangeIsInvalid(uint op, byte lane)
    {
        byte result = op switch { 29 => I64, 31 => F32, 33 => F64, _ => I32 };
        var e = Refused<WasmInvalidException>(Body([.. V128Const(0, 0, 0, 0), .. SimdInstr(op, lane)], results: [result]));
        Assert.Equal("invalid lane index", e.Message);
    }

    [Theory]
    [InlineData(23u, 16, I32)] // i8x16.replace_lane
    [InlineData(26u, 8, I32)]
    [InlineData(28u, 4, I32)]
    [InlineData(30u, 2, I64)]
    [InlineData(32u, 4, F32)]
    [InlineData(34u, 200, F64)]
    public void ReplaceLaneOutOfRangeIsInvalid(uint op, byte lane, byte scalar)
    {
        byte[] value = scalar switch { I64 => [0x42, 0], F32 => [0x43, 0, 0, 0, 0], F64 => [0x44, 0, 0, 0, 0, 0, 0, 0, 0], _ => [0x41, 0] };
        var e = Refused<WasmInvalidException>(Body([.. V128Const(0, 0, 0, 0), .. value, .. SimdInstr(op, lane), 0x1A]));
        Assert.Equal("invalid lane index", e.Message);
    }

    [Theory]
    [InlineData(84u, 16)] // v128.load8_lane
    [InlineData(85u, 8)]
    [InlineData(86u, 4)]
    [InlineData(87u, 2)]
    [InlineData(88u, 16)] // v128.store8_lane
    [InlineData(91u, 255)]
    public void LaneAccessOutOfRangeIsInvalid(uint op, byte lane)
    {
        bool load = op < 88;
        var e = Refused<WasmInvalidException>(Body([0x41, 0, .. V128Const(0, 0, 0, 0), .. SimdInstr(op, [.. Memarg(0, 0), lane]), .. (load ? new byte[] { 0x1A } : [])]));
        Assert.Equal("invalid lane index", e.Message);
    }

    [Theory]
    [InlineData(0, 32)]
    [InlineData(15, 32)]
    [InlineData(7, 255)]
    public void ShuffleLaneAbove31IsInvalid(int position, byte lane)
    {
        var lanes = new byte[16];
        lanes[position] = lane;
        var e = Refused<WasmInvalidException>(Body([.. V128Const(0, 0, 0, 0), .. V128Const(0, 0, 0, 0), .. SimdInstr(ShuffleOp, lanes), 0x1A]));
        Assert.Equal("invalid lane index", e.Message);
    }

    // ---- encodings ---------------------------------------------------------------------------------

    [Fact]
    public void TruncatedImmediatesAreMalformed()
    {
        // The body ends (its final end byte taken as immediate) before the 16 bytes of a v128.const or a
        // shuffle, the lane index of a lane load, the memarg of a load.
        byte[][] codes =
        [
            SimdInstr(Const, new byte[14]),
            [.. V128Const(0, 0, 0, 0), .. V128Const(0, 0, 0, 0), .. SimdInstr(ShuffleOp, new byte[15])],
            [0x41, 0, .. V128Const(0, 0, 0, 0), .. SimdInstr(84, [0, 0])],
            [0x41, 0, .. SimdInstr(Load, [4])],
            [0xFD],
            [0x41, 0, 0xFD, 0x00],
        ];
        foreach (var code in codes)
        {
            var e = Refused<WasmMalformedException>(Body(code));
            Assert.Contains("unexpected end", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x9A, 0x01 })] // 154: reserved
    [InlineData(new byte[] { 0xA2, 0x01 })] // 162: reserved
    [InlineData(new byte[] { 0xEE, 0x01 })] // 238: reserved
    [InlineData(new byte[] { 0x80, 0x02 })] // 256: relaxed SIMD (3.0), not 2.0
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })] // 2^32 - 1
    public void UnknownSubOpcodesAreMalformed(byte[] sub)
    {
        var e = Refused<WasmMalformedException>(Body([0xFD, .. sub]));
        Assert.Equal("illegal opcode", e.Message);
    }

    [Fact]
    public void OverlongSubOpcodeIsMalformed()
    {
        var e = Refused<WasmMalformedException>(Body([0xFD, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]));
        Assert.Equal("integer representation too long", e.Message);
    }

    [Theory]
    [InlineData(0u, 5u)] // v128.load: natural alignment 2^4
    [InlineData(1u, 4u)] // v128.load8x8_s: 2^3
    [InlineData(7u, 1u)] // v128.load8_splat: 2^0
    [InlineData(92u, 3u)] // v128.load32_zero: 2^2
    [InlineData(11u, 31u)] // v128.store
    public void AlignmentAboveNaturalIsInvalid(uint op, uint align)
    {
        byte[] code = op == Store
            ? [0x41, 0, .. V128Const(0, 0, 0, 0), .. SimdInstr(op, Memarg(align, 0))]
            : [0x41, 0, .. SimdInstr(op, Memarg(align, 0)), 0x1A];
        Assert.Equal("alignment must not be larger than natural", Refused<WasmInvalidException>(Body(code)).Message);
    }

    [Fact]
    public void AlignmentFlagsOf32OrMoreAreMalformed()
    {
        var e = Refused<WasmMalformedException>(Body([0x41, 0, .. SimdInstr(Load, Memarg(32, 0)), 0x1A]));
        Assert.Equal("malformed memop flags", e.Message);
    }

    [Fact]
    public void VectorInstructionsWithoutMemoryAreInvalid()
    {
        var e = Refused<WasmInvalidException>(Body([0x41, 0, .. SimdInstr(Load, Memarg(4, 0)), 0x1A], memory: false));
        Assert.Equal("unknown memory", e.Message);
    }

    // ---- memory accesses -----------------------------------------------------------------------------

    /// <summary>f(addr) = v128.load offset=<paramref name="offset"/> (align hint 16), lane <paramref name="lane"/> as i32.</summary>
    private static Func<int, int> Loader(uint op, uint offset, byte lane = 0)
    {
        var inst = CompiledModule.Compile(Body([0x20, 0, .. SimdInstr(op, Memarg(op == Load ? 4u : 0u, offset)), .. SimdInstr(I32x4ExtractLane, lane)], [I32], [I32])).Instantiate();
        var mem = inst.GetMemory().Span;
        for (int i = 0; i < mem.Length; i++) mem[i] = (byte)(i * 7 + 3);
        return inst.GetFunction<Func<int, int>>("f");
    }

    [Fact]
    public void UnalignedLoadsReadTheRightBytes()
    {
        var f = Loader(Load, 0, 1);
        for (int addr = 0; addr < 32; addr++)
        {
            int expected = BitConverter.ToInt32([(byte)((addr + 4) * 7 + 3), (byte)((addr + 5) * 7 + 3), (byte)((addr + 6) * 7 + 3), (byte)((addr + 7) * 7 + 3)]);
            Assert.Equal(expected, f(addr));
        }
    }

    [Theory]
    [InlineData(0u, 16)] // v128.load
    [InlineData(1u, 8)] // load8x8_s
    [InlineData(7u, 1)] // load8_splat
    [InlineData(9u, 4)] // load32_splat
    [InlineData(92u, 4)] // load32_zero
    [InlineData(93u, 8)] // load64_zero
    public void LoadsAtTheEndOfMemoryTrapExactlyWhenTheyCrossIt(uint op, int size)
    {
        var f = Loader(op, 0);
        f(65536 - size); // the last full access
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(65536 - size + 1)).Message);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => f(-1)).Message);
        // addr + offset is computed in 64 bits: 0xFFFFFFFF + 0xFFFFFFFF does not wrap to a valid address.
        var g = Loader(op, 0xFFFFFFFF);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => g(-1)).Message);
        Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => g(1)).Message);
    }

    [Theory]
    [InlineData(11u, 16, 0)] // v128.store
    [InlineData(88u, 1, 15)] // store8_lane
    [InlineData(89u, 2, 7)]
    [InlineData(90u, 4, 3)]
    [InlineData(91u, 8, 1)]
    public void StoresThatCrossTheEndTrapAndWriteNothing(uint op, int size, byte lane)
    {
        byte[] imm = op == Store ? Memarg(0, 0) : [.. Memarg(0, 0), lane];
        var inst = CompiledModule.Compile(Body([0x20, 0, .. V128Const(-1, -1, -1, -1), .. SimdInstr(op, imm)], [I32])).Instantiate();
        var store = inst.GetFunction<Action<int>>("f");
        var mem = inst.GetMemory();
        store(65536 - size);
        Assert.All(mem.Span[^size..].ToArray(), x => Assert.Equal(0xFF, x));
        mem.Span.Clear();
        for (int back = size - 1; back >= 1; back--)
        {
            Assert.Equal("out of bounds memory access", Assert.Throws<WasmTrapException>(() => store(65536 - back)).Message);
            Assert.All(mem.Span[^size..].ToArray(), x => Assert.Equal(0, x));
        }
    }

    // ---- frames, fuel, long code --------------------------------------------------------------------

    [Fact]
    public void VectorLocalsCountTwiceTowardsTheFrameCap()
    {
        // 4096 v128 locals are 64 KiB of frame by themselves: over the 8192-slot cap with anything else.
        var b = new ModuleBuilder();
        b.FuncWithLocals(b.Type([], []), [], [(4096u, V128)]);
        var e = Assert.Throws<WasmInvalidException>(() => CompiledModule.Compile(b.Build()));
        Assert.Equal("function needs more than the engine's cap of 8192 frame slots", e.Message);
    }

    [Fact]
    public void RecursionWithALargeVectorFrameTrapsOnASmallStack()
    {
        // 4000 v128 locals (8000 slots), the last one live across the recursive call.
        const uint last = 3999;
        var b = new ModuleBuilder();
        b.FuncWithLocals(b.Type([], []),
            [.. V128Const(1, 1, 1, 1), 0x21, .. U32(last), 0x10, 0x00, 0x20, .. U32(last), 0x20, 0x00, .. SimdInstr(I8x16Add), 0x21, .. U32(last)],
            [(4000u, V128)], export: "rec");
        var inst = CompiledModule.Compile(b.Build(), new WasmLimits { MaxCallDepth = 1_000_000 }).Instantiate();
        var (error, _) = Bounded.Run(() => inst.Invoke("rec", []), stackBytes: 256 << 10);
        Assert.Equal("call stack exhausted", Assert.IsType<WasmTrapException>(error).Message);
    }

    [Fact]
    public void VectorInstructionsAreChargedFuel()
    {
        // 3003 straight-line instructions, 3001 of them vector: a 2000-unit budget traps before any runs.
        var code = new List<byte>([0x41, 0, .. V128Const(0, 0, 0, 0)]);
        for (int i = 0; i < 1500; i++) code.AddRange([.. V128Const(1, 1, 1, 1), .. SimdInstr(I8x16Add)]);
        code.AddRange(SimdInstr(Store, Memarg(4, 0)));
        var inst = CompiledModule.Compile(Body([.. code])).Instantiate();
        Assert.Equal("fuel exhausted", Assert.Throws<WasmTrapException>(() => inst.Invoke("f", [], fuel: 2000)).Message);
        Assert.Equal(0, inst.GetMemory().Span[0]);
        inst.Invoke("f", [], fuel: 3010);
        Assert.Equal(1500 % 256, inst.GetMemory().Span[0]);
    }

    [Fact]
    public void LongShuffleChainsCompileInBoundedMemoryAndRun()
    {
        // 5000 shuffles of a vector with itself (24 bytes each, 120 KB: near the 128 KiB body cap), each
        // rotating the lanes by one, half of them taken from the second operand.
        var rotate = Enumerable.Range(0, 16).Select(i => (byte)((i + 1) % 16 + (i % 2) * 16)).ToArray();
        var code = new List<byte>([0x41, 0, .. SimdInstr(Load, Memarg(4, 0)), 0x21, 0]);
        for (int i = 0; i < 5000; i++) code.AddRange([0x20, 0, 0x20, 0, .. SimdInstr(ShuffleOp, rotate), 0x21, 0]);
        code.AddRange([0x41, 0, 0x20, 0, .. SimdInstr(Store, Memarg(4, 0))]);
        var b = new ModuleBuilder();
        b.Memory(1, 1);
        b.Func(b.Type([], []), [.. code], locals: [V128], export: "f");
        var bytes = b.Build();
        CompiledModule? module = null;
        var (error, allocated) = Bounded.Run(() => module = CompiledModule.Compile(bytes));
        Assert.Null(error);
        Assert.True(allocated < 400L * bytes.Length, $"{allocated} bytes allocated compiling {bytes.Length} bytes");
        var inst = module!.Instantiate();
        var mem = inst.GetMemory().Span;
        for (int i = 0; i < 16; i++) mem[i] = (byte)i;
        inst.Invoke("f", []);
        for (int i = 0; i < 16; i++) Assert.Equal((byte)((i + 5000) % 16), inst.GetMemory().Span[i]);
    }
}
