using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pliant.Cli.Relay;

/// <summary>
/// A UDP relay between QUIC clients and one server that impairs the traffic the way a bad network does
/// (the test machines' kernel has no netem): per direction delay, jitter, loss, corruption, reordering and a
/// rate limit (<see cref="ImpairmentSettings"/>), plus a timed blackhole of both directions and the loss of
/// each client's second flight (<see cref="RelayOptions"/>). Every random choice is seeded (see
/// <see cref="RelayOptions.Seed"/>) and everything done is counted per flow and direction.
/// <para>
/// Each client address gets its own upstream socket (a <see cref="RelayFlow"/>), so the server sees one
/// address per client. Threads: one receive loop for the client side, one per flow for the server side, and
/// one departure thread when a direction is delayed or rate-limited; undelayed datagrams are sent from the
/// receive loop. Memory bound: <see cref="RelayOptions.MaxFlows"/> flows × (a socket + 64 KiB buffer + the
/// trace) and at most <see cref="DepartureScheduler.MaxQueuedBytes"/> of delayed payload.
/// </para>
/// </summary>
public sealed class ImpairmentRelay : IAsyncDisposable, IDisposable
{
    private const int BufferSize = 65536;

    private readonly RelayOptions _options;
    private readonly Socket _listen;
    private readonly IPEndPoint _addressTemplate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _flowsLock = new();
    private readonly Dictionary<SocketAddress, RelayFlow> _flowsByAddress = [];
    private readonly List<RelayFlow> _flows = [];
    private readonly List<Task> _loops = [];
    private readonly Bottleneck[] _bottlenecks = [new(), new()];
    private readonly DepartureScheduler? _scheduler;
    private readonly long _secondFlightTicks;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _sequence;
    private long _downForwardedBytes;
    private long _blackholeUntil;
    private int _blackholeTriggered;
    private long _blackholes;
    private long _rejected;
    private int _disposed;

