using System.Net;
using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

// Multipath QUIC (draft-ietf-quic-multipath-21): negotiation, connection IDs per path ID, opening, validating and
// abandoning paths, the multipath frames, and the choice of the path that carries the next datagram. Everything
// here runs only once both sides sent initial_max_path_id (_mp is set); without it the connection is the
// single-path one and none of this code is reached.
public sealed partial class QuicConnectionCore
{
    private MultipathState? _mp;
    private PathScheduler? _scheduler;
    private PathView[] _pathViews = [];
    private readonly List<(uint PathId, ulong ErrorCode)> _abandonsOwed = [];

    /// <summary>True once both endpoints negotiated multipath (draft-ietf-quic-multipath-21 §2).</summary>
    public bool IsMultipath => _mp is not null;

    /// <summary>
    /// The peer's transport parameters arrived: multipath is on when both sides sent initial_max_path_id
    /// (draft-ietf-quic-multipath-21 §2). §2.1: the parameter in a packet with a zero-length connection ID is a
    /// PROTOCOL_VIOLATION.
    /// </summary>
    private void NegotiateMultipath(TransportParameters peer)
    {
        MultipathParameters.CheckConnectionIdLengths(peer, _initialScid.Length, _peerInitialScid.Length);
        if (_options.MaxPathId is not uint local || peer.InitialMaxPathId is not uint remote) return;
        _mp = new MultipathState(local, remote, _path, _cids);
        _scheduler = PathScheduler.Create(_options.PathScheduler);
        _pathViews = new PathView[local + 1];
        _qlog?.TupleAssigned(_lastNowUs, 0, _path.Remote, _path.Local); // path 0: the handshake's, "tuple":"0" from now on
    }

    /// <summary>
    /// draft-ietf-quic-multipath-21 §3.2: connection IDs for every unused path ID both sides allow, so the peer
    /// can open paths (RECOMMENDED). At handshake completion and when MAX_PATH_ID raises the peer's limit.
    /// </summary>
    private void IssuePathConnectionIds()
    {
        if (_mp is not { } mp) return;
        for (uint id = 1; id <= mp.CommonMaxPathId; id++)
        {
            if (mp.IsSpent(id) && mp.PathOf(id) is null) continue; // abandoned: never again
            var cids = CidsFor(mp, id);
            if (!cids.HasLocalIds) cids.TopUp();
        }
    }

    private ConnectionIdState CidsFor(MultipathState mp, uint pathId)
    {
        if (mp.CidsOf(pathId) is { } existing) return existing;
        var cids = new ConnectionIdState(this, _registry, _rng, _options.ConnectionIdLength, _options.ActiveConnectionIdLimit, pathId)
        {
            PeerActiveLimit = _cids.PeerActiveLimit,
        };
        mp.SetCids(pathId, cids);
        return cids;
    }

    /// <summary>The peer's connection ID a packet on <paramref name="path"/> is sent to.</summary>
    private ConnectionId DestinationFor(PathState path) =>
        path.Id == 0 ? _cids.Current : _mp!.CidsOf((uint)path.Id)?.Current ?? default;

    private PathState NewPath(uint pathId, IPEndPoint remote, IPEndPoint? local)
    {
        var path = new PathState(pathId, remote, Math.Clamp(_options.MaxUdpPayloadSize, 1200, 65527), _options.CongestionControl, _rng, _coupling)
        {
            Local = local,
            // RFC 9000 §8: only a server is held to three times what it received from an unvalidated address.
            AmplificationLimited = !IsClient,
        };
        // Paths open after the handshake: their recovery has no handshake spaces and no anti-deadlock probing
        // (RFC 9002 §6.2.2.1 applies to the handshake only), and the peer's max_ack_delay holds on every path.
        path.Recovery.HandshakeConfirmed = true;
        path.Recovery.PeerCompletedAddressValidation = true;
        path.Recovery.PeerMaxAckDelayUs = _path.Recovery.PeerMaxAckDelayUs;
        ApplyPathOperations(path);
        return path;
    }

    /// <summary>A path was validated: it searches its own datagram size (RFC 9000 §14.3: per pair of addresses).</summary>
    private void OnPathValidated(PathState p)
    {
        p.Validated = true;
        (p.BytesReceived, p.BytesSent) = (0, 0);
        p.LastAckedUs = _lastNowUs;
        StartPmtuDiscovery(p, _lastNowUs);
        _qlog?.PathUpdated(_lastNowUs, p.Id, "validated");
        Raise(new ConnectionEvent(ConnectionEventKind.PathValidated, PathId: p.Id));
        PathEvent(Pliant.Quic.Operations.OperationId.PathOnValidated, p);
    }

