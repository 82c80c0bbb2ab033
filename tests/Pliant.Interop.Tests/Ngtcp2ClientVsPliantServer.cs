using System.Text.RegularExpressions;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// ngtcp2's gtlsclient against <c>pliant serve</c>, one test per case of docs/interop.md. Each asserts
/// the download byte for byte (gtlsclient exits 0 even after an idle timeout), its exit code, and what
/// gtlsclient and pliant logged.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class Ngtcp2ClientVsPliantServer
{
    private const string Cls = nameof(Ngtcp2ClientVsPliantServer);

    private static async Task<(PeerProcess server, PeerProcess client)> RunAsync(InteropCase c, IReadOnlyList<string> files, string[] serveArgs, string[] clientArgs,
        bool waitForConnectionEnd = false)
    {
        var server = await PliantCli.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs, serveArgs);
        var client = await Ngtcp2.RunClientAsync(c.Dir, c.Port, c.Downloads, files, clientArgs, InteropCase.Timeout);
        // pliant serve prints "REMOTE qpack ..." once it has processed the client's CONNECTION_CLOSE; stopping
        // it (SIGKILL) before then would lose the line.
        for (int i = 0; waitForConnectionEnd && i < 600 && !server.ReadStdout().Contains(" qpack ", StringComparison.Ordinal); i++) await Task.Delay(50);
        await server.StopAsync();
        Assert.True(client.ExitCode == 0, "gtlsclient failed\n" + client.Tail() + server.Tail());
        c.AssertDownloaded(files, null, client, server);
        Assert.True(Ngtcp2Log.HandshakeCompleted(client.ReadAll()), client.Tail());
        return (server, client);
    }

    /// <summary>pliant serve's one line per request: "REMOTE GET /path 200 LENGTH Tms stream=N".</summary>
    private static int RequestLines(PeerProcess server, string path) =>
        Regex.Matches(server.ReadStdout(), $@" GET {Regex.Escape(path)} 200 ").Count;

    [Fact]
    public async Task Handshake()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 16, 30), [], []);
        using (server)
        using (client)
        {
            Assert.Equal([1u], Ngtcp2Log.NegotiatedVersions(client.ReadAll()));
            Assert.Contains("connected version=v1", server.ReadStdout());
        }
    }

    [Fact]
    public async Task Download1KiB()
    {
        var c = InteropCase.Create(Cls);
        var files = c.AddFiles(1, 1024, 31);
        var (server, client) = await RunAsync(c, files, [], []);
        using (server)
        using (client)
        {
            Assert.Equal(1, RequestLines(server, "/" + files[0]));
        }
    }

    [Fact]
    public async Task Download10MiB()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 10 << 20, 32), [], []);
        server.Dispose();
        client.Dispose();
    }

    [Fact]
    public async Task TwentyConcurrentStreams()
    {
        var c = InteropCase.Create(Cls);
        var files = c.AddFiles(20, 50_000, 33);
        var (server, client) = await RunAsync(c, files, [], [], waitForConnectionEnd: true);
        using (server)
        using (client)
        {
            foreach (var f in files) Assert.Equal(1, RequestLines(server, "/" + f));
            Assert.Equal(20, Regex.Matches(client.ReadAll(), @"http: stream 0x[0-9a-f]+ submit request headers").Count);
            // QPACK (issue 14): our encoder inserts into gtlsclient's table and the 20 responses refer to it
            // (nghttp3 decoded them: the files arrived intact). nghttp3 0.8's client encoder does not insert.
            var qpack = QpackLine.Parse(server.ReadStdout());
            // Ours can insert only after gtlsclient's SETTINGS allowed a table (RFC 9204 §3.2.3); responses are encoded
            // after their requests, so the SETTINGS have arrived unless reordered on a loaded machine.
            if (qpack["sections_with_table"] >= 10)
                Assert.True(qpack["our_inserts"] >= 1 && qpack["our_refs"] >= 1, server.ReadStdout());
        }
    }

    [Fact]
    public async Task Loss5PercentEachWay()
    {
        var c = InteropCase.Create(Cls);
        // gtlsclient drops 5% of what it sends (client→server) and 5% of what it receives (server→client).
        var (server, client) = await RunAsync(c, c.AddFiles(1, 10 << 20, 34), [], ["--tx-loss=0.05", "--rx-loss=0.05"]);
        server.Dispose();
        client.Dispose();
    }

    [Fact]
    public async Task ChaCha20Only()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 1024, 35), [], ["--ciphers=" + Ngtcp2.ChaChaOnly]);
        using (server)
        using (client)
        {
            Assert.Equal("CHACHA20-POLY1305", Ngtcp2Log.CipherSuite(client.ReadAll()));
            Assert.Contains("cipher=TLS_CHACHA20_POLY1305_SHA256", server.ReadStdout());
        }
    }

    [Fact]
    public async Task X25519Only()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 1024, 36), [], ["--groups=" + Ngtcp2.X25519Only]);
        server.Dispose();
        client.Dispose();
    }

    [Fact]
    public async Task P256Only()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 1024, 37), [], ["--groups=" + Ngtcp2.P256Only]);
        server.Dispose();
        client.Dispose();
    }

    [Fact]
    public async Task Retry()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 1024, 38), ["--retry"], []);
        using (server)
        using (client)
        {
            Assert.True(Ngtcp2Log.ClientReceivedRetry(client.ReadAll()), "gtlsclient received no Retry\n" + client.Tail());
        }
    }

    [Fact]
    public async Task ResumptionAndZeroRtt()
    {
        var c = InteropCase.Create(Cls);
        var files = c.AddFiles(1, 1024, 39);
        using var server = await PliantCli.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs);
        // First run writes the TLS session and transport parameters, the second reads them and sends 0-RTT.
        string[] session = ["--session-file=" + Path.Combine(c.Dir, "session.pem"), "--tp-file=" + Path.Combine(c.Dir, "tp.txt")];
        using var first = await Ngtcp2.RunClientAsync(c.Dir, c.Port, Path.Combine(c.Dir, "dl1"), files, session, InteropCase.Timeout, "ngtcp2-client1");
        Assert.True(first.ExitCode == 0, first.Tail() + server.Tail());
        Assert.True(File.Exists(Path.Combine(c.Dir, "session.pem")), "gtlsclient saved no session (no NewSessionTicket?)\n" + first.Tail());
        using var second = await Ngtcp2.RunClientAsync(c.Dir, c.Port, c.Downloads, files, session, InteropCase.Timeout, "ngtcp2-client2");
        await server.StopAsync();
        Assert.True(second.ExitCode == 0, second.Tail() + server.Tail());
        c.AssertDownloaded(files, null, second, server);
        var log2 = second.ReadAll();
        Assert.True(Ngtcp2Log.SentZeroRtt(log2), "gtlsclient sent no 0-RTT\n" + second.Tail());
        Assert.False(Ngtcp2Log.EarlyDataRejected(log2), "pliant rejected 0-RTT\n" + second.Tail() + server.Tail());
        Assert.Contains("resumed=yes early_data=accepted", server.ReadStdout());
    }

    [Fact]
    public async Task KeyUpdate()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 2 << 20, 40), [], ["--key-update=10ms"]);
        using (server)
        using (client)
        {
            Assert.True(Ngtcp2Log.KeyUpdateConfirmed(client.ReadAll()), "gtlsclient did not confirm its key update\n" + client.Tail());
        }
    }

    /// <summary>
    /// gtlsclient starts in v1 and lists v2 in version_information; pliant serve should switch to v2
    /// (RFC 9368). ngtcp2 0.12.1's v2 is the draft number 0x709a50c4 ("v2draft"), so pliant must accept it.
    /// </summary>
    [Fact]
    public async Task QuicV2ByCompatibleVersionNegotiation()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 1024, 41), [], ["--other-versions=v2draft,v1"]);
        using (server)
        using (client)
        {
            Assert.Contains(0x709a50c4u, Ngtcp2Log.NegotiatedVersions(client.ReadAll()));
        }
    }

    [Fact]
    public async Task ClientMigration()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 10 << 20, 42), [], ["--change-local-addr=30ms"]);
        using (server)
        using (client)
        {
            var log = client.ReadAll();
            Assert.True(Ngtcp2Log.ChangedLocalAddress(log), "gtlsclient did not change its address (transfer ended first?)\n" + client.Tail());
            Assert.True(Ngtcp2Log.PathValidationSucceeded(log), "path validation did not succeed\n" + client.Tail());
        }
    }

    /// <summary>
    /// NAT rebinding: gtlsclient moves to a new socket without path validation. ngtcp2 0.12.1's example
    /// client then drops every packet on the new socket ("ignore packet from unknown path") and stalls,
    /// against gtlsserver as well (docs/interop.md), so the download is the assertion.
    /// </summary>
    [Fact(Skip = "ngtcp2 0.12.1 gtlsclient --nat-rebinding stalls against any server, gtlsserver included (docs/interop.md)")]
    public async Task NatRebinding()
    {
        var c = InteropCase.Create(Cls);
        var (server, client) = await RunAsync(c, c.AddFiles(1, 10 << 20, 43), [], ["--change-local-addr=100ms", "--nat-rebinding"]);
        using (server)
        using (client)
        {
            Assert.True(Ngtcp2Log.ChangedLocalAddress(client.ReadAll()), client.Tail());
        }
    }
}
