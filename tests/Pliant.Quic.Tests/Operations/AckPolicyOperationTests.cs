using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;

namespace Pliant.Quic.Tests.Operations;

/// <summary>
/// The ACK policy as operations (issue 15 item 2): <c>ack.should_send_now</c> and <c>ack.delay</c> replace the
/// native policy (RFC 9000 §13.2.1-2) on the receiving side; answers outside their bounds detach the handler.
/// </summary>
public class AckPolicyOperationTests
{
    private const int Size = 200_000;

    /// <summary>Uploads <see cref="Size"/> bytes client → server over a rate-limited link; returns the datagrams the server (the receiver) sent meanwhile.</summary>
    private static int Upload(SimulatedPair pair, QuicConnectionCore client, QuicConnectionCore server)
    {
        // A 20 Mbit/s bottleneck spaces the datagrams (~0.5 ms apart), so each arrives in its own receive pass
        // and the ACK policy, not the batching, decides how many ACKs there are.
        pair.ClientToServer.BandwidthBitsPerSecond = 20_000_000;
        int before = pair.ServerSent.Count;
        Assert.True(client.TryOpenStream(true, out ulong id));
        var pump = new StreamPump(client, id, new byte[Size]);
        var collector = new StreamCollector(server);
        pair.OnStep = () => { pump.Step(); collector.Step(); };
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), 600_000_000));
        Assert.Equal(Size, collector.Data[id].Length);
        return pair.ServerSent.Count - before;
    }

    /// <summary>Attaches a replacement whose detachments (reasons) land in <paramref name="faults"/>.</summary>
    private static void Replace(QuicConnectionCore c, OperationDefinition op, OperationHandler handler, string owner, List<string> faults) =>
        c.Operations.Attach(op, Anchor.Replace, handler, owner, faults.Add);

    [Fact]
    public void AcknowledgingEveryPacketSendsAboutTwiceTheAcks()
    {
        var (pair, client, server) = OperationTableTests.Connected(61);
        int native = Upload(pair, client, server);
        (pair, client, server) = OperationTableTests.Connected(61);
        int calls = 0, mismatches = 0;
        server.Operations.Attach(OperationNames.AckShouldSendNow, Anchor.Replace, (ref OperationArgs a) =>
        {
            calls++;
            // The entry value is the native decision: at once from the second unacknowledged packet (or out of order).
            if ((a.Result == 1) != (a.A1 >= 2 || a.A2 == 1)) mismatches++;
            a.Result = 1;
        }, "ack-every-packet");
        int every = Upload(pair, client, server);
        Assert.True(calls > 100, $"{calls} calls");
        Assert.Equal(0, mismatches);
        Assert.True(every > native * 16 / 10, $"{every} datagrams vs {native} natively");
        Assert.True(server.Operations.IsHooked(OperationNames.AckShouldSendNow));
    }

    [Fact]
    public void DelayedAcksWithinMaxAckDelaySendFewerAcksAndComplete()
    {
        var (pair, client, server) = OperationTableTests.Connected(62);
        int native = Upload(pair, client, server);
        (pair, client, server) = OperationTableTests.Connected(62);
        int maxUnacked = 0, nativeYes = 0, mismatches = 0;
        server.Operations.Attach(OperationNames.AckShouldSendNow, Anchor.Replace, (ref OperationArgs a) =>
        {
            maxUnacked = Math.Max(maxUnacked, (int)a.A1);
            if (a.Result == 1) nativeYes++;
            if ((a.Result == 1) != (a.A1 >= 2 || a.A2 == 1)) mismatches++;
            a.Result = a.A1 >= 8 ? 1UL : 0UL; // every eighth packet
        }, "ack-thinning");
        ulong delayEntry = 0;
        server.Operations.Attach(OperationNames.AckDelay, Anchor.Replace, (ref OperationArgs a) =>
        {
            delayEntry = a.Result;
            a.Result = 5_000;
        }, "ack-thinning");
        int thinned = Upload(pair, client, server);
        Assert.InRange(maxUnacked, 8, 20); // packets of the same receive batch arrive before the ACK is written
        Assert.True(nativeYes > 0);
        Assert.Equal(0, mismatches); // the entry value is the native decision
        Assert.Equal(25_000UL, delayEntry); // the native answer on entry: the local max_ack_delay
        Assert.True(thinned < native * 7 / 10, $"{thinned} datagrams vs {native} natively");
        Assert.True(server.Operations.IsHooked(OperationNames.AckDelay));
    }

    [Theory]
    [InlineData(2UL)]
    [InlineData(ulong.MaxValue)]
    public void AShouldSendNowAnswerOutsideZeroOrOneIsDetached(ulong answer)
    {
        var (pair, client, server) = OperationTableTests.Connected(63);
        var faults = new List<string>();
        Replace(server, OperationCatalog.AckShouldSendNow, (ref OperationArgs a) => a.Result = answer, "bad-ack", faults);
        Upload(pair, client, server);
        Assert.False(server.Operations.IsHooked(OperationNames.AckShouldSendNow));
        Assert.StartsWith("broken invariant in ack.should_send_now (replace): result", Assert.Single(faults), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(25_001UL)]          // one µs above the advertised max_ack_delay (25 ms)
    [InlineData(16_383_001UL)]      // above the largest max_ack_delay there can be
    [InlineData(ulong.MaxValue)]    // -1 as an i64
    public void AnAckDelayAboveMaxAckDelayIsDetached(ulong answer)
    {
        var (pair, client, server) = OperationTableTests.Connected(64);
        // Never immediate: every ACK would wait for the delay.
        var faults = new List<string>();
        Replace(server, OperationCatalog.AckShouldSendNow, (ref OperationArgs a) => a.Result = 0, "slow-ack", faults);
        Replace(server, OperationCatalog.AckDelay, (ref OperationArgs a) => a.Result = answer, "slow-ack", faults);
        Upload(pair, client, server);
        // The single policy: the owner is detached (both of its hooks) and the native policy resumes.
        Assert.False(server.Operations.IsHooked(OperationNames.AckDelay));
        Assert.False(server.Operations.IsHooked(OperationNames.AckShouldSendNow));
        Assert.StartsWith("broken invariant in ack.delay (replace): result", Assert.Single(faults), StringComparison.Ordinal);
    }

    [Fact]
    public void AnAckPolicyThatThrowsIsDetachedAndTheTransferCompletes()
    {
        var (pair, client, server) = OperationTableTests.Connected(65);
        var faults = new List<string>();
        Replace(server, OperationCatalog.AckShouldSendNow, (ref OperationArgs a) => throw new InvalidOperationException("boom"), "thrower", faults);
        Upload(pair, client, server);
        Assert.False(server.Operations.IsHooked(OperationNames.AckShouldSendNow));
        Assert.StartsWith("fault in ack.should_send_now (replace): boom", Assert.Single(faults), StringComparison.Ordinal);
    }
}
