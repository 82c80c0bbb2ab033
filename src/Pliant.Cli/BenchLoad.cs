using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Pliant.Http3;
using Pliant.Net;
using Pliant.Quic.Tls;

namespace Pliant.Cli;

/// <summary>
/// <c>pliant bench loadgen</c> (internal, driven by <c>pliant bench --connections</c>): many HTTP/3
/// client connections from one process over a few shared <see cref="QuicClientEndpoint"/>s (one socket
/// and one thread each). Mode <c>short</c>: N connections, C at a time, each a handshake, one GET and a
/// close; prints time-to-first-byte percentiles. Mode <c>idle</c>: opens N connections (one GET each),
/// prints <c>idle opened=…</c>, holds them until a line arrives on stdin, then one more GET on each.
/// </summary>
internal static class BenchLoad
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var target = new Option<string>("--target") { Required = true };
        var mode = new Option<string>("--mode") { DefaultValueFactory = _ => "short" };
        mode.AcceptOnlyFromAmong("short", "idle");
        var connections = new Option<int>("--connections") { DefaultValueFactory = _ => 1000 };
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 32 };
        var endpoints = new Option<int>("--endpoints") { DefaultValueFactory = _ => 4 };
        var path = new Option<string>("--path") { DefaultValueFactory = _ => "/1k.bin" };
        var cmd = new Command("loadgen", "many HTTP/3 connections from one process (internal)") { Hidden = true };
        foreach (var o in new Option[] { target, mode, connections, concurrency, endpoints, path }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) => RunAsync(CliSupport.ParseEndPoint(pr.GetValue(target)!, 443), pr.GetValue(mode)!,
            Math.Max(1, pr.GetValue(connections)), Math.Max(1, pr.GetValue(concurrency)), Math.Max(1, pr.GetValue(endpoints)), pr.GetValue(path)!, ct));
        return cmd;
    }

    private static async Task<int> RunAsync(IPEndPoint target, string mode, int n, int concurrency, int endpointCount, string path, CancellationToken ct)
    {
        var endpoints = Enumerable.Range(0, endpointCount).Select(_ => QuicClientEndpoint.Create()).ToArray();
        try
        {
            return mode == "idle"
                ? await IdleAsync(endpoints, target, n, concurrency, path, ct).ConfigureAwait(false)
                : await ShortAsync(endpoints, target, n, concurrency, path, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var e in endpoints) await e.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static QuicClientConnectionOptions Options(IPEndPoint target) => new()
    {
        RemoteEndPoint = target,
        ServerName = "localhost",
        ApplicationProtocols = ["h3"],
        CertificateValidation = CertificateValidation.Insecure, // the bench's own servers on loopback
        IdleTimeout = TimeSpan.FromSeconds(120),
        HandshakeTimeout = TimeSpan.FromSeconds(30),
    };

    private static async Task<int> ShortAsync(QuicClientEndpoint[] endpoints, IPEndPoint target, int n, int concurrency, string path, CancellationToken ct)
    {
        var ttfb = new double[n];
        var handshakes = new double[n];
        int next = -1, failed = 0;
        string? firstError = null;
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Math.Min(concurrency, n)).Select(async w =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    await using var conn = await endpoints[i % endpoints.Length].ConnectAsync(Options(target), ct).ConfigureAwait(false);
                    handshakes[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    var h3 = await Http3ClientConnection.ConnectAsync(new H3Adapter(conn), null, ct).ConfigureAwait(false);
                    ttfb[i] = await GetAsync(h3, path, start, ct).ConfigureAwait(false);
                    await h3.CloseAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is QuicException or IOException or Http3Exception or OperationCanceledException or InvalidOperationException)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
                    ttfb[i] = double.NaN;
                    handshakes[i] = double.NaN;
                }
            }
        }).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        double wall = sw.Elapsed.TotalSeconds;
        var ok = ttfb.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        var hs = handshakes.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        Console.WriteLine(string.Create(Inv,
            $"short conns={n} ok={ok.Length} failed={failed} wall_s={wall:0.000} conns_per_s={n / wall:0} ttfb_p50_ms={Pct(ok, 0.5):0.00} ttfb_p99_ms={Pct(ok, 0.99):0.00} hs_p50_ms={Pct(hs, 0.5):0.00}"));
        if (firstError is not null) Console.WriteLine("first_error " + firstError);
        return failed == 0 ? 0 : 1;
    }

    private static async Task<int> IdleAsync(QuicClientEndpoint[] endpoints, IPEndPoint target, int n, int concurrency, string path, CancellationToken ct)
    {
        var held = new (QuicConnection Conn, Http3ClientConnection H3)?[n];
        int next = -1, failed = 0;
        string? firstError = null;
        var gate = new SemaphoreSlim(concurrency);
        var opening = Enumerable.Range(0, n).Select(async i =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var conn = await endpoints[i % endpoints.Length].ConnectAsync(Options(target), ct).ConfigureAwait(false);
                var h3 = await Http3ClientConnection.ConnectAsync(new H3Adapter(conn), null, ct).ConfigureAwait(false);
                await GetAsync(h3, path, Stopwatch.GetTimestamp(), ct).ConfigureAwait(false);
                held[i] = (conn, h3);
            }
            catch (Exception e) when (e is QuicException or IOException or Http3Exception or OperationCanceledException or InvalidOperationException)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, e.GetType().Name + ": " + e.Message, null);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        await Task.WhenAll(opening).ConfigureAwait(false);
        _ = next;
        Console.WriteLine(string.Create(Inv, $"idle opened={n - failed} failed={failed}"));
        if (firstError is not null) Console.WriteLine("first_error " + firstError);
        Console.Out.Flush();
        await Task.Run(Console.In.ReadLine, ct).ConfigureAwait(false); // the bench measures while we hold

        int secondFailed = 0;
        var second = held.Where(h => h is not null).Select(async h =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await GetAsync(h!.Value.H3, path, Stopwatch.GetTimestamp(), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is QuicException or IOException or Http3Exception or OperationCanceledException or InvalidOperationException)
            {
                Interlocked.Increment(ref secondFailed);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        await Task.WhenAll(second).ConfigureAwait(false);
        Console.WriteLine(string.Create(Inv, $"idle requests={second.Length} failed={secondFailed}"));
        foreach (var h in held)
        {
            if (h is null) continue;
            try { await h.Value.H3.CloseAsync().ConfigureAwait(false); } catch (Exception e) when (e is QuicException or IOException or Http3Exception) { }
            await h.Value.Conn.DisposeAsync().ConfigureAwait(false);
        }
        Console.WriteLine("done");
        return failed == 0 && secondFailed == 0 ? 0 : 1;
    }

    /// <summary>One GET read to the end; returns the milliseconds from <paramref name="startTimestamp"/> to the first byte.</summary>
    private static async Task<double> GetAsync(Http3ClientConnection h3, string path, long startTimestamp, CancellationToken ct)
    {
        using var response = await h3.SendRequestAsync(new Http3Request { Method = "GET", Scheme = "https", Authority = "localhost", Path = path }, ct)
            .ConfigureAwait(false);
        double first = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        if (response.Status != 200) throw new IOException($"HTTP {response.Status}");
        var buffer = new byte[4096];
        while (await response.Content.ReadAsync(buffer, ct).ConfigureAwait(false) > 0) { }
        return first;
    }

    private static double Pct(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
