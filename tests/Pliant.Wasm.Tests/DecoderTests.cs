using System.Text;
using Pliant.Wasm.Decoding;

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
        Assert.Equal([0u, 0u, 0u], code[2].Table!);
        Assert.All(code.Where(i => i.Op != 0x0E), i => Assert.Null(i.Table));
        // The first module's arrays are its own: decoding others changed nothing in them.
        Assert.Equal(3, m1.Bodies[0].Code[9].Imm);
        Assert.Equal([0u, 0u, 0u], m1.Bodies[0].Code[10].Table!);
    }
}
