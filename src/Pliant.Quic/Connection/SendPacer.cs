using Pliant.Quic.Recovery;

namespace Pliant.Quic.Connection;

/// <summary>
/// Spreads packets over the RTT (RFC 9002 §7.7) using the congestion controller's pacing interval,
/// with a burst allowance so a GSO batch goes out together: <see cref="BurstPackets"/> datagrams, or
/// up to 1 ms worth at the pacing rate when that is more (at most <see cref="MaxBurstPackets"/>, one
/// 64 KB batch) — a send quantum measured in time, so fast paths fill whole batches and the driver
/// waits in steps of about a millisecond instead of tens of microseconds. When the sender wakes late (a
/// loaded machine's scheduler), the packets it missed may go at once, up to a quarter of the smoothed RTT at
/// the pacing rate (at most <see cref="MaxCatchUpUs"/>, <see cref="MaxCatchUpPackets"/> packets; a sender later
/// than that was idle and gets the burst only): the average
/// rate stays the pacing rate instead of losing every late wake-up's share — which a controller pacing at
/// exactly its bandwidth estimate (BBR) cannot make up otherwise. On a path whose RTT is under 4 ms this is
/// the time-measured burst above, as before.
/// </summary>
internal sealed class SendPacer
{
    /// <summary>Packets that may leave back to back at any rate (RFC 9002 §7.7 allows a small burst).</summary>
    public const int BurstPackets = 10;

    /// <summary>The most packets one burst may hold: a full GSO batch of 1452-byte datagrams.</summary>
    public const int MaxBurstPackets = 44;

    /// <summary>The time a burst may cover at the pacing rate.</summary>
    public const long BurstTimeUs = 1000;

    /// <summary>The most lateness made up at once.</summary>
    public const long MaxCatchUpUs = 10_000;

    /// <summary>The most packets a late sender may send at once to catch up.</summary>
    public const int MaxCatchUpPackets = 64;

    private long _nextSendUs;
    private int _credit = BurstPackets;

    /// <summary>When the next packet may be sent, or null if now.</summary>
    public long? NextSendTimeUs(long nowUs)
    {
        if (_credit > 0 || nowUs >= _nextSendUs) return null;
        return _nextSendUs;
    }

    public void OnPacketSent(long nowUs, int bytes, ICongestionController cc, RttEstimator rtt)
    {
        long? interval = cc.PacingIntervalUs(bytes, rtt);
        if (interval is not { } i || i <= 0) { _credit = BurstPackets; return; }
        int burst = (int)Math.Clamp(BurstTimeUs / i, BurstPackets, MaxBurstPackets);
        if (nowUs >= _nextSendUs)
        {
            // Late: refill the allowance in proportion to the elapsed time, up to the catch-up bound. Later than
            // that the sender was idle (or stalled): only the burst, as RFC 9002 §7.7 asks after idleness.
            long late = nowUs - _nextSendUs;
            long catchUpUs = Math.Min(rtt.SmoothedRtt / 4, MaxCatchUpUs);
            long cap = late <= catchUpUs ? Math.Max(burst, Math.Min(catchUpUs / i, MaxCatchUpPackets)) : burst;
            long refill = late / i + 1;
            _credit = (int)Math.Min(cap, _credit + refill);
            _nextSendUs = nowUs;
        }
        if (_credit > 0) _credit--;
        _nextSendUs += i;
    }
}
