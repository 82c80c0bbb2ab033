using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Quic.Tests.Operations;

/// <summary>
/// The frame scheduler as an operation (issue 15 item 2): <c>packet.schedule_frames</c> orders the pending frame kinds
/// of each 1-RTT packet. Orders that are no list of distinct kinds 1-4 detach at once; 16 packets in a row that get
/// none of the pending kinds detach; the transfer completes natively.
/// </summary>
public class FrameScheduleOperationTests(ITestOutputHelper output)
{
    [Fact]
    public void StreamBeforeDatagramShortensTheStreamUnderAFlood()
    {
        var (pair, client, server) = DatagramFlood.Connect(95);
        var native = DatagramFlood.Run(pair, client, server);
        (pair, client, server) = DatagramFlood.Connect(95);
        int calls = 0, entryNative = 0, bothPending = 0;
        server.Operations.Attach(OperationNames.PacketScheduleFrames, Anchor.Replace, (ref OperationArgs a) =>
        {
            calls++;
            if (a.Result == QuicConnectionCore.NativeFrameOrder) entryNative++;
            if ((a.A0 & 0b11000) == 0b11000) bothPending++;
            a.Result = 0x3421; // plugin, control, STREAM, DATAGRAM
        }, "stream-first");
        var streamFirst = DatagramFlood.Run(pair, client, server);
        output.WriteLine($"300 kB stream beside a DATAGRAM flood at 20 Mbit/s: native (DATAGRAM first) {native.StreamUs / 1000} ms, STREAM first {streamFirst.StreamUs / 1000} ms; {calls} calls, {bothPending} with both pending");
        Assert.Equal(calls, entryNative);
        Assert.True(bothPending > 50, $"{bothPending}");
        Assert.True(streamFirst.StreamUs < native.StreamUs * 6 / 10, $"{streamFirst.StreamUs} vs {native.StreamUs}");
        Assert.True(server.Operations.IsHooked(OperationNames.PacketScheduleFrames));
    }

    [Theory]
    [InlineData(0x5UL)]             // kind 5 does not exist
    [InlineData(0x44UL)]            // STREAM twice
    [InlineData(0x403UL)]           // a gap
    [InlineData(0x10000UL)]         // above the bound
    [InlineData(ulong.MaxValue)]    // -1
    public void ANonsenseOrderIsDetachedAndTheTransferCompletes(ulong answer)
    {
        var (pair, client, server) = DatagramFlood.Connect(96);
        var faults = new List<string>();
        int calls = 0;
        server.Operations.Attach(OperationCatalog.PacketScheduleFrames, Anchor.Replace, (ref OperationArgs a) => { calls++; a.Result = answer; }, "nonsense", faults.Add);
        DatagramFlood.Run(pair, client, server);
        Assert.Equal(1, calls);
        Assert.False(server.Operations.IsHooked(OperationNames.PacketScheduleFrames));
        Assert.StartsWith("broken invariant in packet.schedule_frames (replace):", Assert.Single(faults), StringComparison.Ordinal);
    }

    [Fact]
    public void AnOrderThatNeverWritesWhatIsPendingIsDetachedAfterSixteenPackets()
    {
        var (pair, client, server) = DatagramFlood.Connect(97);
        var faults = new List<string>();
        int calls = 0;
        // Plugin frames only: there are none, so every packet would go without data.
        server.Operations.Attach(OperationCatalog.PacketScheduleFrames, Anchor.Replace, (ref OperationArgs a) => { calls++; a.Result = 0x1; }, "nothing", faults.Add);
        DatagramFlood.Run(pair, client, server);
        Assert.Equal(Pliant.Quic.Streams.StreamManager.StarvationLimit, calls);
        Assert.Contains("16 packets in a row got none of the pending frame kinds", Assert.Single(faults), StringComparison.Ordinal);
    }
}
