using System.Net;
using Pliant.Quic;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;
using Pliant.Router.FirstFlight;
using Pliant.Router.QuicLb;
using Pliant.Router.Rules;
using Pliant.Router.Tables;

namespace Pliant.Router;

/// <summary>What to do with a client datagram.</summary>
public enum RouteAction
{
    /// <summary>Send it to <see cref="RouteResult.Backend"/>.</summary>
    Forward,

    /// <summary>The router keeps it until the first flight it belongs to is complete (see <see cref="QuicRouter.TryTakeReleased"/>).</summary>
    Held,

    /// <summary>Dropped (counted under <see cref="RouteResult.Reason"/>).</summary>
    Drop,
}

/// <summary>What a forwarding decision was based on.</summary>
public enum RouteBasis
{
    /// <summary>Not forwarded.</summary>
    None,

    /// <summary>A QUIC-LB routable connection ID.</summary>
    QuicLb,

    /// <summary>A connection ID learned from a foreign backend.</summary>
    LearnedId,

    /// <summary>The DCID of a first flight already routed (Initial retransmission, 0-RTT).</summary>
    FirstFlight,

    /// <summary>The ClientHello of a new connection (name, ALPN, default).</summary>
    ClientHello,

    /// <summary>The client's 4-tuple (a flow to a foreign backend).</summary>
    FourTuple,

    /// <summary>An unknown QUIC version sent to the default backend.</summary>
    UnknownVersion,
}

/// <summary>
/// Receives each datagram <see cref="QuicRouter.Dispatch"/> forwards: <paramref name="basis"/> is what routed it
/// (<see cref="RouteBasis.ClientHello"/> for the held datagrams of a first flight released with it).
/// </summary>
public delegate void RoutedDatagramHandler(RouterBackend backend, ReadOnlySpan<byte> datagram, IPEndPoint client, EcnCodepoint ecn, RouteBasis basis);

/// <summary>The router's decision for one client datagram.</summary>
public readonly record struct RouteResult(RouteAction Action, RouterBackend? Backend, DropReason Reason, RouteBasis Basis = RouteBasis.None)
{
    internal static RouteResult To(RouterBackend b, RouteBasis basis) => new(RouteAction.Forward, b, default, basis);
    internal static RouteResult Hold => new(RouteAction.Held, null, default);
    internal static RouteResult Dropped(DropReason r) => new(RouteAction.Drop, null, r);
}

/// <summary>
/// The routing core of <c>pliant route</c>, sans-IO (DESIGN §2): it decides which backend each client datagram
/// goes to and keeps only bounded, expiring state; the host owns the sockets, the clock and the forwarding.
/// Order of decisions for a client datagram (draft-ietf-quic-load-balancers-21 §4.2, with the advanced
/// fallback of §4.3.2):
/// <list type="number">
/// <item>a connection ID learned from a foreign backend's long-header packets;</item>
/// <item>a QUIC-LB routable connection ID (Pliant backends: no state at all);</item>
/// <item>an Initial (or 0-RTT) packet whose DCID is a first flight already routed;</item>
/// <item>a new first flight: the Initial is opened with the keys of its DCID (v1, v2), the ClientHello
///   reassembled across Initial packets (held until complete), and the rules choose by server name and
///   ALPN (<see cref="RoutingRules"/>);</item>
/// <item>the client's 4-tuple, through <see cref="FourTupleLookup"/> (the host's flows to foreign backends);</item>
/// <item>otherwise the datagram is dropped and counted.</item>
/// </list>
/// Thread-safe: QUIC-LB routing takes no lock; the tables are guarded by one lock.
/// </summary>
public sealed partial class QuicRouter
{
    private readonly Lock _lock = new();
    private readonly RouterLimits _limits;
    private readonly QuicLbRouting? _quicLb;
    private readonly RoutingRules _rules;
    private readonly RouterBackend[] _backends;
    private readonly RandomSource _random;
    private readonly InitialInspector _inspector = new();
    private readonly CryptoCapture _capture = new();
    private readonly ExpiringTable<ConnectionId, FirstFlightRoute> _firstFlights;
    private readonly Dictionary<IPEndPoint, ConnectionId> _firstFlightByClient = [];
    private readonly ExpiringTable<ConnectionId, PendingFlight> _pending;
    private readonly ExpiringTable<ConnectionId, RouterBackend> _learned;
    private readonly Queue<HeldDatagram> _released = new();
    private int[] _learnedLengths = [];
    private int _pendingBytes;

    private sealed record FirstFlightRoute(RouterBackend Backend, IPEndPoint Client);

