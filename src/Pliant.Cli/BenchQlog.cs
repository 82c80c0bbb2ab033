using System.Globalization;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant bench --qlog</c> (issue 14 item 4): what writing qlog costs. The same download (default 1 GiB) with
/// both peers writing qlog (<c>QLOGDIR</c>, in /dev/shm when there is one, so the disk does not decide) and without,
/// interleaved rounds in alternating order, each with a fresh server; medians side by side and the goal: server CPU
/// per GiB with qlog at most 1.10x without. The traces (~230 bytes per packet each side) are deleted after each run.
/// </summary>
internal static partial class BenchCommand
{
    private const double QlogCpuGoal = 1.10;

    private static int RunQlogCost(Settings s)
    {
        var inv = CultureInfo.InvariantCulture;
        long bytes = (long)s.SizeMiB << 20;
        string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string dir = Path.Combine(root, $"pliant-qlog-bench-{Environment.ProcessId}");
        Console.WriteLine(string.Create(inv, $"# pliant bench --qlog size_mib={s.SizeMiB} rounds={s.Runs} qlogdir={dir} date={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}"));
        var off = new List<RunResult>();
        var on = new List<RunResult>();
        long traceBytes = 0;
        try
        {
            for (int round = 1; round <= s.Runs; round++)
            {
                foreach (bool withQlog in round % 2 == 1 ? new[] { false, true } : [true, false])
                {
                    var env = withQlog ? new Dictionary<string, string?> { ["QLOGDIR"] = dir } : new Dictionary<string, string?> { ["QLOGDIR"] = "" };
                    var server = StartPliantServer(s, env);
                    if (server is null) return 1;
                    try
                    {
                        if (s.WarmupMiB > 0) RunPliantClient(s, server, (long)s.WarmupMiB << 20, $"{round}(warm-up)", withQlog ? "qlog" : "plain", env);
                        if (withQlog && Directory.Exists(dir)) Directory.Delete(dir, recursive: true); // the warm-up's traces
                        (withQlog ? on : off).Add(RunPliantClient(s, server, bytes, round.ToString(inv), withQlog ? "qlog" : "plain", env));
                    }
                    finally
                    {
                        server.Dispose(); // the server's trace is complete once it stopped
                    }
                    if (withQlog && Directory.Exists(dir))
                    {
                        traceBytes = Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);
                        Directory.Delete(dir, recursive: true);
                    }
                }
            }
        }
        finally
        {
            try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        if (off.Count == 0 || on.Count == 0 || !off.All(r => r.Ok) || !on.All(r => r.Ok))
        {
            Console.WriteLine("qlog bench: a download failed");
            return 1;
        }
        double gib = bytes / (double)(1L << 30);
        double srvOff = Median(off.Select(r => r.ServerCpuS)) / gib, srvOn = Median(on.Select(r => r.ServerCpuS)) / gib;
        double cliOff = Median(off.Select(r => r.ClientCpuS)) / gib, cliOn = Median(on.Select(r => r.ClientCpuS)) / gib;
        double gpOff = Median(off.Select(r => bytes * 8 / r.ProcWallS / 1e6)), gpOn = Median(on.Select(r => bytes * 8 / r.ProcWallS / 1e6));
        Console.WriteLine();
        Console.WriteLine($"{"median of " + s.Runs + " rounds",-36}{"no qlog",12}{"qlog",12}{"qlog/none",12}");
        Console.WriteLine(string.Create(inv, $"{"server CPU s/GiB",-36}{srvOff,12:0.00}{srvOn,12:0.00}{srvOn / srvOff,11:0.00}x"));
        Console.WriteLine(string.Create(inv, $"{"client CPU s/GiB (process)",-36}{cliOff,12:0.00}{cliOn,12:0.00}{cliOn / cliOff,11:0.00}x"));
        Console.WriteLine(string.Create(inv, $"{"goodput Mbit/s (process wall)",-36}{gpOff,12:0}{gpOn,12:0}{gpOn / gpOff,11:0.00}x"));
        Console.WriteLine(string.Create(inv, $"{"trace bytes per GiB (both sides)",-36}{"",12}{traceBytes / gib,12:0}"));
        Console.WriteLine();
        double ratio = srvOn / srvOff;
        Console.WriteLine(string.Create(inv, $"goal server CPU per GiB with qlog <= {QlogCpuGoal:0.00}x without: {ratio:0.00}x {(ratio <= QlogCpuGoal ? "PASS" : "FAIL")}"));
        return 0;
    }
}
