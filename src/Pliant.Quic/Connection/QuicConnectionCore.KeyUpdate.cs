using Pliant.Quic.Crypto;

namespace Pliant.Quic.Connection;

// 1-RTT key update (RFC 9001 §6): initiating, answering, and keeping the previous keys a while.
public sealed partial class QuicConnectionCore
{
    private PacketKeys? _nextReceiveKeys;
    private PacketKeys? _previousReceiveKeys;
    private bool _receiveKeyPhase;
    private bool _sendKeyPhase;
    /// <summary>A packet of the current phase was acknowledged, so another update may start (RFC 9001 §6.1).</summary>
    private bool _keyUpdateAcked = true;
    private int _keyUpdates;

    /// <summary>Picks the keys for a 1-RTT packet by its key phase bit (RFC 9001 §6.3).</summary>
    private PacketKeys? SelectReceiveKeys(bool phase, ulong pn, PacketNumberSpace numbers, out bool candidateUpdate)
    {
        candidateUpdate = false;
        var current = _spaces[2].ReceiveKeys;
        if (phase == _receiveKeyPhase)
        {
            return current;
        }
        // A different phase: either a late packet from the previous phase, or the peer updated.
        if (_previousReceiveKeys is not null && pn < numbers.ReceivePhaseFirstPn) return _previousReceiveKeys;
        if (!_handshakeConfirmed && IsClient && !_handshakeComplete) return null;
        candidateUpdate = true;
        return _nextReceiveKeys;
    }

    private void CommitPeerKeyUpdate(long nowUs, ulong pn, PacketNumberSpace numbers)
    {
        var space = _spaces[2];
        bool peerInitiated = _sendKeyPhase == _receiveKeyPhase; // we had not moved ahead: the peer started this update
        _previousReceiveKeys = space.ReceiveKeys;
        space.ReceiveKeys = _nextReceiveKeys;
        _nextReceiveKeys = space.ReceiveKeys!.NextGeneration();
        _receiveKeyPhase = !_receiveKeyPhase;
        // Per packet number space (multipath, draft-ietf-quic-multipath-21 §2.5: numbers of different paths do not
        // compare): old-phase packets of other paths below what they already delivered are late ones.
        ForEachApplicationSpace(s => s.ReceivePhaseFirstPn = (s.LargestReceived ?? 0) + 1);
        numbers.ReceivePhaseFirstPn = pn;
        // RFC 9001 §6.5: keep the old keys for about three PTOs for reordered packets.
        _deadlines.Set(ConnectionTimer.KeyDiscard, nowUs + 3 * _path.Rtt.PtoBase);
        if (_sendKeyPhase != _receiveKeyPhase)
        {
            // RFC 9001 §6.2: the peer initiated; answer by updating our send keys too.
            space.SendKeys = space.SendKeys!.NextGeneration();
            _sendKeyPhase = _receiveKeyPhase;
            MarkSendPhaseStart();
            _keyUpdateAcked = false;
            _qlog?.KeyUpdated(nowUs, clientSecret: IsClient, _keyUpdates + 1, local: false);
        }
        _keyUpdates++;
        _qlog?.KeyUpdated(nowUs, clientSecret: !IsClient, _keyUpdates, local: !peerInitiated);
    }

    private bool TryInitiateKeyUpdate()
    {
        var space = _spaces[2];
        // RFC 9001 §6.1: not before the handshake is confirmed, and not again until a packet of the
        // current phase was acknowledged.
        if (!_handshakeConfirmed || space.SendKeys is null || !_keyUpdateAcked || _sendKeyPhase != _receiveKeyPhase)
            return false;
        space.SendKeys = space.SendKeys.NextGeneration();
        _sendKeyPhase = !_sendKeyPhase;
        MarkSendPhaseStart();
        _keyUpdateAcked = false;
        _qlog?.KeyUpdated(_lastNowUs, clientSecret: IsClient, _keyUpdates + 1, local: true);
        return true;
    }

    /// <summary>Our send key phase changed: in every path's space, packets from the next number on use it.</summary>
    private void MarkSendPhaseStart() => ForEachApplicationSpace(s => s.SendPhaseFirstPn = s.NextPacketNumber);

    /// <summary>Runs <paramref name="action"/> on the application-data packet number space of every path (one without multipath).</summary>
    private void ForEachApplicationSpace(Action<PacketNumberSpace> action)
    {
        if (_mp is null) { action(_path.ApplicationNumbers); return; }
        foreach (var p in _mp.Paths) if (p is not null) action(p.ApplicationNumbers);
    }

    private void DiscardOldKeys()
    {
        // The peer's previous generation (RFC 9001 §6.5); our own old send keys were replaced at the update.
        if (_previousReceiveKeys is not null)
            _qlog?.KeyDiscarded(_lastNowUs, IsClient ? "server_1rtt_secret" : "client_1rtt_secret", _keyUpdates - 1, trigger: null);
        _previousReceiveKeys = null;
        _deadlines.Stop(ConnectionTimer.KeyDiscard);
    }
}
