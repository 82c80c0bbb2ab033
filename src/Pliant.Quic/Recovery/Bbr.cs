namespace Pliant.Quic.Recovery;

/// <summary>
/// BBR (BBRv3, draft-ietf-ccwg-bbr-06): a model-based controller. From delivery rate samples
/// (<see cref="DeliveryRateSampler"/>) and RTT samples it keeps a path model — the maximum bandwidth of the
/// last two ProbeBW cycles, the minimum RTT of the last 10 s, long- and short-term in-flight bounds learnt
/// from loss — and sets the pacing rate and the window from it, cycling Startup → Drain → ProbeBW
/// (DOWN, CRUISE, REFILL, UP) with ProbeRTT every 5 s. Loss that does not significantly exceed 2 % per round
/// (random loss) cuts neither the rate nor the in-flight bounds (a documented deviation: IsInflightTooHigh).
/// Not implemented: the spurious-recovery undo (§5.5.11; the core does not detect spurious losses).
/// Memory: constant (a dozen counters, a 10-slot filter). Randomness (the probe wait, §5.3.3.5) comes from
/// the seed, so a simulation is reproducible.
/// </summary>
public sealed partial class Bbr : ICongestionController
{
    // §2.7-2.8, §5.3.3.6: the constants.
    private const double StartupPacingGain = 2.77; // 4 * ln(2)
    private const double DrainPacingGain = 0.5;
    private const double DefaultCwndGain = 2.0;
    private const double ProbeUpPacingGain = 1.25;
    private const double ProbeUpCwndGain = 2.25;
    private const double ProbeDownPacingGain = 0.90;
    private const double ProbeRttCwndGain = 0.5;
    private const double LossThresh = 0.02;
    // Not in the draft: how many standard deviations a round's loss must exceed LossThresh by before the
    // in-flight bounds are cut (see IsInflightTooHigh).
    private const double LossSigmas = 3.0;
    private const double Beta = 0.7;
    private const double Headroom = 0.15;
    private const double PacingMargin = 0.99; // BBR.PacingMarginPercent = 1
    private const long MinRttFilterLenUs = 10_000_000;
    private const long ProbeRttDurationUs = 200_000;
    private const long ProbeRttIntervalUs = 5_000_000;
    private const int ExtraAckedFilterLen = 10;
    private const int StartupFullLossCount = 6;

    private readonly DeliveryRateSampler _sampler = new();
    private readonly double[] _extraAckedByRound = new double[ExtraAckedFilterLen];
    private readonly double[] _maxBwByCycle = new double[2];
    private ulong _random;
    private int _mds;
    private RateSample _rs;
    private bool _started;

