namespace Pliant.Interop.Tests.Harness;

/// <summary>
/// ngtcp2's example peers (0.12.1, GnuTLS): <c>gtlsserver</c> and <c>gtlsclient</c>. See docs/interop.md
/// for how each case maps to their flags. Missing binaries fail the test (no skip): CI installs them.
/// </summary>
public static class Ngtcp2
{
    public const string InstallHint = "ngtcp2 peers are not installed: run `bash ../shared/peers/install.sh ngtcp2` as root (Debian packages ngtcp2-server / ngtcp2-client)";

    /// <summary>The GnuTLS priority string that enables only TLS_CHACHA20_POLY1305_SHA256 (gtls* take GnuTLS priorities, not IANA names).</summary>
    public const string ChaChaOnly = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305";

    public const string X25519Only = "-GROUP-ALL:+GROUP-X25519";

    public const string P256Only = "-GROUP-ALL:+GROUP-SECP256R1";

    /// <summary>
    /// QUIC v2 as ngtcp2 0.12.1 knows it: draft-ietf-quic-v2's provisional number 0x709a50c4 (alias "v2draft"),
    /// with a draft initial salt and Retry key (not RFC 9369's); it rejects 0x6b3343cf. See docs/interop.md.
    /// </summary>
    public const string V2Draft = "v2draft";

    public static string Server => Find("gtlsserver");

    public static string Client => Find("gtlsclient");

    /// <summary>Absolute path of <paramref name="name"/> on PATH (or /usr/bin, /usr/sbin, /usr/local/bin); fails the test with the install hint if absent.</summary>
    public static string Find(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"]);
        foreach (var d in dirs)
        {
            var p = Path.Combine(d, name);
            if (File.Exists(p)) return p;
        }
        Assert.Fail($"{name} not found on PATH. {InstallHint}");
        return null!;
    }

    /// <summary>
    /// Starts gtlsserver on 127.0.0.1:<paramref name="port"/> serving <paramref name="htdocs"/> and waits
    /// until the port is bound. Debug output stays on (it shows the negotiated version, Retry, 0-RTT), minus
    /// STREAM/CRYPTO and body dumps.
    /// </summary>
    public static async Task<PeerProcess> StartServerAsync(string dir, int port, TestCertificate cert, string htdocs, params string[] extra)
    {
        var args = new List<string> { "--no-quic-dump", "--no-http-dump", "-d", htdocs };
        args.AddRange(extra);
        args.AddRange(["127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), cert.KeyPath, cert.CertPath]);
        var server = PeerProcess.Start("ngtcp2-server", Server, args, dir);
        if (!await FreePort.WaitUntilBoundAsync(port, server, TimeSpan.FromSeconds(15)))
        {
            await server.StopAsync();
            Assert.Fail("gtlsserver did not bind its port.\n" + server.Tail());
        }
        return server;
    }

    /// <summary>
    /// Runs gtlsclient against 127.0.0.1:<paramref name="port"/> for <paramref name="paths"/> (e.g. "/a.bin"),
    /// saving bodies in <paramref name="downloadDir"/>, exiting when all streams close; returns the finished process.
    /// Note: gtlsclient exits 0 even after an idle timeout, so callers must check the downloaded files.
    /// </summary>
    public static async Task<PeerProcess> RunClientAsync(string dir, int port, string downloadDir, IEnumerable<string> paths, IEnumerable<string> extra, TimeSpan timeout, string name = "ngtcp2-client")
    {
        Directory.CreateDirectory(downloadDir);
        var args = new List<string> { "--no-quic-dump", "--no-http-dump", "--exit-on-all-streams-close", "--timeout=15s", "--download=" + downloadDir };
        args.AddRange(extra);
        args.Add("127.0.0.1");
        args.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        args.AddRange(paths.Select(p => $"https://127.0.0.1:{port}/{p.TrimStart('/')}"));
        var client = PeerProcess.Start(name, Client, args, dir);
        await client.WaitForExitAsync(timeout);
        return client;
    }
}
