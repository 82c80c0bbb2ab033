namespace Pliant.Quic.Recovery;

/// <summary>
/// A token-bucket pacer (RFC 9002 §7.7): tokens (bytes) refill at N * cwnd / smoothed_rtt with N = 1.25,
/// up to a burst of <see cref="BurstPackets"/> datagrams, so a batch (GSO) of several datagrams can go at once.
/// </summary>
public sealed class Pacer
{
    private readonly ICongestionController _cc;
    private readonly RttEstimator _rtt;
    private double _tokens;
    private long _lastUs;
    private bool _started;

    /// <summary>Creates a pacer reading the window of <paramref name="cc"/> and the RTT of <paramref name="rtt"/>.</summary>
    public Pacer(ICongestionController cc, RttEstimator rtt, int burstPackets = 10)
    {
        ArgumentNullException.ThrowIfNull(cc);
        ArgumentNullException.ThrowIfNull(rtt);
        ArgumentOutOfRangeException.ThrowIfLessThan(burstPackets, 1);
        _cc = cc;
        _rtt = rtt;
        BurstPackets = burstPackets;
    }

    /// <summary>Datagrams of maximum size that may leave back to back.</summary>
    public int BurstPackets { get; set; }

    /// <summary>Bucket size, bytes.</summary>
    public long CapacityBytes => (long)BurstPackets * _cc.MaxDatagramSize;

    /// <summary>RFC 9002 §7.7: rate = 1.25 * congestion_window / smoothed_rtt, bytes per second.</summary>
    public double RateBytesPerSecond => 1.25 * _cc.Window * 1e6 / Math.Max(1, _rtt.SmoothedRtt);

    /// <summary>Bytes that may be sent now.</summary>
    public long AvailableBytes(long nowUs)
    {
        Refill(nowUs);
        return (long)Math.Max(0, _tokens);
    }

    /// <summary>
    /// Null when <paramref name="bytes"/> (one datagram or a batch, capped at the bucket size) may be sent
    /// at <paramref name="nowUs"/>; otherwise the time at which enough tokens will have accumulated.
    /// </summary>
    public long? NextSendTimeUs(long nowUs, int bytes)
    {
        Refill(nowUs);
        double need = Math.Min(bytes, CapacityBytes);
        if (_tokens >= need) return null;
        double waitUs = (need - _tokens) * 1e6 / RateBytesPerSecond;
        return nowUs + Math.Max(1, (long)Math.Ceiling(waitUs));
    }

    /// <summary>Consumes tokens for <paramref name="bytes"/> sent at <paramref name="nowUs"/>.</summary>
    public void OnPacketSent(long nowUs, int bytes)
    {
        Refill(nowUs);
        // Probes may be sent regardless of pacing; the debt is bounded by one bucket.
        _tokens = Math.Max(_tokens - bytes, -CapacityBytes);
    }

    private void Refill(long nowUs)
    {
        if (!_started)
        {
            _started = true;
            _lastUs = nowUs;
            _tokens = CapacityBytes;
            return;
        }

        if (nowUs <= _lastUs)
        {
            _tokens = Math.Min(_tokens, CapacityBytes);
            return;
        }

        _tokens = Math.Min(CapacityBytes, _tokens + ((nowUs - _lastUs) * RateBytesPerSecond / 1e6));
        _lastUs = nowUs;
    }
}
