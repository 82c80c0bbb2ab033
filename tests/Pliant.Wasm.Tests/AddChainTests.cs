using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// An <c>add</c> of a local and a computed value is deferred past the adds that follow it (FunctionCompiler.Numeric.cs,
/// TryReassociateAdd): <c>((x + acc) + y) + z</c> is computed as <c>((x + y) + z) + acc</c>. The value must be the
/// wrapping sum of the local as it was at its <c>local.get</c> (spec §4.4.5), whatever is written, branched or
/// stored before the sum is consumed.
/// </summary>
public class AddChainTests
{
    private static Func<int, int, int> Compile32(byte[] code)
    {
        var b = new ModuleBuilder();
        b.FuncWithLocals(b.Type([I32, I32], [I32]), code, [(1u, I32)], export: "f");
        return CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int, int>>("f");
    }

    // Computed (eager) values: p0 * 3 and p0 ^ 0x55.
    private static readonly byte[] X = [0x20, 0, .. I32Const(3), 0x6C], Y = [0x20, 0, .. I32Const(0x55), 0x73];

    [Fact]
    public void ChainsInEitherOrderKeepTheSum()
    {
        int[] values = [0, 1, -1, 7, int.MaxValue, int.MinValue, 123456789];
        var f1 = Compile32([.. X, 0x20, 1, 0x6A, .. Y, 0x6A, .. X, 0x6A]);           // ((x + p1) + y) + x
        var f2 = Compile32([0x20, 1, .. X, 0x6A, .. Y, 0x6A]);                        // (p1 + x) + y
        var f3 = Compile32([.. Y, .. X, 0x20, 1, 0x6A, 0x6A]);                        // y + (x + p1)
        var f4 = Compile32([.. X, 0x20, 1, 0x6A, .. Y, 0x73]);                        // (x + p1) ^ y: consumed by another op
        var f5 = Compile32([.. X, 0x20, 1, 0x6A, 0x20, 1, 0x6A, .. Y, 0x6A]);         // ((x + p1) + p1) + y
        foreach (int a in values)
            foreach (int c in values)
            {
                int x = a * 3, y = a ^ 0x55;
                Assert.Equal(x + c + y + x, f1(a, c));
                Assert.Equal(c + x + y, f2(a, c));
                Assert.Equal(y + (x + c), f3(a, c));
                Assert.Equal((x + c) ^ y, f4(a, c));
                Assert.Equal(x + c + c + y, f5(a, c));
            }
    }

    [Fact]
    public void AWriteOfTheDeferredLocalKeepsItsOldValue()
    {
        // (x + p1), then p1 = 100 (set) or p1 = p1 * 2 (tee, its value dropped), then + p1 * 3: x + old p1 + new p1 * 3.
        var set = Compile32([.. X, 0x20, 1, 0x6A, .. I32Const(100), 0x21, 1, 0x20, 1, .. I32Const(3), 0x6C, 0x6A]);
        var tee = Compile32([.. X, 0x20, 1, 0x6A, 0x20, 1, .. I32Const(2), 0x6C, 0x22, 1, 0x1A, 0x20, 1, .. I32Const(3), 0x6C, 0x6A]);
        // The sum stored into the local it reads: p1 = x + p1, twice, then p1.
        var self = Compile32([.. X, 0x20, 1, 0x6A, 0x21, 1, .. Y, 0x20, 1, 0x6A, 0x22, 1, 0x20, 1, 0x6A]);
        Assert.Equal(5 * 3 + 7 + 300, set(5, 7));
        Assert.Equal(5 * 3 + 7 + 42, tee(5, 7));
        int p1 = 5 * 3 + 7;
        p1 = (5 ^ 0x55) + p1;
        Assert.Equal(p1 + p1, self(5, 7));
    }

    [Fact]
    public void DeferredSumsCrossBranchesAndLoops()
    {
        // block (result i32): (x + p1) + y, br_if out on p0 with it; else drop and 9. Then + p1 (set to 1 inside).
        var f = Compile32([
            0x02, 0x7F, .. X, 0x20, 1, 0x6A, .. Y, 0x6A, .. I32Const(1), 0x21, 1, 0x20, 0, 0x0D, 0, 0x1A, .. I32Const(9), 0x0B,
            0x20, 1, 0x6A,
        ]);
        Assert.Equal(4 * 3 + 10 + (4 ^ 0x55) + 1, f(4, 10));
        Assert.Equal(9 + 1, f(0, 10));
        // Deferred under a loop that rewrites p1: (x + p1) kept, loop sets p1 = p1 - 1 until 0, then + y.
        var g = Compile32([
            .. X, 0x20, 1, 0x6A,
            0x03, 0x40, 0x20, 1, .. I32Const(1), 0x6B, 0x22, 1, 0x0D, 0, 0x0B,
            .. Y, 0x6A,
        ]);
        Assert.Equal(6 * 3 + 5 + (6 ^ 0x55), g(6, 5));
    }

    [Fact]
    public void I64ChainsAndAccumulatorLoops()
    {
        var b = new ModuleBuilder();
        // (p0 * 3 + p1) + (p0 ^ 0x55) in i64.
        b.Func(b.Type([I64, I64], [I64]), [0x20, 0, 0x42, 3, 0x7E, 0x20, 1, 0x7C, 0x20, 0, 0x42, 0xD5, 0x00, 0x85, 0x7C], export: "f64");
        // acc = (popcnt(i) + acc) + clz(i | 1) + ctz(i), for i = n down to 1: the bits kernel's shape.
        b.FuncWithLocals(b.Type([I32], [I32]), [
            0x03, 0x40,
            0x20, 0, 0x69, 0x20, 1, 0x6A, 0x20, 0, .. I32Const(1), 0x72, 0x67, 0x6A, 0x20, 0, 0x68, 0x6A, 0x21, 1,
            0x20, 0, .. I32Const(1), 0x6B, 0x22, 0, 0x0D, 0, 0x0B, 0x20, 1,
        ], [(1u, I32)], export: "acc");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var f64 = inst.GetFunction<Func<long, long, long>>("f64");
        var acc = inst.GetFunction<Func<int, int>>("acc");
        foreach (long a in (long[])[0, 1, -1, long.MaxValue, long.MinValue, 0x123456789AB])
            foreach (long c in (long[])[0, 5, -1, long.MinValue])
                Assert.Equal(a * 3 + c + (a ^ 0x55), f64(a, c));
        int expect = 0;
        for (int i = 1000; i >= 1; i--)
            expect = System.Numerics.BitOperations.PopCount((uint)i) + expect + System.Numerics.BitOperations.LeadingZeroCount((uint)(i | 1))
                + System.Numerics.BitOperations.TrailingZeroCount(i);
        Assert.Equal(expect, acc(1000));
    }
}
