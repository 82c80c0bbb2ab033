using Pliant.Wasm.Runtime;
using Xunit.Abstractions;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Random instruction sequences: whatever validates must compile to verifiable IL and run to a
/// result or a trap — an InvalidProgramException would be a compiler bug.
/// </summary>
public class RandomCodeTests(ITestOutputHelper output)
{
    private static readonly byte[][] Pieces =
    [
        [0x41, 0x05], [0x41, 0x7F], [0x42, 0x03], [0x43, 0, 0, 0x80, 0x3F], [0x44, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F],
        [0x1A], [0x1B], [0x1C, 0x01, 0x7F], [0x01], [0x00], [0x0F],
        [0x20, 0], [0x20, 1], [0x20, 2], [0x21, 0], [0x21, 2], [0x22, 1], [0x22, 2],
        [0x02, 0x40], [0x02, 0x7F], [0x02, 0x00], [0x02, 0x01], [0x03, 0x40], [0x03, 0x7F], [0x03, 0x01], [0x04, 0x40], [0x04, 0x7F], [0x04, 0x01],
        [0x05], [0x0B], [0x0B], [0x0B],
        [0x0C, 0], [0x0C, 1], [0x0D, 0], [0x0D, 1], [0x0D, 2], [0x0E, 2, 0, 1, 0], [0x0E, 0, 1],
        [0x6A], [0x6B], [0x6D], [0x45], [0x46], [0x7C], [0x92], [0xA2], [0xA7], [0xAC], [0xB7], [0xA8],
        [0x10, 0], [0x10, 1],
        [0x28, 2, 0], [0x36, 2, 0], [0x2D, 0, 0], [0x3A, 0, 1], [0x3F, 0], [0x40, 0],
        [0x23, 0], [0x24, 0],
        // SIMD: const, splat, lanes, arithmetic, shuffle, loads and stores, tests, shifts, conversions.
        [0xFD, 12, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], [0xFD, 17], [0xFD, 19], [0xFD, 27, 1], [0xFD, 28, 3],
        [0xFD, 21, 15], [0xFD, 0xAE, 1], [0xFD, 0xE4, 1], [0xFD, 0x4E], [0xFD, 0x52], [0xFD, 0x53], [0xFD, 0x64], [0xFD, 0x6B],
        [0xFD, 13, 0, 17, 2, 19, 4, 21, 6, 23, 8, 25, 10, 27, 12, 29, 14, 31], [0xFD, 0, 4, 0], [0xFD, 11, 4, 0], [0xFD, 84, 0, 0, 3],
        [0xFD, 0xF8, 1], [0xFD, 0x5E], [0xFD, 0xE8, 1], [0xFD, 0x82, 1], [0xFD, 14], [0x20, 3], [0x21, 3], [0x22, 3],
    ];

    [Fact]
    public void ValidRandomCodeCompilesAndRuns()
    {
        var rng = new Random(int.TryParse(Environment.GetEnvironmentVariable("PLIANT_WASM_FUZZ_SEED"), out var sd) ? sd : 777);
        int valid = 0, total = 0;
        var start = DateTime.UtcNow;
        int limit = int.TryParse(Environment.GetEnvironmentVariable("PLIANT_WASM_RANDOM_CODE"), out var l) ? l : 20000;
        while (total < limit && DateTime.UtcNow - start < TimeSpan.FromSeconds(limit > 20000 ? 1200 : 30))
        {
            total++;
            var body = new List<byte>();
            int n = 1 + rng.Next(25);
            for (int i = 0; i < n; i++) body.AddRange(Pieces[rng.Next(Pieces.Length)]);
            var bytes = Build(body.ToArray());
            WasmModule? decoded = null;
            try
            {
                decoded = null;
                var cm = CompiledModule.Compile(bytes);
                valid++;
                var inst = cm.Instantiate();
                try
                {
                    inst.Invoke("f", [WasmValue.FromI32(rng.Next(3)), WasmValue.FromI32(rng.Next(100))], fuel: 10_000);
                }
                catch (WasmTrapException)
                {
                }
            }
            catch (WasmMalformedException)
            {
            }
            catch (WasmInvalidException)
            {
            }
            _ = decoded;
        }
        output.WriteLine($"{valid} of {total} random bodies validated, compiled and ran");
        Assert.True(valid > 50);
    }

    private sealed class WasmModule;

    private static byte[] Build(byte[] code)
    {
        // types: 0 = (i32 i32) -> i32 [f], 1 = (i32) -> (i32 i32) for multi-value blocks
        var o = new List<byte> { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
        Section(o, 1, [0x02, 0x60, 0x02, I32, I32, 0x01, I32, 0x60, 0x01, I32, 0x02, I32, I32]);
        Section(o, 3, [0x02, 0x00, 0x00]);
        Section(o, 5, [0x01, 0x00, 0x01]);
        Section(o, 6, [0x01, I32, 0x01, 0x41, 0x00, 0x0B]);
        Section(o, 7, [0x01, 0x01, (byte)'f', 0x00, 0x00]);
        byte[] f0 = [0x02, 0x01, I32, 0x01, 0x7B, .. code, 0x0B]; // locals: 2 i32, 3 v128
        byte[] f1 = [0x00, 0x41, 0x01, 0x0B];
        Section(o, 10, [0x02, .. U32((uint)f0.Length), .. f0, .. U32((uint)f1.Length), .. f1]);
        return [.. o];
    }

    private static void Section(List<byte> o, byte id, byte[] content)
    {
        o.Add(id);
        o.AddRange(U32((uint)content.Length));
        o.AddRange(content);
    }
}
