using Pliant.Quic.Recovery;

namespace Pliant.Quic.Connection;

/// <summary>
/// Spreads packets over the RTT (RFC 9002 §7.7) using the congestion controller's pacing interval,
/// with a burst allowance so GSO batches of up to <see cref="BurstPackets"/> datagrams go out together.
/// </summary>
internal sealed class SendPacer
{
    /// <summary>Packets that may leave back to back (RFC 9002 §7.7 allows a small burst).</summary>
    public const int BurstPackets = 10;

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
        if (nowUs >= _nextSendUs)
        {
            // Idle long enough: refill the burst allowance in proportion to the elapsed time.
            long refill = (nowUs - _nextSendUs) / i + 1;
            _credit = (int)Math.Min(BurstPackets, _credit + refill);
            _nextSendUs = nowUs;
        }
        if (_credit > 0) _credit--;
        _nextSendUs += i;
    }
}
