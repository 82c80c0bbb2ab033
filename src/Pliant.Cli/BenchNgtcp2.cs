using System.Globalization;

namespace Pliant.Cli;

/// <summary>The ngtcp2 side of <c>pliant bench</c>: gtlsserver→gtlsclient through ngtcp2-pair.sh, and the mixed pairs.</summary>
internal static class BenchNgtcp2
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Finds ngtcp2-pair.sh: the option, $PLIANT_NGTCP2_PAIR, or shared/peers/ above the working or program directory.</summary>
    public static string? FindScript(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return File.Exists(explicitPath) ? Path.GetFullPath(explicitPath) : null;
        if (Environment.GetEnvironmentVariable("PLIANT_NGTCP2_PAIR") is { Length: > 0 } env && File.Exists(env)) return env;
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "shared", "peers", "ngtcp2-pair.sh");
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    /// <summary>Runs the script once with <c>-n runs</c>; returns one result per <c>run=</c> line.</summary>
    public static (List<BenchCommand.RunResult> Runs, string? Note) RunPair(string? scriptOption, int sizeMiB, int runs, TimeSpan timeout, string? taskset)
    {
        var results = new List<BenchCommand.RunResult>();
        var script = FindScript(scriptOption);
        if (script is null) return (results, "ngtcp2-pair.sh not found (use --ngtcp2-script)");
        string[] args = ["-s", sizeMiB.ToString(Inv), "-n", runs.ToString(Inv), "--timeout", ((int)timeout.TotalSeconds).ToString(Inv)];
        using var p = taskset is null
            ? BenchProcess.Start("bash", [script, .. args])
            : BenchProcess.Start("taskset", ["-c", taskset, "bash", script, .. args]);
        string? header = p.WaitForLine("#", TimeSpan.FromSeconds(120)); // file generation comes first
        for (int i = 0; i < runs; i++)
        {
            var line = p.WaitForLine("run=", timeout + TimeSpan.FromSeconds(60));
            if (line is null) break;
            Console.WriteLine(line.Replace("run=", "run=", StringComparison.Ordinal).Insert(line.IndexOf(' ', StringComparison.Ordinal), " pair=ngtcp2"));
            var d = BenchProcess.Parse(line);
            results.Add(new BenchCommand.RunResult
            {
                Ok = d.GetValueOrDefault("status") == "0",
                ProcWallS = BenchProcess.Num(d, "wall_s"),
                ServerCpuS = BenchProcess.Num(d, "server_cpu_s"),
                ClientCpuS = BenchProcess.Num(d, "client_cpu_s"),
            });
        }
        p.WaitForExit(TimeSpan.FromSeconds(30));
        string? note = header?.TrimStart('#', ' ');
        if (results.Count < runs) note = (note ?? "") + $" only {results.Count}/{runs} runs: {p.Stderr}";
        return (results, note);
    }

    /// <summary>The mixed pairs (HTTP/3): Pliant client from gtlsserver, gtlsclient from a Pliant server.</summary>
    public static List<(string Name, List<BenchCommand.RunResult> Runs)> RunCross(string? scriptOption, int sizeMiB, int runs, TimeSpan timeout, string? taskset)
    {
        Console.WriteLine("# --cross: needs `pliant serve`/`pliant get` (HTTP/3), not in this build yet");
        return [];
    }
}
