namespace Pliant.Quic.Recovery;

/// <summary>
/// Round-trip time estimation (RFC 9002 §5): latest, minimum and smoothed RTT plus its variation.
/// All values are µs.
/// </summary>
public sealed class RttEstimator
{
    /// <summary>RFC 9002 §6.2.2: kInitialRtt = 333 ms.</summary>
    public const long InitialRttUs = 333_000;

    /// <summary>RFC 9002 §6.1.2: kGranularity = 1 ms.</summary>
    public const long GranularityUs = 1_000;

    private readonly long _initialRttUs;

    /// <summary>Creates an estimator starting from <paramref name="initialRttUs"/> (default kInitialRtt).</summary>
    public RttEstimator(long initialRttUs = InitialRttUs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialRttUs);
        _initialRttUs = initialRttUs;
        Reset();
    }

    /// <summary>The most recent RTT sample (0 before the first).</summary>
    public long LatestRtt { get; private set; }

    /// <summary>smoothed_rtt.</summary>
    public long SmoothedRtt { get; private set; }

    /// <summary>rttvar.</summary>
    public long RttVar { get; private set; }

    /// <summary>min_rtt (0 before the first sample).</summary>
    public long MinRtt { get; private set; }

    /// <summary>True once a sample was taken.</summary>
    public bool HasSample { get; private set; }

    /// <summary>Number of RTT samples taken so far.</summary>
    public long SampleCount { get; private set; }

    /// <summary>RFC 9002 §6.2.1: smoothed_rtt + max(4*rttvar, kGranularity), without max_ack_delay or backoff.</summary>
    public long PtoBase => SmoothedRtt + Math.Max(4 * RttVar, GranularityUs);

    /// <summary>Back to the initial state (RFC 9002 §5.3 / RFC 9000 §9.4 on a new path).</summary>
    public void Reset()
    {
        LatestRtt = 0;
        MinRtt = 0;
        HasSample = false;
        // RFC 9002 §5.3: smoothed_rtt = kInitialRtt, rttvar = kInitialRtt / 2.
        SmoothedRtt = _initialRttUs;
        RttVar = _initialRttUs / 2;
    }

    /// <summary>Takes an RTT sample (RFC 9002 §5.1–5.3).</summary>
    /// <param name="latestUs">now − send time of the largest newly acknowledged packet.</param>
    /// <param name="ackDelayUs">The ACK Delay from the frame, already scaled by the peer's exponent.</param>
    /// <param name="handshakeConfirmed">Whether the handshake is confirmed (caps the ack delay).</param>
    /// <param name="maxAckDelayUs">The peer's max_ack_delay.</param>
    public void Update(long latestUs, long ackDelayUs, bool handshakeConfirmed, long maxAckDelayUs)
    {
        if (latestUs < 0) latestUs = 0;
        if (ackDelayUs < 0) ackDelayUs = 0;
        SampleCount++;
        LatestRtt = latestUs;
        if (!HasSample)
        {
            // RFC 9002 §5.3: first sample initialises everything; ack delay is ignored.
            HasSample = true;
            MinRtt = latestUs;
            SmoothedRtt = latestUs;
            RttVar = latestUs / 2;
            return;
        }

        // RFC 9002 §5.2: min_rtt uses latest_rtt without adjustment for ack delay.
        MinRtt = Math.Min(MinRtt, latestUs);

        // RFC 9002 §5.3: after the handshake is confirmed, use min(ack_delay, max_ack_delay).
        if (handshakeConfirmed) ackDelayUs = Math.Min(ackDelayUs, maxAckDelayUs);

        // RFC 9002 §5.3: adjust for ack delay only if the result is not below min_rtt.
        long adjusted = latestUs;
        if (latestUs >= MinRtt + ackDelayUs) adjusted = latestUs - ackDelayUs;

        RttVar = (3 * RttVar + Math.Abs(SmoothedRtt - adjusted)) / 4;
        SmoothedRtt = (7 * SmoothedRtt + adjusted) / 8;
    }
}
