using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// <c>pliant bench --vs-ngtcp2</c> end to end, small: a Pliant server and client in separate processes
/// and ngtcp2's pair in the same run; the table and the goal lines are printed. Figures are not judged
/// here (timing on a shared machine); bench/README.md has the acceptance runs.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class BenchCli
{
    [Fact]
    public async Task BenchPrintsTheSideBySideTable()
    {
        var c = InteropCase.Create(nameof(BenchCli));
        using var bench = await PliantCli.RunAsync("pliant-bench", c.Dir, TimeSpan.FromMinutes(4),
            "bench", "--size", "16", "--warmup", "4", "--runs", "2", "--vs-ngtcp2", "--timeout", "120", "--handshakes", "2", "--handshake-warmup", "1");
        var output = bench.ReadStdout();
        Assert.True(bench.ExitCode == 0, bench.Tail(60));
        Assert.Contains("pair=pliant", output);
        Assert.Contains("pair=ngtcp2", output);
        foreach (var row in new[]
        {
            "goodput Mbit/s (process wall)", "server CPU s/GiB", "client CPU s/GiB (process)",
            "client alloc KiB/GiB (steady state)", "server datagrams/send syscall", "goal goodput >= 1.0x ngtcp2",
            "goal CPU/GiB <= 1.0x ngtcp2", "goal alloc/GiB < 1 MiB in steady state",
            "goal fast path kept (>= 1.4x goodput, <= 0.7x CPU/GiB)", "per round (pliant/ngtcp2): goodput",
            "server CPU ms per handshake, second by second after a 1 s warm-up:", "goal full handshakes per server core-second >= 1000:",
        })
        {
            Assert.Contains(row, output);
        }
        // Both pairs moved the data (a failed run prints "status=1" or "failed"), in alternating rounds.
        Assert.DoesNotContain("status=1", output);
        var order = output.Split('\n').Where(l => l.StartsWith("run=1 ", StringComparison.Ordinal) || l.StartsWith("run=2 ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[0] + " " + l.Split(' ')[1]).ToArray();
        Assert.Equal(["run=1 pair=pliant", "run=1 pair=ngtcp2", "run=2 pair=ngtcp2", "run=2 pair=pliant"], order);
        Assert.Matches(@"handshakes n=\d+ failed=0 ", output);
    }

    /// <summary>
    /// <c>pliant bench --isolation</c> end to end, small: one server with a listener per configuration,
    /// one client driven over stdin, every configuration downloaded in every round, the table and
    /// both target lines printed. The verdicts are not judged here (timing); bench/README.md has the runs.
    /// </summary>
    [Fact]
    public async Task IsolationPrintsTheTableAndBothTargets()
    {
        var c = InteropCase.Create(nameof(BenchCli));
        using var bench = await PliantCli.RunAsync("pliant-bench-isolation", c.Dir, TimeSpan.FromMinutes(4),
            "bench", "--isolation", "--plugins", PluginsOut(), "--size", "16", "--runs", "2", "--warmup", "4", "--timeout", "120");
        var output = bench.ReadStdout();
        Assert.True(bench.ExitCode == 0, bench.Tail(60));
        foreach (var key in new[] { "cubic", "monitoring", "newreno", "wasm-newreno" })
            Assert.Equal(2, output.Split('\n').Count(l => l.StartsWith("round=", StringComparison.Ordinal) && l.Contains($" config={key} ", StringComparison.Ordinal)));
        Assert.Contains("target monitoring (monitoring) goodput loss <= 5 %", output);
        Assert.Contains("target WASM congestion control (newreno in wasm) goodput loss <= 10 %", output);
        Assert.DoesNotContain("failed", output);
        // Calls into the plugins are counted on both peers; the native configurations make none.
        foreach (var line in output.Split('\n').Where(l => l.StartsWith("round=", StringComparison.Ordinal) && l.Contains(" config=", StringComparison.Ordinal)))
        {
            bool plugin = line.Contains(" config=monitoring ", StringComparison.Ordinal) || line.Contains(" config=wasm-newreno ", StringComparison.Ordinal);
            Assert.True(plugin != line.Contains(" plugin_calls_per_gib=0 ", StringComparison.Ordinal), line);
        }
    }

    /// <summary>
    /// <c>pliant bench --components</c> (issue 15's NOMS'25 table) end to end, small: all-native, each component in
    /// WASM, all at once — every configuration in every round, calls into plugins only where they are attached, a
    /// goal line per row. The verdicts are not judged here (timing).
    /// </summary>
    [Fact]
    public async Task ComponentsPrintsARowAndAGoalPerComponent()
    {
        var c = InteropCase.Create(nameof(BenchCli));
        using var bench = await PliantCli.RunAsync("pliant-bench-components", c.Dir, TimeSpan.FromMinutes(4),
            "bench", "--components", "--plugins", PluginsOut(), "--size", "8", "--runs", "2", "--warmup", "0", "--timeout", "120");
        var output = bench.ReadStdout();
        Assert.True(bench.ExitCode == 0, bench.Tail(60));
        var rounds = output.Split('\n').Where(l => l.StartsWith("round=", StringComparison.Ordinal) && l.Contains(" config=", StringComparison.Ordinal)).ToList();
        foreach (var key in new[] { "native", "cc", "ack", "frames", "streams", "flow", "loss", "monitoring", "all" })
        {
            var mine = rounds.Where(l => l.Contains($" config={key} ", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, mine.Count);
            // Loss detection is asked only about packets below the largest acknowledged: none on a loss-free loopback.
            if (key != "loss") Assert.All(mine, l => Assert.True(key == "native" == l.Contains(" plugin_calls_per_gib=0 ", StringComparison.Ordinal), l));
        }
        Assert.Equal(7, output.Split('\n').Count(l => l.StartsWith("target one component in WASM (", StringComparison.Ordinal) && l.Contains("goodput loss <= 10 %", StringComparison.Ordinal)));
        Assert.Contains("target all components in WASM (all at once) goodput loss <= 25 %", output);
        Assert.DoesNotContain("failed", output);
    }

    /// <summary>
    /// <c>pliant bench --connections</c> end to end, small: pliant serve and gtlsserver against the same load
    /// generator, short and idle connections, the side-by-side table and the goal lines. Figures not judged.
    /// </summary>
    [Fact]
    public async Task ConnectionsPrintsTheSideBySideTable()
    {
        var c = InteropCase.Create(nameof(BenchCli));
        using var bench = await PliantCli.RunAsync("pliant-bench-connections", c.Dir, TimeSpan.FromMinutes(4),
            "bench", "--connections", "--vs-ngtcp2", "--count", "60", "--idle", "40", "--concurrency", "8", "--timeout", "120", "--threads", "2");
        var output = bench.ReadStdout();
        Assert.True(bench.ExitCode == 0, bench.Tail(60));
        // Two interleaved rounds of 30 short connections per server, the order flipped in the second.
        Assert.Contains("server=pliant round=1 short conns=30 ok=30 failed=0", output);
        Assert.Contains("server=pliant round=2 short conns=30 ok=30 failed=0", output);
        var rounds = output.Split('\n').Where(l => l.Contains(" round=", StringComparison.Ordinal) && l.Contains(" short conns=", StringComparison.Ordinal))
            .Select(l => l.Split(' ')[0] + " " + l.Split(' ')[1]).ToArray();
        Assert.Equal(["server=pliant round=1", "server=ngtcp2 round=1", "server=ngtcp2 round=2", "server=pliant round=2"], rounds);
        // ngtcp2's server is the reference, not the subject: on a loaded machine one of its 60 connections
        // may time out in the load generator; the comparison still needs almost all of them.
        var ng = System.Text.RegularExpressions.Regex.Match(output, @"server=ngtcp2 conns=(\d+) rounds=2 ");
        Assert.True(ng.Success && int.Parse(ng.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 54, bench.Tail(30));
        Assert.Contains("CPU per short connection, pliant/ngtcp2 per interleaved round:", output);
        Assert.Contains("idle_opened=40 idle_second_requests_failed=0", output);
        foreach (var row in new[]
        {
            "server CPU ms per short connection", "server context switches per connection", "handshakes per server core-second",
            "time to first byte p99 ms", "server RSS KB per open idle connection", "goal server CPU per short connection <= 1.0x ngtcp2",
            "goal RSS per open idle connection <= 1.0x ngtcp2", "goal context switches per short connection <= 30",
            "short connections per second (wall)", "goal server CPU per short connection with 2 threads <= 1.1x 1 thread",
            "scaling round=2 threads=2", "95 % interval",
        })
        {
            Assert.Contains(row, output);
        }
    }

    /// <summary>
    /// <c>pliant bench --path</c> end to end, small: every Pliant controller and ngtcp2's CUBIC download through
    /// their own impairment relay (rate, delay, random loss), interleaved; one line per download with what the
    /// relay dropped, and the table. Figures are not judged (timing); bench/README.md has the runs.
    /// </summary>
    [Fact]
    public async Task PathPrintsEveryControllerThroughTheRelay()
    {
        var c = InteropCase.Create(nameof(BenchCli));
        using var bench = await PliantCli.RunAsync("pliant-bench-path", c.Dir, TimeSpan.FromMinutes(4),
            "bench", "--path", "rate=50mbit,delay=5ms,loss=1%", "--size", "2", "--runs", "1", "--vs-ngtcp2", "--ngtcp2-cc", "cubic", "--timeout", "120");
        var output = bench.ReadStdout();
        Assert.True(bench.ExitCode == 0, bench.Tail(60));
        var rounds = output.Split('\n').Where(l => l.StartsWith("round=1 ", StringComparison.Ordinal)).ToArray();
        foreach (var key in BenchControllers.Append("ngtcp2-cubic"))
        {
            var line = Assert.Single(rounds, l => l.Contains($" config={key} ", StringComparison.Ordinal));
            // The relay saw the download and dropped some of it (1 % of ~1,500 datagrams, seeded).
            Assert.Matches(@" down_lost=[1-9]", line);
        }
        Assert.Contains("pliant cubic", output);
        Assert.Contains("ngtcp2 cubic", output);
        // The WASM BBR's row (when plugins/out/cc-bbr.wasm is found from the working directory) comes with its goal line.
        if (output.Contains(" config=bbr-wasm ", StringComparison.Ordinal)) Assert.Contains("goal WASM BBR within 10 % of native BBR", output);
        Assert.DoesNotContain("failed", output);
    }

    /// <summary>
    /// <c>pliant bench --path</c> rejects an unknown controller or a malformed impairment with the usage exit code.
    /// </summary>
    [Theory]
    [InlineData("--cc", "vegas")]
    [InlineData("--ngtcp2-cc", "vegas")]
    [InlineData("--path", "loss=200%")]
    [InlineData("--path", "rate=fast")]
    public async Task PathRejectsBadArguments(string option, string value)
    {
        var c = InteropCase.Create(nameof(BenchCli));
        string[] args = option == "--path" ? ["bench", "--path", value, "--vs-ngtcp2"] : ["bench", "--path", "delay=1ms", "--vs-ngtcp2", option, value];
        using var bench = await PliantCli.RunAsync("pliant-bench-path-usage", c.Dir, TimeSpan.FromMinutes(1), args);
        Assert.Equal(2, bench.ExitCode);
        Assert.DoesNotContain("round=", bench.ReadStdout());
    }

    /// <summary>Pliant's controllers as <c>pliant bench --path</c> runs them by default.</summary>
    private static readonly string[] BenchControllers = ["cubic", "newreno", "bbr"];

    [Fact]
    public async Task TenThousandConnectionsHoldAndEachCompletesARequest()
    {
        // Issue 17: 10,000 concurrent connections to one pliant serve (default limits), held idle, then one
        // more request on each; the server's RSS growth stays within the 100 KB per connection budget.
        var c = InteropCase.Create(nameof(BenchCli));
        using var bench = await PliantCli.RunAsync("pliant-bench-10k", c.Dir, TimeSpan.FromMinutes(8),
            "bench", "--connections", "--count", "0", "--idle", "10000", "--concurrency", "64", "--timeout", "400");
        var output = bench.ReadStdout();
        Assert.True(bench.ExitCode == 0, bench.Tail(60));
        Assert.Contains("idle_opened=10000 idle_second_requests_failed=0", output);
        var rss = System.Text.RegularExpressions.Regex.Match(output, @"server=pliant rss_kb_per_idle_conn=([0-9.]+)");
        Assert.True(rss.Success, bench.Tail(20));
        double kb = double.Parse(rss.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(kb <= 100, $"{kb} KB of server RSS per idle connection");
        Assert.Contains("goal CPU while connections idle <= 1% of a core", output);
    }

    private static string PluginsOut() => RepoPaths.PluginsOut;
}
