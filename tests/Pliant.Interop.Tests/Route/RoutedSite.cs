using System.Globalization;
using System.Text.RegularExpressions;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Route;

/// <summary>
/// Issue 13's topology as processes: <c>pliant route</c> on one port in front of
/// <list type="bullet">
/// <item>A: <c>pliant serve</c> for <c>a.example</c>, QUIC-LB server ID 0a0001, behind the forwarding header;</item>
/// <item>B: ngtcp2's <c>gtlsserver</c> for <c>b.example</c> and <c>localhost</c> (a foreign stack: IDs learned, one flow per
/// client). <c>localhost</c> because ngtcp2 0.12.1's <c>gtlsclient</c> sends that name for a numeric host and ignores
/// <c>--sni</c> with GnuTLS (checked: with <c>--sni=b.example</c> its ClientHello still matches only a <c>localhost</c> rule);</item>
/// <item>C: <c>pliant serve</c> for ALPN h3 (any other name), QUIC-LB server ID 0a0002, behind the forwarding header.</item>
/// </list>
/// Each backend has its own document root with its own file (a.bin, b.bin, c.bin), so a datagram routed to the wrong
/// backend cannot make a download succeed. The router prints its <c>--stats</c> line every 0.2 s.
/// </summary>
internal sealed class RoutedSite : IAsyncDisposable
{
    public const string LbKey = "8f95f09245765f80256934e50c66207f";

    private readonly List<PeerProcess> _processes = [];

    private RoutedSite(string dir)
    {
        Dir = dir;
        Cert = TestCertificates.Create(dir);
        Downloads = Path.Combine(dir, "dl");
        Directory.CreateDirectory(Downloads);
        RouterPort = FreePort.Udp();
        UpstreamPort = FreePort.Udp();
        APort = FreePort.Udp();
        BPort = FreePort.Udp();
        CPort = FreePort.Udp();
    }

    public string Dir { get; }
    public TestCertificate Cert { get; }
    public string Downloads { get; }
    public int RouterPort { get; }
    public int UpstreamPort { get; }
    public int APort { get; }
    public int BPort { get; }
    public int CPort { get; }
    public PeerProcess A { get; private set; } = null!;
    public PeerProcess B { get; private set; } = null!;
    public PeerProcess C { get; private set; } = null!;
    public PeerProcess Router { get; private set; } = null!;

    /// <summary>The document root of backend <paramref name="name"/> ("a", "b", "c").</summary>
    public string Htdocs(string name) => Path.Combine(Dir, "htdocs-" + name);

