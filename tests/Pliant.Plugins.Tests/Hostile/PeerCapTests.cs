using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Tests.Hostile;

/// <summary>A plugin pushed by the peer may lower our congestion window, never raise it.</summary>
public class PeerCapTests
{
    [Fact]
    public void PeerPluginCannotRaiseTheCongestionWindow()
    {
        var h = new HostileSetup(720);
        var module = PluginFiles.Load("window-raise");
        ulong native = h.S.Client.GetField(ConnectionField.CongestionWindow);
        var p = h.Host.Attach(h.S.Client, module, PluginOrigin.Peer);
        ulong withPeerPlugin = h.S.Client.GetField(ConnectionField.CongestionWindow);
        Assert.True(p.IsAttached);
        Assert.Equal(native, withPeerPlugin);
        Assert.True(withPeerPlugin < 1UL << 40);
    }

    [Fact]
    public void ApplicationPluginMayRaiseIt()
    {
        var h = new HostileSetup(721);
        var module = PluginFiles.Load("window-raise");
        var p = h.Host.Attach(h.S.Client, module, PluginOrigin.Application);
        Assert.True(p.IsAttached);
        Assert.Equal(1UL << 40, h.S.Client.GetField(ConnectionField.CongestionWindow));
    }
}
