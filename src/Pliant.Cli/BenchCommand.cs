using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant bench</c>: a Pliant server and a Pliant client in separate processes download N MiB
/// over loopback; goodput, CPU and allocation per GiB, datagrams per syscall; optionally side by
/// side with ngtcp2's gtlsserver→gtlsclient from the same run, the mixed pairs, and handshakes/s.
/// </summary>
internal static partial class BenchCommand
{
    private const double GiB = 1024.0 * 1024 * 1024;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var size = new Option<int?>("--size") { Description = $"download size in MiB (default 256; with --isolation {IsolationDefaultSizeMiB}; with --qlog 1024)" };
        var runs = new Option<int?>("--runs") { Description = $"downloads per pair, medians are printed (default 1; with --isolation: rounds, default {IsolationDefaultRounds})" };
        var vs = new Option<bool>("--vs-ngtcp2") { Description = "also run ngtcp2's gtlsserver→gtlsclient (ngtcp2-pair.sh) in the same run" };
        var cross = new Option<bool>("--cross") { Description = "also run the mixed pairs over HTTP/3 (needs pliant serve/get)" };
        var handshakes = new Option<double>("--handshakes") { Description = "seconds of back-to-back handshakes (0: skip)", DefaultValueFactory = _ => 0 };
        var handshakeWarmup = new Option<double>("--handshake-warmup") { Description = "with --handshakes: seconds of handshakes before the measured ones (the server's JIT tiers its handshake path up over its first few thousand connections)", DefaultValueFactory = _ => 6 };
        var script = new Option<string?>("--ngtcp2-script") { Description = "path of ngtcp2-pair.sh (default: found in ../shared/peers)" };
        var timeout = new Option<int>("--timeout") { Description = "seconds before a download is killed", DefaultValueFactory = _ => 300 };
        var warmup = new Option<int>("--warmup") { Description = "MiB downloaded once before the measured runs (JIT warm-up of the long-lived server; 0: none); --isolation downloads max(this, --size) per configuration in as many passes as reach 512 MiB (at least two)", DefaultValueFactory = _ => 64 };
        var pinCpu = new Option<string?>("--taskset") { Description = "run every peer under taskset -c LIST (e.g. 0 for one core); --isolation pins to the last CPU unless given ('none': not pinned; 'split': the server and the client on a CPU each)" };
        var pluginDir = new Option<string?>("--plugins") { Description = "with --isolation: the folder holding monitoring.wasm and cc-newreno.wasm (default: plugins/out of the repository around the working directory)" };
        var isolation = new Option<bool>("--isolation") { Description = "cost of isolation: no plugin, monitoring, native NewReno, NewReno in WASM (plugins/out), interleaved rounds, each against its native twin" };
        var components = new Option<bool>("--components") { Description = "the NOMS'25 table: each stack component in turn moved from native to WASM (congestion control, ACK policy, frame scheduler, stream scheduler, flow control, loss detection, monitoring; plugins/out), then all at once, interleaved rounds against all-native, with 95 % intervals and PASS/FAIL (each <= 10 %, all <= 25 % goodput loss)" };
        var plugin = new Option<string?>("--plugin") { Description = "attach this plugin (.wasm) to both Pliant peers' connections (cost of isolation)" };
        var flood = new Option<bool>("--flood") { Description = $"junk-Initial flood against a pliant serve process while a real client connects: RSS growth, connect time, server CPU per junk datagram (--count, default {BenchFlood.DefaultCount})" };
        var count = new Option<int?>("--count") { Description = $"with --flood: junk datagrams to send (default {BenchFlood.DefaultCount}); with --connections: short connections (default 1000; 0: idle connections only)" };
        var connections = new Option<bool>("--connections") { Description = "per-connection costs against gtlsserver (with --vs-ngtcp2): short connections (handshake + 1 KB GET, after a warm-up until the server's CPU per connection settles) and open idle ones; CPU, context switches, handshakes per core-second, time to first byte, RSS per idle connection" };
        var concurrency = new Option<int>("--concurrency") { Description = "with --connections: connections in progress at once", DefaultValueFactory = _ => 32 };
        var threads = new Option<int>("--threads") { Description = "with --connections: also compare pliant serve with this many endpoint threads (SO_REUSEPORT) against one, both running, in interleaved rounds of short connections (median ratio with a 95 % interval)", DefaultValueFactory = _ => 1 };
        var idle = new Option<int>("--idle") { Description = "with --connections: idle connections held open (0: skip)", DefaultValueFactory = _ => 1000 };
        var route = new Option<bool>("--route") { Description = "pliant get from pliant serve directly and through pliant route (to a Pliant backend and to one treated as foreign), interleaved: goodput against direct (goal >= 80 %), router CPU per GiB, router state per connection (--size default 256, --runs default 3)" };
        var cc = new Option<string?>("--cc") { Description = "congestion controller of the Pliant peers: cubic (default), newreno or bbr (BBRv3); with --path a comma-separated list (default cubic,newreno,bbr)" };
        var path = new Option<string?>("--path") { Description = "download through the impairment relay with these impairments in each direction (e.g. rate=50mbit,delay=10ms,loss=2%; keys as pliant relay), each Pliant controller of --cc in turn (with bbr also the WASM BBR, plugins/out/cc-bbr.wasm, when built; and ngtcp2's with --vs-ngtcp2), interleaved, after one unmeasured 1 MiB warm-up download per Pliant controller; --size default 10, --runs default 3" };
        var ngtcp2Cc = new Option<string>("--ngtcp2-cc") { Description = "with --path --vs-ngtcp2: ngtcp2's controllers, comma-separated (cubic, reno, bbr, bbr2)", DefaultValueFactory = _ => "cubic,bbr2" };
        var seed = new Option<ulong>("--seed") { Description = "with --path: the relay's seed (every loss is a function of it and the traffic)", DefaultValueFactory = _ => 1 };
        var qlog = new Option<bool>("--qlog") { Description = "cost of qlog: the same download with both sides writing qlog (QLOGDIR in /dev/shm) as json and as binary, and without, interleaved rounds (--runs, default 3); goal per format: server CPU per GiB <= 1.10x" };
        var multipath = new Option<bool>("--multipath") { Description = $"multipath: pliant get over two rate-limited relayed paths against the best single path, interleaved (--size default {BenchMultipath.DefaultSizeMiB}, --runs default 3, --path-rate, --path-delay), then one path blackholed mid-transfer, then (relays) the asymmetric case with and without the ack-path plugin (path 1: 100 kbit/s back); last line: multipath speedup" };
        var pathRate = new Option<string>("--path-rate") { Description = "with --multipath: each path's rate, both directions", DefaultValueFactory = _ => "50mbit" };
        var pathDelay = new Option<string>("--path-delay") { Description = "with --multipath: each path's one-way delay", DefaultValueFactory = _ => "10ms" };
        var netns = new Option<bool>("--netns") { Description = "with --multipath: real separate paths, two network namespaces joined by two veth pairs rate-limited by tbf (scripts/mp-netns.sh, root; no added delay)" };
        var kestrel = new Option<bool>("--kestrel") { Description = "Kestrel over Pliant (samples/Http3Api's /download) against pliant serve, the same download by pliant get (--size default 1024, --runs default 3), interleaved; goal: Kestrel's goodput >= 0.8x" };
        var kestrelApp = new Option<string?>("--kestrel-app") { Description = "with --kestrel: the Http3Api.dll to run (default: samples/Http3Api/bin/Release/net10.0 above the working or program directory)" };
        var wasmVsNode = new Option<bool>("--wasm-vs-node") { Description = $"Pliant.Wasm against Node's V8 on eight C kernels, with and without -msimd128 (same as pliant wasm bench; --runs: paired calls per kernel, default {WasmBench.DefaultRounds}; verdict on the median per-pair ratio)" };