    /// <summary>
    /// Client: opens a new path from <paramref name="local"/> to <paramref name="remote"/> (default: the server
    /// address of path 0) (draft-ietf-quic-multipath-21 §3.1): takes the lowest unused path ID for which both
    /// sides issued connection IDs and validates the path with PATH_CHALLENGE; it carries data once the
    /// PATH_RESPONSE arrives. False when multipath is not negotiated, the handshake is not confirmed, or no path
    /// ID is available yet.
    /// </summary>
    public bool TryOpenPath(long nowUs, IPEndPoint? local, out uint pathId, IPEndPoint? remote = null)
    {
        NoteActivity();
        pathId = 0;
        if (!IsClient || _mp is not { } mp || !_handshakeConfirmed || _state != ConnectionState.Connected) return false;
        // draft §2.2: with disable_active_migration, no new path to the server's handshake address.
        if (_peerParameters?.DisableActiveMigration == true && (remote is null || remote.Equals(_path.Remote))) return false;
        if (mp.NextOpenablePathId() is not uint id) return false;
        var path = NewPath(id, remote ?? _path.Remote, local);
        mp.Open(path);
        StartPathChallenge(nowUs, path);
        QlogPathOpened(nowUs, path);
        Raise(new ConnectionEvent(ConnectionEventKind.PathOpened, PathId: id));
        PathEvent(Pliant.Quic.Operations.OperationId.PathOnNew, path);
        pathId = id;
        return true;
    }

    /// <summary>
    /// Abandons path <paramref name="pathId"/> (draft-ietf-quic-multipath-21 §3.4): PATH_ABANDON goes to the peer
    /// on another path, nothing more is sent on this one, and what was in flight on it is sent again elsewhere.
    /// False when there is no such open path.
    /// </summary>
    public bool AbandonPath(long nowUs, uint pathId, ulong errorCode = (ulong)TransportErrorCode.ApplicationAbandonPath)
    {
        NoteActivity();
        if (_mp?.PathOf(pathId) is not { Abandoned: false } path) return false;
        Abandon(nowUs, path, errorCode);
        return true;
    }

    /// <summary>
    /// Sets our preference for path <paramref name="pathId"/> and tells the peer (PATH_STATUS_AVAILABLE or
    /// PATH_STATUS_BACKUP, draft-ietf-quic-multipath-21 §3.3): a backup path carries data only while no
    /// available path is usable. False when there is no such open path.
    /// </summary>
    public bool SetPathStatus(uint pathId, PathStatus status)
    {
        NoteActivity();
        if (_mp?.PathOf(pathId) is not { Abandoned: false } path) return false;
        path.LocalStatus = status;
        path.LocalStatusSequence++;
        path.LocalStatusPending = true;
        PathEvent(Pliant.Quic.Operations.OperationId.PathOnStatus, path, status == PathStatus.Backup ? 1UL : 0UL, 0);
        return true;
    }

    /// <summary>A snapshot of the connection's paths (one entry without multipath).</summary>
    public IReadOnlyList<PathInfo> Paths
    {
        get
        {
            if (_mp is not { } mp) return [InfoOf(_path)];
            var list = new List<PathInfo>();
            foreach (var p in mp.Paths) if (p is not null) list.Add(InfoOf(p));
            return list;
        }
    }

    private static PathInfo InfoOf(PathState p) => new(
        (uint)p.Id, p.Local, p.Remote, p.Validated, p.Abandoned,
        p.LocalStatus == PathStatus.Backup || p.PeerStatus == PathStatus.Backup ? PathStatus.Backup : PathStatus.Available,
        p.Rtt.SmoothedRtt, p.Congestion.Window, p.Congestion.BytesInFlight, p.BytesSentTotal, p.BytesReceivedTotal);

    private void StartPathChallenge(long nowUs, PathState path)
    {
        path.Challenge = _rng.NextUInt64();
        path.ChallengePending = true;
        path.ChallengeAttempts = 1;
        path.ChallengeDeadlineUs = nowUs + Math.Max(3 * path.Rtt.PtoBase, 200_000);
    }

    /// <summary>
    /// Which path a 1-RTT packet belongs to, by its Destination Connection ID (draft-ietf-quic-multipath-21 §2:
    /// the connection ID binds the packet to a path ID). A path ID not in use yet gets a new path object that is
    /// opened only once the packet decrypts (<see cref="AdoptPath"/>); null drops the packet (its path was
    /// abandoned and forgotten).
    /// </summary>
    private PathState? PathForPacket(ConnectionId dcid, IPEndPoint from)
    {
        var mp = _mp!;
        uint pathId = mp.PathIdOf(dcid) ?? 0; // not one of ours by path: the endpoint routed it here as path 0's
        if (mp.PathOf(pathId) is { } open) return open;
        if (mp.IsSpent(pathId)) return null; // draft §3.4.2: the path ID was abandoned
        return NewPath(pathId, from, local: null);
    }

