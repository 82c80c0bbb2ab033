using Pliant.Quic.Recovery;

namespace Pliant.Quic.Connection;

// Timers (RFC 9002 §6.2 loss detection and PTO, RFC 9000 §10.1 idle, §10.2 closing and draining,
// §13.2.1 ACK delay) and the closing state machine.
public sealed partial class QuicConnectionCore
{
    private long _idleTimeoutUs;
    private long _lastActivityUs;
    private readonly TimerTable _deadlines = new();
    private readonly CloseState _close = new();
    private readonly List<SentPacket> _timeoutLost = [];
    private readonly List<SentPacket> _probeScratch = [];

    /// <summary>RFC 9000 §10.1: the idle timeout is at least three PTOs.</summary>
    private long IdleTimeoutWithPto() =>
        _idleTimeoutUs == 0 ? long.MaxValue / 4 : Math.Max(_idleTimeoutUs, 3 * _path.Rtt.PtoBase);

    /// <summary>The timer that is due first (diagnostics and tests), or null.</summary>
    internal ConnectionTimer? NextTimer
    {
        get
        {
            if (_state == ConnectionState.Closed) return null;
            if (_state is ConnectionState.Closing or ConnectionState.Draining) return ConnectionTimer.Close;
            SyncDerivedTimers();
            return _deadlines.Next();
        }
    }

    /// <summary>The next time <see cref="HandleTimeout"/> must be called, or null.</summary>
    public long? PollTimeout()
    {
        if (_state == ConnectionState.Closed) return null;
        // RFC 9000 §10.2: while closing or draining only the end of that period matters.
        if (_state is ConnectionState.Closing or ConnectionState.Draining) return TimerTable.Coarse(_deadlines[ConnectionTimer.Close]);
        SyncDerivedTimers();
        long t = _deadlines.Earliest();
        return t == TimerTable.Unset ? null : t;
    }

    /// <summary>
    /// Copies into the table the deadlines other objects own: the path's loss detection timer, each space's ACK
    /// deadline and the earliest plugin timer. RFC 9002 §6.2.2.1: a server blocked by the anti-amplification
    /// limit arms neither (it could not send what they would trigger).
    /// </summary>
    private void SyncDerivedTimers()
    {
        bool blocked = AmplificationBlocked;
        _deadlines.Set(ConnectionTimer.LossDetection, blocked ? null : NextLossDetectionDeadline());
        for (int i = 0; i < _spaces.Length; i++)
        {
            var s = _spaces[i];
            _deadlines.Set(ConnectionTimer.AckInitial + i, blocked || s.Discarded ? null : s.Numbers.Acks.AckDeadlineUs);
        }
        _deadlines.Set(ConnectionTimer.Plugin, _timers.Count > 0 ? NextPluginTimer() : null);
        if (_mp is not null)
        {
            // The other paths' ACK deadlines share the Application slot; their validation and abandonment have one.
            if (NextPathAckDeadline() is { } ack && ack < _deadlines[ConnectionTimer.AckApplication]) _deadlines.Set(ConnectionTimer.AckApplication, ack);
            _deadlines.Set(ConnectionTimer.Paths, NextPathDeadline());
        }
    }

    /// <summary>Runs timers due at <paramref name="nowUs"/> (loss detection, PTO, ACK delay, idle, pacing).</summary>
    public void HandleTimeout(long nowUs)
    {
        _lastNowUs = nowUs;
        if (_state == ConnectionState.Closed) return;
        if (_state is ConnectionState.Closing or ConnectionState.Draining)
        {
            if (_deadlines.IsDue(ConnectionTimer.Close, nowUs)) FinishClose();
            return;
        }
        SyncDerivedTimers();
        if (_deadlines.IsDue(ConnectionTimer.Handshake, nowUs))
        {
            // Dropped silently, as on idle timeout: the peer may not even own its address.
            SetCloseInfo((ulong)TransportErrorCode.NoError, "handshake timeout", isApplication: false, isLocal: true, idle: false);
            FinishClose();
            return;
        }
        if (_deadlines.IsDue(ConnectionTimer.Idle, nowUs))
        {
            // RFC 9000 §10.1: silently closed; no packet is sent.
            SetCloseInfo((ulong)TransportErrorCode.NoError, "idle timeout", isApplication: false, isLocal: true, idle: true);
            FinishClose();
            return;
        }
        if (_deadlines.IsDue(ConnectionTimer.LossDetection, nowUs))
        {
            if (_mp is null) OnLossDetectionTimeout(nowUs, _path);
            else
                foreach (var p in _mp.Paths)
                    if (p is { Abandoned: false } && p.Recovery.LossDetectionTimerUs <= nowUs) OnLossDetectionTimeout(nowUs, p);
        }
        if (_deadlines.IsDue(ConnectionTimer.Paths, nowUs)) OnPathTimers(nowUs);
        if (_deadlines.IsDue(ConnectionTimer.PathValidation, nowUs)) OnPathValidationTimeout(nowUs);
        if (_deadlines.IsDue(ConnectionTimer.KeyDiscard, nowUs)) DiscardOldKeys();
        if (_deadlines.IsDue(ConnectionTimer.ZeroRttDiscard, nowUs))
        {
            _zeroRttReceiveKeys = null; // RFC 9001 §4.9.3
            _deadlines.Stop(ConnectionTimer.ZeroRttDiscard);
        }
        if (_deadlines.IsDue(ConnectionTimer.Plugin, nowUs)) RunPluginTimers(nowUs);
        if (_deadlines.IsDue(ConnectionTimer.Pacing, nowUs)) _deadlines.Stop(ConnectionTimer.Pacing);
        // ACK and first-flight deadlines need no action here: PollTransmit sends what is due.
    }

