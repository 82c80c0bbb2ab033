using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// <c>pliant bench --kestrel</c> end to end, small (issue 14): samples/Http3Api under Kestrel and <c>pliant serve</c>, one
/// <c>pliant get</c> per download; every download completes and the table and goal lines are printed. Figures are not
/// judged here (timing on a shared machine); bench/README.md has the acceptance runs.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class BenchKestrelCli
{
    [Fact]
    public async Task BenchKestrelPrintsBothServersAndTheGoal()
    {
        var dir = TestDir.Create(nameof(BenchKestrelCli));
        using var bench = await PliantCli.RunAsync("pliant-bench-kestrel", dir, TimeSpan.FromMinutes(3),
            "bench", "--kestrel", "--size", "16", "--runs", "1", "--warmup", "4", "--timeout", "60");
        var output = bench.ReadStdout();
        Assert.True(bench.ExitCode == 0, bench.Tail(40));
        foreach (var name in new[] { "pliant-serve", "kestrel" }) Assert.Contains($"run=1 server={name} ok=1 goodput_mbit=", output);
        Assert.Matches(@"kestrel\s+\d+\s+[\d.]+", output);
        Assert.Matches(@"goal Kestrel-over-Pliant goodput >= 0\.8x pliant serve: [\d.]+x (PASS|FAIL)", output);
        Assert.DoesNotContain("failed", output);
    }
}
