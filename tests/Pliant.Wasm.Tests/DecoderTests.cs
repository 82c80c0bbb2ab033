using System.Text;
using Pliant.Wasm.Decoding;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

public class DecoderTests
{
    [Fact]
    public void DecodesSectionsAndExposesCustomSections()
    {
        var b = new ModuleBuilder().Custom("pliant.manifest", Encoding.UTF8.GetBytes("{\"name\":\"x\"}"));
        uint t = b.Type([ModuleBuilder.I32, ModuleBuilder.I32], [ModuleBuilder.I32]);
        b.Func(t, [0x20, 0, 0x20, 1, 0x6A], export: "add");
        b.Memory(1, 2);
        var m = ModuleDecoder.Decode(b.Build());
        Assert.Single(m.Types);
        Assert.Single(m.Functions);
        Assert.Equal(2, m.Exports.Count);
        Assert.Equal(new Limits(1, 2), m.Memories[0]);
        var manifest = m.FindCustomSection("pliant.manifest");
        Assert.NotNull(manifest);
        Assert.Equal("{\"name\":\"x\"}", Encoding.UTF8.GetString(manifest.Value.Span));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x61, 0x73 })]
    [InlineData(new byte[] { 0x00, 0x61, 0x73, 0x6E, 0x01, 0x00, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01 })]
    [InlineData(new byte[] { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x0D, 0x00 })]
    public void MalformedInputIsRejected(byte[] bytes)
    {
        Assert.Throws<WasmMalformedException>(() => ModuleDecoder.Decode(bytes));
    }

    [Fact]
    public void OverlongLeb128IsMalformed()
    {
        // type section whose count is encoded in 6 bytes
        byte[] bytes = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        var e = Assert.Throws<WasmMalformedException>(() => ModuleDecoder.Decode(bytes));
        Assert.Contains("integer", e.Message);
    }

    [Fact]
    public void InvalidUtf8NameIsMalformed()
    {
        var b = new ModuleBuilder();
        var bytes = b.Custom("x", []).Build();
        bytes[11] = 0xFF; // the custom section's one-byte name
        var e = Assert.Throws<WasmMalformedException>(() => ModuleDecoder.Decode(bytes));
        Assert.Contains("UTF-8", e.Message);
    }

    [Fact]
    public void Leb128SignedDecoding()
    {
        var r = new WasmReader(new byte[] { 0x7F });
        Assert.Equal(-1, r.ReadS32());
        r = new WasmReader(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x78 });
        Assert.Equal(int.MinValue, r.ReadS32());
        Assert.Throws<WasmMalformedException>(() => new WasmReader(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x70 }).ReadS32());
    }

    // block; i32.const <k>; br_table [0, 0] default 0; end: four instructions.
    private static byte[] BrTableBody(int k) => [0x02, 0x40, .. ModuleBuilder.I32Const(k), 0x0E, 0x02, 0x00, 0x00, 0x00, 0x0B];

    [Fact]
    public void InstructionBufferIsReusedWithoutStaleState()
    {
        // The decoder keeps one instruction buffer per thread: a longer body, then a body that fails
        // half-way, then a shorter one must each decode exactly their own instructions.
        var longer = new ModuleBuilder();
        uint t = longer.Type([], []);
        longer.Func(t, [.. BrTableBody(1), .. BrTableBody(2), .. BrTableBody(3)]);
        var m1 = ModuleDecoder.Decode(longer.Build());
        Assert.Equal(13, m1.Bodies[0].Code.Length);

        var broken = new ModuleBuilder();
        broken.Func(broken.Type([], []), [.. BrTableBody(4), 0xFF]);
        Assert.Throws<WasmMalformedException>(() => ModuleDecoder.Decode(broken.Build()));

        var shorter = new ModuleBuilder();
        shorter.Func(shorter.Type([], []), BrTableBody(5));
        var code = ModuleDecoder.Decode(shorter.Build()).Bodies[0].Code;
        Assert.Equal([0x02, 0x41, 0x0E, 0x0B, 0x0B], code.Select(i => (int)i.Op));
        Assert.Equal(5, code[1].Imm);
        var body = ModuleDecoder.Decode(shorter.Build()).Bodies[0];
        Assert.Equal(0, code[2].Imm);
        Assert.Equal([0u, 0u, 0u], Assert.Single(body.Tables));
        // The first module's arrays are its own: decoding others changed nothing in them.
        Assert.Equal(3, m1.Bodies[0].Code[9].Imm);
        Assert.Equal(2, m1.Bodies[0].Code[10].Imm);
        Assert.Equal(3, m1.Bodies[0].Tables.Length);
        Assert.All(m1.Bodies[0].Tables, t => Assert.Equal([0u, 0u, 0u], t));
    }

    // f(k, s): a typed select (s ? 7 : 9), then br_table [0, 1] default 2 on k (0: the select's value, 1: 20),
    // then for k >= 2 br_table [0, 0, 1] default 0 (2: 40, else 30). Each array at its own index of Tables.
    private static byte[] SelectAndTwoBrTables() => [
        0x02, 0x40, 0x02, 0x40, 0x02, 0x40,
        .. I32Const(7), .. I32Const(9), 0x20, 1, 0x1C, 0x01, 0x7F, 0x21, 1,
        0x20, 0, 0x0E, 0x02, 0x00, 0x01, 0x02,
        0x0B, 0x20, 1, 0x0F,
        0x0B, .. I32Const(20), 0x0F,
        0x0B,
        0x02, 0x40, 0x02, 0x40, 0x20, 0, 0x0E, 0x03, 0x00, 0x00, 0x01, 0x00, 0x0B, .. I32Const(30), 0x0F, 0x0B, .. I32Const(40),
    ];

    [Fact]
    public void BrTableAndSelectArraysAreTheBodysTablesInCodeOrder()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([I32, I32], [I32]);
        b.Func(t, SelectAndTwoBrTables(), export: "f");
        b.Func(t, [0x20, 0], export: "plain");
        var m = ModuleDecoder.Decode(b.Build());
        var body = m.Bodies[0];
        Assert.Equal([0x1C, 0x0E, 0x0E], body.Code.Where(i => i.Op is 0x1C or 0x0E).Select(i => (int)i.Op));
        Assert.Equal([0L, 1L, 2L], body.Code.Where(i => i.Op is 0x1C or 0x0E).Select(i => i.Imm));
        Assert.Equal(3, body.Tables.Length);
        Assert.Equal([0x7Fu], body.Tables[0]);
        Assert.Equal([0u, 1u, 2u], body.Tables[1]);
        Assert.Equal([0u, 0u, 1u, 0u], body.Tables[2]);
        Assert.Empty(m.Bodies[1].Tables);
        Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<Instr>());
        Assert.False(System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<Instr>());

        // Validation, the fuel plan and the compiler each read the right array: every way out gives its value.
        foreach (bool meter in new[] { false, true })
        {
            var f = CompiledModule.Compile(b.Build(), new WasmLimits { MeterFuel = meter }).Instantiate().GetFunction<Func<int, int, int>>("f");
            Assert.Equal(7, f(0, 1));
            Assert.Equal(9, f(0, 0));
            Assert.Equal(20, f(1, 0));
            Assert.Equal(40, f(2, 0));
            Assert.Equal(30, f(3, 0));
            Assert.Equal(30, f(-1, 0));
        }
    }

    private static byte[] V128Const(int first) => [0xFD, 0x0C, .. Enumerable.Range(first, 16).Select(i => (byte)i)];

    [Fact]
    public void WideImmediatesHighHalvesAreInTheTables()
    {
        // c(): i64x2.extract_lane 1 of v128.const 0x00..0x0F; s(): of i8x16.shuffle [0..7, 24..31] of 0x00.. and 0x10..;
        // g(): of a global initialised to v128.const 0x20..0x2F (a constant expression's own tables).
        var b = new ModuleBuilder();
        uint t = b.Type([], [I64]);
        uint g = b.Global(V128, false, V128Const(0x20));
        b.Func(t, [0x23, (byte)g, 0xFD, 0x1D, 1], export: "g");
        b.Func(t, [.. V128Const(0), 0xFD, 0x1D, 1], export: "c");
        b.Func(t, [.. V128Const(0), .. V128Const(0x10), 0xFD, 0x0D, .. Enumerable.Range(0, 8).Select(i => (byte)i), .. Enumerable.Range(24, 8).Select(i => (byte)i), 0xFD, 0x1D, 1], export: "s");
        var m = ModuleDecoder.Decode(b.Build());
        Assert.Equal(0x2F2E2D2C2B2A2928L, m.Globals[0].Init.Code[0].High(m.Globals[0].Init.Tables));
        var s = m.Bodies[2];
        Assert.Equal(3, s.Tables.Length);
        Assert.Equal([0x0B0A0908u, 0x0F0E0D0Cu], s.Tables[0]);
        Assert.Equal(0x0706050403020100L, s.Code[0].Imm);
        Assert.Equal(0x0F0E0D0C0B0A0908L, s.Code[0].High(s.Tables));
        Assert.Equal(0x1F1E1D1C1B1A1918L, s.Code[1].High(s.Tables));
        Assert.Equal([2u], s.Code.Where(i => i.Op == 0xFD0D).Select(i => i.Imm2));
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(0x0F0E0D0C0B0A0908L, inst.GetFunction<Func<long>>("c")());
        Assert.Equal(0x1F1E1D1C1B1A1918L, inst.GetFunction<Func<long>>("s")());
        Assert.Equal(0x2F2E2D2C2B2A2928L, inst.GetFunction<Func<long>>("g")());

        // A shuffle lane index of 32 in the high half is invalid (spec §3.3.3.16): the validator reads the high half.
        var bad = new ModuleBuilder();
        bad.Func(bad.Type([], [I64]), [.. V128Const(0), .. V128Const(0), 0xFD, 0x0D, .. Enumerable.Range(0, 15).Select(i => (byte)i), 32, 0xFD, 0x1D, 1]);
        Assert.Contains("invalid lane index", Assert.Throws<WasmInvalidException>(() => CompiledModule.Compile(bad.Build())).Message);
    }

    [Fact]
    public void ASecondBrTablesBadLabelIsRejected()
    {
        // The first br_table's labels are valid; the second's 3 is not (two blocks and the function's frame open): the validator reads the second array.
        var body = SelectAndTwoBrTables();
        int at = Array.LastIndexOf(body, (byte)0x0E);
        Assert.Equal(0x01, body[at + 4]);
        body[at + 4] = 0x03;
        var b = new ModuleBuilder();
        b.Func(b.Type([I32, I32], [I32]), body);
        var e = Assert.Throws<WasmInvalidException>(() => CompiledModule.Compile(b.Build()));
        Assert.Contains("unknown label", e.Message);
    }
}
