using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>
/// The connection IDs of one path ID (RFC 9000 §5.1; draft-ietf-quic-multipath-21 §3.2: each path ID has its own
/// sequence number space): the IDs we issued (with their stateless reset tokens, registered with the endpoint)
/// and the IDs the peer issued — the one we send to, the spares, Retire Prior To, and the retirements we owe.
/// Path 0 uses NEW_CONNECTION_ID / RETIRE_CONNECTION_ID; other path IDs their PATH_ variants.
/// </summary>
/// <remarks>
/// Memory bounds: at most min(peer's active_connection_id_limit, 8) IDs of ours; at most our
/// active_connection_id_limit of the peer's (more is CONNECTION_ID_LIMIT_ERROR); retirements owed or in flight
/// and remembered retired sequence numbers each at most twice our limit.
/// </remarks>
internal sealed class ConnectionIdState(QuicConnectionCore owner, IConnectionIdRegistry? registry, RandomSource rng,
    int idLength, int ourActiveLimit, uint pathId = 0)
{
    /// <summary>The path ID these connection IDs belong to.</summary>
    public uint PathId => pathId;

    private sealed class LocalCid(ulong sequence, ConnectionId id, byte[] resetToken)
    {
        public ulong Sequence { get; } = sequence;
        public ConnectionId Id { get; } = id;
        public byte[] ResetToken { get; } = resetToken;
        /// <summary>NEW_CONNECTION_ID must be (re)sent.</summary>
        public bool Pending;
    }

    private sealed record PeerCid(ulong Sequence, ConnectionId Id, byte[]? ResetToken);

    private readonly List<LocalCid> _local = [];
    private readonly List<PeerCid> _peer = [];
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
    private ulong _nextLocalSequence;
    private ulong _peerRetirePriorTo;

    /// <summary>True once the peer gave us a connection ID for this path ID (a path can use it).</summary>
    public bool HasPeerId => _peer.Count > 0;

    /// <summary>True once we issued connection IDs for this path ID.</summary>
    public bool HasLocalIds => _local.Count > 0;

    /// <summary>True when <paramref name="id"/> is one of the connection IDs we issued for this path ID.</summary>
    public bool OwnsLocal(ConnectionId id)
    {
        foreach (var c in _local) if (c.Id == id) return true;
        return false;
    }

    /// <summary>
    /// draft-ietf-quic-multipath-21 §3.4: after PATH_ABANDON every connection ID the peer gave for the path is
    /// retired at once (nothing more is sent on it, and their reset tokens no longer count).
    /// </summary>
    public void ForgetPeerIds()
    {
        _peer.Clear();
        _retireQueue.Clear();
        Current = default;
    }

    /// <summary>The peer's connection ID we send to now.</summary>
    public ConnectionId Current { get; private set; }

    private ulong CurrentSequence { get; set; }

    /// <summary>The peer's active_connection_id_limit (capped at 8): how many of ours it accepts.</summary>
    public int PeerActiveLimit { get; set; } = 2;

    /// <summary>Server: the Destination Connection ID of the client's first Initial, also routed to us until closed.</summary>
    public ConnectionId ClientInitialDcid { get; set; }

    /// <summary>The stateless reset token of our first connection ID (the stateless_reset_token transport parameter).</summary>
    public byte[] FirstResetToken => _local[0].ResetToken;

    /// <summary>Every connection ID that reaches us (ours, and a server's client-chosen first one).</summary>
    public IEnumerable<ConnectionId> LocalIds
    {
        get
        {
            foreach (var c in _local) yield return c.Id;
            if (ClientInitialDcid.Length > 0) yield return ClientInitialDcid;
        }
    }

    /// <summary>Issues our first connection ID (initial_source_connection_id).</summary>
    public ConnectionId IssueFirst() => NewLocal().Id;

    private LocalCid NewLocal()
    {
        var id = registry?.Generator is { } generator ? generator.Generate() : ConnectionId.Random(idLength, rng);
        var token = new byte[16];
        if (registry is not null) registry.DeriveResetToken(id, token);
        else rng.Fill(token);
        var cid = new LocalCid(_nextLocalSequence++, id, token);
        _local.Add(cid);
        registry?.Register(id, owner);
        return cid;
    }

    /// <summary>Issues spare connection IDs up to the peer's active_connection_id_limit (RFC 9000 §5.1.1).</summary>
    public void TopUp()
    {
        int limit = Math.Min(PeerActiveLimit, 8);
        while (_local.Count < limit) NewLocal().Pending = true;
    }

    /// <summary>The peer's first connection ID (sequence 0): what we send to until it issues others.</summary>
    public void StartPeer(ConnectionId id)
    {
        _peer.Clear();
        _peer.Add(new PeerCid(0, id, null));
        Current = id;
    }

    /// <summary>RFC 9000 §7.2: the client switches to the server's chosen ID (sequence 0 still, its reset token kept).</summary>
    public void ReplaceFirstPeer(ConnectionId id)
    {
        _peer[0] = new PeerCid(0, id, _peer[0].ResetToken);
        Current = id;
    }

    /// <summary>The server's stateless_reset_token transport parameter belongs to its first connection ID.</summary>
    public void SetFirstPeerResetToken(byte[] token) => _peer[0] = _peer[0] with { ResetToken = token };

    /// <summary>A NEW_CONNECTION_ID frame (RFC 9000 §19.15).</summary>
    /// <exception cref="QuicProtocolException">The frame breaks §19.15 or §5.1.1.</exception>
    public void OnNewConnectionId(in NewConnectionIdFrame f) =>
        OnNewConnectionId(f.SequenceNumber, f.RetirePriorTo, f.ConnectionId, f.StatelessResetToken, (ulong)FrameType.NewConnectionId);

    /// <summary>A PATH_NEW_CONNECTION_ID frame for this path ID (draft-ietf-quic-multipath-21 §4.4: RFC 9000 §19.15 per path).</summary>
    /// <exception cref="QuicProtocolException">The frame breaks §19.15 or §5.1.1 within its path ID.</exception>
    public void OnNewConnectionId(in PathNewConnectionIdFrame f) =>
        OnNewConnectionId(f.SequenceNumber, f.RetirePriorTo, f.ConnectionId, f.StatelessResetToken, (ulong)FrameType.PathNewConnectionId);

    private void OnNewConnectionId(ulong sequence, ulong retirePriorTo, ConnectionId id, ReadOnlySpan<byte> resetToken, ulong frameType)
    {
        // RFC 9000 §19.15: a peer that uses a zero-length CID must not send this frame (multipath needs non-zero ones).
        if (pathId == 0 && Current.Length == 0)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "NEW_CONNECTION_ID with zero-length connection IDs", frameType);
        foreach (var p in _peer)
        {
            if (p.Sequence == sequence)
            {
                if (p.Id != id)
                    throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "connection ID sequence number reused", frameType);
                return;
            }
        }
        if (sequence < _peerRetirePriorTo)
        {
            // RFC 9000 §19.15: a CID already covered by Retire Prior To is retired right away.
            QueueRetire(sequence, frameType);
            return;
        }
        // RFC 9000 §19.15: a repeated frame is not an error; a late copy for an ID we already retired is ignored.
        if (_retiredPeerSequences.Contains(sequence)) return;
        _peer.Add(new PeerCid(sequence, id, resetToken.ToArray()));
        if (_peer.Count == 1 && Current.Length == 0)
        {
            // The first ID for a path ID other than 0: what a path with this ID sends to.
            Current = id;
            CurrentSequence = sequence;
        }
        if (retirePriorTo > _peerRetirePriorTo)
        {
            _peerRetirePriorTo = retirePriorTo;
            for (int i = _peer.Count - 1; i >= 0; i--)
            {
                if (_peer[i].Sequence < _peerRetirePriorTo)
                {
                    QueueRetire(_peer[i].Sequence, frameType);
                    _peer.RemoveAt(i);
                }
            }
            if (CurrentSequence < _peerRetirePriorTo) SwitchToNext();
        }
        // RFC 9000 §5.1.1: more active IDs than our limit is CONNECTION_ID_LIMIT_ERROR.
        if (_peer.Count > ourActiveLimit)
            throw new QuicProtocolException(TransportErrorCode.ConnectionIdLimitError, "too many active connection IDs", frameType);
    }

    /// <summary>
    /// Queues RETIRE_CONNECTION_ID for <paramref name="sequence"/> (once). RFC 9000 §5.1.2: retirements not
    /// yet acknowledged are bounded — at twice our active_connection_id_limit — and a peer that makes
    /// us owe more (e.g. NEW_CONNECTION_ID frames below Retire Prior To, over and over) is closed with
    /// CONNECTION_ID_LIMIT_ERROR instead of growing this queue.
    /// </summary>
    private void QueueRetire(ulong sequence, ulong frameType = (ulong)FrameType.NewConnectionId)
    {
        if (_retireQueue.Contains(sequence) || _retiresInFlight.Contains(sequence)) return;
        if (_retireQueue.Count + _retiresInFlight.Count >= 2 * Math.Max(2, ourActiveLimit))
            throw new QuicProtocolException(TransportErrorCode.ConnectionIdLimitError, "too many connection IDs to retire", frameType);
        _retireQueue.Add(sequence);
        _retiredPeerSequences.RemoveAll(s => s < _peerRetirePriorTo);
        if (sequence >= _peerRetirePriorTo && !_retiredPeerSequences.Contains(sequence))
        {
            if (_retiredPeerSequences.Count >= 2 * Math.Max(2, ourActiveLimit)) _retiredPeerSequences.RemoveAt(0);
            _retiredPeerSequences.Add(sequence);
        }
    }

    /// <summary>Our RETIRE_CONNECTION_ID for <paramref name="sequence"/> was acknowledged.</summary>
    public void OnRetireAcked(ulong sequence) => _retiresInFlight.Remove(sequence);

    /// <summary>Our RETIRE_CONNECTION_ID for <paramref name="sequence"/> was lost: it is owed again.</summary>
    public void OnRetireLost(ulong sequence)
    {
        if (_retiresInFlight.Remove(sequence) && !_retireQueue.Contains(sequence)) _retireQueue.Add(sequence);
    }

    /// <summary>Our NEW_CONNECTION_ID for <paramref name="sequence"/> was lost: it is sent again (if the ID still exists).</summary>
    public void OnNewConnectionIdLost(ulong sequence)
    {
        foreach (var c in _local) if (c.Sequence == sequence) c.Pending = true;
    }

    /// <summary>Moves to the peer's next unused connection ID and retires the current one; false when it has none to spare.</summary>
    public bool SwitchToNext()
    {
        PeerCid? next = null;
        foreach (var p in _peer)
            if (p.Sequence != CurrentSequence && (next is null || p.Sequence < next.Sequence)) next = p;
        if (next is null) return false;
        if (_peer.Find(p => p.Sequence == CurrentSequence) is { } old)
        {
            _peer.Remove(old);
            QueueRetire(old.Sequence);
        }
        Current = next.Id;
        CurrentSequence = next.Sequence;
        return true;
    }

    /// <summary>A RETIRE_CONNECTION_ID frame (RFC 9000 §19.16) that arrived in a packet sent to <paramref name="packetDcid"/>.</summary>
    /// <returns>True when one of our IDs was retired (the caller may issue a replacement).</returns>
    /// <exception cref="QuicProtocolException">The frame breaks §19.16.</exception>
    public bool OnRetireConnectionId(ulong sequence, ConnectionId packetDcid, ulong frameType = (ulong)FrameType.RetireConnectionId)
    {
        // RFC 9000 §19.16: retiring a sequence number we never sent is a PROTOCOL_VIOLATION, and so
        // is retiring the CID the packet was sent to.
        if (sequence >= _nextLocalSequence)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "retired a connection ID never issued", frameType);
        int index = _local.FindIndex(c => c.Sequence == sequence);
        if (index < 0) return false;
        if (_local[index].Id == packetDcid)
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "retired the connection ID in use by this packet", frameType);
        registry?.Unregister(_local[index].Id);
        _local.RemoveAt(index);
        return true;
    }

    /// <summary>True when the last 16 bytes of a datagram match a stateless reset token the peer gave us (RFC 9000 §10.3.1).</summary>
    public bool IsStatelessReset(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < 21) return false;
        var tail = datagram[^16..];
        foreach (var p in _peer)
        {
            if (p.ResetToken is { } t && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(t, tail))
                return true;
        }
        return false;
    }

    /// <summary>Our IDs no longer reach this connection (it closed).</summary>
    public void UnregisterAll()
    {
        if (registry is null) return;
        foreach (var c in _local) registry.Unregister(c.Id);
        if (ClientInitialDcid.Length > 0) registry.Unregister(ClientInitialDcid);
    }

    /// <summary>NEW_CONNECTION_ID or RETIRE_CONNECTION_ID frames are waiting to be sent.</summary>
    public bool HasPendingFrames => _retireQueue.Count > 0 || _local.Exists(c => c.Pending);

    /// <summary>Writes the NEW_CONNECTION_ID and RETIRE_CONNECTION_ID frames that fit; returns the bytes written.</summary>
    public int WriteFrames(Span<byte> dest, List<SentFrame> frames)
    {
        int pos = 0;
        foreach (var c in _local)
        {
            if (!c.Pending) continue;
            int n = pathId == 0
                ? WireFrames.WriteIfFits(dest[pos..], new NewConnectionIdFrame(c.Sequence, 0, c.Id, c.ResetToken))
                : WireFrames.WriteIfFits(dest[pos..], new PathNewConnectionIdFrame(pathId, c.Sequence, 0, c.Id, c.ResetToken));
            if (n == 0) break;
            pos += n;
            c.Pending = false;
            frames.Add(new SentFrame(SentFrameKind.NewConnectionId, StreamId: pathId, Value: c.Sequence));
        }
        while (_retireQueue.Count > 0)
        {
            ulong seq = _retireQueue[^1];
            int n = pathId == 0
                ? WireFrames.WriteIfFits(dest[pos..], new RetireConnectionIdFrame(seq))
                : WireFrames.WriteIfFits(dest[pos..], new PathRetireConnectionIdFrame(pathId, seq));
            if (n == 0) break;
            pos += n;
            _retireQueue.RemoveAt(_retireQueue.Count - 1);
            _retiresInFlight.Add(seq);
            frames.Add(new SentFrame(SentFrameKind.RetireConnectionId, StreamId: pathId, Value: seq));
        }
        return pos;
    }
}
