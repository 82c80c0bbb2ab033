using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pliant.Net.Internal.Core;
using Pliant.Net.Udp;
using Pliant.Quic.Connection;

namespace Pliant.Net.Internal;

/// <summary>
/// Runs one <see cref="QuicEndpointCore"/> on one UDP socket (DESIGN §2: the only place with
/// sockets, time and threads) with <b>one thread</b> (issue 17): it waits on the socket and an
/// event fd with the next timer as timeout (<see cref="IUdpTransport.Wait"/>, microsecond precision —
/// no spinning), then in one pass under <see cref="SyncRoot"/> takes the queued datagrams (GRO
/// batches split into segments), runs due timers, sends (GSO batches), accepts and dispatches events;
/// after the pass, outside the lock, it runs the completions the pass scheduled — the continuations
/// of stream reads and writes run right there, on this thread, with no thread-pool round trip. API
/// calls from other threads take the lock too and <see cref="Wake"/> the loop to flush. A failure
/// inside one connection closes that connection only.
/// </summary>
internal sealed partial class QuicEndpointDriver : ICompletionScheduler
{
    private const int MaxGsoSegments = 64; // MaxBatchBytes bounds it (44 × 1452); the core's pacer burst decides how many it fills
    private const int MaxTransmitsPerPass = 64;
    private const int MaxReceiveBatchesPerPass = 8; // then timers and sends get their turn
    private const long IdleWaitUs = 1_000_000;
    private const int MaxBatchBytes = 65_000;
    private const long TimerSlackNs = 10_000; // the loop's ppoll wake-ups within 10 µs (pacing gaps)

    private volatile IUdpTransport _socket;
    private readonly ILogger _logger;
    private readonly Func<QuicEndpointDriver, IConnectionCore, QuicConnection?>? _onAccept;
    private readonly Dictionary<IConnectionCore, QuicConnection> _connections = new(ReferenceEqualityComparer.Instance);
    private readonly List<QuicConnection> _closing = [];
    private readonly List<TaskCompletionSource> _flushWaiters = [];
    private readonly byte[] _sendBuffer = UdpBufferPool.RentSendBuffer(); // pooled: client endpoints live for one connection
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _loopThread;
    private readonly Lock _completionLock = new();
    private List<IDeferredCompletion> _completions = [];
    private List<IDeferredCompletion> _completionsRunning = [];
    private bool _loopExited; // under _completionLock
    private int _refCount = 1;
    private int _wakePending;
    private volatile bool _stopping;
    private volatile Thread _runner; // the thread running this driver's passes: its own, or the leader's while parked
    private UdpReceiveBatch? _batch; // used by the thread running the passes
    private IUdpTransport? _batchSocket;
    private Exception? _fault;
    private Action<Exception>? _onFault;

    private QuicEndpointDriver(IUdpTransport socket, IEndpointCore endpoint, ILogger logger, Func<QuicEndpointDriver, IConnectionCore, QuicConnection?>? onAccept)
    {
        _socket = socket;
        Endpoint = endpoint;
        _logger = logger;
        _onAccept = onAccept;
        _loopThread = new Thread(RunLoop) { IsBackground = true, Name = $"quic {socket.LocalEndPoint}" };
        _runner = _loopThread;
    }

    /// <summary>The drivers of a listener that park on its first driver's thread (null: this driver is alone).</summary>
    internal DriverParking? Parking { get; private set; }

    /// <summary>This driver's own thread.</summary>
    internal Thread LoopThread => _loopThread;

    /// <summary>The thread running this driver's passes now (set by <see cref="DriverParking"/> at hand-overs).</summary>
    internal Thread Runner
    {
        get => _runner;
        set => _runner = value;
    }

    /// <summary>True while another driver's thread runs this driver's passes.</summary>
    internal bool IsParked => !ReferenceEquals(_runner, _loopThread);

    /// <summary><see cref="DriverParking.ParkIfIdle"/>'s measurement window; this driver's own thread only.</summary>
    internal ParkWindow ParkWindow;

    internal bool Stopping => _stopping;

    /// <summary>True when a wake asked for another pass since the last one began.</summary>
    internal bool WakePending => Volatile.Read(ref _wakePending) != 0;

    /// <summary>The socket the passes read (for the leader's wait on every parked driver's socket).</summary>
    internal IUdpTransport Socket => _socket;

    /// <summary>The native Linux socket under <paramref name="t"/>, or null (managed sockets cannot be waited on together).</summary>
    internal static Udp.Linux.LinuxUdpSocket? NativeSocket(IUdpTransport t) =>
        t as Udp.Linux.LinuxUdpSocket ?? (t as Udp.Linux.ReusePortMemberSocket)?.Inner;

