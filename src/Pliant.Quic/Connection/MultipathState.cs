namespace Pliant.Quic.Connection;

/// <summary>
/// What a connection that negotiated multipath (draft-ietf-quic-multipath-21) knows beyond one path: the path
/// ID limits both sides announced, the connection IDs of each path ID, the open paths, and which path IDs are
/// spent. Indexed by path ID; sized by our own limit (<see cref="QuicConnectionOptions.MaxPathId"/>, at most
/// <see cref="QuicConnectionOptions.MaxPathIdLimit"/>), so the peer cannot make it grow: every path ID a frame
/// names is checked against <see cref="LocalMaxPathId"/> first (draft §4: a larger one is PROTOCOL_VIOLATION).
/// </summary>
internal sealed class MultipathState
{
    private readonly ConnectionIdState?[] _cids;
    private readonly PathState?[] _paths;
    private readonly bool[] _spent;
    private readonly ulong[] _peerStatusSequence;

    /// <summary>State for the limits announced in the transport parameters; path 0 is the handshake's.</summary>
    public MultipathState(uint localMaxPathId, uint peerMaxPathId, PathState path0, ConnectionIdState path0Cids)
    {
        LocalMaxPathId = localMaxPathId;
        PeerMaxPathId = peerMaxPathId;
        _cids = new ConnectionIdState?[localMaxPathId + 1];
        _paths = new PathState?[localMaxPathId + 1];
        _spent = new bool[localMaxPathId + 1];
        _peerStatusSequence = new ulong[localMaxPathId + 1];
        _cids[0] = path0Cids;
        _paths[0] = path0;
        _spent[0] = true;
    }

    /// <summary>The largest path ID we accept (our initial_max_path_id; we never raise it).</summary>
    public uint LocalMaxPathId { get; }

    /// <summary>The largest path ID the peer accepts (its initial_max_path_id, raised by MAX_PATH_ID).</summary>
    public uint PeerMaxPathId { get; set; }

    /// <summary>The largest path ID both sides accept: connection IDs are issued and paths opened up to it.</summary>
    public uint CommonMaxPathId => Math.Min(LocalMaxPathId, PeerMaxPathId);

    /// <summary>The connection IDs of <paramref name="pathId"/>, or null (none yet, or beyond our limit).</summary>
    public ConnectionIdState? CidsOf(uint pathId) => pathId < _cids.Length ? _cids[pathId] : null;

    /// <summary>Sets the connection-ID state of a path ID (created when IDs are first issued or received for it).</summary>
    public void SetCids(uint pathId, ConnectionIdState cids) => _cids[pathId] = cids;

    /// <summary>The open (or abandoned, not yet forgotten) path with <paramref name="pathId"/>, or null.</summary>
    public PathState? PathOf(uint pathId) => pathId < _paths.Length ? _paths[pathId] : null;

    /// <summary>Every slot, by path ID (null where no path is open).</summary>
    public ReadOnlySpan<PathState?> Paths => _paths;

    /// <summary>Opens <paramref name="path"/> under its ID; the ID is spent for good (the nonce forbids reuse, §3.4).</summary>
    public void Open(PathState path)
    {
        _paths[path.Id] = path;
        _spent[path.Id] = true;
    }

    /// <summary>Forgets an abandoned path (its ID stays spent); its connection IDs must be unregistered by the caller.</summary>
    public void Forget(uint pathId)
    {
        _paths[pathId] = null;
        _spent[pathId] = true;
    }

    /// <summary>Marks a path ID spent without a path (abandoned before use, draft §3.4).</summary>
    public void Spend(uint pathId) => _spent[pathId] = true;

    /// <summary>True when a path ID was used or abandoned: it can never carry a new path.</summary>
    public bool IsSpent(uint pathId) => pathId >= _spent.Length || _spent[pathId];

    /// <summary>The path ID one of our connection IDs belongs to, or null when it is none of ours.</summary>
    public uint? PathIdOf(Wire.ConnectionId dcid)
    {
        for (uint id = 0; id < _cids.Length; id++)
            if (_cids[id] is { } c && c.OwnsLocal(dcid)) return id;
        return null;
    }

    /// <summary>
    /// draft-ietf-quic-multipath-21 §4.3: a PATH_STATUS frame counts only if its sequence number is higher than
    /// every earlier one for the same path ID. True when <paramref name="sequence"/> is new (and records it).
    /// </summary>
    public bool TakeStatusSequence(uint pathId, ulong sequence)
    {
        // Stored plus one, so that 0 means "none yet" and sequence 0 is accepted first.
        if (sequence + 1 <= _peerStatusSequence[pathId]) return false;
        _peerStatusSequence[pathId] = sequence + 1;
        return true;
    }

    /// <summary>The lowest path ID both sides allow that is unused and has connection IDs from both sides, or null.</summary>
    public uint? NextOpenablePathId()
    {
        for (uint id = 1; id <= CommonMaxPathId && id < _paths.Length; id++)
        {
            if (_spent[id]) continue;
            if (_cids[id] is { HasPeerId: true } c && c.HasLocalIds) return id;
        }
        return null;
    }
}
