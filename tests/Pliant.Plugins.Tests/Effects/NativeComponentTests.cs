using Pliant.Plugins.Tests.Support;

namespace Pliant.Plugins.Tests.Effects;

/// <summary>
/// The components of <c>pliant bench --components</c> (issue 15, the NOMS'25 table): each re-implements a decision
/// of the core in WebAssembly — the ACK policy (<c>ack-native</c>), the frame scheduler (<c>frames-native</c>), loss
/// detection (<c>loss-native</c>, RFC 9002 §6.1), flow-control credit (<c>flow-native</c>) and the stream scheduler
/// (<c>sched-native</c>). Attached to both peers of a seeded, lossy, reordering download and upload, each decides
/// as the core does: every packet of the run is the same as natively, and the plugin was asked all along.
/// </summary>
public class NativeComponentTests
{
    private static (long ClientPackets, long ServerPackets, long Calls) Run(string? plugin, bool upload)
    {
        var s = new Scenario(1701, p =>
        {
            foreach (var link in new[] { p.ClientToServer, p.ServerToClient })
            {
                link.BandwidthBitsPerSecond = 20_000_000;
                link.LossRate = 0.01;
                link.ReorderRate = 0.02;
            }
        });
        var host = new PluginHost();
        var instances = plugin is null ? [] : new[]
        {
            host.Attach(s.Client, PluginFiles.Load(plugin), PluginOrigin.Application),
            host.Attach(s.Server, PluginFiles.Load(plugin), PluginOrigin.Application),
        };
        long c0 = s.Client.Statistics.PacketsSent, s0 = s.Server.Statistics.PacketsSent;
        ulong id = upload ? s.StartUpload(2 << 20) : s.StartDownload(2 << 20);
        var done = upload ? s.Collector : s.ClientCollector;
        Assert.True(s.Pair.RunUntil(() => done.Finished.Contains(id), 60_000_000), "the transfer did not complete");
        foreach (var i in instances) Assert.True(i.IsAttached, i.DetachReason);
        long calls = instances.Sum(i => (long)i.Call(plugin == "ack-native" ? "decisions_made" : "calls_made"));
        return (s.Client.Statistics.PacketsSent - c0, s.Server.Statistics.PacketsSent - s0, calls);
    }

    [Theory]
    [InlineData("ack-native")]
    [InlineData("frames-native")]
    [InlineData("loss-native")]
    [InlineData("flow-native")]
    [InlineData("sched-native")]
    public void EveryPacketIsTheSameAsNatively(string plugin)
    {
        foreach (bool upload in new[] { false, true })
        {
            var native = Run(null, upload);
            var wasm = Run(plugin, upload);
            Assert.Equal((native.ClientPackets, native.ServerPackets), (wasm.ClientPackets, wasm.ServerPackets));
            Assert.True(wasm.Calls > 50, $"{plugin} was asked {wasm.Calls} times");
        }
    }
}
