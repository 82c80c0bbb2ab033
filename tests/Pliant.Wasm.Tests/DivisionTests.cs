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
    // in the same basic block, l2 = b / (a | 1), and returning its result xor l2 (the wrappers below undo the xor):
    // the second division takes the FP divider, except a remainder after that quotient: then the quotient does.
    private static (Func<int, int, int> DivU, Func<int, int, int> RemU, Func<int, int, int> DivS, Func<int, int, int> RemS) Compile32(string form, string divider = "int")
    {
        var b = new ModuleBuilder();
        var t = b.Type([I32, I32], [I32]);
        byte[] d = Divisor(form);
        bool pair = divider == "pair";
        byte[] before = pair ? [0x20, 1, 0x20, 0, .. I32Const(1), 0x72, 0x6E, 0x21, 2] : []; // l2 = b / (a | 1)
        byte[] after = pair ? [0x20, 2, 0x73] : []; // xor l2
        byte[]? locals = pair ? [I32] : null;
        b.Func(t, [.. before, 0x20, 0, .. d, 0x6E, .. after], export: "div_u", locals: locals);
        b.Func(t, [.. before, 0x20, 0, .. d, 0x70, .. after], export: "rem_u", locals: locals);
        b.Func(t, [.. before, 0x20, 0, .. d, 0x6D, .. after], export: "div_s", locals: locals);
        b.Func(t, [.. before, 0x20, 0, .. d, 0x6F, .. after], export: "rem_s", locals: locals);
        FunctionCompiler.ForceFpDivision = divider == "fp";
        FunctionCompiler.NoFpDivision = divider == "int";
        FunctionCompiler.FpDivisions = FunctionCompiler.FpQuotients = 0;
        CompiledModule module;
        try { module = CompiledModule.Compile(b.Build()); }
        finally { FunctionCompiler.ForceFpDivision = FunctionCompiler.NoFpDivision = false; }
        // The forms proven nonzero take the FP divider where asked: div_u and rem_u (the signed ones keep testing for
        // -1, which the or rule cannot exclude, so they stay on the helper; ConstantAndRangedDivisors has FP div_s).
        // "pair": div_u's second division; for rem_u and rem_s the quotient before them (rem_s itself on the helper).
        (int expected, int quotients) = divider == "int" || form is "plain" or "or0" ? (0, 0) : pair ? (3, 3) : (2, 1);
        Assert.Equal(expected, FunctionCompiler.FpDivisions);
        Assert.Equal(quotients, FunctionCompiler.FpQuotients);
        var inst = module.Instantiate();
        Func<int, int, int> Undo(Func<int, int, int> f) => pair ? (x, y) => f(x, y) ^ (int)((uint)y / ((uint)x | 1)) : f;
        return (Undo(inst.GetFunction<Func<int, int, int>>("div_u")), Undo(inst.GetFunction<Func<int, int, int>>("rem_u")),
            Undo(inst.GetFunction<Func<int, int, int>>("div_s")), Undo(inst.GetFunction<Func<int, int, int>>("rem_s")));
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

    /// <summary>
    /// The pair rule (FunctionCompiler.UseFpDivider): of two i32 divisions proven safe in one basic block one takes
    /// the FP divider — the quotient when a remainder follows it (x64 <c>div</c> gives that remainder for free),
    /// otherwise the second — and none across a block boundary or with a constant remainder divisor. Shapes are
    /// letters: q div_u, r rem_u, Q div_s, R rem_s, | a block boundary (an empty <c>block</c>), c the second
    /// division's dividend is the first's result (a consumer in between), k a constant remainder divisor. Each
    /// division's result goes to its own local; one export per local returns it, every one checked against C# on the
    /// edge and seeded random operands of <see cref="Pairs"/>.
    /// </summary>
    [Theory]
    [InlineData("qr", 1, 1)]
    [InlineData("rq", 1, 1)]
    [InlineData("qq", 1, 1)]
    [InlineData("rr", 1, 0)]
    [InlineData("q|r", 0, 0)]
    [InlineData("r|q", 0, 0)]
    [InlineData("qcr", 1, 1)]
    [InlineData("rcq", 1, 1)]
    [InlineData("qkr", 0, 0)]
    [InlineData("qrqr", 2, 2)]
    [InlineData("rqrq", 2, 2)]
    [InlineData("qrr", 1, 1)]
    [InlineData("QR", 1, 1)]
    [InlineData("RQ", 1, 1)]
    [InlineData("QcR", 1, 1)]
    [InlineData("Q|R", 0, 0)]
    public void PairRuleTakesOneFpDivisionPerPairAndStaysExact(string shape, int fp, int fpQuotients)
    {
        var divisions = new List<(char Op, bool Consume, bool ConstDivisor)>();
        var body = new List<byte>();
        bool consume = false, constant = false;
        foreach (char ch in shape)
        {
            if (ch == '|') { body.AddRange([0x02, 0x40, 0x0B]); continue; } // block end: a label between
            if (ch == 'c') { consume = true; continue; }
            if (ch == 'k') { constant = true; continue; }
            int j = divisions.Count;
            // Dividend: a or b alternately, or the previous division's result plus b.
            byte[] dividend = consume ? [0x20, (byte)(2 + j - 1), 0x20, 1, 0x6A] : [0x20, (byte)(j % 2)];
            // Divisor: unsigned b | 1 or a | 2^31 alternately (both nonzero; 1, 0xFFFF, 2^31, 2^32 - 1 among them),
            // signed 7 or -7 as a sum of constants (a range without a constant operand: never 0 nor -1).
            byte[] divisor = constant ? I32Const(65521)
                : ch is 'Q' or 'R' ? [.. I32Const(j % 2 == 0 ? 3 : -3), .. I32Const(j % 2 == 0 ? 4 : -4), 0x6A]
                : j % 2 == 0 ? [0x20, 1, .. I32Const(1), 0x72] : [0x20, 0, .. I32Const(int.MinValue), 0x72];
            byte op = ch switch { 'q' => 0x6E, 'r' => 0x70, 'Q' => 0x6D, _ => 0x6F };
            body.AddRange([.. dividend, .. divisor, op, 0x21, (byte)(2 + j)]);
            divisions.Add((ch, consume, constant));
            consume = constant = false;
        }
        var b = new ModuleBuilder();
        var t = b.Type([I32, I32], [I32]);
        byte[] locals = [.. Enumerable.Repeat(I32, divisions.Count)];
        for (int j = 0; j < divisions.Count; j++) b.Func(t, [.. body, 0x20, (byte)(2 + j)], export: $"d{j}", locals: locals);
        FunctionCompiler.FpDivisions = FunctionCompiler.FpQuotients = 0;
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        Assert.Equal(fp * divisions.Count, FunctionCompiler.FpDivisions);
        Assert.Equal(fpQuotients * divisions.Count, FunctionCompiler.FpQuotients);
        var f = Enumerable.Range(0, divisions.Count).Select(j => inst.GetFunction<Func<int, int, int>>($"d{j}")).ToArray();
        foreach (var (a, raw) in Pairs())
        {
            var expected = new int[divisions.Count];
            for (int j = 0; j < divisions.Count; j++)
            {
                var (op, consumed, constDivisor) = divisions[j];
                int x = consumed ? expected[j - 1] + raw : j % 2 == 0 ? a : raw;
                int d = constDivisor ? 65521 : op is 'Q' or 'R' ? (j % 2 == 0 ? 7 : -7) : j % 2 == 0 ? raw | 1 : a | int.MinValue;
                expected[j] = op switch
                {
                    'q' => (int)((uint)x / (uint)d),
                    'r' => (int)((uint)x % (uint)d),
                    'Q' => x / d,
                    _ => x % d,
                };
            }
            for (int j = 0; j < divisions.Count; j++) Assert.Equal(expected[j], f[j](a, raw));
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
        var rng = new Random(1602);
        int[] dividends = [0, 1, -1, 6, 7, 8, 65520, 65521, 65522, int.MaxValue, int.MinValue, int.MinValue + 1,
            .. Enumerable.Range(0, 200).Select(_ => rng.Next(int.MinValue, int.MaxValue))];
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
