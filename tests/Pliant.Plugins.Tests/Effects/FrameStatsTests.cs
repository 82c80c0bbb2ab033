using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

/// <summary>
/// <c>frame-stats</c> (packet.before_send and frame.on_received.* observers, issue 15): its counts agree with what the
/// connection sent and received. <c>hostile/observer-oob</c> traps in its observer and is detached; the transfer completes.
/// </summary>
public class FrameStatsTests(ITestOutputHelper output)
{
    private const int Size = 400_000;

    private static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connect(int seed) => Transfers.Connected(seed);

    private static void Upload(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server) => Transfers.Upload(pair, client, server, Size);

    [Fact]
    public void CountsMatchWhatWasSentAndReceived()
    {
        var (pair, client, server) = Connect(841);
        var host = new PluginHost();
        var sender = host.Attach(client, PluginFiles.Load("frame-stats"), PluginOrigin.Application);
        var receiver = host.Attach(server, PluginFiles.Load("frame-stats"), PluginOrigin.Application);
        Upload(pair, client, server);
        pair.RunFor(300_000); // the last acknowledgments arrive
        long streamPackets = (long)sender.Call("sent_stream_packets"), acks = (long)sender.Call("received_acks");
        long frames = (long)receiver.Call("received_stream_frames"), bytes = (long)receiver.Call("received_stream_bytes"), ackOnly = (long)receiver.Call("sent_ack_only_packets");
        output.WriteLine($"sender: {streamPackets} packets with STREAM frames, {acks} ACK frames received; receiver: {frames} STREAM frames ({bytes} bytes), {ackOnly} ACK-only packets sent");
        Assert.True(sender.IsAttached && receiver.IsAttached);
        Assert.InRange(frames, streamPackets * 9 / 10, streamPackets + 5); // one STREAM frame per packet, none lost on this link
        Assert.InRange(bytes, Size, Size * 11 / 10);
        Assert.InRange(acks, ackOnly * 9 / 10, ackOnly + 5);
    }

    [Fact]
    public void ATrappingObserverIsDetachedAndTheTransferCompletes()
    {
        var (pair, client, server) = Connect(842);
        var plugin = new PluginHost().Attach(server, PluginFiles.Load("observer-oob"), PluginOrigin.Application);
        Upload(pair, client, server);
        output.WriteLine($"observer-oob: {plugin.DetachReason}");
        Assert.False(plugin.IsAttached);
        Assert.Contains("frame.on_received.stream", plugin.DetachReason, StringComparison.Ordinal);
        Assert.Contains("out of bounds", plugin.DetachReason, StringComparison.Ordinal);
        Assert.False(server.Operations.IsHooked(OperationNames.FrameOnReceivedStream));
    }
}
