using System.Diagnostics;
using Pliant.Plugins.Sdk;
using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Tests.Sdk;

/// <summary>
/// <c>pliant plugin new</c>'s skeletons (issue 15 item 4): for every operation of the catalogue and every anchor it
/// offers, the skeleton compiles with clang exactly as written, loads, and — attached to a connection — changes
/// nothing (replacements return the native value) while its handlers run.
/// </summary>
public class PluginSkeletonTests
{
    private static byte[] Compile(string name, string source)
    {
        string dir = Path.Combine(Path.GetTempPath(), "pliant-skeleton-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string c = Path.Combine(dir, name + ".c"), wasm = Path.Combine(dir, name + ".wasm");
            File.WriteAllText(c, source);
            var psi = new ProcessStartInfo("clang")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            foreach (var a in new[] { "--target=wasm32", "-O2", "-nostdlib", "-ffreestanding", "-fno-builtin", "-I", Path.Combine(PluginFiles.RepoRoot, "plugins", "sdk"),
                "-Wall", "-Werror", "-Wl,--no-entry", "-Wl,--export-dynamic", "-Wl,--allow-undefined", "-o", wasm, c })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(60_000), "clang did not finish");
            Assert.True(p.ExitCode == 0, $"clang failed on the skeleton:\n{err}\n{source}");
            return File.ReadAllBytes(wasm);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static TheoryData<string> Anchors => new() { "replace", "pre", "post" };

    [Theory]
    [MemberData(nameof(Anchors))]
    public void EveryOperationOfferingTheAnchor_CompilesLoadsAndChangesNothing(string anchorName)
    {
        Assert.True(PluginSkeleton.TryParseAnchor(anchorName, out var anchor));
        var ops = OperationCatalog.All.Where(o => (o.Anchors & anchor) != 0).ToList();
        Assert.NotEmpty(ops);
        string name = "skeleton-" + anchorName;
        var module = PluginModule.Load(Compile(name, PluginSkeleton.Write(name, [.. ops.Select(o => (o.Name, anchor))])));
        Assert.Equal(ops.Count, module.Manifest.Bindings.Count);

        // Attached to the sending side of a transfer: it completes as natively, the plugin stays attached, handlers run.
        var s = new Scenario(1501 + (int)anchor, p => { p.ServerToClient.LossRate = 0.01; });
        var plugin = new PluginHost().Attach(s.Server, module, PluginOrigin.Application);
        ulong id = s.StartDownload(256 * 1024);
        Assert.True(s.Pair.RunUntil(() => s.ClientCollector.Finished.Contains(id), 60_000_000), "the transfer did not complete");
        Assert.True(plugin.IsAttached, plugin.DetachReason);
        long calls = ops.Sum(o => (long)plugin.Call("calls_" + PluginSkeleton.ExportName(o.Name, anchor)));
        Assert.True(calls > 0);
    }

    [Fact]
    public void BadRequestsAreRefusedWithTheReason()
    {
        Assert.Contains("unknown operation", Assert.Throws<ArgumentException>(() => PluginSkeleton.Write("x", [("no.such", AnchorSet.Replace)])).Message);
        Assert.Contains("offers", Assert.Throws<ArgumentException>(() => PluginSkeleton.Write("x", [(OperationNames.PacketOnAcked, AnchorSet.Replace)])).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => PluginSkeleton.Write("x",
            [(OperationNames.PacketOnAcked, AnchorSet.Post), (OperationNames.PacketOnAcked, AnchorSet.Post)])).Message);
        Assert.Contains("plugin id", Assert.Throws<ArgumentException>(() => PluginSkeleton.Write("Bad Name", [(OperationNames.PacketOnAcked, AnchorSet.Post)])).Message);
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => PluginSkeleton.Write("x", [])).Message);
    }
}
