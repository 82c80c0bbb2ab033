using System.Text.RegularExpressions;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// Issue 14 item 6: <c>pliant get</c> draws a progress bar with the rate and the time left when its output is a
/// terminal (here a pseudo-terminal from <c>script</c>), and nothing of the kind when the output is a pipe or a file.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class ProgressBarCli
{
    private const string Cls = nameof(ProgressBarCli);

    [Fact]
    public async Task ABarWithRateAndTimeLeftOnATerminalOnly()
    {
        if (!File.Exists("/usr/bin/script")) Assert.Fail("the test needs util-linux's script (a pseudo-terminal)");
        var c = InteropCase.Create(Cls);
        var files = c.AddFiles(1, 128L << 20, 51);
        using var server = await PliantCli.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs, "--quiet");
        string get = $"env TERM=xterm COLUMNS=120 {PliantCli.DotnetHost} {PliantCli.Dll} get {c.Url(files[0])} -o {Path.Combine(c.Downloads, files[0])} --pin {c.Cert.Sha256Hex}";
        using var tty = PeerProcess.Start("pliant-get-tty", "/usr/bin/script", ["-qfec", get, "/dev/null"], c.Dir);
        await tty.WaitForExitAsync(InteropCase.Timeout);
        Assert.True(tty.ExitCode == 0, tty.Tail());
        c.AssertDownloaded(files, null, tty, server);
        string screen = tty.ReadStdout();
        Assert.Contains("\u001b[", screen, StringComparison.Ordinal);                   // drawn with ANSI sequences
        // "  8% 11.4/128.0 MB 31.3 MB/s 00:00:03": done, size, the rate and the time left.
        string text = Regex.Replace(screen, @"\u001b\[[0-9;?]*[A-Za-z]", "");             // colours and cursor moves out
        Assert.Matches(new Regex(@"\d+% [\d.]+/128\.0 MB [\d.]+ [KMG]?B/s \d\d:\d\d:\d\d"), text);

        using var piped = await PliantCli.RunAsync("pliant-get-pipe", c.Dir, InteropCase.Timeout,
            ["get", c.Url(files[0]), "-o", Path.Combine(c.Downloads, files[0]), "--pin", c.Cert.Sha256Hex]);
        Assert.True(piped.ExitCode == 0, piped.Tail());
        Assert.DoesNotContain("\u001b", piped.ReadAll(), StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"B/s"), piped.ReadStdout());
        await server.StopAsync();
    }
}
