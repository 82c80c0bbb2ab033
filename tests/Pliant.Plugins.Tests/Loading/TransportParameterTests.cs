using Pliant.Plugins.Tests.Support;

namespace Pliant.Plugins.Tests.Loading;

public class TransportParameterTests
{
    [Fact]
    public void WriteExportsProduceTheValuesToAdvertise()
    {
        var tps = PluginHost.TransportParametersOf(PluginFiles.Load("ack-frequency"));
        var (id, value) = Assert.Single(tps);
        Assert.Equal(0xff04de1bUL, id);
        Assert.Equal(new byte[] { 0x43, 0xe8 }, value); // varint 1000 µs
    }

    [Fact]
    public void AnInvalidPeerValueFaultsThePlugin()
    {
        var site = new FakeSite { PeerExtraTransportParameters = [(0xff04de1bUL, new byte[] { 0x43 })] };
        var p = new PluginHost().Attach(site, PluginFiles.Load("ack-frequency"), PluginOrigin.Application);
        Assert.False(p.IsAttached);
        Assert.Equal("transport parameter 0xff04de1b rejected by the plugin (-1)", p.DetachReason);
        Assert.Contains(site.Events, e => e.Message == "detached: transport parameter 0xff04de1b rejected by the plugin (-1)");
        Assert.Empty(site.Frames);
    }

    [Fact]
    public void AValidPeerValueIsDelivered()
    {
        var site = new FakeSite { PeerExtraTransportParameters = [(0xff04de1bUL, new byte[] { 0x43, 0xe8 })] };
        var p = new PluginHost().Attach(site, PluginFiles.Load("ack-frequency"), PluginOrigin.Application);
        Assert.True(p.IsAttached);
        Assert.Equal(1UL, p.Call("stats", 3));
        Assert.Single(site.Frames);
    }
}
