namespace Pliant.Quic.Recovery;

// BBR's path model and state machine, in the order of draft-ietf-ccwg-bbr-06 §5 (names as in its pseudocode).
public sealed partial class Bbr
{
    private enum AckPhase { Init, Refilling, ProbeStarting, ProbeFeedback, ProbeStopping }

    private long _nowUs;
    private bool _hasSeenRtt;
    private double _pacingGain, _cwndGain;

    // Round counting (§5.5.1).
    private long _nextRoundDelivered;
    private bool _roundStart;

    // Startup / full pipe (§5.3.1).
    private double _fullBw;
    private int _fullBwCount;
    private bool _fullBwNow;
    private long _drainStartRound;

    // ProbeBW (§5.3.3).
    private AckPhase _ackPhase;
    private long _cycleCount;
    private long _cycleStampUs;
    private long _bwProbeWaitUs;
    private long _roundsSinceProbeUp;
    private int _bwProbeUpRounds;
    private double _bwProbeUpAcked;
    private double _probeUpAckedPerInc;
    private bool _isBwProbeSample;
    private bool _prevProbeTooHigh;
    private bool _prevProbePrecautionary;

    // Short-term model and congestion signals (§5.5.10.3).
    private double _bwShortterm, _inflightShortterm;
    private double _bwLatest, _inflightLatest;
    private long _lossRoundDelivered;
    private bool _lossRoundStart;
    private bool _isLossInRound;
    private bool _ceInRound;
    private long _lostInRound;
    private int _lossRangesInRound;
    private ulong _lastLostPacketNumber = ulong.MaxValue - 1;

    // min_rtt and ProbeRTT (§5.3.4).
    private long _minRttStampUs;
    private long _probeRttMinDelayUs;
    private long _probeRttMinStampUs;
    private bool _probeRttExpired;
    private long _probeRttDoneStampUs;
    private bool _probeRttRoundDone;
    private bool _idleRestart;

    // Aggregation (§5.5.9).
    private long _extraAckedIntervalStartUs;
    private double _extraAckedDelivered;
    private double _extraAcked;

    // cwnd bookkeeping (§5.6.4).
    private long _priorCwnd;
    private long? _recoveryStartUs;
    private long _recoveryRound;
    private bool _cwndLimitedInRound, _isCwndLimited;
    private double _maxInflight;

    private bool InLossRecovery => _recoveryStartUs is not null;

    private bool IsInAProbeBwState => State is BbrState.ProbeBwDown or BbrState.ProbeBwCruise or BbrState.ProbeBwRefill or BbrState.ProbeBwUp;

    private bool IsProbingBw => State is BbrState.Startup or BbrState.ProbeBwRefill or BbrState.ProbeBwUp;

    private double Bdp => MinRttUs == long.MaxValue ? InitialWindow : Bw * MinRttUs / 1e6;

    private void UpdateModelAndState(long nowUs)
    {
        UpdateLatestDeliverySignals();
        UpdateCongestionSignals();
        UpdateAckAggregation(nowUs);
        CheckFullBwReached();
        CheckStartupDone();
        CheckDrainDone();
        UpdateProbeBwCyclePhase(nowUs);
        UpdateMinRtt(nowUs);
        CheckProbeRtt(nowUs);
        AdvanceLatestDeliverySignals();
        BoundBwForModel();
    }

    private void UpdateControlParameters()
    {
        SetPacingRateWithGain(_pacingGain);
        SetCwnd();
    }

    // §5.3.1 Startup and Drain.

    private void EnterStartup()
    {
        State = BbrState.Startup;
        _pacingGain = StartupPacingGain;
        _cwndGain = DefaultCwndGain;
    }

    private void ResetFullBw()
    {
        _fullBw = 0;
        _fullBwCount = 0;
        _fullBwNow = false;
    }

    private void CheckFullBwReached()
    {
        if (_fullBwNow || !_roundStart || _rs.IsAppLimited) return;
        if (_rs.DeliveryRate >= _fullBw * 1.25)
        {
            ResetFullBw();
            _fullBw = _rs.DeliveryRate;
            return;
        }
        _fullBwCount++;
        _fullBwNow = _fullBwCount >= 3;
        if (_fullBwNow) FullBwReached = true;
    }

    private void CheckStartupDone()
    {
        CheckStartupHighLoss();
        if (State == BbrState.Startup && FullBwReached) EnterDrain();
    }

