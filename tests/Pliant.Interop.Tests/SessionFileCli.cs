using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// Issue 11 item 15: <c>pliant get --session FILE</c> keeps the resumption secret owner-only, will not
/// resume from a file others can read, nor from a ticket obtained under another certificate check (an
/// <c>--insecure</c> ticket never resumes a checked run); <c>--insecure</c> warns on stderr. And the
/// resumed GET goes in 0-RTT, which <c>pliant serve</c> accepts for GET (issue 11 item 5).
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class SessionFileCli
{
    private const string Cls = nameof(SessionFileCli);

    private static async Task<PeerProcess> GetAsync(InteropCase c, string name, string file, string session, params string[] check)
    {
        var p = await PliantCli.RunAsync(name, c.Dir, InteropCase.Timeout,
            ["get", c.Url(file), "-o", Path.Combine(c.Downloads, file), "--session", session, .. check]);
        Assert.True(p.ExitCode == 0, p.Tail());
        return p;
    }

    [Fact]
    public async Task SessionFileIsOwnerOnly_AndResumesInZeroRtt()
    {
        var c = InteropCase.Create(Cls);
        var files = c.AddFiles(1, 4096, 41);
        using var server = await PliantCli.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs);
        string session = Path.Combine(c.Dir, "session.json");
        using (var first = await GetAsync(c, "pliant-get1", files[0], session, "--pin", c.Cert.Sha256Hex))
            Assert.Contains("resumed=no", first.ReadStdout());
        Assert.True(File.Exists(session));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(session));
        Assert.Empty(Directory.GetFiles(c.Dir, ".session.json.*")); // no temporary file left behind

        using var second = await GetAsync(c, "pliant-get2", files[0], session, "--pin", c.Cert.Sha256Hex);
        await server.StopAsync();
        string out2 = second.ReadStdout();
        Assert.Contains("resumed=yes", out2);
        Assert.Contains("early_data=accepted", out2);
        Assert.Contains("too_early_retries=0", out2);
        Assert.DoesNotContain("warning", second.ReadStderr());
        // The server ran the 0-RTT GET (safe method) and says it was early.
        Assert.Contains($"GET /{files[0]} 200", server.ReadStdout());
        Assert.Contains(" early", server.ReadStdout());
        c.AssertDownloaded(files, null, second, server);
    }

    [Fact]
    public async Task SessionFileOthersCanRead_IsNotUsed()
    {
        if (OperatingSystem.IsWindows()) return;
        var c = InteropCase.Create(Cls);
        var files = c.AddFiles(1, 1024, 42);
        using var server = await PliantCli.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs);
        string session = Path.Combine(c.Dir, "session.json");
        using (await GetAsync(c, "pliant-get1", files[0], session, "--pin", c.Cert.Sha256Hex)) { }
        File.SetUnixFileMode(session, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var second = await GetAsync(c, "pliant-get2", files[0], session, "--pin", c.Cert.Sha256Hex);
        await server.StopAsync();
        Assert.Contains("resumed=no", second.ReadStdout());
        Assert.Contains("accessible to other users (mode 0644)", second.ReadStderr());
        // Rewritten owner-only with the new ticket.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(session));
    }

    [Fact]
    public async Task InsecureTicket_DoesNotResumeACheckedRun()
    {
        var c = InteropCase.Create(Cls);
        var files = c.AddFiles(1, 1024, 43);
        using var server = await PliantCli.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs);
        string session = Path.Combine(c.Dir, "session.json");
        using (var insecure = await GetAsync(c, "pliant-get-insecure", files[0], session, "--insecure"))
            Assert.Contains("warning: --insecure: the server certificate is not checked", insecure.ReadStderr());
        Assert.True(File.Exists(session));

        // A pinned run must see (and check) the certificate: no resumption from the unchecked ticket.
        using var pinned = await GetAsync(c, "pliant-get-pinned", files[0], session, "--pin", c.Cert.Sha256Hex);
        Assert.Contains("resumed=no", pinned.ReadStdout());
        Assert.Contains("saved under another certificate check (--insecure", pinned.ReadStderr());
        Assert.DoesNotContain("--insecure: the server certificate", pinned.ReadStderr());

        // The pinned run saved its own ticket: a second pinned run resumes.
        using var again = await GetAsync(c, "pliant-get-pinned2", files[0], session, "--pin", c.Cert.Sha256Hex);
        await server.StopAsync();
        Assert.Contains("resumed=yes", again.ReadStdout());
    }
}