    /// <summary>
    /// A packet decrypted on <paramref name="path"/> at <paramref name="from"/>: a path new to us is opened (a
    /// server validates the client's address before sending it data, draft §3.1); a known path seen from a new
    /// address migrated (NAT rebinding, draft §3.1.2) and is validated again.
    /// </summary>
    private void AdoptPath(long nowUs, PathState path, IPEndPoint from, ulong pn, int datagramLength)
    {
        var mp = _mp!;
        path.BytesReceivedTotal += datagramLength;
        if (mp.PathOf((uint)path.Id) is null)
        {
            mp.Open(path);
            path.Validated = false;
            path.BytesReceived += datagramLength;
            if (!IsClient) StartPathChallenge(nowUs, path);
            QlogPathOpened(nowUs, path);
            Raise(new ConnectionEvent(ConnectionEventKind.PathOpened, PathId: path.Id));
            PathEvent(Pliant.Quic.Operations.OperationId.PathOnNew, path);
            return;
        }
        if (!path.Validated) path.BytesReceived += datagramLength;
        // RFC 9000 §9.3 as draft §3.1.2 applies it per path: only the highest-numbered packet moves the path.
        if (path.Id != 0 && !IsClient && !path.Abandoned && path.ApplicationNumbers.LargestReceived == pn && !from.Equals(path.Remote))
        {
            path.Remote = from;
            path.Validated = false;
            (path.BytesReceived, path.BytesSent) = (datagramLength, 0);
            StartPathChallenge(nowUs, path);
            _qlog?.TupleAssigned(nowUs, path.Id, path.Remote, path.Local); // the same path, a new tuple
        }
    }

    /// <summary>A PATH_CHALLENGE on a path after the first: answered on the same path (draft §3.1), a few at a time.</summary>
    private void OnPathChallengeOnPath(PathState path, ulong data)
    {
        if (path.Responses.Count >= PathState.MaxResponses || !_pathResponseBudget.TryTake(_lastNowUs))
        {
            Statistics.PathResponsesLimited++;
            return;
        }
        path.Responses.Enqueue(data);
    }

    /// <summary>A PATH_RESPONSE: validates the path whose challenge it answers (it may arrive on any path, RFC 9000 §8.2.3).</summary>
    private bool OnPathResponseForPath(ulong data)
    {
        foreach (var p in _mp!.Paths)
        {
            if (p is null || p.Id == 0 || p.Abandoned || p.ChallengeAttempts == 0 || p.Challenge != data) continue;
            p.ChallengeAttempts = 0;
            p.ChallengePending = false;
            p.ChallengeDeadlineUs = long.MaxValue;
            OnPathValidated(p);
            return true;
        }
        return false;
    }

    private void Abandon(long nowUs, PathState path, ulong errorCode)
    {
        var mp = _mp!;
        path.Abandoned = true;
        path.ChallengePending = false;
        path.ChallengeDeadlineUs = long.MaxValue;
        path.Responses.Clear();
        if (_abandonsOwed.Count < mp.Paths.Length) _abandonsOwed.Add(((uint)path.Id, errorCode));
        // draft §3.4: the peer's connection IDs for the path are retired at once; ours stay routable for 3 PTOs
        // so late packets are acknowledged rather than answered with a stateless reset.
        mp.CidsOf((uint)path.Id)?.ForgetPeerIds();
        path.DiscardAtUs = nowUs + 3 * LargestPto();
        // "the packets sent over the path and not yet acknowledged MUST be considered lost": at once, so their
        // data goes out on the other paths now.
        _scratchPackets.Clear();
        path.Recovery.DiscardSpace(PacketSpace.Application, _scratchPackets, nowUs);
        foreach (var p in _scratchPackets) RequeueFrames(p, dataOnly: false);
        ReturnToPool(_scratchPackets);
        // The coupled controller may sit behind the operation table's adapter (cc.* hooks on every path).
        if ((path.Congestion is Pliant.Quic.Operations.OperationCongestionController a ? a.Native : path.Congestion) is Lia lia) _coupling?.Remove(lia);
        Statistics.PathsAbandoned++;
        if (_qlog is not null)
        {
            _qlog.PathUpdated(nowUs, path.Id, "abandoned", errorCode);
            _qlog.TupleAssigned(nowUs, path.Id, remote: null, local: null); // quic-events-13 §4.7: no addresses, gone
        }
        Raise(new ConnectionEvent(ConnectionEventKind.PathAbandoned, ErrorCode: errorCode, PathId: path.Id));
        PathEvent(Pliant.Quic.Operations.OperationId.PathOnAbandoned, path, errorCode);
    }

    /// <summary>draft-ietf-quic-multipath-21 §2.6, §3.4: closing and abandonment periods use the largest PTO of all paths.</summary>
    private long LargestPto()
    {
        long pto = _path.Rtt.PtoBase;
        if (_mp is { } mp)
            foreach (var p in mp.Paths) if (p is { Abandoned: false }) pto = Math.Max(pto, p.Rtt.PtoBase);
        return pto;
    }

