using System.Numerics;
using Pliant.Wasm.Compilation;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Integer division and remainder against their definitions (spec §4.3.2 idiv_u, irem_u, idiv_s, irem_s) in each
/// form the compiler emits: a divisor that may trap (tested at run time), one proven nonzero (an <c>or</c> with a
/// nonzero constant, a signed range excluding 0: no zero test) and a constant one (the bare CIL operation), at the edges:
/// largest remainders, quotients next to powers of two, 2^32 - 1.
/// </summary>
public class DivisionTests
{
    private const string DivByZero = "integer divide by zero", Overflow = "integer overflow";

    // The divisor operand: the second parameter as is, or ORed with a constant (either operand order), or a constant.
    private static byte[] Divisor(string form) => form switch
    {
        "plain" => [0x20, 1],
        "or1" => [0x20, 1, .. I32Const(1), 0x72],
        "1or" => [.. I32Const(1), 0x20, 1, 0x72],
        "orHigh" => [0x20, 1, .. I32Const(int.MinValue), 0x72],
        "or0" => [0x20, 1, .. I32Const(0), 0x72], // not proven nonzero
        "andOr" => [0x20, 1, .. I32Const(int.MaxValue), 0x71, .. I32Const(1), 0x72], // 1 .. 2^31 - 1: never -1
        _ => throw new ArgumentException(form),
    };

    private static int Apply(string form, int b) => form switch
    {
        "or1" or "1or" => b | 1,
        "orHigh" => b | int.MinValue,
        "andOr" => (b & int.MaxValue) | 1,
        _ => b,
    };

    // How the compiler picks the divider for the i32 divisions it proves safe (FunctionCompiler.UseFpDivider):
    // "int" none through divsd, "fp" all of them, "pair" by its own rule, each function's division following another
    // in the same basic block (whose result goes to a local), so the second one takes the FP divider.
    private static (Func<int, int, int> DivU, Func<int, int, int> RemU, Func<int, int, int> DivS, Func<int, int, int> RemS) Compile32(string form, string divider = "int")
    {
        var b = new ModuleBuilder();
        var t = b.Type([I32, I32], [I32]);
        byte[] d = Divisor(form);
        byte[] before = divider == "pair" ? [0x20, 1, 0x20, 0, .. I32Const(1), 0x72, 0x6E, 0x21, 2] : []; // l2 = b / (a | 1)
        byte[]? locals = divider == "pair" ? [I32] : null;
        b.Func(t, [.. before, 0x20, 0, .. d, 0x6E], export: "div_u", locals: locals);
        b.Func(t, [.. before, 0x20, 0, .. d, 0x70], export: "rem_u", locals: locals);
        b.Func(t, [.. before, 0x20, 0, .. d, 0x6D], export: "div_s", locals: locals);
        b.Func(t, [.. before, 0x20, 0, .. d, 0x6F], export: "rem_s", locals: locals);
        FunctionCompiler.ForceFpDivision = divider == "fp";
        FunctionCompiler.NoFpDivision = divider == "int";
        FunctionCompiler.FpDivisions = 0;
        CompiledModule module;
        try { module = CompiledModule.Compile(b.Build()); }
        finally { FunctionCompiler.ForceFpDivision = FunctionCompiler.NoFpDivision = false; }
        // The forms proven nonzero take the FP divider where asked: div_u and rem_u (the signed ones keep testing for
        // -1, which the or rule cannot exclude, so they stay on the helper; ConstantAndRangedDivisors has FP div_s).
        int expected = divider == "int" || form is "plain" or "or0" ? 0 : 2;
        Assert.Equal(expected, FunctionCompiler.FpDivisions);
        var inst = module.Instantiate();
        return (inst.GetFunction<Func<int, int, int>>("div_u"), inst.GetFunction<Func<int, int, int>>("rem_u"),
            inst.GetFunction<Func<int, int, int>>("div_s"), inst.GetFunction<Func<int, int, int>>("rem_s"));
    }

