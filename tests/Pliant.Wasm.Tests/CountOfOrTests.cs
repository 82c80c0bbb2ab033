using System.Numerics;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// <c>clz</c>/<c>ctz</c> of an <c>or</c> with a constant (FunctionCompiler.Numeric.cs, TryCountOfOr): on x64 with
/// BMI2 the or becomes a shift of x by a count in a register and the count subtracts the shift (clz(x | c) =
/// lzcnt(x &gt;&gt;u (k + 1)) - (k + 1), ctz(x | c) = tzcnt(x &lt;&lt; (W - j)) - (W - j)). Every constant bit
/// position (k and j from 0 to W - 1, where the count is a constant and the or stays) and x values at the
/// boundaries where the shifted value becomes 0 must give the definition's count (spec §4.3.2 iclz, ictz), also
/// when x is used again after the count, when the count is tested for zero, and in a loop (shift count hoisted).
/// With DOTNET_EnableHWIntrinsic=0 the same tests run the plain or.
/// </summary>
public class CountOfOrTests
{
    private static ulong[] Constants(int w)
    {
        var rng = new Random(2612 + w);
        var cs = new List<ulong>();
        ulong all = w == 64 ? ulong.MaxValue : uint.MaxValue;
        for (int b = 0; b < w; b++)
        {
            cs.Add(1UL << b);                        // k = j = b
            cs.Add((1UL << b) | 1);                  // j = 0: ctz is the constant 0
            cs.Add(all << b & all);                  // k = W - 1: clz is the constant 0
        }
        cs.AddRange([all, all >> 1, 0x00010100, 0x80000001, 0x7FFF0000]);
        for (int i = 0; i < 8; i++) cs.Add((ulong)rng.NextInt64() & all);
        return [.. cs.Where(c => c != 0).Distinct()];
    }

    private static ulong[] Xs(int w, int seed)
    {
        var rng = new Random(seed);
        var xs = new List<ulong> { 0, 1, 2, 3 };
        ulong all = w == 64 ? ulong.MaxValue : uint.MaxValue;
        for (int b = 0; b < w; b++)
        {
            xs.Add(1UL << b);
            xs.Add((1UL << b) - 1);
            xs.Add(all << b & all);
            xs.Add(((1UL << b) | (1UL << (w - 1))) & all);
        }
        for (int i = 0; i < 24; i++) xs.Add((ulong)rng.NextInt64() & all);
        return [.. xs.Distinct()];
    }

    private static int Clz(ulong x, int w) => w == 64 ? BitOperations.LeadingZeroCount(x) : BitOperations.LeadingZeroCount((uint)x);
    private static int Ctz(ulong x, int w) => w == 64 ? BitOperations.TrailingZeroCount(x) : (x == 0 ? 32 : BitOperations.TrailingZeroCount((uint)x));

    private static byte[] Const(int w, ulong c) => w == 64 ? [0x42, .. S64((long)c)] : I32Const((int)(uint)c);

