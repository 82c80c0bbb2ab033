using System.Globalization;
using System.Net;
using Pliant.Cli.Relay;

namespace Pliant.Interop.Tests.Harness;

/// <summary>Which implementation plays a side of a fault case.</summary>
public enum Peer
{
    /// <summary><c>pliant get</c> / <c>pliant serve</c>.</summary>
    Pliant,

    /// <summary>ngtcp2 0.12.1's <c>gtlsclient</c> / <c>gtlsserver</c>.</summary>
    Ngtcp2,
}

/// <summary>
/// One run of a fault case (docs/interop.md, "Fault cases"): a server (pliant serve or gtlsserver) on a free
/// port, an <see cref="ImpairmentRelay"/> in front of it, and clients (pliant get or gtlsclient) that
/// download through the relay. Logs, the relay report (<c>relay.txt</c>) and the downloads stay in the
/// scratch dir <c>$TMPDIR/pliant-interop/Faults.CASE.CLIENT-SERVER-xxxxxx/</c>.
/// </summary>
public sealed class FaultRun : IAsyncDisposable
{
    /// <summary>
    /// Timeouts for the real ngtcp2 peers (both sides): their defaults, a 10 s handshake timeout and the harness's 15 s
    /// idle timeout for gtlsclient, end some connections at 30 % loss each way that would complete (gtlsclient probes
    /// with one datagram per PTO; gtlsserver then closes with PROTOCOL_VIOLATION). Later options override earlier ones.
    /// </summary>
    private static readonly string[] Ngtcp2Patience = ["--handshake-timeout=60s", "--timeout=60s"];

    /// <summary>
    /// As patient as the ngtcp2 peers: at 30 % loss each way a run of five lost retransmissions happens now and then,
    /// and the peer's PTO backs off past the default 30 s idle timeout (seen: ngtcp2's server at a PTO of 6.8 s) and
    /// past the server's 10 s handshake limit (seen: a client's Finished lost six times in a row, 2-8 s, the server
    /// dropping the handshake at 10 s and answering the client's 1-RTT packets with a stateless reset).
    /// </summary>
    private static readonly string[] PliantPatience = ["--idle-timeout", "60", "--handshake-timeout", "60"];

    /// <summary>Per client process: generous, against hangs only (outcomes are asserted, never durations).</summary>
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(120);

    private readonly List<PeerProcess> _clients = [];

    private FaultRun(string dir, Peer client, Peer server, TestCertificate cert, int serverPort)
    {
        Dir = dir;
        ClientPeer = client;
        ServerPeer = server;
        Cert = cert;
        ServerPort = serverPort;
        Htdocs = Path.Combine(dir, "htdocs");
        Downloads = Path.Combine(dir, "dl");
        Directory.CreateDirectory(Htdocs);
        Directory.CreateDirectory(Downloads);
    }

    public string Dir { get; }

    public Peer ClientPeer { get; }

    public Peer ServerPeer { get; }

    public TestCertificate Cert { get; }

    public int ServerPort { get; }

    public string Htdocs { get; }

    public string Downloads { get; }

    public PeerProcess Server { get; private set; } = null!;

    public ImpairmentRelay Relay { get; private set; } = null!;

    /// <summary>Every client process started so far.</summary>
    public IReadOnlyList<PeerProcess> Clients => _clients;