    /// <summary>Creates a router over <paramref name="backends"/> (every backend any rule or QUIC-LB server ID names).</summary>
    /// <param name="backends">All backends; their <see cref="RouterBackend.Index"/> is set to their position.</param>
    /// <param name="rules">Routing of new connections by server name, ALPN and default.</param>
    /// <param name="quicLb">QUIC-LB configurations and server IDs; null when no backend issues routable IDs.</param>
    /// <param name="limits">Table bounds and timeouts; <see cref="RouterLimits.Default"/> if null.</param>
    /// <param name="random">Randomness for health probes; the CSPRNG if null.</param>
    public QuicRouter(IReadOnlyList<RouterBackend> backends, RoutingRules rules, QuicLbRouting? quicLb = null, RouterLimits? limits = null, RandomSource? random = null)
    {
        ArgumentNullException.ThrowIfNull(backends);
        _rules = rules ?? throw new ArgumentNullException(nameof(rules));
        _limits = limits ?? RouterLimits.Default;
        _limits.Validate();
        _quicLb = quicLb is { IsEmpty: false } ? quicLb : null;
        _random = random ?? RandomSource.Secure;
        _backends = [.. backends];
        for (int i = 0; i < _backends.Length; i++) _backends[i].Index = i;
        _firstFlights = new ExpiringTable<ConnectionId, FirstFlightRoute>(_limits.MaxFirstFlights) { Evicted = OnFirstFlightEvicted };
        _pending = new ExpiringTable<ConnectionId, PendingFlight>(_limits.MaxPendingFlights) { Evicted = OnPendingEvicted };
        _learned = new ExpiringTable<ConnectionId, RouterBackend>(_limits.MaxLearnedIds) { Evicted = (_, _) => Statistics.CountLearnedEviction() };
        _probes = new ProbeState[_backends.Length];
        for (int i = 0; i < _probes.Length; i++) _probes[i] = new ProbeState();
    }

    /// <summary>
    /// Told about each first flight whose Initial opened: its Initials, then how it was routed or why it was dropped
    /// (<see cref="FirstFlightQlog"/> writes them as qlog); null (default) tells nobody. Set before traffic flows.
    /// </summary>
    public IFirstFlightObserver? FirstFlightObserver { get; set; }

    /// <summary>Counters (the host adds its own: datagrams to and from clients, flows, send failures).</summary>
    public RouterStatistics Statistics { get; } = new();

    /// <summary>The backends, by <see cref="RouterBackend.Index"/>.</summary>
    public IReadOnlyList<RouterBackend> Backends => _backends;

    /// <summary>The limits in force.</summary>
    public RouterLimits Limits => _limits;

    /// <summary>
    /// The host's 4-tuple table (flows to foreign backends): asked for a client whose datagram no connection ID
    /// routes (draft §4.2 step 4), e.g. a foreign server's connection IDs from NEW_CONNECTION_ID frames.
    /// </summary>
    public Func<IPEndPoint, RouterBackend?>? FourTupleLookup { get; set; }

