using Pliant.Wasm.Compilation;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// A binary operation of a computed value and <c>local.get x</c> whose result goes back to x (xorshift's
/// <c>x ^= x &gt;&gt; 17</c>): the compiler loads x first when the operation commutes (FunctionCompiler.TryLocalFirst).
/// Every i32 and i64 binary operator that cannot trap in this shape, commutative or not (sub, the shifts and
/// rotates must keep their order), with <c>local.set</c> and <c>local.tee</c>, against C# on edge and seeded values.
/// </summary>
public class LocalFirstTests
{
    private static readonly long[] Values = [.. new long[] { 0, 1, 2, -1, -2, 17, 63, 64, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, long.MinValue },
        .. Enumerable.Range(0, 60).Select(i => new Random(1603 + i).NextInt64(long.MinValue, long.MaxValue))];

    private static long I32(byte op, int t, int x) => op switch
    {
        0x6A => t + x, 0x6B => t - x, 0x6C => t * x, 0x71 => t & x, 0x72 => t | x, 0x73 => t ^ x,
        0x74 => t << (x & 31), 0x75 => t >> (x & 31), 0x76 => (int)((uint)t >> (x & 31)),
        0x77 => (int)uint.RotateLeft((uint)t, x & 31), _ => (int)uint.RotateRight((uint)t, x & 31),
    };

    private static long I64(byte op, long t, long x) => op switch
    {
        0x7C => t + x, 0x7D => t - x, 0x7E => t * x, 0x83 => t & x, 0x84 => t | x, 0x85 => t ^ x,
        0x86 => t << (int)(x & 63), 0x87 => t >> (int)(x & 63), 0x88 => (long)((ulong)t >> (int)(x & 63)),
        0x89 => (long)ulong.RotateLeft((ulong)t, (int)(x & 63)), _ => (long)ulong.RotateRight((ulong)t, (int)(x & 63)),
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OperandOrderKeptForEveryOperator(bool tee)
    {
        var b = new ModuleBuilder();
        var t32 = b.Type([ModuleBuilder.I32, ModuleBuilder.I32], [ModuleBuilder.I32]);
        var t64 = b.Type([ModuleBuilder.I64, ModuleBuilder.I64], [ModuleBuilder.I64]);
        byte[] ops32 = [0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78];
        byte[] ops64 = [0x7C, 0x7D, 0x7E, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A];
        // t = local1 >>> 3 (i32) / local1 - 5 (i64), computed; then t OP local0 written back to local0, returned.
        byte[] Store(byte op) => tee ? [op, 0x22, 0] : [op, 0x21, 0, 0x20, 0];
        foreach (byte op in ops32)
            b.Func(t32, [0x20, 1, .. I32Const(3), 0x76, 0x20, 0, .. Store(op)], export: $"i32 {op:x}");
        foreach (byte op in ops64)
            b.Func(t64, [0x20, 1, 0x42, 5, 0x7D, 0x20, 0, .. Store(op)], export: $"i64 {op:x}");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        foreach (byte op in ops32)
        {
            var f = inst.GetFunction<Func<int, int, int>>($"i32 {op:x}");
            foreach (long x in Values)
                foreach (long y in Values.Take(20))
                    Assert.Equal(I32(op, (int)((uint)y >> 3), (int)x), f((int)x, (int)y));
        }
        foreach (byte op in ops64)
        {
            var f = inst.GetFunction<Func<long, long, long>>($"i64 {op:x}");
            foreach (long x in Values)
                foreach (long y in Values.Take(20))
                    Assert.Equal(I64(op, y - 5, x), f(x, y));
        }
    }

    [Fact]
    public void XorshiftLoopMatches()
    {
        // int_math's xorshift, 1,000 steps: b ^= b << 13; b ^= b >> 17; b ^= b << 5, as clang emits it.
        var b = new ModuleBuilder();
        var t = b.Type([ModuleBuilder.I32, ModuleBuilder.I32], [ModuleBuilder.I32]);
        byte[] step = [0x20, 1, .. I32Const(13), 0x74, 0x20, 1, 0x73, 0x22, 1, .. I32Const(17), 0x76, 0x20, 1, 0x73, 0x22, 1,
            .. I32Const(5), 0x74, 0x20, 1, 0x73, 0x21, 1];
        byte[] body = [0x03, 0x40, .. step, 0x20, 0, .. I32Const(-1), 0x6A, 0x22, 0, 0x0D, 0, 0x0B, 0x20, 1];
        b.Func(t, body, export: "xs");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int, int>>("xs");
        foreach (uint seed in (uint[])[1, 67890, 0x80000000, 0xFFFFFFFF])
        {
            uint x = seed;
            for (int i = 0; i < 1000; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; }
            Assert.Equal((int)x, f(1000, (int)seed));
        }
    }
}
