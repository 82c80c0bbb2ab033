using Pliant.Plugins.Abi;
using Pliant.Plugins.Tests.Support;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Hostile;

/// <summary>
/// Host functions cost fuel, and events are rate-limited: a plugin cannot turn the host's work
/// (strings, event callbacks) into a flood. Driven through a fake site so time and calls are exact.
/// </summary>
public class HostCallLimitTests(ITestOutputHelper output)
{
    private sealed class Attached
    {
        public required FakeSite Site { get; init; }
        public required PluginInstance Plugin { get; init; }
        public int EventBytes => Site.Events.Sum(e => e.Message.Length);
    }

    private static Attached Attach(string name)
    {
        var site = new FakeSite();
        var plugin = new PluginHost().Attach(site, PluginFiles.Load(name), PluginOrigin.Peer);
        site.Events.Clear(); // the "attached" event
        return new Attached { Site = site, Plugin = plugin };
    }

    [Fact]
    public void EmitEventLoopRaisesAFewEventsThenRunsOutOfFuel()
    {
        var a = Attach("event-flood");
        long before = GC.GetAllocatedBytesForCurrentThread();
        a.Site.Fire("packet.after_send");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{a.Site.Events.Count} events, {a.EventBytes} bytes of text, {allocated} bytes allocated, usage {a.Plugin.Usage}");
        Assert.False(a.Plugin.IsAttached);
        Assert.Equal("detached: trap in packet.after_send (post): fuel exhausted", a.Site.Events[^1].Message);
        // At most MaxEventsPerCall events got through; every attempt paid 1000 + 4096 units, so a
        // budget of 1 000 000 allows under 200 attempts and the rest were dropped.
        Assert.Equal(PluginLimits.Default.MaxEventsPerCall + 1, a.Site.Events.Count);
        Assert.InRange(a.Plugin.Usage.EventsDropped, 150, PluginLimits.Default.FuelPerCall / (HostCallFuel.Event + 4096));
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void EventBurstsAreLimitedPerCallAndPerSecond()
    {
        // 100 log lines of 4 KiB on every call (within fuel): the plugin stays attached, but only
        // 8 per call and 64 in a burst get through, then 16 per second of connection time.
        var a = Attach("event-burst");
        for (int i = 0; i < 20; i++) a.Site.Fire("packet.after_send"); // same instant: the burst
        Assert.True(a.Plugin.IsAttached);
        Assert.Equal(PluginLimits.Default.EventBurst, a.Site.Events.Count);
        Assert.All(a.Site.Events, e => Assert.StartsWith("log: yyyy", e.Message, StringComparison.Ordinal));
        Assert.Equal(20 * 100 - 64, a.Plugin.Usage.EventsDropped);
        // One second later: 16 more tokens, still at most 8 per call.
        a.Site.NowUs += 1_000_000;
        a.Site.Fire("packet.after_send");
        Assert.Equal(64 + 8, a.Site.Events.Count);
        a.Site.Fire("packet.after_send");
        Assert.Equal(64 + 16, a.Site.Events.Count);
        a.Site.Fire("packet.after_send");
        Assert.Equal(64 + 16, a.Site.Events.Count);
        Assert.True(a.Plugin.IsAttached);
    }

    [Fact]
    public void HostCallsCostFuel()
    {
        var a = Attach("host-calls");
        var fuel0 = a.Plugin.Usage.Fuel;
        a.Plugin.Call("calls", 1000);
        long perCall = (a.Plugin.Usage.Fuel - fuel0) / 1000;
        output.WriteLine($"fuel per iteration with one now(): {perCall}");
        Assert.InRange(perCall, HostCallFuel.Base, HostCallFuel.Base + 20);
        // An endless loop of host calls stops after about FuelPerCall / 20 of them.
        a.Site.Fire("packet.after_send");
        Assert.False(a.Plugin.IsAttached);
        Assert.Equal("detached: trap in packet.after_send (post): fuel exhausted", a.Site.Events[^1].Message);
    }
}
