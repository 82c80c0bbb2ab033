using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Route;

/// <summary>
/// <c>pliant bench --route</c> end to end, small: three servers, the router and one <c>pliant get</c> per download; every
/// download completes and the summary and goal lines are printed. Figures are not judged here (timing on a shared
/// machine); docs/routing.md and bench/README.md have the acceptance runs.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class BenchRouteCli
{
    [Fact]
    public async Task BenchRoutePrintsGoodputCpuAndStatePerConnection()
    {
        var dir = TestDir.Create(nameof(BenchRouteCli));
        using var bench = await PliantCli.RunAsync("pliant-bench-route", dir, TimeSpan.FromMinutes(3), "bench", "--route", "--size", "16", "--runs", "1", "--timeout", "60");
        var output = bench.ReadStdout();
        Assert.True(bench.ExitCode == 0, bench.Tail(40));
        foreach (var name in new[] { "direct", "route-pliant", "route-foreign" }) Assert.Contains($"{name} run=1 goodput_mbit=", output);
        Assert.Matches(@"route-pliant goodput_mbit=[\d.]+ vs_direct=[\d.]+ router_cpu_s_per_gib=[\d.]+ router_state_bytes_per_connection=", output);
        Assert.Contains("goal goodput through the router >= 80% of direct: ", output);
        Assert.Contains("goal router state per Pliant connection after the handshake = 0 bytes: ", output);
        Assert.DoesNotContain("failed", output);
    }
}
