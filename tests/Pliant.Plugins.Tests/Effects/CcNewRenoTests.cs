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
    /// <summary>
    /// RFC 9002 §7.8: an application-limited sender (1200 bytes every 2 ms on a fast, loss-free link)
    /// never fills its window, so the window must not grow with every ACK — as it would in slow start,
    /// to megabytes (and the pacing rate with it). The native controller and the WASM one both hold.
    /// </summary>
    [Fact]
    public void WindowDoesNotGrowWhileTheSenderIsApplicationLimited()
    {
        static void Fast(SimulatedPair p)
        {
            p.ClientToServer.BandwidthBitsPerSecond = 1_000_000_000;
            p.ClientToServer.QueueLimitBytes = 10_000_000;
        }

        long Run(bool plugin)
        {
            var s = new Scenario(602, Fast, CongestionControlAlgorithm.NewReno);
            if (plugin) new PluginHost().Attach(s.Client, PluginFiles.Load("cc-newreno"), PluginOrigin.Application);
            Assert.True(s.Client.TryOpenStream(true, out ulong id));
            var chunk = new byte[1200];
            for (int i = 0; i < 1000; i++)
            {
                Assert.Equal(chunk.Length, s.Client.StreamWrite(id, chunk, fin: false));
                s.Pair.RunFor(2000);
            }
            Assert.True(s.Pair.RunUntil(() => s.Received(id) == 1000 * chunk.Length, 1_000_000), "all data arrived");
            return (long)s.Client.GetField(ConnectionField.CongestionWindow);
        }

        long native = Run(plugin: false), wasm = Run(plugin: true);
        output.WriteLine($"window after 1.2 MB sent 1200 B at a time: native {native}, WASM {wasm}");
        Assert.InRange(native, 1, 64 << 10);
        Assert.InRange(wasm, 1, 64 << 10);
    }
}
