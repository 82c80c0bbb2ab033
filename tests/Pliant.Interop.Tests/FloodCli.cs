using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// Issue 11 "Done when": a junk-Initial flood of 50,000 datagrams, sent by one process as fast as it
/// can on loopback, raises <c>pliant serve</c>'s RSS by less than 64 MB, and a <c>pliant get</c> (and an
/// in-process client) fetch a file during the flood. <c>pliant bench --flood</c> does both and prints the figures; this test
/// judges the outcomes only (the connect-time goal is a timing, judged by the benchmark).
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class FloodCli
{
    [Fact]
    public async Task ServeSurvivesAJunkInitialFloodAndARealClientCompletes()
    {
        var c = InteropCase.Create(nameof(FloodCli));
        using var bench = await PliantCli.RunAsync("pliant-bench-flood", c.Dir, TimeSpan.FromMinutes(3), "bench", "--flood", "--count", "50000");
        var output = bench.ReadStdout();
        Assert.True(bench.ExitCode == 0, bench.Tail(40));
        Assert.Contains("flood datagrams=50000", output);
        Assert.Matches(@"goal rss growth < 64 MB: [0-9.]+ MB PASS", output);
        Assert.Matches(@"real client connect_s=[0-9.]+ fetch_s=[0-9.]+ bytes=100000 \(during the flood\)", output);
        Assert.Matches(@"pliant get exit=0 wall_s=[0-9.]+ bytes=100000 \(during the flood\)", output);
        Assert.Matches(@"server cpu_s=[0-9.]+ us_per_junk_sent=[0-9.]+", output);
    }
}
