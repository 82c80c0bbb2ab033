using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Rotates whose result is tested for zero. .NET 10's JIT treats rol/ror by an immediate as setting the zero
/// flag (measured: <c>rol ebx, 1; sete al</c> returned 0 for i32.eqz(i32.rotl(0, 1))), so the compiler emits
/// rol/ror only with a count the JIT cannot make constant (Numerics.RotlVar32); a count that is a constant in
/// the module, directly or through a local the JIT can propagate, takes the shift form.
/// </summary>
public class RotateTests
{
    // x, then the count: from the second parameter, a constant, or a local set to a constant.
    private static readonly byte[][] Counts = [[0x20, 1], [.. I32Const(1)], [.. I32Const(1), 0x21, 2, 0x20, 2]];

    [Theory]
    [InlineData(0x77)] // i32.rotl
    [InlineData(0x78)] // i32.rotr
    public void I32RotatesTestedForZero(byte rotate)
    {
        foreach (var count in Counts)
        {
            var b = new ModuleBuilder();
            // eqz(rotate(x, n)) and br_if on it: both must see the rotated value.
            b.FuncWithLocals(b.Type([I32, I32], [I32]), [0x20, 0, .. count, rotate, 0x45], [(1u, I32)], export: "eqz");
            b.FuncWithLocals(b.Type([I32, I32], [I32]), [
                0x02, 0x40, 0x20, 0, .. count, rotate, 0x0D, 0, .. I32Const(7), 0x0F, 0x0B, .. I32Const(9),
            ], [(1u, I32)], export: "brif");
            var inst = CompiledModule.Compile(b.Build()).Instantiate();
            var eqz = inst.GetFunction<Func<int, int, int>>("eqz");
            var brif = inst.GetFunction<Func<int, int, int>>("brif");
            Assert.Equal(1, eqz(0, 1));
            Assert.Equal(0, eqz(int.MinValue, 1));
            Assert.Equal(0, eqz(1, 1));
            Assert.Equal(7, brif(0, 1));
            Assert.Equal(9, brif(int.MinValue, 1));
            Assert.Equal(9, brif(1, 33)); // counts are modulo 32
        }
    }

    [Theory]
    [InlineData(0x89)] // i64.rotl
    [InlineData(0x8A)] // i64.rotr
    public void I64RotatesTestedForZero(byte rotate)
    {
        byte[][] counts = [[0x20, 1], [0x42, 1], [0x42, 1, 0x21, 2, 0x20, 2]];
        foreach (var count in counts)
        {
            var b = new ModuleBuilder();
            b.FuncWithLocals(b.Type([I64, I64], [I32]), [0x20, 0, .. count, rotate, 0x50], [(1u, I64)], export: "eqz");
            var eqz = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<long, long, int>>("eqz");
            Assert.Equal(1, eqz(0, 1));
            Assert.Equal(0, eqz(long.MinValue, 1));
            Assert.Equal(0, eqz(1, 65));
        }
    }

    /// <summary>The module's exports rotl, rotr (i32) and rotl64, rotr64 (i64), typed.</summary>
    private static (Func<int, int, int>, Func<int, int, int>, Func<long, long, long>, Func<long, long, long>) Rotates(ModuleBuilder b)
    {
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        return (inst.GetFunction<Func<int, int, int>>("rotl"), inst.GetFunction<Func<int, int, int>>("rotr"),
            inst.GetFunction<Func<long, long, long>>("rotl64"), inst.GetFunction<Func<long, long, long>>("rotr64"));
    }

    /// <summary>
    /// A rotate inside a loop by a count the loop never writes takes two shifts by s and 32 - s (64 - s) computed
    /// before the loop (Numerics.RotlSplit32): every count, 0 and multiples of the width included.
    /// </summary>
    [Fact]
    public void LoopInvariantRotatesMatchTheDefinition()
    {
        var b = new ModuleBuilder();
        // acc = 0; i = 4; loop: acc = acc * 3 + rot(x + i, n); i -= 1; br_if i; end; acc  (x = p0, n = p1, i = local 2, acc = local 3)
        byte[] Body(byte rotate, byte add, byte mul, byte[] three, byte ext) => [
            .. I32Const(4), 0x21, 2,
            0x03, 0x40,
            0x20, 3, .. three, mul, 0x20, 0, 0x20, 2, .. (ext == 0 ? Array.Empty<byte>() : new[] { ext }), add, 0x20, 1, rotate, add, 0x21, 3,
            0x20, 2, .. I32Const(1), 0x6B, 0x22, 2, 0x0D, 0,
            0x0B, 0x20, 3,
        ];
        byte[] three32 = I32Const(3), three64 = [0x42, 3];
        b.FuncWithLocals(b.Type([I32, I32], [I32]), Body(0x77, 0x6A, 0x6C, three32, 0), [(1u, I32), (1u, I32)], export: "rotl");
        b.FuncWithLocals(b.Type([I32, I32], [I32]), Body(0x78, 0x6A, 0x6C, three32, 0), [(1u, I32), (1u, I32)], export: "rotr");
        b.FuncWithLocals(b.Type([I64, I64], [I64]), Body(0x89, 0x7C, 0x7E, three64, 0xAD), [(1u, I32), (1u, I64)], export: "rotl64");
        b.FuncWithLocals(b.Type([I64, I64], [I64]), Body(0x8A, 0x7C, 0x7E, three64, 0xAD), [(1u, I32), (1u, I64)], export: "rotr64");
        var (rotl, rotr, rotl64, rotr64) = Rotates(b);
        var rng = new Random(1602);
        long[] counts = [0, 1, 31, 32, 33, 63, 64, 65, -1, -32, int.MinValue, long.MinValue, .. Enumerable.Range(0, 40).Select(_ => rng.NextInt64(long.MinValue, long.MaxValue))];
        foreach (long n in counts)
            foreach (long x in (long[])[0, 1, -1, 0x12345678, long.MinValue, rng.NextInt64(long.MinValue, long.MaxValue)])
            {
                int a32 = 0, a32r = 0;
                long a64 = 0, a64r = 0;
                for (int i = 4; i >= 1; i--)
                {
                    a32 = a32 * 3 + (int)System.Numerics.BitOperations.RotateLeft((uint)((int)x + i), (int)n & 31);
                    a32r = a32r * 3 + (int)System.Numerics.BitOperations.RotateRight((uint)((int)x + i), (int)n & 31);
                    a64 = a64 * 3 + (long)System.Numerics.BitOperations.RotateLeft((ulong)(x + (uint)i), (int)(n & 63));
                    a64r = a64r * 3 + (long)System.Numerics.BitOperations.RotateRight((ulong)(x + (uint)i), (int)(n & 63));
                }
                Assert.Equal(a32, rotl((int)x, (int)n));
                Assert.Equal(a32r, rotr((int)x, (int)n));
                Assert.Equal(a64, rotl64(x, n));
                Assert.Equal(a64r, rotr64(x, n));
            }
    }

