using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// A trapping truncation right after a <c>br_if</c> that skips it unless its operand passed a range test (clang's
/// guard before a C cast: <c>|x| &lt; 2^31</c>, <c>x &lt; 2^32 &amp; x &gt;= 0</c>) is compiled without a range
/// test of its own when the guard's bounds lie inside the truncation's domain (FunctionCompiler.Numeric.cs,
/// TruncGuardedInRange). Every guard shape and constant around each domain edge (just inside, on, just outside),
/// every truncation, f32 and f64 operands, at values around every edge: the result is the guard's sentinel, the
/// truncation or its trap (spec §4.3.4 trunc), as the definition says. A guard one ulp too wide, with no bound on
/// one side, or on another local must keep the trap: the bare conversion would return a value there instead.
/// </summary>
public class GuardedTruncationTests
{
    private const long Sentinel = 0x5EAD;

    // A comparison of a local (0 = x, 1 = y, 2 = the copy of x a local.tee made) with a constant: rel 0 lt, 1 gt, 2 le, 3 ge.
    private readonly record struct Cmp(int Local, bool Abs, int Rel, double C, bool Tee = false);

    private static readonly ushort[] Truncs = [0xA8, 0xA9, 0xAA, 0xAB, 0xAE, 0xAF, 0xB0, 0xB1];

    public static TheoryData<ushort> Ops() => [.. Truncs];

    [Theory]
    [MemberData(nameof(Ops))]
    public void GuardedTruncationMatchesTheDefinition(ushort op)
    {
        bool f32 = op is 0xA8 or 0xA9 or 0xAE or 0xAF;
        var guards = Guards(f32).ToList();
        var b = new ModuleBuilder();
        byte t = f32 ? F32 : F64;
        var type = b.Type([t, t], [I64]);
        for (int g = 0; g < guards.Count; g++) b.Func(type, Body(guards[g], op, f32), [t], export: "g" + g);
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var values = Values(f32).ToList();
        for (int g = 0; g < guards.Count; g++)
        {
            var guard = guards[g];
            Func<double, double, long> call;
            if (f32)
            {
                var fn = inst.GetFunction<Func<float, float, long>>("g" + g);
                call = (x, y) => fn((float)x, (float)y);
            }
            else
            {
                call = inst.GetFunction<Func<double, double, long>>("g" + g);
            }
            foreach (double x in values)
            {
                foreach (double y in guard.Any(c => c.Local == 1) ? (double[])[5, 50] : [5])
                {
                    string? trap = Expected(guard, op, f32, x, y, out long want);
                    string what = $"op 0x{op:X2} guard {string.Join(" & ", guard)} x {x:R} y {y}";
                    if (trap != null)
                    {
                        var e = Assert.Throws<WasmTrapException>(() => call(x, y));
                        Assert.True(trap == e.Message, $"{what}: trap '{e.Message}', expected '{trap}'");
                    }
                    else
                    {
                        long got = call(x, y);
                        Assert.True(want == got, $"{what}: {got}, expected {want}");
                    }
                }
            }
        }
    }

    /// <summary><c>block; guard; i32.eqz; br_if 0; local.get x; TRUNC; [i64.extend_i32_s]; return; end; i64.const sentinel</c>.</summary>
    private static byte[] Body(Cmp[] guard, ushort op, bool f32)
    {
        var code = new List<byte> { 0x02, 0x40 };
        for (int i = 0; i < guard.Length; i++)
        {
            var c = guard[i];
            if (c.Tee) code.AddRange([0x20, 0, 0x22, 2]);
            else code.AddRange([0x20, (byte)c.Local]);
            if (c.Abs) code.Add(f32 ? (byte)0x8B : (byte)0x99);
            if (f32) code.AddRange([0x43, .. BitConverter.GetBytes((float)c.C)]);
            else code.AddRange([0x44, .. BitConverter.GetBytes(c.C)]);
            code.Add((byte)((f32 ? 0x5D : 0x63) + c.Rel));
            if (i > 0) code.Add(0x71);
        }
        bool tee = guard[0].Tee;
        code.AddRange([0x45, 0x0D, 0, 0x20, tee ? (byte)2 : (byte)0, (byte)op]);
        if (op <= 0xAB) code.Add(0xAC);
        code.AddRange([0x0F, 0x0B, 0x42, .. S64(Sentinel)]);
        return [.. code];
    }

