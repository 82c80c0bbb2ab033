using System.Globalization;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant bench --qlog</c> (issue 14 item 4): what writing qlog costs. The same download (default 1 GiB) with
/// both peers writing qlog (<c>QLOGDIR</c>, in /dev/shm when there is one, so the disk does not decide) in each format
/// (<c>QLOGFORMAT</c>: JSON-SEQ text, and Pliant's binary records converted afterwards) and without, interleaved rounds
/// in rotating order, each with a fresh server; medians side by side and the goal per format: server CPU per GiB
/// with qlog at most 1.10x without. The traces are deleted after each run.
/// </summary>
internal static partial class BenchCommand
{
    private const double QlogCpuGoal = 1.10;

    private static readonly string[] QlogModes = ["none", "json", "binary"];

    private static int RunQlogCost(Settings s)
    {
        var inv = CultureInfo.InvariantCulture;
        long bytes = (long)s.SizeMiB << 20;
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string dir = Path.Combine(root, $"pliant-qlog-bench-{Environment.ProcessId}");
        Console.WriteLine(string.Create(inv, $"# pliant bench --qlog size_mib={s.SizeMiB} rounds={s.Runs} qlogdir={dir} date={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}"));
        var results = QlogModes.ToDictionary(m => m, _ => new List<RunResult>());
        var traceBytes = QlogModes.ToDictionary(m => m, _ => 0L);
        try
        {
            for (int round = 1; round <= s.Runs; round++)
            {
                // Each mode first, middle and last in turn (rounds 1, 2, 3…), so a drifting machine load spreads evenly.
                var order = Enumerable.Range(0, QlogModes.Length).Select(i => QlogModes[(i + round - 1) % QlogModes.Length]);
                foreach (string mode in order)
                {
                    var env = new Dictionary<string, string?>
                    {
                        ["QLOGDIR"] = mode == "none" ? "" : dir,
                        ["QLOGFORMAT"] = mode == "none" ? "" : mode,
                    };
                    var server = StartPliantServer(s, env);
                    if (server is null) return 1;
                    try
                    {
                        if (s.WarmupMiB > 0) RunPliantClient(s, server, (long)s.WarmupMiB << 20, $"{round}(warm-up)", mode, env);
                        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); // the warm-up's traces
                        results[mode].Add(RunPliantClient(s, server, bytes, round.ToString(inv), mode, env));
                    }
                    finally
                    {
                        server.Dispose(); // the server's trace is complete once it stopped
                    }
                    if (Directory.Exists(dir))
                    {
                        traceBytes[mode] = Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);
                        Directory.Delete(dir, recursive: true);
                    }
                }
            }
        }
        finally
        {
            try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        if (results.Values.Any(r => r.Count == 0 || !r.All(x => x.Ok)))
        {
            Console.WriteLine("qlog bench: a download failed");
            return 1;
        }
        double gib = bytes / (double)(1L << 30);
        double Server(string m) => Median(results[m].Select(r => r.ServerCpuS)) / gib;
        double Client(string m) => Median(results[m].Select(r => r.ClientCpuS)) / gib;
        double Goodput(string m) => Median(results[m].Select(r => bytes * 8 / r.ProcWallS / 1e6));
        Console.WriteLine();
        Console.WriteLine($"{"median of " + s.Runs + " rounds",-36}{"no qlog",10}{"json",10}{"binary",10}{"json/none",11}{"binary/none",13}");
        void Line(string what, Func<string, double> f, string format) =>
            Console.WriteLine(string.Create(inv, $"{what,-36}{f("none").ToString(format, inv),10}{f("json").ToString(format, inv),10}{f("binary").ToString(format, inv),10}{f("json") / f("none"),10:0.00}x{f("binary") / f("none"),12:0.00}x"));
        Line("server CPU s/GiB", Server, "0.00");
        Line("client CPU s/GiB (process)", Client, "0.00");
        Line("goodput Mbit/s (process wall)", Goodput, "0");
        Console.WriteLine(string.Create(inv, $"{"trace bytes per GiB (both sides)",-36}{"",10}{traceBytes["json"] / gib,10:0}{traceBytes["binary"] / gib,10:0}"));
        Console.WriteLine();
        foreach (string mode in new[] { "json", "binary" })
        {
            double ratio = Server(mode) / Server("none");
            Console.WriteLine(string.Create(inv, $"goal server CPU per GiB with {mode} qlog <= {QlogCpuGoal:0.00}x without: {ratio:0.00}x {(ratio <= QlogCpuGoal ? "PASS" : "FAIL")}"));
        }
        return 0;
    }
}
