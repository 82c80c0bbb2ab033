using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

// Connection IDs (RFC 9000 §5.1): the ones we issue, the ones the peer issued, and their retirement.
public sealed partial class QuicConnectionCore
{
    private sealed class LocalCid(ulong sequence, ConnectionId id, byte[] resetToken)
    {
        public ulong Sequence { get; } = sequence;
        public ConnectionId Id { get; } = id;
        public byte[] ResetToken { get; } = resetToken;
        /// <summary>NEW_CONNECTION_ID must be (re)sent.</summary>
        public bool Pending;
    }

    private sealed record PeerCid(ulong Sequence, ConnectionId Id, byte[]? ResetToken);

    private readonly List<LocalCid> _localCids = [];
    private readonly List<PeerCid> _peerCids = [];
    /// <summary>Sequence numbers of peer CIDs we must retire (RETIRE_CONNECTION_ID pending).</summary>
    private readonly List<ulong> _retireQueue = [];
    /// <summary>Sequence numbers whose RETIRE_CONNECTION_ID was sent and is not acknowledged yet.</summary>
    private readonly List<ulong> _retiresInFlight = [];
    /// <summary>
    /// The most recently retired peer sequence numbers at or above Retire Prior To (those below it are covered by
    /// it), so a late copy of their NEW_CONNECTION_ID does not bring them back (RFC 9000 §5.1.2, §19.15).
    /// Bounded like the retire queue, at twice our active_connection_id_limit; the oldest goes first.
    /// </summary>
    private readonly List<ulong> _retiredPeerSequences = [];
    private ulong _nextLocalCidSequence;
    private ulong _peerRetirePriorTo;
    private ConnectionId _dcid;
    private ulong _dcidSequence;
    private ConnectionId _originalDcid;
    private ConnectionId _initialScid;
    private ConnectionId? _retryScid;
    private ConnectionId _clientInitialDcid;
    private int _peerActiveCidLimit = 2;

    /// <summary>The connection ID we chose for ourselves first (initial_source_connection_id).</summary>
    public ConnectionId LocalConnectionId => _initialScid;

    /// <summary>The connection ID we currently send to.</summary>
    public ConnectionId RemoteConnectionId => _dcid;

    internal IEnumerable<ConnectionId> LocalConnectionIds
    {
        get
        {
            foreach (var c in _localCids) yield return c.Id;
            if (_clientInitialDcid.Length > 0) yield return _clientInitialDcid;
        }
    }

    private ConnectionId IssueFirstLocalCid()
    {
        var cid = NewLocalCid();
        return cid.Id;
    }

    private LocalCid NewLocalCid()
    {
        var id = _registry?.Generator is { } generator ? generator.Generate() : ConnectionId.Random(_options.ConnectionIdLength, _rng);
        var token = new byte[16];
        if (_registry is not null) _registry.DeriveResetToken(id, token);
        else _rng.Fill(token);
        var cid = new LocalCid(_nextLocalCidSequence++, id, token);
        _localCids.Add(cid);
        _registry?.Register(id, this);
        return cid;
    }

    /// <summary>Issues spare connection IDs up to the peer's active_connection_id_limit (RFC 9000 §5.1.1).</summary>
    private void TopUpLocalCids()
    {
        int limit = Math.Min(_peerActiveCidLimit, 8);
        while (_localCids.Count < limit)
        {
            var cid = NewLocalCid();
            cid.Pending = true;
        }
    }

