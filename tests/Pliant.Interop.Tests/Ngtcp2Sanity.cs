using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// gtlsserver ↔ gtlsclient with no Pliant involved: proves the harness (processes, ports, certificates,
/// files, log assertions) and the installed peers work, independently of Pliant's state.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class Ngtcp2Sanity
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Download1KiB()
    {
        var dir = TestDir.Create(nameof(Ngtcp2Sanity));
        var cert = TestCertificates.Create(dir);
        var htdocs = Path.Combine(dir, "htdocs");
        var src = TestFiles.Create(htdocs, "1k.bin", 1024, seed: 1);
        var port = FreePort.Udp();
        using var server = await Ngtcp2.StartServerAsync(dir, port, cert, htdocs);
        using var client = await Ngtcp2.RunClientAsync(dir, port, Path.Combine(dir, "dl"), ["1k.bin"], [], Timeout);
        await server.StopAsync();

        Assert.True(client.ExitCode == 0, client.Tail());
        TestFiles.AssertSame(src, Path.Combine(dir, "dl", "1k.bin"), client.Tail());
        var log = client.ReadAll();
        Assert.True(Ngtcp2Log.HandshakeCompleted(log), client.Tail());
        Assert.Equal([1u], Ngtcp2Log.NegotiatedVersions(log));
        Assert.Equal("AES-128-GCM", Ngtcp2Log.CipherSuite(log));
    }

    [Fact]
    public async Task ResumptionAndZeroRttLogLines()
    {
        var dir = TestDir.Create(nameof(Ngtcp2Sanity));
        var cert = TestCertificates.Create(dir);
        var htdocs = Path.Combine(dir, "htdocs");
        var src = TestFiles.Create(htdocs, "1k.bin", 1024, seed: 2);
        var port = FreePort.Udp();
        // One server process for both runs: gtlsserver's ticket key lives as long as the process.
        using var server = await Ngtcp2.StartServerAsync(dir, port, cert, htdocs);
        string[] session = ["--session-file=" + Path.Combine(dir, "session.pem"), "--tp-file=" + Path.Combine(dir, "tp.txt")];
        using var first = await Ngtcp2.RunClientAsync(dir, port, Path.Combine(dir, "dl1"), ["1k.bin"], session, Timeout, "client1");
        using var second = await Ngtcp2.RunClientAsync(dir, port, Path.Combine(dir, "dl2"), ["1k.bin"], session, Timeout, "client2");
        await server.StopAsync();

        Assert.True(first.ExitCode == 0, first.Tail());
        Assert.True(second.ExitCode == 0, second.Tail());
        TestFiles.AssertSame(src, Path.Combine(dir, "dl2", "1k.bin"));
        Assert.False(Ngtcp2Log.SentZeroRtt(first.ReadAll()));
        var log2 = second.ReadAll();
        Assert.True(Ngtcp2Log.SentZeroRtt(log2), second.Tail());
        Assert.False(Ngtcp2Log.EarlyDataRejected(log2), second.Tail());
        Assert.True(Ngtcp2Log.ReceivedZeroRttFrames(server.ReadAll()), server.Tail());
    }

    [Fact]
    public async Task RetryAndV2DraftAndChaCha()
    {
        var dir = TestDir.Create(nameof(Ngtcp2Sanity));
        var cert = TestCertificates.Create(dir);
        var htdocs = Path.Combine(dir, "htdocs");
        var src = TestFiles.Create(htdocs, "1k.bin", 1024, seed: 3);
        var port = FreePort.Udp();
        using var server = await Ngtcp2.StartServerAsync(dir, port, cert, htdocs, "-V", "--preferred-versions=" + Ngtcp2.V2Draft, "--ciphers=" + Ngtcp2.ChaChaOnly);
        using var client = await Ngtcp2.RunClientAsync(dir, port, Path.Combine(dir, "dl"), ["1k.bin"], ["--other-versions=v2draft,v1"], Timeout);
        await server.StopAsync();

        Assert.True(client.ExitCode == 0, client.Tail());
        TestFiles.AssertSame(src, Path.Combine(dir, "dl", "1k.bin"));
        var clog = client.ReadAll();
        var slog = server.ReadAll();
        Assert.True(Ngtcp2Log.ClientReceivedRetry(clog), client.Tail());
        Assert.True(Ngtcp2Log.ServerSentRetry(slog) && Ngtcp2Log.ServerVerifiedRetryToken(slog), server.Tail());
        Assert.Contains(0x709a50c4u, Ngtcp2Log.NegotiatedVersions(clog));
        Assert.Equal("CHACHA20-POLY1305", Ngtcp2Log.CipherSuite(clog));
    }

    [Fact]
    public async Task KeyUpdateAndMigration10MiB()
    {
        var c = InteropCase.Create(nameof(Ngtcp2Sanity));
        var files = c.AddFiles(1, 10 << 20, 4);
        using var server = await Ngtcp2.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs);
        using var client = await Ngtcp2.RunClientAsync(c.Dir, c.Port, c.Downloads, files, ["--key-update=10ms", "--change-local-addr=30ms"], Timeout);
        await server.StopAsync();

        Assert.True(client.ExitCode == 0, client.Tail());
        c.AssertDownloaded(files, null, client, server);
        var clog = client.ReadAll();
        var slog = server.ReadAll();
        Assert.True(Ngtcp2Log.KeyUpdateConfirmed(clog), client.Tail());
        Assert.True(Ngtcp2Log.ReceivedKeyPhase1(slog), server.Tail());
        Assert.True(Ngtcp2Log.ChangedLocalAddress(clog), client.Tail());
        Assert.True(Ngtcp2Log.PathValidationSucceeded(clog), client.Tail());
        Assert.True(Ngtcp2Log.ReceivedPathChallenge(slog), server.Tail());
    }

    [Fact]
    public async Task TwentyStreamsWithLoss()
    {
        var c = InteropCase.Create(nameof(Ngtcp2Sanity));
        var files = c.AddFiles(20, 50_000, 5);
        using var server = await Ngtcp2.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs, "--tx-loss=0.05", "--rx-loss=0.05");
        using var client = await Ngtcp2.RunClientAsync(c.Dir, c.Port, c.Downloads, files, ["--tx-loss=0.05", "--rx-loss=0.05", "--groups=" + Ngtcp2.P256Only], Timeout);
        await server.StopAsync();

        Assert.True(client.ExitCode == 0, client.Tail());
        c.AssertDownloaded(files, null, client, server);
        var slog = server.ReadAll();
        foreach (var f in files) Assert.Contains($"[:path: /{f}]", slog);
    }
}
