using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant bench --route</c> (issue 13): the same <c>pliant get</c> download from a <c>pliant serve</c> directly, through
/// <c>pliant route</c> to a Pliant backend (QUIC-LB IDs, forwarding header) and through it to a backend it treats as
/// foreign (flows, learned IDs), interleaved. Prints goodput through the router against direct (goal ≥ 80 %), the
/// router's CPU seconds per GiB forwarded, and the router's state per connection while the download runs (its
/// <c>--stats</c> <c>state_bytes</c>: goal 0 for Pliant backends after the handshake). All processes share the machine.
/// </summary>
internal static class BenchRoute
{
    private const double GoodputGoal = 0.8;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record Download(bool Ok, double GoodputMbit, double Seconds, double RouterCpuS, double StateBytes, string Error);

    public static int Run(int sizeMiB, int runs, TimeSpan timeout)
    {
        string root = Path.Combine(Path.GetTempPath(), "pliant-bench-route-" + Environment.ProcessId.ToString(Inv));
        Directory.CreateDirectory(root);
        long bytes = (long)sizeMiB << 20;
        using (var f = File.Create(Path.Combine(root, "file.bin"))) f.SetLength(bytes);
        int direct = BenchProcess.FreeUdpPort(), behind = BenchProcess.FreeUdpPort(), foreign = BenchProcess.FreeUdpPort();
        int router = BenchProcess.FreeUdpPort(), upstream = BenchProcess.FreeUdpPort();
        var lb = Path.Combine(root, "lb.json");
        File.WriteAllText(lb, string.Create(Inv, $$"""
            { "configs": [ { "config_id": 0, "server_id_length": 3, "nonce_length": 6, "key": "8f95f09245765f80256934e50c66207f" } ],
              "servers": [ { "config_id": 0, "server_id": "0a0001", "address": "127.0.0.1:{{behind}}", "forwarding_header": true } ] }
            """));
        var processes = new List<BenchProcess>();
        try
        {
            BenchProcess Serve(string[] args)
            {
                var p = BenchProcess.StartSelf(args);
                processes.Add(p);
                if (p.WaitForLine("pliant serve: listening", TimeSpan.FromSeconds(30)) is null) throw new InvalidOperationException("pliant serve did not start: " + p.Stderr);
                return p;
            }
            Serve(["serve", root, "--listen", $"127.0.0.1:{direct}", "--quiet"]);
            Serve(["serve", root, "--listen", $"127.0.0.1:{behind}", "--quiet", "--lb-config", lb, "--behind-router", $"127.0.0.1:{upstream}"]);
            Serve(["serve", root, "--listen", $"127.0.0.1:{foreign}", "--quiet"]);
            var route = BenchProcess.StartSelf(["route", "--listen", $"127.0.0.1:{router}", "--upstream", $"127.0.0.1:{upstream}", "--lb-config", lb,
                "--backend", $"pliant.example=127.0.0.1:{behind}", "--backend", $"foreign.example=127.0.0.1:{foreign}", "--stats", "--stats-interval", "0.25"]);
            processes.Add(route);
            if (route.WaitForLine("pliant route: listening", TimeSpan.FromSeconds(30)) is null) throw new InvalidOperationException("pliant route did not start: " + route.Stderr);
            var stats = new StatsCollector(route);

            Console.WriteLine(string.Create(Inv, $"# pliant bench --route size_mib={sizeMiB} runs={runs} cores={Environment.ProcessorCount} date={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}"));
            Console.WriteLine("# one pliant get process per download; the servers, the router and the client share the machine");
            var targets = new (string Name, string Host, int? Via)[] { ("direct", "localhost", null), ("route-pliant", "pliant.example", router), ("route-foreign", "foreign.example", router) };
            // Warm-up: JIT in the servers and the router.
            foreach (var t in targets) Get(root, t.Host, t.Via ?? direct, Math.Min(bytes, 16L << 20), "warm.bin", route, stats, timeout);
            var results = targets.ToDictionary(t => t.Name, _ => new List<Download>());
            for (int r = 0; r < runs; r++)
            {
                foreach (var t in targets)
                {
                    var d = Get(root, t.Host, t.Via ?? direct, bytes, "file.bin", route, stats, timeout);
                    results[t.Name].Add(d);
                    Console.WriteLine(d.Ok
                        ? string.Create(Inv, $"{t.Name} run={r + 1} goodput_mbit={d.GoodputMbit:0.0} seconds={d.Seconds:0.000} router_cpu_s={d.RouterCpuS:0.000} router_state_bytes={d.StateBytes:0}")
                        : $"{t.Name} run={r + 1} failed: {d.Error}");
                }
            }
            stats.Stop();
            if (results.Values.Any(l => l.Any(d => !d.Ok)))
            {
                Console.WriteLine("route: failed: a download did not complete");
                return 1;
            }
            double directMbit = Median(results["direct"].Select(d => d.GoodputMbit));
            double gib = bytes / (1024.0 * 1024 * 1024);
            foreach (var name in new[] { "route-pliant", "route-foreign" })
            {
                var l = results[name];
                double mbit = Median(l.Select(d => d.GoodputMbit));
                Console.WriteLine(string.Create(Inv,
                    $"{name} goodput_mbit={mbit:0.0} vs_direct={mbit / directMbit:0.00} router_cpu_s_per_gib={Median(l.Select(d => d.RouterCpuS)) / gib:0.00} router_state_bytes_per_connection={Median(l.Select(d => d.StateBytes)):0}"));
            }
            Console.WriteLine(string.Create(Inv, $"direct goodput_mbit={directMbit:0.0}"));
            double ratio = Median(results["route-pliant"].Select(d => d.GoodputMbit)) / directMbit;
            double state = Median(results["route-pliant"].Select(d => d.StateBytes));
            Console.WriteLine(string.Create(Inv, $"goal goodput through the router >= {GoodputGoal:0%} of direct: {ratio:0%} {(ratio >= GoodputGoal ? "PASS" : "FAIL")}"));
            Console.WriteLine(string.Create(Inv, $"goal router state per Pliant connection after the handshake = 0 bytes: {state:0} {(state == 0 ? "PASS" : "FAIL")}"));
            return 0;
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine("route: failed: " + e.Message);
            return 1;
        }
        finally
        {
            foreach (var p in processes) p.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static Download Get(string root, string host, int port, long bytes, string file, BenchProcess route, StatsCollector stats, TimeSpan timeout)
    {
        if (file != "file.bin")
        {
            var path = Path.Combine(root, file);
            if (!File.Exists(path)) using (var f = File.Create(path)) f.SetLength(bytes);
        }
        double cpuBefore = route.CpuSeconds;
        var sw = Stopwatch.StartNew();
        long startMs = Environment.TickCount64;
        using var get = BenchProcess.StartSelf(["get", $"https://{host}:{port}/{file}", "--connect", $"127.0.0.1:{port}", "--insecure", "--quiet"]);
        var line = get.WaitForLine("bytes=", timeout);
        bool exited = get.WaitForExit(TimeSpan.FromSeconds(10));
        double seconds = sw.Elapsed.TotalSeconds;
        long endMs = Environment.TickCount64;
        double cpu = route.CpuSeconds - cpuBefore;
        if (line is null || !exited || get.ExitCode != 0) return new Download(false, 0, seconds, cpu, 0, get.Stderr.Trim());
        var d = BenchProcess.Parse(line);
        // The router's state while the connection was open, from its --stats lines (the handshake is over after the first
        // 0.5 s), minus what it held before (flows and learned IDs of earlier connections to the foreign backend live on).
        double state = stats.MaxStateBetween(startMs + 500, endMs - 100) - stats.LastBefore(startMs);
        return new Download(BenchProcess.Num(d, "bytes") == bytes, BenchProcess.Num(d, "goodput_mbit"), seconds, cpu, state, "");
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>Reads the router's <c>--stats</c> lines in the background and keeps (time, state_bytes).</summary>
    private sealed class StatsCollector
    {
        private readonly ConcurrentQueue<(long Ms, double StateBytes)> _samples = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;

        public StatsCollector(BenchProcess route)
        {
            _thread = new Thread(() =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    if (route.WaitForLine("route: ", TimeSpan.FromMilliseconds(500)) is { } line)
                        _samples.Enqueue((Environment.TickCount64, BenchProcess.Num(BenchProcess.Parse(line), "state_bytes")));
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        /// <summary>The largest state_bytes printed between the two times (NaN when no line fell in between: nothing measured).</summary>
        public double MaxStateBetween(long fromMs, long toMs)
        {
            double max = double.NaN;
            foreach (var (ms, s) in _samples)
                if (ms >= fromMs && ms <= toMs && !double.IsNaN(s)) max = double.IsNaN(max) ? s : Math.Max(max, s);
            return max;
        }

        /// <summary>The last state_bytes printed before <paramref name="ms"/> (0 before the first line).</summary>
        public double LastBefore(long ms)
        {
            double last = 0;
            foreach (var (t, s) in _samples)
                if (t < ms && !double.IsNaN(s)) last = s;
            return last;
        }

        public void Stop()
        {
            _stop.Cancel();
            _thread.Join(TimeSpan.FromSeconds(2));
        }
    }
}
