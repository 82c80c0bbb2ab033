namespace Pliant.Quic.Simulation;

/// <summary>
/// One direction of a simulated network path: propagation delay, bandwidth with a drop-tail
/// queue, random loss, reordering, duplication and corruption — all from a seeded generator, so a
/// failing run is reproduced from its seed. Used by <see cref="SimulatedPair"/> (tests, <c>pliant sim</c>).
/// </summary>
public sealed class SimulatedLink
{
    private readonly Random _rng;
    private long _busyUntilUs;

    /// <summary>A link whose random choices come from <paramref name="seed"/>.</summary>
    public SimulatedLink(int seed) => _rng = new Random(seed);

    /// <summary>One-way propagation delay.</summary>
    public long DelayUs { get; set; } = 10_000;

    /// <summary>Bits per second; 0 means unlimited.</summary>
    public long BandwidthBitsPerSecond { get; set; }

    /// <summary>Bytes the bottleneck queue holds before dropping (drop-tail).</summary>
    public long QueueLimitBytes { get; set; } = 1 << 20;

    /// <summary>Probability that a datagram is lost.</summary>
    public double LossRate { get; set; }

    /// <summary>Probability that a datagram is delayed by an extra <see cref="ReorderDelayUs"/>.</summary>
    public double ReorderRate { get; set; }

    /// <summary>Extra delay of a reordered datagram.</summary>
    public long ReorderDelayUs { get; set; } = 5_000;

    /// <summary>Probability that a datagram is delivered twice.</summary>
    public double DuplicateRate { get; set; }

    /// <summary>Probability that one byte of a datagram is flipped.</summary>
    public double CorruptRate { get; set; }

    /// <summary>Queue depth (bytes) above which datagrams are marked CE instead of ECT(0); 0 disables.</summary>
    public long EcnMarkThresholdBytes { get; set; }

    /// <summary>Drops every datagram while true (a blackout).</summary>
    public bool Down { get; set; }

    /// <summary>A filter that may drop specific datagrams (index, bytes) → drop?</summary>
    public Func<long, byte[], bool>? DropFilter { get; set; }

    /// <summary>Datagrams offered to the link.</summary>
    public long Sent { get; private set; }

    /// <summary>Datagrams the link dropped (loss, blackout, filter, full queue).</summary>
    public long Dropped { get; private set; }

    /// <summary>Schedules a datagram; returns its delivery times (empty when dropped).</summary>
    public IEnumerable<(long DeliverAtUs, byte[] Data, bool Ce)> Transmit(long nowUs, byte[] datagram)
    {
        long index = Sent++;
        if (Down || (DropFilter?.Invoke(index, datagram) ?? false) || _rng.NextDouble() < LossRate)
        {
            Dropped++;
            yield break;
        }
        long departure = nowUs;
        bool ce = false;
        if (BandwidthBitsPerSecond > 0)
        {
            long start = Math.Max(nowUs, _busyUntilUs);
            long queuedBytes = (start - nowUs) * BandwidthBitsPerSecond / 8_000_000;
            if (queuedBytes > QueueLimitBytes) { Dropped++; yield break; }
            if (EcnMarkThresholdBytes > 0 && queuedBytes > EcnMarkThresholdBytes) ce = true;
            long serialization = datagram.Length * 8L * 1_000_000 / BandwidthBitsPerSecond;
            _busyUntilUs = start + serialization;
            departure = _busyUntilUs;
        }
        long deliver = departure + DelayUs;
        if (_rng.NextDouble() < ReorderRate) deliver += ReorderDelayUs;
        var data = datagram;
        if (_rng.NextDouble() < CorruptRate)
        {
            data = (byte[])datagram.Clone();
            data[_rng.Next(data.Length)] ^= (byte)(1 << _rng.Next(8));
        }
        yield return (deliver, data, ce);
        if (_rng.NextDouble() < DuplicateRate) yield return (deliver + 1_000, datagram, ce);
    }
}
