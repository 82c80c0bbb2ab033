namespace Pliant.Quic.Recovery;

/// <summary>
/// CUBIC congestion control (RFC 9438) over the RFC 9002 recovery machinery: slow start, the recovery
/// period and persistent congestion come from <see cref="CongestionControllerBase"/>. HyStart is not used.
/// Windows are kept in bytes; the cubic function works in segments of <see cref="ICongestionController.MaxDatagramSize"/>.
/// </summary>
public sealed class Cubic : CongestionControllerBase
{
    /// <summary>RFC 9438 §5: C = 0.4 (segments / s³).</summary>
    public const double C = 0.4;

    /// <summary>RFC 9438 §5: beta_cubic = 0.7.</summary>
    public const double Beta = 0.7;

    /// <summary>RFC 9438 §4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta).</summary>
    public const double Alpha = 3 * (1 - Beta) / (1 + Beta);

    private long? _epochStartUs;
    private double _carry; // fractional bytes of window growth

    /// <summary>Creates the controller for <paramref name="maxDatagramSize"/>.</summary>
    public Cubic(int maxDatagramSize = 1200)
        : base(maxDatagramSize)
    {
    }

    /// <summary>RFC 9438 §4.7: fast convergence (on by default).</summary>
    public bool FastConvergence { get; set; } = true;

    /// <summary>W_max, bytes: the window before the last reduction (0 before any).</summary>
    public double WMaxBytes { get; private set; }

    /// <summary>K, seconds: time for the cubic function to reach W_max again (RFC 9438 §4.2).</summary>
    public double KSeconds { get; private set; }

    /// <summary>W_est, bytes: the Reno-friendly estimate (RFC 9438 §4.3).</summary>
    public double RenoEstimateBytes { get; private set; }

    /// <summary>Start of the current congestion avoidance epoch, or null.</summary>
    public long? EpochStartUs => _epochStartUs;

    /// <summary>RFC 9438 §4.2: W_cubic(t) = C*(t-K)^3 + W_max, in bytes, for <paramref name="tSeconds"/> since the epoch.</summary>
    public double CubicWindowBytes(double tSeconds)
    {
        double d = tSeconds - KSeconds;
        return (C * d * d * d * MaxDatagramSize) + WMaxBytes;
    }

    /// <inheritdoc/>
    protected override void OnAckInCongestionAvoidance(SentPacket packet, long nowUs, RttEstimator rtt)
    {
        double cwnd = Window;
        if (_epochStartUs is not long epoch)
        {
            // A new congestion avoidance stage (e.g. slow start ended without a loss).
            StartEpoch(nowUs, cwnd);
            epoch = nowUs;
        }

        double t = (nowUs - epoch) / 1e6;
        double rttSeconds = rtt.SmoothedRtt / 1e6;
        double mds = MaxDatagramSize;

        // RFC 9438 §4.3: W_est grows by alpha per window of acknowledged segments; alpha becomes 1 once
        // W_est reaches W_max.
        double alpha = RenoEstimateBytes >= WMaxBytes ? 1.0 : Alpha;
        RenoEstimateBytes += alpha * mds * packet.Size / cwnd;

        double increase;
        if (CubicWindowBytes(t) < RenoEstimateBytes)
        {
            // RFC 9438 §4.3: Reno-friendly region.
            increase = RenoEstimateBytes - cwnd;
        }
        else
        {
            // RFC 9438 §4.2: target = W_cubic(t + RTT), clamped to [cwnd, 1.5 * cwnd].
            double target = Math.Clamp(CubicWindowBytes(t + rttSeconds), cwnd, 1.5 * cwnd);
            // RFC 9438 §4.4/4.5: cwnd += (target - cwnd) / cwnd per acknowledged segment.
            increase = (target - cwnd) * packet.Size / cwnd;
        }

        if (increase <= 0) return;
        _carry += increase;
        long whole = (long)_carry;
        _carry -= whole;
        Window += whole;
    }

    /// <inheritdoc/>
    protected override void ReduceWindow(long nowUs)
    {
        double cwnd = Window;
        // RFC 9438 §4.7: fast convergence releases bandwidth when the window keeps shrinking.
        WMaxBytes = FastConvergence && cwnd < WMaxBytes ? cwnd * (1 + Beta) / 2 : cwnd;
        // RFC 9438 §4.6: ssthresh = cwnd * beta_cubic, at least the minimum window.
        long reduced = Math.Max(Window * 7 / 10, MinimumWindow); // beta_cubic in integer arithmetic
        SlowStartThreshold = reduced;
        Window = reduced;
        // The epoch starts now: the first acknowledgment after recovery grows along the curve from here.
        StartEpoch(nowUs, reduced);
    }

    /// <inheritdoc/>
    protected override void OnPersistentCongestion()
    {
        // RFC 9438 §4.8 / RFC 9002 §7.6.2: back to slow start; a new epoch begins after it.
        _epochStartUs = null;
        _carry = 0;
    }

    private void StartEpoch(long nowUs, double cwndEpoch)
    {
        _epochStartUs = nowUs;
        _carry = 0;
        if (WMaxBytes < cwndEpoch) WMaxBytes = cwndEpoch;
        // RFC 9438 §4.2: K = cbrt((W_max - cwnd_epoch) / C), in segments.
        KSeconds = Math.Cbrt((WMaxBytes - cwndEpoch) / MaxDatagramSize / C);
        RenoEstimateBytes = cwndEpoch;
    }
}