    /// <summary>Decides where the datagram from <paramref name="client"/> goes. Never throws for any input.</summary>
    public RouteResult RouteFromClient(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint client, EcnCodepoint ecn = EcnCodepoint.NotEct)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (datagram.Length < 2) return Drop(DropReason.Malformed);
        if ((datagram[0] & 0x80) == 0) return RouteShortHeader(nowUs, datagram, client);
        return RouteLongHeader(nowUs, datagram, client, ecn);
    }

    /// <summary>
    /// Counts and routes one client datagram, then hands it — and every datagram its first flight released — to
    /// <paramref name="forward"/> (the host's receive loop; pass a delegate made once, not per datagram).
    /// </summary>
    public RouteResult Dispatch(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint client, EcnCodepoint ecn, RoutedDatagramHandler forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        Statistics.CountFromClient(datagram.Length);
        var r = RouteFromClient(nowUs, datagram, client, ecn);
        if (r.Action == RouteAction.Forward) forward(r.Backend!, datagram, client, ecn, r.Basis);
        while (TryTakeReleased(out var held)) forward(held.Backend, held.Data, held.Client, held.Ecn, RouteBasis.ClientHello);
        return r;
    }

    /// <summary>Takes the next datagram released by a first flight that became complete (forward it to its backend).</summary>
    public bool TryTakeReleased(out HeldDatagram datagram)
    {
        lock (_lock) return _released.TryDequeue(out datagram);
    }

    private RouteResult Drop(DropReason reason)
    {
        Statistics.Drop(reason);
        return RouteResult.Dropped(reason);
    }

    /// <summary>RFC 9000 §17.3: a short header carries no DCID length; the tables know the lengths they hold.</summary>
    private RouteResult RouteShortHeader(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint client)
    {
        var lengths = Volatile.Read(ref _learnedLengths);
        if (lengths.Length > 0)
        {
            lock (_lock)
            {
                foreach (int length in lengths)
                {
                    if (datagram.Length <= 1 + length) continue;
                    if (_learned.TryGet(new ConnectionId(datagram.Slice(1, length)), nowUs, out var learned))
                    {
                        Statistics.CountLearned();
                        return RouteResult.To(learned, RouteBasis.LearnedId);
                    }
                }
            }
        }
        if (_quicLb is not null && _quicLb.TryRoute(datagram[1..], out var backend))
        {
            Statistics.CountQuicLb();
            return RouteResult.To(backend, RouteBasis.QuicLb);
        }
        return RouteByFourTupleOrDrop(client);
    }

    private RouteResult RouteByFourTupleOrDrop(IPEndPoint client)
    {
        if (FourTupleLookup?.Invoke(client) is { } flow)
        {
            Statistics.CountRoutedByFlow();
            return RouteResult.To(flow, RouteBasis.FourTuple);
        }
        return Drop(DropReason.UnknownConnectionId);
    }

    private RouteResult RouteLongHeader(long nowUs, ReadOnlySpan<byte> datagram, IPEndPoint client, EcnCodepoint ecn)
    {
        if (!LenientHeader.TryParse(datagram, out var h) || h.Version == QuicVersion.Negotiation) return Drop(DropReason.Malformed);
        var dcid = datagram.Slice(h.DestinationConnectionIdOffset, h.DestinationConnectionIdLength);
        if (!h.IsSupportedVersion)
        {
            // Draft §9: connection IDs are version-independent; otherwise the default backend answers with
            // Version Negotiation (RFC 9000 §6.1), which the router cannot do without knowing its versions.
            if (TryRouteByConnectionId(nowUs, dcid, out var byId, out var basis)) return RouteResult.To(byId, basis);
            if (RoutingRules.Pick(_rules.Default, Hash(dcid)) is { } fallback)
            {
                Statistics.CountUnknownVersion();
                return RouteResult.To(fallback, RouteBasis.UnknownVersion);
            }
            return Drop(DropReason.UnknownVersion);
        }
        switch (h.Type)
        {
            case PacketType.Initial:
                return RouteInitial(nowUs, datagram, h, client, ecn);
            case PacketType.ZeroRtt:
                return RouteZeroRtt(nowUs, datagram, h, client, ecn);
            case PacketType.Handshake:
                if (TryRouteByConnectionId(nowUs, dcid, out var hs, out var hsBasis))
                {
                    ForgetFirstFlight(client, hs);
                    return RouteResult.To(hs, hsBasis);
                }
                lock (_lock)
                {
                    if (_firstFlights.TryGet(h.DestinationConnectionId, nowUs, out var route))
                    {
                        Statistics.CountFirstFlight();
                        return RouteResult.To(route.Backend, RouteBasis.FirstFlight);
                    }
                }
                return RouteByFourTupleOrDrop(client);
            default:
                // Retry and Version Negotiation come from servers only.
                return Drop(DropReason.Malformed);
        }
    }

    /// <summary>A learned ID first (a foreign backend's random ID might decode as routable by chance), then QUIC-LB.</summary>
    private bool TryRouteByConnectionId(long nowUs, ReadOnlySpan<byte> dcid, out RouterBackend backend, out RouteBasis basis)
    {
        basis = RouteBasis.None;
        if (dcid.Length is > 0 and <= ConnectionId.MaxLength && Volatile.Read(ref _learnedLengths).Length > 0)
        {
            lock (_lock)
            {
                if (_learned.TryGet(new ConnectionId(dcid), nowUs, out backend))
                {
                    Statistics.CountLearned();
                    basis = RouteBasis.LearnedId;
                    return true;
                }
            }
        }
        if (_quicLb is not null && _quicLb.TryRoute(dcid, out backend))
        {
            Statistics.CountQuicLb();
            basis = RouteBasis.QuicLb;
            return true;
        }
        backend = null!;
        return false;
    }

    /// <summary>FNV-1a of the client's first DCID: the same connection lands on the same pool member on every retransmission.</summary>
    private static uint Hash(ReadOnlySpan<byte> dcid)
    {
        uint h = 2166136261;
        foreach (byte b in dcid) h = (h ^ b) * 16777619;
        return h;
    }
}
