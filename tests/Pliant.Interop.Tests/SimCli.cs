using System.Diagnostics;
using Pliant.Interop.Tests.Harness;

namespace Pliant.Interop.Tests;

/// <summary>
/// Issue 15 item 4, for the researcher, as a user runs it: <c>pliant plugin new</c> writes a skeleton, clang
/// compiles it unchanged, <c>pliant sim --plugin</c> runs it against the native stack in the seeded simulator —
/// the same figures for the same seed on every run — and scenario files with mistakes are refused by name.
/// </summary>
[Collection(InteropCollection.Name)]
[Trait("Category", "Interop")]
public sealed class SimCli
{
    [Fact]
    public async Task ASkeletonCompilesAndRunsInTheSimulator_Deterministically()
    {
        var c = InteropCase.Create(nameof(SimCli));
        string source = Path.Combine(c.Dir, "my-cc.c"), wasm = Path.Combine(c.Dir, "my-cc.wasm"), scenario = Path.Combine(c.Dir, "lossy.json");
        using (var created = await PliantCli.RunAsync("plugin-new", c.Dir, InteropCase.Timeout, "plugin", "new", "my-cc",
                   "--operation", "cc.window", "--operation", "packet.on_lost:post", "-o", source))
            Assert.True(created.ExitCode == 0, created.Tail());
        Assert.Contains("\"operation\": \"cc.window\", \"anchor\": \"replace\"", File.ReadAllText(source));
        // Not overwritten a second time.
        using (var again = await PliantCli.RunAsync("plugin-new-again", c.Dir, InteropCase.Timeout, "plugin", "new", "my-cc", "--operation", "cc.window", "-o", source))
            Assert.Equal(2, again.ExitCode);

        var psi = new ProcessStartInfo("clang") { RedirectStandardError = true };
        foreach (var a in new[] { "--target=wasm32", "-O2", "-nostdlib", "-ffreestanding", "-fno-builtin", "-I", Path.Combine(RepoPaths.Root, "plugins", "sdk"),
            "-Wall", "-Werror", "-Wl,--no-entry", "-Wl,--export-dynamic", "-Wl,--allow-undefined", "-o", wasm, source })
            psi.ArgumentList.Add(a);
        using (var clang = Process.Start(psi)!)
        {
            string err = await clang.StandardError.ReadToEndAsync();
            await clang.WaitForExitAsync();
            Assert.True(clang.ExitCode == 0, err);
        }

        File.WriteAllText(scenario, """{ "rate_mbit": 10, "delay_ms": 15, "loss_percent": 1, "size_mib": 1 }""");
        string[] args = ["sim", "--plugin", wasm, "--scenario", scenario, "--seed", "7", "--runs", "2"];
        using var first = await PliantCli.RunAsync("sim-1", c.Dir, InteropCase.Timeout, args);
        using var second = await PliantCli.RunAsync("sim-2", c.Dir, InteropCase.Timeout, args);
        Assert.True(first.ExitCode == 0, first.Tail());
        string output = first.ReadStdout();
        Assert.Contains("seed=7 config=native completion_s=", output);
        Assert.Contains("seed=8 config=plugin completion_s=", output);
        Assert.Contains("plugin my-cc@1 on the server (last run): attached", output);
        // Virtual time and seeded choices: the second process prints the same figures (the plugin's time inside differs).
        static string Figures(string o) => string.Join("\n", o.Split('\n').Where(l => l.StartsWith("seed=", StringComparison.Ordinal)));
        Assert.Equal(Figures(output), Figures(second.ReadStdout()));
        // The skeleton returns the native window: the plugin runs change nothing.
        var lines = output.Split('\n').Where(l => l.StartsWith("seed=7 ", StringComparison.Ordinal)).Select(l => l[(l.IndexOf("completion_s", StringComparison.Ordinal))..]).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(lines[0], lines[1]);
    }

    [Theory]
    [InlineData("[1, 2]", "a JSON object")]
    [InlineData("{\"rate_mbit\": -1}", "\"rate_mbit\" must be between")]
    [InlineData("{\"ratembit\": 5}", "unknown key \"ratembit\"")]
    [InlineData("{\"cc\": \"vegas\"}", "\"cc\" must be one of")]
    [InlineData("{\"size_mib\": \"big\"}", "\"size_mib\" must be a number")]
    [InlineData("{ not json", "not JSON")]
    public async Task ABadScenarioIsRefusedByName(string json, string message)
    {
        var c = InteropCase.Create(nameof(SimCli));
        string scenario = Path.Combine(c.Dir, "bad.json");
        File.WriteAllText(scenario, json);
        using var sim = await PliantCli.RunAsync("sim-bad", c.Dir, InteropCase.Timeout, "sim", "--scenario", scenario);
        Assert.Equal(2, sim.ExitCode);
        Assert.Contains(message, sim.ReadStderr());
    }
}
