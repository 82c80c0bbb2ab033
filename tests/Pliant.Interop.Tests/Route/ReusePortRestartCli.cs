using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests.Route;

/// <summary>
/// Issue 13 item 5, as processes: two <c>pliant serve --reuseport</c> generations on one port. A 1 GiB download from
/// the old one stays open (held by a pausable relay, so the overlap does not depend on the machine's speed) while
/// the new one starts and serves every new connection; the old one, told by SIGTERM, reports the download still open, sends it a GOAWAY,
/// finishes it and exits; nothing is reset; a ticket the old one issued resumes on the new one (shared --key-file).
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed partial class ReusePortRestartCli
{
    private const string Cls = nameof(ReusePortRestartCli);
    private const int SIGTERM = 15;

    /// <summary>1 GiB through the test's relay on a loaded 2-core machine: generous (measured 10-40 s).</summary>
    private static readonly TimeSpan DownloadTimeout = TimeSpan.FromMinutes(6);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"reuseport=generation:(\d+),pid:(\d+)")]
    private static partial Regex Listening();

    private static PeerProcess StartServe(InteropCase c, string name, string runDir, string keyFile) =>
        PliantCli.Start(name, c.Dir, "serve", c.Htdocs, "--listen", $"127.0.0.1:{c.Port}", "--cert", c.Cert.CertPath, "--key", c.Cert.KeyPath,
            "--reuseport", "--threads", "2", "--run-dir", runDir, "--key-file", keyFile, "--idle-timeout", "60");

    private static async Task<string> WaitForLineAsync(PeerProcess p, string text)
    {
        var deadline = DateTime.UtcNow + InteropCase.Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var output = p.ReadStdout();
            if (output.Contains(text, StringComparison.Ordinal)) return output;
            if (p.HasExited) break;
            await Task.Delay(50);
        }
        Assert.Fail($"{p.Name} did not print '{text}'.\n{p.Tail()}");
        return "";
    }

    private static int Count(string output, string text) => Regex.Matches(output, Regex.Escape(text)).Count;

    /// <summary>
    /// The count of <paramref name="text"/> in <paramref name="p"/>'s output once it reached <paramref name="expected"/>
    /// (or the timeout): serve logs a request after its response went out, so a client may exit before the line.
    /// </summary>
    private static async Task<int> CountWhenAsync(PeerProcess p, string text, int expected)
    {
        var deadline = DateTime.UtcNow + InteropCase.Timeout;
        int n;
        while ((n = Count(p.ReadStdout(), text)) < expected && DateTime.UtcNow < deadline) await Task.Delay(50);
        return n;
    }

    [Fact]
    public async Task NewGenerationServesEveryNewConnection_OldOneFinishesItsDownloadAndExits()
    {
        if (!OperatingSystem.IsLinux()) return;
        var c = InteropCase.Create(Cls);
        // The issue's figure: a 1 GiB download from the old generation completes across the restart.
        var big = c.AddFiles(1, 1L << 30, 61)[0];
        const string small = "small.txt";
        File.WriteAllText(Path.Combine(c.Htdocs, small), "served\n");
        string runDir = Path.Combine(c.Dir, "run"), keyFile = Path.Combine(c.Dir, "keys"), session = Path.Combine(c.Dir, "session.json");

        using var old = StartServe(c, "serve-old", runDir, keyFile);
        var oldOut = await WaitForLineAsync(old, "listening on");
        var oldGeneration = Listening().Match(oldOut).Groups[1].Value;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        // A ticket from the old generation.
        using (var first = await PliantCli.RunAsync("get-ticket", c.Dir, InteropCase.Timeout, "get", c.Url(small), "--pin", c.Cert.Sha256Hex, "--session", session, "-q"))
            Assert.True(first.ExitCode == 0, first.Tail());
        // That connection has ended on the server too (its summary line), so the drain below counts only the download.
        // (Should the client's CONNECTION_CLOSE be lost on a loaded machine, the server's 60 s idle timeout ends it.)
        await WaitForLineAsync(old, " qpack ");

        // The long download from the old generation, through a relay the test pauses once it is under way.
        using var relay = new PausableRelay(new IPEndPoint(IPAddress.Loopback, c.Port));
        var download = PliantCli.Start("get-big", c.Dir, "get", $"https://127.0.0.1:{relay.Port}/{big}", "--pin", c.Cert.Sha256Hex,
            "-o", Path.Combine(c.Downloads, big), "--idle-timeout", "60");
        var deadline = DateTime.UtcNow + InteropCase.Timeout;
        while (relay.DownBytes < 1 << 20 && !download.HasExited && DateTime.UtcNow < deadline) await Task.Delay(10);
        relay.Paused = true;
        Assert.False(download.HasExited, download.Tail());

        using var young = StartServe(c, "serve-new", runDir, keyFile);
        var youngOut = await WaitForLineAsync(young, "listening on");
        var youngGeneration = Listening().Match(youngOut).Groups[1].Value;
        Assert.NotEqual(oldGeneration, youngGeneration);

        // Every new connection goes to the new generation (each serve logs the requests it served).
        const int gets = 6;
        for (int i = 0; i < gets; i++)
        {
            using var g = await PliantCli.RunAsync($"get-new{i}", c.Dir, InteropCase.Timeout, "get", c.Url(small), "--pin", c.Cert.Sha256Hex, "-q");
            Assert.True(g.ExitCode == 0, g.Tail());
        }
        // The old generation's ticket resumes on the new one (the shared key file).
        using (var resumed = await PliantCli.RunAsync("get-resume", c.Dir, InteropCase.Timeout, "get", c.Url(small), "--pin", c.Cert.Sha256Hex, "--session", session))
        {
            Assert.True(resumed.ExitCode == 0, resumed.Tail());
            Assert.Contains("resumed=yes", resumed.ReadStdout());
        }
        Assert.Equal(gets + 1, await CountWhenAsync(young, $"GET /{small} 200", gets + 1));
        youngOut = young.ReadStdout();
        Assert.Contains("resumed=yes", youngOut);
        Assert.Equal(1, Count(old.ReadStdout(), $"GET /{small} 200")); // only the ticket's request, before the new one started

        // SIGTERM: the old generation drains with the download still open, and keeps running while it is.
        Assert.Equal(0, Kill(old.Id, SIGTERM));
        await WaitForLineAsync(old, "draining generation");
        Assert.Contains("1 connection(s) open; new connections go to the newest generation", old.ReadStdout());
        await WaitForLineAsync(old, "draining: GOAWAY"); // the open connection is told to go (RFC 9114 §5.2)
        using (var during = await PliantCli.RunAsync("get-during-drain", c.Dir, InteropCase.Timeout, "get", c.Url(small), "--pin", c.Cert.Sha256Hex, "-q"))
            Assert.True(during.ExitCode == 0, during.Tail());
        Assert.False(old.HasExited, old.Tail());

        // The download resumes and completes intact; then the old generation exits by itself.
        relay.Paused = false;
        Assert.Equal(0, await download.WaitForExitAsync(DownloadTimeout));
        c.AssertDownloaded([big], null, download, old);
        File.Delete(Path.Combine(c.Downloads, big));
        File.Delete(Path.Combine(c.Htdocs, big));
        Assert.Equal(0, await old.WaitForExitAsync(InteropCase.Timeout));
        var oldFinal = old.ReadStdout();
        Assert.Contains($"GET /{big} 200", oldFinal);
        Assert.Contains("no connection left", oldFinal);
        Assert.Contains("pliant serve: stopped", oldFinal);
        Assert.DoesNotContain("closed:", old.ReadStderr()); // no connection ended in an error
        Assert.DoesNotContain("error", download.ReadStderr(), StringComparison.OrdinalIgnoreCase);

        // The new generation alone: its program was rebuilt as the old one's sockets left.
        for (int i = 0; i < 4; i++)
        {
            using var g = await PliantCli.RunAsync($"get-after{i}", c.Dir, InteropCase.Timeout, "get", c.Url(small), "--pin", c.Cert.Sha256Hex, "-q");
            Assert.True(g.ExitCode == 0, g.Tail());
        }
        Assert.Equal(gets + 1 + 1 + 4, await CountWhenAsync(young, $"GET /{small} 200", gets + 1 + 1 + 4));
        await young.StopAsync();
    }
}
