using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Connection;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

public class EcnTests(ITestOutputHelper output)
{
    /// <summary>20 Mbit/s, 60 ms RTT, CE marks above 15 kB of queue (a shallow AQM).</summary>
    private static void Link(SimulatedPair p)
    {
        p.ClientToServer.BandwidthBitsPerSecond = 20_000_000;
        p.ClientToServer.DelayUs = 30_000;
        p.ServerToClient.DelayUs = 30_000;
        p.ClientToServer.EcnMarkThresholdBytes = 15_000;
        p.ClientToServer.QueueLimitBytes = 1 << 20;
    }

    [Fact]
    public void ProportionalReactionToCeMarksKeepsThroughputWhereHalvingLosesIt()
    {
        const int size = 4 << 20;
        var native = new Scenario(1001, Link, CongestionControlAlgorithm.NewReno);
        long nativeUs = native.Upload(size);
        ulong nativeCe = native.Client.GetField(Pliant.Quic.Operations.ConnectionField.EcnCeReceived);

        var s = new Scenario(1001, Link, CongestionControlAlgorithm.NewReno);
        var ecn = new PluginHost().Attach(s.Client, PluginFiles.Load("ecn"), PluginOrigin.Application);
        long pluginUs = s.Upload(size);
        ulong ce = s.Client.GetField(Pliant.Quic.Operations.ConnectionField.EcnCeReceived);

        double Mbps(long us) => size * 8.0 / us;
        output.WriteLine($"4 MiB, 20 Mbit/s, CE above 15 kB queue: native NewReno (halves on CE) {nativeUs / 1000} ms = {Mbps(nativeUs):F1} Mbit/s, {nativeCe} CE marks; " +
                         $"ecn plugin {pluginUs / 1000} ms = {Mbps(pluginUs):F1} Mbit/s, {ce} CE marks, {ecn.Call("stats", 2)} reductions, alpha {ecn.Call("stats", 1)}/1024, {ecn.Call("stats", 3)} loss events");
        Assert.True(ecn.IsAttached, ecn.DetachReason);
        Assert.True(nativeCe > 0 && ce > 0, "the link marked CE and the ACKs reported it");
        Assert.True(ecn.Call("stats", 2) > 0, "the plugin reacted to CE marks");
        Assert.True(pluginUs < nativeUs * 9 / 10, "proportional reduction completes at least 10% sooner than halving");
    }
}
