using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pliant.Wasm;
using Pliant.Wasm.Runtime;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant wasm bench</c>: Pliant.Wasm against Node's V8 on the same modules (bench/wasm/vsnode:
/// eight C kernels built without and with -msimd128), compile speed and empty-call costs, each with
/// PASS/FAIL against issue 16's goals. Kernel times are CPU time of the process around one call after
/// warm-up, in both engines: single calls alternating between Pliant and a Node process holding the same module
/// (run.mjs --serve), and the verdict on the median of the per-pair ratios with its 95 % interval (this host's
/// speed drifts by up to 2x within a minute, so minima taken over a whole run compare different moments);
/// process times are wall time of a fresh process making one cold call (minimum over rounds).
/// </summary>
internal static class WasmBench
{
    /// <summary>Kernel and size: about 50–150 ms per call in V8 on the 2-core build machine.</summary>
    private static readonly (string Name, int N)[] Kernels =
    [
        ("float_math", 20000), ("int_math", 20_000_000), ("bits", 8000), ("interp", 2_500_000),
        ("conversions", 3000), ("memcopy", 600), ("recursion", 600), ("checksum", 100),
    ];

    public sealed record Options(string? Dir, string Node, int Rounds, string[] Only, bool SkipNode, bool SkipProcess, bool NoFuel = false);

    private const double KernelGoal = 1.0, CompileGoalUsPerKiB = 100, CallGoalNs = 5;

    /// <summary>
    /// Compiles timed per module and CPU, the fastest counting (~0.5 ms each for the workloads modules). With 30 the
    /// minimum on this VM was mostly noise: one build read 114–192 µs/KiB from run to run, and 101–116 with 400
    /// (2026-12-05 13:00 UTC; a pinned harness's minimum over 400: 98–104).
    /// </summary>
    private const int CompileRuns = 400;

    /// <summary>Fresh processes per engine and kernel for the whole-process column (the minimum is printed).</summary>
    /// <summary>Paired calls per kernel by default. The verdict is on the median per-pair ratio, whose 95 % interval on this
    /// host's noise is about ±10 % with 11 pairs and about ±5 % with 31 (a whole run ~1.5 min more).</summary>
    public const int DefaultRounds = 31;
    private const int ProcessRounds = 3;

