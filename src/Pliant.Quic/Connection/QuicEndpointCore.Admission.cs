using System.Net;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

// Admission of new server connections (issue 11, "no state before proof"): a datagram for an
// unknown connection ID creates state only once its first Initial decrypts and starts a
// ClientHello, the client's token is honoured or answered (RFC 9000 §8.1), and the limits of
// ServerLimits hold — beyond them clients are asked to Retry or refused, statelessly.
public sealed partial class QuicEndpointCore
{
    private sealed class AddressLoad
    {
        public int Connections;
        public int Handshakes;
    }

    private readonly Dictionary<IPAddress, AddressLoad> _load = [];
    private readonly InitialInspector _inspector = new();
    private TokenBucket _statelessBudget;
    private int _handshakes;

    private void Admit(long nowUs, ReadOnlySpan<byte> datagram, in PacketHeader h, IPEndPoint from, EcnCodepoint ecn)
    {
        var server = Options.Server!;
        // RFC 9000 §14.1: a server discards an Initial in a datagram smaller than 1200 bytes.
        if (datagram.Length < 1200) { Statistics.DroppedDatagrams++; return; }
        if (!QuicVersion.IsSupported(h.Version))
        {
            // RFC 9000 §6.1: answer an unknown version with Version Negotiation.
            if (TrySpendStateless(nowUs))
            {
                _endpointPackets.Enqueue((from, StatelessPackets.VersionNegotiation(datagram, h)));
                Statistics.VersionNegotiationSent++;
            }
            return;
        }
        // A 0-RTT or Handshake packet for a connection we do not have: nothing to do (RFC 9000 §5.2.2).
        if (h.Type != PacketType.Initial) { Statistics.DroppedDatagrams++; return; }
        // RFC 9000 §7.2: the client's first Destination Connection ID is at least 8 bytes.
        if (h.DestinationConnectionId.Length < 8) { Drop(ref Statistics.JunkInitials); return; }
        if (_inspector.Inspect(datagram, h) != InitialVerdict.ClientHello) { Drop(ref Statistics.JunkInitials); return; }

        // The client proved nothing about its address yet; a token may prove it (RFC 9000 §8.1.3).
        var token = datagram.Slice(h.TokenOffset, h.TokenLength);
        long unixNow = Options.Time.GetUtcNow().ToUnixTimeSeconds();
        bool validated = false;
        ConnectionId originalDcid = h.DestinationConnectionId;
        ConnectionId? retryScid = null;
        if (AddressTokens.IsRetryToken(token))
        {
            if (!_tokens.TryValidateRetryToken(token, from, unixNow, out var odcid, out var scid) ||
                scid != h.DestinationConnectionId)
            {
                // RFC 9000 §8.1.2: the client will not accept another Retry; tell it at once instead
                // of letting it time out.
                Refuse(nowUs, h, from, TransportErrorCode.InvalidToken, "invalid Retry token", ref Statistics.InvalidTokens);
                return;
            }
            validated = true;
            originalDcid = odcid;
            retryScid = scid;
        }
        else if (!token.IsEmpty)
        {
            // RFC 9000 §8.1.3: a NEW_TOKEN token that does not validate (expired, another address,
            // another server's) is treated as no token at all.
            validated = _tokens.TryValidateNewToken(token, from, unixNow);
        }

        var limits = Options.Limits;
        _load.TryGetValue(from.Address, out var load);
        if (_connections.Count >= limits.MaxConnections || (load?.Connections ?? 0) >= limits.MaxConnectionsPerAddress)
        {
            Refuse(nowUs, h, from, TransportErrorCode.ConnectionRefused, "too many connections", ref Statistics.Refused);
            return;
        }
        if (!validated && (Options.RequireRetry || _handshakes >= limits.RetryThreshold))
        {
            // RFC 9000 §8.1.2: prove the address first; a spoofed source never sees the token.
            if (TrySpendStateless(nowUs)) SendRetry(h, from, unixNow);
            return;
        }
        if (_handshakes >= limits.MaxHandshakes || (load?.Handshakes ?? 0) >= limits.MaxHandshakesPerAddress)
        {
            Refuse(nowUs, h, from, TransportErrorCode.ConnectionRefused, "too many handshakes in progress", ref Statistics.Refused);
            return;
        }

        var connection = QuicConnectionCore.CreateServer(server, from, nowUs, h.Version, h.DestinationConnectionId,
            h.SourceConnectionId, originalDcid, retryScid, validated, this);
        connection.SetTokenKey(_tokens, Options.Time);
        if (load is null) _load[from.Address] = load = new AddressLoad();
        connection.AdmittedAddress = from.Address;
        connection.HandshakeCounted = true;
        load.Connections++;
        load.Handshakes++;
        _handshakes++;
        Statistics.Accepted++;
        AddConnection(connection);
        _accepted.Enqueue(connection);
        try
        {
            connection.HandleDatagram(nowUs, datagram, from, ecn);
        }
        catch (Exception e)
        {
            Fault(connection, nowUs, e);
        }
    }

