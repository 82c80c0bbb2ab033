using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>Settings for a <see cref="QuicEndpointCore"/>.</summary>
public sealed class QuicEndpointOptions
{
    /// <summary>Options for connections the endpoint accepts; null for a client-only endpoint.</summary>
    public QuicConnectionOptions? Server { get; init; }

    /// <summary>Send a Retry before accepting a connection (address validation, RFC 9000 §8.1.2).</summary>
    public bool RequireRetry { get; init; }

    /// <summary>Key for stateless reset tokens and address-validation tokens (32 bytes); random if null.</summary>
    public byte[]? StaticKey { get; init; }

    /// <summary>Largest number of connections accepted at once; further Initials are dropped.</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Length of the connection IDs this endpoint issues (routing needs one length).</summary>
    public int ConnectionIdLength { get; init; } = 8;

    /// <summary>Seeded randomness for simulations (Retry connection IDs, stateless resets).</summary>
    public Random? Random { get; init; }
}

/// <summary>
/// Everything behind one UDP socket, sans-IO: routes datagrams to connections by connection ID,
/// accepts new ones (server), answers with Version Negotiation, Retry and Stateless Reset packets,
/// and multiplexes the connections' output. The driver calls it from one thread (or under a lock).
/// </summary>
public sealed class QuicEndpointCore : IConnectionIdRegistry
{
    private readonly Dictionary<ConnectionId, QuicConnectionCore> _byCid = [];
    private readonly List<QuicConnectionCore> _connections = [];
    private readonly Queue<QuicConnectionCore> _accepted = new();
    private readonly Queue<(IPEndPoint To, byte[] Datagram)> _endpointPackets = new();
    private readonly byte[] _staticKey;
    private readonly AddressTokens _tokens;
    private readonly Random _rng;
    private int _roundRobin;
    private int _eventScan;

    public QuicEndpointCore(QuicEndpointOptions options)
    {
        Options = options;
        _staticKey = options.StaticKey ?? RandomNumberGenerator.GetBytes(32);
        _tokens = new AddressTokens(_staticKey);
        _rng = options.Random ?? new Random();
    }

    public QuicEndpointOptions Options { get; }

    /// <summary>Connections alive on this endpoint.</summary>
    public IReadOnlyList<QuicConnectionCore> Connections => _connections;

    /// <summary>Datagrams dropped before reaching a connection (unknown CID, too short, bad token...).</summary>
    public long DroppedDatagrams { get; private set; }

    /// <summary>Starts a client connection to <paramref name="remote"/>.</summary>
    public QuicConnectionCore Connect(long nowUs, QuicConnectionOptions options, IPEndPoint remote)
    {
        var c = QuicConnectionCore.CreateClient(options, remote, nowUs, this);
        _connections.Add(c);
        return c;
    }