    public static int Run(Options o)
    {
        string? dir = o.Dir ?? FindDir();
        if (dir is null || !File.Exists(Path.Combine(dir, "workloads.c")) && !File.Exists(Path.Combine(dir, "workloads.wasm")))
        {
            Console.Error.WriteLine("pliant wasm bench: bench/wasm/vsnode not found: run inside the repository, or give --dir");
            return 2;
        }
        string runner = Path.Combine(dir, "run.mjs");
        string? nodeVersion = o.SkipNode ? null : NodeVersion(o.Node);
        if (!o.SkipNode && nodeVersion is null)
        {
            // Pliant's own figures are still worth printing; the verdicts need V8's.
            Console.WriteLine($"NOTE: node ('{o.Node}') does not run on this machine (install it: apt-get install nodejs, or give --node PATH):");
            Console.WriteLine("      printing Pliant's figures only; the per-kernel goals (<= 1.0x V8) are NOT checked.");
        }
        var (modules, origin) = Modules(dir);
        if (modules.Length == 0)
        {
            Console.Error.WriteLine($"pliant wasm bench: no workloads .wasm in {dir}: install clang and lld, or run bench/wasm/vsnode/build.sh");
            return 2;
        }
        Console.WriteLine($"Pliant.Wasm vs {(nodeVersion is null ? "(no node)" : "node " + nodeVersion)}, .NET {Environment.Version}, {Environment.ProcessorCount} CPUs, {o.Rounds} paired calls per kernel after 3 warm-up calls (one call in each engine right after the other, order alternating); times are medians, ratio = median of the per-pair ratios with its 95 % interval");
        Console.WriteLine($"modules: {origin}");
        Console.WriteLine(o.NoFuel ? "fuel metering: off (--no-fuel: compiled with WasmLimits.MeterFuel = false, as V8 meters nothing)" : "fuel metering: on (the default; --no-fuel compiles without it)");
        var limits = WasmLimits.Default with { MeterFuel = !o.NoFuel };
        string[] runFlags = o.NoFuel ? ["--no-fuel"] : [];
        bool allPass = nodeVersion is not null;
        int[] cpus = CpuAffinity.Allowed();
        Console.WriteLine(cpus.Length == 0 ? "CPU pinning: not available (each engine's thread runs where the scheduler puts it)"
            : $"each pair of calls runs on one CPU, both engines' kernel threads pinned to it, moving through CPUs {string.Join(",", cpus)} every two pairs");
        var kernels = Kernels.Where(k => o.Only.Length == 0 || o.Only.Contains(k.Name)).ToArray();

        Console.WriteLine();
        Console.WriteLine($"{"kernel",-12} {"build",-8} {"pliant ms",10} {"v8 ms",9} {"ratio",6} {"95% interval",14}  {"goal",-5} {"proc pliant",11} {"proc node",9} {"ratio",6}");
        foreach (var (variant, path) in modules)
        {
            var pliant = new PliantKernels(File.ReadAllBytes(path), limits);
            using var v8 = nodeVersion is null ? null : new NodeKernels(o.Node, runner, path);
            foreach (var (name, n) in kernels)
            {
                var ours = new List<double>();
                var theirs = new List<double>();
                var f = pliant.Function(name);
                uint expected = 0;
                // Warm-up: three calls each (V8's dynamic tiering swaps Liftoff code for TurboFan code in the
                // background; Pliant's tiered JIT promotes the compiler's and runtime's own methods).
                for (int i = 0; i < 3; i++) expected = PliantKernels.Call(f, n).Result;
                if (v8 is not null)
                {
                    for (int i = 0; i < 3; i++) Check(v8.Call(name, n));
                    v8.Settle();
                }
                Thread.Sleep(100);
                for (int r = 0; r < o.Rounds; r++)
                {
                    // One call in each engine, right after each other, on the same CPU, alternating which goes
                    // first and moving through the CPUs: this VM's vCPUs run at different speeds (one 20 % slower
                    // than the other for minutes, then the other way round) and the host's speed drifts by up to
                    // 2x within a minute, so minima over a whole run compared different moments and CPUs.
                    bool nodeFirst = (r & 1) == 1;
                    int cpu = cpus.Length == 0 ? -1 : cpus[r / 2 % cpus.Length];
                    v8?.PinTo(cpu);
                    if (nodeFirst && v8 is not null) theirs.Add(Check(v8.Call(name, n)));
                    var (result, ms) = PliantKernels.Call(f, n, cpu);
                    if (result != expected) throw new InvalidOperationException($"{name} ({variant}): result changed between calls");
                    ours.Add(ms);
                    if (!nodeFirst && v8 is not null) theirs.Add(Check(v8.Call(name, n)));
                }
                double procOurs = double.MaxValue, procTheirs = double.MaxValue;
                for (int r = 0; r < ProcessRounds && !o.SkipProcess; r++)
                {
                    if (v8 is not null) procTheirs = Math.Min(procTheirs, ProcessMs(o.Node, [runner, path, name, n.ToString(CultureInfo.InvariantCulture), "1", "0"]));
                    procOurs = Math.Min(procOurs, ProcessMs(SelfExe(), [.. SelfArgs(), "wasm", "run", path, .. runFlags, "--invoke", name, n.ToString(CultureInfo.InvariantCulture)]));
                }
                string verdict = "-", ratio = "-", interval = "";
                if (v8 is not null)
                {
                    var ratios = ours.Zip(theirs, (a, b) => a / b).ToArray();
                    double median = BenchCommand.Median(ratios);
                    var (low, high) = BenchCommand.MedianInterval(ratios);
                    bool pass = median <= KernelGoal;
                    allPass &= pass;
                    verdict = pass ? "PASS" : "FAIL";
                    ratio = median.ToString("F2", CultureInfo.InvariantCulture);
                    interval = string.Create(CultureInfo.InvariantCulture, $"[{low:F2}, {high:F2}]");
                }
                Console.WriteLine($"{name,-12} {variant,-8} {BenchCommand.Median(ours),10:F2} {(theirs.Count == 0 ? "-" : Fmt(BenchCommand.Median(theirs))),9} {ratio,6} {interval,14}  {verdict,-5} {Fmt(procOurs),11} {Fmt(procTheirs),9} {Ratio(procOurs, procTheirs),6}");

                double Check((uint Result, double Ms) call) =>
                    call.Result == expected ? call.Ms : throw new InvalidOperationException($"{name} ({variant}): Pliant returned {expected}, V8 {call.Result}");
            }
        }

        Console.WriteLine();
        allPass &= CompileSpeed(dir, modules.Select(m => m.Path));
        allPass &= CallCosts(Path.Combine(dir, "..", "kernels.wasm"));
        Console.WriteLine();
        Console.WriteLine(allPass ? "overall: PASS" : nodeVersion is null ? "overall: FAIL (no node: the kernel goals could not be checked)" : "overall: FAIL");
        return allPass ? 0 : 1;
    }

