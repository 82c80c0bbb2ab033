using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// <c>i32.and; i32.eqz; br_if</c> of two values that are 0 or 1 branches when either is 0 (FunctionCompiler.Numeric.cs,
/// TryDeferBooleanAnd / BranchUnlessBoth): two float comparisons of locals with constants computed again as two
/// branches, other comparisons tested from their slots, with and without operand copies at the branch (a value
/// under the carried one), and an and of values that are not booleans (2 &amp; 1 = 0: must branch though both are
/// nonzero), each against the definition at NaN, infinities, both sides of each constant, and integer edges.
/// </summary>
public class BooleanAndBranchTests
{
    // Operands of the and (params: f64 x, f64 y, i32 a, i32 b).
    private static readonly (string Name, byte[] Code, Func<double, double, int, int, int> Value)[] Pairs =
    [
        ("x < 1.5 & y >= -2", [0x20, 0, 0x44, .. BitConverter.GetBytes(1.5), 0x63, 0x20, 1, 0x44, .. BitConverter.GetBytes(-2.0), 0x66, 0x71],
            (x, y, a, b) => (x < 1.5 ? 1 : 0) & (y >= -2 ? 1 : 0)),
        ("|x| <= 1.5 & x > -1", [0x20, 0, 0x99, 0x44, .. BitConverter.GetBytes(1.5), 0x65, 0x20, 0, 0x44, .. BitConverter.GetBytes(-1.0), 0x64, 0x71],
            (x, y, a, b) => (Math.Abs(x) <= 1.5 ? 1 : 0) & (x > -1 ? 1 : 0)),
        ("a <s b & a != 0", [0x20, 2, 0x20, 3, 0x48, 0x20, 2, .. I32Const(0), 0x47, 0x71],
            (x, y, a, b) => (a < b ? 1 : 0) & (a != 0 ? 1 : 0)),
        ("x >= 0 & a <u b", [0x20, 0, 0x44, .. BitConverter.GetBytes(0.0), 0x66, 0x20, 2, 0x20, 3, 0x49, 0x71],
            (x, y, a, b) => (x >= 0 ? 1 : 0) & ((uint)a < (uint)b ? 1 : 0)),
        ("x < y & y < 1.5", [0x20, 0, 0x20, 1, 0x63, 0x20, 1, 0x44, .. BitConverter.GetBytes(1.5), 0x63, 0x71],
            (x, y, a, b) => (x < y ? 1 : 0) & (y < 1.5 ? 1 : 0)),
        ("a & b", [0x20, 2, 0x20, 3, 0x71], (x, y, a, b) => a & b),
        ("a*a & b*b", [0x20, 2, 0x20, 2, 0x6C, 0x20, 3, 0x20, 3, 0x6C, 0x71], (x, y, a, b) => a * a & b * b),
        ("a <s b & b*b", [0x20, 2, 0x20, 3, 0x48, 0x20, 3, 0x20, 3, 0x6C, 0x71], (x, y, a, b) => (a < b ? 1 : 0) & b * b),
    ];

    public static TheoryData<int, bool> Cases()
    {
        var d = new TheoryData<int, bool>();
        for (int i = 0; i < Pairs.Length; i++)
        {
            d.Add(i, false);
            d.Add(i, true);
        }
        return d;
    }

    /// <summary>
    /// <c>block (result i32) [i32.const 100] i32.const 5; PAIR; i32.eqz; br_if 0; (i32.add | drop; i32.const 7) end</c>: 5
    /// when the branch is taken (dropping the value under the carried one: operand copies), else 105 or 7.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void BranchesExactlyWhenTheAndIsZero(int pair, bool under)
    {
        var (name, code, value) = Pairs[pair];
        var b = new ModuleBuilder();
        var t = b.Type([F64, F64, I32, I32], [I32]);
        byte[] below = under ? I32Const(100) : [], after = under ? [0x6A] : [0x1A, .. I32Const(7)];
        byte[] body = [0x02, I32, .. below, .. I32Const(5), .. code, 0x45, 0x0D, 0, .. after, 0x0B];
        b.Func(t, body, export: "f");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<double, double, int, int, int>>("f");
        double[] xs = [double.NaN, double.NegativeInfinity, -2.5, Math.BitDecrement(-2.0), -2, -1.5, -1, -0.0, 0, 1, Math.BitDecrement(1.5), 1.5, Math.BitIncrement(1.5), double.PositiveInfinity];
        int[] ints = [0, 1, 2, 3, -1, int.MinValue, int.MaxValue];
        foreach (double x in xs)
            foreach (double y in xs)
                foreach (int a in ints)
                    foreach (int c in ints)
                    {
                        bool taken = value(x, y, a, c) == 0;
                        int want = taken ? 5 : under ? 105 : 7;
                        Assert.True(want == f(x, y, a, c), $"{name}, x {x}, y {y}, a {a}, b {c}: expected {want}");
                    }
    }
}
