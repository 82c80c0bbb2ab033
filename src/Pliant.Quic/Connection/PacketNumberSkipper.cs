using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>
/// RFC 9000 §21.4 (optimistic ACK attack): now and then a 1-RTT packet number is skipped, at an
/// unpredictable distance, and an acknowledgment of a skipped number — a packet that was never sent
/// — closes the connection with PROTOCOL_VIOLATION (§13.1). A peer that acknowledges what it did not
/// receive, to make us send faster, is caught within a few thousand packets.
/// </summary>
internal sealed class PacketNumberSkipper(RandomSource random)
{
    /// <summary>Skips are this many packets apart at least…</summary>
    public const int MinDistance = 256;

    /// <summary>…and fewer than this many at most (uniformly in between).</summary>
    public const int MaxDistance = 8192;

    private readonly ulong[] _skipped = new ulong[8]; // the most recent skips (0 = empty: packet 0 is never skipped)
    private int _next;
    private ulong _nextSkip = (ulong)(MinDistance + random.Next(MaxDistance - MinDistance));

    /// <summary>Packet numbers skipped so far.</summary>
    public long Skipped { get; private set; }

    /// <summary>
    /// Called with the packet number about to be used; returns the one to use instead (one higher
    /// when this one is skipped).
    /// </summary>
    public ulong Next(ulong pn)
    {
        if (pn < _nextSkip) return pn;
        _skipped[_next] = pn;
        _next = (_next + 1) % _skipped.Length;
        Skipped++;
        _nextSkip = pn + 1 + (ulong)(MinDistance + random.Next(MaxDistance - MinDistance));
        return pn + 1;
    }

    /// <summary>True when an acknowledged range (descending, as in an ACK frame) covers a skipped number.</summary>
    public bool AcknowledgesSkipped(ReadOnlySpan<AckRange> rangesDescending)
    {
        if (Skipped == 0 || rangesDescending.IsEmpty) return false;
        ulong lowest = rangesDescending[^1].Smallest, highest = rangesDescending[0].Largest;
        foreach (ulong s in _skipped)
        {
            if (s == 0 || s < lowest || s > highest) continue;
            foreach (var r in rangesDescending)
                if (s >= r.Smallest && s <= r.Largest) return true;
        }
        return false;
    }
}