    /// <summary>
    /// Relay options with placeholder endpoints (<see cref="StartAsync"/> fills them in). The environment
    /// variable <c>PLIANT_FAULT_SEED</c>, when set, replaces every case's seed (to explore other loss patterns;
    /// the seed used is in the relay report and <c>relay.txt</c>).
    /// </summary>
    public static RelayOptions Impair(ulong seed, ImpairmentSettings up, ImpairmentSettings down) => new()
    {
        ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        TargetEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        Seed = ulong.TryParse(Environment.GetEnvironmentVariable("PLIANT_FAULT_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : seed,
        ClientToServer = up,
        ServerToClient = down,
        TracePerFlow = 200, // relay-trace.txt: the first 200 datagrams of every flow, for reading a failure
    };

    /// <summary>
    /// Creates the scratch dir, the certificate (<paramref name="makeCert"/>, default a self-signed P-256 one),
    /// starts the server and the relay (<paramref name="relay"/>'s endpoints are replaced).
    /// </summary>
    public static async Task<FaultRun> StartAsync(string caseName, Peer client, Peer server, RelayOptions relay, Func<string, TestCertificate>? makeCert = null, string[]? serverArgs = null)
    {
        var dir = TestDir.Create("Faults." + caseName, $"{client}-{server}");
        var cert = (makeCert ?? TestCertificates.Create)(dir);
        var run = new FaultRun(dir, client, server, cert, FreePort.Udp());
        run.Server = server == Peer.Pliant
            ? await PliantCli.StartServerAsync(dir, run.ServerPort, cert, run.Htdocs, serverArgs ?? PliantPatience)
            : await Ngtcp2.StartServerAsync(dir, run.ServerPort, cert, run.Htdocs, serverArgs ?? Ngtcp2Patience);
        run.Relay = ImpairmentRelay.Start(relay with
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            TargetEndPoint = new IPEndPoint(IPAddress.Loopback, run.ServerPort),
        });
        return run;
    }

    /// <summary>
    /// The handshake cases' workload: 50 files of 1 KiB, each on a new connection (<see cref="Parallel"/>
    /// clients at once), every file intact and every pliant get successful. The caller disposes the run.
    /// </summary>
    public static Task<FaultRun> FiftySmallFilesAsync(string caseName, Peer client, Peer server, RelayOptions relay, int seed) =>
        RunAsync(caseName, client, server, relay, run =>
        {
            var files = run.AddFiles(50, 1024, seed);
            return (files, run.GetEachOnNewConnectionAsync(files, Parallel(client)));
        });

    /// <summary>The transfer cases' workload: one 10 MiB file on one connection, intact. The caller disposes the run.</summary>
    public static Task<FaultRun> TenMiBAsync(string caseName, Peer client, Peer server, RelayOptions relay, int seed) =>
        RunAsync(caseName, client, server, relay, run =>
        {
            var files = run.AddFiles(1, 10 << 20, seed);
            return (files, run.GetAsync(files));
        });

    /// <summary>
    /// Client processes at once in the 50-connection cases: pliant get is a .NET process (about 0.3 s of CPU to
    /// start), gtlsclient a native one; the machines have two cores.
    /// </summary>
    public static int Parallel(Peer client) => client == Peer.Pliant ? 10 : 25;

    private static async Task<FaultRun> RunAsync(string caseName, Peer client, Peer server, RelayOptions relay,
        Func<FaultRun, (IReadOnlyList<string> Files, Task Download)> work)
    {
        var run = await StartAsync(caseName, client, server, relay);
        try
        {
            var (files, download) = work(run);
            await download;
            run.AssertIntact(files);
            run.AssertPliantClientsSucceeded();
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates <paramref name="count"/> files of <paramref name="size"/> bytes (seeded content) in the document root; returns their names.</summary>
    public IReadOnlyList<string> AddFiles(int count, long size, int seed)
    {
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = count == 1 ? $"file-{size}.bin" : $"f{i:D2}.bin";
            TestFiles.Create(Htdocs, name, size, seed * 1000 + i);
            names.Add(name);
        }
        return names;
    }

    /// <summary>Downloads <paramref name="files"/> over one connection through the relay; returns the finished client.</summary>
    public async Task<PeerProcess> GetAsync(IReadOnlyList<string> files, string name = "client")
    {
        var port = Relay.LocalEndPoint.Port;
        PeerProcess p;
        if (ClientPeer == Peer.Pliant)
        {
            var output = files.Count == 1 ? Path.Combine(Downloads, files[0]) : Downloads + "/";
            string[] args = ["get", .. files.Select(f => Url(port, f)), "-o", output, "--pin", Cert.Sha256Hex, "--connect-timeout", "60", "--idle-timeout", "60"];
            p = PliantCli.Start("pliant-" + name, Dir, args);
            lock (_clients) _clients.Add(p);
            await p.WaitForExitAsync(ClientTimeout);
        }
        else
        {
            p = await Ngtcp2.RunClientAsync(Dir, port, Downloads, files, Ngtcp2Patience, ClientTimeout, "ngtcp2-" + name);
            lock (_clients) _clients.Add(p);
        }
        return p;
    }

    /// <summary>Downloads each file on its own connection (its own client process), <paramref name="parallel"/> at a time.</summary>
    public async Task GetEachOnNewConnectionAsync(IReadOnlyList<string> files, int parallel)
    {
        using var gate = new SemaphoreSlim(parallel);
        var tasks = files.Select(async (f, i) =>
        {
            await gate.WaitAsync();
            try
            {
                await GetAsync([f], "client" + i.ToString("D2", CultureInfo.InvariantCulture));
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks);
    }

    /// <summary>
    /// Pass criterion of every fault case: each file arrived intact (same length and SHA-256). Lists every
    /// bad file, then the relay report and the tails of the server and of up to three failed clients.
    /// </summary>
    public void AssertIntact(IReadOnlyList<string> files)
    {
        var bad = new List<string>();
        foreach (var f in files)
        {
            var expected = Path.Combine(Htdocs, f);
            var actual = Path.Combine(Downloads, f);
            if (!File.Exists(actual)) bad.Add($"{f}: missing");
            else if (new FileInfo(actual).Length != new FileInfo(expected).Length) bad.Add($"{f}: {new FileInfo(actual).Length} bytes, expected {new FileInfo(expected).Length}");
            else if (TestFiles.Sha256(actual) != TestFiles.Sha256(expected)) bad.Add($"{f}: SHA-256 differs");
        }
        if (bad.Count == 0) return;
        var failedClients = Clients.Where(c => c.ExitCode != 0 || c.TimedOut).Take(3).Select(c => c.Tail(20));
        Assert.Fail($"{bad.Count} of {files.Count} files not intact ({ClientPeer} client -> {ServerPeer} server, {Dir}):\n  "
            + string.Join("\n  ", bad.Take(20)) + "\n" + Relay.Report() + Server.Tail(20) + string.Join("", failedClients));
    }

    /// <summary>Pliant clients must also exit 0 (ngtcp2's exit code says nothing, docs/interop.md).</summary>
    public void AssertPliantClientsSucceeded()
    {
        if (ClientPeer != Peer.Pliant) return;
        var failed = Clients.Where(c => c.ExitCode != 0).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} pliant get processes failed\n" + Relay.Report() + string.Join("", failed.Take(3).Select(c => c.Tail(20))));
    }

    public async ValueTask DisposeAsync()
    {
        if (Relay is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(Dir, "relay.txt"), Relay.Report(maxFlows: 100));
            if (Relay.Options.TracePerFlow > 0) await File.WriteAllTextAsync(Path.Combine(Dir, "relay-trace.txt"), Relay.TraceReport());
            await Relay.DisposeAsync();
        }
        if (Server is not null)
        {
            await Server.StopAsync();
            Server.Dispose();
        }
        foreach (var c in _clients) c.Dispose();
    }

    private static string Url(int port, string file) => $"https://127.0.0.1:{port}/{file}";
}
