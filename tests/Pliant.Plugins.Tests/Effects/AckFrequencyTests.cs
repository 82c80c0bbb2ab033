using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Operations;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

public class AckFrequencyTests(ITestOutputHelper output)
{
    /// <summary>Uploads 2 MiB; returns the packets the receiver (server) sent meanwhile, i.e. mostly ACKs.</summary>
    private static (long ReceiverPackets, long Us) Run(bool plugin, Action<string>? log = null)
    {
        var module = PluginFiles.Load("ack-frequency");
        var s = new Scenario(901, p => p.ClientToServer.BandwidthBitsPerSecond = 50_000_000, transportParameters: plugin ? PluginHost.TransportParametersOf(module) : null);
        if (plugin)
        {
            var host = new PluginHost();
            var sender = host.Attach(s.Client, module, PluginOrigin.Application);
            var receiver = host.Attach(s.Server, module, PluginOrigin.Peer);
            Assert.Equal(1UL, sender.Call("stats", 3));   // the peer's min_ack_delay arrived
            Assert.Equal(1UL, sender.Call("configure", 9, 20_000));
            s.Pair.RunFor(100_000);
            Assert.Equal(1UL, receiver.Call("stats", 0));
            Assert.Equal(10UL, s.Server.GetField(ConnectionField.AckElicitingThreshold));
            Assert.Equal(20_000UL, s.Server.GetField(ConnectionField.MaxAckDelay));
            log?.Invoke($"receiver applied threshold {receiver.Call("stats", 1)}, max_ack_delay {receiver.Call("stats", 2)} µs");
        }
        long before = s.Server.Statistics.PacketsSent;
        long us = s.Upload(2 << 20);
        return (s.Server.Statistics.PacketsSent - before, us);
    }

    [Fact]
    public void PeerSetAckStrategyCutsTheReceiversAcks()
    {
        var native = Run(false);
        var tuned = Run(true, output.WriteLine);
        output.WriteLine($"receiver packets during a 2 MiB upload: {native.ReceiverPackets} natively (ACK every 2), " +
                         $"{tuned.ReceiverPackets} with ack-frequency (ACK every 10); time {native.Us / 1000} ms vs {tuned.Us / 1000} ms");
        Assert.True(tuned.ReceiverPackets * 3 < native.ReceiverPackets, "at least 3x fewer ACK packets");
        Assert.True(tuned.Us < native.Us * 3 / 2, "the transfer is not much slower");
    }
}
