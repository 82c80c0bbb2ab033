using Pliant.Plugins.Tests.Support;

namespace Pliant.Plugins.Tests.Effects;

public class MonitoringTests
{
    private enum Counter { PacketsSent, BytesSent, PacketsReceived, BytesReceived, PacketsAcked, PacketsLost, BytesLost, RttSamples, RttSum, RttMin, RttMax, CwndSamples, CwndMax }

    [Fact]
    public void CountersMatchTheConnectionsOwnStatistics()
    {
        var s = new Scenario(301, p => p.ClientToServer.LossRate = 0.03);
        var host = new PluginHost();
        var mon = host.Attach(s.Client, PluginFiles.Load("monitoring"), PluginOrigin.Application);
        long sentBefore = s.Client.Statistics.PacketsSent, lostBefore = s.Client.Statistics.PacketsLost;
        long receivedBefore = s.Client.Statistics.PacketsReceived;
        long start = s.NowUs;
        ulong maxCwnd = 0;
        s.OnStep(() => maxCwnd = Math.Max(maxCwnd, (ulong)s.Client.CongestionWindow));
        s.Upload(300_000);
        s.Pair.RunFor(500_000);
        long elapsed = s.NowUs - start;
        ulong Get(Counter c) => mon.Call("get", (ulong)c);
        var st = s.Client.Statistics;
        Assert.Equal((ulong)(st.PacketsSent - sentBefore), Get(Counter.PacketsSent));
        Assert.Equal((ulong)(st.PacketsLost - lostBefore), Get(Counter.PacketsLost));
        Assert.Equal((ulong)(st.PacketsReceived - receivedBefore), Get(Counter.PacketsReceived));
        Assert.True(Get(Counter.PacketsLost) > 0, "the lossy link should lose packets");
        Assert.True(Get(Counter.BytesSent) > 300_000);
        Assert.True(Get(Counter.PacketsReceived) > 0 && Get(Counter.PacketsAcked) > 0);
        Assert.True(Get(Counter.RttSamples) > 0);
        ulong min = Get(Counter.RttMin);
        Assert.InRange(min, 20_000UL, 40_000UL); // 2 × 10 ms one-way delay plus ACK delay
        // The same numbers are readable straight from the plugin's memory.
        int addr = (int)mon.Call("stats");
        Assert.Equal(Get(Counter.BytesSent), mon.ReadMemoryU64(addr + 8 * (int)Counter.BytesSent));
        // The plugin's 10 ms timer sampled the congestion window throughout.
        Assert.InRange(Get(Counter.CwndSamples), (ulong)(elapsed / 10_000) - 2, (ulong)(elapsed / 10_000) + 2);
        Assert.InRange(Get(Counter.CwndMax), 12_000UL, maxCwnd);
        Assert.True(mon.IsAttached);
    }

    [Fact]
    public void UsageCountsEveryCallIntoThePlugin()
    {
        var s = new Scenario(302);
        var host = new PluginHost();
        var mon = host.Attach(s.Client, PluginFiles.Load("monitoring"), PluginOrigin.Application);
        var afterInit = mon.Usage;
        Assert.Equal(1, afterInit.Calls); // init
        s.Upload(100_000);
        s.Pair.RunFor(200_000);
        var used = mon.Usage - afterInit;
        // One call per transmit, receive batch, ACK frame, RTT sample, loss and 10 ms timer.
        var st = s.Client.Statistics;
        Assert.InRange(used.Calls, st.PacketsSent, 4 * (st.PacketsSent + st.PacketsReceived));
        Assert.True(used.Fuel >= used.Calls, "each call enters at least one function");
        Assert.True(used.TimeInside > TimeSpan.Zero);
        var before = mon.Usage;
        mon.Call("get", 0);
        Assert.Equal(before.Calls + 1, mon.Usage.Calls);
    }

    [Fact]
    public void ASamplingTimerFiresWithoutAllocating()
    {
        var s = new Scenario(303);
        var mon = new PluginHost().Attach(s.Client, PluginFiles.Load("monitoring"), PluginOrigin.Application);
        ulong Samples() => mon.Call("get", (ulong)Counter.CwndSamples);
        long now = s.NowUs;
        for (int i = 0; i < 20; i++) s.Client.HandleTimeout(now += 10_000); // warm: JIT, list and dictionary capacity
        ulong before = Samples();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) s.Client.HandleTimeout(now += 10_000);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Equal(before + 1000, Samples()); // every 10 ms step fired the plugin's timer once
        Assert.True(allocated < 1000, $"{allocated} bytes allocated by 1000 timer firings");
    }
}