    /// <summary>
    /// §5.3.1.3: leave Startup after a full round in recovery whose loss rate exceeded LossThresh over at
    /// least six discontiguous lost ranges (QUIC acknowledges selectively).
    /// </summary>
    private void CheckStartupHighLoss()
    {
        if (State != BbrState.Startup || !_lossRoundStart || !InLossRecovery || RoundCount <= _recoveryRound) return;
        long delivered = _rs.Delivered;
        if (_lostInRoundAtEnd <= (delivered + _lostInRoundAtEnd) * LossThresh || _lossRangesAtEnd < StartupFullLossCount) return;
        FullBwReached = true;
        StartupExitOnLoss = true;
        InflightLongterm = Math.Max(Bdp, _inflightLatestAtEnd);
    }

    private void EnterDrain()
    {
        StartupExitOnLoss ??= false;
        StartupExitBw = MaxBw;
        State = BbrState.Drain;
        _pacingGain = DrainPacingGain;
        _cwndGain = DefaultCwndGain;
        _drainStartRound = RoundCount;
    }

    private void CheckDrainDone()
    {
        if (State == BbrState.Drain && (BytesInFlight <= Inflight(1.0) || RoundCount > _drainStartRound + 3)) EnterProbeBw();
    }

    // §5.3.3 ProbeBW.

    private void EnterProbeBw()
    {
        _cwndGain = DefaultCwndGain;
        StartProbeBwDown();
    }

    private void StartProbeBwDown()
    {
        ResetCongestionSignals();
        _probeUpAckedPerInc = double.PositiveInfinity;
        PickProbeWait();
        _cycleStampUs = _nowUs;
        _ackPhase = AckPhase.ProbeStopping;
        StartRound();
        State = BbrState.ProbeBwDown;
        _pacingGain = ProbeDownPacingGain;
        _cwndGain = DefaultCwndGain;
    }

    private void StartProbeBwCruise()
    {
        State = BbrState.ProbeBwCruise;
        _pacingGain = 1.0;
        _cwndGain = DefaultCwndGain;
    }

    private void StartProbeBwRefill()
    {
        ResetShortTermModel();
        _bwProbeUpRounds = 0;
        _bwProbeUpAcked = 0;
        _prevProbePrecautionary = false;
        _ackPhase = AckPhase.Refilling;
        StartRound();
        State = BbrState.ProbeBwRefill;
        _pacingGain = 1.0;
        _cwndGain = DefaultCwndGain;
    }

    private void StartProbeBwUp()
    {
        _ackPhase = AckPhase.ProbeStarting;
        StartRound();
        ResetFullBw();
        _fullBw = _rs.DeliveryRate;
        State = BbrState.ProbeBwUp;
        _pacingGain = ProbeUpPacingGain;
        _cwndGain = ProbeUpCwndGain;
        RaiseInflightLongtermSlope();
    }

    private void UpdateProbeBwCyclePhase(long nowUs)
    {
        if (!FullBwReached) return;
        if (AdaptLongTermModel()) return;
        if (!IsInAProbeBwState) return;
        switch (State)
        {
            case BbrState.ProbeBwDown:
                if (IsTimeToProbeBw(nowUs)) return;
                if (IsTimeToCruise()) StartProbeBwCruise();
                break;
            case BbrState.ProbeBwCruise:
                IsTimeToProbeBw(nowUs);
                break;
            case BbrState.ProbeBwRefill:
                // After one round of REFILL, start UP.
                if (_roundStart)
                {
                    _isBwProbeSample = true;
                    StartProbeBwUp();
                }
                break;
            case BbrState.ProbeBwUp:
                if (IsTimeToGoDown())
                {
                    _prevProbeTooHigh = false;
                    StartProbeBwDown();
                }
                break;
        }
    }

    private bool IsTimeToCruise() => BytesInFlight <= InflightWithHeadroom() && BytesInFlight <= Inflight(1.0);

    private bool IsTimeToGoDown()
    {
        // Precautionary bandwidth probing: deceleration (§5.3.3.4).
        if (_prevProbeTooHigh && BytesInFlight >= InflightLongterm)
        {
            _prevProbePrecautionary = true;
            return true;
        }
        if (_isCwndLimited && Window >= InflightLongterm)
        {
            // Bandwidth is limited by inflight_longterm: keep probing.
            ResetFullBw();
            _fullBw = _rs.DeliveryRate;
        }
        else if (_fullBwNow)
        {
            return true;
        }
        return false;
    }

