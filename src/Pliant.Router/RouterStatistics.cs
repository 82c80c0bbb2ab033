namespace Pliant.Router;

/// <summary>Why the router dropped a datagram (each has a counter in <see cref="RouterStatistics"/>).</summary>
public enum DropReason
{
    /// <summary>Too short, or a long header that does not parse (RFC 8999 §5.1), or a packet type a client never sends.</summary>
    Malformed,

    /// <summary>A client Initial in a datagram under 1200 bytes (RFC 9000 §14.1: servers drop those).</summary>
    ShortInitial,

    /// <summary>An Initial with a fresh DCID that does not decrypt under that DCID's Initial keys, or holds no ClientHello.</summary>
    JunkInitial,

    /// <summary>A complete ClientHello that does not parse.</summary>
    BadClientHello,

    /// <summary>A ClientHello longer than <see cref="RouterLimits.MaxClientHelloBytes"/>.</summary>
    ClientHelloTooLarge,

    /// <summary>No rule matched and there is no default, or every candidate backend is down.</summary>
    NoBackend,

    /// <summary>A DCID that no table knows and that is not QUIC-LB routable (after the 4-tuple, for foreign backends).</summary>
    UnknownConnectionId,

    /// <summary>An unknown QUIC version with an unroutable DCID and no default backend to answer Version Negotiation.</summary>
    UnknownVersion,

    /// <summary>A pending first flight already holds <see cref="RouterLimits.MaxHeldDatagramsPerFlight"/> datagrams.</summary>
    FlightFull,

    /// <summary>Held datagrams of a pending first flight dropped because it was evicted (pending bytes or count exhausted) or timed out.</summary>
    FlightExpired,

    /// <summary>A datagram for a foreign backend when the flow table was full of active flows (host).</summary>
    FlowTableFull,

    /// <summary>A datagram from a backend without a valid forwarding header, or from an address that is no backend (host).</summary>
    BadBackendDatagram,

    /// <summary>A send failed in the socket (host).</summary>
    SendFailed,

    /// <summary>A listener of a shared port had <c>SharedPortTransport.MaxQueued</c> datagrams waiting (it is not keeping up), or is gone.</summary>
    QueueFull,
}

