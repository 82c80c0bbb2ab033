using Pliant.Quic.Recovery;

namespace Pliant.Quic.Connection;

/// <summary>
/// Spreads packets over the RTT (RFC 9002 §7.7) using the congestion controller's pacing interval,
/// with a burst allowance so a GSO batch goes out together: <see cref="BurstPackets"/> datagrams, or
/// up to 1 ms worth at the pacing rate when that is more (at most <see cref="MaxBurstPackets"/>, one
/// 64 KB batch) — a send quantum measured in time, so fast paths fill whole batches and the driver
/// waits in steps of about a millisecond instead of tens of microseconds.
/// </summary>
internal sealed class SendPacer
{
    /// <summary>Packets that may leave back to back at any rate (RFC 9002 §7.7 allows a small burst).</summary>
    public const int BurstPackets = 10;

    /// <summary>The most packets one burst may hold: a full GSO batch of 1452-byte datagrams.</summary>
    public const int MaxBurstPackets = 44;

    /// <summary>The time a burst may cover at the pacing rate.</summary>
    public const long BurstTimeUs = 1000;

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
            // Idle long enough: refill the burst allowance in proportion to the elapsed time.
            long refill = (nowUs - _nextSendUs) / i + 1;
            _credit = (int)Math.Min(burst, _credit + refill);
            _nextSendUs = nowUs;
        }
        if (_credit > 0) _credit--;
        _nextSendUs += i;
    }
}
