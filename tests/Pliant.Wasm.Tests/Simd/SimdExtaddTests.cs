using System.Runtime.Intrinsics;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Simd;

/// <summary>
/// <c>i16x8.extadd_pairwise_i8x16_s/u</c> (spec §4.3.4 extadd_pairwise), one <c>pmaddubsw</c> against a vector of
/// ones with SSSE3 (V128Ops.I16x8ExtaddPairwiseI8x16S/U), shifts without it (DOTNET_EnableHWIntrinsic=0): every
/// pair of bytes, so both extremes (-128 + -128 = -256, 255 + 255 = 510) and every sign mix are seen in each lane.
/// </summary>
public class SimdExtaddTests
{
    private const uint ExtaddS = 124, ExtaddU = 125;

    [Fact]
    public void ExtaddPairwiseI8x16OfEveryBytePair()
    {
        var b = new ModuleBuilder();
        uint t = b.Type([V128], [V128]);
        b.Func(t, [0x20, 0, .. SimdInstr(ExtaddS)], export: "s");
        b.Func(t, [0x20, 0, .. SimdInstr(ExtaddU)], export: "u");
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var s = inst.GetFunction<Func<Vector128<byte>, Vector128<byte>>>("s");
        var u = inst.GetFunction<Func<Vector128<byte>, Vector128<byte>>>("u");
        var bytes = new byte[16];
        for (int pair = 0; pair < 65536; pair += 8)
        {
            // Lane k takes the pair (pair + k): low byte even, high byte odd (wasm lane order is little-endian).
            for (int k = 0; k < 8; k++)
            {
                bytes[2 * k] = (byte)(pair + k);
                bytes[2 * k + 1] = (byte)((pair + k) >> 8);
            }
            var v = Vector128.Create(bytes);
            var rs = s(v).AsInt16();
            var ru = u(v).AsInt16();
            for (int k = 0; k < 8; k++)
            {
                Assert.Equal((short)((sbyte)bytes[2 * k] + (sbyte)bytes[2 * k + 1]), rs.GetElement(k));
                Assert.Equal((short)(bytes[2 * k] + bytes[2 * k + 1]), ru.GetElement(k));
            }
        }
    }
}