    /// <summary>Dividend/divisor pairs at the edges of the double-division argument, then seeded random ones.</summary>
    private static IEnumerable<(int A, int B)> Pairs()
    {
        uint[] edges = [0, 1, 2, 3, 7, 0xFFFF, 0x10000, 0x10001, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF];
        foreach (var a in edges)
            foreach (var b in edges) yield return ((int)a, (int)b);
        var rng = new Random(1601);
        for (int i = 0; i < 20000; i++)
        {
            // A divisor of any magnitude (1 to 32 significant bits), then the dividends q*b + b - 1 (largest
            // remainder: the quotient closest to rounding up), q*b and random ones, q the largest possible.
            uint b = (uint)rng.NextInt64(1, 1L << rng.Next(1, 33));
            ulong q = 0xFFFFFFFFUL / b;
            yield return ((int)(uint)(q * b + b - 1 > 0xFFFFFFFF ? q * b : q * b + b - 1), (int)b);
            yield return ((int)(uint)(q * b), (int)b);
            ulong q2 = (ulong)rng.NextInt64(0, (long)q + 1);
            yield return ((int)(uint)Math.Min(q2 * b + b - 1, 0xFFFFFFFF), (int)b);
            yield return (rng.Next(int.MinValue, int.MaxValue) | rng.Next(), (int)b);
        }
    }

    /// <summary>
    /// The four operations of <paramref name="a"/> by a nonzero <paramref name="b"/> against C#'s (<typeparamref name="U"/>:
    /// the unsigned type of the same width); the minimum by -1 traps for div_s (which the divisor forms that may be
    /// -1, such as <c>x | 1</c>, must keep testing) and is 0 for rem_s.
    /// </summary>
    private static void Check<T, U>(T a, T b, Func<T> divU, Func<T> remU, Func<T> divS, Func<T> remS)
        where T : IBinaryInteger<T>, IMinMaxValue<T> where U : IBinaryInteger<U>
    {
        U ua = U.CreateTruncating(a), ub = U.CreateTruncating(b);
        Assert.Equal(T.CreateTruncating(ua / ub), divU());
        Assert.Equal(T.CreateTruncating(ua % ub), remU());
        if (a == T.MinValue && b == -T.One)
        {
            Assert.Equal(Overflow, Assert.Throws<WasmTrapException>(() => divS()).Message);
            Assert.Equal(T.Zero, remS());
            return;
        }
        Assert.Equal(a / b, divS());
        Assert.Equal(a % b, remS());
    }

