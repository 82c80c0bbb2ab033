using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

/// <summary>
/// <c>flow-autotune</c> (flow.window_update, issue 15): credit at a quarter of the window consumed and fourfold growth
/// let a download over a long path from small initial windows finish sooner than the native rule (half the window,
/// twofold). A plugin granting 2^62 bytes (<c>hostile/credit-flood</c>) is detached; the native rule resumes.
/// </summary>
public class FlowAutotuneTests(ITestOutputHelper output)
{
    private const int Size = 4 << 20;

    [Fact]
    public void CreditGrowsFasterAndTheDownloadFinishesSooner()
    {
        var (pair, client, server) = FlowSetup.Connect(821);
        long native = FlowSetup.Download(pair, client, server, Size);
        (pair, client, server) = FlowSetup.Connect(821);
        var plugin = new PluginHost().Attach(client, PluginFiles.Load("flow-autotune"), PluginOrigin.Application);
        long tuned = FlowSetup.Download(pair, client, server, Size);
        output.WriteLine($"4 MiB over an 80 ms RTT path from 64 KiB / 256 KiB windows: native {native / 1000} ms, flow-autotune {tuned / 1000} ms ({plugin.Call("granted")} grants, {plugin.Call("grown")} fourfold)");
        Assert.True(plugin.IsAttached, plugin.DetachReason);
        Assert.True(plugin.Call("grown") > 0);
        Assert.True(tuned < native * 95 / 100, $"flow-autotune {tuned} µs, native {native} µs");
    }

    [Fact]
    public void GrantingTwoToTheSixtySecondIsDetachedAndTheDownloadCompletes()
    {
        var (pair, client, server) = FlowSetup.Connect(822);
        var plugin = new PluginHost().Attach(client, PluginFiles.Load("credit-flood"), PluginOrigin.Application);
        FlowSetup.Download(pair, client, server, Size);
        output.WriteLine($"credit-flood: {plugin.DetachReason}");
        Assert.False(plugin.IsAttached);
        Assert.Contains("broken invariant in flow.window_update (replace): window 4611686018427387904 for", plugin.DetachReason, StringComparison.Ordinal);
        Assert.Contains("is above its receive limit", plugin.DetachReason, StringComparison.Ordinal);
        Assert.False(client.Operations.IsHooked(OperationNames.FlowWindowUpdate));
        Assert.True(client.IsConnected);
    }
}
