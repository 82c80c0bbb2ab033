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

    /// <summary>Runs the script once with <c>-n runs</c>; returns one result per <c>run=</c> line, printed numbered from <paramref name="firstRun"/>.</summary>
    public static (List<BenchCommand.RunResult> Runs, string? Note) RunPair(string? scriptOption, int sizeMiB, int runs, TimeSpan timeout, string? taskset, int firstRun = 1)
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
            // The script numbers its own runs from 1; print the bench's round number.
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            Console.WriteLine(string.Create(Inv, $"run={firstRun + i}") + " pair=ngtcp2" + (space < 0 ? "" : line[space..]));
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

    /// <summary>
    /// The mixed pairs over HTTP/3: <c>pliant get</c> from gtlsserver, and gtlsclient from <c>pliant serve</c>
    /// (flags as in ngtcp2-pair.sh). Client CPU from /usr/bin/time, server CPU from /proc around each run.
    /// </summary>
    public static List<(string Name, List<BenchCommand.RunResult> Runs)> RunCross(string? scriptOption, int sizeMiB, int runs, TimeSpan timeout, string? taskset)
    {
        _ = scriptOption;
        var results = new List<(string, List<BenchCommand.RunResult>)>();
        foreach (var tool in new[] { "gtlsserver", "gtlsclient", "openssl", "/usr/bin/time" })
        {
            if (Which(tool) is null)
            {
                Console.WriteLine($"# --cross: {tool} not found");
                return results;
            }
        }
        string scratch = Directory.CreateTempSubdirectory("pliant-bench-").FullName;
        try
        {
            string key = Path.Combine(scratch, "key.pem"), cert = Path.Combine(scratch, "cert.pem");
            using (var ossl = BenchProcess.Start("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                       "-keyout", key, "-out", cert, "-days", "7", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]))
                ossl.WaitForExit(TimeSpan.FromSeconds(30));
            string docs = Path.Combine(scratch, "htdocs");
            Directory.CreateDirectory(docs);
            string file = $"f{sizeMiB}m.bin";
            WriteRandomFile(Path.Combine(docs, file), (long)sizeMiB << 20);
            WriteRandomFile(Path.Combine(docs, "warm.bin"), 32L << 20);
            string self = Environment.ProcessPath ?? "dotnet";
            string[] selfPrefix = Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
                ? [self, typeof(BenchNgtcp2).Assembly.Location] : [self];

            // Pliant client ← ngtcp2 server.
            int port = BenchProcess.FreeUdpPort();
            string[] srvA = ["gtlsserver", "-q", "-d", docs, "--cc=cubic", "127.0.0.1", port.ToString(Inv), key, cert];
            string[] getArgs(string f) => [.. selfPrefix, "get", "-k", "-q", $"https://127.0.0.1:{port}/{f}"];
            results.Add(("pliant<-ngtcp2", RunMixed(srvA, () => getArgs(file), () => getArgs("warm.bin"), sizeMiB, runs, timeout, taskset, scratch)));

            // ngtcp2 client ← Pliant server.
            port = BenchProcess.FreeUdpPort();
            string[] srvB = [.. selfPrefix, "serve", docs, "--listen", $"127.0.0.1:{port}", "--cert", cert, "--key", key, "-q"];
            string[] gtls(string f) => ["gtlsclient", "-q", "--exit-on-all-streams-close", "--cc=cubic", "--timeout=30s", "127.0.0.1", port.ToString(Inv), $"https://127.0.0.1:{port}/{f}"];
            results.Add(("ngtcp2<-pliant", RunMixed(srvB, () => gtls(file), () => gtls("warm.bin"), sizeMiB, runs, timeout, taskset, scratch)));
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
        return results;
    }

    private static List<BenchCommand.RunResult> RunMixed(string[] server, Func<string[]> client, Func<string[]> warmClient, int sizeMiB, int runs,
        TimeSpan timeout, string? taskset, string scratch)
    {
        var list = new List<BenchCommand.RunResult>();
        string name = $"{Path.GetFileName(client()[0])}<-{Path.GetFileName(server[0])}";
        using var srv = taskset is null ? BenchProcess.Start(server[0], server[1..]) : BenchProcess.Start("taskset", ["-c", taskset, .. server]);
        Thread.Sleep(TimeSpan.FromSeconds(1.5)); // bind (and JIT start-up for pliant serve)
        if (srv.HasExited)
        {
            Console.WriteLine($"# {name}: server exited: {srv.Stderr}");
            return list;
        }
        string timeFile = Path.Combine(scratch, "client.time");
        for (int i = 0; i <= runs; i++)
        {
            bool warm = i == 0;
            var args = warm ? warmClient() : client();
            double s0 = srv.CpuSeconds;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            string[] full = ["-f", "%U %S", "-o", timeFile, "timeout", ((int)timeout.TotalSeconds).ToString(Inv), .. args];
            using var c = taskset is null ? BenchProcess.Start("/usr/bin/time", full) : BenchProcess.Start("taskset", ["-c", taskset, "/usr/bin/time", .. full]);
            bool exited = c.WaitForExit(timeout + TimeSpan.FromSeconds(30));
            double wall = sw.Elapsed.TotalSeconds;
            double s1 = srv.CpuSeconds;
            var r = new BenchCommand.RunResult { ProcWallS = wall, ServerCpuS = s1 - s0, Ok = exited && c.ExitCode == 0 };
            try
            {
                var parts = File.ReadAllLines(timeFile).Last().Split(' ');
                r.ClientCpuS = double.Parse(parts[0], Inv) + double.Parse(parts[1], Inv);
            }
            catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or InvalidOperationException)
            {
            }
            if (!r.Ok) Console.WriteLine($"# {name} run {i}: client exit {(c.HasExited ? c.ExitCode : -1)}: {c.Stderr}");
            double bytes = warm ? 32.0 * 1048576 : sizeMiB * 1048576.0;
            Console.WriteLine(string.Create(Inv,
                $"run={i}{(warm ? "(warm-up)" : "")} pair={name} wall_s={wall:F3} goodput_mbit={bytes * 8 / wall / 1e6:F1} client_cpu_s={r.ClientCpuS:F2} server_cpu_s={r.ServerCpuS:F2} status={(r.Ok ? 0 : 1)}"));
            if (!warm) list.Add(r);
        }
        srv.Kill();
        return list;
    }

    private static void WriteRandomFile(string path, long bytes)
    {
        var buffer = new byte[1 << 20];
        var rnd = new Random(7);
        using var f = File.Create(path);
        for (long left = bytes; left > 0; left -= buffer.Length)
        {
            rnd.NextBytes(buffer);
            f.Write(buffer, 0, (int)Math.Min(left, buffer.Length));
        }
    }

    private static string? Which(string tool)
    {
        if (tool.Contains('/', StringComparison.Ordinal)) return File.Exists(tool) ? tool : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, tool))) return Path.Combine(dir, tool);
        return null;
    }
}