    public static async Task<RoutedSite> StartAsync(string dir, long fileSize, int seed)
    {
        var site = new RoutedSite(dir);
        try
        {
            await site.StartProcessesAsync(fileSize, seed);
            return site;
        }
        catch
        {
            await site.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync(long fileSize, int seed)
    {
        foreach (var (name, i) in new[] { ("a", 0), ("b", 1), ("c", 2) }) TestFiles.Create(Htdocs(name), name + ".bin", fileSize, seed + i);
        var lb = Path.Combine(Dir, "lb.json");
        File.WriteAllText(lb, string.Create(CultureInfo.InvariantCulture, $$"""
            {
              "configs": [ { "config_id": 1, "server_id_length": 3, "nonce_length": 6, "key": "{{LbKey}}" } ],
              "servers": [
                { "config_id": 1, "server_id": "0a0001", "address": "127.0.0.1:{{APort}}", "forwarding_header": true },
                { "config_id": 1, "server_id": "0a0002", "address": "127.0.0.1:{{CPort}}", "forwarding_header": true }
              ]
            }
            """));
        string upstream = $"127.0.0.1:{UpstreamPort}";
        A = Track(await PliantCli.StartServerAsync(Dir, APort, Cert, Htdocs("a"), "--lb-config", lb, "--behind-router", upstream, "--quiet"));
        C = Track(await PliantCli.StartServerAsync(Dir, CPort, Cert, Htdocs("c"), "--lb-config", lb, "--behind-router", upstream, "--quiet"));
        B = Track(await Ngtcp2.StartServerAsync(Dir, BPort, Cert, Htdocs("b")));
        Router = Track(PliantCli.Start("pliant-route", Dir, "route", "--listen", $"127.0.0.1:{RouterPort}", "--upstream", upstream,
            "--backend", $"a.example=127.0.0.1:{APort}", "--backend", $"b.example=127.0.0.1:{BPort}", "--backend", $"localhost=127.0.0.1:{BPort}", "--alpn", $"h3=127.0.0.1:{CPort}",
            "--lb-config", lb, "--stats", "--stats-interval", "0.2"));
        if (!await FreePort.WaitUntilBoundAsync(RouterPort, Router, TimeSpan.FromSeconds(30)) ||
            !await FreePort.WaitUntilBoundAsync(UpstreamPort, Router, TimeSpan.FromSeconds(30)))
        {
            Assert.Fail("pliant route did not bind its ports.\n" + Router.Tail());
        }
    }

    private PeerProcess Track(PeerProcess p)
    {
        _processes.Add(p);
        return p;
    }

    /// <summary>Starts <c>pliant relay</c> in front of the router with <paramref name="impairments"/> both ways; returns its port.</summary>
    public async Task<int> StartRelayAsync(string impairments, int seed)
    {
        int port = FreePort.Udp();
        var relay = Track(PliantCli.Start("pliant-relay", Dir, "relay", "--listen", $"127.0.0.1:{port}", "--to", $"127.0.0.1:{RouterPort}",
            "--both", impairments, "--seed", seed.ToString(CultureInfo.InvariantCulture)));
        if (!await FreePort.WaitUntilBoundAsync(port, relay, TimeSpan.FromSeconds(30))) Assert.Fail("pliant relay did not bind.\n" + relay.Tail());
        return port;
    }

    /// <summary><c>pliant get https://HOST:ROUTER/FILE --connect 127.0.0.1:PORT</c> (PORT: the router's, or a relay's), pinned to the test certificate.</summary>
    public async Task<PeerProcess> GetAsync(string name, string host, string file, int? via = null, params string[] extra)
    {
        string[] args = ["get", $"https://{host}:{RouterPort}/{file}", "--connect", $"127.0.0.1:{via ?? RouterPort}", "-o", Path.Combine(Downloads, name + "-" + file),
            "--pin", Cert.Sha256Hex, "--connect-timeout", "30", .. extra];
        var p = await PliantCli.RunAsync(name, Dir, InteropCase.Timeout, args);
        Assert.True(p.ExitCode == 0, $"{name} failed\n{p.Tail()}\n{Diagnostics()}");
        return p;
    }

    /// <summary>gtlsclient (SNI <c>localhost</c>, see above) for <paramref name="file"/> through <paramref name="port"/> (router or relay).</summary>
    public async Task<PeerProcess> GtlsClientAsync(string name, string file, int port, params string[] extra)
    {
        var dl = Path.Combine(Downloads, name);
        var p = await Ngtcp2.RunClientAsync(Dir, port, dl, ["/" + file], extra, InteropCase.Timeout, name);
        return p;
    }

    /// <summary>Asserts the download <paramref name="path"/> equals backend <paramref name="backend"/>'s file.</summary>
    public void AssertSame(string backend, string path, PeerProcess client) =>
        TestFiles.AssertSame(Path.Combine(Htdocs(backend), backend + ".bin"), path, client.Tail() + "\n" + Diagnostics());

    /// <summary>The router's latest <c>--stats</c> line as key → value.</summary>
    public Dictionary<string, string> Stats()
    {
        var line = Router.ReadStdout().Split('\n').LastOrDefault(l => l.StartsWith("route: ", StringComparison.Ordinal));
        Assert.True(line is not null, "no --stats line yet\n" + Router.Tail());
        return Regex.Matches(line!, @"([^\s=]+)=(\S+)").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    /// <summary>Waits for a stats line printed after now (the counters of everything done so far).</summary>
    public async Task<Dictionary<string, string>> FreshStatsAsync()
    {
        int lines = Router.ReadStdout().Split('\n').Count(l => l.StartsWith("route: ", StringComparison.Ordinal));
        for (int i = 0; i < 100; i++)
        {
            await Task.Delay(100);
            if (Router.ReadStdout().Split('\n').Count(l => l.StartsWith("route: ", StringComparison.Ordinal)) > lines + 1) break;
        }
        return Stats();
    }

    public static long Long(Dictionary<string, string> stats, string key) =>
        stats.TryGetValue(key, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : throw new KeyNotFoundException(key);

    private string Diagnostics() => string.Join("\n", _processes.Where(p => p != null).Select(p => p.Tail(8)));

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            await p.StopAsync();
            p.Dispose();
        }
    }
}