    private static string? Expected(Cmp[] guard, ushort op, bool f32, double x, double y, out long value)
    {
        value = Sentinel;
        foreach (var c in guard)
        {
            double v = c.Local == 1 ? y : x, k = f32 ? (float)c.C : c.C; // an f32 guard compares with the f32 constant
            if (c.Abs) v = Math.Abs(v);
            bool holds = c.Rel switch { 0 => v < k, 1 => v > k, 2 => v <= k, _ => v >= k };
            if (!holds) return null;
        }
        if (double.IsNaN(x)) return "invalid conversion to integer";
        double tr = Math.Truncate(x);
        (double lo, double hi) = op switch
        {
            0xA8 or 0xAA => (-2147483648.0, 2147483647.0),
            0xA9 or 0xAB => (0.0, 4294967295.0),
            0xAE or 0xB0 => (-9223372036854775808.0, 9223372036854775807.0),
            _ => (0.0, 18446744073709551615.0),
        };
        // 2^63 - 1 and 2^64 - 1 round up to 2^63 and 2^64 as doubles: those are out of range.
        if (tr < lo || tr > hi || op is 0xAE or 0xB0 && tr == 9223372036854775808.0 || op is 0xAF or 0xB1 && tr == 18446744073709551616.0)
            return "integer overflow";
        value = op switch
        {
            0xA8 or 0xAA => (int)tr,
            0xA9 or 0xAB => (int)(uint)tr,
            0xAE or 0xB0 => (long)tr,
            _ => (long)(ulong)tr,
        };
        return null;
    }

    private static double Up(double c, bool f32) => f32 ? MathF.BitIncrement((float)c) : Math.BitIncrement(c);

    private static double Down(double c, bool f32) => f32 ? MathF.BitDecrement((float)c) : Math.BitDecrement(c);

    private static IEnumerable<Cmp[]> Guards(bool f32)
    {
        double[] highs = [2147483648.0, Up(2147483648.0, f32), Down(2147483648.0, f32), 4294967296.0, Up(4294967296.0, f32), 9223372036854775808.0, Up(9223372036854775808.0, f32), 18446744073709551616.0, Up(18446744073709551616.0, f32)];
        double[] lows = [0.0, -0.0, -1.0, Up(-1.0, f32), Down(-1.0, f32), -2147483648.0, Down(-2147483648.0, f32), -2147483649.0, -9223372036854775808.0, Down(-9223372036854775808.0, f32)];
        foreach (double h in highs)
        {
            foreach (int rel in (int[])[0, 2])
            {
                yield return [new Cmp(0, true, rel, h)];
                yield return [new Cmp(0, true, rel, h, Tee: true)];
                yield return [new Cmp(0, false, rel, h)]; // no lower bound
                foreach (double l in lows)
                {
                    foreach (int relLo in (int[])[1, 3])
                    {
                        yield return [new Cmp(0, false, rel, h), new Cmp(0, false, relLo, l)];
                        yield return [new Cmp(0, false, relLo, l), new Cmp(0, false, rel, h)];
                        yield return [new Cmp(0, false, rel, h, Tee: true), new Cmp(2, false, relLo, l)];
                    }
                }
                yield return [new Cmp(0, false, rel, h), new Cmp(1, false, 0, 10)]; // the other bound on y: none on x
                yield return [new Cmp(1, false, 0, 10), new Cmp(0, false, 3, 0)];
                yield return [new Cmp(0, false, rel, h), new Cmp(0, true, 1, 1)]; // |x| > 1 bounds nothing
            }
        }
        yield return [new Cmp(0, true, 1, 5)];
        yield return [new Cmp(0, true, 3, 0)];
        yield return [new Cmp(0, false, 3, 0)]; // no upper bound
    }

    private static IEnumerable<double> Values(bool f32)
    {
        double[] edges = [0, 1, -1, 2147483648.0, -2147483648.0, -2147483649.0, 4294967296.0, 9223372036854775808.0, -9223372036854775808.0, 18446744073709551616.0];
        var all = new List<double> { double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 123456.75, 2147483647.0, 2147483647.5, -2147483648.5, 4294967295.0, 4294967295.5 };
        foreach (double e in edges) all.AddRange([e, Up(e, f32), Down(e, f32)]);
        foreach (double v in all)
        {
            double w = f32 ? (float)v : v;
            if (w == 0 && double.IsNegative(w) != double.IsNegative(v)) continue;
            yield return w;
        }
    }
}
