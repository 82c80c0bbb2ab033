using System.Diagnostics;
using System.Globalization;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant bench --kestrel</c> (issue 14): the same <c>pliant get</c> download (default 1 GiB) from Kestrel over Pliant
/// (samples/Http3Api's <c>/download</c>, bytes from memory) and from <c>pliant serve</c> (a file in /dev/shm when there is
/// one), interleaved rounds in alternating order, one client process per download. Prints medians of goodput and server
/// CPU per GiB, and the goal: Kestrel's goodput at least 0.8x Pliant's own HTTP/3 server's.
/// </summary>
internal static partial class BenchCommand
{
    private const double KestrelGoodputGoal = 0.8;

    private sealed record KestrelDownload(bool Ok, double GoodputMbit, double ServerCpuS, string Error);

    /// <summary>Finds samples/Http3Api's build (Release first) above the working or the program directory.</summary>
    private static string? FindKestrelApp(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return File.Exists(explicitPath) ? Path.GetFullPath(explicitPath) : null;
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                foreach (var config in new[] { "Release", "Debug" })
                {
                    var candidate = Path.Combine(d.FullName, "samples", "Http3Api", "bin", config, "net10.0", "Http3Api.dll");
                    if (File.Exists(candidate)) return candidate;
                }
        return null;
    }

    private static int RunKestrel(string? appOption, int sizeMiB, int runs, int warmupMiB, TimeSpan timeout)
    {
        string? app = FindKestrelApp(appOption);
        if (app is null)
        {
            Console.Error.WriteLine("pliant bench --kestrel: samples/Http3Api/bin/Release/net10.0/Http3Api.dll not found (build it, or --kestrel-app PATH)");
            return ExitCodes.Usage;
        }
        long bytes = (long)sizeMiB << 20;
        string root = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "pliant-bench-kestrel-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(root);
        var processes = new List<BenchProcess>();
        try
        {
            string key = Path.Combine(root, "key.pem"), cert = Path.Combine(root, "cert.pem");
            using (var ossl = BenchProcess.Start("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                       "-keyout", key, "-out", cert, "-days", "7", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]))
                if (!ossl.WaitForExit(TimeSpan.FromSeconds(30)) || ossl.ExitCode != 0) throw new InvalidOperationException("openssl: " + ossl.Stderr);
            string docs = Path.Combine(root, "htdocs");
            Directory.CreateDirectory(docs);
            using (var f = File.Create(Path.Combine(docs, "file.bin"))) f.SetLength(bytes);
            // Kestrel has more code to tier up than pliant serve: the warm-up is at least 256 MiB (or the size).
            long warm = (long)Math.Max(Math.Max(1, warmupMiB), Math.Min(256, sizeMiB)) << 20;
            using (var f = File.Create(Path.Combine(docs, "warm.bin"))) f.SetLength(warm);

            int pliantPort = BenchProcess.FreeUdpPort();
            var pliant = BenchProcess.StartSelf(["serve", docs, "--listen", $"127.0.0.1:{pliantPort}", "--cert", cert, "--key", key, "--quiet"]);
            processes.Add(pliant);
            if (pliant.WaitForLine("pliant serve: listening", TimeSpan.FromSeconds(30)) is null) throw new InvalidOperationException("pliant serve did not start: " + pliant.Stderr);
            // Kestrel needs the port free for TCP (its HTTP/1.1 and HTTP/2 listener) and UDP alike.
            int kestrelPort = FreeTcpAndUdpPort();
            var kestrel = BenchProcess.Start("dotnet", [app, "--urls", $"https://127.0.0.1:{kestrelPort}",
                $"--Kestrel:Certificates:Default:Path={cert}", $"--Kestrel:Certificates:Default:KeyPath={key}"]);
            processes.Add(kestrel);
            if (kestrel.WaitForLine("info: Microsoft.Hosting.Lifetime", TimeSpan.FromSeconds(60)) is null) throw new InvalidOperationException("the Kestrel app did not start: " + kestrel.Stderr);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# pliant bench --kestrel size_mib={sizeMiB} rounds={runs} app={app} date={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}"));
            Console.WriteLine("# one pliant get process per download; both servers and the client share the machine");
            var targets = new (string Name, BenchProcess Server, string Url)[]
            {
                ("pliant-serve", pliant, $"https://127.0.0.1:{pliantPort}/file.bin"),
                ("kestrel", kestrel, $"https://127.0.0.1:{kestrelPort}/download?size={bytes}"),
            };
            // Warm-up: the JIT in both servers.
            KestrelGet(pliant, $"https://127.0.0.1:{pliantPort}/warm.bin", warm, timeout);
            KestrelGet(kestrel, $"https://127.0.0.1:{kestrelPort}/download?size={warm}", warm, timeout);
            var results = targets.ToDictionary(t => t.Name, _ => new List<KestrelDownload>());
            for (int r = 1; r <= runs; r++)
            {
                foreach (var t in r % 2 == 1 ? targets : targets.Reverse())
                {
                    var d = KestrelGet(t.Server, t.Url, bytes, timeout);
                    results[t.Name].Add(d);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run={r} server={t.Name} ok={(d.Ok ? 1 : 0)} goodput_mbit={d.GoodputMbit:F0} server_cpu_s={d.ServerCpuS:F2}{(d.Ok ? "" : " error=" + d.Error)}"));
                }
            }
            if (results.Values.Any(l => !l.All(d => d.Ok)))
            {
                Console.WriteLine("kestrel bench: a download failed");
                return 1;
            }
            double gib = bytes / (double)(1L << 30);
            Console.WriteLine();
            Console.WriteLine($"{"median of " + runs + " rounds",-36}{"goodput Mbit/s",16}{"server CPU s/GiB",18}");
            foreach (var t in targets)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{t.Name,-36}{Median(results[t.Name].Select(d => d.GoodputMbit)),16:0}{Median(results[t.Name].Select(d => d.ServerCpuS)) / gib,18:0.00}"));
            double ratio = Median(results["kestrel"].Select(d => d.GoodputMbit)) / Median(results["pliant-serve"].Select(d => d.GoodputMbit));
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"goal Kestrel-over-Pliant goodput >= {KestrelGoodputGoal:0.0}x pliant serve: {ratio:0.00}x {(ratio >= KestrelGoodputGoal ? "PASS" : "FAIL")}"));
            return 0;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine("pliant bench --kestrel: " + e.Message);
            return 1;
        }
        finally
        {
            foreach (var p in processes) p.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static KestrelDownload KestrelGet(BenchProcess server, string url, long bytes, TimeSpan timeout)
    {
        double cpuBefore = server.CpuSeconds;
        using var get = BenchProcess.StartSelf(["get", url, "--insecure", "--quiet"]);
        var line = get.WaitForLine("bytes=", timeout);
        bool exited = get.WaitForExit(TimeSpan.FromSeconds(10));
        double cpu = server.CpuSeconds - cpuBefore;
        if (line is null || !exited || get.ExitCode != 0) return new KestrelDownload(false, 0, cpu, get.Stderr.Trim());
        var d = BenchProcess.Parse(line);
        return new KestrelDownload(BenchProcess.Num(d, "bytes") == bytes, BenchProcess.Num(d, "goodput_mbit"), cpu, "");
    }

    private static int FreeTcpAndUdpPort()
    {
        for (int i = 0; i < 100; i++)
        {
            int port = BenchProcess.FreeUdpPort();
            try
            {
                using var tcp = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                tcp.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
        }
        throw new InvalidOperationException("no port free for both TCP and UDP");
    }
}
