using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Tests.Effects;

public class CompositionTests
{
    [Fact]
    public void SeveralPluginsRunTogetherAndDetachingOneRestoresTheNativeController()
    {
        var s = new Scenario(1301, p =>
        {
            p.ClientToServer.BandwidthBitsPerSecond = 20_000_000;
            p.ClientToServer.LossRate = 0.01;
        });
        var host = new PluginHost();
        var mon = host.Attach(s.Client, PluginFiles.Load("monitoring"), PluginOrigin.Application);
        var cc = host.Attach(s.Client, PluginFiles.Load("cc-newreno"), PluginOrigin.Application);
        host.Attach(s.Client, PluginFiles.Load("tlp"), PluginOrigin.Application);
        Assert.Equal(["monitoring", "cc-newreno", "tlp"], host.AttachedTo(s.Client).Select(p => p.Module.Id));

        ulong id = s.StartUpload(3 << 20);
        Assert.True(s.Pair.RunUntil(() => s.Received(id) > 1 << 20, 30_000_000));
        Assert.Equal(cc.Call("stats", 0), s.Client.GetField(ConnectionField.CongestionWindow));
        Assert.True(host.Detach(s.Client, "cc-newreno"));
        Assert.False(cc.IsAttached);
        Assert.False(s.Client.Operations.IsReplaced("cc.window"));
        Assert.True(s.Client.Operations.IsReplaced("recovery.pto")); // tlp stays
        Assert.True(s.Pair.RunUntil(() => s.Collector.Finished.Contains(id), 60_000_000));
        Assert.True(mon.IsAttached);
        Assert.Equal((ulong)s.Client.Statistics.PacketsLost, mon.Call("get", 5));
        Assert.Equal(["monitoring", "tlp"], host.AttachedTo(s.Client).Select(p => p.Module.Id));
    }
}
