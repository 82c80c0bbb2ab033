using Pliant.Quic.Connection;
using Pliant.Quic.Streams;

namespace Pliant.Quic.Tests.Simulation;

/// <summary>
/// A bulk stream and a small one from <paramref name="Sender"/> to <paramref name="Receiver"/>: the bulk one starts
/// first and the small one <see cref="SmallAfterUs"/> later; tells how much of the bulk stream arrived before the
/// small one was complete (a stream scheduler that lets the small one overtake keeps it low).
/// </summary>
public sealed record StreamRace(SimulatedPair Pair, QuicConnectionCore Sender, QuicConnectionCore Receiver)
{
    public int BulkSize { get; init; } = 1 << 20;
    public int SmallSize { get; init; } = 16_000;
    public long SmallAfterUs { get; init; } = 30_000;
    public StreamPriority? BulkPriority { get; init; }
    public StreamPriority? SmallPriority { get; init; }

    /// <summary>Runs both streams to completion; returns the bulk bytes received when the small stream completed.</summary>
    public long Run()
    {
        Assert.True(Sender.TryOpenStream(false, out ulong bulk));
        if (BulkPriority is { } bp) Sender.StreamSetPriority(bulk, bp);
        var bulkPump = new StreamPump(Sender, bulk, new byte[BulkSize]);
        var collector = new StreamCollector(Receiver);
        StreamPump? smallPump = null;
        ulong small = 0;
        long smallAt = Pair.NowUs + SmallAfterUs, bulkAtSmallDone = -1;
        Pair.OnStep = () =>
        {
            bulkPump.Step();
            if (smallPump is null && Pair.NowUs >= smallAt)
            {
                Assert.True(Sender.TryOpenStream(false, out small));
                if (SmallPriority is { } sp) Sender.StreamSetPriority(small, sp);
                smallPump = new StreamPump(Sender, small, new byte[SmallSize]);
            }
            smallPump?.Step();
            collector.Step();
            if (bulkAtSmallDone < 0 && smallPump is not null && collector.Finished.Contains(small))
                bulkAtSmallDone = collector.Data.TryGetValue(bulk, out var b) ? b.Length : 0;
        };
        Assert.True(Pair.RunUntil(() => collector.Finished.Contains(bulk) && bulkAtSmallDone >= 0, 600_000_000), "the streams did not complete");
        Assert.Equal(BulkSize, collector.Data[bulk].Length);
        Assert.Equal(SmallSize, collector.Data[small].Length);
        Pair.OnStep = null;
        return bulkAtSmallDone;
    }
}
