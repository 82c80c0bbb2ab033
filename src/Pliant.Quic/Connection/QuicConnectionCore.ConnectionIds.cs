using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

// Connection IDs (RFC 9000 §5.1): the state lives in ConnectionIdState; here, what the core adds to it.
public sealed partial class QuicConnectionCore
{
    private readonly ConnectionIdState _cids;
    private ConnectionId _originalDcid;
    private ConnectionId _initialScid;
    private ConnectionId? _retryScid;

    /// <summary>The connection ID we chose for ourselves first (initial_source_connection_id).</summary>
    public ConnectionId LocalConnectionId => _initialScid;

    /// <summary>The connection ID we currently send to.</summary>
    public ConnectionId RemoteConnectionId => _cids.Current;

    internal IEnumerable<ConnectionId> LocalConnectionIds => _cids.LocalIds;

    /// <summary>Our connection IDs (of every path ID) and the reset tokens we watch no longer reach this connection: it ended.</summary>
    private void UnregisterConnectionIds()
    {
        _cids.UnregisterAll();
        if (_mp is not { } mp) return;
        for (uint id = 1; id <= mp.LocalMaxPathId; id++) mp.CidsOf(id)?.UnregisterAll();
    }

    private void OnRetireConnectionId(ulong sequence, ConnectionId packetDcid)
    {
        if (_cids.OnRetireConnectionId(sequence, packetDcid) && _handshakeComplete) _cids.TopUp();
    }
}
