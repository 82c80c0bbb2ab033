using System.Security.Cryptography;
using Pliant.Quic.Connection;
using Pliant.Quic.Operations;
using Pliant.Quic.Tests.Simulation;
using Xunit.Abstractions;

namespace Pliant.Quic.Tests.Operations;

/// <summary>
/// What a model-based controller needs from the catalogue (issue 15, BBR as a plugin): the delivery-rate sample per ACK
/// (fields <see cref="ConnectionField.Delivered"/> to <see cref="ConnectionField.LostIsAppLimited"/>) and
/// <c>cc.pacing_rate</c> answered as the pacing rate. A 20 Mbit/s, 20 ms RTT simulated link, 2 MiB uploads.
/// </summary>
public class RateSampleOperationTests(ITestOutputHelper output)
{
    private const int Size = 2 << 20;
    private const long RateBits = 20_000_000;

    private static (SimulatedPair Pair, QuicConnectionCore Client) Connect(int seed, double loss = 0)
    {
        var pair = new SimulatedPair(seed, SimulationSetup.ServerEndpoint(seed, SimulationSetup.ServerOptions(seed)));
        foreach (var link in new[] { pair.ClientToServer, pair.ServerToClient })
        {
            link.BandwidthBitsPerSecond = RateBits;
            link.DelayUs = 10_000;
            link.QueueLimitBytes = 100_000;
        }
        pair.ClientToServer.LossRate = loss;
        var client = pair.Connect(SimulationSetup.ClientOptions(seed));
        Assert.True(pair.RunUntil(() => client.IsConnected && pair.Server.Connections.Count == 1 && pair.Server.Connections[0].IsConnected, 60_000_000));
        return (pair, client);
    }

