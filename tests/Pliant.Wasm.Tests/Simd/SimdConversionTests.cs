using System.Runtime.Intrinsics;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Simd;

/// <summary>
/// The saturating truncations (spec §4.3.4 trunc_sat: NaN to 0, out of range to the nearest bound) as V128Ops
/// computes them on this machine — <c>i32x4.trunc_sat_f32x4_s</c> with SSE2 (cvttps2dq, then an xor with the lanes
/// at or above 2^31 and an and with the non-NaN lanes; a vpternlogd with AVX-512), the unsigned ones with AVX-512
/// (maxps with +0, then vcvttps2udq / vcvttpd2udq) — against the scalar definition: every edge value in every lane,
/// next to values of the other kinds. The other paths are covered by the official suite's runs without AVX-512,
/// with SSE2 only and without hardware intrinsics (SimdSuiteTests).
/// </summary>
public class SimdConversionTests
{
    private const uint TruncSatF32x4S = 248, TruncSatF32x4U = 249, TruncSatF64x2SZero = 252, TruncSatF64x2UZero = 253;

    private static readonly float[] Edges =
    [
        float.NaN, -float.NaN, BitConverter.Int32BitsToSingle(0x7F800001), BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)),
        float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 0.5f, -0.5f, 1f, -1f, 1.5f, -1.99f,
        2147483648f, MathF.BitIncrement(2147483648f), MathF.BitDecrement(2147483648f), 4294967296f,
        -2147483648f, MathF.BitDecrement(-2147483648f), MathF.BitIncrement(-2147483648f), -4294967296f,
        float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon, 16777217f, -123456.7f,
    ];

    private static int Reference(double x, bool unsigned) =>
        double.IsNaN(x) ? 0
        : unsigned ? (x >= 4294967296.0 ? -1 : x <= 0 ? 0 : (int)(uint)Math.Truncate(x))
        : x >= 2147483648.0 ? int.MaxValue : x < -2147483648.0 ? int.MinValue : (int)Math.Truncate(x);

    private static Func<Vector128<byte>, Vector128<byte>> Compile(uint op)
    {
        var b = new ModuleBuilder();
        uint t = b.Type([V128], [V128]);
        b.Func(t, [0x20, 0, .. SimdInstr(op)], export: "f");
        return CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<Vector128<byte>, Vector128<byte>>>("f");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncSatF32x4OfEveryEdgeInEveryLane(bool unsigned)
    {
        var f = Compile(unsigned ? TruncSatF32x4U : TruncSatF32x4S);
        var lanes = new float[4];
        for (int i = 0; i < Edges.Length; i++)
        {
            for (int j = 0; j < Edges.Length; j++)
            {
                // The edge pair in lanes (0, 1), then (2, 3), the other two lanes NaN and 2^31.
                for (int at = 0; at < 4; at += 2)
                {
                    lanes[at] = Edges[i];
                    lanes[at + 1] = Edges[j];
                    lanes[(at + 2) & 3] = float.NaN;
                    lanes[(at + 3) & 3] = 2147483648f;
                    var r = f(Vector128.Create(lanes).AsByte()).AsInt32();
                    for (int k = 0; k < 4; k++)
                        Assert.True(Reference(lanes[k], unsigned) == r.GetElement(k), $"lane {k} of {string.Join(", ", lanes)}: {r.GetElement(k)}");
                }
            }
        }
    }

    /// <summary><c>i32x4.trunc_sat_f64x2_s_zero</c> / <c>_u_zero</c>: every pair of f64 edges, the upper two lanes 0.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncSatF64x2ZeroOfEveryEdgePair(bool unsigned)
    {
        var f = Compile(unsigned ? TruncSatF64x2UZero : TruncSatF64x2SZero);
        double[] edges =
        [
            .. Edges.Select(e => (double)e), 4294967295.0, 4294967295.5, Math.BitIncrement(4294967296.0), 2147483647.0, 2147483647.5,
            -2147483648.5, -2147483649.0, Math.BitIncrement(-1.0), Math.BitDecrement(-1.0), double.MaxValue, double.MinValue,
        ];
        foreach (double x in edges)
            foreach (double y in edges)
            {
                var r = f(Vector128.Create(x, y).AsByte()).AsInt32();
                Assert.True(Reference(x, unsigned) == r.GetElement(0), $"lane 0 of {x}, {y}: {r.GetElement(0)}");
                Assert.True(Reference(y, unsigned) == r.GetElement(1), $"lane 1 of {x}, {y}: {r.GetElement(1)}");
                Assert.Equal(0, r.GetElement(2));
                Assert.Equal(0, r.GetElement(3));
            }
    }
}