    /// <summary>
    /// Per constant one function (x in local 0): count(x | c), then x used again:
    /// (count(x | c) * 0x10000) + (x &amp; 0xFFFF) as the i32 or i64 result.
    /// </summary>
    [Theory]
    [InlineData(32, true)]
    [InlineData(32, false)]
    [InlineData(64, true)]
    [InlineData(64, false)]
    public void CountsOfOrWithEveryConstantMatchTheDefinition(int w, bool clz)
    {
        byte t = w == 64 ? I64 : I32;
        byte or = w == 64 ? (byte)0x84 : (byte)0x72, count = (w, clz) switch { (32, true) => 0x67, (32, false) => 0x68, (_, true) => 0x79, _ => 0x7A };
        byte mul = w == 64 ? (byte)0x7E : (byte)0x6C, and = w == 64 ? (byte)0x83 : (byte)0x71, add = w == 64 ? (byte)0x7C : (byte)0x6A;
        var cs = Constants(w);
        var b = new ModuleBuilder();
        uint type = b.Type([t], [t]);
        for (int i = 0; i < cs.Length; i++)
            b.Func(type, [0x20, 0, .. Const(w, cs[i]), or, count, .. Const(w, 0x10000), mul, 0x20, 0, .. Const(w, 0xFFFF), and, add], export: $"f{i}");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var xs = Xs(w, 16 + w);
        for (int i = 0; i < cs.Length; i++)
        {
            ulong c = cs[i];
            if (w == 64)
            {
                var f = inst.GetFunction<Func<long, long>>($"f{i}");
                foreach (ulong x in xs)
                {
                    long expected = (long)(clz ? Clz(x | c, 64) : Ctz(x | c, 64)) * 0x10000 + (long)(x & 0xFFFF);
                    Assert.True(expected == f((long)x), $"{(clz ? "clz" : "ctz")}64(0x{x:x} | 0x{c:x}): expected {expected}, got {f((long)x)}");
                }
            }
            else
            {
                var f = inst.GetFunction<Func<int, int>>($"f{i}");
                foreach (ulong x in xs)
                {
                    int expected = (clz ? Clz(x | c, 32) : Ctz(x | c, 32)) * 0x10000 + (int)(x & 0xFFFF);
                    Assert.True(expected == f((int)(uint)x), $"{(clz ? "clz" : "ctz")}32(0x{x:x} | 0x{c:x}): expected {expected}, got {f((int)(uint)x)}");
                }
            }
        }
    }

    /// <summary>
    /// The count tested for zero right away (eqz, and br_if on it): clz(x | c) is 0 exactly when x has the top
    /// bit, ctz(x | c) when x is odd; the subtraction of the shift must leave the flags the JIT tests. Also a plain
    /// ctz under br_if: without BMI1 the JIT tested bsf's zero flag (set by the operand) for the count
    /// (Numerics.Ctz32; failed with DOTNET_EnableHWIntrinsic=0 before).
    /// </summary>
    [Fact]
    public void CountsOfOrTestedForZero()
    {
        var b = new ModuleBuilder();
        uint t32 = b.Type([I32], [I32]), t64 = b.Type([I64], [I32]);
        b.Func(t32, [0x20, 0, .. I32Const(1), 0x72, 0x67, 0x45], export: "clz_eqz");
        b.Func(t32, [0x20, 0, .. I32Const(int.MinValue), 0x72, 0x68, 0x45], export: "ctz_eqz");
        b.Func(t32, [0x02, 0x40, 0x20, 0, .. I32Const(1), 0x72, 0x67, 0x0D, 0, .. I32Const(7), 0x0F, 0x0B, .. I32Const(9)], export: "clz_brif");
        b.Func(t32, [0x02, 0x40, 0x20, 0, .. I32Const(int.MinValue), 0x72, 0x68, 0x0D, 0, .. I32Const(7), 0x0F, 0x0B, .. I32Const(9)], export: "ctz_brif");
        b.Func(t64, [0x20, 0, 0x42, 1, 0x84, 0x79, 0x50], export: "clz64_eqz");
        b.Func(t64, [0x20, 0, 0x42, .. S64(long.MinValue), 0x84, 0x7A, 0x50], export: "ctz64_eqz");
        b.Func(t32, [0x02, 0x40, 0x20, 0, 0x68, 0x0D, 0, .. I32Const(7), 0x0F, 0x0B, .. I32Const(9)], export: "plain_ctz_brif");
        b.Func(t64, [0x20, 0, 0x7A, 0x50], export: "plain_ctz64_eqz");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var clzEqz = inst.GetFunction<Func<int, int>>("clz_eqz");
        var ctzEqz = inst.GetFunction<Func<int, int>>("ctz_eqz");
        var clzBrif = inst.GetFunction<Func<int, int>>("clz_brif");
        var ctzBrif = inst.GetFunction<Func<int, int>>("ctz_brif");
        var clz64Eqz = inst.GetFunction<Func<long, int>>("clz64_eqz");
        var ctz64Eqz = inst.GetFunction<Func<long, int>>("ctz64_eqz");
        var plainBrif = inst.GetFunction<Func<int, int>>("plain_ctz_brif");
        var plain64Eqz = inst.GetFunction<Func<long, int>>("plain_ctz64_eqz");
        foreach (int x in (int[])[0, 1, 2, -1, int.MinValue, int.MaxValue, 0x40000000, unchecked((int)0xC0000000), 6])
        {
            Assert.Equal(x < 0 ? 1 : 0, clzEqz(x));
            Assert.Equal((x & 1) != 0 ? 1 : 0, ctzEqz(x));
            Assert.Equal(x < 0 ? 7 : 9, clzBrif(x)); // br_if leaves the block (to 9) when the count is nonzero
            Assert.True(((x & 1) != 0 ? 7 : 9) == ctzBrif(x), $"ctz_brif({x}) = {ctzBrif(x)}");
            Assert.True(((x & 1) != 0 ? 7 : 9) == plainBrif(x), $"plain_ctz_brif({x}) = {plainBrif(x)}");
        }
        foreach (long x in (long[])[0, 1, 2, -1, long.MinValue, long.MaxValue, 1L << 62, 6])
        {
            Assert.Equal(x < 0 ? 1 : 0, clz64Eqz(x));
            Assert.Equal((x & 1) != 0 ? 1 : 0, ctz64Eqz(x));
            Assert.Equal((x & 1) != 0 ? 1 : 0, plain64Eqz(x));
        }
    }