    private bool IsTimeToProbeBw(long nowUs)
    {
        if (nowUs > _cycleStampUs + _bwProbeWaitUs || IsRenoCoexistenceProbeTime())
        {
            StartProbeBwRefill();
            return true;
        }
        return false;
    }

    private void PickProbeWait()
    {
        // §5.3.3.5: a random round bound (0 or 1) and a random 2..3 s wall-clock bound.
        _roundsSinceProbeUp = (long)(NextRandom() & 1);
        _bwProbeWaitUs = 2_000_000 + (long)(NextRandom() % 1_000_001);
    }

    private bool IsRenoCoexistenceProbeTime()
    {
        long renoRounds = (long)(TargetInflight() / _mds);
        return _roundsSinceProbeUp >= Math.Min(renoRounds, 63);
    }

    private double TargetInflight() => Math.Min(Bdp, Window);

    private double InflightWithHeadroom()
    {
        if (double.IsPositiveInfinity(InflightLongterm)) return double.PositiveInfinity;
        double headroom = Math.Max(_mds, Headroom * InflightLongterm);
        return Math.Max(InflightLongterm - headroom, MinPipeCwnd);
    }

    private void RaiseInflightLongtermSlope()
    {
        double growthThisRound = 1L << _bwProbeUpRounds;
        _bwProbeUpRounds = Math.Min(_bwProbeUpRounds + 1, 30);
        _probeUpAckedPerInc = Math.Max(Window / growthThisRound, _mds);
    }

    private void ProbeInflightLongtermUpward()
    {
        if (!_isCwndLimited || Window < InflightLongterm) return;
        _bwProbeUpAcked += _rs.NewlyAcked;
        if (_bwProbeUpAcked >= _probeUpAckedPerInc)
        {
            double delta = Math.Floor(_bwProbeUpAcked / _probeUpAckedPerInc);
            _bwProbeUpAcked -= delta * _probeUpAckedPerInc;
            InflightLongterm += delta * _mds;
        }
        if (_roundStart) RaiseInflightLongtermSlope();
    }

    private bool AdaptLongTermModel()
    {
        if (_ackPhase == AckPhase.ProbeStarting && _roundStart) _ackPhase = AckPhase.ProbeFeedback;
        if (_ackPhase == AckPhase.ProbeStopping && _roundStart)
        {
            // The end of the samples from the probing phase.
            _isBwProbeSample = false;
            _ackPhase = AckPhase.Init;
            if (IsInAProbeBwState && !_rs.IsAppLimited) AdvanceMaxBwFilter();
            // Precautionary bandwidth probing: acceleration.
            if (IsInAProbeBwState && _prevProbePrecautionary && !_prevProbeTooHigh)
            {
                StartProbeBwRefill();
                return true;
            }
        }
        if (!IsInflightTooHigh(_rs.Lost, _rs.TxInFlight))
        {
            // The loss rate is safe: raise the upper bounds.
            if (double.IsPositiveInfinity(InflightLongterm)) return false;
            if (_rs.TxInFlight > InflightLongterm) InflightLongterm = _rs.TxInFlight;
            if (State == BbrState.ProbeBwUp) ProbeInflightLongtermUpward();
        }
        return false;
    }

    // §5.5.10.2 Loss while probing.

    /// <summary>
    /// IsInflightTooHigh (§5.5.10.2), with a deviation: the loss must exceed BBR.LossThresh of
    /// <paramref name="txInFlight"/> by three binomial standard deviations of its packet count, not merely exceed it.
    /// Why: LossThresh is the draft's per-round loss objective (§3.2: "a maximum per-round-trip packet loss rate of
    /// BBR.LossThresh=2%"), and random (non-congestive) loss near it crosses the bare threshold by chance in a
    /// large share of windows — at 2 % random loss, half of them; at 1 % with 150 packets a window, one in five.
    /// Each crossing cut inflight_longterm to about the current in-flight volume during a probe (CRUISE then sits
    /// at 85 % of that, below the BDP) and, through the same test in <see cref="AdaptLowerBoundsFromCongestion"/>,
    /// cut the short-term model. That model's max(latest, Beta * shortterm) sits a little below the model after a
    /// lossy round (the 1 % pacing margin, the lost packets' holes), so repeated cuts ratcheted rate and window down
    /// about 1 % a round until the next REFILL seconds later: 50 Mbit/s, 20 ms RTT, 1 % random loss settled near
    /// 38 Mbit/s. Three deviations, because the test runs every round (50 a second on that path): at exactly 2 %
    /// random loss two would still cut by chance about once a second (p ≈ 2 % a round), three once in ~15 s
    /// (p ≈ 0.1 %), longer than the 2-3 s between REFILLs, which reset the short-term model. Congestive loss (a
    /// queue overflowing: many packets a round) clears the margin at once: the test
    /// ABottleneckThatHalvesCutsTheShortTermModel. (ngtcp2's bbr2 avoids the ratchet by never applying the
    /// short-term bounds in ProbeBW.)
    /// </summary>
    private bool IsInflightTooHigh(long lost, long txInFlight)
    {
        double sigma = _mds * Math.Sqrt(LossThresh * (1 - LossThresh) * Math.Max(0, txInFlight) / _mds);
        return lost > txInFlight * LossThresh + LossSigmas * sigma;
    }

