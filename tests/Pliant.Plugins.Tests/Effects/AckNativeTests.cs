using Pliant.Plugins.Tests.Support;

namespace Pliant.Plugins.Tests.Effects;

/// <summary>
/// <c>ack-native</c>: the core's ACK policy re-implemented in WebAssembly (ack.should_send_now, ack.delay), the
/// ACK-policy component of the isolation benchmark. On the receiving side of an upload over a lossy, reordering
/// link it decides exactly as the native policy does: the same seeded run sends the same acknowledgments.
/// </summary>
public class AckNativeTests
{
    private static (long ReceiverPackets, long Decisions) Upload(bool plugin)
    {
        var s = new Scenario(1601, p =>
        {
            foreach (var link in new[] { p.ClientToServer, p.ServerToClient })
            {
                link.BandwidthBitsPerSecond = 20_000_000;
                link.LossRate = 0.01;
                link.ReorderRate = 0.02;
            }
        });
        var instance = plugin ? new PluginHost().Attach(s.Server, PluginFiles.Load("ack-native"), PluginOrigin.Application) : null;
        long before = s.Server.Statistics.PacketsSent;
        ulong id = s.StartUpload(2 << 20);
        Assert.True(s.Pair.RunUntil(() => s.Collector.Finished.Contains(id), 60_000_000), "the upload did not complete");
        if (instance is not null) Assert.True(instance.IsAttached, instance.DetachReason);
        return (s.Server.Statistics.PacketsSent - before, instance is null ? 0 : (long)instance.Call("decisions_made"));
    }

    [Fact]
    public void TheReceiverAcknowledgesExactlyAsNatively()
    {
        var native = Upload(plugin: false);
        var wasm = Upload(plugin: true);
        Assert.Equal(native.ReceiverPackets, wasm.ReceiverPackets);
        Assert.True(wasm.Decisions > 500, $"the plugin decided {wasm.Decisions} times");
    }
}