    /// <summary>RFC 9002 §6.2: the loss detection timer of <paramref name="path"/> fired — declare packets lost by time, or send PTO probes.</summary>
    private void OnLossDetectionTimeout(long nowUs, PathState path)
    {
        _timeoutLost.Clear();
        var action = path.Recovery.OnLossDetectionTimeout(nowUs, _timeoutLost);
        foreach (var p in _timeoutLost) OnPacketLost(p, path);
        ReturnToPool(_timeoutLost);
        if (_qlog is not null) QlogCongestionState(nowUs, path);
        if (action.ProbeCount == 0) return;
        Statistics.PtoCount++;
        if (_handshakeComplete) CheckPmtuBlackHole(path, nowUs);
        if (_mp is not null && _handshakeConfirmed)
        {
            OnPathTimeout(nowUs, path, action.ProbeCount);
            return;
        }
        var space = _spaces[(int)action.Space];
        if (!space.Discarded) space.ProbesPending = Math.Max(space.ProbesPending, action.ProbeCount);
        else _spaces[2].ProbesPending = Math.Max(_spaces[2].ProbesPending, action.ProbeCount);
        RequeueCryptoForProbe(space);
        // RFC 9002 §6.2.4: also probe the other spaces with data in flight, coalesced in the same datagram,
        // "because the peer might only have receive keys for one of the two": a server whose ServerHello
        // (Initial) was lost but whose Handshake packets arrived must resend the Initial too; a client whose
        // Finished arrived (the server dropped its Handshake keys) but whose 1-RTT data and the server's
        // HANDSHAKE_DONE were lost must also send 1-RTT, or it probes a space the server can no longer read.
        for (var other = PacketSpace.Initial; other <= PacketSpace.Application; other++)
        {
            var o = _spaces[(int)other];
            if (other == action.Space || o.Discarded || o.SendKeys is null || _path.Recovery.AckElicitingInFlightIn(other) == 0) continue;
            o.ProbesPending = Math.Max(o.ProbesPending, action.ProbeCount);
            RequeueCryptoForProbe(o);
        }
        var app = _spaces[(int)PacketSpace.Application];
        if (app.ProbesPending > 0 && !app.Discarded) RequeueForApplicationProbe(_path, app.ProbesPending);
    }

    /// <summary>
    /// RFC 9002 §6.2.4: a probe should carry new data or retransmit what is in flight; for the
    /// handshake spaces we resend the unacknowledged CRYPTO data so a lost flight recovers in one PTO.
    /// </summary>
    /// <summary>
    /// RFC 9002 §6.2.4: "Previously sent data MAY be sent if no new data can be sent." An Application Data probe
    /// resends the frames of the oldest ack-eliciting packets in flight — about <paramref name="datagrams"/>
    /// datagrams' worth — and of the newest one (they stay in flight; whichever copy is acknowledged first
    /// counts), so a lost tail (a FIN, HANDSHAKE_DONE, a response behind requests whose ACKs were lost) is
    /// recovered by the probes themselves even when the peer's acknowledgments are lost too.
    /// </summary>
    private void RequeueForApplicationProbe(PathState path, int datagrams)
    {
        path.Recovery.ProbeCandidates(PacketSpace.Application, (long)datagrams * path.DatagramSize, _probeScratch);
        foreach (var p in _probeScratch) RequeueFrames(p, dataOnly: true);
        _probeScratch.Clear();
    }

    private static void RequeueCryptoForProbe(PacketSpaceState space)
    {
        if (space.Space == PacketSpace.Application || space.Discarded) return;
        space.CryptoSend.RequeueUnacknowledged();
    }

    private void EnterClosing(long nowUs, ulong code, string reason, bool isApplication, ulong frameType, bool isLocal)
    {
        if (_state is ConnectionState.Closing or ConnectionState.Draining or ConnectionState.Closed) return;
        SetCloseInfo(code, reason, isApplication, isLocal, idle: false);
        bool anyKeys = false;
        foreach (var s in _spaces) anyKeys |= !s.Discarded && s.SendKeys is not null;
        if (!anyKeys) { FinishClose(); return; }
        _state = ConnectionState.Closing;
        NotifyStateChange();
        // RFC 9000 §10.2: stay in the closing state for three PTOs.
        _close.BeginClosing(code, reason, isApplication, frameType);
        _deadlines.Set(ConnectionTimer.Close, nowUs + 3 * LargestPto()); // draft-ietf-quic-multipath-21 §2.6: the largest PTO
        _deadlines.StopAllBut(ConnectionTimer.Close);
    }

