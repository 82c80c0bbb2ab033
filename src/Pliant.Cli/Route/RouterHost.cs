using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pliant.Net.Internal;
using Pliant.Net.Udp;
using Pliant.Quic.Connection;
using Pliant.Quic.Wire;
using Pliant.Router;

namespace Pliant.Cli.Route;

/// <summary>Sockets and limits of a <see cref="RouterHost"/>.</summary>
internal sealed class RouterHostOptions
{
    /// <summary>Where clients send.</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>The backend-facing socket (Pliant backends name it in <c>--behind-router</c>); port 0 picks one. Default: the listen IP, any port.</summary>
    public IPEndPoint? Upstream { get; init; }

    /// <summary>Most flows to foreign backends at once (one socket each).</summary>
    public int MaxFlows { get; init; } = 4_096;

    /// <summary>A flow with no datagram either way for this long is closed.</summary>
    public TimeSpan FlowTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A flow whose client never got past its first flight (spoofed, or gave up) is closed after this long.</summary>
    public TimeSpan UnprovenFlowTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Use <see cref="Socket"/> instead of the libc socket (no GSO/GRO; diagnosis).</summary>
    public bool ManagedSockets { get; init; }
}

/// <summary>
/// The I/O of <c>pliant route</c> around a sans-IO <see cref="QuicRouter"/>: a listen socket for clients (GRO in,
/// GSO out), one backend-facing socket for Pliant backends (forwarding header both ways, no per-connection state)
/// and health probes, and one socket per flow to a foreign backend. Threads: the client loop (route, forward),
/// the backend loop (strip the header, send to the client), a timer (expiry, probes); foreign flows receive on
/// the thread pool.
/// </summary>
internal sealed class RouterHost : IAsyncDisposable
{
    /// <summary>Managed memory per foreign flow: receive buffer, socket and its async state, table entries (an estimate).</summary>
    public const int FlowBytes = 6 * 1024;

    private const int FlowBufferSize = 4096;
    private static readonly IPEndPoint ProbeClient = new(IPAddress.Any, 0);

    private readonly QuicRouter _router;
    private readonly RouterHostOptions _options;
    private readonly IUdpTransport _listen;
    private readonly IUdpTransport _upstream;
    private readonly Lock _listenSendLock = new();
    private readonly Lock _upstreamSendLock = new();
    private readonly Dictionary<IPEndPoint, RouterBackend> _backendsByAddress = [];
    private readonly ForeignFlows _flows;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _clientThread;
    private readonly Thread _backendThread;
    private readonly Thread _timerThread;
    private readonly long _startedUs = MonotonicClock.NowUs;
    private int _disposed;

    private RouterHost(QuicRouter router, RouterHostOptions options, IUdpTransport listen, IUdpTransport upstream)
    {
        _router = router;
        _options = options;
        _listen = listen;
        _upstream = upstream;
        foreach (var b in router.Backends) _backendsByAddress[b.Address] = b;
        _flows = new ForeignFlows(options.MaxFlows, (long)options.FlowTimeout.TotalMicroseconds, (long)options.UnprovenFlowTimeout.TotalMicroseconds);
        router.FourTupleLookup = _flows.BackendOf;
        _clientThread = new Thread(ClientLoop) { IsBackground = true, Name = "route-clients" };
        _backendThread = new Thread(BackendLoop) { IsBackground = true, Name = "route-backends" };
        _timerThread = new Thread(TimerLoop) { IsBackground = true, Name = "route-timer" };
    }

    /// <summary>Binds both sockets and starts the threads; <see cref="SocketException"/> when an address is taken.</summary>
    public static RouterHost Start(QuicRouter router, RouterHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(options);
        var listen = options.ManagedSockets ? new ManagedUdpSocket(options.Listen) : UdpTransport.Bind(options.Listen);
        IUdpTransport upstream;
        try
        {
            var bind = options.Upstream ?? new IPEndPoint(options.Listen.Address, 0);
            upstream = options.ManagedSockets ? new ManagedUdpSocket(bind) : UdpTransport.Bind(bind);
        }
        catch
        {
            listen.Dispose();
            throw;
        }
        var host = new RouterHost(router, options, listen, upstream);
        host._clientThread.Start();
        host._backendThread.Start();
        host._timerThread.Start();
        return host;
    }

    public QuicRouter Router => _router;

    /// <summary>Where clients send.</summary>
    public IPEndPoint ListenEndPoint => _listen.LocalEndPoint;

    /// <summary>Where Pliant backends see the router's datagrams come from (their <c>--behind-router</c>).</summary>
    public IPEndPoint UpstreamEndPoint => _upstream.LocalEndPoint;

    /// <summary>Flows to foreign backends open now.</summary>
    public int Flows => _flows.Count;

    /// <summary>Bytes of routing state: the router's tables and the flows.</summary>
    public long StateBytes => _router.State.Bytes + (long)_flows.Count * FlowBytes;

