using Pliant.Wasm.Decoding;
using Pliant.Wasm.Runtime;
using Pliant.Wasm.Spec;
using static Pliant.Wasm.Tests.ModuleBuilder;

namespace Pliant.Wasm.Tests;

/// <summary>
/// Mutates valid modules and checks that decode, validate, compile and instantiate either succeed
/// or fail with the documented error types — never another exception, a hang or unbounded memory.
/// </summary>
public class FuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly WasmLimits Tight = new() { MaxMemoryPages = 256, MaxTableSize = 100_000, MaxCallDepth = 2000 };

    private static List<byte[]> Seeds()
    {
        var seeds = new List<byte[]>();
        var b = new ModuleBuilder();
        b.Memory(1, 4);
        uint t = b.Type([I32, I32], [I32]);
        b.Func(t, [0x20, 0, 0x20, 1, 0x6A], export: "add");
        b.Func(b.Type([], []), [0x03, 0x40, 0x41, 1, 0x40, 0, 0x1A, 0x0B], export: "grow");
        b.Func(b.Type([I32], [I32]), [0x20, 0, 0x28, 2, 4, 0x20, 0, 0x0E, 1, 0, 0, 0x1A], export: "load");
        seeds.Add(b.Build());
        // SIMD: loads, lane ops, shuffles, arithmetic, stores.
        var v = new ModuleBuilder();
        v.Memory(1, 1);
        v.Func(v.Type([I32], [I32]),
        [
            0x20, 0, .. SimdInstr(0, 4, 0), 0x20, 0, .. SimdInstr(17), .. SimdInstr(174), .. V128Const(1, -1, 7, 0), .. SimdInstr(13, [.. Enumerable.Range(0, 16).Select(i => (byte)(i * 2))]),
            .. SimdInstr(97), .. V128Const(0x3F800000, 0, -1, 0x7FC00000), .. SimdInstr(228), 0x41, 3, .. SimdInstr(107), 0x21, 1,
            0x20, 0, 0x20, 1, .. SimdInstr(84, 0, 0, 5), .. SimdInstr(27, 1),
        ], locals: [V128], export: "simd");
        v.Func(v.Type([], []), [0x41, 8, .. V128Const(2, 3, 4, 5), .. SimdInstr(11, 4, 0)], export: "store");
        seeds.Add(v.Build());
        foreach (var seed in seeds) CompiledModule.Compile(seed); // the hand-built seeds are valid
        AddSpecSeeds(seeds, SpecSuiteTests.SimdSpecDir(),
            ["simd_lane.0.wasm", "simd_address.0.wasm", "simd_conversions.0.wasm", "simd_i16x8_arith2.0.wasm", "simd_load8_lane.0.wasm", "simd_store.0.wasm", "simd_boolean.1.wasm"]);
        AddSpecSeeds(seeds, SpecSuiteTests.SpecDir(),
            ["br_table.0.wasm", "call_indirect.0.wasm", "memory_copy.0.wasm", "table_init.0.wasm", "float_exprs.0.wasm", "binary.0.wasm", "elem.0.wasm"]);
        return seeds;
    }

    private static void AddSpecSeeds(List<byte[]> seeds, string? dir, string[] defaults)
    {
        if (dir != null)
        {
            var names = Environment.GetEnvironmentVariable("PLIANT_WASM_FUZZ_ALL") == "1"
                ? Directory.GetFiles(dir, "*.wasm").Select(Path.GetFileName).ToArray()
                : defaults;
            foreach (var name in names)
            {
                var p = Path.Combine(dir, name!);
                if (File.Exists(p) && new FileInfo(p).Length > 16) seeds.Add(File.ReadAllBytes(p));
            }
        }
    }

    [Fact]
    public void MutatedModulesFailOnlyWithDocumentedErrors()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("PLIANT_WASM_FUZZ_SEED"), out var sd) ? sd : 12345;
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("PLIANT_WASM_FUZZ_ITERATIONS"), out var it) ? it : 3000;
        var rng = new Random(seed);
        var seeds = Seeds();
        int accepted = 0, rejected = 0;
        var start = DateTime.UtcNow;
        for (int iter = 0; iter < iterations && DateTime.UtcNow - start < TimeSpan.FromSeconds(iterations > 3000 ? 3600 : 40); iter++)
        {
            var bytes = (byte[])seeds[iter % seeds.Count].Clone();
            bytes = Mutate(bytes, rng);
            try
            {
                var m = CompiledModule.Compile(bytes, Tight);
                var imports = new Imports();
                SpectestModule.Define(imports);
                var inst = m.Instantiate(imports);
                foreach (var (name, v) in inst.Exports)
                {
                    if (v is FunctionInstance f && f.Type.Params.All(t => !t.IsRef()))
                    {
                        try { Instance.Invoke(f, [.. f.Type.Params.Select(WasmValue.Default)], fuel: 100_000); }
                        catch (WasmTrapException) { }
                    }
                }
                accepted++;
            }
            catch (WasmException)
            {
                rejected++;
            }
        }
        output.WriteLine($"{accepted} accepted, {rejected} rejected, {seeds.Count} seeds");
        Assert.True(accepted + rejected > 100);
        Assert.True(GC.GetTotalMemory(true) < 1L << 30, "memory not bounded");
        Assert.True(rejected > 0);
    }

    private static byte[] Mutate(byte[] b, Random rng)
    {
        int kind = rng.Next(5);
        int n = 1 + rng.Next(4);
        switch (kind)
        {
            case 0:
                for (int i = 0; i < n; i++) b[8 + rng.Next(b.Length - 8)] = (byte)rng.Next(256);
                return b;
            case 1:
                for (int i = 0; i < n; i++) b[8 + rng.Next(b.Length - 8)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 2:
                return b[..rng.Next(b.Length)];
            case 3:
            {
                int at = 8 + rng.Next(b.Length - 8);
                var extra = new byte[n];
                rng.NextBytes(extra);
                return [.. b[..at], .. extra, .. b[at..]];
            }
            default:
            {
                int at = 8 + rng.Next(b.Length - 8);
                int len = Math.Min(n, b.Length - at);
                return [.. b[..at], .. b[(at + len)..]];
            }
        }
    }
}
