using System.Runtime.Intrinsics;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests.Simd;

/// <summary>
/// <c>i8x16.shuffle</c> (spec §4.4.3.3) of whole 32-bit lanes — compiled as one pshufd (one operand) or shufps (lanes 0
/// and 1 from one operand, 2 and 3 from the other: FunctionCompiler.Simd.cs, TryShuffleDwords) — and shuffles just off
/// that shape (a group not starting at a multiple of 4, a group out of order, the zero-filled tail clang leaves), against
/// the definition: every choice of four 32-bit lanes out of eight (4096), on operands whose 32 bytes all differ. The
/// portable paths run in the official suite without hardware intrinsics (SimdSuiteTests).
/// </summary>
public class SimdShuffleTests
{
    private static void Check(List<byte[]> shuffles)
    {
        var b = new ModuleBuilder();
        uint t = b.Type([V128, V128], [V128]);
        for (int i = 0; i < shuffles.Count; i++) b.Func(t, [0x20, 0, 0x20, 1, .. SimdInstr(13, shuffles[i])], export: "s" + i);
        var inst = CompiledModule.Compile(b.Build()).Instantiate();
        var x = Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var y = Vector128.Create((byte)0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF);
        for (int i = 0; i < shuffles.Count; i++)
        {
            var r = inst.GetFunction<Func<Vector128<byte>, Vector128<byte>, Vector128<byte>>>("s" + i)(x, y);
            for (int k = 0; k < 16; k++)
            {
                int l = shuffles[i][k];
                byte want = l < 16 ? x.GetElement(l) : y.GetElement(l - 16);
                Assert.True(want == r.GetElement(k), $"shuffle {string.Join(' ', shuffles[i])}: byte {k} is {r.GetElement(k)}, expected {want}");
            }
        }
    }

    [Fact]
    public void EveryShuffleOfWhole32BitLanes()
    {
        var shuffles = new List<byte[]>();
        for (int c = 0; c < 4096; c++)
        {
            var lanes = new byte[16];
            for (int q = 0; q < 4; q++)
                for (int k = 0; k < 4; k++) lanes[4 * q + k] = (byte)(4 * ((c >> (3 * q)) & 7) + k);
            shuffles.Add(lanes);
        }
        Check(shuffles);
    }

    [Fact]
    public void ShufflesJustOffWhole32BitLanes()
    {
        Check(
        [
            [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27],   // clang's low halves of two i64x2: shufps
            [1, 2, 3, 4, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27],   // first group not at a multiple of 4
            [0, 1, 2, 3, 8, 9, 11, 10, 16, 17, 18, 19, 24, 25, 26, 27],   // a group out of order
            [8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0],       // clang's reduction, zero-filled tail
            [16, 17, 18, 19, 0, 1, 2, 3, 20, 21, 22, 23, 4, 5, 6, 7],     // alternating operands: pshufb pair
            [0, 1, 2, 3, 20, 21, 22, 23, 8, 9, 10, 11, 28, 29, 30, 31],
            [28, 29, 30, 31, 24, 25, 26, 27, 12, 13, 14, 15, 0, 1, 2, 3], // second operand first: shufps swapped
            [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12],
        ]);
    }
}