    [Theory]
    [InlineData("plain", "int")]
    [InlineData("or1", "int")]
    [InlineData("1or", "int")]
    [InlineData("orHigh", "int")]
    [InlineData("or0", "int")]
    [InlineData("andOr", "int")]
    [InlineData("plain", "fp")]
    [InlineData("or1", "fp")]
    [InlineData("1or", "fp")]
    [InlineData("orHigh", "fp")]
    [InlineData("or0", "fp")]
    [InlineData("andOr", "fp")]
    [InlineData("or1", "pair")]
    [InlineData("orHigh", "pair")]
    [InlineData("andOr", "pair")]
    public void I32DivisionMatchesTheDefinition(string form, string divider)
    {
        var (divU, remU, divS, remS) = Compile32(form, divider);
        foreach (var (a, raw) in Pairs())
        {
            int b = Apply(form, raw);
            if (b == 0)
            {
                Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => divU(a, raw)).Message);
                Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => remU(a, raw)).Message);
                Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => divS(a, raw)).Message);
                Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => remS(a, raw)).Message);
                continue;
            }
            Check<int, uint>(a, b, () => divU(a, raw), () => remU(a, raw), () => divS(a, raw), () => remS(a, raw));
        }
    }

    [Fact]
    public void ZeroDivisorsTrapInEveryUnprovenForm()
    {
        foreach (var form in (string[])["plain", "or0"])
        {
            var (divU, remU, divS, remS) = Compile32(form);
            foreach (int a in (int[])[0, 1, -1, int.MinValue, int.MaxValue])
            {
                Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => divU(a, 0)).Message);
                Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => remU(a, 0)).Message);
                Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => divS(a, 0)).Message);
                Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => remS(a, 0)).Message);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConstantAndRangedDivisors(bool fp)
    {
        var b = new ModuleBuilder();
        var t = b.Type([I32], [I32]);
        // Constants, including -1 (INT_MIN / -1 traps, INT_MIN rem -1 is 0) and 0 (always traps).
        int[] constants = [1, 3, 7, -1, -7, 65521, int.MinValue, 0];
        foreach (int c in constants)
        {
            b.Func(t, [0x20, 0, .. I32Const(c), 0x6E], export: $"div_u {c}");
            b.Func(t, [0x20, 0, .. I32Const(c), 0x70], export: $"rem_u {c}");
            b.Func(t, [0x20, 0, .. I32Const(c), 0x6D], export: $"div_s {c}");
            b.Func(t, [0x20, 0, .. I32Const(c), 0x6F], export: $"rem_s {c}");
        }
        // A divisor with a signed range of [7, 7] that is no constant operand (the sum of two constants).
        b.Func(t, [0x20, 0, .. I32Const(3), .. I32Const(4), 0x6A, 0x6E], export: "div_u range");
        b.Func(t, [0x20, 0, .. I32Const(3), .. I32Const(4), 0x6A, 0x70], export: "rem_u range");
        b.Func(t, [0x20, 0, .. I32Const(-3), .. I32Const(-4), 0x6A, 0x6D], export: "div_s range");
        b.Func(t, [0x20, 0, .. I32Const(-3), .. I32Const(-4), 0x6A, 0x6F], export: "rem_s range");
        // fp: every division proven safe (constants other than 0 and -1 for the signed ones) through the FP divider.
        FunctionCompiler.ForceFpDivision = fp;
        FunctionCompiler.FpDivisions = 0;
        CompiledModule module;
        try { module = CompiledModule.Compile(b.Build()); }
        finally { FunctionCompiler.ForceFpDivision = false; }
        Assert.Equal(fp ? 7 * 2 + 6 * 2 + 4 : 0, FunctionCompiler.FpDivisions); // 0 never, -1 not for the signed ones
        var inst = module.Instantiate();
        int[] dividends = [0, 1, -1, 6, 7, 8, 65520, 65521, 65522, int.MaxValue, int.MinValue, int.MinValue + 1];
        foreach (int c in constants)
        {
            var divU = inst.GetFunction<Func<int, int>>($"div_u {c}");
            var remU = inst.GetFunction<Func<int, int>>($"rem_u {c}");
            var divS = inst.GetFunction<Func<int, int>>($"div_s {c}");
            var remS = inst.GetFunction<Func<int, int>>($"rem_s {c}");
            foreach (int a in dividends)
            {
                if (c == 0)
                {
                    Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => divU(a)).Message);
                    Assert.Equal(DivByZero, Assert.Throws<WasmTrapException>(() => remS(a)).Message);
                    continue;
                }
                Check<int, uint>(a, c, () => divU(a), () => remU(a), () => divS(a), () => remS(a));
            }
        }
        foreach (int a in dividends)
        {
            Assert.Equal((int)((uint)a / 7), inst.GetFunction<Func<int, int>>("div_u range")(a));
            Assert.Equal((int)((uint)a % 7), inst.GetFunction<Func<int, int>>("rem_u range")(a));
            Assert.Equal(a / -7, inst.GetFunction<Func<int, int>>("div_s range")(a));
            Assert.Equal(a % -7, inst.GetFunction<Func<int, int>>("rem_s range")(a));
        }
    }

    [Fact]
    public void I64DivisionWithAnOrDivisor()
    {
        var b = new ModuleBuilder();
        var t = b.Type([I64, I64], [I64]);
        byte[] d = [0x20, 1, 0x42, 1, 0x84]; // local.get 1; i64.const 1; i64.or
        b.Func(t, [0x20, 0, .. d, 0x80], export: "div_u");
        b.Func(t, [0x20, 0, .. d, 0x82], export: "rem_u");
        b.Func(t, [0x20, 0, .. d, 0x7F], export: "div_s");
        b.Func(t, [0x20, 0, .. d, 0x81], export: "rem_s");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var divU = inst.GetFunction<Func<long, long, long>>("div_u");
        var remU = inst.GetFunction<Func<long, long, long>>("rem_u");
        var divS = inst.GetFunction<Func<long, long, long>>("div_s");
        var remS = inst.GetFunction<Func<long, long, long>>("rem_s");
        long[] values = [0, 1, 2, -1, -2, 3, long.MaxValue, long.MinValue, 0xFFFFFFFFL, 1L << 32];
        foreach (long a in values)
            foreach (long raw in values)
            {
                Check<long, ulong>(a, raw | 1, () => divU(a, raw), () => remU(a, raw), () => divS(a, raw), () => remS(a, raw));
            }
    }
}
