using Pliant.Plugins.Tests.Support;

namespace Pliant.Plugins.Tests.Loading;

public class ModuleLoadingTests
{
    [Fact]
    public void MonitoringManifestIsParsedAndValidated()
    {
        var m = PluginFiles.Load("monitoring");
        Assert.Equal("monitoring", m.Id);
        Assert.Equal("1", m.Version);
        Assert.Equal(5, m.Manifest.Bindings.Count);
        Assert.Contains(m.Manifest.Bindings, b => b is { Operation: "transmit.after_batch", Anchor: "post", Export: "on_sent" });
        Assert.Equal(64, m.HashHex.Length);
        Assert.Equal(Pliant.Plugins.Trust.PluginHash.ToHex(Pliant.Plugins.Trust.PluginHash.Compute(PluginFiles.Bytes("monitoring"))), m.HashHex);
    }

    [Fact]
    public void SameBytesCompileOnce()
    {
        var a = PluginFiles.Load("monitoring");
        var b = PluginModule.Load(PluginFiles.Bytes("monitoring"));
        Assert.Same(a, b);
    }

    [Fact]
    public void StateIsKeptBetweenCallsAndPerInstance()
    {
        var m = PluginFiles.Load("monitoring");
        var host = new PluginHost();
        var site1 = new FakeSite();
        var site2 = new FakeSite();
        var p1 = host.Attach(site1, m, PluginOrigin.Application);
        var p2 = host.Attach(site2, m, PluginOrigin.Application);
        site1.Fire("transmit.after_batch", 1, 1200); // A0 packets, A1 bytes
        site1.Fire("transmit.after_batch", 1, 800);
        site2.Fire("transmit.after_batch", 1, 50);
        Assert.Equal(2UL, p1.Call("get", 0));
        Assert.Equal(2000UL, p1.Call("get", 1));
        Assert.Equal(50UL, p2.Call("get", 1));
        int addr = (int)p1.Call("stats");
        Assert.Equal(2000UL, p1.ReadMemoryU64(addr + 8));
    }

    [Fact]
    public void DetachRemovesHooks()
    {
        var m = PluginFiles.Load("monitoring");
        var host = new PluginHost();
        var site = new FakeSite();
        var p = host.Attach(site, m, PluginOrigin.Application);
        Assert.Equal(5, site.Operations.HookCount);
        Assert.Single(site.Timers); // the sampling timer armed by init
        Assert.StartsWith("attached: monitoring@1 (application, sha256 ", Assert.Single(site.Events).Message, StringComparison.Ordinal);
        Assert.Single(host.AttachedTo(site));
        Assert.True(host.Detach(site, "monitoring"));
        Assert.Equal(0, site.Operations.HookCount);
        Assert.Empty(site.Timers);
        Assert.False(p.IsAttached);
        Assert.Empty(host.AttachedTo(site));
    }
}