    /// <summary>A handshake finished (completed, or the connection closed before): it no longer counts as in progress.</summary>
    void IConnectionIdRegistry.HandshakeEnded(QuicConnectionCore connection)
    {
        if (!connection.HandshakeCounted) return;
        connection.HandshakeCounted = false;
        _handshakes--;
        if (connection.AdmittedAddress is { } a && _load.TryGetValue(a, out var load)) load.Handshakes--;
    }

    private void OnRemoved(QuicConnectionCore connection)
    {
        ((IConnectionIdRegistry)this).HandshakeEnded(connection);
        if (connection.AdmittedAddress is not { } a || !_load.TryGetValue(a, out var load)) return;
        if (--load.Connections <= 0 && load.Handshakes <= 0) _load.Remove(a);
    }

    private bool TrySpendStateless(long nowUs)
    {
        // Also bounded in memory: the driver flushes these after every receive batch.
        if (_endpointPackets.Count < 1024 && _statelessBudget.TryTake(nowUs)) return true;
        Statistics.StatelessResponsesLimited++;
        return false;
    }

    private void SendRetry(in PacketHeader h, IPEndPoint from, long unixNow)
    {
        // A routable ID (QUIC-LB) brings the client's next Initial back to this server through a load balancer.
        var retryScid = Options.ConnectionIdGenerator?.Generate() ?? ConnectionId.Random(Options.ConnectionIdLength, _rng);
        var token = _tokens.CreateRetryToken(from, h.DestinationConnectionId, retryScid, unixNow);
        _endpointPackets.Enqueue((from, StatelessPackets.Retry(h, retryScid, token)));
        Statistics.RetriesSent++;
    }

    /// <summary>Closes a client's attempt without creating state: an Initial with CONNECTION_CLOSE (RFC 9000 §5.2.2, §8.1.2).</summary>
    private void Refuse(long nowUs, in PacketHeader h, IPEndPoint from, TransportErrorCode code, string reason, ref long counter)
    {
        counter++;
        Statistics.DroppedDatagrams++;
        if (TrySpendStateless(nowUs)) _endpointPackets.Enqueue((from, StatelessPackets.InitialClose(h, code, reason)));
    }

    private void SendStatelessReset(long nowUs, ConnectionId dcid, int receivedLength, IPEndPoint to)
    {
        // RFC 9000 §10.3: only for packets that could belong to a connection we lost (same CID length).
        if (receivedLength <= 21 || !TrySpendStateless(nowUs)) return;
        Span<byte> token = stackalloc byte[StatelessResetTokens.TokenLength];
        DeriveResetToken(dcid, token);
        if (StatelessPackets.StatelessReset(receivedLength, token, _rng) is { } packet)
        {
            _endpointPackets.Enqueue((to, packet));
            Statistics.StatelessResetsSent++;
        }
    }
}
