namespace Pliant.Interop.Tests.Harness;

/// <summary>Runs the <c>pliant</c> CLI (src/Pliant.Cli) as <c>dotnet pliant.dll ...</c>.</summary>
public static class PliantCli
{
    private static readonly Lazy<string> DllPath = new(Locate);

    public static string Dll => DllPath.Value;

    /// <summary>The dotnet host running these tests (so the same runtime runs pliant).</summary>
    public static string DotnetHost
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromEnv) && File.Exists(fromEnv)) return fromEnv;
            var main = Environment.ProcessPath;
            if (main is not null && Path.GetFileNameWithoutExtension(main) == "dotnet") return main;
            return "dotnet";
        }
    }

    public static PeerProcess Start(string name, string dir, params string[] args) =>
        PeerProcess.Start(name, DotnetHost, [Dll, .. args], dir);

    /// <summary>Runs <c>pliant args</c> with extra environment variables to completion (killed after <paramref name="timeout"/>).</summary>
    public static async Task<PeerProcess> RunWithEnvironmentAsync(string name, string dir, TimeSpan timeout,
        IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var p = PeerProcess.Start(name, DotnetHost, [Dll, .. args], dir, environment: environment);
        await p.WaitForExitAsync(timeout);
        return p;
    }

    /// <summary>Runs <c>pliant args</c> to completion (killed after <paramref name="timeout"/>).</summary>
    public static async Task<PeerProcess> RunAsync(string name, string dir, TimeSpan timeout, params string[] args)
    {
        var p = Start(name, dir, args);
        await p.WaitForExitAsync(timeout);
        return p;
    }

    /// <summary>
    /// Starts <c>pliant serve</c> on 127.0.0.1:<paramref name="port"/> and waits until the port is bound.
    /// </summary>
    public static async Task<PeerProcess> StartServerAsync(string dir, int port, TestCertificate cert, string htdocs, params string[] extra)
    {
        string[] args = ["serve", htdocs, "--listen", $"127.0.0.1:{port}", "--cert", cert.CertPath, "--key", cert.KeyPath, .. extra];
        var server = Start("pliant-server", dir, args);
        if (!await FreePort.WaitUntilBoundAsync(port, server, TimeSpan.FromSeconds(30)))
        {
            await server.StopAsync();
            Assert.Fail("pliant serve did not bind its port.\n" + server.Tail());
        }
        return server;
    }

    private static string Locate()
    {
        // Copied next to the test assembly by the ProjectReference.
        var here = Path.Combine(AppContext.BaseDirectory, "pliant.dll");
        if (File.Exists(here) && File.Exists(Path.Combine(AppContext.BaseDirectory, "pliant.runtimeconfig.json"))) return here;
        // Otherwise src/Pliant.Cli/bin/<config>/<tfm>/pliant.dll, same configuration as the tests.
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var config = dir.Parent?.Name ?? "Release";
        var tfm = dir.Name;
        for (var d = dir; d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "src", "Pliant.Cli", "bin", config, tfm, "pliant.dll");
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"pliant.dll not found next to {AppContext.BaseDirectory} nor under src/Pliant.Cli/bin/{config}/{tfm}; build src/Pliant.Cli.");
        return null!;
    }
}
