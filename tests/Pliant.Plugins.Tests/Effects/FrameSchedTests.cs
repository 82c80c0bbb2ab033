using Pliant.Plugins.Tests.Support;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Plugins.Tests.Effects;

/// <summary>
/// <c>frame-sched</c> (packet.schedule_frames, issue 15): DATAGRAM and STREAM take turns at the head of the packets
/// while both are pending, so a stream beside a DATAGRAM flood finishes sooner than with the native order (DATAGRAM
/// first in every packet). <c>hostile/frames-twice</c> is detached; the native order resumes.
/// </summary>
public class FrameSchedTests(ITestOutputHelper output)
{
    [Fact]
    public void AStreamBesideADatagramFloodGetsHalfThePackets()
    {
        var (pair, client, server) = DatagramFlood.Connect(831);
        var native = DatagramFlood.Run(pair, client, server);
        (pair, client, server) = DatagramFlood.Connect(831);
        var plugin = new PluginHost().Attach(server, PluginFiles.Load("frame-sched"), PluginOrigin.Application);
        var shared = DatagramFlood.Run(pair, client, server);
        output.WriteLine($"300 kB stream beside a DATAGRAM flood at 20 Mbit/s: native {native.StreamUs / 1000} ms ({native.Datagrams} datagrams queued), frame-sched {shared.StreamUs / 1000} ms ({shared.Datagrams} datagrams; {plugin.Call("streams_first")} of {plugin.Call("shared")} shared packets STREAM first)");
        Assert.True(plugin.IsAttached, plugin.DetachReason);
        Assert.True(plugin.Call("streams_first") > 20);
        Assert.True(shared.StreamUs < native.StreamUs * 8 / 10, $"frame-sched {shared.StreamUs} µs, native {native.StreamUs} µs");
        Assert.True(shared.Datagrams > 100, "the datagrams still flowed");
    }

    [Fact]
    public void AnOrderNamingAKindTwiceIsDetachedAndTheStreamCompletes()
    {
        var (pair, client, server) = DatagramFlood.Connect(832);
        var plugin = new PluginHost().Attach(server, PluginFiles.Load("frames-twice"), PluginOrigin.Application);
        DatagramFlood.Run(pair, client, server);
        output.WriteLine($"frames-twice: {plugin.DetachReason}");
        Assert.False(plugin.IsAttached);
        Assert.Contains("broken invariant in packet.schedule_frames (replace): order 0x44 names frame kind 4 twice", plugin.DetachReason, StringComparison.Ordinal);
        Assert.False(server.Operations.IsHooked(OperationNames.PacketScheduleFrames));
    }
}
