using System.Net;

namespace Pliant.Quic.Connection;

// Path validation and migration (RFC 9000 §8.2, §9): answering PATH_CHALLENGE, validating a new
// peer address, NAT rebinding and client migration on the server side.
public sealed partial class QuicConnectionCore
{
    /// <summary>A path being validated (its deadline is <see cref="ConnectionTimer.PathValidation"/>).</summary>
    private sealed class PendingPath(IPEndPoint address, ulong challenge)
    {
        public IPEndPoint Address { get; } = address;
        public ulong Challenge { get; set; } = challenge;
        public int Attempts { get; set; } = 1;
        public IPEndPoint? Previous { get; init; }
    }

    /// <summary>PATH_RESPONSE datagrams a second at most (burst <see cref="PathResponseBurst"/>): path validation needs a handful.</summary>
    private const int PathResponsesPerSecond = 16;
    private const int PathResponseBurst = 8;

    private readonly Queue<(IPEndPoint To, ulong Data)> _pathResponses = new();
    private readonly AddressCredits _addressCredits = new();
    private TokenBucket _pathResponseBudget = new(PathResponsesPerSecond, PathResponseBurst);
    private PendingPath? _pendingPath;
    private bool _pathChallengePending;
    private bool _ecnEnabled;

    /// <summary>Number of times the peer's address changed and we followed it (migration or NAT rebinding).</summary>
    public int PathMigrations { get; private set; }

    /// <summary>
    /// Client: the driver moved to a new local address (RFC 9000 §9.2). Switches to an unused
    /// connection ID of the server's when one is available (§9.5: never reuse one across paths) and
    /// validates the new path with PATH_CHALLENGE. False when migration is not possible yet (before
    /// the handshake is confirmed, or the server disabled active migration).
    /// </summary>
    public bool MigrateToNewLocalAddress(long nowUs)
    {
        NoteActivity();
        if (!IsClient || !_handshakeConfirmed || _state != ConnectionState.Connected) return false;
        if (_peerParameters?.DisableActiveMigration == true) return false;
        _cids.SwitchToNext();
        StartPathValidation(nowUs, RemoteEndPoint, previous: null);
        PathMigrations++;
        return true;
    }

    /// <summary>True while a PATH_CHALLENGE we sent is unanswered.</summary>
    public bool IsValidatingPath => _pendingPath is not null;

    private void OnPathChallenge(ulong data, IPEndPoint from)
    {
        // Keep only a few, at a limited rate: a flood of challenges must grow neither memory nor
        // what we send (RFC 9000 §8.2.2 asks for one response per challenge, not for any number).
        if (_pathResponses.Count >= 4 || !_pathResponseBudget.TryTake(_lastNowUs))
        {
            Statistics.PathResponsesLimited++;
            return;
        }
        _pathResponses.Enqueue((from, data));
    }

    /// <summary>Bytes the anti-amplification limit lets us send to <paramref name="address"/> now (RFC 9000 §8, §9.3).</summary>
    private long AmplificationAllowance(IPEndPoint address)
    {
        if (IsCurrentPath(address)) return _path.AmplificationAllowance;
        return _addressCredits.Allowance(address);
    }

    /// <summary>Server: the last peer address proven (by the handshake or a PATH_RESPONSE) — where a failed migration returns.</summary>
    private IPEndPoint? _validatedAddress;

    /// <summary>The current path's address is validated (RFC 9000 §8.1, §8.2): no 3x limit any more.</summary>
    private void MarkCurrentPathValidated()
    {
        _path.Validated = true;
        _validatedAddress = RemoteEndPoint;
    }

