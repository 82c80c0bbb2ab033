using Pliant.Wasm.Runtime;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Hostile;

/// <summary>
/// The bounds check (Memory.Ea: address + offset > length - size, signed 64-bit) at its edges: the last
/// byte that fits, one past it, offsets near 2^32, addresses that are negative as i32, a memory of zero
/// pages (length - size below zero), every access size, and memory that grows under a running function.
/// </summary>
public class BoundsCheckTests
{
    private static Func<int, int> Load(uint pages, byte op, uint offset)
    {
        var b = new ModuleBuilder().Memory(pages);
        var off = new List<byte>();
        uint v = offset;
        do { byte x = (byte)(v & 0x7F); v >>= 7; off.Add(v != 0 ? (byte)(x | 0x80) : x); } while (v != 0);
        // (i32.load* / i64.load* / v128.load + extract) (local.get 0) offset=N, result as i32
        byte[] code = op switch
        {
            0x29 => [0x20, 0, 0x29, 0, .. off, 0xA7],
            0xFD => [0x20, 0, 0xFD, 0x00, 0, .. off, 0xFD, 0x1B, 0x00],
            _ => [0x20, 0, op, 0, .. off],
        };
        b.Func(b.Type([I32], [I32]), code, export: "f");
        return CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("f");
    }

    [Theory]
    [InlineData((byte)0x2D, 1)] // i32.load8_u
    [InlineData((byte)0x2F, 2)] // i32.load16_u
    [InlineData((byte)0x28, 4)] // i32.load
    [InlineData((byte)0x29, 8)] // i64.load
    [InlineData((byte)0xFD, 16)] // v128.load
    public void LastFittingAccessWorksOnePastTraps(byte op, int size)
    {
        var f = Load(1, op, 0);
        Assert.Equal(0, f(65536 - size));
        Assert.Throws<WasmTrapException>(() => f(65536 - size + 1));
        Assert.Throws<WasmTrapException>(() => f(-1)); // 0xFFFFFFFF as an address
        Assert.Throws<WasmTrapException>(() => f(int.MinValue));
        var g = Load(1, op, 65536 - (uint)size);
        Assert.Equal(0, g(0));
        Assert.Throws<WasmTrapException>(() => g(1));
        var h = Load(1, op, uint.MaxValue); // ea = addr + 2^32 - 1: out of range for every address
        Assert.Throws<WasmTrapException>(() => h(0));
        Assert.Throws<WasmTrapException>(() => h(1));
    }

    [Theory]
    [InlineData((byte)0x2D)]
    [InlineData((byte)0x28)]
    [InlineData((byte)0xFD)]
    public void ZeroPageMemoryTrapsEveryAccess(byte op)
    {
        var f = Load(0, op, 0);
        Assert.Contains("out of bounds", Assert.Throws<WasmTrapException>(() => f(0)).Message);
    }

    [Fact]
    public void GrowthInsideAFunctionIsSeenByItsNextAccess()
    {
        // (memory.grow (i32.const 1)) drop; (i32.store (local.get 0) (i32.const 7)); (i32.load (local.get 0))
        var b = new ModuleBuilder().Memory(1);
        b.Func(b.Type([I32], [I32]), [0x41, 1, 0x40, 0, 0x1A, 0x20, 0, 0x41, 7, 0x36, 2, 0, 0x20, 0, 0x28, 2, 0], export: "f");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int>>("f");
        Assert.Equal(7, f(65536 + 100)); // in the second page, which exists only after the grow
    }
}
