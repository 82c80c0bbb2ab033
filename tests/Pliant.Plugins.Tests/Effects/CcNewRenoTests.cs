using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

public class CcNewRenoTests(ITestOutputHelper output)
{
    private static void Link(SimulatedPair p)
    {
        p.ClientToServer.BandwidthBitsPerSecond = 20_000_000;
        p.ClientToServer.QueueLimitBytes = 60_000;
        p.ClientToServer.LossRate = 0.002;
    }

    [Fact]
    public void WasmNewRenoCompletesATransferComparablyToTheNativeOne()
    {
        const int size = 3 << 20;
        var native = new Scenario(601, Link, CongestionControlAlgorithm.NewReno);
        long nativeUs = native.Upload(size);

        var s = new Scenario(601, Link, CongestionControlAlgorithm.NewReno);
        var cc = new PluginHost().Attach(s.Client, PluginFiles.Load("cc-newreno"), PluginOrigin.Application);
        ulong maxWindow = 0;
        s.OnStep(() => maxWindow = Math.Max(maxWindow, s.Client.GetField(ConnectionField.CongestionWindow)));
        long pluginUs = s.Upload(size);

        output.WriteLine($"3 MiB over 20 Mbit/s: native NewReno {nativeUs / 1000} ms, WASM cc-newreno {pluginUs / 1000} ms " +
                         $"(plugin: {cc.Call("stats", 1)} acks, {cc.Call("stats", 2)} congestion events, max window {maxWindow})");
        Assert.True(cc.IsAttached, cc.DetachReason);
        Assert.True(s.Client.Operations.IsReplaced("cc.window"));
        Assert.Equal(cc.Call("stats", 0), s.Client.GetField(ConnectionField.CongestionWindow)); // the window is the plugin's
        Assert.True(cc.Call("stats", 2) > 0, "the plugin saw congestion");
        Assert.InRange(pluginUs, nativeUs * 2 / 3, nativeUs * 3 / 2);
    }
}
