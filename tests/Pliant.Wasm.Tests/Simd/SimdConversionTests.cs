using System.Runtime.Intrinsics;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Simd;

/// <summary>
/// <c>i32x4.trunc_sat_f32x4_s</c> (spec §4.3.4 trunc_sat: NaN to 0, out of range to the nearest bound) as
/// V128Ops.I32x4TruncSatF32x4S computes it with SSE2 (cvttps2dq, then an xor with the lanes at or above 2^31 and
/// an and with the non-NaN lanes; a vpternlogd with AVX-512), against the scalar definition: every edge value in
/// every lane, next to values of the other kinds. The portable path is covered by the official suite's runs
/// without hardware intrinsics (SimdSuiteTests).
/// </summary>
public class SimdConversionTests
{
    private const uint TruncSatF32x4S = 248;

    private static readonly float[] Edges =
    [
        float.NaN, -float.NaN, BitConverter.Int32BitsToSingle(0x7F800001), BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001)),
        float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 0.5f, -0.5f, 1f, -1f, 1.5f, -1.99f,
        2147483648f, MathF.BitIncrement(2147483648f), MathF.BitDecrement(2147483648f), 4294967296f,
        -2147483648f, MathF.BitDecrement(-2147483648f), MathF.BitIncrement(-2147483648f), -4294967296f,
        float.MaxValue, float.MinValue, float.Epsilon, -float.Epsilon, 16777217f, -123456.7f,
    ];

    private static int Reference(float x) =>
        float.IsNaN(x) ? 0 : x >= 2147483648f ? int.MaxValue : x < -2147483648f ? int.MinValue : (int)MathF.Truncate(x);

    [Fact]
    public void TruncSatF32x4SOfEveryEdgeInEveryLane()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([V128], [V128]);
        b.Func(t, [0x20, 0, .. SimdInstr(TruncSatF32x4S)], export: "f");
        var f = CompiledModule.Compile(b.Build()).Instantiate().GetFunction<Func<Vector128<byte>, Vector128<byte>>>("f");
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
                        Assert.True(Reference(lanes[k]) == r.GetElement(k), $"lane {k} of {string.Join(", ", lanes)}: {r.GetElement(k)}");
                }
            }
        }
    }
}