        var cmd = new Command("bench", "Loopback benchmark: Pliant↔Pliant download (and ngtcp2 side by side).");
        foreach (var o in new Option[] { size, runs, vs, cross, handshakes, handshakeWarmup, script, timeout, warmup, pinCpu, plugin, cc, isolation, components, pluginDir, flood, count, connections, concurrency, idle, threads, route, path, ngtcp2Cc, seed, wasmVsNode, qlog, multipath, pathRate, pathDelay, netns, kestrel, kestrelApp }) cmd.Options.Add(o);
        cmd.SetAction(pr => pr.GetValue(wasmVsNode) ? WasmBench.Run(new WasmBench.Options(null, "node", Math.Max(1, pr.GetValue(runs) ?? WasmBench.DefaultRounds), [], false, false))
            : pr.GetValue(multipath) ? BenchMultipath.Run(Math.Max(1, pr.GetValue(size) ?? BenchMultipath.DefaultSizeMiB), Math.Max(1, pr.GetValue(runs) ?? 3),
                pr.GetValue(pathRate)!, pr.GetValue(pathDelay)!, TimeSpan.FromSeconds(pr.GetValue(timeout)), pr.GetValue(netns))
            : pr.GetValue(path) is { } spec ? RunPath(spec, CcList(pr.GetValue(cc) ?? string.Join(',', PathControllers), PathControllers),
                pr.GetValue(vs) ? CcList(pr.GetValue(ngtcp2Cc) ?? "", Ngtcp2Controllers) : [], pr.GetValue(seed), new Settings(
                pr.GetValue(size) ?? PathDefaultSizeMiB, Math.Max(1, pr.GetValue(runs) ?? PathDefaultRounds), false, false, 0, 0,
                pr.GetValue(script), TimeSpan.FromSeconds(pr.GetValue(timeout)), pr.GetValue(pinCpu), 0))
            : pr.GetValue(cc) is { } one && !PathControllers.Contains(one) ? UsageError($"--cc {one}: expected one of {string.Join(", ", PathControllers)}")
            : pr.GetValue(kestrel) ? RunKestrel(pr.GetValue(kestrelApp), Math.Max(1, pr.GetValue(size) ?? 1024), Math.Max(1, pr.GetValue(runs) ?? 3),
                Math.Max(1, pr.GetValue(warmup)), TimeSpan.FromSeconds(pr.GetValue(timeout)))
            : pr.GetValue(qlog) ? RunQlogCost(new Settings(pr.GetValue(size) ?? 1024, Math.Max(1, pr.GetValue(runs) ?? 3), false, false, 0, 0,
                pr.GetValue(script), TimeSpan.FromSeconds(pr.GetValue(timeout)), pr.GetValue(pinCpu), pr.GetValue(warmup)))
            : pr.GetValue(route) ? BenchRoute.Run(Math.Max(1, pr.GetValue(size) ?? 256), Math.Max(1, pr.GetValue(runs) ?? 3), TimeSpan.FromSeconds(pr.GetValue(timeout)))
            : pr.GetValue(flood) ? BenchFlood.Run(Math.Max(1, pr.GetValue(count) ?? BenchFlood.DefaultCount), TimeSpan.FromSeconds(Math.Min(pr.GetValue(timeout), 60)))
            : pr.GetValue(connections) ? BenchConnections.Run(new BenchConnections.Settings(Math.Max(0, pr.GetValue(count) ?? 1000),
                Math.Max(1, pr.GetValue(concurrency)), Math.Max(0, pr.GetValue(idle)), pr.GetValue(vs), TimeSpan.FromSeconds(pr.GetValue(timeout)), Math.Clamp(pr.GetValue(threads), 1, 64)))
            : pr.GetValue(isolation) || pr.GetValue(components) ? RunIsolation(pr.GetValue(pluginDir), pr.GetValue(components), new Settings(
            pr.GetValue(size) ?? IsolationDefaultSizeMiB, Math.Max(1, pr.GetValue(runs) ?? IsolationDefaultRounds), false, false, 0, 0,
            pr.GetValue(script), TimeSpan.FromSeconds(pr.GetValue(timeout)), IsolationTaskset(pr.GetValue(pinCpu)), pr.GetValue(warmup)))
            : BenchPeers.WithPeerSettings(pr.GetValue(plugin), pr.GetValue(cc)) ?? Run(new Settings(
            pr.GetValue(size) ?? 256, Math.Max(1, pr.GetValue(runs) ?? 1), pr.GetValue(vs), pr.GetValue(cross), pr.GetValue(handshakes),
            Math.Max(0, pr.GetValue(handshakeWarmup)), pr.GetValue(script), TimeSpan.FromSeconds(pr.GetValue(timeout)), pr.GetValue(pinCpu), pr.GetValue(warmup))));
        cmd.Subcommands.Add(CreateServer());
        cmd.Subcommands.Add(CreateClient());
        cmd.Subcommands.Add(CreateClientLoop());
        cmd.Subcommands.Add(CreateHandshakeClient());
        cmd.Subcommands.Add(BenchLoad.Create());
        return cmd;
    }

    private sealed record Settings(int SizeMiB, int Runs, bool VsNgtcp2, bool Cross, double HandshakeSeconds, double HandshakeWarmupSeconds, string? Script, TimeSpan Timeout, string? Taskset, int WarmupMiB);

    /// <summary>Pliant's congestion controllers, as <c>--cc</c> names them.</summary>
    private static readonly string[] PathControllers = CliSupport.CongestionControlNames;

    /// <summary>ngtcp2's, as gtlsserver's <c>--cc</c> names them.</summary>
    private static readonly string[] Ngtcp2Controllers = ["cubic", "reno", "bbr", "bbr2"];

    /// <summary>A comma-separated list of controllers; null (and a message) when one is not in <paramref name="known"/>.</summary>
    private static string[]? CcList(string list, string[] known)
    {
        var items = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var i in items)
        {
            if (known.Contains(i)) continue;
            Console.Error.WriteLine($"pliant bench: unknown congestion controller '{i}' (expected {string.Join(", ", known)})");
            return null;
        }
        return items.Distinct().ToArray();
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine("pliant bench: " + message);
        return ExitCodes.Usage;
    }

    private static Command CreateServer()
    {
        var port = new Option<int>("--port") { DefaultValueFactory = _ => 0 };
        var listen = new Option<string[]>("--listen") { Description = "KEY:CC:PLUGIN: one listener per configuration (repeatable)" };
        var cmd = new Command("server", "bench server process (internal)") { Hidden = true };
        cmd.Options.Add(port);
        cmd.Options.Add(listen);
        cmd.SetAction((pr, ct) => BenchPeers.RunServerAsync(pr.GetValue(port), pr.GetValue(listen) ?? [], ct));
        return cmd;
    }

    private static Command CreateClientLoop()
    {
        var pin = new Option<string?>("--pin");
        var target = new Option<string[]>("--target") { Description = "KEY:PORT:CC:PLUGIN (repeatable)", Required = true };
        var cmd = new Command("client-loop", "bench client process for several configurations, driven over stdin (internal)") { Hidden = true };
        cmd.Options.Add(pin);
        cmd.Options.Add(target);
        cmd.SetAction((pr, ct) => BenchPeers.RunClientLoopAsync(pr.GetValue(pin), pr.GetValue(target) ?? [], ct));
        return cmd;
    }

    private static Command CreateClient()
    {
        var port = new Option<int>("--port") { Required = true };
        var size = new Option<long>("--bytes") { Required = true };
        var pin = new Option<string?>("--pin");
        var cmd = new Command("client", "bench client process (internal)") { Hidden = true };
        cmd.Options.Add(port);
        cmd.Options.Add(size);
        cmd.Options.Add(pin);
        cmd.SetAction((pr, ct) => BenchPeers.RunClientAsync(pr.GetValue(port), pr.GetValue(size), pr.GetValue(pin), ct));
        return cmd;
    }

    private static Command CreateHandshakeClient()
    {
        var port = new Option<int>("--port") { Required = true };
        var seconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 5 };
        var warmup = new Option<double>("--warmup-seconds") { DefaultValueFactory = _ => 0 };
        var pin = new Option<string?>("--pin");
        var cmd = new Command("handshakes", "bench handshake loop (internal)") { Hidden = true };
        cmd.Options.Add(port);
        cmd.Options.Add(seconds);
        cmd.Options.Add(warmup);
        cmd.Options.Add(pin);
        cmd.SetAction((pr, ct) => BenchPeers.RunHandshakesAsync(pr.GetValue(port), pr.GetValue(seconds), pr.GetValue(warmup), pr.GetValue(pin), ct));
        return cmd;
    }

    /// <summary>One download's figures (NaN where unknown).</summary>
    internal sealed class RunResult
    {
        public bool Ok;
        public double ProcWallS = double.NaN, XferWallS = double.NaN, ServerCpuS = double.NaN, ClientCpuS = double.NaN, ClientXferCpuS = double.NaN;
        public double ServerAlloc = double.NaN, ClientAlloc = double.NaN;
        public double ServerSent = double.NaN, ServerSendCalls = double.NaN, ServerRecv = double.NaN, ServerRecvCalls = double.NaN;
        public double ClientSent = double.NaN, ClientSendCalls = double.NaN, ClientRecv = double.NaN, ClientRecvCalls = double.NaN;
        public double ServerGc = double.NaN, ClientGc = double.NaN, HandshakeS = double.NaN;
        public double ClientSteadyAlloc = double.NaN, ClientSteadyBytes = double.NaN, ClientJitMethods = double.NaN;
        public double ServerCcLimited = double.NaN, ServerPacingLimited = double.NaN, ServerCwnd = double.NaN, ServerSrttUs = double.NaN;
    }

    private static int Run(Settings s)
    {
        long bytes = (long)s.SizeMiB << 20;
        var header = new StringBuilder();
        header.Append(Inv, $"# pliant bench size_mib={s.SizeMiB} runs={s.Runs} cores={Environment.ProcessorCount} ");
        header.Append(Inv, $"gc={(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} date={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
        Console.WriteLine(header);

        var (pliant, ngtcp2) = RunPairs(s, bytes);
        Print("pliant", pliant);

        List<(string Name, List<RunResult> Runs)> cross = [];
        if (s.Cross) cross = BenchNgtcp2.RunCross(s.Script, s.SizeMiB, s.Runs, s.Timeout, s.Taskset);

        Console.WriteLine();
        PrintTable(s, pliant, ngtcp2, cross);

        if (s.HandshakeSeconds > 0) RunHandshakes(s);
        return pliant.Count > 0 && pliant.All(r => r.Ok) ? 0 : 1;
    }

    private static BenchProcess StartPeer(Settings s, IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        if (s.Taskset is null) return BenchProcess.StartSelf(args, env);
        string exe = Environment.ProcessPath ?? "dotnet";
        var full = Path.GetFileNameWithoutExtension(exe).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? new[] { "-c", s.Taskset, exe, typeof(BenchCommand).Assembly.Location }.Concat(args)
            : new[] { "-c", s.Taskset, exe }.Concat(args);
        return BenchProcess.Start("taskset", full, env);
    }

    /// <summary>A running <c>pliant bench server</c>: where clients reach it, and the environment its peers share.</summary>
    private sealed class PliantServer(BenchProcess process, string port, string pin, int pid) : IDisposable
    {
        public BenchProcess Process { get; } = process;
        public string Port { get; } = port;
        public string Pin { get; } = pin;

        /// <summary>The server's CPU seconds so far (taskset execs, so the PID is the server's own).</summary>
        public double CpuSeconds => ServerCpu(Process, pid);

        public void Dispose()
        {
            Process.Stop(TimeSpan.FromSeconds(5));
            Process.Dispose();
        }
    }

    /// <summary>Starts a bench server and waits for its <c>listening</c> line; null (and a message) if it did not start.</summary>
    private static PliantServer? StartPliantServer(Settings s, IReadOnlyDictionary<string, string?>? env = null)
    {
        var server = StartPeer(s, env, "bench", "server", "--port", "0");
        var ready = server.WaitForLine("listening", TimeSpan.FromSeconds(30));
        if (ready is null)
        {
            Console.WriteLine("pliant server did not start: " + server.Stderr);
            server.Dispose();
            return null;
        }
        var info = BenchProcess.Parse(ready);
        return new PliantServer(server, info["port"], info["fingerprint"], int.Parse(info.GetValueOrDefault("pid", "0"), Inv));
    }

    /// <summary>
    /// The Pliant pair's downloads (one long-lived server, a fresh client each) and, with <c>--vs-ngtcp2</c>, ngtcp2's,
    /// in alternating rounds (Pliant first in odd rounds, ngtcp2 first in even ones): this VM's speed drifts over
    /// minutes, and running each side as one block put that drift into the ratios.
    /// </summary>
    private static (List<RunResult> Pliant, List<RunResult>? Ngtcp2) RunPairs(Settings s, long bytes)
    {
        var pliant = new List<RunResult>();
        List<RunResult>? ngtcp2 = s.VsNgtcp2 ? [] : null;
        using var server = StartPliantServer(s);
        if (server is null) return (pliant, ngtcp2);
        if (s.WarmupMiB > 0) RunPliantClient(s, server, (long)s.WarmupMiB << 20, "0(warm-up)", "pliant");
        for (int i = 1; i <= s.Runs; i++)
        {
            if (ngtcp2 is not null && i % 2 == 0) RunNgtcp2Round(s, ngtcp2, i);
            pliant.Add(RunPliantClient(s, server, bytes, i.ToString(Inv), "pliant"));
            if (ngtcp2 is not null && i % 2 == 1) RunNgtcp2Round(s, ngtcp2, i);
        }
        return (pliant, ngtcp2);
    }

    private static void RunNgtcp2Round(Settings s, List<RunResult> into, int round)
    {
        var (runs, note) = BenchNgtcp2.RunPair(s.Script, s.SizeMiB, 1, s.Timeout, s.Taskset, round);
        if (note is not null) Console.WriteLine("# ngtcp2: " + note);
        into.AddRange(runs);
    }

    /// <summary>One download from <paramref name="server"/> by a fresh client process; prints a <c>run=</c> line.</summary>
    private static RunResult RunPliantClient(Settings s, PliantServer server, long bytes, string run, string pair,
        IReadOnlyDictionary<string, string?>? env = null)
    {
        var r = new RunResult();
        double srv0 = server.CpuSeconds;
        var wall = Stopwatch.StartNew();
        using (var client = StartPeer(s, env, "bench", "client", "--port", server.Port, "--bytes", bytes.ToString(Inv), "--pin", server.Pin))
        {
            var line = client.WaitForLine("result", s.Timeout);
            bool exited = client.WaitForExit(TimeSpan.FromSeconds(10));
            r.ProcWallS = wall.Elapsed.TotalSeconds;
            r.ServerCpuS = server.CpuSeconds - srv0;
            if (line is null || !exited)
            {
                Console.WriteLine($"run={run} pair={pair} client failed (exit {(client.HasExited ? client.ExitCode : -1)}): {client.Stderr}");
                return r;
            }
            ReadClientResult(r, BenchProcess.Parse(line), client.ExitCode);
        }
        if (server.Process.WaitForLine("xfer", TimeSpan.FromSeconds(15)) is { } xfer) ReadServerResult(r, BenchProcess.Parse(xfer));
        Console.WriteLine(string.Create(Inv,
            $"run={run} pair={pair} wall_s={r.ProcWallS:F3} xfer_s={r.XferWallS:F3} goodput_mbit={bytes * 8 / r.ProcWallS / 1e6:F1} " +
            $"xfer_goodput_mbit={bytes * 8 / r.XferWallS / 1e6:F1} client_cpu_s={r.ClientCpuS:F2} client_xfer_cpu_s={r.ClientXferCpuS:F2} " +
            $"server_cpu_s={r.ServerCpuS:F2} client_alloc={r.ClientAlloc:F0} server_alloc={r.ServerAlloc:F0} " +
            $"srv_dgram_per_send={r.ServerSent / r.ServerSendCalls:F1} cli_dgram_per_recv={r.ClientRecv / r.ClientRecvCalls:F1} status={(r.Ok ? 0 : 1)}"));
        return r;
    }

    private static void ReadClientResult(RunResult r, Dictionary<string, string> d, int exitCode)
    {
        r.Ok = exitCode == 0 && d.GetValueOrDefault("ok") == "1";
        r.XferWallS = BenchProcess.Num(d, "wall_s");
        r.HandshakeS = BenchProcess.Num(d, "handshake_s");
        r.ClientCpuS = BenchProcess.Num(d, "proc_cpu_s");
        r.ClientXferCpuS = BenchProcess.Num(d, "cpu_s");
        r.ClientAlloc = BenchProcess.Num(d, "alloc");
        r.ClientSent = BenchProcess.Num(d, "dgram_sent");
        r.ClientSendCalls = BenchProcess.Num(d, "send_calls");
        r.ClientRecv = BenchProcess.Num(d, "dgram_recv");
        r.ClientRecvCalls = BenchProcess.Num(d, "recv_calls");
        r.ClientGc = BenchProcess.Num(d, "gc0") + BenchProcess.Num(d, "gc1") + BenchProcess.Num(d, "gc2");
        r.ClientSteadyAlloc = BenchProcess.Num(d, "steady_alloc");
        r.ClientSteadyBytes = BenchProcess.Num(d, "steady_bytes");
        r.ClientJitMethods = BenchProcess.Num(d, "jit_methods");
    }

    private static void ReadServerResult(RunResult r, Dictionary<string, string> d)
    {
        r.ServerAlloc = BenchProcess.Num(d, "alloc");
        r.ServerCcLimited = BenchProcess.Num(d, "cc_limited");
        r.ServerPacingLimited = BenchProcess.Num(d, "pacing_limited");
        r.ServerCwnd = BenchProcess.Num(d, "cwnd");
        r.ServerSrttUs = BenchProcess.Num(d, "srtt_us");
        r.ServerSent = BenchProcess.Num(d, "dgram_sent");
        r.ServerSendCalls = BenchProcess.Num(d, "send_calls");
        r.ServerRecv = BenchProcess.Num(d, "dgram_recv");
        r.ServerRecvCalls = BenchProcess.Num(d, "recv_calls");
        r.ServerGc = BenchProcess.Num(d, "gc0") + BenchProcess.Num(d, "gc1") + BenchProcess.Num(d, "gc2");
    }

    /// <summary>The server's CPU seconds so far (taskset execs, so the PID is the server's own).</summary>
    private static double ServerCpu(BenchProcess server, int pid)
    {
        if (pid > 0 && pid != server.Id)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                return p.TotalProcessorTime.TotalSeconds;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                return double.NaN;
            }
        }
        return server.CpuSeconds;
    }

    private static void RunHandshakes(Settings s)
    {
        using var server = StartPliantServer(s);
        if (server is null) return;
        using var client = StartPeer(s, null, "bench", "handshakes", "--port", server.Port, "--pin", server.Pin,
            "--seconds", s.HandshakeSeconds.ToString(Inv), "--warmup-seconds", s.HandshakeWarmupSeconds.ToString(Inv));
        if (client.WaitForLine("warm", TimeSpan.FromSeconds(s.HandshakeWarmupSeconds + 60)) is null)
        {
            Console.WriteLine("handshake client failed: " + client.Stderr);
            return;
        }
        double srv0 = server.CpuSeconds, tickCpu = srv0, tickN = 0;
        var perSecond = new List<double>();
        string? line;
        // One tick a second: the server's CPU per handshake second by second shows whether the warm-up was long enough.
        while ((line = client.WaitForLine("", TimeSpan.FromSeconds(s.HandshakeSeconds + 60))) is not null && !line.StartsWith("handshakes", StringComparison.Ordinal))
        {
            if (!line.StartsWith("tick", StringComparison.Ordinal)) continue;
            double cpuNow = server.CpuSeconds, ticked = BenchProcess.Num(BenchProcess.Parse(line), "n");
            if (ticked > tickN) perSecond.Add((cpuNow - tickCpu) * 1000 / (ticked - tickN));
            tickCpu = cpuNow;
            tickN = ticked;
        }
        double srvCpu = server.CpuSeconds - srv0;
        client.WaitForExit(TimeSpan.FromSeconds(10));
        if (line is null)
        {
            Console.WriteLine("handshake client failed: " + client.Stderr);
            return;
        }
        var d = BenchProcess.Parse(line);
        double n = BenchProcess.Num(d, "n"), wall = BenchProcess.Num(d, "wall_s"), cli = BenchProcess.Num(d, "cpu_s");
        Console.WriteLine();
        Console.WriteLine(string.Create(Inv,
            $"handshakes n={n} failed={d.GetValueOrDefault("failed")} wall_s={wall:F2} rate_per_s={n / wall:F0} " +
            $"server_cpu_ms_per_hs={srvCpu * 1000 / n:F3} client_cpu_ms_per_hs={cli * 1000 / n:F3} " +
            $"server_hs_per_core_s={n / srvCpu:F0} client_hs_per_core_s={n / cli:F0} client_alloc_per_hs={BenchProcess.Num(d, "alloc") / n:F0}"));
        Console.WriteLine(string.Create(Inv,
            $"server CPU ms per handshake, second by second after a {s.HandshakeWarmupSeconds:0.#} s warm-up: {string.Join(' ', perSecond.Select(x => x.ToString("F3", Inv)))}"));
        double perCoreS = n / srvCpu;
        Console.WriteLine(string.Create(Inv,
            $"goal full handshakes per server core-second >= 1000: {perCoreS:F0} {(perCoreS >= 1000 ? "PASS" : "FAIL")}"));
    }

    private static void Print(string name, List<RunResult> runs)
    {
        if (runs.Count == 0) Console.WriteLine($"# {name}: no runs completed");
    }

    internal static double Median(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static void PrintTable(Settings s, List<RunResult> pliant, List<RunResult>? ngtcp2, List<(string Name, List<RunResult> Runs)> cross)
    {
        double bytes = (double)s.SizeMiB * 1024 * 1024;
        double perGiB = GiB / bytes;
        var columns = new List<(string Name, List<RunResult> Runs)> { ("pliant", pliant.Where(r => r.Ok).ToList()) };
        if (ngtcp2 is not null) columns.Add(("ngtcp2", ngtcp2.Where(r => r.Ok).ToList()));
        foreach (var c in cross) columns.Add((c.Name, c.Runs.Where(r => r.Ok).ToList()));

        var rows = new List<(string Label, Func<RunResult, double> Get, string Format, bool HigherIsBetter)>
        {
            ("goodput Mbit/s (process wall)", r => bytes * 8 / r.ProcWallS / 1e6, "F0", true),
            ("goodput Mbit/s (connect..last byte)", r => bytes * 8 / r.XferWallS / 1e6, "F0", true),
            ("wall s (process)", r => r.ProcWallS, "F3", false),
            ("server CPU s/GiB", r => r.ServerCpuS * perGiB, "F2", false),
            ("client CPU s/GiB (process)", r => r.ClientCpuS * perGiB, "F2", false),
            ("client CPU s/GiB (connect..last byte)", r => r.ClientXferCpuS * perGiB, "F2", false),
            ("server alloc KiB/GiB", r => r.ServerAlloc * perGiB / 1024, "F0", false),
            ("client alloc KiB/GiB", r => r.ClientAlloc * perGiB / 1024, "F0", false),
            ("client alloc KiB/GiB (steady state)", r => r.ClientSteadyBytes > 0 ? r.ClientSteadyAlloc * GiB / r.ClientSteadyBytes / 1024 : double.NaN, "F0", false),
            ("client methods JIT-compiled", r => r.ClientJitMethods, "F0", false),
            ("server GCs", r => r.ServerGc, "F0", false),
            ("client GCs", r => r.ClientGc, "F0", false),
            ("server datagrams/send syscall", r => r.ServerSent / r.ServerSendCalls, "F1", true),
            ("client datagrams/recv syscall", r => r.ClientRecv / r.ClientRecvCalls, "F1", true),
            ("client datagrams/send syscall", r => r.ClientSent / r.ClientSendCalls, "F1", true),
            ("server datagrams/recv syscall", r => r.ServerRecv / r.ServerRecvCalls, "F1", true),
            ("server datagrams sent", r => r.ServerSent, "F0", false),
            ("client datagrams sent (ACKs)", r => r.ClientSent, "F0", false),
            ("server sends held by cwnd", r => r.ServerCcLimited, "F0", false),
            ("server sends held by the pacer", r => r.ServerPacingLimited, "F0", false),
            ("server cwnd KiB at the end", r => r.ServerCwnd / 1024, "F0", false),
            ("server srtt µs at the end", r => r.ServerSrttUs, "F0", false),
        };

        string title = $"median of {s.Runs} run(s), {s.SizeMiB} MiB over 127.0.0.1";
        var sb = new StringBuilder();
        sb.AppendLine(title);
        sb.Append($"{"metric",-40}");
        foreach (var c in columns) sb.Append(Inv, $"{c.Name,16}");
        if (ngtcp2 is not null) sb.Append($"{"pliant/ngtcp2",16}");
        sb.AppendLine();
        var medians = new Dictionary<string, double[]>();
        foreach (var row in rows)
        {
            var m = columns.Select(c => Median(c.Runs.Select(row.Get))).ToArray();
            medians[row.Label] = m;
            if (m.All(double.IsNaN)) continue;
            sb.Append($"{row.Label,-40}");
            foreach (var x in m) sb.Append(double.IsNaN(x) ? $"{"-",16}" : string.Create(Inv, $"{x.ToString(row.Format, Inv),16}"));
            if (ngtcp2 is not null)
            {
                double ratio = m[0] / m[1];
                sb.Append(double.IsNaN(ratio) || double.IsInfinity(ratio) ? $"{"-",16}" : string.Create(Inv, $"{ratio,15:F2}x"));
            }
            sb.AppendLine();
        }
        Console.Write(sb);
        Console.WriteLine("(ngtcp2 is HTTP/3 gtlsserver→gtlsclient via ngtcp2-pair.sh; its client CPU and wall are whole-process, like the 'process' rows.)");

        if (ngtcp2 is not null && columns[1].Runs.Count > 0 && columns[0].Runs.Count > 0)
        {
            double g = medians["goodput Mbit/s (process wall)"][0] / medians["goodput Mbit/s (process wall)"][1];
            double sc = medians["server CPU s/GiB"][0] / medians["server CPU s/GiB"][1];
            double cc = medians["client CPU s/GiB (process)"][0] / medians["client CPU s/GiB (process)"][1];
            // Steady state (issue 5): the server's whole transfer, the client's last three quarters (its
            // chunk pool grows with the flow-control window during the first).
            double clientAlloc = medians["client alloc KiB/GiB (steady state)"][0];
            if (double.IsNaN(clientAlloc)) clientAlloc = medians["client alloc KiB/GiB"][0];
            double alloc = Math.Max(medians["server alloc KiB/GiB"][0], clientAlloc);
            Console.WriteLine();
            Console.WriteLine(string.Create(Inv, $"goal goodput >= 1.0x ngtcp2: {g:F2}x {(g >= 1 ? "PASS" : "FAIL")}"));
            Console.WriteLine(string.Create(Inv, $"goal CPU/GiB <= 1.0x ngtcp2: server {sc:F2}x client {cc:F2}x {(sc <= 1 && cc <= 1 ? "PASS" : "FAIL")}"));
            Console.WriteLine(string.Create(Inv, $"goal alloc/GiB < 1 MiB in steady state: {alloc:F0} KiB {(alloc < 1024 ? "PASS" : "FAIL")}"));
            bool kept = g >= 1.4 && sc <= 0.7 && cc <= 0.7;
            Console.WriteLine(string.Create(Inv,
                $"goal fast path kept (>= 1.4x goodput, <= 0.7x CPU/GiB): {g:F2}x, server {sc:F2}x client {cc:F2}x {(kept ? "PASS" : "FAIL")}"));
            PrintRoundRatios(pliant, ngtcp2);
        }
    }

    /// <summary>Pliant/ngtcp2 per round (the two ran back to back in each round): how far the medians' ratios can be trusted.</summary>
    private static void PrintRoundRatios(List<RunResult> pliant, List<RunResult> ngtcp2)
    {
        int n = Math.Min(pliant.Count, ngtcp2.Count);
        if (n < 2) return;
        string Series(Func<RunResult, double> f) =>
            string.Join(' ', Enumerable.Range(0, n).Select(i => (f(pliant[i]) / f(ngtcp2[i])).ToString("F2", Inv)));
        Console.WriteLine("per round (pliant/ngtcp2): goodput " + Series(r => 1 / r.ProcWallS) + ", server CPU " + Series(r => r.ServerCpuS) +
            ", client CPU " + Series(r => r.ClientCpuS));
    }
}
