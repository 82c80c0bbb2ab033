using System.Net;
using System.Runtime.CompilerServices;
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
    private ConnectionId _lastHitCid;
    private QuicConnectionCore? _lastHit;
    // RFC 9000 §10.3.1: the reset tokens of the peer connection IDs our connections send to (one per connection
    // and path in use), so a stateless reset — which carries no connection ID of ours — reaches its connection.
    private readonly Dictionary<UInt128, QuicConnectionCore> _byResetToken = [];
    private readonly List<QuicConnectionCore> _connections = [];
    // Connections with something going on (input, output, events, the application acting, a timer due):
    // the only ones a pass looks at. The others wait in the timer heap (lazy entries: an entry whose
    // deadline is not the connection's filed deadline is stale and skipped). Issue 17.
    private readonly List<QuicConnectionCore> _active = [];
    private readonly PriorityQueue<QuicConnectionCore, long> _timerHeap = new();
    private long _nextSweepUs = long.MinValue;
    private int _sweepCursor;
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

    /// <summary>Connections on the active list (the rest are parked until a datagram, a timer or the application wakes them).</summary>
    internal int ActiveConnections => _active.Count;

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
        AddConnection(c);
        return c;
    }

    /// <summary>Feeds one received datagram.</summary>
    public void HandleDatagram(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint from, EcnCodepoint ecn)
    {
        if (!PacketHeader.TryParse(datagram, Options.ConnectionIdLength, out var h)) { Drop(ref Statistics.Unparseable); return; }
        if (FindByCid(h.DestinationConnectionId) is { } known)
        {
            Activate(known);
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
            // RFC 9000 §10.3.1: a datagram that matches no connection ID but ends with a reset token in use is a
            // stateless reset (the smallest is 21 bytes); it is never answered with one (§10.3.3, no loops).
            if (datagram.Length >= 21 && FindByResetToken(datagram[^16..]) is { } reset)
            {
                Activate(reset);
                reset.OnStatelessReset(nowUs);
                return;
            }
            SendStatelessReset(nowUs, h.DestinationConnectionId, datagram.Length, from);
            Statistics.DroppedDatagrams++;
            return;
        }
        if (Options.Server is null) { Statistics.DroppedDatagrams++; return; }
        Admit(nowUs, datagram, h, from, ecn);
    }

    /// <summary>
    /// The connection whose stateless reset token is <paramref name="token16"/>, if any. Kept out of
    /// <see cref="HandleDatagram"/>: a call with a <see cref="UInt128"/> key has no ReadyToRun code, and the method
    /// holding it would start every process as unoptimized tier-0 code on the per-datagram path.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private QuicConnectionCore? FindByResetToken(ReadOnlySpan<byte> token16) =>
        _byResetToken.GetValueOrDefault(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(token16));

    /// <summary>Runs every timer due at <paramref name="nowUs"/>.</summary>
    public void HandleTimeout(long nowUs)
    {
        // Connections whose filed deadline came due join the active list.
        while (_timerHeap.TryPeek(out var due, out long at) && at <= nowUs)
        {
            _timerHeap.Dequeue();
            if (at != due.Slot.FiledTimeoutUs) continue; // stale: re-filed since
            due.Slot.FiledTimeoutUs = long.MaxValue;
            Activate(due);
        }
        SweepIfDue(nowUs);
        for (int i = 0; i < _active.Count; i++)
        {
            var c = _active[i];
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

    /// <summary>
    /// Defence in depth: once a second a slice of the parked connections (an eighth, at least 256) joins
    /// the active list for one pass, so every connection is looked at within eight seconds even if a
    /// change reached it by a path that did not report activity. <see cref="EndpointStatistics.MissedActivations"/>
    /// counts those that then had output: 0 unless a path is missing (tests assert it). At 10,000 idle
    /// connections this costs about 0.1 % of a core.
    /// </summary>
    private void SweepIfDue(long nowUs)
    {
        if (nowUs < _nextSweepUs) return;
        _nextSweepUs = nowUs + 1_000_000;
        int n = _connections.Count;
        int slice = Math.Min(n, Math.Max(256, n / 8));
        for (int i = 0; i < slice; i++)
        {
            if (_sweepCursor >= n) _sweepCursor = 0;
            var c = _connections[_sweepCursor++];
            if (c.Slot.Active) continue;
            Activate(c);
            c.Slot.Swept = true;
        }
    }

    /// <summary>Puts <paramref name="connection"/> on the active list (it may have output, events or a new timer).</summary>
    private void Activate(QuicConnectionCore connection)
    {
        // A connection already removed (closed and drained) may still be touched by the application — reading a
        // stream, closing again: it must not come back onto the lists (its slot index is stale).
        if (!connection.Slot.Registered) return;
        connection.Slot.Quiet = false;
        connection.Slot.Swept = false;
        if (connection.Slot.Active) return;
        connection.Slot.Active = true;
        _active.Add(connection);
    }

    void IConnectionIdRegistry.Activity(QuicConnectionCore connection) => Activate(connection);

    private void AddConnection(QuicConnectionCore connection)
    {
        connection.Slot.Index = _connections.Count;
        connection.Slot.Registered = true;
        connection.Slot.FiledTimeoutUs = long.MaxValue;
        _connections.Add(connection);
        Activate(connection);
    }

    private void RemoveFinished()
    {
        for (int i = _active.Count - 1; i >= 0; i--)
        {
            var c = _active[i];
            if (!c.IsClosed || c.HasEvents) continue;
            RemoveActiveAt(i);
            // O(1): the last connection takes its place in the list of all connections.
            int index = c.Slot.Index;
            var last = _connections[^1];
            _connections[index] = last;
            last.Slot.Index = index;
            _connections.RemoveAt(_connections.Count - 1);
            c.Slot.Registered = false;
            c.Slot.FiledTimeoutUs = long.MaxValue; // its heap entry, if any, is stale now
            OnRemoved(c);
        }
    }

    private void RemoveActiveAt(int i)
    {
        _active[i].Slot.Active = false;
        _active[i] = _active[^1];
        _active.RemoveAt(_active.Count - 1);
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
        int n = _active.Count;
        for (int i = 0; i < n; i++)
        {
            int index = (_roundRobin + i) % n;
            var c = _active[index];
            if (c.Slot.Quiet) continue;
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
                if (c.Slot.Swept)
                {
                    Statistics.MissedActivations++;
                    c.Slot.Swept = false;
                }
                _roundRobin = (index + 1) % n;
                return true;
            }
            if (!c.HasFrameExtensions) c.Slot.Quiet = true;
        }
        transmit = default;
        return false;
    }

    /// <summary>
    /// Earliest timer of any connection, or null. Also files the active connections' deadlines in the
    /// timer heap and lets those with nothing left to do (no output at the last transmit poll, no
    /// events) leave the active list.
    /// </summary>
    public long? PollTimeout()
    {
        RemoveFinished();
        for (int i = _active.Count - 1; i >= 0; i--)
        {
            var c = _active[i];
            long t = c.PollTimeout() ?? long.MaxValue;
            if (t != c.Slot.FiledTimeoutUs)
            {
                c.Slot.FiledTimeoutUs = t;
                if (t != long.MaxValue) _timerHeap.Enqueue(c, t);
            }
            if (c.Slot.Quiet && !c.HasEvents && !c.IsClosed) RemoveActiveAt(i);
        }
        // Stale entries are skipped here and bounded: rebuilt when they outnumber live ones.
        if (_timerHeap.Count > 2 * _connections.Count + 64) RebuildTimerHeap();
        long? earliest = null;
        while (_timerHeap.TryPeek(out var c, out long at))
        {
            if (at == c.Slot.FiledTimeoutUs)
            {
                earliest = at;
                break;
            }
            _timerHeap.Dequeue();
        }
        // Parked connections: the safety sweep's second is a deadline too.
        if (_active.Count < _connections.Count && (earliest is null || _nextSweepUs < earliest)) earliest = Math.Max(_nextSweepUs, 0);
        return earliest;
    }

    private void RebuildTimerHeap()
    {
        _timerHeap.Clear();
        foreach (var c in _connections)
            if (c.Slot.FiledTimeoutUs != long.MaxValue) _timerHeap.Enqueue(c, c.Slot.FiledTimeoutUs);
    }

    /// <summary>Takes a newly accepted server connection (its handshake may still be running).</summary>
    public bool TryAccept(out QuicConnectionCore connection) => _accepted.TryDequeue(out connection!);

    /// <summary>Connections that have events waiting, for the driver to dispatch.</summary>
    public bool TryPollConnectionWithEvents(out QuicConnectionCore connection)
    {
        int n = _active.Count;
        for (int i = 0; i < n; i++)
        {
            int index = (_eventScan + i) % n;
            if (_active[index].HasEvents)
            {
                _eventScan = (index + 1) % n;
                connection = _active[index];
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

    /// <summary>
    /// The connection <paramref name="cid"/> routes to. Consecutive datagrams mostly carry the same connection ID (a
    /// bulk transfer, a client's one connection), so the last hit is kept and compared byte by byte before the
    /// dictionary hashes it; any change to the table forgets it.
    /// </summary>
    private QuicConnectionCore? FindByCid(in ConnectionId cid)
    {
        if (_lastHit is { } last && cid.Equals(_lastHitCid)) return last;
        if (!_byCid.TryGetValue(cid, out var found)) return null;
        _lastHitCid = cid;
        _lastHit = found;
        return found;
    }

    void IConnectionIdRegistry.Register(ConnectionId cid, QuicConnectionCore connection)
    {
        _byCid[cid] = connection;
        _lastHit = null;
    }

    void IConnectionIdRegistry.Unregister(ConnectionId cid)
    {
        _byCid.Remove(cid);
        _lastHit = null;
    }

    void IConnectionIdRegistry.RegisterResetToken(UInt128 token, QuicConnectionCore connection) => _byResetToken[token] = connection;

    void IConnectionIdRegistry.UnregisterResetToken(UInt128 token, QuicConnectionCore connection)
    {
        if (_byResetToken.TryGetValue(token, out var c) && ReferenceEquals(c, connection)) _byResetToken.Remove(token);
    }

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
