using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// <c>pliant serve --push</c> and <c>pliant get --trust</c> in separate processes on loopback: a pushed
/// plugin is injected into the client's running connection when trusted, and refused with a clear event
/// when not. Needs plugins/out/monitoring.wasm (scripts/test.sh runs plugins/build.sh first).
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class PluginPushCli
{
    private const string Cls = nameof(PluginPushCli);

    private static string Plugin(string name)
    {
        var path = Path.Combine(RepoPaths.PluginsOut, name + ".wasm");
        Assert.True(File.Exists(path), $"{path} is missing: run plugins/build.sh");
        return path;
    }

    private static async Task<string> HashAsync(InteropCase c, string wasm)
    {
        using var p = await PliantCli.RunAsync("pliant-hash", c.Dir, InteropCase.Timeout, "plugin", "hash", wasm);
        Assert.Equal(0, p.ExitCode);
        var line = p.ReadStdout().Trim().Split('\n')[^1];
        return line[(line.LastIndexOf('@') + 1)..].Trim();
    }

    [Fact]
    public async Task TrustedPushIsInjectedIntoTheRunningClientConnection()
    {
        var c = InteropCase.Create(Cls);
        var files = c.AddFiles(1, 4 << 20, 30);
        var monitoring = Plugin("monitoring");
        string hash = await HashAsync(c, monitoring);
        using var server = await PliantCli.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs, "--push", monitoring);
        using var client = await PliantCli.RunAsync("pliant-client", c.Dir, InteropCase.Timeout,
            "get", c.Url(files[0]), "-o", Path.Combine(c.Downloads, files[0]), "--pin", c.Cert.Sha256Hex, "--trust", hash);
        await server.StopAsync();
        Assert.True(client.ExitCode == 0, client.Tail() + server.Tail());
        c.AssertDownloaded(files, null, client, server);
        var output = client.ReadStdout();
        Assert.Contains("plugin monitoring: injected monitoring@" + hash, output);
    }

    [Fact]
    public async Task UntrustedPushIsRefusedWithAnEvent()
    {
        var c = InteropCase.Create(Cls);
        var files = c.AddFiles(1, 1 << 20, 31);
        var monitoring = Plugin("monitoring");
        using var server = await PliantCli.StartServerAsync(c.Dir, c.Port, c.Cert, c.Htdocs, "--push", monitoring);
        // The client accepts pushes, but only of another module's hash.
        using var client = await PliantCli.RunAsync("pliant-client", c.Dir, InteropCase.Timeout,
            "get", c.Url(files[0]), "-o", Path.Combine(c.Downloads, files[0]), "--pin", c.Cert.Sha256Hex, "--trust", new string('a', 64));
        await server.StopAsync();
        Assert.True(client.ExitCode == 0, client.Tail() + server.Tail());
        c.AssertDownloaded(files, null, client, server);
        var output = client.ReadStdout();
        Assert.Contains("plugin monitoring: refused", output);
        Assert.DoesNotContain("injected", output);
    }
}
