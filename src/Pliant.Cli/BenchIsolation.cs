using System.Globalization;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant bench --isolation</c> (issue 4's table): the same download with no plugin, with the
/// monitoring plugin, with native NewReno and with NewReno in WASM, each plugin configuration compared
/// with its native twin. Every round starts one fresh, warmed-up server per configuration and gives
/// each configuration one client run, in an order that rotates from round to round, so slow drifts of
/// a shared machine (and the state of any one server process) spread over all configurations instead
/// of landing on one. The changes are medians of the per-round paired ratios (configuration / twin of
/// the same round).
/// </summary>
internal static partial class BenchCommand
{
    /// <summary>Rounds of <c>--isolation</c> when <c>--runs</c> is not given.</summary>
    internal const int IsolationDefaultRounds = 8;

    /// <summary>Largest goodput loss against the native twin the issue accepts (monitoring; WASM congestion control).</summary>
    private const double MonitoringTarget = 0.05, WasmCcTarget = 0.10;

    /// <summary>One configuration: a short key for the run lines, the plugin (null: none), the native controller, and its twin's index (-1: none).</summary>
    private sealed record IsolationConfig(string Key, string Name, string? Plugin, string Cc, int Twin)
    {
        public IReadOnlyDictionary<string, string?> Env => new Dictionary<string, string?>
        {
            [BenchPeers.PluginVariable] = Plugin,
            [BenchPeers.CcVariable] = Cc,
        };
    }

    /// <summary>What one run gives the table (NaN for a failed run).</summary>
    private readonly record struct IsolationSample(double Goodput, double ServerCpuPerGiB, double ClientCpuPerGiB)
    {
        public static readonly IsolationSample Failed = new(double.NaN, double.NaN, double.NaN);

        public double CpuPerGiB => ServerCpuPerGiB + ClientCpuPerGiB;

        public static IsolationSample From(RunResult r, long bytes)
        {
            if (!r.Ok) return Failed;
            double perGiB = GiB / bytes;
            return new(bytes * 8 / r.XferWallS / 1e6, r.ServerCpuS * perGiB, r.ClientXferCpuS * perGiB);
        }
    }

    private static int RunIsolation(Settings s)
    {
        var configs = IsolationConfigs();
        if (configs is null) return ExitCodes.Usage;
        long bytes = (long)s.SizeMiB << 20;
        Console.WriteLine(string.Create(Inv,
            $"# pliant bench --isolation size_mib={s.SizeMiB} rounds={s.Runs} warmup_mib={s.WarmupMiB} cores={Environment.ProcessorCount} " +
            $"taskset={s.Taskset ?? "-"} date={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}"));
        int k = configs.Length;
        var samples = new IsolationSample[k][];
        for (int c = 0; c < k; c++) samples[c] = new IsolationSample[s.Runs];
        for (int round = 0; round < s.Runs; round++)
        {
            // Fresh, warmed servers every round: a long-lived server process carries its own state (JIT
            // code, memory layout, the core it settled on) that can favour one configuration for a whole
            // run; restarting spreads that over the rounds like the machine's drifts.
            var servers = new List<PliantServer>();
            try
            {
                foreach (var c in configs)
                {
                    var server = StartPliantServer(s, c.Env);
                    if (server is null) { Console.Error.WriteLine($"pliant bench --isolation: the '{c.Name}' server did not start"); return 1; }
                    servers.Add(server);
                }
                WarmUp(s, configs, servers);
                RunRound(s, configs, servers, bytes, round, samples);
            }
            finally
            {
                foreach (var server in servers) server.Dispose();
            }
        }
        Console.WriteLine();
        PrintIsolationTable(s, configs, samples);
        return samples.All(row => row.All(x => !double.IsNaN(x.Goodput))) ? 0 : 1;
    }

    /// <summary>The four configurations, or null (and a message) when the plugins are not built.</summary>
    private static IsolationConfig[]? IsolationConfigs()
    {
        string? root = null;
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d is not null && root is null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "plugins", "build.sh"))) root = d.FullName;
        if (root is null)
        {
            Console.Error.WriteLine("pliant bench --isolation: run it inside the repository (plugins/out is needed)");
            return null;
        }
        string monitoring = Path.Combine(root, "plugins", "out", "monitoring.wasm");
        string newReno = Path.Combine(root, "plugins", "out", "cc-newreno.wasm");
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

    /// <summary>
    /// Each measured client first downloads this much on another connection (at most 16 MiB, not more
    /// than <c>--warmup</c>): the first attach of a plugin in a fresh process and the client's JIT are
    /// one-time costs of the process, not of isolation, and JIT threads are a large share of the noise.
    /// </summary>
    private static long ClientWarmupBytes(Settings s) => (long)Math.Min(s.WarmupMiB, 16) << 20;

    /// <summary>One unmeasured download per server (JIT of the server and of the plugin's compiled code), then quiet.</summary>
    private static void WarmUp(Settings s, IsolationConfig[] configs, List<PliantServer> servers)
    {
        if (s.WarmupMiB <= 0) return;
        for (int c = 0; c < configs.Length; c++)
        {
            RunPliantClient(s, servers[c], (long)s.WarmupMiB << 20, "0(warm-up)", configs[c].Key);
            servers[c].WaitIdle(TimeSpan.FromSeconds(3));
        }
    }

    /// <summary>Round <paramref name="round"/>: configuration (round + j) mod k runs as its j-th download.</summary>
    private static void RunRound(Settings s, IsolationConfig[] configs, List<PliantServer> servers, long bytes, int round,
        IsolationSample[][] samples)
    {
        int k = configs.Length;
        for (int j = 0; j < k; j++)
        {
            int c = (round + j) % k;
            var r = RunPliantClient(s, servers[c], bytes, (round + 1).ToString(Inv), configs[c].Key, ClientWarmupBytes(s));
            samples[c][round] = IsolationSample.From(r, bytes);
            servers[c].WaitIdle(TimeSpan.FromSeconds(2));
        }
        PrintRoundRatios(configs, samples, round);
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

    private static void PrintIsolationTable(Settings s, IsolationConfig[] configs, IsolationSample[][] samples)
    {
        Console.WriteLine(string.Create(Inv, $"median of {s.Runs} interleaved round(s), {s.SizeMiB} MiB over 127.0.0.1; changes are medians (min..max) of per-round ratios to the native twin"));
        Console.WriteLine(string.Create(Inv, $"{"configuration",-20}{"goodput",9}{"server",8}{"client",8}  {"goodput vs twin",-24}{"CPU/GiB vs twin",-24}"));
        Console.WriteLine(string.Create(Inv, $"{"",-20}{"Mbit/s",9}{"s/GiB",8}{"s/GiB",8}  {"median (min..max)",-24}{"(server+client)",-24}"));
        for (int i = 0; i < configs.Length; i++)
        {
            var row = samples[i];
            string g = "-", cpu = "-";
            if (configs[i].Twin >= 0)
            {
                g = Spread(PairedChanges(row, samples[configs[i].Twin], x => x.Goodput));
                cpu = Spread(PairedChanges(row, samples[configs[i].Twin], x => x.CpuPerGiB));
            }
            Console.WriteLine(string.Create(Inv,
                $"{configs[i].Name,-20}{Median(row.Select(x => x.Goodput)),9:0}" +
                $"{Median(row.Select(x => x.ServerCpuPerGiB)),8:0.00}{Median(row.Select(x => x.ClientCpuPerGiB)),8:0.00}  {g,-24}{cpu,-24}"));
        }
        Console.WriteLine("(goodput and client CPU: connect..last byte of the measured connection, after the client's warm-up connection; server CPU: across it)");
        Console.WriteLine();
        PrintVerdict("monitoring", configs, samples, 1, MonitoringTarget);
        PrintVerdict("WASM congestion control", configs, samples, 3, WasmCcTarget);
    }

    private static void PrintVerdict(string what, IsolationConfig[] configs, IsolationSample[][] samples, int index, double maxLoss)
    {
        var c = configs[index];
        var changes = PairedChanges(samples[index], samples[c.Twin], x => x.Goodput);
        double median = Median(changes);
        string verdict = double.IsNaN(median) ? "NO DATA" : median >= -maxLoss ? "PASS" : "FAIL";
        // Interference from other work only slows a CPU-bound transfer down, so the best round of each
        // configuration is its least disturbed one: printed as a cross-check, the verdict stays the paired median.
        double best = Best(samples[index]) / Best(samples[c.Twin]) - 1;
        Console.WriteLine(string.Create(Inv,
            $"target {what} ({c.Name}) goodput loss <= {maxLoss * 100:0} % vs {configs[c.Twin].Name}: {Spread(changes)} {verdict} (best round vs best round: {Percent(best)})"));
    }

    private static double Best(IsolationSample[] runs)
    {
        var ok = runs.Select(x => x.Goodput).Where(double.IsFinite).ToArray();
        return ok.Length == 0 ? double.NaN : ok.Max();
    }

    private static string Spread(double[] changes) => changes.Length == 0
        ? "-"
        : $"{Percent(Median(changes))} ({Percent(changes.Min())}..{Percent(changes.Max())})";

    private static string Percent(double change) =>
        double.IsFinite(change) ? (change * 100).ToString("+0.0;-0.0", CultureInfo.InvariantCulture) + "%" : "-";
}
