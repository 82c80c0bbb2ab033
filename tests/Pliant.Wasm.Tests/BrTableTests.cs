using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// <c>br_table</c> reads its index as an unsigned i32 (WebAssembly core spec, execution of control instructions, <c>br_table</c>: an index
/// at or past the label vector's length takes the default): the compiled CIL <c>switch</c> gets the
/// index zero-extended to a native int, so negative i32s and anything above the table must still land
/// on the default, whether the index comes from a parameter, arithmetic or a memory load.
/// </summary>
public class BrTableTests
{
    // (result i32): block block block <index> br_table 0 1 2 end i32.const 10 return end i32.const 11 return end i32.const 12
    private static byte[] Select(byte[] index) =>
        [0x02, 0x40, 0x02, 0x40, 0x02, 0x40, .. index, 0x0E, 0x02, 0x00, 0x01, 0x02,
         0x0B, 0x41, 0x0A, 0x0F, 0x0B, 0x41, 0x0B, 0x0F, 0x0B, 0x41, 0x0C];

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 11)]
    [InlineData(2, 12)]
    [InlineData(3, 12)]
    [InlineData(-1, 12)]
    [InlineData(int.MinValue, 12)]
    [InlineData(int.MaxValue, 12)]
    [InlineData(0x10000, 12)]
    public void AnIndexOutOfRangeTakesTheDefault(int index, int expected)
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        uint t = b.Type([I32], [I32]);
        b.Func(t, Select([0x20, 0x00]), export: "param");
        // index - 1 + 1: the index as the result of i32 arithmetic that wraps.
        b.Func(t, Select([0x20, 0x00, 0x41, 0x7F, 0x6A, 0x41, 0x01, 0x6A]), export: "sum");
        // store the index at 0, load it back: the index as a 32-bit load.
        b.Func(t, [0x41, 0x00, 0x20, 0x00, 0x36, 0x02, 0x00, .. Select([0x41, 0x00, 0x28, 0x02, 0x00])], export: "load");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        foreach (var name in new[] { "param", "sum", "load" })
            Assert.Equal(expected, inst.GetFunction<Func<int, int>>(name)(index));
    }
}