    /// <summary>Uploads <see cref="Size"/> bytes; returns the goodput in Mbit/s (simulated time).</summary>
    private static double Upload(SimulatedPair pair, QuicConnectionCore client, int seed)
    {
        var server = pair.Server.Connections[0];
        Assert.True(client.TryOpenStream(true, out ulong id));
        var payload = new byte[Size];
        new Random(seed).NextBytes(payload);
        var pump = new StreamPump(client, id, payload);
        var collector = new StreamCollector(server);
        pair.OnStep = () =>
        {
            pump.Step();
            collector.Step();
        };
        long start = pair.NowUs;
        Assert.True(pair.RunUntil(() => collector.Finished.Contains(id), 300_000_000), "upload incomplete");
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(collector.Data[id].ToArray()));
        return Size * 8.0 / (pair.NowUs - start);
    }

    /// <summary>
    /// Read in <c>cc.on_ack</c>: C.delivered grows by each ACK's bytes, every rate sample is at most the link rate
    /// (plus a little for the sampler's interval rounding) and most are close to it once the pipe is full; the
    /// sample's packet was sent with at most the window in flight. In <c>cc.on_congestion_event</c> the loss batch's
    /// newest packet counts the batch among the bytes lost since it was sent. Without a hook the fields read 0.
    /// </summary>
    [Fact]
    public void OnAckSeesTheDeliveryRateSample()
    {
        var (pair, client) = Connect(71, loss: 0.01);
        Assert.Equal(0UL, client.GetField(ConnectionField.Delivered)); // no cc.* hook: no sampling
        ulong lastDelivered = 0, acks = 0, samples = 0, nearLink = 0, maxRate = 0, losses = 0;
        // A handler that throws is detached (the single policy): the reasons end up here.
        var faults = new List<string>();
        client.Operations.Attach(OperationCatalog.CcOnAck, Anchor.Post, (ref OperationArgs a) =>
        {
            ulong delivered = client.GetPathField(0, ConnectionField.Delivered);
            Assert.True(delivered >= lastDelivered + a.A0, $"C.delivered {delivered} after {lastDelivered} + {a.A0}");
            lastDelivered = delivered;
            acks++;
            ulong rate = client.GetField(ConnectionField.RsDeliveryRate);
            if (rate == 0) return;
            samples++;
            maxRate = Math.Max(maxRate, rate);
            if (rate * 8 >= RateBits * 8 / 10) nearLink++;
            Assert.True(client.GetField(ConnectionField.RsInterval) >= client.GetField(ConnectionField.MinRtt) / 2);
            Assert.True(client.GetField(ConnectionField.RsDelivered) > 0);
            Assert.True(client.GetField(ConnectionField.RsPriorDelivered) < delivered);
            Assert.True((long)client.GetField(ConnectionField.RsRtt) is >= 19_000 and <= 1_000_000, $"rtt {(long)client.GetField(ConnectionField.RsRtt)}");
            // Packets sent before the hook was attached carry no snapshot (0 in flight); the others at most the window.
            Assert.True(client.GetField(ConnectionField.RsTxInFlight) <= 4UL << 20, $"tx_in_flight {client.GetField(ConnectionField.RsTxInFlight)}");
        }, "observer", faults.Add);
        client.Operations.Attach(OperationCatalog.CcOnCongestionEvent, Anchor.Post, (ref OperationArgs a) =>
        {
            losses++;
            Assert.True(client.GetField(ConnectionField.LostSinceSent) >= a.A0, "the batch is among the bytes lost since its newest packet left");
            Assert.True(client.GetField(ConnectionField.LostTxInFlight) > 0);
            Assert.True(client.GetField(ConnectionField.BytesLost) >= a.A0);
        }, "observer", faults.Add);
        double mbit = Upload(pair, client, 71);
        Assert.True(faults.Count == 0, string.Join("; ", faults));
        output.WriteLine($"{mbit:F2} Mbit/s; {acks} ACKs, {samples} rate samples, {nearLink} at >= 80 % of the link, max {maxRate * 8 / 1e6:F2} Mbit/s; " +
                         $"{losses} loss batches, C.lost {client.GetField(ConnectionField.BytesLost)}");
        Assert.True(samples > acks / 2, $"{samples} of {acks}");
        Assert.True(nearLink > samples / 4, $"{nearLink} of {samples}");
        Assert.True(maxRate * 8 <= RateBits * 11 / 10, $"max {maxRate * 8} bit/s");
        Assert.True(losses > 0);
    }

    /// <summary>
    /// A replacement's answer is the pacing rate: a fixed 2 Mbit/s paces a 20 Mbit/s link's upload down to it (the
    /// window alone would allow ten times that); keeping the answer on entry (the window's rate) changes nothing much.
    /// </summary>
    [Fact]
    public void TheAnswerIsThePacingRate()
    {
        var (pair, client) = Connect(72);
        double native = Upload(pair, client, 72);
        (pair, client) = Connect(72);
        ulong entries = 0, zeroEntries = 0;
        client.Operations.Attach(OperationNames.CcPacingRate, Anchor.Replace, (ref OperationArgs a) =>
        {
            entries++;
            if (a.Result == 0) zeroEntries++; // before the first RTT sample
        }, "keep");
        double kept = Upload(pair, client, 72);
        (pair, client) = Connect(72);
        client.Operations.Attach(OperationNames.CcPacingRate, Anchor.Replace, (ref OperationArgs a) => a.Result = 250_000, "two-mbit");
        double paced = Upload(pair, client, 72);
        output.WriteLine($"native {native:F2} Mbit/s, the native answer through the operation {kept:F2} ({entries} calls, {zeroEntries} before an RTT), 2 Mbit/s answered {paced:F2}");
        Assert.InRange(kept, native * 0.9, native * 1.1);
        Assert.True(zeroEntries < entries / 10);
        Assert.InRange(paced, 1.7, 2.05);
    }

    /// <summary>
    /// Hostile answers: below one datagram per second (but not 0) or at 2^63 and above break the bound: the replacement
    /// is detached by the single policy and the upload completes at the native pacing.
    /// </summary>
    [Theory]
    [InlineData(1UL)]
    [InlineData(1UL << 63)]
    [InlineData(ulong.MaxValue)]
    public void AnAnswerOutsideTheBoundIsDetached(ulong answer)
    {
        var (pair, client) = Connect(73);
        var faults = new List<string>();
        client.Operations.Attach(OperationCatalog.CcPacingRate, Anchor.Replace, (ref OperationArgs a) => a.Result = answer, "hostile", faults.Add);
        double mbit = Upload(pair, client, 73);
        output.WriteLine($"answer {answer}: {mbit:F2} Mbit/s; {string.Join("; ", faults)}");
        Assert.False(client.Operations.IsHooked(OperationNames.CcPacingRate));
        Assert.Contains(faults, f => f.Contains("cc.pacing_rate", StringComparison.Ordinal));
        Assert.True(mbit > 10, $"{mbit:F2} Mbit/s");
    }
}