    /// <summary>The multipath frames (draft-ietf-quic-multipath-21 §4), once negotiated.</summary>
    private void ProcessMultipathFrame(long nowUs, PacketSpaceState space, ulong type, ref WireReader r, ConnectionId packetDcid)
    {
        var mp = _mp!;
        switch ((FrameType)type)
        {
            case FrameType.PathAck:
            case FrameType.PathAckEcn:
            {
                var f = PathAckFrame.Read(ref r, type);
                MultipathFrames.CheckPathIdLimit(f.PathId, mp.LocalMaxPathId, type);
                // draft §4: a frame for a path we can no longer process is ignored; one for a path ID never used
                // acknowledges packets never sent (RFC 9000 §13.1).
                if (mp.PathOf(f.PathId) is { } path)
                {
                    if (path.Abandoned && path.Id != 0) break;
                    OnAckFrame(nowUs, space, path, f.Ack, type);
                }
                else if (!mp.IsSpent(f.PathId))
                {
                    throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "PATH_ACK for a path never used", type);
                }
                break;
            }
            case FrameType.PathAbandon:
            {
                var f = PathAbandonFrame.Read(ref r, type);
                MultipathFrames.CheckPathIdLimit(f.PathId, mp.LocalMaxPathId, type);
                if (mp.PathOf(f.PathId) is { } path)
                {
                    if (!path.Abandoned) Abandon(nowUs, path, (ulong)TransportErrorCode.NoError);
                }
                else if (!mp.IsSpent(f.PathId))
                {
                    // draft §3.4: abandoning a path ID before it was used is not an error; it is spent.
                    mp.Spend(f.PathId);
                    mp.CidsOf(f.PathId)?.ForgetPeerIds();
                }
                // draft §3.4: with no open path left the connection ends.
                if (!AnyOpenPath())
                    throw new QuicProtocolException(TransportErrorCode.NoError, "the peer abandoned the last path", type);
                break;
            }
            case FrameType.PathStatusBackup:
            case FrameType.PathStatusAvailable:
            {
                var f = PathStatusFrame.Read(ref r, type);
                MultipathFrames.CheckPathIdLimit(f.PathId, mp.LocalMaxPathId, type);
                // draft §4.3: only a sequence number above every earlier one for the path counts.
                if (mp.TakeStatusSequence(f.PathId, f.SequenceNumber) && mp.PathOf(f.PathId) is { } path)
                {
                    path.PeerStatus = f.Available ? PathStatus.Available : PathStatus.Backup;
                    PathEvent(Pliant.Quic.Operations.OperationId.PathOnStatus, path, f.Available ? 0UL : 1UL, 1);
                }
                break;
            }
            case FrameType.PathNewConnectionId:
            {
                var f = PathNewConnectionIdFrame.Read(ref r, type);
                MultipathFrames.CheckPathIdLimit(f.PathId, mp.LocalMaxPathId, type);
                if (mp.IsSpent(f.PathId) && mp.PathOf(f.PathId) is null) break; // abandoned: ignored
                if (mp.PathOf(f.PathId) is { Abandoned: true }) break;
                CidsFor(mp, f.PathId).OnNewConnectionId(f);
                break;
            }
            case FrameType.PathRetireConnectionId:
            {
                var f = PathRetireConnectionIdFrame.Read(ref r, type);
                MultipathFrames.CheckPathIdLimit(f.PathId, mp.LocalMaxPathId, type);
                if (mp.CidsOf(f.PathId) is not { } cids)
                    throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "retired a connection ID never issued", type);
                if (mp.PathOf(f.PathId) is { Abandoned: true }) break;
                if (cids.OnRetireConnectionId(f.SequenceNumber, packetDcid, type) && !(mp.IsSpent(f.PathId) && mp.PathOf(f.PathId) is null))
                    cids.TopUp();
                break;
            }
            case FrameType.MaxPathId:
            {
                var f = MaxPathIdFrame.Read(ref r, type);
                MultipathFrames.CheckMaxPathIdNotBelowInitial(f.MaximumPathId, _peerParameters?.InitialMaxPathId ?? 0);
                // A smaller value than an earlier MAX_PATH_ID is reordering: ignored (draft §4.6).
                if (f.MaximumPathId > mp.PeerMaxPathId)
                {
                    mp.PeerMaxPathId = f.MaximumPathId;
                    IssuePathConnectionIds();
                }
                break;
            }
            case FrameType.PathsBlocked:
            {
                var f = PathsBlockedFrame.Read(ref r, type);
                // draft §4.7: it names the limit we announced; a larger one is a PROTOCOL_VIOLATION. We never raise
                // ours (the path state is sized by it), so there is nothing else to do.
                MultipathFrames.CheckPathIdLimit(f.MaximumPathId, mp.LocalMaxPathId, type);
                break;
            }
            case FrameType.PathCidsBlocked:
            {
                var f = PathCidsBlockedFrame.Read(ref r, type);
                MultipathFrames.CheckPathIdLimit(f.PathId, mp.LocalMaxPathId, type);
                // draft §4.7: the peer wants connection IDs for this path ID; top up if it is still ours to serve.
                if (f.PathId <= mp.CommonMaxPathId && !(mp.IsSpent(f.PathId) && mp.PathOf(f.PathId) is null))
                    CidsFor(mp, f.PathId).TopUp();
                break;
            }
            default:
                throw FrameTypes.UnknownType(type);
        }
    }

    private bool AnyOpenPath() => FirstOpenPath() is not null;

    /// <summary>The open path with the lowest path ID (one that can still carry a packet), or null.</summary>
    private PathState? FirstOpenPath()
    {
        foreach (var p in _mp!.Paths) if (p is { Abandoned: false } && DestinationFor(p).Length > 0) return p;
        return null;
    }

    /// <summary>Multipath control frames are waiting: PATH_ABANDON, PATH_STATUS, or connection IDs of some path ID.</summary>
    private bool HasMultipathFramesPending()
    {
        if (_abandonsOwed.Count > 0) return true;
        foreach (var p in _mp!.Paths) if (p is { Abandoned: false, LocalStatusPending: true }) return true;
        for (uint id = 1; id <= _mp.LocalMaxPathId; id++)
            if (_mp.CidsOf(id) is { HasPendingFrames: true }) return true;
        return false;
    }

    /// <summary>
    /// The multipath frames a packet on <paramref name="path"/> carries: its PATH_CHALLENGE and PATH_RESPONSE
    /// frames (they belong to this path), PATH_ABANDON and PATH_STATUS frames owed for any path, and connection
    /// IDs of every path ID after 0.
    /// </summary>
    private int WriteMultipathFrames(Span<byte> dest, List<SentFrame> frames, PathState path)
    {
        var mp = _mp!;
        int pos = 0;
        if (path.Id != 0)
        {
            while (path.Responses.Count > 0)
            {
                int n = WireFrames.WriteIfFits(dest[pos..], new PathResponseFrame(path.Responses.Peek()));
                if (n == 0) break;
                frames.Add(new SentFrame(SentFrameKind.PathResponse, Value: path.Responses.Dequeue()));
                pos += n;
                _probePadding = true;
            }
            if (path.ChallengePending)
            {
                int n = WireFrames.WriteIfFits(dest[pos..], new PathChallengeFrame(path.Challenge));
                if (n > 0)
                {
                    frames.Add(new SentFrame(SentFrameKind.PathChallenge, StreamId: path.Id, Value: path.Challenge));
                    path.ChallengePending = false;
                    pos += n;
                    _probePadding = true;
                }
            }
        }
        for (int i = _abandonsOwed.Count - 1; i >= 0; i--)
        {
            var (id, code) = _abandonsOwed[i];
            int n = WireFrames.WriteIfFits(dest[pos..], new PathAbandonFrame(id, code));
            if (n == 0) break;
            frames.Add(new SentFrame(SentFrameKind.PathAbandon, StreamId: id, Value: code));
            _abandonsOwed.RemoveAt(i);
            pos += n;
        }
        foreach (var p in mp.Paths)
        {
            if (p is not { Abandoned: false, LocalStatusPending: true }) continue;
            var status = new PathStatusFrame((uint)p.Id, p.LocalStatusSequence, p.LocalStatus == PathStatus.Available);
            int n = WireFrames.WriteIfFits(dest[pos..], status);
            if (n == 0) break;
            frames.Add(new SentFrame(SentFrameKind.PathStatus, StreamId: p.Id, Value: p.LocalStatusSequence));
            p.LocalStatusPending = false;
            pos += n;
        }
        for (uint id = 1; id <= mp.LocalMaxPathId; id++)
            if (mp.CidsOf(id) is { HasPendingFrames: true } cids) pos += cids.WriteFrames(dest[pos..], frames);
        return pos;
    }

    /// <summary>A multipath control frame was lost: owed again if still meaningful (draft §4.2, §4.3).</summary>
    private void OnMultipathFrameLost(in SentFrame f)
    {
        if (_mp is not { } mp) return;
        switch (f.Kind)
        {
            case SentFrameKind.PathAbandon:
                if (_abandonsOwed.Count < mp.Paths.Length) _abandonsOwed.Add(((uint)f.StreamId, f.Value));
                break;
            case SentFrameKind.PathStatus:
                // Only the latest status is sent again.
                if (mp.PathOf((uint)f.StreamId) is { Abandoned: false } p && p.LocalStatusSequence == f.Value) p.LocalStatusPending = true;
                break;
            case SentFrameKind.PathChallenge:
                if (f.StreamId != 0 && mp.PathOf((uint)f.StreamId) is { Abandoned: false, Validated: false } c && c.Challenge == f.Value)
                    c.ChallengePending = true;
                break;
        }
    }

    /// <summary>
    /// The path the next datagram goes on (multipath). Handshake traffic stays on path 0; a path with validation
    /// or PTO probes to send goes first; data goes where the scheduler says (<see cref="QuicConnectionOptions.PathScheduler"/>);
    /// when every window is full, ACKs and control frames take the lowest-RTT usable path. Null: nothing can be sent.
    /// </summary>
    private PathState? SelectSendPath(long nowUs)
    {
        var mp = _mp!;
        if (!_handshakeConfirmed) return _path.Abandoned ? null : _path;
        PathState? fallback = null;
        int count = 0;
        foreach (var p in mp.Paths)
        {
            if (p is null || p.Abandoned || DestinationFor(p).Length == 0) continue;
            // RFC 9000 §8.2.1: probing datagrams are expanded to 1200 bytes unless the anti-amplification limit
            // forbids it; then they go smaller rather than not at all.
            if (p.Id != 0 && (p.ChallengePending || p.Responses.Count > 0) && p.AmplificationAllowance >= 64) return p;
            if (p.ProbesPending > 0) return p;
            if (!p.Usable) continue;
            // An acknowledgment that is due goes back on the path its packets came on (draft §5.3: the RTT of each
            // path stays measurable, and a NAT rebinding of a path that only receives is noticed by the peer);
            // ack.select_path may choose another usable path.
            if (AckDueOn(p, nowUs)) return AckPath(p);
            if (fallback is null || p.Rtt.SmoothedRtt < fallback.Rtt.SmoothedRtt) fallback = p;
            var backup = p.LocalStatus == PathStatus.Backup || p.PeerStatus == PathStatus.Backup;
            // A path its pacer holds back has no room now (RFC 9002 §7.7); the pacing timer wakes the sender.
            long window = p.Congestion.Window;
            if (p.Pacer.NextSendTimeUs(nowUs) is { } next)
            {
                window = p.Congestion.BytesInFlight;
                if (next < _deadlines[ConnectionTimer.Pacing]) _deadlines.Set(ConnectionTimer.Pacing, next);
            }
            // A path in PTO backoff may be broken: data avoids it while another path works (its PING probes tell).
            _pathViews[count++] = new PathView((ulong)p.Id, p.Rtt.SmoothedRtt, window, p.Congestion.BytesInFlight,
                backup ? PathStatus.Backup : PathStatus.Available, Usable: p.Recovery.PtoCount == 0 || !HasOtherOpenPath(p), p.Rtt.RttVar);
        }
        int chosen = count == 0 ? -1 : _scheduler!.Select(_pathViews.AsSpan(0, count), _path.DatagramSize, _sendBacklog ??= SendBacklog);
        var path = chosen >= 0 ? mp.PathOf((uint)_pathViews[chosen].PathId) : fallback;
        if (path is not null && count > 0 && Operations.IsReplaced(Pliant.Quic.Operations.OperationId.PathSelectForSending))
        {
            // path.select_for_sending: a plugin's scheduler. A usable path it picks is used even when its window is full
            // (then only acknowledgments go: the plugin chose to wait for that path); any other answer keeps the native choice.
            ulong pick = Operations.Invoke(Pliant.Quic.Operations.OperationId.PathSelectForSending, path.Id, (ulong)_path.DatagramSize, (ulong)count, path: path.Id);
            for (int i = 0; i < count; i++)
                if (_pathViews[i].PathId == pick) return mp.PathOf((uint)pick);
        }
        return path;
    }

    /// <summary>The scheduler's backlog estimate (<see cref="PathScheduler.Select"/>), made once per connection.</summary>
    private Func<ulong>? _sendBacklog;

    /// <summary>Bytes of stream data waiting to be sent, counted up to 64 MiB (beyond that every path is worth using).</summary>
    private ulong SendBacklog() => _streams.SendableBytes(64UL << 20);

    /// <summary>The path for acknowledgments due on <paramref name="due"/>: itself, unless ack.select_path picks another usable one.</summary>
    private PathState AckPath(PathState due)
    {
        if (!Operations.IsReplaced(Pliant.Quic.Operations.OperationId.AckSelectPath)) return due;
        ulong pick = Operations.Invoke(Pliant.Quic.Operations.OperationId.AckSelectPath, due.Id, due.Id, path: due.Id);
        return pick <= uint.MaxValue && _mp!.PathOf((uint)pick) is { Usable: true } other && DestinationFor(other).Length > 0 ? other : due;
    }

    /// <summary>Tells path observers (path.on_* operations) what happened to <paramref name="path"/>.</summary>
    /// <summary>qlog of a new path: its tuple (the path ID, the addresses), and pliant:path_updated "opened".</summary>
    private void QlogPathOpened(long nowUs, PathState path)
    {
        if (_qlog is null) return;
        _qlog.TupleAssigned(nowUs, path.Id, path.Remote, path.Local);
        _qlog.PathUpdated(nowUs, path.Id, "opened");
    }

    private void PathEvent(Pliant.Quic.Operations.OperationId id, PathState path, ulong a0 = 0, ulong a1 = 0)
    {
        if (Operations.IsHooked(id)) Operations.Invoke(id, 0, a0, a1, path: path.Id);
    }

    /// <summary>Consecutive PTOs after which a path may be abandoned as broken while another path is usable.</summary>
    private const int PtosBeforeAbandon = 3;

    /// <summary>
    /// A PTO on a path of a multipath connection (RFC 9002 §6.2 per path, draft-ietf-quic-multipath-21 §5.5): with
    /// another usable path, everything in flight on this one is sent again over the others at once and the probe
    /// on this path is a PING (is it still alive?). It is abandoned (PATH_UNSTABLE_OR_POOR) after
    /// <see cref="PtosBeforeAbandon"/> PTOs in a row once nothing sent on it was acknowledged for
    /// <see cref="QuicConnectionOptions.PathFailureTimeout"/>: a short outage (a Wi-Fi hand-over, a stalled middlebox)
    /// only moves the data over and the path resumes when a PING is answered (§3.3: PINGs "to quickly detect
    /// connectivity changes and switch back"). Alone, it probes with its oldest data, as a single path does.
    /// </summary>
    private void OnPathTimeout(long nowUs, PathState path, int probes)
    {
        if (HasOtherUsablePath(path))
        {
            // A path being validated (new, or a NAT rebinding) is judged by its validation, not by PTOs it may have
            // been unable to probe (the anti-amplification limit holds a server back until the client's address is proven).
            if (path.Recovery.PtoCount >= PtosBeforeAbandon && path.Validated && nowUs - path.LastAckedUs >= _options.PathFailureTimeout.Ticks / 10)
            {
                Abandon(nowUs, path, (ulong)TransportErrorCode.PathUnstableOrPoor);
                return;
            }
            // Everything it carries goes again over the other paths, control frames included: a MAX_DATA or
            // MAX_STREAM_DATA stuck on a dark path (never acknowledged, never declared lost) would stall the peer's
            // sending until the path is abandoned. Those frames carry the current limit when resent: repeating is safe.
            path.Recovery.ProbeCandidates(PacketSpace.Application, long.MaxValue, _probeScratch);
            foreach (var p in _probeScratch) RequeueFrames(p, dataOnly: false);
            _probeScratch.Clear();
            path.ProbesPending = Math.Max(path.ProbesPending, 1);
            return;
        }
        path.ProbesPending = Math.Max(path.ProbesPending, probes);
        RequeueForApplicationProbe(path, path.ProbesPending);
    }

    /// <summary>
    /// True when a path other than <paramref name="path"/> is validated and open, in PTO backoff or not: a failing path
    /// carries no data while any other could (when that one has a PTO too, the dark path must not take new data
    /// again — it would only be lost with the rest).
    /// </summary>
    private bool HasOtherOpenPath(PathState path)
    {
        foreach (var p in _mp!.Paths)
            if (p is { Usable: true } && p != path && DestinationFor(p).Length > 0) return true;
        return false;
    }

    /// <summary>True when a path other than <paramref name="path"/> is validated, open and not itself in PTO backoff.</summary>
    private bool HasOtherUsablePath(PathState path)
    {
        foreach (var p in _mp!.Paths)
            if (p is { Usable: true } && p != path && p.Recovery.PtoCount == 0 && DestinationFor(p).Length > 0) return true;
        return false;
    }

    /// <summary>Path validation and abandonment deadlines of the paths after the first (<see cref="ConnectionTimer.Paths"/>).</summary>
    private long NextPathDeadline()
    {
        long t = long.MaxValue;
        foreach (var p in _mp!.Paths)
        {
            if (p is null) continue;
            t = Math.Min(t, Math.Min(p.ChallengeDeadlineUs, p.DiscardAtUs));
        }
        return t;
    }

    private void OnPathTimers(long nowUs)
    {
        var mp = _mp!;
        foreach (var p in mp.Paths)
        {
            if (p is null) continue;
            if (p.DiscardAtUs <= nowUs)
            {
                // draft §3.4: three PTOs after abandonment the path and our connection IDs for it are forgotten.
                mp.CidsOf((uint)p.Id)?.UnregisterAll();
                mp.Forget((uint)p.Id);
                continue;
            }
            if (p.ChallengeDeadlineUs > nowUs) continue;
            if (p.ChallengeAttempts < PathState.MaxChallengeAttempts)
            {
                p.ChallengeAttempts++;
                p.Challenge = _rng.NextUInt64();
                p.ChallengePending = true;
                p.ChallengeDeadlineUs = nowUs + Math.Max(3 * p.Rtt.PtoBase, 200_000);
            }
            else
            {
                // draft §3.1: validation failed; the path ID is consumed either way, so the path is closed explicitly.
                p.ChallengeDeadlineUs = long.MaxValue;
                Statistics.PathValidationsFailed++;
                Abandon(nowUs, p, (ulong)TransportErrorCode.PathUnstableOrPoor);
            }
        }
    }

    /// <summary>The ACK state of the number space an ACK frame we sent reported on (path 0 or the PATH_ACK's path).</summary>
    private AckTracker? AckTrackerFor(PacketSpace space, ulong pathId)
    {
        if (space != PacketSpace.Application || pathId == 0) return _spaces[(int)space].Numbers.Acks;
        return _mp?.PathOf((uint)pathId)?.ApplicationNumbers.Acks;
    }

    /// <summary>
    /// PATH_ACK frames for the paths after the first with something to acknowledge (draft §2.3: they can go on
    /// any path). Path 0 keeps the ACK frame. Returns the bytes written.
    /// </summary>
    private int WritePathAcks(Span<byte> dest, List<SentFrame> frames, long nowUs)
    {
        int pos = 0;
        foreach (var p in _mp!.Paths)
        {
            if (p is null || p.Id == 0) continue;
            var acks = p.ApplicationNumbers.Acks;
            if (!acks.AckPending) continue;
            int n = acks.WriteAckFrame(dest[pos..], nowUs, _options.AckDelayExponent, (uint)p.Id);
            if (n == 0) break;
            frames.Add(new SentFrame(SentFrameKind.Ack, StreamId: p.Id, Value: p.ApplicationNumbers.LargestReceived ?? 0));
            pos += n;
        }
        return pos;
    }

    private bool AckDueOn(PathState p, long nowUs) =>
        p.Id == 0 ? _spaces[2].Numbers.Acks.AckDue(nowUs) : p.ApplicationNumbers.Acks.AckDue(nowUs);

    /// <summary>True when some path after the first owes an acknowledgment; <paramref name="due"/>: one is due now.</summary>
    private bool PathAcksPending(long nowUs, out bool due)
    {
        due = false;
        bool any = false;
        foreach (var p in _mp!.Paths)
        {
            if (p is null || p.Id == 0 || !p.ApplicationNumbers.Acks.AckPending) continue;
            any = true;
            due |= p.ApplicationNumbers.Acks.AckDue(nowUs);
        }
        return any;
    }

    /// <summary>The earliest ACK deadline of the paths after the first.</summary>
    private long? NextPathAckDeadline()
    {
        long? t = null;
        foreach (var p in _mp!.Paths)
            if (p is { Id: > 0 } && p.ApplicationNumbers.Acks.AckDeadlineUs is { } d && (t is null || d < t)) t = d;
        return t;
    }

    /// <summary>The earliest loss-detection deadline over all paths.</summary>
    private long? NextLossDetectionDeadline()
    {
        if (_mp is null) return _path.Recovery.LossDetectionTimerUs;
        long? t = null;
        foreach (var p in _mp.Paths)
            if (p is { Abandoned: false } && p.Recovery.LossDetectionTimerUs is { } d && (t is null || d < t)) t = d;
        return t;
    }
}

/// <summary>A snapshot of one path of a connection (<see cref="QuicConnectionCore.Paths"/>).</summary>
/// <param name="PathId">The path ID (0: the path of the handshake).</param>
/// <param name="Local">The local address it sends from, when not the endpoint's own.</param>
/// <param name="Remote">The peer's address on it.</param>
/// <param name="Validated">The path was validated (RFC 9000 §8.2).</param>
/// <param name="Abandoned">The path was abandoned (draft-ietf-quic-multipath-21 §3.4).</param>
/// <param name="Status">Backup if either side asked for it, else available.</param>
/// <param name="SmoothedRttUs">Smoothed RTT, µs.</param>
/// <param name="CongestionWindow">Congestion window, bytes.</param>
/// <param name="BytesInFlight">Bytes in flight.</param>
/// <param name="BytesSent">Bytes of datagrams sent on the path.</param>
/// <param name="BytesReceived">Bytes of datagrams received on the path.</param>
public readonly record struct PathInfo(uint PathId, IPEndPoint? Local, IPEndPoint Remote, bool Validated, bool Abandoned,
    PathStatus Status, long SmoothedRttUs, long CongestionWindow, long BytesInFlight, long BytesSent, long BytesReceived);