    private void HandleInflightTooHigh(bool appLimited, double txInFlight)
    {
        _prevProbeTooHigh = true;
        _isBwProbeSample = false; // react once per probe
        if (!appLimited) InflightLongterm = Math.Max(txInFlight, TargetInflight() * Beta);
        if (State == BbrState.ProbeBwUp) StartProbeBwDown();
    }

    private void NoteLoss()
    {
        if (!_isLossInRound)
        {
            _lossRoundDelivered = _sampler.Delivered;
            SaveStateUponLoss();
        }
        _isLossInRound = true;
    }

    private void HandleLostPacket(SentPacket p)
    {
        NoteLoss();
        if (!_isBwProbeSample) return; // not sent while probing
        var d = p.Delivery;
        long lost = _sampler.Lost - d.Lost;
        if (!IsInflightTooHigh(lost, d.TxInFlight)) return;
        HandleInflightTooHigh(d.IsAppLimited, InflightAtLoss(p.Size, d.TxInFlight, lost));
    }

    /// <summary>§5.5.10.2 InflightAtLoss: the in-flight volume at which the loss rate crossed LossThresh.</summary>
    private static double InflightAtLoss(long size, long txInFlight, long lost)
    {
        double inflightPrev = txInFlight - size;
        double lostPrev = lost - size;
        double lostPrefix = (LossThresh * inflightPrev - lostPrev) / (1 - LossThresh);
        return inflightPrev + lostPrefix;
    }

    // §5.5.10.3 Loss when not probing: the short-term model.

    private void UpdateLatestDeliverySignals()
    {
        _lossRoundStart = false;
        _bwLatest = Math.Max(_bwLatest, _rs.DeliveryRate);
        _inflightLatest = Math.Max(_inflightLatest, _rs.Delivered);
        if (_rs.PriorDelivered >= _lossRoundDelivered)
        {
            _lossRoundDelivered = _sampler.Delivered;
            _lossRoundStart = true;
            // The round's loss figures, for the Startup exit and the short-term model's loss test.
            _lostInRoundAtEnd = _lostInRound;
            _deliveredInRoundAtEnd = _sampler.Delivered - _lossRoundStartDelivered;
            _lossRoundStartDelivered = _sampler.Delivered;
            _lossRangesAtEnd = _lossRangesInRound;
            _inflightLatestAtEnd = _inflightLatest;
            _lostInRound = 0;
            _lossRangesInRound = 0;
        }
    }

    private long _lostInRoundAtEnd;
    private long _deliveredInRoundAtEnd;
    private long _lossRoundStartDelivered;
    private int _lossRangesAtEnd;
    private double _inflightLatestAtEnd;

    private void AdvanceLatestDeliverySignals()
    {
        if (!_lossRoundStart) return;
        _bwLatest = _rs.DeliveryRate;
        _inflightLatest = _rs.Delivered;
    }

    private void ResetCongestionSignals()
    {
        _isLossInRound = false;
        _bwLatest = 0;
        _inflightLatest = 0;
    }

    private void UpdateCongestionSignals()
    {
        UpdateMaxBw();
        if (!_lossRoundStart) return;
        AdaptLowerBoundsFromCongestion();
        _isLossInRound = false;
        _ceInRound = false;
    }

    private void AdaptLowerBoundsFromCongestion()
    {
        if (IsProbingBw || !_isLossInRound) return;
        // Deviation (see IsInflightTooHigh): a round's loss cuts only when it is significantly above LossThresh;
        // a round with a CE mark still cuts as the draft says (§2.12 / ECN).
        if (!_ceInRound && !IsRoundLossAboveThreshold()) return;
        // InitLowerBounds, then LossLowerBounds.
        if (double.IsPositiveInfinity(_bwShortterm)) _bwShortterm = MaxBw;
        if (double.IsPositiveInfinity(_inflightShortterm)) _inflightShortterm = Window;
        _bwShortterm = Math.Max(_bwLatest, Beta * _bwShortterm);
        _inflightShortterm = Math.Max(_inflightLatest, Beta * _inflightShortterm);
    }

