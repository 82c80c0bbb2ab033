using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Operations;

/// <summary>
/// The frame observers (issue 15 item 2): <c>packet.before_send</c> sees each packet's frame types before it is sealed,
/// and <c>frame.on_received.*</c> each received core frame of the hooked type only; an observer that throws is detached.
/// </summary>
public class FrameObserverTests
{
    private const int Size = 300_000;

    private static void Upload(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server) => Transfers.Upload(pair, client, server, Size);

    [Fact]
    public void BeforeSendSeesEveryPacketAndItsFrameTypes()
    {
        var (pair, client, server) = OperationTableTests.Connected(101);
        long packetsBefore = client.Statistics.PacketsSent, bytesBefore = client.Statistics.BytesSent;
        int packets = 0, withStream = 0, ackOnly = 0;
        long bytes = 0;
        ulong lastPn = 0;
        bool ordered = true;
        client.Operations.Attach(OperationNames.PacketBeforeSend, Anchor.Post, (ref OperationArgs a) =>
        {
            packets++;
            bytes += (long)a.A1;
            if (a.A0 < lastPn) ordered = false;
            lastPn = a.A0;
            if ((a.A2 & (1UL << 0x08)) != 0) withStream++;
        }, "watch");
        // The receiver's packets are ACK-only.
        server.Operations.Attach(OperationNames.PacketBeforeSend, Anchor.Post, (ref OperationArgs a) =>
        {
            if (a.A2 == 1UL << 0x02) ackOnly++;
        }, "watch");
        Upload(pair, client, server);
        Assert.Equal(client.Statistics.PacketsSent - packetsBefore, packets);
        Assert.True(ordered);
        Assert.True(withStream > Size / 1500, $"{withStream} packets with STREAM frames");
        Assert.True(ackOnly > 10, $"{ackOnly} ACK-only packets from the receiver");
        // Packet sizes add up to the datagram bytes sent, less coalescing (none in 1-RTT) — equal here.
        Assert.Equal(client.Statistics.BytesSent - bytesBefore, bytes);
    }

    [Fact]
    public void OnlyTheHookedFrameTypeIsObserved()
    {
        var (pair, client, server) = OperationTableTests.Connected(102);
        int streamFrames = 0, others = 0, acks = 0;
        long streamBytes = 0;
        server.Operations.Attach(OperationNames.FrameOnReceivedStream, Anchor.Post, (ref OperationArgs a) =>
        {
            if (a.A0 is >= 0x08 and <= 0x0f && a.A2 == 2) { streamFrames++; streamBytes += (long)a.A1; }
            else others++;
        }, "streams");
        client.Operations.Attach(OperationNames.FrameOnReceivedAck, Anchor.Post, (ref OperationArgs a) =>
        {
            if (a.A0 is 0x02 or 0x03) acks++;
            else others++;
        }, "acks");
        Upload(pair, client, server);
        Assert.Equal(0, others);
        Assert.True(streamFrames > Size / 1500, $"{streamFrames} STREAM frames");
        Assert.InRange(streamBytes, Size, Size * 11 / 10); // payload plus frame headers
        Assert.True(acks > 10, $"{acks} ACK frames");
        Assert.False(server.Operations.IsHooked(OperationNames.FrameOnReceivedAck));
    }

    [Fact]
    public void AThrowingObserverIsDetachedAndTheTransferCompletes()
    {
        var (pair, client, server) = OperationTableTests.Connected(103);
        var faults = new List<string>();
        server.Operations.Attach(OperationCatalog.FrameOnReceivedStream, Anchor.Post, (ref OperationArgs a) => throw new InvalidOperationException("observer bug"), "bad", faults.Add);
        client.Operations.Attach(OperationCatalog.PacketBeforeSend, Anchor.Post, (ref OperationArgs a) => throw new InvalidOperationException("observer bug"), "bad", faults.Add);
        Upload(pair, client, server);
        Assert.Equal(2, faults.Count);
        Assert.Contains(faults, f => f.StartsWith("fault in frame.on_received.stream (post): observer bug", StringComparison.Ordinal));
        Assert.Contains(faults, f => f.StartsWith("fault in packet.before_send (post): observer bug", StringComparison.Ordinal));
        Assert.Equal(0, server.Operations.HookCount);
        Assert.Equal(0, client.Operations.HookCount);
    }
}