    /// <summary>Creates the controller for <paramref name="maxDatagramSize"/>; <paramref name="seed"/> drives the probe wait.</summary>
    public Bbr(int maxDatagramSize = 1200, ulong seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramSize, 1200);
        _mds = maxDatagramSize;
        _random = seed | 1;
        InitialWindow = CongestionControllerBase.InitialWindowFor(maxDatagramSize);
        Window = InitialWindow;
        // OnInit (§5.2.1).
        MinRttUs = long.MaxValue;
        _probeRttMinDelayUs = long.MaxValue;
        InflightLongterm = double.PositiveInfinity;
        _probeUpAckedPerInc = double.PositiveInfinity;
        ResetCongestionSignals();
        ResetShortTermModel();
        ResetFullBw();
        // InitPacingRate (§5.6.2): no RTT yet, so 1 ms.
        PacingRate = StartupPacingGain * InitialWindow * 1e6 / 1000;
        EnterStartup();
    }

    /// <inheritdoc/>
    public long Window { get; private set; }

    /// <inheritdoc/>
    public long BytesInFlight { get; private set; }

    /// <inheritdoc/>
    public int MaxDatagramSize
    {
        get => _mds;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1200);
            _mds = value;
            if (Window < MinPipeCwnd) Window = MinPipeCwnd;
        }
    }

    /// <inheritdoc/>
    public bool IsAppLimited { get; set; }

    /// <summary>The current state.</summary>
    public BbrState State { get; private set; }

    /// <summary>C.pacing_rate, bytes per second.</summary>
    public double PacingRate { get; private set; }

    /// <summary>BBR.max_bw, bytes per second.</summary>
    public double MaxBw { get; private set; }

    /// <summary>BBR.bw = min(max_bw, bw_shortterm), bytes per second.</summary>
    public double Bw { get; private set; }

    /// <summary>BBR.min_rtt, µs (long.MaxValue before the first sample).</summary>
    public long MinRttUs { get; private set; }

    /// <summary>BBR.inflight_longterm, bytes (infinity until loss bounds it).</summary>
    public double InflightLongterm { get; private set; }

    /// <summary>BBR.full_bw_reached: Startup found the bandwidth.</summary>
    public bool FullBwReached { get; private set; }

    /// <summary>BBR.round_count: packet-timed round trips so far.</summary>
    public long RoundCount { get; private set; }

    /// <summary>How Startup ended: null while in it, false on a bandwidth plateau, true on high loss (§5.3.1.3).</summary>
    public bool? StartupExitOnLoss { get; private set; }

    /// <summary>BBR.max_bw when Startup ended, bytes per second.</summary>
    public double StartupExitBw { get; private set; }

    /// <summary>Times ProbeRTT was entered.</summary>
    public int ProbeRttCount { get; private set; }

    /// <summary>The sampler's counters (C.delivered, C.lost, C.app_limited).</summary>
    public DeliveryRateSampler Sampler => _sampler;

    /// <summary>The latest ACK's rate sample (what <see cref="Sampler"/> generated for it).</summary>
    internal RateSample LastSample => _rs;

    /// <summary>The initial window (RFC 9002 §7.2).</summary>
    public long InitialWindow { get; }

    /// <summary>BBR.MinPipeCwnd = 4 * SMSS (§2.7).</summary>
    private long MinPipeCwnd => 4L * _mds;

    /// <inheritdoc/>
    public bool CanSend(int bytes) => BytesInFlight + bytes <= Window;

    /// <inheritdoc/>
    public void OnPacketSent(long nowUs, int bytes) => OnSent(null, nowUs, bytes);

    /// <inheritdoc/>
    public void OnPacketSent(SentPacket packet, long nowUs)
    {
        ArgumentNullException.ThrowIfNull(packet);
        OnSent(packet, nowUs, packet.Size);
    }

    /// <inheritdoc/>
    public void OnApplicationLimited()
    {
        // CheckIfApplicationLimited (§4.1.2.6): nothing to send while the window has room.
        if (BytesInFlight < Window) _sampler.MarkAppLimited(BytesInFlight);
    }

    private void OnSent(SentPacket? packet, long nowUs, int bytes)
    {
        if (!_started)
        {
            // OnInit's Now() (§5.2.1): the clock's origin is the first packet.
            _started = true;
            _minRttStampUs = _probeRttMinStampUs = _extraAckedIntervalStartUs = _cycleStampUs = nowUs;
        }
        // OnTransmit (§5.2.2).
        HandleRestartFromIdle(nowUs);
        long before = BytesInFlight;
        BytesInFlight += bytes;
        if (packet is not null) _sampler.OnPacketSent(packet, before, BytesInFlight);
        // C.is_cwnd_limited: the window, not the application, stopped the sender this round.
        if (BytesInFlight + _mds > Window) _cwndLimitedInRound = true;
    }

    /// <inheritdoc/>
    public void OnPacketsAcked(ReadOnlySpan<SentPacket> acked, long nowUs, RttEstimator rtt)
    {
        ArgumentNullException.ThrowIfNull(rtt);
        _nowUs = nowUs;
        DeliveryRateSampler.Begin(ref _rs);
        foreach (var p in acked)
        {
            if (!p.InFlight) continue;
            BytesInFlight = Math.Max(0, BytesInFlight - p.Size);
            _sampler.OnAcked(p, nowUs, ref _rs);
        }
        if (!_rs.HasData) return;
        _sampler.Generate(ref _rs, rtt.HasSample ? rtt.MinRtt : 0);
        if (!_hasSeenRtt && rtt.HasSample)
        {
            // Linux's refinement of InitPacingRate: once there is an RTT, base the initial rate on it.
            _hasSeenRtt = true;
            double nominal = InitialWindow * 1e6 / Math.Max(1, rtt.SmoothedRtt);
            if (!FullBwReached && Bw == 0) PacingRate = StartupPacingGain * nominal;
        }
        // Loss recovery ends when a packet sent after it began is acknowledged (RFC 9002 §7.3.2).
        if (_recoveryStartUs is long start && _rs.LastAckedSentTimeUs > start)
        {
            _recoveryStartUs = null;
            RestoreCwnd();
        }
        // UpdateOnACK (§5.2.3).
        UpdateModelAndState(nowUs);
        UpdateControlParameters();
    }

    /// <inheritdoc/>
    public void OnPacketsLost(ReadOnlySpan<SentPacket> lost, bool persistentCongestion, long nowUs)
    {
        _nowUs = nowUs;
        bool any = false;
        foreach (var p in lost)
        {
            if (!p.InFlight) continue;
            BytesInFlight = Math.Max(0, BytesInFlight - p.Size);
            // RFC 9000 §14.4: a lost PMTU probe is not a congestion signal.
            if (p.IsMtuProbe) continue;
            _sampler.OnLost(p.Size);
            _lostInRound += p.Size;
            // Discontiguous lost ranges, for the Startup exit (§5.3.1.3).
            if (p.PacketNumber != _lastLostPacketNumber + 1) _lossRangesInRound++;
            _lastLostPacketNumber = p.PacketNumber;
            HandleLostPacket(p);
            any = true;
        }
        if (any && _recoveryStartUs is null)
        {
            // OnEnterFastRecovery (§5.6.4.4).
            _recoveryStartUs = nowUs;
            _recoveryRound = RoundCount;
            SaveCwnd();
            SaveStateUponLoss();
        }
        if (persistentCongestion)
        {
            // OnEnterRTO (§5.6.4.4): persistent congestion (RFC 9002 §7.6) is QUIC's retransmission timeout.
            SaveCwnd();
            SaveStateUponLoss();
            Window = Math.Max(BytesInFlight + _mds, 2L * _mds);
        }
    }

    /// <inheritdoc/>
    public void OnEcnCe(long sentTimeOfLargestAckedUs, long nowUs)
    {
        // §2.12: CE marks MUST be treated as congestion; the round's short-term bounds adapt as for loss.
        _nowUs = nowUs;
        _ceInRound = true;
        NoteLoss();
    }

    /// <inheritdoc/>
    public void OnPacketsDiscarded(long bytes) => BytesInFlight = Math.Max(0, BytesInFlight - bytes);

    /// <inheritdoc/>
    public long? PacingIntervalUs(int packetSize, RttEstimator rtt)
    {
        if (PacingRate <= 0) return null;
        // pacing_delay = packet.size / C.pacing_rate (§5.6.2).
        return (long)(packetSize * 1e6 / PacingRate);
    }

    private ulong NextRandom()
    {
        // xorshift64: the seeded source of the probe wait (never used for anything a peer could exploit).
        _random ^= _random << 13;
        _random ^= _random >> 7;
        _random ^= _random << 17;
        return _random;
    }
}
