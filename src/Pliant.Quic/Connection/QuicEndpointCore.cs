using System.Net;
using System.Security.Cryptography;
using System.Text;
using Pliant.Quic.Crypto;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Connection;

/// <summary>
/// Everything behind one UDP socket, sans-IO: routes datagrams to connections by connection ID,
/// admits new ones (server, <c>QuicEndpointCore.Admission.cs</c>), answers with Version
/// Negotiation, Retry, Stateless Reset and refusal packets, and multiplexes the connections'
/// output. The driver calls it from one thread (or under a lock). A connection whose code fails
/// with an unexpected exception is closed with INTERNAL_ERROR; the endpoint and every other
/// connection go on.
/// </summary>
public sealed partial class QuicEndpointCore : IConnectionIdRegistry
{
    private readonly Dictionary<ConnectionId, QuicConnectionCore> _byCid = [];
    private readonly List<QuicConnectionCore> _connections = [];
    private readonly Queue<QuicConnectionCore> _accepted = new();
    private readonly Queue<(IPEndPoint To, byte[] Datagram)> _endpointPackets = new();
    private readonly byte[] _resetKey;
    private readonly AddressTokens _tokens;
    private readonly RandomSource _rng;
    private int _roundRobin;
    private int _eventScan;

    public QuicEndpointCore(QuicEndpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Limits.Validate();
        if (options.StaticKey is { Length: < 16 }) throw new ArgumentException("the static key is at least 16 bytes", nameof(options));
        if (options.ConnectionIdGenerator is { } g && g.Length != options.ConnectionIdLength)
            throw new ArgumentException($"the connection ID generator makes {g.Length}-byte IDs, ConnectionIdLength is {options.ConnectionIdLength}", nameof(options));
        Options = options;
        byte[] staticKey = options.StaticKey ?? RandomNumberGenerator.GetBytes(32);
        // One configured secret, two independent keys (HKDF, RFC 5869): token sealing and reset-token MACs.
        _resetKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, staticKey, 32, info: Encoding.ASCII.GetBytes("pliant stateless reset"));
        byte[] tokenKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, staticKey, 32, info: Encoding.ASCII.GetBytes("pliant address token"));
        _tokens = new AddressTokens(tokenKey);
        CryptographicOperations.ZeroMemory(tokenKey);
        _rng = RandomSource.From(options.Random);
        int rate = options.Limits.StatelessResponsesPerSecond;
        _statelessBudget = new TokenBucket(rate, Math.Max(1, rate / 10));
    }

    public QuicEndpointOptions Options { get; }

    /// <summary>Connections alive on this endpoint.</summary>
    public IReadOnlyList<QuicConnectionCore> Connections => _connections;

    /// <summary>What the endpoint dropped, refused and answered statelessly.</summary>
    public EndpointStatistics Statistics { get; } = new();

    /// <summary>Datagrams dropped before reaching a connection (unknown CID, too short, junk Initial, …).</summary>
    public long DroppedDatagrams => Statistics.DroppedDatagrams;

    /// <summary>Where Retry connection IDs and stateless reset filler come from.</summary>
    internal RandomSource Randomness => _rng;

    /// <summary>Server connections whose handshake has not completed yet.</summary>
    public int HandshakesInProgress => _handshakes;

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
        if (!PacketHeader.TryParse(datagram, Options.ConnectionIdLength, out var h)) { Drop(ref Statistics.Unparseable); return; }
        if (_byCid.TryGetValue(h.DestinationConnectionId, out var known))
        {
            try
            {
                known.HandleDatagram(nowUs, datagram, from, ecn, h, Options.ConnectionIdLength);
            }
            catch (Exception e)
            {
                Fault(known, nowUs, e);
            }
            return;
        }
        if (!h.IsLongHeader)
        {
            SendStatelessReset(nowUs, h.DestinationConnectionId, datagram.Length, from);
            Statistics.DroppedDatagrams++;
            return;
        }
        if (Options.Server is null) { Statistics.DroppedDatagrams++; return; }
        Admit(nowUs, datagram, h, from, ecn);
    }

    /// <summary>Runs every timer due at <paramref name="nowUs"/>.</summary>
    public void HandleTimeout(long nowUs)
    {
        for (int i = 0; i < _connections.Count; i++)
        {
            var c = _connections[i];
            try
            {
                if (c.PollTimeout() is { } t && t <= nowUs) c.HandleTimeout(nowUs);
            }
            catch (Exception e)
            {
                Fault(c, nowUs, e);
            }
        }
        RemoveFinished();
    }

    private void RemoveFinished()
    {
        for (int i = _connections.Count - 1; i >= 0; i--)
        {
            var c = _connections[i];
            if (!c.IsClosed || c.HasEvents) continue;
            _connections.RemoveAt(i);
            OnRemoved(c);
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
            var c = _connections[index];
            bool sent;
            try
            {
                sent = c.PollTransmit(nowUs, buffer, maxSegments, out transmit);
            }
            catch (Exception e)
            {
                Fault(c, nowUs, e);
                sent = false;
                transmit = default;
            }
            if (sent)
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

    /// <summary>
    /// Closes <paramref name="connection"/> after code inside it (or the application acting on it)
    /// failed unexpectedly: CONNECTION_CLOSE with INTERNAL_ERROR (RFC 9000 §20.1) when a close can
    /// still be built, otherwise at once. Only that connection is affected.
    /// </summary>
    public void Fault(QuicConnectionCore connection, long nowUs, Exception error)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Statistics.ConnectionsFaulted++;
        connection.Fault(nowUs, error);
    }

    void IConnectionIdRegistry.Register(ConnectionId cid, QuicConnectionCore connection) => _byCid[cid] = connection;

    void IConnectionIdRegistry.Unregister(ConnectionId cid) => _byCid.Remove(cid);

    IConnectionIdGenerator? IConnectionIdRegistry.Generator => Options.ConnectionIdGenerator;

    /// <summary>RFC 9000 §10.3.2: reset tokens derived from a static key, so they survive state loss.</summary>
    public void DeriveResetToken(ConnectionId cid, Span<byte> token16) =>
        StatelessResetTokens.Derive(_resetKey, cid, token16);

    private void Drop(ref long reason)
    {
        reason++;
        Statistics.DroppedDatagrams++;
    }
}
