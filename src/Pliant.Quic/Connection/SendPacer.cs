using Pliant.Quic.Recovery;

namespace Pliant.Quic.Connection;

/// <summary>
/// Spreads packets over the RTT (RFC 9002 §7.7) using the congestion controller's pacing interval. Each
/// packet has a departure slot one interval after the previous one; a packet may leave up to a burst ahead
/// of its slot — <see cref="BurstPackets"/> datagrams, or 1 ms worth at the pacing rate when that is more (at
/// most <see cref="MaxBurstPackets"/>, one 64 KB batch) — so a GSO batch goes out together, and the sender
/// is woken when the next slot comes (about a burst later), not every interval.
/// </summary>
/// <remarks>
/// The schedule is kept when the sender wakes late (a loaded machine's scheduler): the slots it missed go at
/// once, so the average rate is the pacing rate — up to a quarter of the smoothed RTT of lateness (at most
/// <see cref="MaxCatchUpUs"/> and <see cref="MaxCatchUpPackets"/> slots). Later than that the sender was idle
/// and the schedule restarts with a burst (RFC 9002 §7.7). A pacer that restarts its schedule at every
/// late wake-up sends one interval plus the lateness per packet: at 50 Mbit/s (232 µs per datagram) a
/// 100 µs late timer costs 30 % of the rate, which a controller pacing at exactly its bandwidth estimate
/// (BBR) never recovers.
/// </remarks>
internal sealed class SendPacer
{
    /// <summary>Packets that may leave back to back at any rate (RFC 9002 §7.7 allows a small burst).</summary>
    public const int BurstPackets = 10;

    /// <summary>The most packets one burst may hold: a full GSO batch of 1452-byte datagrams.</summary>
    public const int MaxBurstPackets = 44;

    /// <summary>The time a burst may cover at the pacing rate.</summary>
    public const long BurstTimeUs = 1000;

    /// <summary>The most lateness made up.</summary>
    public const long MaxCatchUpUs = 10_000;

    /// <summary>The most missed slots made up.</summary>
    public const int MaxCatchUpPackets = 64;

    private long _nextSendUs; // the next packet's slot
    private long _aheadUs;    // how far ahead of its slot a packet may leave (the burst)
    private bool _paced;

    /// <summary>When the next packet may be sent, or null if now.</summary>
    public long? NextSendTimeUs(long nowUs)
    {
        if (!_paced || nowUs >= _nextSendUs - _aheadUs) return null;
        // Sleep until the slot itself: the burst allowance is whole again by then.
        return _nextSendUs;
    }

    /// <summary>A paced packet of <paramref name="bytes"/> left at <paramref name="nowUs"/>.</summary>
    public void OnPacketSent(long nowUs, int bytes, ICongestionController cc, RttEstimator rtt)
    {
        long? interval = cc.PacingIntervalUs(bytes, rtt);
        if (interval is not { } i || i <= 0)
        {
            _paced = false;
            return;
        }
        int burst = (int)Math.Clamp(BurstTimeUs / i, BurstPackets, MaxBurstPackets);
        _aheadUs = (burst - 1) * i;
        long catchUpUs = Math.Min(Math.Min(rtt.SmoothedRtt / 4, MaxCatchUpUs), MaxCatchUpPackets * i);
        // First packet, or later than the catch-up bound (idle): the schedule starts now.
        if (!_paced || nowUs - _nextSendUs > catchUpUs) _nextSendUs = nowUs;
        _paced = true;
        _nextSendUs += i;
    }
}