    /// <summary>
    /// Code inside this connection failed unexpectedly (a bug, or a callback that threw): its state
    /// can no longer be trusted, so it closes with INTERNAL_ERROR (RFC 9000 §20.1) and processes
    /// nothing more. If even the close cannot be built, it ends at once. The endpoint calls this.
    /// </summary>
    internal void Fault(long nowUs, Exception error)
    {
        NoteActivity();
        if (_state == ConnectionState.Closed) return;
        try
        {
            if (_state is ConnectionState.Handshaking or ConnectionState.Connected)
                EnterClosing(nowUs, (ulong)TransportErrorCode.InternalError, "internal error", isApplication: false, frameType: 0, isLocal: true);
            else
                FinishClose();
        }
        catch (Exception)
        {
            _state = ConnectionState.Closed;
            try { UnregisterConnectionIds(); } catch (Exception) { /* already failing: the endpoint forgets it anyway */ }
            StopQlog();
            _registry?.HandshakeEnded(this);
        }
        FaultError ??= error;
    }

    /// <summary>Where this connection's unpredictable values come from (the CSPRNG unless a simulation seeded it).</summary>
    internal RandomSource Randomness => _rng;

    /// <summary>Largest 1-RTT (application space) packet number received, for tests.</summary>
    internal ulong? LargestApplicationPacketReceived => _spaces[(int)Recovery.PacketSpace.Application].Numbers.LargestReceived;

    /// <summary>1-RTT packet numbers skipped so far (RFC 9000 §21.4).</summary>
    internal long PacketNumbersSkipped => _pnSkipper.Skipped;

    /// <summary>The unexpected exception that closed this connection (<see cref="Fault"/>), if any.</summary>
    public Exception? FaultError { get; private set; }

    /// <summary>A datagram arrived while closing: maybe answer it (RFC 9000 §10.2.1, <see cref="CloseState.NoteDatagram"/>).</summary>
    private void NoteDatagramWhileClosing(bool currentPath) => _close.NoteDatagram(currentPath);

    private void EnterDraining(long nowUs, ulong code, string reason, bool isApplication, bool isLocal)
    {
        if (_state is ConnectionState.Draining or ConnectionState.Closed) return;
        if (_state != ConnectionState.Closing) SetCloseInfo(code, reason, isApplication, isLocal, idle: false);
        _state = ConnectionState.Draining;
        NotifyStateChange();
        _close.BeginDraining();
        _deadlines.Set(ConnectionTimer.Close, nowUs + 3 * LargestPto()); // draft-ietf-quic-multipath-21 §2.6: the largest PTO
        _deadlines.StopAllBut(ConnectionTimer.Close);
    }

    private void SetCloseInfo(ulong code, string reason, bool isApplication, bool isLocal, bool idle)
    {
        if (!_close.TryReport()) return;
        var e = new ConnectionEvent(ConnectionEventKind.Closed, ErrorCode: code, Reason: reason,
            IsApplicationError: isApplication, IsLocal: isLocal, Data: idle ? IdleMarker : null);
        CloseInfo = e;
        Raise(e);
        _qlog?.ConnectionClosed(_lastNowUs, isLocal, code, isApplication, reason);
        if (Operations.IsHooked(Pliant.Quic.Operations.OperationId.ConnOnClosed))
            Operations.Invoke(Pliant.Quic.Operations.OperationId.ConnOnClosed, 0, code);
    }

    /// <summary>Marks a Closed event caused by the idle timeout (Data is this array).</summary>
    internal static readonly byte[] IdleMarker = [0x1d, 0x1e];

    /// <summary>True if the connection ended by idle timeout.</summary>
    public bool ClosedByIdleTimeout => CloseInfo is { Data: var d } && ReferenceEquals(d, IdleMarker);

    /// <summary>Pool chunks this connection's stream and CRYPTO buffers hold now (diagnostics and tests).</summary>
    internal int PooledChunksHeld
    {
        get
        {
            int n = _streams.ChunksHeld;
            foreach (var space in _spaces) n += space.CryptoSend.ChunksHeld + space.CryptoReceive.ChunksHeld;
            return n;
        }
    }

    private void FinishClose()
    {
        _state = ConnectionState.Closed;
        _deadlines.StopAll();
        _registry?.HandshakeEnded(this);
        UnregisterConnectionIds();
        _streams.OnConnectionClosed();
        // Nothing is sent or received any more: every pooled buffer goes back to the pool now, not to the
        // garbage collector with the connection (a short connection's chunks were allocated afresh each time).
        _streams.ReleaseBuffers();
        foreach (var space in _spaces) space.ReleaseBuffers();
        StopQlog();
    }
}