    /// <summary>Serialises every call into the core (it is not thread-safe).</summary>
    public Lock SyncRoot { get; } = new();

    /// <summary>The sans-IO endpoint; touch only under <see cref="SyncRoot"/>.</summary>
    public IEndpointCore Endpoint { get; }

    public IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    public UdpCounters Counters => _socket.Counters;

    /// <summary>True while the socket sends GSO batches.</summary>
    public bool GsoEnabled => _socket.GsoEnabled;

    public ILogger Logger => _logger;

    /// <summary>Set once the endpoint failed; operations should throw it.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>Binds a socket and starts the threads. <paramref name="onAccept"/> (server) wraps accepted connections.</summary>
    public static QuicEndpointDriver Start(IPEndPoint bind, QuicEndpointOptions options, ILoggerFactory? loggerFactory,
        Func<QuicEndpointDriver, IConnectionCore, QuicConnection?>? onAccept = null, Action<Exception>? onFault = null,
        Func<QuicEndpointOptions, IEndpointCore>? endpointFactory = null, IUdpTransport? socket = null,
        Func<QuicEndpointDriver, DriverParking?>? parking = null)
    {
        socket ??= UdpTransport.Bind(bind);
        var logger = (ILogger?)loggerFactory?.CreateLogger("Pliant.Net.Quic") ?? NullLogger.Instance;
        IEndpointCore endpoint;
        try
        {
            endpoint = endpointFactory?.Invoke(options) ?? new CoreEndpoint(new QuicEndpointCore(options));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var driver = new QuicEndpointDriver(socket, endpoint, logger, onAccept) { _onFault = onFault };
        driver.Parking = parking?.Invoke(driver);
        driver._loopThread.Start();
        Log.EndpointStarted(logger, socket.LocalEndPoint, socket.GsoEnabled);
        return driver;
    }

    /// <summary>
    /// Moves the endpoint to a new socket on the same address with a new port (client migration or a
    /// simulated NAT rebinding). The loop picks the new socket up at its next pass (the old one's wait
    /// is interrupted); the old one is closed a little later so nothing in flight on it faults.
    /// </summary>
    public IPEndPoint Rebind()
    {
        var old = _socket;
        var bind = new IPEndPoint(old.LocalEndPoint.Address, 0);
        IUdpTransport fresh = old is ManagedUdpSocket ? new ManagedUdpSocket(bind) : UdpTransport.Bind(bind);
        lock (SyncRoot) _socket = fresh;
        old.Interrupt();
        _ = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ => old.Dispose(), TaskScheduler.Default);
        Wake();
        return fresh.LocalEndPoint;
    }

    /// <summary>True on the driver's own thread (where deferred completions and their continuations run).</summary>
    public bool IsDriverThread => Thread.CurrentThread == _runner;

    /// <summary>Now, for calls into the core.</summary>
    public static long NowUs => MonotonicClock.NowUs;

