using Pliant.Wasm.Decoding;
using Pliant.Wasm.Validation;

namespace Pliant.Wasm.Tests;

public class ValidatorTests
{
    private static void Validate(Action<ModuleBuilder> build)
    {
        var b = new ModuleBuilder();
        build(b);
        ModuleValidator.Validate(ModuleDecoder.Decode(b.Build()));
    }

    [Fact]
    public void TypeMismatchIsInvalid()
    {
        var e = Assert.Throws<WasmInvalidException>(() => Validate(b =>
            b.Func(b.Type([], [ModuleBuilder.I32]), [0x42, 0x00]))); // i64.const where i32 is expected
        Assert.Equal("type mismatch", e.Message);
    }

    [Fact]
    public void UnknownLocalAndLabel()
    {
        Assert.Equal("unknown local", Assert.Throws<WasmInvalidException>(() => Validate(b => b.Func(b.Type([], []), [0x20, 0x05, 0x1A]))).Message);
        Assert.Equal("unknown label", Assert.Throws<WasmInvalidException>(() => Validate(b => b.Func(b.Type([], []), [0x0C, 0x03]))).Message);
    }

    [Fact]
    public void MemoryRequiredAndAlignmentChecked()
    {
        Assert.Equal("unknown memory", Assert.Throws<WasmInvalidException>(() =>
            Validate(b => b.Func(b.Type([], []), [0x41, 0x00, 0x28, 0x02, 0x00, 0x1A]))).Message);
        Assert.Contains("alignment", Assert.Throws<WasmInvalidException>(() =>
            Validate(b => { b.Memory(1); b.Func(b.Type([], []), [0x41, 0x00, 0x28, 0x03, 0x00, 0x1A]); })).Message);
    }

    [Fact]
    public void MultiValueBlocksValidate()
    {
        Validate(b =>
        {
            uint pair = b.Type([], [ModuleBuilder.I32, ModuleBuilder.I32]);
            b.Func(b.Type([], [ModuleBuilder.I32]), [0x02, (byte)pair, 0x41, 0x01, 0x41, 0x02, 0x0B, 0x6A]);
        });
    }

    /// <summary>The numeric-opcode table gives, for every 16-bit opcode, what the switch it is built from gives.</summary>
    [Fact]
    public void NumericTableMatchesItsSwitch()
    {
        for (int op = 0; op <= ushort.MaxValue; op++)
        {
            bool known = OpInfo.TryNumeric((ushort)op, out var a, out var b, out var r);
            var e = OpInfo.NumericOf((ushort)op);
            Assert.Equal(e, (a, b, r));
            Assert.Equal(e.Result != ValType.Unknown, known);
        }
    }
}