/// <summary>Counters of a <see cref="QuicRouter"/> and its host; updated with interlocked adds, read at any time.</summary>
public sealed class RouterStatistics
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private long _fromClients, _fromClientsBytes, _toClients, _toClientsBytes;
    private long _byQuicLb, _byLearned, _byFirstFlight, _byHello, _byFlow, _byDefaultVersion;
    private long _spanning, _noSni, _firstFlightEvictions, _learnedEvictions, _flowEvictions, _downs, _ups, _purged;

    /// <summary>Datagrams received from clients.</summary>
    public long DatagramsFromClients => Interlocked.Read(ref _fromClients);

    /// <summary>Bytes received from clients.</summary>
    public long BytesFromClients => Interlocked.Read(ref _fromClientsBytes);

    /// <summary>Datagrams sent to clients.</summary>
    public long DatagramsToClients => Interlocked.Read(ref _toClients);

    /// <summary>Bytes sent to clients.</summary>
    public long BytesToClients => Interlocked.Read(ref _toClientsBytes);

    /// <summary>Client datagrams routed by a QUIC-LB connection ID (no state).</summary>
    public long RoutedByQuicLb => Interlocked.Read(ref _byQuicLb);

    /// <summary>Client datagrams routed by a connection ID learned from a foreign backend.</summary>
    public long RoutedByLearnedId => Interlocked.Read(ref _byLearned);

    /// <summary>Client datagrams routed by the first-flight DCID table (Initial retransmissions, 0-RTT).</summary>
    public long RoutedByFirstFlight => Interlocked.Read(ref _byFirstFlight);

    /// <summary>New connections routed by their ClientHello (server name, ALPN, default).</summary>
    public long RoutedByClientHello => Interlocked.Read(ref _byHello);

    /// <summary>Client datagrams routed by their 4-tuple (an existing flow to a foreign backend).</summary>
    public long RoutedByFlow => Interlocked.Read(ref _byFlow);

    /// <summary>Datagrams of unknown QUIC versions sent to the default backend (it answers Version Negotiation).</summary>
    public long RoutedUnknownVersion => Interlocked.Read(ref _byDefaultVersion);

    /// <summary>First flights whose ClientHello spanned more than one datagram (held until complete).</summary>
    public long SpanningFirstFlights => Interlocked.Read(ref _spanning);

    /// <summary>ClientHellos without a server name (routed by ALPN or default).</summary>
    public long ClientHellosWithoutName => Interlocked.Read(ref _noSni);

    /// <summary>First-flight entries removed because the table was full.</summary>
    public long FirstFlightEvictions => Interlocked.Read(ref _firstFlightEvictions);

    /// <summary>First-flight entries removed early: the client's Handshake packet reached the same backend by the server's ID.</summary>
    public long FirstFlightsCompleted => Interlocked.Read(ref _purged);

    /// <summary>Learned connection IDs removed because the table was full.</summary>
    public long LearnedIdEvictions => Interlocked.Read(ref _learnedEvictions);

    /// <summary>Flows to foreign backends closed because the flow table was full (host).</summary>
    public long FlowEvictions => Interlocked.Read(ref _flowEvictions);

    /// <summary>Times a backend was marked down.</summary>
    public long BackendsMarkedDown => Interlocked.Read(ref _downs);

    /// <summary>Times a down backend answered again and was marked up.</summary>
    public long BackendsMarkedUp => Interlocked.Read(ref _ups);

    /// <summary>Datagrams dropped for <paramref name="reason"/>.</summary>
    public long Drops(DropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    /// <summary>Datagrams dropped for any reason.</summary>
    public long TotalDrops
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _drops.Length; i++) sum += Interlocked.Read(ref _drops[i]);
            return sum;
        }
    }

    /// <summary>Counts a drop.</summary>
    public void Drop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    /// <summary>Counts a datagram received from a client (the host calls it).</summary>
    public void CountFromClient(int bytes)
    {
        Interlocked.Increment(ref _fromClients);
        Interlocked.Add(ref _fromClientsBytes, bytes);
    }

    /// <summary>Counts a datagram sent to a client (the host calls it).</summary>
    public void CountToClient(int bytes)
    {
        Interlocked.Increment(ref _toClients);
        Interlocked.Add(ref _toClientsBytes, bytes);
    }

    /// <summary>Counts a datagram the host routed by its 4-tuple.</summary>
    public void CountRoutedByFlow() => Interlocked.Increment(ref _byFlow);

    /// <summary>Counts a flow the host closed because its table was full.</summary>
    public void CountFlowEviction() => Interlocked.Increment(ref _flowEvictions);

    internal void CountQuicLb() => Interlocked.Increment(ref _byQuicLb);
    internal void CountLearned() => Interlocked.Increment(ref _byLearned);
    internal void CountFirstFlight() => Interlocked.Increment(ref _byFirstFlight);
    internal void CountHello() => Interlocked.Increment(ref _byHello);
    internal void CountUnknownVersion() => Interlocked.Increment(ref _byDefaultVersion);
    internal void CountSpanning() => Interlocked.Increment(ref _spanning);
    internal void CountNoSni() => Interlocked.Increment(ref _noSni);
    internal void CountFirstFlightEviction() => Interlocked.Increment(ref _firstFlightEvictions);
    internal void CountFirstFlightCompleted() => Interlocked.Increment(ref _purged);
    internal void CountLearnedEviction() => Interlocked.Increment(ref _learnedEvictions);
    internal void CountDown() => Interlocked.Increment(ref _downs);
    internal void CountUp() => Interlocked.Increment(ref _ups);

    /// <summary>Snake-case names of the drop reasons, as in the --stats line.</summary>
    public static string DropName(DropReason reason) => reason switch
    {
        DropReason.Malformed => "malformed",
        DropReason.ShortInitial => "short_initial",
        DropReason.JunkInitial => "junk_initial",
        DropReason.BadClientHello => "bad_hello",
        DropReason.ClientHelloTooLarge => "hello_too_large",
        DropReason.NoBackend => "no_backend",
        DropReason.UnknownConnectionId => "unknown_cid",
        DropReason.UnknownVersion => "unknown_version",
        DropReason.FlightFull => "flight_full",
        DropReason.FlightExpired => "flight_expired",
        DropReason.FlowTableFull => "flow_table_full",
        DropReason.BadBackendDatagram => "bad_backend_datagram",
        DropReason.SendFailed => "send_failed",
        DropReason.QueueFull => "queue_full",
        _ => reason.ToString(),
    };
}