    /// <summary>
    /// Makes <paramref name="to"/> the current path. The anti-amplification ledger of an unvalidated
    /// address moves with it (into <see cref="_addressCredits"/> and back), so leaving an address and
    /// returning never resets what may be sent to it (RFC 9000 §9.3).
    /// </summary>
    private void SwitchPath(IPEndPoint to, bool validated)
    {
        if (!_path.Validated) _addressCredits.Set(RemoteEndPoint, _path.BytesReceived, _path.BytesSent);
        // RFC 9000 §14.3: the PMTU belongs to a pair of addresses; a new peer address searches again (a new port
        // behind the same address — NAT rebinding — keeps it).
        if (_handshakeComplete && !to.Address.Equals(RemoteEndPoint.Address)) StartPmtuDiscovery(_path, _lastNowUs);
        RemoteEndPoint = to;
        _path.Validated = validated;
        if (validated) (_path.BytesReceived, _path.BytesSent) = (0, 0);
        else (_path.BytesReceived, _path.BytesSent) = _addressCredits.Get(to);
    }

    /// <summary>
    /// Anti-amplification deadlock guard (RFC 9002 §6.2.2.1): while the current path may not carry even a
    /// small packet, timers that would only want to send (ACK delay, PTO) are not due — otherwise they
    /// fire again and again without effect. Bytes arriving from the address lift it.
    /// </summary>
    private bool AmplificationBlocked => _path.AmplificationAllowance < 64;

    private void OnPathResponse(ulong data)
    {
        if (_pendingPath is not { } path || path.Challenge != data) return;
        // RFC 9000 §8.2.3: validated; the response may arrive on any path.
        StopPathValidation();
        if (path.Address.Equals(RemoteEndPoint)) MarkCurrentPathValidated();
    }

    private void OnPeerAddressChange(long nowUs, IPEndPoint from, bool nonProbing)
    {
        // RFC 9000 §9: only servers follow a peer to a new address; clients ignore other sources.
        if (IsClient || !_handshakeConfirmed) return;
        if (!nonProbing) return; // a probe: answered by PATH_RESPONSE, no migration (§9.1)
        if (_options.DisableActiveMigration && !from.Address.Equals(RemoteEndPoint.Address)) return;
        PathMigrations++;
        if (_validatedAddress is { } proven && from.Equals(proven))
        {
            // Back on the address that was validated: nothing to prove again (RFC 9000 §9.3).
            SwitchPath(from, validated: true);
            StopPathValidation();
            return;
        }
        // RFC 9000 §9.3: until the new address is validated, anti-amplification applies to it.
        SwitchPath(from, validated: false);
        // RFC 9000 §9.5: use a fresh connection ID on the new path when we have one.
        _cids.SwitchToNext();
        StartPathValidation(nowUs, from, _validatedAddress);
    }

    private void StartPathValidation(long nowUs, IPEndPoint address, IPEndPoint? previous)
    {
        ulong challenge = _rng.NextUInt64();
        _pendingPath = new PendingPath(address, challenge) { Previous = previous };
        _deadlines.Set(ConnectionTimer.PathValidation, nowUs + Math.Max(3 * _path.Rtt.PtoBase, 2 * 1000 * 1000 / 10));
        _pathChallengePending = true;
    }

    private void StopPathValidation()
    {
        _pendingPath = null;
        _pathChallengePending = false;
        _deadlines.Stop(ConnectionTimer.PathValidation);
    }

    private void OnPathValidationTimeout(long nowUs)
    {
        var path = _pendingPath!;
        if (path.Attempts < 3)
        {
            // Try again with a new challenge.
            path.Attempts++;
            path.Challenge = _rng.NextUInt64();
            _deadlines.Set(ConnectionTimer.PathValidation, nowUs + 3 * _path.Rtt.PtoBase);
            _pathChallengePending = true;
            return;
        }
        StopPathValidation();
        // RFC 9000 §9.3.2: validation failed; go back to the last validated address (never to one
        // that was merely used before: it may be a spoofed one).
        if (path.Previous is { } previous && path.Address.Equals(RemoteEndPoint) && previous.Equals(_validatedAddress))
            SwitchPath(previous, validated: true);
    }
}
