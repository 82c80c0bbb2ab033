using Pliant.Wasm.Runtime;

namespace Pliant.Wasm.Tests.Bench;

/// <summary>
/// The modules of <c>pliant bench --wasm-vs-node</c> (bench/wasm/vsnode, the committed clang builds of
/// workloads.c): every kernel runs, the scalar and the -msimd128 build agree (the vectorised code computes
/// the same checksum through v128 instructions), and two kernels match a C# port of their C source.
/// </summary>
public class VsNodeWorkloadsTests
{
    /// <summary>Each kernel with a small size (the bench uses 100–20,000,000).</summary>
    public static TheoryData<string, int> Kernels() => new()
    {
        { "float_math", 3 }, { "int_math", 5000 }, { "bits", 2 }, { "interp", 2000 },
        { "conversions", 2 }, { "memcopy", 2 }, { "recursion", 1 }, { "checksum", 1 },
    };

    private static string Dir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Pliant.slnx"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("repository root"), "bench", "wasm", "vsnode");
    }

    private static uint Run(string file, string kernel, int n)
    {
        var inst = CompiledModule.Compile(File.ReadAllBytes(Path.Combine(Dir(), file))).Instantiate(new Imports().Function("env", "host_empty", () => { }));
        return (uint)inst.GetFunction<Func<int, int>>(kernel)(n);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ScalarAndSimdBuildsAgree(string kernel, int n)
    {
        uint scalar = Run("workloads.wasm", kernel, n);
        Assert.Equal(scalar, Run("workloads-simd.wasm", kernel, n));
        Assert.NotEqual(scalar, Run("workloads.wasm", kernel, n + 1)); // the size reaches the result
    }

    [Fact]
    public void IntMathMatchesCSharp()
    {
        uint a = 12345, b = 67890, c = 0;
        for (int i = 0; i < 5000; i++)
        {
            a = a * 1103515245u + 12345u;
            b ^= b << 13; b ^= b >> 17; b ^= b << 5;
            c += (a / ((b & 0xFFFF) | 1)) + (b % ((a >> 16) | 1)) + (uint)((int)a >> 3) * 7u;
        }
        Assert.Equal(a ^ b ^ c, Run("workloads.wasm", "int_math", 5000));
        Assert.Equal(a ^ b ^ c, Run("workloads-simd.wasm", "int_math", 5000));
    }

    [Fact]
    public void RecursionMatchesCSharp()
    {
        static int Fib(int x) => x < 2 ? x : Fib(x - 1) + Fib(x - 2);
        static int Tak(int x, int y, int z) => y < x ? Tak(Tak(x - 1, y, z), Tak(y - 1, z, x), Tak(z - 1, x, y)) : z;
        uint acc = 0;
        for (int i = 0; i < 3; i++) acc += (uint)Fib(22 + (i & 1)) + (uint)Tak(12, 8, 4 + (i & 1));
        Assert.Equal(acc, Run("workloads.wasm", "recursion", 3));
    }
}
