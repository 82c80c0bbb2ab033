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

    // ---- chains through known partial sums (L = R + P: L + X as (P + X) + R) and local + local deferral ----

    private static Func<int, int, int, int> Compile3(byte[] code, uint locals = 4)
    {
        var b = new ModuleBuilder();
        b.FuncWithLocals(b.Type([I32, I32, I32], [I32]), code, [(locals, I32)], export: "f");
        return CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int, int, int>>("f");
    }

    // A third computed value: p0 * 7.
    private static readonly byte[] Z = [0x20, 0, .. I32Const(7), 0x6C];

    /// <summary>The Adler shape's values (wrap-around adds, in either operand order): a1..a4 = a + x, + y, + z, + x; b2 = a4 + (a3 + (a2 + (a1 + b))).</summary>
    private static (int A1, int A2, int A3, int A4, int B2) AdlerLinks(int p0, int a, int b)
    {
        int x = p0 * 3, y = p0 ^ 0x55, z = p0 * 7;
        int a1 = a + x, a2 = a1 + y, a3 = a2 + z, a4 = a3 + x;
        return (a1, a2, a3, a4, a4 + (a3 + (a2 + (a1 + b))));
    }

    private static readonly int[] Edge = [0, 1, -1, 7, 255, int.MaxValue, int.MinValue, 0x7FFF0001];

    /// <summary>Runs <paramref name="check"/> for every (p0, a, b) of <see cref="Edge"/> with that case's <see cref="AdlerLinks"/>.</summary>
    private static void ForEachAdlerCase(Action<int, int, int, (int A1, int A2, int A3, int A4, int B2)> check)
    {
        foreach (int p0 in Edge)
            foreach (int a in Edge)
                foreach (int b in Edge)
                    check(p0, a, b, AdlerLinks(p0, a, b));
    }

    // Folds locals 3..5 and the result r into one value, reading the locals after the chain.
    private static readonly byte[] Fold = [0x20, 3, .. I32Const(31), 0x6C, 0x73, 0x20, 4, 0x73, 0x20, 5, .. I32Const(17), 0x6C, 0x6A];
    private static int FoldOf(int r, int l3, int l4, int l5) => ((r ^ l3 * 31) ^ l4) + l5 * 17;

    [Fact]
    public void AdlerShapedChainsKeepEveryValue()
    {
        // a = p1, b = p2; a1 = a + x (tee 3); a2 = a1 + y (tee 4); a3 = a2 + z (tee 5); a4 = a3 + x (tee 1 = a);
        // b = a4 + (a3 + (a2 + (a1 + b))) (set 2); result b ^ a, then the locals folded in.
        var f = Compile3([
            0x20, 1, .. X, 0x6A, 0x22, 3, .. Y, 0x6A, 0x22, 4, .. Z, 0x6A, 0x22, 5, .. X, 0x6A, 0x22, 1,
            0x20, 5, 0x20, 4, 0x20, 3, 0x20, 2, 0x6A, 0x6A, 0x6A, 0x6A, 0x21, 2,
            0x20, 2, 0x20, 1, 0x73, .. Fold,
        ]);
        // The same with the terms first (x + a: the Fletcher loop's order) and local.set + local.get for the links.
        var g = Compile3([
            .. X, 0x20, 1, 0x6A, 0x21, 3, .. Y, 0x20, 3, 0x6A, 0x21, 4, .. Z, 0x20, 4, 0x6A, 0x22, 5, .. X, 0x6A, 0x21, 1,
            0x20, 1, 0x20, 5, 0x20, 4, 0x20, 3, 0x20, 2, 0x6A, 0x6A, 0x6A, 0x6A, 0x21, 2,
            0x20, 2, 0x20, 1, 0x73, .. Fold,
        ]);
        ForEachAdlerCase((p0, a, b, l) =>
        {
            Assert.Equal(FoldOf(l.B2 ^ l.A4, l.A1, l.A2, l.A3), f(p0, a, b));
            Assert.Equal(FoldOf(l.B2 ^ l.A4, l.A1, l.A2, l.A3), g(p0, a, b));
        });
    }

    [Fact]
    public void ChainsWithComputedValuesBelowKeepEveryValue()
    {
        // The checksum kernel's Fletcher loop: the terms computed first (z, y, x on the stack), then a1 = x + a (tee 3),
        // a2 = y + a1 (tee 4) with computed values below (no partial sum kept: TryStorePartialSum's ValuesBelow), a3 =
        // z + a2 (tee 5, nothing below: kept), a4 = a3 + x (set 1, through a3's partial); b = a4 + (a3 + (a2 + (a1 + b))).
        var f = Compile3([
            .. Z, .. Y, .. X, 0x20, 1, 0x6A, 0x22, 3, 0x6A, 0x22, 4, 0x6A, 0x22, 5, .. X, 0x6A, 0x21, 1,
            0x20, 1, 0x20, 5, 0x20, 4, 0x20, 3, 0x20, 2, 0x6A, 0x6A, 0x6A, 0x6A, 0x21, 2,
            0x20, 2, 0x20, 1, 0x73, .. Fold,
        ]);
        // Only a local and a constant below the links (partial sums kept): b = (b + 5) + a3, with a1..a3 as in the Adler shape.
        var g = Compile3([
            0x20, 2, .. I32Const(5), .. X, 0x20, 1, 0x6A, 0x22, 3, .. Y, 0x6A, 0x22, 4, .. Z, 0x6A, 0x21, 5, 0x6A, 0x20, 5, 0x6A, 0x21, 2,
            0x20, 2, 0x20, 1, 0x73, .. Fold,
        ]);
        ForEachAdlerCase((p0, a, b, l) =>
        {
            Assert.Equal(FoldOf(l.B2 ^ l.A4, l.A1, l.A2, l.A3), f(p0, a, b));
            Assert.Equal(FoldOf(((b + 5) + l.A3) ^ a, l.A1, l.A2, l.A3), g(p0, a, b));
        });
    }

    [Fact]
    public void AWriteBetweenTheLinksEndsTheRelation()
    {
        // l3 = p1 + x; then p1 = p1 * 5 (R written: set, or tee dropped); l4 = l3 + y: (old p1 + x) + y, not new p1 + (x + y).
        var setR = Compile3([0x20, 1, .. X, 0x6A, 0x21, 3, 0x20, 1, .. I32Const(5), 0x6C, 0x21, 1, 0x20, 3, .. Y, 0x6A, 0x21, 4, 0x20, 4, 0x20, 1, 0x6A, .. Fold]);
        var teeR = Compile3([0x20, 1, .. X, 0x6A, 0x22, 3, 0x20, 1, .. I32Const(5), 0x6C, 0x22, 1, 0x1A, 0x1A, 0x20, 3, .. Y, 0x6A, 0x21, 4, 0x20, 4, 0x20, 1, 0x6A, .. Fold]);
        // l3 = p1 + x; then l3 = l3 ^ 9 (M written); l4 = l3 + y.
        var setM = Compile3([0x20, 1, .. X, 0x6A, 0x21, 3, 0x20, 3, .. I32Const(9), 0x73, 0x21, 3, 0x20, 3, .. Y, 0x6A, 0x21, 4, 0x20, 4, .. Fold]);
        // l3 = p1 + x; if p0 is 0 then p1 = 0 (R written on one path, the paths merge); l4 = l3 + y.
        var merge = Compile3([
            0x20, 1, .. X, 0x6A, 0x21, 3,
            0x02, 0x40, 0x20, 0, 0x0D, 0, .. I32Const(0), 0x21, 1, 0x0B,
            0x20, 3, .. Y, 0x6A, 0x21, 4, 0x20, 4, 0x20, 1, 0x6A, .. Fold,
        ]);
        // l3 = p1 + x; l4 = l3 + y; l3 = p2 (M rewritten by a plain value), l5 = l3 + z; then l4 = l4 + z again.
        var rewrite = Compile3([
            0x20, 1, .. X, 0x6A, 0x21, 3, 0x20, 3, .. Y, 0x6A, 0x21, 4, 0x20, 2, 0x21, 3, 0x20, 3, .. Z, 0x6A, 0x21, 5,
            0x20, 4, .. Z, 0x6A, 0x21, 4, 0x20, 4, .. Fold,
        ]);
        foreach (int p0 in Edge)
            foreach (int a in Edge)
            {
                int x = p0 * 3, y = p0 ^ 0x55, z = p0 * 7;
                Assert.Equal(FoldOf(a + x + y + a * 5, a + x, a + x + y, 0), setR(p0, a, 0));
                Assert.Equal(FoldOf(a + x + y + a * 5, a + x, a + x + y, 0), teeR(p0, a, 0));
                Assert.Equal(FoldOf(((a + x) ^ 9) + y, (a + x) ^ 9, ((a + x) ^ 9) + y, 0), setM(p0, a, 0));
                int a1 = p0 == 0 ? 0 : a;
                Assert.Equal(FoldOf(a + x + y + a1, a + x, a + x + y, 0), merge(p0, a, 0));
                Assert.Equal(FoldOf(a + x + y + z, 11, a + x + y + z, 11 + z), rewrite(p0, a, 11));
            }
    }

    [Fact]
    public void LongChainsAndLocalPlusLocal()
    {
        // Twelve links l3 = l3 + term (a partial is kept for a chain's first link only, the value is the same): a + 12 terms,
        // each link's value read after: l4 = l3 after six links.
        var code = new List<byte>([0x20, 1, .. X, 0x6A, 0x21, 3]);
        for (int i = 1; i < 12; i++)
        {
            code.AddRange([0x20, 3, .. (i % 2 == 0 ? X : Y), 0x6A, 0x22, 3]);
            code.AddRange(i == 5 ? [0x21, 4] : [0x1A]);
        }
        code.AddRange([0x20, 3, .. Fold]);
        var chain = Compile3([.. code]);
        // l3 + (p2 + p1) with p2 = p2 + 1 between the adds (the deferred local keeps its old value), then + p2.
        var ll = Compile3([0x20, 3, 0x20, 2, 0x20, 1, 0x6A, 0x20, 2, .. I32Const(1), 0x6A, 0x21, 2, 0x6A, 0x20, 2, 0x6A, .. Fold]);
        foreach (int p0 in Edge)
            foreach (int a in Edge)
            {
                int x = p0 * 3, y = p0 ^ 0x55, l3 = a + x, l4 = 0;
                for (int i = 1; i < 12; i++)
                {
                    l3 += i % 2 == 0 ? x : y;
                    if (i == 5) l4 = l3;
                }
                Assert.Equal(FoldOf(l3, l3, l4, 0), chain(p0, a, 0));
                Assert.Equal(FoldOf((p0 + a) + (p0 + 1), 0, 0, 0), ll(p0, a, p0));
            }
    }

    [Fact]
    public void I64PartialSumChains()
    {
        var b = new ModuleBuilder();
        // i64: a = p1; l2 = a + p0 * 3 (tee); l3 = l2 + (p0 ^ 0x55) (set); l4 = l3 + p0; a = l4 + p0 (tee 1);
        // result (l2 ^ l3) + l4 * 5 + a * 7.
        byte[] x = [0x20, 0, 0x42, 3, 0x7E], y = [0x20, 0, 0x42, 0xD5, 0x00, 0x85];
        b.FuncWithLocals(b.Type([I64, I64], [I64]), [
            0x20, 1, .. x, 0x7C, 0x22, 2, .. y, 0x7C, 0x21, 3, 0x20, 3, 0x20, 0, 0x7C, 0x22, 4, 0x20, 0, 0x7C, 0x21, 1,
            0x20, 2, 0x20, 3, 0x85, 0x20, 4, 0x42, 5, 0x7E, 0x7C, 0x20, 1, 0x42, 7, 0x7E, 0x7C,
        ], [(3u, I64)], export: "f");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<long, long, long>>("f");
        foreach (long p0 in (long[])[0, 1, -1, long.MaxValue, long.MinValue, 0x123456789AB])
            foreach (long a in (long[])[0, 5, -1, long.MaxValue, long.MinValue])
            {
                long l2 = a + p0 * 3, l3 = l2 + (p0 ^ 0x55), l4 = l3 + p0, a2 = l4 + p0;
                Assert.Equal((l2 ^ l3) + l4 * 5 + a2 * 7, f(p0, a));
            }
    }
}