    private ImpairmentRelay(RelayOptions options)
    {
        _options = options;
        _listen = new Socket(options.ListenEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            SetBuffers(_listen, options.SocketBufferBytes);
            _listen.Bind(options.ListenEndPoint);
        }
        catch
        {
            _listen.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_listen.LocalEndPoint!;
        _addressTemplate = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        _secondFlightTicks = ToTimestampTicks(options.LoseSecondFlight);
        if (options.ClientToServer.IsScheduled || options.ServerToClient.IsScheduled) _scheduler = new DepartureScheduler();
    }

    /// <summary>Binds <see cref="RelayOptions.ListenEndPoint"/> and starts relaying. Throws <see cref="ArgumentException"/> for bad options, <see cref="SocketException"/> if the address is taken.</summary>
    public static ImpairmentRelay Start(RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var relay = new ImpairmentRelay(options);
        lock (relay._flowsLock) relay._loops.Add(Task.Run(relay.ClientLoopAsync));
        return relay;
    }

    /// <summary>The options the relay runs with.</summary>
    public RelayOptions Options => _options;

    /// <summary>Where clients send (the bound listen address).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The flows so far, in order of their first datagram.</summary>
    public IReadOnlyList<RelayFlow> Flows
    {
        get
        {
            lock (_flowsLock) return [.. _flows];
        }
    }

    /// <summary>Datagrams dropped because <see cref="RelayOptions.MaxFlows"/> flows existed already.</summary>
    public long RejectedDatagrams => Interlocked.Read(ref _rejected);

    /// <summary>How many blackholes have started (by <see cref="RelayOptions.BlackholeAfterBytes"/> or <see cref="StartBlackhole"/>).</summary>
    public long BlackholesStarted => Interlocked.Read(ref _blackholes);

    /// <summary>True while a blackhole is on.</summary>
    public bool InBlackhole => Stopwatch.GetTimestamp() < Interlocked.Read(ref _blackholeUntil);

    /// <summary>The sum over all flows of what was done in <paramref name="direction"/>.</summary>
    public RelayCounts Total(RelayDirection direction)
    {
        var sum = default(RelayCounts);
        foreach (var f in Flows) sum += direction == RelayDirection.ClientToServer ? f.ClientToServer : f.ServerToClient;
        return sum;
    }

    /// <summary>Drops every datagram, both directions, for <paramref name="duration"/> from now.</summary>
    public void StartBlackhole(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), "must be positive");
        Interlocked.Exchange(ref _blackholeUntil, Stopwatch.GetTimestamp() + ToTimestampTicks(duration));
        Interlocked.Increment(ref _blackholes);
    }

    /// <summary>A few lines for logs: the settings, then per direction the totals, then one line per flow (at most <paramref name="maxFlows"/>).</summary>
    public string Report(int maxFlows = 8)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"relay {LocalEndPoint} -> {_options.TargetEndPoint} seed={_options.Seed} up={_options.ClientToServer} down={_options.ServerToClient}");
        if (_options.BlackholeAfterBytes >= 0) sb.Append(inv, $" blackhole-after={_options.BlackholeAfterBytes} blackhole-for={_options.BlackholeDuration.TotalMilliseconds:0}ms");
        if (_options.LoseSecondFlight > TimeSpan.Zero) sb.Append(inv, $" lose-second-flight={_options.LoseSecondFlight.TotalMilliseconds:0}ms");
        sb.AppendLine();
        var flows = Flows;
        sb.Append(inv, $"  flows={flows.Count} rejected={RejectedDatagrams} blackholes={BlackholesStarted}").AppendLine();
        sb.Append("  up:   ").Append(Total(RelayDirection.ClientToServer)).AppendLine();
        sb.Append("  down: ").Append(Total(RelayDirection.ServerToClient)).AppendLine();
        foreach (var f in flows.Take(maxFlows))
        {
            sb.Append(inv, $"  flow {f.Index} {f.Client} (server sees {f.UpstreamLocalEndPoint}): up {f.ClientToServer} | down {f.ServerToClient}").AppendLine();
        }
        if (flows.Count > maxFlows) sb.Append(inv, $"  ... {flows.Count - maxFlows} more flows").AppendLine();
        return sb.ToString();
    }

    /// <summary>Every flow's trace (<see cref="RelayOptions.TracePerFlow"/>), one line per datagram, flows in order.</summary>
    public string TraceReport()
    {
        var sb = new StringBuilder();
        foreach (var f in Flows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"flow {f.Index} {f.Client} (server sees {f.UpstreamLocalEndPoint})").AppendLine();
            foreach (var e in f.Trace.OrderBy(e => e.Sequence)) sb.Append("  ").Append(e).AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>Stops relaying and closes every socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        Task[] loops;
        lock (_flowsLock) loops = [.. _loops];
        _listen.Dispose();
        foreach (var f in Flows) f.Upstream.Dispose();
        try
        {
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        _scheduler?.Dispose();
        _stop.Dispose();
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Sends one datagram (to <paramref name="to"/>, or on a connected socket) and counts it — before sending, so a
    /// receiver never sees a datagram the counts do not hold yet; a failed send is taken back and counted as a send
    /// error, never thrown.
    /// </summary>
    internal static void Send(Socket socket, ReadOnlySpan<byte> datagram, SocketAddress? to, RelayCounters counters)
    {
        counters.Sent(datagram.Length);
        try
        {
            if (to is null) socket.Send(datagram);
            else socket.SendTo(datagram, SocketFlags.None, to);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // ICMP port unreachable (server not up yet), a full socket buffer, or shutdown: the datagram is lost.
            counters.SendFailed(datagram.Length);
        }
    }

    private async Task ClientLoopAsync()
    {
        var buffer = GC.AllocateArray<byte>(BufferSize, pinned: true);
        var from = new SocketAddress(_listen.AddressFamily);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await _listen.ReceiveFromAsync(buffer, SocketFlags.None, from, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // e.g. a reported ICMP error for an earlier send; the socket stays usable
            }
            var flow = FindOrAddFlow(from);
            if (flow is null) continue;
            Handle(flow, RelayDirection.ClientToServer, buffer.AsSpan(0, n));
        }
    }

    private async Task ServerLoopAsync(RelayFlow flow)
    {
        var buffer = GC.AllocateArray<byte>(BufferSize, pinned: true);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await flow.Upstream.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // connection refused (ICMP) while the server is not listening yet
            }
            Handle(flow, RelayDirection.ServerToClient, buffer.AsSpan(0, n));
        }
    }

    private RelayFlow? FindOrAddFlow(SocketAddress from)
    {
        lock (_flowsLock)
        {
            if (_flowsByAddress.TryGetValue(from, out var flow)) return flow;
            if (_flows.Count >= _options.MaxFlows || _stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _rejected);
                return null;
            }
            var key = new SocketAddress(from.Family, from.Size);
            from.Buffer.Span[..from.Size].CopyTo(key.Buffer.Span);
            var upstream = new Socket(_options.TargetEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                SetBuffers(upstream, _options.SocketBufferBytes);
                upstream.Bind(new IPEndPoint(_options.TargetEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
                upstream.Connect(_options.TargetEndPoint);
            }
            catch
            {
                upstream.Dispose();
                throw;
            }
            flow = new RelayFlow(_flows.Count, (IPEndPoint)_addressTemplate.Create(key), key, upstream, Stopwatch.GetTimestamp(), _options.TracePerFlow);
            _flows.Add(flow);
            _flowsByAddress.Add(key, flow);
            _loops.Add(Task.Run(() => ServerLoopAsync(flow)));
            return flow;
        }
    }

    /// <summary>Decides the fate of one datagram (in this order: blackhole, lost second flight, loss, corruption, reordering, rate) and forwards it now or queues it.</summary>
    private void Handle(RelayFlow flow, RelayDirection direction, Span<byte> datagram)
    {
        var settings = direction == RelayDirection.ClientToServer ? _options.ClientToServer : _options.ServerToClient;
        var counters = flow.Counters(direction);
        var index = flow.NextIndex(direction);
        counters.Received(datagram.Length);

        // All draws are made for every datagram, so each one's fate depends only on (seed, flow, direction, index).
        var dice = new DatagramDice(_options.Seed, flow.Index, direction, index);
        var lossDraw = dice.NextDouble();
        var corruptDraw = dice.NextDouble();
        var corruptAt = dice.Next(Math.Max(1, datagram.Length));
        var corruptMask = (byte)(1 + dice.Next(255));
        var reorderDraw = dice.NextDouble();
        var jitterDraw = dice.NextDouble();

        var now = Stopwatch.GetTimestamp();
        var packets = flow.Tracing ? PacketKinds.Describe(datagram) : "";
        RelayFate fate;
        if (now < Interlocked.Read(ref _blackholeUntil))
        {
            fate = RelayFate.Blackholed;
        }
        else if (direction == RelayDirection.ClientToServer && index > 0 && now - flow.FirstTimestamp < _secondFlightTicks)
        {
            fate = RelayFate.SecondFlightDropped;
        }
        else if (lossDraw < settings.Loss)
        {
            fate = RelayFate.Lost;
        }
        else
        {
            fate = RelayFate.Forwarded;
            if (corruptDraw < settings.Corrupt && datagram.Length > 0)
            {
                datagram[corruptAt] ^= corruptMask;
                fate |= RelayFate.Corrupted;
            }
            if (reorderDraw < settings.Reorder) fate |= RelayFate.Reordered;
        }

        var socket = direction == RelayDirection.ClientToServer ? flow.Upstream : _listen;
        var to = direction == RelayDirection.ClientToServer ? null : flow.ClientAddress;
        long due = 0;
        if ((fate & RelayFate.Forwarded) != 0 && settings.IsScheduled)
        {
            due = now + ToTimestampTicks(settings.Delay) + (long)(jitterDraw * ToTimestampTicks(settings.Jitter));
            if ((fate & RelayFate.Reordered) != 0) due += ToTimestampTicks(settings.ReorderDelay);
            if (settings.RateBitsPerSecond > 0)
            {
                var leaves = _bottlenecks[(int)direction].Admit(now, datagram.Length, settings.RateBitsPerSecond, settings.QueueBytes);
                if (leaves < 0) fate = RelayFate.QueueDropped;
                else due += leaves - now;
            }
        }

        // The sequence number is taken before the datagram is sent on, so an answer to it is numbered later.
        if (packets.Length > 0)
        {
            var ms = (now - _started) * 1000.0 / Stopwatch.Frequency;
            flow.Record(new RelayEvent(Interlocked.Increment(ref _sequence), direction, index, datagram.Length, fate, ms, packets));
        }
        else
        {
            Interlocked.Increment(ref _sequence);
        }
        counters.Count(fate);
        if ((fate & RelayFate.Forwarded) == 0) return;

        if (direction == RelayDirection.ServerToClient) MaybeStartBlackhole(datagram.Length);
        if (!settings.IsScheduled)
        {
            Send(socket, datagram, to, counters);
        }
        else if (!_scheduler!.TryEnqueue(due, datagram, socket, to, counters))
        {
            counters.Count(RelayFate.QueueDropped);
        }
    }

    private void MaybeStartBlackhole(int size)
    {
        if (_options.BlackholeAfterBytes < 0 || Volatile.Read(ref _blackholeTriggered) != 0) return;
        if (Interlocked.Add(ref _downForwardedBytes, size) < _options.BlackholeAfterBytes) return;
        if (Interlocked.Exchange(ref _blackholeTriggered, 1) == 0) StartBlackhole(_options.BlackholeDuration);
    }

    private static long ToTimestampTicks(TimeSpan t) => (long)(t.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);

    private static void SetBuffers(Socket s, int bytes)
    {
        try
        {
            s.ReceiveBufferSize = bytes;
            s.SendBufferSize = bytes;
        }
        catch (SocketException)
        {
            // the kernel's limit applies; the relay still works, it may just drop more under bursts
        }
    }

    /// <summary>A FIFO link of a given rate shared by all flows of one direction: when does a datagram's last bit leave, or does the queue overflow.</summary>
    private sealed class Bottleneck
    {
        private readonly Lock _lock = new();
        private long _nextFree;

        /// <summary>The Stopwatch timestamp at which the datagram has been serialized, or -1 if the queue (bytes still to serialize) would exceed <paramref name="queueBytes"/>.</summary>
        public long Admit(long now, int size, long bitsPerSecond, int queueBytes)
        {
            lock (_lock)
            {
                var start = Math.Max(now, _nextFree);
                var backlogBytes = (start - now) * (double)bitsPerSecond / 8 / Stopwatch.Frequency;
                if (backlogBytes + size > queueBytes) return -1;
                _nextFree = start + (long)(size * 8.0 * Stopwatch.Frequency / bitsPerSecond);
                return _nextFree;
            }
        }
    }
}