    /// <summary>
    /// Asks the loop for another pass (flush output, re-arm timers) soon: on the loop's own thread a flag
    /// the loop checks before it waits; elsewhere one interrupt of its wait, however many wakes pile up.
    /// </summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0 && !IsDriverThread) _socket.Interrupt();
    }

    /// <inheritdoc />
    public void Schedule(IDeferredCompletion completion)
    {
        lock (_completionLock)
        {
            if (!_loopExited)
            {
                _completions.Add(completion);
                if (!IsDriverThread) Wake();
                else if (IsParked) Volatile.Write(ref _wakePending, 1); // parked: the leader looks again before it sleeps
                return;
            }
        }
        // The loop is gone (stopped or faulted): nobody else will run it.
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.Run(), completion, preferLocal: false);
    }

    /// <summary>Completes after the loop's next pass (output queued before the call was handed to the socket).</summary>
    public Task FlushAsync()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (SyncRoot)
        {
            if (_stopping || _fault is not null) return Task.CompletedTask;
            _flushWaiters.Add(tcs);
        }
        Wake();
        return tcs.Task;
    }

    /// <summary>Tracks a connection's API object; under <see cref="SyncRoot"/>.</summary>
    public void Register(IConnectionCore core, QuicConnection connection) => _connections[core] = connection;

    /// <summary>A connection that closed: dropped once the core says it is fully closed; under <see cref="SyncRoot"/>.</summary>
    public void TrackClosing(QuicConnection connection) => _closing.Add(connection);

    /// <summary>One more user (listener or connection) keeps the endpoint alive.</summary>
    public void AddRef() => Interlocked.Increment(ref _refCount);

    /// <summary>Drops one user; the last stops the endpoint and releases the port.</summary>
    public Task ReleaseAsync() => Interlocked.Decrement(ref _refCount) == 0 ? StopAsync() : Task.CompletedTask;

    private void RunLoop()
    {
        if (OperatingSystem.IsLinux())
        {
            // ppoll's timeout is met within the thread's timer slack (50 µs by default): pacing gaps
            // are shorter than that, so lower it for this thread.
            try { _ = Udp.Linux.LibC.PrCtl(Udp.Linux.LibC.PR_SET_TIMERSLACK, (nuint)TimerSlackNs, 0, 0, 0); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        try
        {
            if (Parking is { } parking && ReferenceEquals(parking.Leader, this))
            {
                parking.RunLeader();
                return;
            }
            while (RunPass(out bool busy, out long waitUntil))
            {
                if (busy) continue;
                if (Parking?.ParkIfIdle(this) == true) continue; // handed back: a pass on this thread first
                long left = waitUntil - NowUs;
                if (left > 0) _socket.Wait(left);
            }
        }
        finally
        {
            if (_batch is not null) UdpBufferPool.ReturnBatch(_batch);
            _batch = null;
            lock (_completionLock) _loopExited = true;
            RunCompletions(); // waiters failed by the stop or fault must still wake
        }
    }

    /// <summary>
    /// One pass: under <see cref="SyncRoot"/> the queued datagrams, due timers, output, accepts and events; then,
    /// outside the lock, the completions it scheduled. Run by whichever thread runs this driver now (its own, or the
    /// leader's while it is parked). <paramref name="busy"/>: more to do at once; <paramref name="waitUntil"/>: the
    /// next timer. False once the loop should end (stopped or failed).
    /// </summary>
    internal bool RunPass(out bool busy, out long waitUntil)
    {
        busy = false;
        waitUntil = long.MaxValue;
        if (_stopping) return false;
        var socket = _socket;
        if (!ReferenceEquals(socket, _batchSocket))
        {
            // First pass, or rebound: a batch sized for this socket.
            if (_batch is not null) UdpBufferPool.ReturnBatch(_batch);
            _batch = socket.CreateReceiveBatch();
            _batchSocket = socket;
        }
        lock (SyncRoot)
        {
            if (_fault is not null) return false;
            Volatile.Write(ref _wakePending, 0); // a wake from here on asks for another pass
            long now = NowUs;
            busy = ReceiveLocked(socket, _batch!, now);
            now = NowUs;
            busy |= ProcessLocked(now);
            waitUntil = busy ? 0 : SafePollTimeout() ?? NowUs + IdleWaitUs;
        }
        busy |= RunCompletions();
        busy |= Volatile.Read(ref _wakePending) != 0;
        return true;
    }

    /// <summary>Takes what the socket has queued, without waiting; true if it may have more.</summary>
    private bool ReceiveLocked(IUdpTransport socket, UdpReceiveBatch batch, long now)
    {
        for (int round = 0; round < MaxReceiveBatchesPerPass; round++)
        {
            int n = socket.ReceiveBatch(batch, 0);
            if (n == 0) return false;
            for (int i = 0; i < n; i++)
            {
                ref var entry = ref batch[i];
                int segments = batch.SegmentCount(i);
                for (int s = 0; s < segments; s++)
                {
                    try
                    {
                        Endpoint.HandleDatagram(now, batch.GetSegment(i, s), entry.From, entry.Ecn);
                    }
                    catch (Exception e)
                    {
                        Log.DatagramFailed(_logger, entry.From, e);
                    }
                }
            }
            if (n < batch.Capacity) return false;
        }
        return true;
    }

    /// <summary>Runs what the pass scheduled (waiters' continuations), outside the lock; true if any ran.</summary>
    private bool RunCompletions()
    {
        List<IDeferredCompletion> run;
        lock (_completionLock)
        {
            if (_completions.Count == 0) return false;
            run = _completions;
            _completions = _completionsRunning;
            _completionsRunning = run;
        }
        foreach (var c in run)
        {
            try
            {
                c.Run();
            }
            catch (Exception e)
            {
                // A continuation that throws synchronously out of its awaiter: the application's bug;
                // the loop and everything else go on.
                Log.CompletionFailed(_logger, e);
            }
        }
        run.Clear();
        return true;
    }

    private long? SafePollTimeout()
    {
        try
        {
            return Endpoint.PollTimeout();
        }
        catch (Exception e)
        {
            FaultLocked(e);
            return null;
        }
    }

    /// <summary>Timers, output, accepts and events. Returns true when output is left for another pass.</summary>
    private bool ProcessLocked(long now)
    {
        if (_fault is not null) return false;
        bool more = false;
        try
        {
            if (Endpoint.PollTimeout() is { } deadline && deadline <= now) Endpoint.HandleTimeout(now);
            more = FlushLocked(now);
            AcceptLocked(now);
            DispatchEventsLocked(now);
            SweepClosedLocked();
        }
        catch (Exception e)
        {
            FaultLocked(e);
        }
        if (_flushWaiters.Count > 0)
        {
            foreach (var w in _flushWaiters) w.TrySetResult();
            _flushWaiters.Clear();
        }
        return more;
    }

    private bool FlushLocked(long now)
    {
        int maxSegments = Math.Min(MaxGsoSegments, _socket.MaxSegments);
        for (int i = 0; i < MaxTransmitsPerPass; i++)
        {
            // Stay under the largest UDP payload (65,507 over IPv4) even when segments are large.
            if (!Endpoint.PollTransmit(now, _sendBuffer.AsSpan(0, MaxBatchBytes), maxSegments, out var t)) return false;
            try
            {
                // Multipath: a path that sends from another local address goes out of that address's socket.
                var socket = t.Source is { } source && _pathSockets.Count > 0 ? PathSocketLocked(source) : _socket;
                socket.Send(_sendBuffer.AsSpan(0, t.Length), t.Destination, t.SegmentSize, t.Ecn);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or ArgumentException)
            {
                // One destination the socket refuses (unreachable, wrong family, too large) is lost like a
                // dropped datagram; loss recovery resends what matters. The endpoint goes on.
                Log.SendFailed(_logger, t.Destination, t.Length, e);
            }
        }
        return true; // give the receive thread a turn, then continue
    }

    private void AcceptLocked(long now)
    {
        while (Endpoint.TryAccept(out var core))
        {
            QuicConnection? connection;
            try
            {
                connection = _onAccept?.Invoke(this, core);
            }
            catch (Exception e)
            {
                // The application's per-connection set-up (ConfigureCore, a plugin) threw: that connection only.
                FaultConnectionLocked(core, now, e);
                continue;
            }
            if (connection is null) continue;
            _connections[core] = connection;
            Log.ConnectionAccepted(_logger, core.RemoteEndPoint);
        }
    }

    private void DispatchEventsLocked(long now)
    {
        while (Endpoint.TryPollConnectionWithEvents(out var core))
        {
            _connections.TryGetValue(core, out var connection);
            while (core.TryPollEvent(out var e))
            {
                try
                {
                    connection?.OnEventLocked(e);
                }
                catch (Exception ex)
                {
                    FaultConnectionLocked(core, now, ex);
                }
            }
        }
    }

    /// <summary>A failure confined to one connection: it is closed (INTERNAL_ERROR), nothing else is touched.</summary>
    private void FaultConnectionLocked(IConnectionCore core, long now, Exception e)
    {
        Log.ConnectionFaulted(_logger, core.RemoteEndPoint, e);
        Endpoint.Fault(core, now, e);
    }

    private void SweepClosedLocked()
    {
        for (int i = _closing.Count - 1; i >= 0; i--)
        {
            var c = _closing[i];
            if (!c.Core.IsClosed) continue;
            _closing.RemoveAt(i);
            _connections.Remove(c.Core);
            Endpoint.Forget(c.Core);
            c.OnDrainedLocked();
        }
    }

    private void FaultLocked(Exception e)
    {
        if (_fault is not null) return;
        _fault = e;
        Log.EndpointFaulted(_logger, _socket.LocalEndPoint, e);
        var ex = new QuicException(QuicError.InternalError, null, "The QUIC endpoint failed: " + e.Message, e);
        foreach (var c in _connections.Values.ToArray()) c.OnClosedLocked(ex);
        _connections.Clear();
        _closing.Clear();
        _onFault?.Invoke(e);
    }

    private Task StopAsync()
    {
        lock (SyncRoot)
        {
            if (_stopping) return _stopped.Task;
            _stopping = true;
            var ex = QuicException.Aborted("The QUIC endpoint was stopped.");
            foreach (var c in _connections.Values.ToArray()) c.OnClosedLocked(ex);
            _connections.Clear();
            foreach (var w in _flushWaiters) w.TrySetResult();
            _flushWaiters.Clear();
        }
        Wake();
        ClosePathSockets();
        _ = Task.Factory.StartNew(() =>
        {
            _socket.Dispose(); // wakes the loop (shutdown) and releases the port
            if (!IsDriverThread) _loopThread.Join();
            UdpBufferPool.ReturnSendBuffer(_sendBuffer); // the loop is gone: nothing sends any more
            Log.EndpointStopped(_logger, _socket.LocalEndPoint, _socket.Counters.ToString());
            _stopped.TrySetResult();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return _stopped.Task;
    }
}