    /// <summary>
    /// Rotates under a hostile nest: a loop around 2000 blocks, the rotates at the bottom. The compiler looks for the
    /// enclosing loop among the 8 innermost constructs only (bounded work per rotate), so these take rol/ror; with
    /// 4 blocks they take the split form. Both compute the same.
    /// </summary>
    [Theory]
    [InlineData(4)]
    [InlineData(2000)]
    public void RotatesUnderDeepNestsMatchTheDefinition(int depth)
    {
        var b = new ModuleBuilder();
        // acc = 0; i = 3; loop: block^depth: acc = acc ^ rotl(x + i, n); acc = acc + rotr(acc, n); end^depth; i -= 1; br_if i; end; acc
        var body = new List<byte>([.. I32Const(3), 0x21, 2, 0x03, 0x40]);
        for (int i = 0; i < depth; i++) body.AddRange([0x02, 0x40]);
        body.AddRange([0x20, 3, 0x20, 0, 0x20, 2, 0x6A, 0x20, 1, 0x77, 0x73, 0x21, 3, 0x20, 3, 0x20, 3, 0x20, 1, 0x78, 0x6A, 0x21, 3]);
        for (int i = 0; i < depth; i++) body.Add(0x0B);
        body.AddRange([0x20, 2, .. I32Const(1), 0x6B, 0x22, 2, 0x0D, 0, 0x0B, 0x20, 3]);
        b.FuncWithLocals(b.Type([I32, I32], [I32]), [.. body], [(2u, I32)], export: "f");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<int, int, int>>("f");
        foreach (int n in (int[])[0, 1, 13, 31, 32, -1])
            foreach (int x in (int[])[0, 1, -1, 0x12345678])
            {
                uint acc = 0;
                for (int i = 3; i >= 1; i--)
                {
                    acc ^= System.Numerics.BitOperations.RotateLeft((uint)(x + i), n & 31);
                    acc += System.Numerics.BitOperations.RotateRight(acc, n & 31);
                }
                Assert.Equal((int)acc, f(x, n));
            }
    }

    [Fact]
    public void VariableRotatesMatchTheDefinition()
    {
        var b = new ModuleBuilder();
        b.Func(b.Type([I32, I32], [I32]), [0x20, 0, 0x20, 1, 0x77], export: "rotl");
        b.Func(b.Type([I32, I32], [I32]), [0x20, 0, 0x20, 1, 0x78], export: "rotr");
        b.Func(b.Type([I64, I64], [I64]), [0x20, 0, 0x20, 1, 0x89], export: "rotl64");
        b.Func(b.Type([I64, I64], [I64]), [0x20, 0, 0x20, 1, 0x8A], export: "rotr64");
        var (rotl, rotr, rotl64, rotr64) = Rotates(b);
        var rng = new Random(16);
        for (int i = 0; i < 200; i++)
        {
            int x = rng.Next(int.MinValue, int.MaxValue), n = rng.Next(int.MinValue, int.MaxValue);
            long y = rng.NextInt64(long.MinValue, long.MaxValue), m = rng.NextInt64(long.MinValue, long.MaxValue);
            Assert.Equal((int)System.Numerics.BitOperations.RotateLeft((uint)x, n & 31), rotl(x, n));
            Assert.Equal((int)System.Numerics.BitOperations.RotateRight((uint)x, n & 31), rotr(x, n));
            Assert.Equal((long)System.Numerics.BitOperations.RotateLeft((ulong)y, (int)(m & 63)), rotl64(y, m));
            Assert.Equal((long)System.Numerics.BitOperations.RotateRight((ulong)y, (int)(m & 63)), rotr64(y, m));
        }
    }
}
