using Pliant.Wasm.Spec;
using Xunit.Abstractions;

namespace Pliant.Wasm.Tests;

/// <summary>Runs the official suite (wast2json output) and requires zero failures.</summary>
public class SpecSuiteTests(ITestOutputHelper output)
{
    /// <summary>The converted core suite: $PLIANT_WASM_SPEC_DIR or artifacts/wasm-spec.</summary>
    internal static string? SpecDir() => ConvertedDir("PLIANT_WASM_SPEC_DIR", "wasm-spec");

    /// <summary>The converted SIMD suite (convert-simd.sh): $PLIANT_WASM_SIMD_SPEC_DIR or artifacts/wasm-spec-simd.</summary>
    internal static string? SimdSpecDir() => ConvertedDir("PLIANT_WASM_SIMD_SPEC_DIR", "wasm-spec-simd");

    private static string? ConvertedDir(string variable, string artifact)
    {
        var env = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? env : null;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Pliant.slnx"))) dir = dir.Parent;
        if (dir == null) return null;
        var spec = Path.Combine(dir.FullName, "artifacts", artifact);
        return Directory.Exists(spec) && Directory.GetFiles(spec, "*.json").Length > 0 ? spec : null;
    }

    [Fact]
    public void OfficialSuitePasses()
    {
        var dir = SpecDir();
        if (dir == null)
        {
            output.WriteLine("SKIPPED: no converted suite; run `bash ../shared/wasm-testsuite/convert.sh artifacts/wasm-spec` or set PLIANT_WASM_SPEC_DIR");
            return;
        }
        var results = new SpecRunner().RunAll([dir]);
        int passed = results.Sum(r => r.Passed), failed = results.Sum(r => r.Failed), skipped = results.Sum(r => r.Skipped);
        foreach (var f in results.SelectMany(r => r.Failures).Take(50)) output.WriteLine(f);
        output.WriteLine($"{results.Count} files: {passed} passed, {failed} failed, {skipped} skipped");
        Assert.True(results.Count >= 90, $"expected the 90 converted files, found {results.Count}");
        Assert.Equal(0, failed);
        Assert.True(passed > 27000, $"only {passed} passed");
    }
}
