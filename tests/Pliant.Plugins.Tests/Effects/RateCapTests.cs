using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Operations;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

public class RateCapTests(ITestOutputHelper output)
{
    [Fact]
    public void ThreeVersionsInjectedInTurnChangeTheRateMidTransfer()
    {
        // 40 Mbit/s bottleneck; the server sends; the client "pushes" rate-cap versions to it.
        var s = new Scenario(501, p =>
        {
            p.ServerToClient.BandwidthBitsPerSecond = 40_000_000;
            p.ServerToClient.QueueLimitBytes = 200_000;
        });
        var host = new PluginHost();
        ulong id = s.StartDownload(40 << 20);
        const long phase = 2_000_000;
        s.Pair.RunFor(phase);
        var rates = new List<(string, double)>();
        double Measure(string label)
        {
            int before = s.Downloaded(id);
            s.Pair.RunFor(phase / 2); // settle
            before = s.Downloaded(id);
            s.Pair.RunFor(phase);
            double rate = (s.Downloaded(id) - before) * 1e6 / phase;
            rates.Add((label, rate));
            output.WriteLine($"{label}: {rate / 1000:F0} kB/s");
            return rate;
        }
        double uncapped = Measure("no plugin");
        var expected = new Dictionary<string, double> { ["1"] = 400_000, ["2"] = 100_000, ["3"] = 1_000_000 };
        foreach (var version in new[] { "1", "2", "3" })
        {
            host.Detach(s.Server, "rate-cap");
            var p = host.Attach(s.Server, PluginFiles.Load("rate-cap-" + version), PluginOrigin.Peer);
            Assert.Equal(version, p.Module.Version);
            Assert.Equal((ulong)expected[version], s.Server.GetField(ConnectionField.PacingRateCap));
            double rate = Measure("rate-cap v" + version);
            Assert.InRange(rate, expected[version] * 0.8, expected[version] * 1.1);
            Assert.True(p.IsAttached);
        }
        Assert.True(uncapped > 3_000_000, $"uncapped goodput {uncapped}");
        Assert.True(host.Detach(s.Server, "rate-cap"));
        Assert.Equal(0UL, s.Server.GetField(ConnectionField.PacingRateCap)); // restored on detach
        Assert.Equal(0UL, s.Server.GetField(ConnectionField.CongestionWindowCap));
        Assert.Contains("rate cap applied", Scenario.PluginMessages(s.ServerEvents, "rate-cap"));
    }
}
