namespace Pliant.Quic.Recovery;

/// <summary>
/// What NewReno and CUBIC share (RFC 9002 Appendix B): bytes in flight, the recovery period keyed on
/// send time, app-limited handling, persistent congestion and pacing rate.
/// </summary>
public abstract class CongestionControllerBase : ICongestionController
{
    /// <summary>RFC 9002 §7.7: pacing gain N = 1.25, as a ratio.</summary>
    private const long PacingGainNumerator = 5, PacingGainDenominator = 4;

    private int _maxDatagramSize;
    private long? _recoveryStartUs;

    /// <summary>Starts with the initial window for <paramref name="maxDatagramSize"/>.</summary>
    protected CongestionControllerBase(int maxDatagramSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramSize, 1200);
        _maxDatagramSize = maxDatagramSize;
        Window = InitialWindowFor(maxDatagramSize);
    }

    /// <inheritdoc/>
    public long Window { get; protected set; }

    /// <inheritdoc/>
    public long BytesInFlight { get; private set; }

    private long _maxBytesInFlight; // the most ever in flight (RFC 9002 §7.8 utilisation check)

    /// <summary>Slow start threshold, bytes (long.MaxValue until the first congestion event).</summary>
    public long SlowStartThreshold { get; protected set; } = long.MaxValue;

    /// <inheritdoc/>
    public bool IsAppLimited { get; set; }

    /// <summary>Start of the current recovery period, or null.</summary>
    public long? RecoveryStartUs => _recoveryStartUs;

    /// <summary>
    /// True from a congestion event until a packet sent after it is acknowledged (RFC 9002 §7.3.2: that ends the
    /// recovery period); for qlog's congestion_state_updated.
    /// </summary>
    public bool InRecoveryPeriod { get; private set; }

    /// <summary>Number of congestion events (losses or ECN-CE) that reduced the window.</summary>
    public int CongestionEvents { get; private set; }

    /// <inheritdoc/>
    public int MaxDatagramSize
    {
        get => _maxDatagramSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1200);
            _maxDatagramSize = value;
            // RFC 9002 §7.2: never below the minimum window for the new size.
            if (Window < MinimumWindow) Window = MinimumWindow;
        }
    }

    /// <summary>RFC 9002 §7.2: kMinimumWindow = 2 * max_datagram_size.</summary>
    public long MinimumWindow => 2L * _maxDatagramSize;

    /// <summary>RFC 9002 §7.2: min(10 * max_datagram_size, max(14720, 2 * max_datagram_size)).</summary>
    public static long InitialWindowFor(int maxDatagramSize) =>
        Math.Min(10L * maxDatagramSize, Math.Max(14720L, 2L * maxDatagramSize));

    /// <summary>True while in slow start.</summary>
    public bool InSlowStart => Window < SlowStartThreshold;

    /// <summary>RFC 9002 §B.3: a packet sent at or before the start of recovery is in the recovery period.</summary>
    public bool InCongestionRecovery(long sentTimeUs) => _recoveryStartUs is long s && sentTimeUs <= s;

    /// <inheritdoc/>
    public void OnPacketSent(SentPacket packet, long nowUs) => OnPacketSent(nowUs, packet.Size);

    /// <inheritdoc/>
    public bool CanSend(int bytes) => BytesInFlight + bytes <= Window;

    /// <inheritdoc/>
    public virtual void OnPacketSent(long nowUs, int bytes)
    {
        BytesInFlight += bytes;
        if (BytesInFlight > _maxBytesInFlight) _maxBytesInFlight = BytesInFlight;
    }

    /// <inheritdoc/>
    public void OnPacketsAcked(ReadOnlySpan<SentPacket> acked, long nowUs, RttEstimator rtt)
    {
        ArgumentNullException.ThrowIfNull(rtt);
        // RFC 9002 §7.8: do not increase the window when it is not fully utilised — the application
        // (or flow control) left it idle, or the sender could not fill it. A window more than twice
        // the most ever in flight has never been half used; without this check a CPU-bound sender on
        // a loss-free path grows the window (and with it the pacing rate) without bound.
        bool underutilised = IsAppLimited || Window >= 2 * _maxBytesInFlight;
        foreach (var p in acked)
        {
            if (!p.InFlight) continue;
            RemoveInFlight(p.Size);
            // RFC 9002 §B.5: do not increase the window during recovery.
            if (InCongestionRecovery(p.TimeSentUs)) continue;
            InRecoveryPeriod = false; // RFC 9002 §7.3.2: a packet sent after recovery began was acknowledged: it is over
            if (underutilised) continue;
            if (InSlowStart) OnAckInSlowStart(p, nowUs, rtt);
            else OnAckInCongestionAvoidance(p, nowUs, rtt);
        }
    }

    /// <inheritdoc/>
    public void OnPacketsLost(ReadOnlySpan<SentPacket> lost, bool persistentCongestion, long nowUs)
    {
        long? lastLossSentTime = null;
        foreach (var p in lost)
        {
            if (!p.InFlight) continue;
            RemoveInFlight(p.Size);
            // RFC 9000 §14.4: loss of a PMTU probe is not a congestion signal.
            if (p.IsMtuProbe) continue;
            if (lastLossSentTime is not long t || p.TimeSentUs > t) lastLossSentTime = p.TimeSentUs;
        }

        if (lastLossSentTime is long sent) OnCongestionEvent(sent, nowUs);

        // RFC 9002 §B.8: collapse to the minimum window on persistent congestion.
        if (persistentCongestion)
        {
            _recoveryStartUs = null;
            InRecoveryPeriod = false; // RFC 9002 §7.3.3: back to slow start
            Window = MinimumWindow;
            OnPersistentCongestion();
        }
    }

    /// <inheritdoc/>
    public void OnEcnCe(long sentTimeOfLargestAckedUs, long nowUs) =>
        // RFC 9002 §B.7: a CE increase is a congestion event keyed on the largest acked's send time.
        OnCongestionEvent(sentTimeOfLargestAckedUs, nowUs);

    /// <inheritdoc/>
    public void OnPacketsDiscarded(long bytes) => RemoveInFlight(bytes);

    /// <inheritdoc/>
    public long? PacingIntervalUs(int packetSize, RttEstimator rtt)
    {
        ArgumentNullException.ThrowIfNull(rtt);
        if (Window <= 0) return null;
        // RFC 9002 §7.7: interval = smoothed_rtt * packet_size / congestion_window / N.
        return rtt.SmoothedRtt * packetSize * PacingGainDenominator / (Window * PacingGainNumerator);
    }

    /// <summary>RFC 9002 §B.6: enters recovery unless the packet was sent within the current period.</summary>
    protected void OnCongestionEvent(long sentTimeUs, long nowUs)
    {
        if (InCongestionRecovery(sentTimeUs)) return;
        _recoveryStartUs = nowUs;
        InRecoveryPeriod = true;
        CongestionEvents++;
        ReduceWindow(nowUs);
        if (Window < MinimumWindow) Window = MinimumWindow;
    }

    /// <summary>Growth in slow start for one acknowledged in-flight packet.</summary>
    protected virtual void OnAckInSlowStart(SentPacket packet, long nowUs, RttEstimator rtt) =>
        // RFC 9002 §7.3.1: grow by the bytes acknowledged.
        Window += packet.Size;

    /// <summary>Growth in congestion avoidance for one acknowledged in-flight packet.</summary>
    protected abstract void OnAckInCongestionAvoidance(SentPacket packet, long nowUs, RttEstimator rtt);

    /// <summary>Sets <see cref="SlowStartThreshold"/> and <see cref="Window"/> on a new congestion event.</summary>
    protected abstract void ReduceWindow(long nowUs);

    /// <summary>Hook for persistent congestion (after the window collapsed).</summary>
    protected virtual void OnPersistentCongestion()
    {
    }

    private void RemoveInFlight(long bytes) => BytesInFlight = Math.Max(0, BytesInFlight - bytes);
}