    private void OnNewConnectionId(in NewConnectionIdFrame f)
    {
        // RFC 9000 §19.15: a peer that uses a zero-length CID must not send this frame.
        if (_dcid.Length == 0)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "NEW_CONNECTION_ID with zero-length connection IDs", 0x18);
        foreach (var p in _peerCids)
        {
            if (p.Sequence == f.SequenceNumber)
            {
                if (p.Id != f.ConnectionId)
                    throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "connection ID sequence number reused", 0x18);
                return;
            }
        }
        if (f.SequenceNumber < _peerRetirePriorTo)
        {
            // RFC 9000 §19.15: a CID already covered by Retire Prior To is retired right away.
            QueueRetire(f.SequenceNumber);
            return;
        }
        // RFC 9000 §19.15: a repeated frame is not an error; a late copy for an ID we already retired is ignored.
        if (_retiredPeerSequences.Contains(f.SequenceNumber)) return;
        _peerCids.Add(new PeerCid(f.SequenceNumber, f.ConnectionId, f.StatelessResetToken.ToArray()));
        if (f.RetirePriorTo > _peerRetirePriorTo)
        {
            _peerRetirePriorTo = f.RetirePriorTo;
            for (int i = _peerCids.Count - 1; i >= 0; i--)
            {
                if (_peerCids[i].Sequence < _peerRetirePriorTo)
                {
                    QueueRetire(_peerCids[i].Sequence);
                    _peerCids.RemoveAt(i);
                }
            }
            if (_dcidSequence < _peerRetirePriorTo) SwitchToNextPeerCid();
        }
        // RFC 9000 §5.1.1: more active IDs than our limit is CONNECTION_ID_LIMIT_ERROR.
        if (_peerCids.Count > _options.ActiveConnectionIdLimit)
            throw new QuicProtocolException(TransportErrorCode.ConnectionIdLimitError, "too many active connection IDs", 0x18);
    }

    /// <summary>
    /// Queues RETIRE_CONNECTION_ID for <paramref name="sequence"/> (once). RFC 9000 §5.1.2: retirements not
    /// yet acknowledged are bounded — at twice our active_connection_id_limit — and a peer that makes
    /// us owe more (e.g. NEW_CONNECTION_ID frames below Retire Prior To, over and over) is closed with
    /// CONNECTION_ID_LIMIT_ERROR instead of growing this queue.
    /// </summary>
    private void QueueRetire(ulong sequence)
    {
        if (_retireQueue.Contains(sequence) || _retiresInFlight.Contains(sequence)) return;
        if (_retireQueue.Count + _retiresInFlight.Count >= 2 * Math.Max(2, _options.ActiveConnectionIdLimit))
            throw new QuicProtocolException(TransportErrorCode.ConnectionIdLimitError, "too many connection IDs to retire", 0x18);
        _retireQueue.Add(sequence);
        _retiredPeerSequences.RemoveAll(s => s < _peerRetirePriorTo);
        if (sequence >= _peerRetirePriorTo && !_retiredPeerSequences.Contains(sequence))
        {
            if (_retiredPeerSequences.Count >= 2 * Math.Max(2, _options.ActiveConnectionIdLimit)) _retiredPeerSequences.RemoveAt(0);
            _retiredPeerSequences.Add(sequence);
        }
    }

    private void OnRetireAcked(ulong sequence) => _retiresInFlight.Remove(sequence);

    private void OnRetireLost(ulong sequence)
    {
        if (_retiresInFlight.Remove(sequence) && !_retireQueue.Contains(sequence)) _retireQueue.Add(sequence);
    }

    private bool SwitchToNextPeerCid()
    {
        PeerCid? next = null;
        foreach (var p in _peerCids)
            if (p.Sequence != _dcidSequence && (next is null || p.Sequence < next.Sequence)) next = p;
        if (next is null) return false;
        if (_peerCids.Find(p => p.Sequence == _dcidSequence) is { } old)
        {
            _peerCids.Remove(old);
            QueueRetire(old.Sequence);
        }
        _dcid = next.Id;
        _dcidSequence = next.Sequence;
        return true;
    }

    private void OnRetireConnectionId(ulong sequence, ConnectionId packetDcid)
    {
        // RFC 9000 §19.16: retiring a sequence number we never sent is a PROTOCOL_VIOLATION, and so
        // is retiring the CID the packet was sent to.
        if (sequence >= _nextLocalCidSequence)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "retired a connection ID never issued", 0x19);
        int index = _localCids.FindIndex(c => c.Sequence == sequence);
        if (index < 0) return;
        if (_localCids[index].Id == packetDcid)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "retired the connection ID in use by this packet", 0x19);
        _registry?.Unregister(_localCids[index].Id);
        _localCids.RemoveAt(index);
        if (_handshakeComplete) TopUpLocalCids();
    }

    /// <summary>True when the last 16 bytes of a datagram match a stateless reset token the peer gave us (RFC 9000 §10.3.1).</summary>
    private bool IsStatelessReset(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < 21) return false;
        var tail = datagram[^16..];
        foreach (var p in _peerCids)
        {
            if (p.ResetToken is { } t && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(t, tail))
                return true;
        }
        return false;
    }

    private void UnregisterAllCids()
    {
        if (_registry is null) return;
        foreach (var c in _localCids) _registry.Unregister(c.Id);
        if (_clientInitialDcid.Length > 0) _registry.Unregister(_clientInitialDcid);
    }
}
