using System.Diagnostics;
using Pliant.Wasm.Spec;
using Xunit.Abstractions;

namespace Pliant.Wasm.Tests.Simd;

/// <summary>
/// The official SIMD suite (58 files, wast2json output of convert-simd.sh): in this process, and in
/// child processes with the hardware paths switched off, so every fallback in V128Ops is run.
/// </summary>
public class SimdSuiteTests(ITestOutputHelper output)
{
    /// <summary>Commands in the 58 files that can run from binary modules (the rest are .wat, skipped).</summary>
    private const int BinaryCommands = 25478;

    [Fact]
    public void OfficialSimdSuitePasses()
    {
        var dir = SpecSuiteTests.SimdSpecDir();
        if (dir == null)
        {
            output.WriteLine("SKIPPED: no converted SIMD suite; run `bash ../shared/wasm-testsuite/convert-simd.sh artifacts/wasm-spec-simd` or set PLIANT_WASM_SIMD_SPEC_DIR");
            return;
        }
        var results = new SpecRunner().RunAll([dir]);
        int passed = results.Sum(r => r.Passed), failed = results.Sum(r => r.Failed), skipped = results.Sum(r => r.Skipped);
        foreach (var f in results.SelectMany(r => r.Failures).Take(50)) output.WriteLine(f);
        output.WriteLine($"{results.Count} files: {passed} passed, {failed} failed, {skipped} skipped");
        Assert.Equal(58, results.Count);
        Assert.Equal(0, failed);
        Assert.Equal(BinaryCommands, passed);
    }

    /// <summary>
    /// .NET 10's switches: <c>EnableHWIntrinsic=0</c> leaves only the portable (per-element software)
    /// paths; <c>EnableSSE42=0</c> leaves SSE2 (no pshufb, pmulhrsw, packusdw, roundps...);
    /// <c>EnableAVX512=0</c> leaves AVX2 (no vpmullq, vpsraq, vpabsq).
    /// </summary>
    [Theory]
    [InlineData("DOTNET_EnableHWIntrinsic", "False")]
    [InlineData("DOTNET_EnableSSE42", "True")]
    [InlineData("DOTNET_EnableAVX512", "True")]
    public void OfficialSimdSuitePassesWithHardwarePathsDisabled(string variable, string accelerated)
    {
        var dir = SpecSuiteTests.SimdSpecDir();
        if (dir == null)
        {
            output.WriteLine("SKIPPED: no converted SIMD suite");
            return;
        }
        var psi = new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "--spec", dir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment[variable] = "0";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(600_000), "child spec run hung");
        string text = stdout.Result + stderr.Result;
        output.WriteLine(text);
        Assert.Contains($"accelerated={accelerated} {BinaryCommands} passed, 0 failed, 510 skipped", text, StringComparison.Ordinal);
        Assert.Equal(0, p.ExitCode);
    }
}