    private bool IsRoundLossAboveThreshold() => IsInflightTooHigh(_lostInRoundAtEnd, _deliveredInRoundAtEnd + _lostInRoundAtEnd);

    private void ResetShortTermModel()
    {
        _bwShortterm = double.PositiveInfinity;
        _inflightShortterm = double.PositiveInfinity;
    }

    private void BoundBwForModel() => Bw = Math.Min(MaxBw, _bwShortterm);

    private void SaveStateUponLoss() => SaveCwnd();

    // §5.5.1 Round counting, §5.5.2-5.5.5 max_bw.

    private void StartRound() => _nextRoundDelivered = _sampler.Delivered;

    private void UpdateRound()
    {
        if (_rs.PriorDelivered >= _nextRoundDelivered)
        {
            StartRound();
            RoundCount++;
            _roundsSinceProbeUp++;
            _roundStart = true;
            _isCwndLimited = _cwndLimitedInRound;
            _cwndLimitedInRound = false;
        }
        else
        {
            _roundStart = false;
        }
    }

    private void UpdateMaxBw()
    {
        UpdateRound();
        double rate = _rs.DeliveryRate;
        if (rate > 0 && (rate >= MaxBw || !_rs.IsAppLimited))
        {
            // A windowed max over this ProbeBW cycle and the previous one (BBR.MaxBwFilterLen = 2).
            ref double slot = ref _maxBwByCycle[_cycleCount & 1];
            if (rate > slot) slot = rate;
            MaxBw = Math.Max(_maxBwByCycle[0], _maxBwByCycle[1]);
        }
    }

    private void AdvanceMaxBwFilter()
    {
        _cycleCount++;
        _maxBwByCycle[_cycleCount & 1] = 0; // the slot of the cycle before last expires
        MaxBw = Math.Max(_maxBwByCycle[0], _maxBwByCycle[1]);
    }

    // §5.5.9 extra_acked.

    private void UpdateAckAggregation(long nowUs)
    {
        double interval = (nowUs - _extraAckedIntervalStartUs) / 1e6;
        double expected = Bw * interval;
        if (_extraAckedDelivered <= expected)
        {
            _extraAckedDelivered = 0;
            _extraAckedIntervalStartUs = nowUs;
            expected = 0;
        }
        _extraAckedDelivered += _rs.NewlyAcked;
        double extra = Math.Min(_extraAckedDelivered - expected, Window);
        int filterLen = FullBwReached ? ExtraAckedFilterLen : 1;
        int slot = (int)(RoundCount % ExtraAckedFilterLen);
        if (_roundStart) _extraAckedByRound[slot] = 0;
        if (extra > _extraAckedByRound[slot]) _extraAckedByRound[slot] = extra;
        double max = 0;
        for (int i = 0; i < filterLen; i++)
            max = Math.Max(max, _extraAckedByRound[(int)((RoundCount - i + ExtraAckedFilterLen * 2L) % ExtraAckedFilterLen)]);
        _extraAcked = max;
    }

    // §5.3.4 min_rtt and ProbeRTT.

    private void UpdateMinRtt(long nowUs)
    {
        _probeRttExpired = nowUs > _probeRttMinStampUs + ProbeRttIntervalUs;
        if (_rs.RttUs >= 0 && (_rs.RttUs < _probeRttMinDelayUs || _probeRttExpired))
        {
            _probeRttMinDelayUs = _rs.RttUs;
            _probeRttMinStampUs = nowUs;
        }
        bool minRttExpired = nowUs > _minRttStampUs + MinRttFilterLenUs;
        if (_probeRttMinDelayUs < MinRttUs || minRttExpired)
        {
            MinRttUs = _probeRttMinDelayUs;
            _minRttStampUs = _probeRttMinStampUs;
        }
    }

    private void CheckProbeRtt(long nowUs)
    {
        if (State != BbrState.ProbeRtt && _probeRttExpired && !_idleRestart)
        {
            EnterProbeRtt();
            SaveCwnd();
            _probeRttDoneStampUs = 0;
            _ackPhase = AckPhase.ProbeStopping;
            StartRound();
        }
        if (State == BbrState.ProbeRtt) HandleProbeRtt(nowUs);
        if (_rs.Delivered > 0) _idleRestart = false;
    }