    /// <summary>
    /// The bits kernel's loop shape: a word loaded per iteration, popcnt + clz(w | 1) + ctz(w | 0x80000000) added
    /// to an accumulator and a rotate of w xored in; the shift counts live across the loop. Also with the
    /// constant below x (<c>i32.const 1; local.get; i32.or</c>), which keeps the or.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CountsOfOrInALoopMatchTheDefinition(bool constFirst)
    {
        var b = new ModuleBuilder();
        b.Memory(1);
        byte[] Or(int c) => constFirst ? [.. I32Const(c), 0x20, 2, 0x72] : [0x20, 2, .. I32Const(c), 0x72];
        // i = 0; acc = 0; loop: w = load(i); acc = ((popcnt w + acc) + clz(w | 1) + ctz(w | 0x80000000)) ^ rotl(w, n); i += 4; br_if i != 256
        // (n = p0, i = local 1, w = local 2, acc = local 3)
        b.FuncWithLocals(b.Type([I32], [I32]), [
            0x03, 0x40,
            0x20, 1, 0x28, 2, 0, 0x22, 2, 0x69, 0x20, 3, 0x6A,
            .. Or(1), 0x67, 0x6A,
            .. Or(int.MinValue), 0x68, 0x6A,
            0x20, 2, 0x20, 0, 0x77, 0x73, 0x21, 3,
            0x20, 1, .. I32Const(4), 0x6A, 0x22, 1, .. I32Const(256), 0x47, 0x0D, 0,
            0x0B, 0x20, 3,
        ], [(3u, I32)], export: "f");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var f = inst.GetFunction<Func<int, int>>("f");
        var mem = inst.GetMemory();
        var rng = new Random(26);
        var words = new uint[64];
        for (int i = 0; i < words.Length; i++)
            words[i] = (i % 8) switch { 0 => 0, 1 => 1, 2 => 0x80000000, 3 => uint.MaxValue, _ => (uint)rng.Next() ^ (uint)rng.Next() << 16 };
        for (int i = 0; i < words.Length; i++) BitConverter.TryWriteBytes(mem.Span.Slice(i * 4, 4), words[i]);
        foreach (int n in (int[])[0, 1, 7, 31, 32, -1])
        {
            uint acc = 0;
            foreach (uint w in words)
                acc = (uint)(BitOperations.PopCount(w) + acc + BitOperations.LeadingZeroCount(w | 1) + BitOperations.TrailingZeroCount(w | 0x80000000))
                    ^ BitOperations.RotateLeft(w, n & 31);
            Assert.Equal((int)acc, f(n));
        }
    }
}