    /// <summary>
    /// The two builds of workloads.c: compiled now by clang into a temporary folder when clang and wasm-ld are
    /// on the PATH (so the bench measures the C source as it is), else the .wasm files committed beside it.
    /// </summary>
    private static ((string Variant, string Path)[] Modules, string Origin) Modules(string dir)
    {
        string source = Path.Combine(dir, "workloads.c");
        if (File.Exists(source) && OnPath("clang") && OnPath("wasm-ld"))
        {
            string outDir = Path.Combine(Path.GetTempPath(), $"pliant-wasm-bench-{Environment.ProcessId}");
            Directory.CreateDirectory(outDir);
            string[] flags = ["--target=wasm32", "-O2", "-nostdlib", "-ffreestanding", "-mbulk-memory", "-Wall", "-Werror",
                "-Wl,--no-entry", "-Wl,--allow-undefined", "-Wl,--strip-debug"];
            string scalar = Path.Combine(outDir, "workloads.wasm"), simd = Path.Combine(outDir, "workloads-simd.wasm");
            var a = Exec("clang", [.. flags, "-o", scalar, source]);
            var b = a.Code == 0 ? Exec("clang", [.. flags, "-msimd128", "-o", simd, source]) : a;
            if (a.Code == 0 && b.Code == 0)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(outDir, true); } catch (IOException) { } };
                return ([("scalar", scalar), ("simd128", simd)], $"built now from {source} by {FirstLine(Exec("clang", ["--version"]).Output)} (flags as build.sh)");
            }
            Console.WriteLine($"NOTE: clang failed on {source}, using the committed .wasm: {(a.Code != 0 ? a.Output : b.Output).Trim()}");
        }
        var committed = new[] { ("scalar", Path.Combine(dir, "workloads.wasm")), ("simd128", Path.Combine(dir, "workloads-simd.wasm")) }
            .Where(m => File.Exists(m.Item2)).ToArray();
        return (committed, $"committed builds in {dir} (clang and wasm-ld not both on the PATH)");
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private static bool OnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => d.Length > 0 && File.Exists(Path.Combine(d, exe)));

    private static string Fmt(double ms) => ms == double.MaxValue ? "-" : ms.ToString("F2", CultureInfo.InvariantCulture);

    private static string Ratio(double a, double b) => a == double.MaxValue || b == double.MaxValue ? "-" : (a / b).ToString("F2", CultureInfo.InvariantCulture);

    private static string? FindDir()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "bench", "wasm", "vsnode");
                if (Directory.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>
    /// CPU time of this process (CLOCK_PROCESS_CPUTIME_ID: exact, not tick-sampled), the measure of both
    /// engines: on a shared machine wall time mostly measures the other processes.
    /// </summary>
    internal static class CpuClock
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clock, out TimeSpec ts);

        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        /// <summary>CPU time of the whole process (CLOCK_PROCESS_CPUTIME_ID), as node's process.cpuUsage() counts V8's.</summary>
        public static double NowMs() => Read(2);

        /// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): compile and call loops, without the runtime's background threads.</summary>
        public static double ThreadNowMs() => Read(3);

        private static double Read(int clock)
        {
            if (!OperatingSystem.IsLinux()) return Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
            ClockGetTime(clock, out var ts);
            return ts.Seconds * 1000.0 + ts.Nanoseconds / 1e6;
        }
    }

    /// <summary>The kernels of one module in this process: compiled once (and all functions JIT-compiled), one instance.</summary>
    private sealed class PliantKernels(byte[] bytes, WasmLimits limits)
    {
        private readonly Instance _instance = Prepared(bytes, limits).Instantiate(new Imports().Function("env", "host_empty", () => { }));

        private static CompiledModule Prepared(byte[] bytes, WasmLimits limits)
        {
            var m = CompiledModule.Compile(bytes, limits);
            m.PrepareAll();
            return m;
        }

        public Func<int, int> Function(string kernel) => _instance.GetFunction<Func<int, int>>(kernel);

        /// <summary>One call, timed in process CPU time (as run.mjs times V8), on a thread with a 16 MiB stack as `wasm run` uses.</summary>
        public static (uint Result, double Ms) Call(Func<int, int> f, int n, int cpu = -1)
        {
            uint result = 0;
            double ms = 0;
            CpuAffinity.RunPinned(cpu, () =>
            {
                double start = CpuClock.NowMs();
                result = (uint)f(n);
                ms = CpuClock.NowMs() - start;
            }, 16 << 20);
            return (result, ms);
        }
    }

    /// <summary>One Node process holding one module (run.mjs --serve), timing single calls on request.</summary>
    private sealed class NodeKernels : IDisposable
    {
        private readonly Process _process;

        public NodeKernels(string node, string runner, string path)
        {
            var psi = new ProcessStartInfo(node) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { runner, "--serve", path }) psi.ArgumentList.Add(a);
            _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + node);
        }

        public (uint Result, double Ms) Call(string kernel, int n)
        {
            using var doc = Ask(string.Create(CultureInfo.InvariantCulture, $"call {kernel} {n}"));
            return (doc.RootElement.GetProperty("result").GetUInt32(), doc.RootElement.GetProperty("cpu_us").GetDouble() / 1e3);
        }

        /// <summary>Moves the Node process's main thread (the one running the kernels) to <paramref name="cpu"/> (-1: leave it).</summary>
        public void PinTo(int cpu) => CpuAffinity.Pin(_process.Id, cpu);

        /// <summary>Lets V8's background compilation finish (100 ms).</summary>
        public void Settle() => Ask("settle").Dispose();

        private JsonDocument Ask(string command)
        {
            _process.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
            string line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"node exited (code {(_process.WaitForExit(1000) ? _process.ExitCode : -1)}) on '{command}'");
            var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("error", out var e)) throw new InvalidOperationException($"node: {e.GetString()}");
            return doc;
        }

        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000)) _process.Kill(true);
            }
            finally
            {
                _process.Dispose();
            }
        }
    }

    private static string? NodeVersion(string node)
    {
        try
        {
            var (code, output) = Exec(node, ["-e", "console.log(process.version + ' (V8 ' + process.versions.v8 + ')')"]);
            return code == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string SelfExe() => Environment.ProcessPath ?? "dotnet";

    private static string[] SelfArgs() =>
        Path.GetFileNameWithoutExtension(SelfExe()).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? [typeof(WasmBench).Assembly.Location] : [];

    private static double ProcessMs(string exe, string[] args)
    {
        var sw = Stopwatch.StartNew();
        var (code, output) = Exec(exe, args);
        if (code != 0) throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed: {output}");
        return sw.Elapsed.TotalMilliseconds;
    }

    private static (int Code, string Output) Exec(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + exe);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(true);
            throw new TimeoutException($"{exe} did not finish in 300 s");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Compile cost per KiB of code: to callable IL (Compile) and to machine code (Compile + PrepareAll).</summary>
    private static bool CompileSpeed(string dir, IEnumerable<string> paths)
    {
        var files = paths.ToList();
        var spec = Path.Combine(dir, "..", "..", "..", "artifacts", "wasm-spec");
        if (Directory.Exists(spec))
        {
            // The largest spec modules up to 64 KiB: many small functions, or few large ones.
            files.AddRange(Directory.GetFiles(spec, "*.wasm").Select(f => new FileInfo(f)).Where(f => f.Length is > 8_000 and <= 65_536)
                .OrderByDescending(f => f.Length).Take(4).Select(f => f.FullName));
        }
        // The compiler's own code past tier 0 first: tiered compilation promotes a method after 30 calls and a
        // 100 ms quiet period, on a background thread; timing before that measured the compiler's tier-0 code
        // (~2-4x slower). A process's very first compile also JIT-compiles the compiler: not counted here.
        var loadable = files.Select(File.ReadAllBytes).Where(b => { try { CompiledModule.Compile(b); return true; } catch (WasmException) { return false; } }).ToList();
        for (int round = 0; round < 3; round++)
        {
            foreach (var b in loadable) for (int i = 0; i < 40; i++) CompiledModule.Compile(b);
            Thread.Sleep(300);
        }
        bool pass = true;
        // compile = decode + validate + IL, callable at once; the JIT then compiles each function at its first call
        // (or all in PrepareAll): "first call" is that cost per function, the +JIT column the whole module's.
        // Each figure is the fastest run on the fastest CPU: this VM's vCPUs run up to 2x apart in speed (a noisy
        // neighbour on one), and the fastest run is the one least disturbed — the per-CPU figures are printed too.
        // Per KiB of code (the function bodies, as the issue states the goal), not of the whole file: on the
        // workloads modules the code is ~87 % of the file, so the per-file figure read ~13 % low.
        Console.WriteLine($"{"module",-28} {"KiB",6} {"code",6} {"funcs",6} {"compile us/KiB code (per CPU)",31} {"+JIT us/KiB",12} {"first call us",14}  goal <= {CompileGoalUsPerKiB} us/KiB of code (compile)");
        foreach (var f in files)
        {
            var bytes = File.ReadAllBytes(f);
            CompiledModule? m = null;
            try
            {
                m = CompiledModule.Compile(bytes);
            }
            catch (WasmException)
            {
                continue;
            }
            double fileKib = bytes.Length / 1024.0, kib = m.Module.Bodies.Sum(b => b.Size) / 1024.0;
            if (kib <= 0) kib = fileKib;
            var (compileMs, perCpu) = BestOnEachCpu(() => CompiledModule.Compile(bytes), CompileRuns);
            double compile = compileMs * 1000 / kib;
            double full = BestOnEachCpu(() => CompiledModule.Compile(bytes).PrepareAll(), 5).Ms * 1000 / kib;
            double firstCall = (full - compile) * kib / Math.Max(1, m.Module.Functions.Count);
            bool ok = compile <= CompileGoalUsPerKiB;
            pass &= ok;
            string each = string.Join('/', perCpu.Select(x => (x * 1000 / kib).ToString("F0", CultureInfo.InvariantCulture)));
            Console.WriteLine($"{Path.GetFileName(f),-28} {fileKib,6:F1} {kib,6:F1} {m.Module.Functions.Count,6} {$"{compile:F0} ({each})",31} {full,12:F0} {firstCall,14:F0}  {(ok ? "PASS" : "FAIL")}");
        }
        return pass;
    }

    /// <summary>Empty calls each way, measured in a loop (bench/wasm/kernels.wasm: empty, call_host, loop_only).</summary>
    private static bool CallCosts(string kernelsPath)
    {
        if (!File.Exists(kernelsPath)) return true;
        var inst = CompiledModule.Compile(File.ReadAllBytes(kernelsPath)).Instantiate(new Imports().Function("env", "host_empty", () => { }));
        var empty = inst.GetFunction<Action>("empty");
        var callHost = inst.GetFunction<Action<int>>("call_host");
        var loopOnly = inst.GetFunction<Func<int, int>>("loop_only");
        const int Calls = 20_000_000;
        var (h2w, h2wEach) = BestOnEachCpu(() => { for (int i = 0; i < Calls; i++) empty(); }, 5);
        var (w2h, w2hEach) = BestOnEachCpu(() => callHost(Calls), 5);
        double loop = BestOnEachCpu(() => loopOnly(Calls), 5).Ms * 1e6 / Calls;
        double hostToWasm = h2w * 1e6 / Calls, wasmToHost = w2h * 1e6 / Calls;
        bool a = hostToWasm <= CallGoalNs, b = wasmToHost <= CallGoalNs;
        string PerCpu(double[] ms) => string.Join('/', ms.Select(x => (x * 1e6 / Calls).ToString("F2", CultureInfo.InvariantCulture)));
        Console.WriteLine();
        Console.WriteLine($"empty call host->wasm {hostToWasm,6:F2} ns  {(a ? "PASS" : "FAIL")} (goal <= {CallGoalNs} ns; per CPU {PerCpu(h2wEach)})");
        Console.WriteLine($"empty call wasm->host {wasmToHost,6:F2} ns  {(b ? "PASS" : "FAIL")} (per CPU {PerCpu(w2hEach)}; loop alone {loop:F2} ns/iteration)");
        return a && b;
    }

    /// <summary>Fastest of <paramref name="runs"/> runs in this thread's CPU ms (the machine is shared; see <see cref="CpuClock"/>).</summary>
    private static double Best(Action a, int runs) => BenchTiming.BestMs(a, runs, CpuClock.ThreadNowMs);

    /// <summary>
    /// <see cref="Best"/> on a thread pinned to each CPU this process may use in turn: the fastest overall and each CPU's
    /// (one figure, unpinned, where affinity is not available).
    /// </summary>
    private static (double Ms, double[] PerCpu) BestOnEachCpu(Action a, int runs)
    {
        int[] cpus = CpuAffinity.Allowed();
        if (cpus.Length == 0) cpus = [-1];
        var each = new double[cpus.Length];
        for (int i = 0; i < cpus.Length; i++)
        {
            int slot = i;
            CpuAffinity.RunPinned(cpus[i], () => each[slot] = Best(a, runs), 16 << 20);
        }
        return (each.Min(), each);
    }
}