    /// <summary>Feeds one received datagram.</summary>
    public void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn)
    {
        if (!PacketHeader.TryParse(datagram, Options.ConnectionIdLength, out var h)) { DroppedDatagrams++; return; }
        if (_byCid.TryGetValue(h.DestinationConnectionId, out var known))
        {
            known.HandleDatagram(nowUs, datagram, from, ecn, h, Options.ConnectionIdLength);
            return;
        }
        if (!h.IsLongHeader)
        {
            SendStatelessReset(h.DestinationConnectionId, datagram.Length, from);
            DroppedDatagrams++;
            return;
        }
        var server = Options.Server;
        if (server is null) { DroppedDatagrams++; return; }
        // RFC 9000 §14.1: a server discards an Initial in a datagram smaller than 1200 bytes.
        if (datagram.Length < 1200) { DroppedDatagrams++; return; }
        if (!QuicVersion.IsSupported(h.Version))
        {
            // RFC 9000 §6.1: answer an unknown version with Version Negotiation.
            var vn = new byte[7 + 2 * 255 + 12];
            int n = VersionNegotiationPacket.Write(vn, datagram.Slice(h.SourceConnectionIdOffset, h.SourceConnectionIdLength),
                datagram.Slice(h.DestinationConnectionIdOffset, h.DestinationConnectionIdLength),
                [QuicVersion.V1, QuicVersion.V2, QuicVersion.V2Draft], includeGreasedVersion: true);
            _endpointPackets.Enqueue((from, vn[..n]));
            return;
        }
        if (h.Type != PacketType.Initial) { DroppedDatagrams++; return; }
        // RFC 9000 §7.2: the client's first Destination Connection ID is at least 8 bytes.
        if (h.DestinationConnectionId.Length < 8) { DroppedDatagrams++; return; }
        if (_connections.Count >= Options.MaxConnections) { DroppedDatagrams++; return; }

        var token = datagram.Slice(h.TokenOffset, h.TokenLength);
        long unixNow = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        QuicConnectionCore connection;
        if (Options.RequireRetry)
        {
            if (token.IsEmpty)
            {
                SendRetry(h, from, unixNow);
                return;
            }
            if (!_tokens.TryValidateRetryToken(token, from, unixNow, out var odcid, out var retryScid) ||
                retryScid != h.DestinationConnectionId)
            {
                // RFC 9000 §8.1.3: an invalid token; the client can retry with a fresh connection.
                DroppedDatagrams++;
                return;
            }
            connection = QuicConnectionCore.CreateServer(server, from, nowUs, h.Version, h.DestinationConnectionId,
                h.SourceConnectionId, odcid, retryScid, addressValidated: true, this);
        }
        else
        {
            bool validated = !token.IsEmpty && _tokens.TryValidateNewToken(token, from, unixNow);
            connection = QuicConnectionCore.CreateServer(server, from, nowUs, h.Version, h.DestinationConnectionId,
                h.SourceConnectionId, h.DestinationConnectionId, null, validated, this);
        }
        connection.SetTokenKey(_tokens);
        _connections.Add(connection);
        _accepted.Enqueue(connection);
        connection.HandleDatagram(nowUs, datagram, from, ecn);
    }

    private void SendRetry(in PacketHeader h, IPEndPoint from, long unixNow)
    {
        var retryScid = ConnectionId.Random(Options.ConnectionIdLength, _rng);
        var token = _tokens.CreateRetryToken(from, h.DestinationConnectionId, retryScid, unixNow);
        var buffer = new byte[64 + token.Length + 2 * ConnectionId.MaxLength];
        int n = RetryPacket.Write(buffer, h.Version, h.SourceConnectionId, retryScid, token);
        RetryIntegrity.ComputeTag(h.Version, h.DestinationConnectionId.Span, buffer.AsSpan(0, n), buffer.AsSpan(n, 16));
        _endpointPackets.Enqueue((from, buffer[..(n + 16)]));
    }

    private void SendStatelessReset(ConnectionId dcid, int receivedLength, IPEndPoint to)
    {
        // RFC 9000 §10.3: smaller than the packet that triggered it (no loops), at least 21 bytes.
        int length = Math.Min(receivedLength - 1, 43);
        if (length < 21 || _endpointPackets.Count > 64) return;
        var packet = new byte[length];
        _rng.NextBytes(packet.AsSpan(0, length - 16));
        packet[0] = (byte)(0x40 | (packet[0] & 0x3f));
        DeriveResetToken(dcid, packet.AsSpan(length - 16));
        _endpointPackets.Enqueue((to, packet));
    }

    /// <summary>Runs every timer due at <paramref name="nowUs"/>.</summary>
    public void HandleTimeout(long nowUs)
    {
        for (int i = 0; i < _connections.Count; i++)
        {
            var c = _connections[i];
            if (c.PollTimeout() is { } t && t <= nowUs) c.HandleTimeout(nowUs);
        }
        RemoveFinished();
    }

    private void RemoveFinished()
    {
        for (int i = _connections.Count - 1; i >= 0; i--)
        {
            var c = _connections[i];
            if (c.IsClosed && !c.HasEvents) _connections.RemoveAt(i);
        }
    }

    /// <summary>Next datagram(s) to send from any connection (or the endpoint itself).</summary>
    public bool PollTransmit(long nowUs, Span<byte> buffer, int maxSegments, out Transmit transmit)
    {
        if (_endpointPackets.TryDequeue(out var packet))
        {
            packet.Datagram.CopyTo(buffer);
            transmit = new Transmit(packet.To, packet.Datagram.Length, packet.Datagram.Length, EcnCodepoint.NotEct);
            return true;
        }
        int n = _connections.Count;
        for (int i = 0; i < n; i++)
        {
            int index = (_roundRobin + i) % n;
            if (_connections[index].PollTransmit(nowUs, buffer, maxSegments, out transmit))
            {
                _roundRobin = (index + 1) % n;
                return true;
            }
        }
        transmit = default;
        return false;
    }

    /// <summary>Earliest timer of any connection, or null.</summary>
    public long? PollTimeout()
    {
        long? earliest = null;
        foreach (var c in _connections)
            if (c.PollTimeout() is { } t && (earliest is null || t < earliest)) earliest = t;
        return earliest;
    }

    /// <summary>Takes a newly accepted server connection (its handshake may still be running).</summary>
    public bool TryAccept(out QuicConnectionCore connection) => _accepted.TryDequeue(out connection!);

    /// <summary>Connections that have events waiting, for the driver to dispatch.</summary>
    public bool TryPollConnectionWithEvents(out QuicConnectionCore connection)
    {
        int n = _connections.Count;
        for (int i = 0; i < n; i++)
        {
            int index = (_eventScan + i) % n;
            if (_connections[index].HasEvents)
            {
                _eventScan = (index + 1) % n;
                connection = _connections[index];
                return true;
            }
        }
        connection = null!;
        return false;
    }

    void IConnectionIdRegistry.Register(ConnectionId cid, QuicConnectionCore connection) => _byCid[cid] = connection;

    void IConnectionIdRegistry.Unregister(ConnectionId cid) => _byCid.Remove(cid);

    /// <summary>RFC 9000 §10.3.2: reset tokens derived from a static key, so they survive state loss.</summary>
    public void DeriveResetToken(ConnectionId cid, Span<byte> token16) =>
        StatelessResetTokens.Derive(_staticKey, cid, token16);
}