    private void EnterProbeRtt()
    {
        State = BbrState.ProbeRtt;
        ProbeRttCount++;
        _pacingGain = 1.0;
        _cwndGain = ProbeRttCwndGain;
    }

    private void HandleProbeRtt(long nowUs)
    {
        // Low rate samples during ProbeRTT are ignored.
        _sampler.MarkAppLimited(BytesInFlight);
        if (_probeRttDoneStampUs == 0 && BytesInFlight <= ProbeRttCwnd())
        {
            _probeRttDoneStampUs = nowUs + ProbeRttDurationUs;
            _probeRttRoundDone = false;
            StartRound();
        }
        else if (_probeRttDoneStampUs != 0)
        {
            if (_roundStart) _probeRttRoundDone = true;
            if (_probeRttRoundDone) CheckProbeRttDone(nowUs);
        }
    }

    private void CheckProbeRttDone(long nowUs)
    {
        if (_probeRttDoneStampUs == 0 || nowUs <= _probeRttDoneStampUs) return;
        _probeRttMinStampUs = nowUs; // schedule the next ProbeRTT
        RestoreCwnd();
        ExitProbeRtt();
    }

    private void ExitProbeRtt()
    {
        ResetShortTermModel();
        if (FullBwReached)
        {
            StartProbeBwDown();
            StartProbeBwCruise();
        }
        else
        {
            EnterStartup();
        }
    }

    private void HandleRestartFromIdle(long nowUs)
    {
        // §5.4: restarting after an application-limited idle period.
        if (BytesInFlight != 0 || _sampler.AppLimitedUntil == 0) return;
        _idleRestart = true;
        _extraAckedIntervalStartUs = nowUs;
        if (IsInAProbeBwState) SetPacingRateWithGain(1.0);
        else if (State == BbrState.ProbeRtt) CheckProbeRttDone(nowUs);
    }

    // §5.6 Control parameters.

    private void SetPacingRateWithGain(double gain)
    {
        double rate = gain * Bw * PacingMargin;
        if (FullBwReached || rate > PacingRate) PacingRate = rate;
    }

    private double BdpMultiple(double gain) => MinRttUs == long.MaxValue ? InitialWindow : gain * Bdp;

    private double QuantizationBudget(double inflightCap)
    {
        // The offload budget of QUIC is the send quantum (§5.5.8): 1 ms at the pacing rate, 2..64 KB.
        double sendQuantum = Math.Clamp(PacingRate / 1000, 2.0 * _mds, 65536);
        inflightCap = Math.Max(inflightCap, sendQuantum);
        inflightCap = Math.Max(inflightCap, MinPipeCwnd);
        if (State == BbrState.ProbeBwUp) inflightCap += 2.0 * _mds;
        return inflightCap;
    }

    private double Inflight(double gain) => QuantizationBudget(BdpMultiple(gain));

    private double ProbeRttCwnd() => Math.Max(BdpMultiple(ProbeRttCwndGain), MinPipeCwnd);

    private void SaveCwnd()
    {
        _priorCwnd = !InLossRecovery && State != BbrState.ProbeRtt ? Window : Math.Max(_priorCwnd, Window);
    }

    private void RestoreCwnd() => Window = Math.Max(Window, _priorCwnd);

    private void SetCwnd()
    {
        _maxInflight = QuantizationBudget(BdpMultiple(_cwndGain) + _extraAcked);
        long cwnd = Window;
        if (FullBwReached) cwnd = (long)Math.Min(cwnd + _rs.NewlyAcked, _maxInflight);
        else if (cwnd < _maxInflight || _sampler.Delivered < InitialWindow) cwnd += _rs.NewlyAcked;
        cwnd = Math.Max(cwnd, MinPipeCwnd);
        if (State == BbrState.ProbeRtt) cwnd = (long)Math.Min(cwnd, ProbeRttCwnd());
        Window = BoundCwndForModel(cwnd);
    }

    private long BoundCwndForModel(long cwnd)
    {
        double cap = double.PositiveInfinity;
        if (IsInAProbeBwState && State != BbrState.ProbeBwCruise) cap = InflightLongterm;
        else if (State is BbrState.ProbeRtt or BbrState.ProbeBwCruise) cap = InflightWithHeadroom();
        cap = Math.Min(cap, _inflightShortterm);
        cap = Math.Max(cap, MinPipeCwnd);
        return cwnd <= cap ? cwnd : (long)cap;
    }
}
