using System.Net;

namespace Pliant.Quic.Connection;

// Path validation and migration (RFC 9000 §8.2, §9): answering PATH_CHALLENGE, validating a new
// peer address, NAT rebinding and client migration on the server side.
public sealed partial class QuicConnectionCore
{
    private sealed class PendingPath(IPEndPoint address, ulong challenge, long deadlineUs)
    {
        public IPEndPoint Address { get; } = address;
        public ulong Challenge { get; set; } = challenge;
        public long DeadlineUs { get; set; } = deadlineUs;
        public long BytesReceived { get; set; }
        public long BytesSent { get; set; }
        public int Attempts { get; set; } = 1;
        public IPEndPoint? Previous { get; init; }
    }

    private readonly Queue<(IPEndPoint To, ulong Data)> _pathResponses = new();
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
        if (!IsClient || !_handshakeConfirmed || _state != ConnectionState.Connected) return false;
        if (_peerParameters?.DisableActiveMigration == true) return false;
        SwitchToNextPeerCid();
        StartPathValidation(nowUs, RemoteEndPoint, previous: null);
        PathMigrations++;
        return true;
    }

    /// <summary>True while a PATH_CHALLENGE we sent is unanswered.</summary>
    public bool IsValidatingPath => _pendingPath is not null;

    private void OnPathChallenge(ulong data, IPEndPoint from)
    {
        // Keep only a few; a flood of challenges must not grow memory.
        if (_pathResponses.Count < 4) _pathResponses.Enqueue((from, data));
    }

    private void OnPathResponse(ulong data)
    {
        if (_pendingPath is not { } path || path.Challenge != data) return;
        // RFC 9000 §8.2.3: validated; the response may arrive on any path.
        _pendingPath = null;
        _pathChallengePending = false;
        if (path.Address.Equals(RemoteEndPoint))
        {
            _addressValidated = true;
        }
    }

    private void OnPeerAddressChange(long nowUs, IPEndPoint from, bool nonProbing, int datagramLength)
    {
        // RFC 9000 §9: only servers follow a peer to a new address; clients ignore other sources.
        if (IsClient || !_handshakeConfirmed) return;
        if (!nonProbing) return; // a probe: answered by PATH_RESPONSE, no migration (§9.1)
        if (_options.DisableActiveMigration && !from.Address.Equals(RemoteEndPoint.Address)) return;
        var previous = RemoteEndPoint;
        RemoteEndPoint = from;
        PathMigrations++;
        // RFC 9000 §9.5: use a fresh connection ID on the new path when we have one.
        SwitchToNextPeerCid();
        // RFC 9000 §9.3: until the new address is validated, anti-amplification applies to it.
        _addressValidated = false;
        _bytesReceivedOnPath = datagramLength;
        _bytesSentOnPath = 0;
        StartPathValidation(nowUs, from, previous);
    }

    private void StartPathValidation(long nowUs, IPEndPoint address, IPEndPoint? previous)
    {
        ulong challenge = (ulong)_rng.NextInt64();
        _pendingPath = new PendingPath(address, challenge, nowUs + Math.Max(3 * _rtt.PtoBase, 2 * 1000 * 1000 / 10))
        {
            Previous = previous,
        };
        _pathChallengePending = true;
    }

    private void OnPathValidationTimeout(long nowUs)
    {
        var path = _pendingPath!;
        if (path.Attempts < 3)
        {
            // Try again with a new challenge.
            path.Attempts++;
            path.Challenge = (ulong)_rng.NextInt64();
            path.DeadlineUs = nowUs + 3 * _rtt.PtoBase;
            _pathChallengePending = true;
            return;
        }
        _pendingPath = null;
        _pathChallengePending = false;
        // RFC 9000 §9.3.2: validation failed; go back to the last validated address.
        if (path.Previous is { } previous && path.Address.Equals(RemoteEndPoint))
        {
            RemoteEndPoint = previous;
            _addressValidated = true;
        }
    }
}
