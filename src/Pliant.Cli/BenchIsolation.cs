using System.Diagnostics;
using System.Globalization;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant bench --isolation</c> (issue 4's table): the same download with no plugin, with the
/// monitoring plugin, with native NewReno and with NewReno in WASM, each plugin configuration compared
/// with its native twin. One server process serves all four configurations (a listener each) and one
/// client process downloads from them in turn, driven over its stdin: the configurations share the
/// processes' JIT code, heap and threads, so what differs between them is the plugin alone. Every
/// round gives each configuration one download, in an order that rotates and reverses from round to
/// round (<see cref="RoundOrder"/>), so slow drifts of a shared machine spread over all
/// configurations; the changes are medians of the per-round paired ratios (configuration / twin of
/// the same round).
/// </summary>
internal static partial class BenchCommand
{
    /// <summary>Rounds of <c>--isolation</c> when <c>--runs</c> is not given.</summary>
    internal const int IsolationDefaultRounds = 48;

    /// <summary>Download size of <c>--isolation</c> (MiB) when <c>--size</c> is not given.</summary>
    internal const int IsolationDefaultSizeMiB = 64;

    /// <summary>
    /// Where <c>--isolation</c> runs its peers: both processes on one core (the last) unless
    /// <c>--taskset</c> says otherwise (<c>none</c>: anywhere). On one core the transfer is bound by the
    /// two processes' CPU together, so a plugin's cost shows in the goodput whole, and the scheduler
    /// cannot place the peers' hot threads differently from download to download — unpinned, on the
    /// 2-core VM, that placement alone moves goodput by ±30 % per download.
    /// </summary>
    private static string? IsolationTaskset(string? option) => option switch
    {
        null => (Environment.ProcessorCount - 1).ToString(Inv),
        "none" => null,
        _ => option,
    };

    /// <summary>Largest goodput loss against the native twin the issue accepts (monitoring; WASM congestion control).</summary>
    private const double MonitoringTarget = 0.05, WasmCcTarget = 0.10;

    /// <summary>One configuration: a short key for the run lines, the plugin (null: none), the native controller, and its twin's index (-1: none).</summary>
    private sealed record IsolationConfig(string Key, string Name, string? Plugin, string Cc, int Twin)
    {
        /// <summary>The configuration as the bench peers' <c>KEY:CC:PLUGIN</c>.</summary>
        public string Spec => BenchPeers.PeerConfig.Format(Key, Cc, Plugin);
    }

    /// <summary>What one run gives the table (NaN for a failed run).</summary>
    private readonly record struct IsolationSample(double Goodput, double ServerCpuPerGiB, double ClientCpuPerGiB,
        double PluginSecondsPerGiB = 0, double PluginCallsPerGiB = 0)
    {
        public static readonly IsolationSample Failed = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

        public double CpuPerGiB => ServerCpuPerGiB + ClientCpuPerGiB;
    }

    /// <summary>The shared server (one listener per configuration) and the client that downloads from them in turn.</summary>
    private sealed class IsolationPeers(Settings s, BenchProcess server, int serverPid, BenchProcess client) : IDisposable
    {
        private double ServerCpu => BenchCommand.ServerCpu(server, serverPid);

        /// <summary>One download of <paramref name="bytes"/> with configuration <paramref name="key"/>; waits for both processes to go quiet after it.</summary>
        public IsolationSample Download(string key, long bytes, out string? error)
        {
            double srv0 = ServerCpu;
            client.Send(string.Create(Inv, $"get {key} {bytes}"));
            var line = client.WaitForLine("result", s.Timeout);
            double serverCpu = ServerCpu - srv0;
            var xferLine = line is null ? null : server.WaitForLine("xfer", TimeSpan.FromSeconds(15));
            var x = xferLine is null ? null : BenchProcess.Parse(xferLine);
            // The server's own account of its CPU time (µs, where /proc gives 10 ms ticks: 12 % of a
            // 64 MiB download) from the end of the previous download to the end of this one, which
            // covers the handshake and the plugin's attach.
            double serverProcCpu = NumOrZero(x, "proc_cpu_s");
            if (serverProcCpu > 0 && _serverProcCpu > 0) serverCpu = serverProcCpu - _serverProcCpu;
            _serverProcCpu = serverProcCpu;
            SenderState = x is null ? "" : string.Join(' ', x
                .Where(kv => kv.Key is "cc_limited" or "pacing_limited" or "lost" or "cwnd" or "srtt_us" or "dgram_sent" or "send_calls")
                .Select(kv => kv.Key + "=" + kv.Value));
            // Connection close, draining and background JIT go on for a moment: keep them off the next download.
            WaitIdle(() => ServerCpu + client.CpuSeconds, TimeSpan.FromSeconds(2));
            if (line is null) { error = "no result: " + client.Stderr; return IsolationSample.Failed; }
            var d = BenchProcess.Parse(line);
            if (d.GetValueOrDefault("ok") != "1") { error = line; return IsolationSample.Failed; }
            error = null;
            double perGiB = GiB / bytes;
            double pluginUs = NumOrZero(d, "plugin_us") + NumOrZero(x, "plugin_us");
            double pluginCalls = NumOrZero(d, "plugin_calls") + NumOrZero(x, "plugin_calls");
            AttachUs = NumOrZero(d, "plugin_attach_us");
            return new(bytes * 8 / BenchProcess.Num(d, "wall_s") / 1e6, serverCpu * perGiB, BenchProcess.Num(d, "cpu_s") * perGiB,
                pluginUs / 1e6 * perGiB, pluginCalls * perGiB);
        }

        private double _serverProcCpu;

        /// <summary>How long attaching the plugin took in the client (µs) in the last download.</summary>
        public double AttachUs { get; private set; }

        /// <summary><see cref="BenchProcess.Num"/>, with 0 for a missing line or figure (a peer without plugins prints none).</summary>
        private static double NumOrZero(Dictionary<string, string>? line, string key) =>
            line is null || BenchProcess.Num(line, key) is var v && double.IsNaN(v) ? 0 : v;

        /// <summary>The server's account of the last download: why it waited, losses, its window and RTT at the end.</summary>
        public string SenderState { get; private set; } = "";

        public void Dispose()
        {
            client.Stop(TimeSpan.FromSeconds(10));
            client.Dispose();
            server.Stop(TimeSpan.FromSeconds(5));
            server.Dispose();
        }
    }

    private static int RunIsolation(string? pluginDir, bool components, Settings s)
    {
        var configs = components ? ComponentConfigs(pluginDir) : IsolationConfigs(pluginDir);
        if (configs is null) return ExitCodes.Usage;
        long bytes = (long)s.SizeMiB << 20;
        Console.WriteLine(string.Create(Inv,
            $"# pliant bench {(components ? "--components" : "--isolation")} size_mib={s.SizeMiB} rounds={s.Runs} warmup_mib={s.WarmupMiB} cores={Environment.ProcessorCount} " +
            $"taskset={s.Taskset ?? "-"} date={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}"));
        using var peers = StartIsolationPeers(s, configs);
        if (peers is null) return 1;
        if (s.WarmupMiB > 0)
        {
            // JIT (tier-up) of both processes and of each plugin's compiled code, first attaches, and the
            // growth of the receive window and its chunk pool to what a download of this size reaches:
            // one-time costs of a process, not of isolation. Warm-ups smaller than the measured size left
            // that growth to the first measured round (all four configurations ~50 % slower).
            // Two passes left the first measured rounds ~40 % slower than the rest (tier-1 JIT still
            // arriving): at least 512 MiB per configuration.
            long warmup = (long)Math.Max(s.WarmupMiB, s.SizeMiB) << 20;
            int passes = (int)Math.Max(2, ((512L << 20) + warmup - 1) / warmup);
            for (int pass = 0; pass < passes; pass++)
                foreach (var c in configs)
                    if (double.IsNaN(peers.Download(c.Key, warmup, out var error).Goodput))
                        Console.WriteLine($"warm-up of '{c.Name}' failed: {error}");
        }
        int k = configs.Length;
        var samples = new IsolationSample[k][];
        for (int c = 0; c < k; c++) samples[c] = new IsolationSample[s.Runs];
        for (int round = 0; round < s.Runs; round++)
        {
            for (int j = 0; j < k; j++)
            {
                int c = RoundOrder(round, j, k);
                var x = samples[c][round] = peers.Download(configs[c].Key, bytes, out var error);
                Console.WriteLine(string.Create(Inv,
                    $"round={round + 1} config={configs[c].Key} goodput_mbit={x.Goodput:F1} server_cpu_s_per_gib={x.ServerCpuPerGiB:F3} " +
                    $"client_cpu_s_per_gib={x.ClientCpuPerGiB:F3} plugin_calls_per_gib={x.PluginCallsPerGiB:F0} plugin_ms_per_gib={x.PluginSecondsPerGiB * 1e3:F1} client_attach_us={peers.AttachUs:F0} {peers.SenderState}{(error is null ? "" : " failed: " + error)}"));
            }
            PrintRoundRatios(configs, samples, round);
        }
        Console.WriteLine();
        PrintIsolationTable(s, configs, samples, components);
        return samples.All(row => row.All(x => !double.IsNaN(x.Goodput))) ? 0 : 1;
    }

    /// <summary>
    /// The configuration that runs <paramref name="j"/>-th in round <paramref name="round"/>: the list
    /// rotated by round / 2, backwards in odd rounds. Rotation spreads slow drifts over all configurations;
    /// the reversal makes each configuration run as often just before its twin as just after it (a
    /// download can leave work — garbage, a tier-up — that lands on the next one).
    /// </summary>
    internal static int RoundOrder(int round, int j, int k)
    {
        int position = round % 2 == 0 ? j : k - 1 - j;
        return (round / 2 + position) % k;
    }

    /// <summary>CPU lists of the server and the client: <c>split</c> puts them on the last two CPUs, one each; anything else is shared.</summary>
    private static (string? Server, string? Client) SplitTaskset(string? taskset)
    {
        if (taskset != "split") return (taskset, taskset);
        int last = Environment.ProcessorCount - 1;
        return (last.ToString(Inv), Math.Max(0, last - 1).ToString(Inv));
    }

    /// <summary>Starts the server with a listener per configuration and the client loop; null (and a message) if either did not start.</summary>
    private static IsolationPeers? StartIsolationPeers(Settings s, IsolationConfig[] configs)
    {
        var (serverCpu, clientCpu) = SplitTaskset(s.Taskset);
        var server = StartPeer(s with { Taskset = serverCpu }, null, ["bench", "server", .. configs.SelectMany(c => new[] { "--listen", c.Spec })]);
        var ports = new Dictionary<string, string>(StringComparer.Ordinal);
        string pin = "";
        int pid = 0;
        foreach (var _ in configs)
        {
            var ready = server.WaitForLine("listening", TimeSpan.FromSeconds(30));
            if (ready is null)
            {
                Console.Error.WriteLine("pliant bench --isolation: the server did not start: " + server.Stderr);
                server.Dispose();
                return null;
            }
            var info = BenchProcess.Parse(ready);
            ports[info["key"]] = info["port"];
            pin = info["fingerprint"];
            pid = int.Parse(info.GetValueOrDefault("pid", "0"), Inv);
        }
        var client = StartPeer(s with { Taskset = clientCpu }, null,
            ["bench", "client-loop", "--pin", pin, .. configs.SelectMany(c => new[] { "--target", $"{c.Key}:{ports[c.Key]}:{c.Cc}:{c.Plugin}" })]);
        if (client.WaitForLine("ready", TimeSpan.FromSeconds(60)) is null)
        {
            Console.Error.WriteLine("pliant bench --isolation: the client did not start: " + client.Stderr);
            client.Dispose();
            server.Dispose();
            return null;
        }
        return new IsolationPeers(s, server, pid, client);
    }

    /// <summary>Waits until <paramref name="cpuSeconds"/> stops growing (at most <paramref name="max"/>).</summary>
    private static void WaitIdle(Func<double> cpuSeconds, TimeSpan max)
    {
        var sw = Stopwatch.StartNew();
        double last = cpuSeconds();
        while (sw.Elapsed < max)
        {
            Thread.Sleep(100);
            double now = cpuSeconds();
            if (double.IsNaN(now) || now - last < 0.004) return;
            last = now;
        }
    }

    /// <summary>The four configurations, or null (and a message) when the plugins are not built.</summary>
    private static IsolationConfig[]? IsolationConfigs(string? pluginDir)
    {
        pluginDir ??= RepositoryPlugins();
        if (pluginDir is null)
        {
            Console.Error.WriteLine("pliant bench --isolation: run it inside the repository (plugins/out is needed) or give --plugins DIR");
            return null;
        }
        string monitoring = Path.GetFullPath(Path.Combine(pluginDir, "monitoring.wasm"));
        string newReno = Path.GetFullPath(Path.Combine(pluginDir, "cc-newreno.wasm"));
        foreach (var p in new[] { monitoring, newReno })
        {
            if (File.Exists(p)) continue;
            Console.Error.WriteLine($"pliant bench --isolation: {p} is missing: run plugins/build.sh");
            return null;
        }
        return
        [
            new("cubic", "no plugin (cubic)", null, "cubic", -1),
            new("monitoring", "monitoring", monitoring, "cubic", 0),
            new("newreno", "native newreno", null, "newreno", -1),
            new("wasm-newreno", "newreno in wasm", newReno, "newreno", 2),
        ];
    }

    private static void PrintRoundRatios(IsolationConfig[] configs, IsolationSample[][] samples, int round)
    {
        foreach (var (c, i) in configs.Select((c, i) => (c, i)))
        {
            if (c.Twin < 0) continue;
            var (x, twin) = (samples[i][round], samples[c.Twin][round]);
            Console.WriteLine(string.Create(Inv,
                $"round={round + 1} {c.Key}/{configs[c.Twin].Key} goodput={Percent(x.Goodput / twin.Goodput - 1)} cpu_per_gib={Percent(x.CpuPerGiB / twin.CpuPerGiB - 1)}"));
        }
    }

    /// <summary>Per-round changes of <paramref name="get"/> against the twin (rounds where both ran).</summary>
    private static double[] PairedChanges(IsolationSample[] mine, IsolationSample[] twin, Func<IsolationSample, double> get) =>
        [.. mine.Zip(twin, (m, t) => get(m) / get(t) - 1).Where(x => double.IsFinite(x))];

    private static void PrintIsolationTable(Settings s, IsolationConfig[] configs, IsolationSample[][] samples, bool components)
    {
        Console.WriteLine(string.Create(Inv,
            $"{s.Runs} interleaved round(s) of {s.SizeMiB} MiB over 127.0.0.1: medians; changes are medians of the per-round ratios to the native twin with their 95 % confidence interval"));
        Console.WriteLine(string.Create(Inv,
            $"{"configuration",-20}{"goodput",9}{"server",8}{"client",8}  {"inside the plugin",-22}{"goodput vs twin",-26}{"CPU/GiB vs twin",-16}"));
        Console.WriteLine(string.Create(Inv,
            $"{"",-20}{"Mbit/s",9}{"s/GiB",8}{"s/GiB",8}  {"ms/GiB calls/GiB CPU",-22}{"median [95% CI]",-26}{"(server+client)",-16}"));
        for (int i = 0; i < configs.Length; i++)
        {
            var row = samples[i];
            string g = "-", cpu = "-", inside = "-";
            if (configs[i].Twin >= 0)
            {
                g = WithInterval(PairedChanges(row, samples[configs[i].Twin], x => x.Goodput));
                cpu = Percent(Median(PairedChanges(row, samples[configs[i].Twin], x => x.CpuPerGiB)));
                inside = string.Create(Inv,
                    $"{Median(row.Select(x => x.PluginSecondsPerGiB)) * 1e3,6:0.0} {Median(row.Select(x => x.PluginCallsPerGiB)),9:0} {DirectShare(row) * 100,3:0.0}%");
            }
            Console.WriteLine(string.Create(Inv,
                $"{configs[i].Name,-20}{Median(row.Select(x => x.Goodput)),9:0}" +
                $"{Median(row.Select(x => x.ServerCpuPerGiB)),8:0.00}{Median(row.Select(x => x.ClientCpuPerGiB)),8:0.00}  {inside,-22}{g,-26}{cpu,-16}"));
        }
        Console.WriteLine("(goodput and client CPU: connect..last byte of each download; server CPU: across it; one server and one client process for all configurations;");
        Console.WriteLine(" inside the plugin: wall time in calls into the plugin, both peers, and its share of their CPU time)");
        Console.WriteLine();
        if (components)
        {
            // Issue 15's goals: each component alone within 10 % of all-native, all of them at once within 25 %.
            for (int c = 1; c < configs.Length; c++)
                PrintVerdict(configs[c].Key == AllComponentsKey ? "all components in WASM" : "one component in WASM", configs, samples, c,
                    configs[c].Key == AllComponentsKey ? AllComponentsTarget : ComponentTarget);
            return;
        }
        PrintVerdict("monitoring", configs, samples, 1, MonitoringTarget);
        PrintVerdict("WASM congestion control", configs, samples, 3, WasmCcTarget);
    }

    /// <summary>Largest goodput loss against all-native the issue accepts: one component in WASM; all of them.</summary>
    private const double ComponentTarget = 0.10, AllComponentsTarget = 0.25;

    private const string AllComponentsKey = "all";

    /// <summary>
    /// <c>--components</c>: all-native (NewReno, so the WASM controller has a native twin), then each component as a
    /// WASM plugin that re-implements the native behaviour, then all of those plugins on one connection; null (and a
    /// message) when they are not built.
    /// </summary>
    private static IsolationConfig[]? ComponentConfigs(string? pluginDir)
    {
        pluginDir ??= RepositoryPlugins();
        if (pluginDir is null)
        {
            Console.Error.WriteLine("pliant bench --components: run it inside the repository (plugins/out is needed) or give --plugins DIR");
            return null;
        }
        (string Key, string Name, string File)[] parts =
        [
            ("cc", "congestion control", "cc-newreno.wasm"),
            ("ack", "ACK policy", "ack-native.wasm"),
            ("frames", "frame scheduler", "frames-native.wasm"),
            ("streams", "stream scheduler", "sched-native.wasm"),
            ("flow", "flow control", "flow-native.wasm"),
            ("loss", "loss detection", "loss-native.wasm"),
            ("monitoring", "monitoring", "monitoring.wasm"),
        ];
        var paths = parts.Select(p => Path.GetFullPath(Path.Combine(pluginDir, p.File))).ToArray();
        foreach (var p in paths)
        {
            if (File.Exists(p)) continue;
            Console.Error.WriteLine($"pliant bench --components: {p} is missing: run plugins/build.sh");
            return null;
        }
        return
        [
            new("native", "all native (newreno)", null, "newreno", -1),
            .. parts.Select((p, i) => new IsolationConfig(p.Key, p.Name, paths[i], "newreno", 0)),
            new(AllComponentsKey, "all at once", string.Join(',', paths), "newreno", 0),
        ];
    }

    /// <summary>plugins/out of the repository around the working directory, or null.</summary>
    private static string? RepositoryPlugins()
    {
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "plugins", "build.sh"))) return Path.Combine(d.FullName, "plugins", "out");
        return null;
    }

    /// <summary>Time inside the plugin as a share of both processes' CPU time (medians over the rounds).</summary>
    private static double DirectShare(IsolationSample[] row) =>
        Median(row.Select(x => x.PluginSecondsPerGiB)) / Median(row.Select(x => x.CpuPerGiB));

    private static void PrintVerdict(string what, IsolationConfig[] configs, IsolationSample[][] samples, int index, double maxLoss)
    {
        var c = configs[index];
        var changes = PairedChanges(samples[index], samples[c.Twin], x => x.Goodput);
        double median = Median(changes);
        var (low, _) = MedianInterval(changes);
        string verdict = double.IsNaN(median) ? "NO DATA" : median >= -maxLoss ? "PASS" : "FAIL";
        // On a shared machine one download can run at half the speed of the next: when the interval
        // reaches past the target, say so rather than let one run's median pass for a measurement.
        string noise = double.IsNaN(low) || low >= -maxLoss ? "" : " (noisy: the interval reaches past the target; more --runs narrow it)";
        Console.WriteLine(string.Create(Inv,
            $"target {what} ({c.Name}) goodput loss <= {maxLoss * 100:0} % vs {configs[c.Twin].Name}: {WithInterval(changes)} {verdict}{noise}; " +
            $"time inside the plugin {DirectShare(samples[index]) * 100:0.0}% of CPU"));
    }

    /// <summary>
    /// A distribution-free 95 % confidence interval of the median: the order statistics k and n + 1 − k
    /// with k = ⌊n/2 − 0.98·√n⌋ (normal approximation of the binomial; min..max for fewer than 6 values).
    /// </summary>
    internal static (double Low, double High) MedianInterval(double[] values)
    {
        if (values.Length == 0) return (double.NaN, double.NaN);
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        int k = Math.Max(1, (int)Math.Floor(n / 2.0 - 0.98 * Math.Sqrt(n)));
        return (sorted[k - 1], sorted[n - k]);
    }

    private static string WithInterval(double[] changes)
    {
        if (changes.Length == 0) return "-";
        var (low, high) = MedianInterval(changes);
        return $"{Percent(Median(changes))} [{Percent(low)}, {Percent(high)}]";
    }

    private static string Percent(double change) =>
        double.IsFinite(change) ? Math.Round(change * 100, 1).ToString("+0.0;-0.0;+0.0", CultureInfo.InvariantCulture) + "%" : "-"; // no "-+0.0"
}
