using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Pliant.Http3;
using Pliant.Net;
using Pliant.Quic.Tls;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant bench --flood</c> (issue 11): a <c>pliant serve</c> process is flooded with junk
/// Initials (1200 bytes, a valid v1 long header, a random 8-byte DCID per datagram, a garbage
/// payload), sent by this process as fast as it can from 64 source ports, while a real client
/// connects and fetches a file. Prints the server's RSS growth (goal &lt; 64 MB), the real client's
/// connect time during the flood (goal &lt; 2 s) and the server's CPU per junk datagram.
/// </summary>
internal static class BenchFlood
{
    public const int DefaultCount = 50_000;
    private const double RssGoalMb = 64, ConnectGoalS = 2;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(int count, TimeSpan timeout)
    {
        string root = Path.Combine(Path.GetTempPath(), "pliant-flood-" + Environment.ProcessId.ToString(Inv));
        Directory.CreateDirectory(root);
        File.WriteAllBytes(Path.Combine(root, "file.bin"), new byte[100_000]);
        int port = BenchProcess.FreeUdpPort();
        using var server = BenchProcess.StartSelf(["serve", root, "--listen", $"127.0.0.1:{port}", "--quiet"]);
        try
        {
            if (server.WaitForLine("pliant serve: listening", TimeSpan.FromSeconds(30)) is null)
            {
                Console.WriteLine("flood: failed: the server did not start: " + server.Stderr);
                return 1;
            }
            var target = new IPEndPoint(IPAddress.Loopback, port);
            Console.WriteLine(string.Create(Inv, $"# pliant bench --flood count={count} target={target} cores={Environment.ProcessorCount} date={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}"));

            // Warm both sides (JIT) with one real fetch, then measure from there.
            var warm = FetchAsync(target, timeout).GetAwaiter().GetResult();
            if (!warm.Ok)
            {
                Console.WriteLine("flood: failed: no warm-up fetch: " + warm.Error);
                return 1;
            }
            Thread.Sleep(500);
            double rssBefore = ProcStats.Read(server.Id).RssKb / 1024, cpuBefore = server.CpuSeconds;
            long dropsBefore = UdpReceiveBufferErrors();

            double peakRss = rssBefore;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peakRss = Math.Max(peakRss, ProcStats.Read(server.Id).RssKb / 1024);
                    try { await Task.Delay(20, sampling.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
                }
            });
            var sw = Stopwatch.StartNew();
            var flood = Task.Run(() => Flood(target, count));
            Thread.Sleep(10); // the flood is under way
            // Two real clients during the flood: this process (connect time measured, warm) and a
            // `pliant get` process (a cold client, as a user would run it).
            var getWatch = Stopwatch.StartNew();
            using var get = BenchProcess.StartSelf(["get", $"https://127.0.0.1:{port}/file.bin", "--insecure", "-o", Path.Combine(root, "got.bin")]);
            var during = FetchAsync(target, timeout).GetAwaiter().GetResult();
            flood.GetAwaiter().GetResult();
            bool getExited = get.WaitForExit(timeout);
            double getSeconds = getWatch.Elapsed.TotalSeconds;
            bool getOk = getExited && get.ExitCode == 0 && new FileInfo(Path.Combine(root, "got.bin")) is { Exists: true, Length: 100_000 };
            double floodSeconds = sw.Elapsed.TotalSeconds;
            Thread.Sleep(1000); // let the server work through its receive queue
            sampling.Cancel();
            sampler.GetAwaiter().GetResult();
            double rssAfter = ProcStats.Read(server.Id).RssKb / 1024, cpu = server.CpuSeconds - cpuBefore;
            long dropped = UdpReceiveBufferErrors() - dropsBefore;
            long delivered = Math.Max(1, count - Math.Max(0, dropped));

            double growth = Math.Max(peakRss, rssAfter) - rssBefore;
            Console.WriteLine(string.Create(Inv, $"flood datagrams={count} seconds={floodSeconds:0.000} rate={count / floodSeconds:0}/s kernel_drops={dropped} delivered~{delivered}"));
            Console.WriteLine(string.Create(Inv, $"server rss_mb before={rssBefore:0.0} peak={peakRss:0.0} after={rssAfter:0.0} growth={growth:0.0}"));
            Console.WriteLine(string.Create(Inv, $"server cpu_s={cpu:0.000} us_per_junk_sent={cpu * 1e6 / count:0.00} us_per_junk_delivered={cpu * 1e6 / delivered:0.00}"));
            Console.WriteLine(during.Ok
                ? string.Create(Inv, $"real client connect_s={during.ConnectSeconds:0.000} fetch_s={during.TotalSeconds:0.000} bytes={during.Bytes} (during the flood)")
                : "real client failed during the flood: " + during.Error);
            Console.WriteLine(getOk
                ? string.Create(Inv, $"pliant get exit=0 wall_s={getSeconds:0.000} bytes=100000 (during the flood)")
                : $"pliant get failed during the flood: {(getExited ? "exit=" + get.ExitCode.ToString(Inv) : "timed out")} {get.Stderr}");
            Console.WriteLine(string.Create(Inv, $"goal rss growth < {RssGoalMb} MB: {growth:0.0} MB {(growth < RssGoalMb ? "PASS" : "FAIL")}"));
            Console.WriteLine(during.Ok
                ? string.Create(Inv, $"goal real client connects < {ConnectGoalS} s during the flood: {during.ConnectSeconds:0.000} s {(during.ConnectSeconds < ConnectGoalS ? "PASS" : "FAIL")}")
                : $"goal real client connects < {ConnectGoalS} s during the flood: did not connect FAIL");
            return during.Ok && getOk ? 0 : 1;
        }
        finally
        {
            server.Stop(TimeSpan.FromSeconds(3));
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private sealed record Fetch(bool Ok, double ConnectSeconds, double TotalSeconds, long Bytes, string? Error);

    private static async Task<Fetch> FetchAsync(IPEndPoint target, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var sw = Stopwatch.StartNew();
        try
        {
            await using var conn = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
            {
                RemoteEndPoint = target,
                ServerName = "localhost",
                ApplicationProtocols = ["h3"],
                CertificateValidation = CertificateValidation.Insecure, // our own child process on loopback
            }, cts.Token).ConfigureAwait(false);
            double connect = sw.Elapsed.TotalSeconds;
            var h3 = await Http3ClientConnection.ConnectAsync(new H3Adapter(conn), null, cts.Token).ConfigureAwait(false);
            using var response = await h3.SendRequestAsync(new Http3Request
            {
                Method = "GET", Scheme = "https", Authority = "localhost", Path = "/file.bin",
            }, cts.Token).ConfigureAwait(false);
            long n = 0;
            var buffer = new byte[65536];
            int r;
            while ((r = await response.Content.ReadAsync(buffer, cts.Token).ConfigureAwait(false)) > 0) n += r;
            return new Fetch(response.Status == 200 && n == 100_000, connect, sw.Elapsed.TotalSeconds, n,
                response.Status == 200 ? null : $"HTTP {response.Status}");
        }
        catch (Exception e) when (e is QuicException or OperationCanceledException or IOException or Http3Exception)
        {
            return new Fetch(false, double.NaN, sw.Elapsed.TotalSeconds, 0, e.GetType().Name + ": " + e.Message);
        }
    }

    /// <summary>Sends <paramref name="count"/> junk Initials as fast as the sockets take them.</summary>
    private static void Flood(IPEndPoint target, int count)
    {
        var sockets = new Socket[64];
        for (int i = 0; i < sockets.Length; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            sockets[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }
        try
        {
            var rng = new Random(1);
            var d = Pliant.Quic.Wire.SyntheticInitial.Junk(rng);
            for (int i = 0; i < count; i++)
            {
                Pliant.Quic.Wire.SyntheticInitial.NewDcid(d, rng);
                try { sockets[i % sockets.Length].SendTo(d, target); }
                catch (SocketException) { } // ENOBUFS under load: the datagram is simply lost
            }
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    /// <summary>The kernel's count of UDP datagrams dropped for a full receive buffer (/proc/net/snmp, RcvbufErrors).</summary>
    private static long UdpReceiveBufferErrors()
    {
        try
        {
            var lines = File.ReadAllLines("/proc/net/snmp").Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToArray();
            if (lines.Length < 2) return 0;
            var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int i = Array.IndexOf(names, "RcvbufErrors");
            return i > 0 && i < values.Length ? long.Parse(values[i], Inv) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
