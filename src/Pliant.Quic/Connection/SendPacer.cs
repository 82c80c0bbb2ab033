using Pliant.Quic.Recovery;

namespace Pliant.Quic.Connection;

/// <summary>
/// Spreads packets over the RTT (RFC 9002 §7.7) using the congestion controller's pacing interval. Each
/// packet has a departure slot one interval after the previous one. After idleness a burst may leave at once
/// — <see cref="BurstPackets"/> datagrams, or 1 ms worth at the pacing rate when that is more (at most
/// <see cref="MaxBurstPackets"/>, one 64 KB batch) — so a GSO batch goes out together.
/// </summary>
/// <remarks>
/// The schedule is kept when the sender wakes late (a loaded machine's scheduler): the slots it missed are
/// due at once, so the average rate is the pacing rate — up to a quarter of the smoothed RTT of lateness (at
/// most <see cref="MaxCatchUpUs"/> and <see cref="MaxCatchUpPackets"/> slots). Later than that the sender was
/// idle and the schedule restarts with a burst. A pacer that restarts its schedule at every late wake-up
/// sends one interval plus the lateness per packet: at 50 Mbit/s (232 µs per datagram) a 100 µs late timer
/// costs 30 % of the rate, which a controller pacing at exactly its bandwidth estimate (BBR) never recovers.
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
    private int _credit;      // packets that may still leave ahead of their slots (the burst after idleness)
    private bool _paced;

    /// <summary>When the next packet may be sent, or null if now.</summary>
    public long? NextSendTimeUs(long nowUs)
    {
        if (!_paced || _credit > 0 || nowUs >= _nextSendUs) return null;
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
        long catchUpUs = Math.Min(Math.Min(rtt.SmoothedRtt / 4, MaxCatchUpUs), MaxCatchUpPackets * i);
        if (!_paced || nowUs - _nextSendUs > catchUpUs)
        {
            // First packet, or later than the catch-up bound (idle): the schedule starts now, with a burst.
            _paced = true;
            _nextSendUs = nowUs;
            _credit = (int)Math.Clamp(BurstTimeUs / i, BurstPackets, MaxBurstPackets) - 1;
        }
        else if (nowUs < _nextSendUs && _credit > 0)
        {
            _credit--; // ahead of its slot: part of the burst
        }
        _nextSendUs += i;
    }
}
