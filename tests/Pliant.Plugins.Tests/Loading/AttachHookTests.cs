using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Connection;
using Pliant.Quic.Operations;

namespace Pliant.Plugins.Tests.Loading;

/// <summary>
/// Applications attach plugins to running connections through the attach hook defined in Pliant.Quic
/// (<see cref="IConnectionCoreOwner"/>), not through the driver's types: Pliant.Plugins depends on Wasm and Quic only.
/// </summary>
public class AttachHookTests
{
    /// <summary>Counts the calls it serialises, as a driver holding its lock would.</summary>
    private sealed class CountingOwner(QuicConnectionCore core) : IConnectionCoreOwner
    {
        public int Calls { get; private set; }

        public T RunOnCore<T>(Func<QuicConnectionCore, T> action)
        {
            Calls++;
            return action(core);
        }
    }

    [Fact]
    public void AttachAndDetachGoThroughTheOwner()
    {
        var s = new Scenario(960);
        var owner = new CountingOwner(s.Client);
        var host = new PluginHost();
        var p = owner.AttachPlugin(host, PluginFiles.Load("monitoring"));
        Assert.Equal(1, owner.Calls);
        Assert.True(p.IsAttached);
        Assert.True(s.Client.Operations.IsHooked(OperationNames.TransmitAfterBatch));
        Assert.Same(p, Assert.Single(host.AttachedTo(s.Client)));
        Assert.True(owner.DetachPlugin(host, "monitoring"));
        Assert.Equal(2, owner.Calls);
        Assert.False(p.IsAttached);
        Assert.Equal(0, s.Client.Operations.HookCount);
        Assert.False(owner.DetachPlugin(host, "monitoring"));
    }

    [Fact]
    public void PluginsProjectDoesNotReferenceTheDriver()
    {
        var refs = typeof(PluginHost).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("Pliant.Quic", refs);
        Assert.Contains("Pliant.Wasm", refs);
        Assert.DoesNotContain("Pliant.Net", refs);
        Assert.DoesNotContain("Pliant.Http3", refs);
    }
}
