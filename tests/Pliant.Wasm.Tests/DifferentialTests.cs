using System.Diagnostics;
using Xunit.Abstractions;

namespace Pliant.Wasm.Tests;

/// <summary>Random well-typed programs run by Pliant.Wasm and by wabt's wasm-interp; results must agree.</summary>
public class DifferentialTests(ITestOutputHelper output)
{
    private static string? Interp()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var p = Path.Combine(dir, "wasm-interp");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    [Fact]
    public void AgreesWithWabtInterpreter()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("PLIANT_WASM_FUZZ_SEED"), out var s) ? s : 4242;
        int count = int.TryParse(Environment.GetEnvironmentVariable("PLIANT_WASM_DIFF_PROGRAMS"), out var c) ? c : 150;
        Agree(new ProgramGenerator(new Random(seed)).Module, count, seed);
    }

    /// <summary>Random SIMD programs (every 2.0 vector opcode; NaN lanes masked, see SimdProgramGenerator).</summary>
    [Fact]
    public void SimdProgramsAgreeWithWabtInterpreter()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("PLIANT_WASM_FUZZ_SEED"), out var s) ? s : 1616;
        int count = int.TryParse(Environment.GetEnvironmentVariable("PLIANT_WASM_DIFF_PROGRAMS"), out var c) ? c : 300;
        Agree(new Simd.SimdProgramGenerator(new Random(seed)).Module, count, seed);
    }

    private void Agree(Func<byte[]> next, int count, int seed)
    {
        var interp = Interp();
        if (interp == null)
        {
            output.WriteLine("SKIPPED: wasm-interp (wabt) not on PATH");
            return;
        }
        var dir = Directory.CreateTempSubdirectory("pliant-diff").FullName;
        int traps = 0;
        try
        {
            for (int i = 0; i < count; i++)
            {
                var bytes = next();
                var ours = RunOurs(bytes);
                var path = Path.Combine(dir, $"p{i}.wasm");
                File.WriteAllBytes(path, bytes);
                var theirs = RunWabt(interp, path);
                if (ours == "trap") traps++;
                Assert.True(ours == theirs, $"program {i} (seed {seed}): ours {ours}, wabt {theirs}; kept at {path}");
                File.Delete(path);
            }
            output.WriteLine($"{count} programs agree ({traps} trap)");
        }
        finally
        {
            if (Directory.GetFiles(dir).Length == 0) Directory.Delete(dir);
        }
    }

    private static string RunOurs(byte[] bytes)
    {
        var inst = CompiledModule.Compile(bytes).Instantiate();
        try
        {
            return ((ulong)inst.Invoke("f", [], fuel: 10_000_000)[0].I64).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (WasmTrapException)
        {
            return "trap";
        }
    }

    private static string RunWabt(string interp, string path)
    {
        var psi = new ProcessStartInfo(interp, ["--run-all-exports", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(20_000))
        {
            p.Kill();
            return "timeout";
        }
        string text = stdout.Result + stderr.Result;
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("f() =>", StringComparison.Ordinal)) ?? text;
        if (line.Contains("error", StringComparison.Ordinal)) return "trap";
        int k = line.IndexOf("i64:", StringComparison.Ordinal);
        return k < 0 ? "unparsed: " + text.Trim() : line[(k + 4)..].Trim();
    }
}