    private void ClientLoop()
    {
        var batch = _listen.CreateReceiveBatch();
        var toBackends = new GsoBatcher(_upstream, _upstreamSendLock);
        var header = new byte[ForwardingHeader.MaxLength];
        var stats = _router.Statistics;
        long now = 0;
        // Made once: the datagrams of a new connection's first flight are not yet proof that the client's address is real.
        RoutedDatagramHandler forward = (backend, data, client, ecn, basis) =>
            Forward(now, backend, data, client, ecn, basis is not (RouteBasis.ClientHello or RouteBasis.FirstFlight), toBackends, header);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                int n = _listen.ReceiveBatch(batch, 100);
                if (n == 0) continue;
                now = MonotonicClock.NowUs;
                for (int i = 0; i < n; i++)
                {
                    ref var entry = ref batch[i];
                    int segments = batch.SegmentCount(i);
                    for (int s = 0; s < segments; s++)
                    {
                        try
                        {
                            _router.Dispatch(now, batch.GetSegment(i, s), entry.From, entry.Ecn, forward);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException && !_stop.IsCancellationRequested)
                        {
                            // A bug must cost one datagram, not the router (docs/security.md, "Faults stay in their connection").
                            stats.Drop(DropReason.Malformed);
                            ReportFault(e);
                        }
                    }
                }
                toBackends.Flush();
            }
        }
        catch (ObjectDisposedException) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            UdpBufferPool.ReturnBatch(batch);
        }
    }

    private void Forward(long now, RouterBackend backend, ReadOnlySpan<byte> data, IPEndPoint client, EcnCodepoint ecn, bool proven,
        GsoBatcher toBackends, byte[] header)
    {
        if (backend.ForwardingHeader)
        {
            backend.CountToBackend(data.Length);
            int h = ForwardingHeader.Write(header, client, ecn);
            toBackends.Add(backend.Address, ecn, header.AsSpan(0, h), data);
            return;
        }
        ForeignFlow? flow;
        bool created;
        try
        {
            flow = _flows.GetOrAdd(client, backend, now, () => OpenFlow(client, backend, now), out created);
        }
        catch (SocketException)
        {
            _router.Statistics.Drop(DropReason.SendFailed); // no socket for a new flow (descriptors exhausted)
            return;
        }
        if (flow is null)
        {
            _router.Statistics.Drop(DropReason.FlowTableFull);
            return;
        }
        if (proven) flow.Proven = true;
        if (created) _ = Task.Run(() => FlowLoopAsync(flow));
        backend.CountToBackend(data.Length);
        try
        {
            flow.Socket.Send(data);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            _router.Statistics.Drop(DropReason.SendFailed);
        }
    }

    private ForeignFlow OpenFlow(IPEndPoint client, RouterBackend backend, long now)
    {
        var socket = new Socket(backend.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            var local = _upstream.LocalEndPoint.Address;
            if (local.AddressFamily != backend.Address.AddressFamily) local = backend.Address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
            socket.Bind(new IPEndPoint(local, 0));
            socket.Connect(backend.Address);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new ForeignFlow(client, backend, socket, now);
    }

    private async Task FlowLoopAsync(ForeignFlow flow)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(FlowBufferSize, pinned: true);
        var stats = _router.Statistics;
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await flow.Socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP port unreachable for an earlier send (backend not up), a truncated datagram: lost
            }
            long now = MonotonicClock.NowUs;
            Volatile.Write(ref flow.LastUsedUs, now);
            flow.Backend.CountFromBackend(n);
            if (_router.OnBackendDatagram(now, flow.Backend, buffer.AsSpan(0, n))) continue;
            stats.CountToClient(n);
            try
            {
                lock (_listenSendLock) _listen.Send(buffer.AsSpan(0, n), flow.Client, 0, EcnCodepoint.NotEct);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private void BackendLoop()
    {
        var batch = _upstream.CreateReceiveBatch();
        var toClients = new GsoBatcher(_listen, _listenSendLock);
        var clients = new EndPointCache();
        var stats = _router.Statistics;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                int n = _upstream.ReceiveBatch(batch, 100);
                if (n == 0) continue;
                long now = MonotonicClock.NowUs;
                for (int i = 0; i < n; i++)
                {
                    ref var entry = ref batch[i];
                    if (!_backendsByAddress.TryGetValue(entry.From, out var backend))
                    {
                        stats.Drop(DropReason.BadBackendDatagram);
                        continue;
                    }
                    int segments = batch.SegmentCount(i);
                    for (int s = 0; s < segments; s++)
                    {
                        var data = batch.GetSegment(i, s);
                        if (!backend.ForwardingHeader)
                        {
                            // A foreign backend writes here only to answer a health probe.
                            if (!_router.OnBackendDatagram(now, backend, data)) stats.Drop(DropReason.BadBackendDatagram);
                            continue;
                        }
                        if (!ForwardingHeader.TryRead(data, out int headerLength, out var ecn, out ushort port, out var address))
                        {
                            stats.Drop(DropReason.BadBackendDatagram);
                            continue;
                        }
                        var payload = data[headerLength..];
                        if (payload.IsEmpty)
                        {
                            stats.Drop(DropReason.BadBackendDatagram);
                            continue;
                        }
                        if (port == 0 && IsUnspecified(address))
                        {
                            _router.OnBackendDatagram(now, backend, payload); // the answer to a health probe
                            continue;
                        }
                        backend.CountFromBackend(payload.Length);
                        if (!backend.RoutableByQuicLb && _router.OnBackendDatagram(now, backend, payload)) continue;
                        var client = address.Length == 4 ? clients.GetV4(address, port) : clients.GetV6(address, port, 0);
                        stats.CountToClient(payload.Length);
                        toClients.Add(client, ecn, default, payload);
                    }
                }
                toClients.Flush();
            }
        }
        catch (ObjectDisposedException) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            UdpBufferPool.ReturnBatch(batch);
        }
    }

    /// <summary>Unexpected exceptions in the loops (bugs), counted; the first is kept for the log.</summary>
    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>The first unexpected exception, if any.</summary>
    public Exception? FirstFault { get; private set; }

    private long _faults;

    private void ReportFault(Exception e)
    {
        if (Interlocked.Increment(ref _faults) == 1) FirstFault = e;
    }

    private static bool IsUnspecified(ReadOnlySpan<byte> address) => address.IndexOfAnyExcept((byte)0) < 0;

    private void TimerLoop()
    {
        var probe = new byte[ForwardingHeader.MaxLength + QuicRouter.ProbeLength];
        long nextExpiry = 0;
        while (!_stop.IsCancellationRequested)
        {
            if (_stop.Token.WaitHandle.WaitOne(50)) return;
            long now = MonotonicClock.NowUs;
            _router.HandleTimeout(now);
            while (_router.TryPollProbe(now, probe.AsSpan(ForwardingHeader.MaxLength), out var backend, out int length))
            {
                int start = ForwardingHeader.MaxLength;
                if (backend.ForwardingHeader)
                {
                    // Behind the header naming 0.0.0.0:0: the backend's Version Negotiation comes back under that name.
                    int h = ForwardingHeader.LengthFor(ProbeClient);
                    start -= h;
                    ForwardingHeader.Write(probe.AsSpan(start), ProbeClient, EcnCodepoint.NotEct);
                }
                try
                {
                    lock (_upstreamSendLock) _upstream.Send(probe.AsSpan(start, ForwardingHeader.MaxLength + length - start), backend.Address, 0, EcnCodepoint.NotEct);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
            if (now >= nextExpiry)
            {
                nextExpiry = now + 1_000_000;
                foreach (var f in _flows.Expire(now)) f.Socket.Dispose();
            }
        }
    }

    /// <summary>
    /// The <c>--stats</c> line (docs/routing.md, "Statistics"): <c>route: key=value ...</c>, counters since start, then the
    /// state, then one <c>backend.N=...</c> group per backend.
    /// </summary>
    public string StatsLine()
    {
        var s = _router.Statistics;
        var state = _router.State;
        var sb = new StringBuilder(512);
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"route: uptime_s={(MonotonicClock.NowUs - _startedUs) / 1e6:0.0}");
        sb.Append(inv, $" rx_dgrams={s.DatagramsFromClients} rx_bytes={s.BytesFromClients} tx_dgrams={s.DatagramsToClients} tx_bytes={s.BytesToClients}");
        sb.Append(inv, $" by_quiclb={s.RoutedByQuicLb} by_learned={s.RoutedByLearnedId} by_first_flight={s.RoutedByFirstFlight} by_hello={s.RoutedByClientHello} by_flow={s.RoutedByFlow} by_unknown_version={s.RoutedUnknownVersion}");
        sb.Append(inv, $" spanning_hellos={s.SpanningFirstFlights} no_sni={s.ClientHellosWithoutName} drops={s.TotalDrops}");
        foreach (var reason in Enum.GetValues<DropReason>()) sb.Append(inv, $" drop_{RouterStatistics.DropName(reason)}={s.Drops(reason)}");
        sb.Append(inv, $" first_flights={state.FirstFlights} pending={state.PendingFlights} pending_bytes={state.PendingBytes} learned={state.LearnedIds} flows={_flows.Count}");
        sb.Append(inv, $" evicted_first_flights={s.FirstFlightEvictions} evicted_learned={s.LearnedIdEvictions} state_bytes={StateBytes}");
        for (int i = 0; i < _router.Backends.Count; i++)
        {
            var b = _router.Backends[i];
            sb.Append(inv, $" backend.{i}={b.Address},{(b.Health == BackendHealth.Up ? "up" : "down")},{(b.ForwardingHeader ? "pliant" : "foreign")},conns={b.Connections},to={b.DatagramsToBackend},from={b.DatagramsFromBackend},flows={_flows.CountFor(b)}");
        }
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _clientThread.Join(TimeSpan.FromSeconds(2));
        _backendThread.Join(TimeSpan.FromSeconds(2));
        _timerThread.Join(TimeSpan.FromSeconds(2));
        foreach (var f in _flows.TakeAll()) f.Socket.Dispose();
        _listen.Dispose();
        _upstream.Dispose();
        _stop.Dispose();
    }
}
