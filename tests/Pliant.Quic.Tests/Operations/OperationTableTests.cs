using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Operations;

public class OperationTableTests
{
    /// <summary>A connected simulated pair, 100 ms after the handshake.</summary>
    internal static (SimulatedPair Pair, QuicConnectionCore Client, QuicConnectionCore Server) Connected(int seed) => Transfers.Connected(seed);

    /// <summary>Uploads <paramref name="size"/> bytes and returns the virtual time it took.</summary>
    private static long Upload(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server, int size, Action? step = null)
    {
        Assert.True(client.TryOpenStream(true, out ulong id));
        var pump = new StreamPump(client, id, new byte[size]);
        var collector = new StreamCollector(server);
        pair.OnStep = () => { pump.Step(); collector.Step(); step?.Invoke(); };
        long start = pair.NowUs;
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), 600_000_000));
        Assert.Equal(size, collector.Data[id].Length);
        return pair.NowUs - start;
    }

    [Fact]
    public void UnknownOperationOrAnchorIsRejected()
    {
        var (_, client, _) = Connected(40);
        Assert.Throws<ArgumentException>(() => client.Operations.Attach("cc.nonsense", Anchor.Post, (ref OperationArgs a) => { }, "x"));
        Assert.Throws<ArgumentException>(() => client.Operations.Attach(OperationNames.CcWindow, Anchor.Post, (ref OperationArgs a) => { }, "x"));
        Assert.Contains(OperationNames.PacketAfterSend, OperationTable.KnownOperations);
    }

    [Fact]
    public void SecondReplacementByAnotherOwnerIsRefused()
    {
        var (_, client, _) = Connected(41);
        client.Operations.Attach(OperationNames.CcWindow, Anchor.Replace, (ref OperationArgs a) => { }, "a");
        Assert.Throws<InvalidOperationException>(() =>
            client.Operations.Attach(OperationNames.CcWindow, Anchor.Replace, (ref OperationArgs a) => { }, "b"));
    }

    [Fact]
    public void ObserversSeeEverySentPacketAndRttSample()
    {
        var (pair, client, server) = Connected(42);
        long sent = 0, acked = 0, rttSamples = 0;
        client.Operations.Attach(OperationNames.PacketAfterSend, Anchor.Post, (ref OperationArgs a) => sent++, "mon");
        client.Operations.Attach(OperationNames.PacketOnAcked, Anchor.Post, (ref OperationArgs a) => acked++, "mon");
        client.Operations.Attach(OperationNames.RttUpdate, Anchor.Post, (ref OperationArgs a) =>
        {
            Assert.True(a.A1 > 0);
            rttSamples++;
        }, "mon");
        long before = client.Statistics.PacketsSent;
        Upload(pair, client, server, 200_000);
        Assert.Equal(client.Statistics.PacketsSent - before, sent);
        Assert.True(acked > 0 && rttSamples > 0);
    }

    /// <summary>
    /// The batch observers (<c>transmit.after_batch</c>, <c>ack.after_process</c>, <c>receive.after_batch</c>)
    /// add up to exactly what the per-packet ones see, in fewer calls; counting starts at the attach.
    /// </summary>
    [Fact]
    public void BatchObserversSeeThePerPacketTotals()
    {
        var (pair, client, server) = Connected(5);
        long sentPackets = 0, sentBytes = 0, batchSentPackets = 0, batchSentBytes = 0, sendCalls = 0;
        long acked = 0, batchAcked = 0, ackCalls = 0;
        long received = 0, receivedBytes = 0, batchReceived = 0, batchReceivedBytes = 0, receiveCalls = 0;
        long receivedBefore = server.Statistics.PacketsReceived;
        client.Operations.Attach(OperationNames.PacketAfterSend, Anchor.Post, (ref OperationArgs a) => { sentPackets++; sentBytes += (long)a.A1; }, "per-packet");
        client.Operations.Attach(OperationNames.TransmitAfterBatch, Anchor.Post, (ref OperationArgs a) =>
        {
            sendCalls++;
            batchSentPackets += (long)a.A0;
            batchSentBytes += (long)a.A1;
        }, "batch");
        client.Operations.Attach(OperationNames.PacketOnAcked, Anchor.Post, (ref OperationArgs a) => acked++, "per-packet");
        client.Operations.Attach(OperationNames.AckAfterProcess, Anchor.Post, (ref OperationArgs a) => { ackCalls++; batchAcked += (long)a.A0; }, "batch");
        server.Operations.Attach(OperationNames.PacketAfterDecrypt, Anchor.Post, (ref OperationArgs a) => { received++; receivedBytes += (long)a.A1; }, "per-packet");
        server.Operations.Attach(OperationNames.ReceiveAfterBatch, Anchor.Post, (ref OperationArgs a) =>
        {
            receiveCalls++;
            batchReceived += (long)a.A0;
            batchReceivedBytes += (long)a.A1;
            Assert.InRange((long)a.A2, 1, (long)a.A0); // datagrams: at least one, at most one per packet here
        }, "batch");

        Upload(pair, client, server, 400_000);
        pair.RunFor(200_000);

        Assert.True(sentPackets > 250);
        Assert.Equal(sentPackets, batchSentPackets);
        Assert.True(batchSentBytes >= sentBytes, $"datagram bytes {batchSentBytes} cover the packets' {sentBytes}");
        Assert.Equal(acked, batchAcked);
        Assert.True(ackCalls < acked, $"{ackCalls} ACK frames for {acked} packets");
        Assert.Equal(server.Statistics.PacketsReceived - receivedBefore, received);
        Assert.Equal(received, batchReceived);
        Assert.Equal(receivedBytes, batchReceivedBytes);
        Assert.True(receiveCalls <= received);
        Assert.True(sendCalls <= sentPackets);
    }

    [Fact]
    public void ReplacingTheWindowSlowsTheTransfer()
    {
        var (pair1, c1, s1) = Connected(43);
        long native = Upload(pair1, c1, s1, 300_000);
        var (pair2, c2, s2) = Connected(43);
        c2.Operations.Attach(OperationNames.CcWindow, Anchor.Replace, (ref OperationArgs a) => a.Result = 4 * 1452, "small");
        long capped = Upload(pair2, c2, s2, 300_000);
        Assert.True(capped > native * 2, $"native {native} µs, capped {capped} µs");
    }

    /// <summary>
    /// The single policy for a broken result bound: a zero window (below two datagrams) detaches every hook
    /// of its owner, the native window answers that very call and every later one, nothing is clamped.
    /// </summary>
    [Fact]
    public void ZeroWindowDetachesItsOwnerAndTheNativeWindowResumes()
    {
        var (pair, client, server) = Connected(44);
        int calls = 0, observed = 0;
        client.Operations.Attach(OperationNames.CcWindow, Anchor.Replace, (ref OperationArgs a) => { calls++; a.Result = 0; }, "zero");
        client.Operations.Attach(OperationNames.PacketAfterSend, Anchor.Post, (ref OperationArgs a) => observed++, "zero");
        long native = (long)client.GetField(ConnectionField.CongestionWindow);
        Assert.True(native >= 2 * 1200, $"the call that broke the bound got the native window, not 0: {native}");
        Assert.Equal(1, calls);
        Assert.False(client.Operations.IsHooked(OperationNames.CcWindow));
        Assert.False(client.Operations.IsHooked(OperationNames.PacketAfterSend), "every hook of the owner goes");
        Upload(pair, client, server, 50_000);
        Assert.Equal(1, calls);
        Assert.Equal(0, observed);
        var events = new List<ConnectionEvent>();
        while (client.TryPollEvent(out var e)) events.Add(e);
        Assert.Contains(events, e => e.Kind == ConnectionEventKind.Plugin && e.Reason!.StartsWith(
            "detached: broken invariant in cc.window (replace): result 0 bytes is below 2 datagrams", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(999UL)]            // below 1 ms
    [InlineData(60_000_001UL)]     // above 60 s
    [InlineData(ulong.MaxValue)]   // -1 as an i64
    public void PtoOutsideItsBoundIsDetached(ulong pto)
    {
        var (pair, client, server) = Connected(48);
        client.Operations.Attach(OperationNames.RecoveryPto, Anchor.Replace, (ref OperationArgs a) => a.Result = pto, "pto");
        Upload(pair, client, server, 20_000);
        Assert.False(client.Operations.IsHooked(OperationNames.RecoveryPto));
        var events = new List<ConnectionEvent>();
        while (client.TryPollEvent(out var e)) events.Add(e);
        Assert.Contains(events, e => e.Kind == ConnectionEventKind.Plugin && e.Reason!.StartsWith("detached: broken invariant in recovery.pto (replace): result", StringComparison.Ordinal));
    }

    [Fact]
    public void WindowAndPacingCapFieldsRefuseValuesThatWouldStall()
    {
        var (_, client, _) = Connected(49);
        ulong mds = client.GetField(ConnectionField.MaxDatagramSize);
        Assert.False(client.TrySetField(ConnectionField.CongestionWindowCap, 2 * mds - 1));
        Assert.False(client.TrySetField(ConnectionField.CongestionWindowCap, ulong.MaxValue));
        Assert.True(client.TrySetField(ConnectionField.CongestionWindowCap, 2 * mds));
        Assert.True(client.TrySetField(ConnectionField.CongestionWindowCap, 0));
        Assert.False(client.TrySetField(ConnectionField.PacingRateCap, mds - 1));
        Assert.True(client.TrySetField(ConnectionField.PacingRateCap, mds));
        Assert.True(client.TrySetField(ConnectionField.PacingRateCap, 0));
    }

    [Fact]
    public void ThrowingHandlerIsDetachedAndTheConnectionSurvives()
    {
        var (pair, client, server) = Connected(45);
        int calls = 0;
        client.Operations.Attach(OperationNames.CcWindow, Anchor.Replace, (ref OperationArgs a) =>
        {
            calls++;
            throw new InvalidOperationException("plugin trapped");
        }, "bad");
        Upload(pair, client, server, 100_000);
        Assert.Equal(1, calls);
        Assert.False(client.Operations.IsHooked(OperationNames.CcWindow));
        var events = new List<ConnectionEvent>();
        while (client.TryPollEvent(out var e)) events.Add(e);
        Assert.Contains(events, e => e.Kind == ConnectionEventKind.Plugin && e.Reason == "detached: fault in cc.window (replace): plugin trapped");
    }

    [Fact]
    public void WindowCapFieldLimitsTheWindow()
    {
        var (pair, client, server) = Connected(46);
        Assert.True(client.TrySetField(ConnectionField.CongestionWindowCap, 8 * 1452));
        Assert.False(client.TrySetField(ConnectionField.SmoothedRtt, 1));
        Upload(pair, client, server, 100_000, () => Assert.True((long)client.GetField(ConnectionField.CongestionWindow) <= 8 * 1452));
        Assert.Equal(8UL * 1452, client.GetField(ConnectionField.CongestionWindowCap));
    }

    [Fact]
    public void ReplacingPtoChangesTailRecovery()
    {
        long Measure(bool shortPto)
        {
            var (pair, client, server) = Connected(47);
            pair.ClientToServer.DelayUs = 5_000;
            pair.ServerToClient.DelayUs = 5_000;
            pair.RunFor(500_000);
            if (shortPto)
                client.Operations.Attach(OperationNames.RecoveryPto, Anchor.Replace, (ref OperationArgs a) =>
                    a.Result = Math.Max(2 * client.GetField(ConnectionField.SmoothedRtt), 10_000), "tlp");
            // Lose the only packet of a small request: recovery then depends on the probe timer.
            bool dropped = false;
            pair.ClientToServer.DropFilter = (_, d) => !dropped && d.Length > 100 && (dropped = true);
            return Upload(pair, client, server, 500);
        }
        long pto = Measure(false), tlp = Measure(true);
        Assert.True(tlp < pto, $"PTO {pto} µs, replaced {tlp} µs");
    }
}
