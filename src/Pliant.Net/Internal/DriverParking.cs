using Pliant.Net.Udp.Linux;

namespace Pliant.Net.Internal;

/// <summary>
/// Parking for the drivers of one listener (<see cref="QuicListenerOptions.Drivers"/> &gt; 1, issue 17): a driver
/// whose load would fit on the first driver's thread hands its socket to that thread and sleeps; the first driver
/// (the leader) then runs the parked driver's passes between its own, waiting on every socket at once; it hands
/// the socket back as soon as its own thread is busy. On two cores shared with other work, a second thread waking
/// for half the datagrams cost ~25 % more CPU per connection than one thread doing all of them (bench/README.md,
/// "Two drivers"); a parked driver costs nothing of the sort, and an unparked one scales as before.
/// </summary>
/// <remarks>
/// <para>Each driver keeps its own core, socket, lock, connection IDs and completions: a parked driver's datagrams
/// are still read from its own socket and handled by its own endpoint (steering is unchanged), only on another
/// thread. At any moment exactly one thread runs a driver's passes: the driver's own until it parks, the leader's
/// until the leader unparks it (the only hand-over points, both between passes, under <see cref="_gate"/>).</para>
/// <para>Policy, by thread CPU time (not wall time, which other processes' load inflates): the leader measures its
/// use of a core over 20 ms windows and unparks one driver when a window is above <see cref="UnparkAbove"/>; a driver
/// parks after four 250 ms windows in a row in which its own use plus the leader's last was below
/// <see cref="ParkBelow"/>. The gap between the two thresholds keeps a steady load from flapping: split at 70 %,
/// each half is 35 %, together above 50 %.</para>
/// </remarks>
internal sealed class DriverParking
{
    /// <summary>The leader's use of a core (0–1) above which it hands one parked driver back its own thread.</summary>
    public const double UnparkAbove = 0.70;

    /// <summary>A driver parks when its use of a core plus the leader's stays below this.</summary>
    public const double ParkBelow = 0.50;

    private const long LeaderWindowUs = 20_000;
    private const long FollowerWindowUs = 250_000;
    private const int QuietWindowsToPark = 4;

    private readonly object _gate = new();
    private readonly List<QuicEndpointDriver> _parked = [];
    private QuicEndpointDriver[] _parkedSnapshot = [];
    private bool _leaderGone;
    private double _leaderLoad = 1.0; // until measured: nobody parks in the first window
    private long _leaderWindowStartUs, _leaderWindowCpuUs;
    private long _parks, _unparks;

    /// <param name="leader">The driver whose thread serves parked drivers (the group's first).</param>
    public DriverParking(QuicEndpointDriver leader) => Leader = leader;

    public QuicEndpointDriver Leader { get; }

    /// <summary>Test seam: the leader's load above which it unparks a driver (default <see cref="UnparkAbove"/>).</summary>
    internal double UnparkAboveLoad { get; set; } = UnparkAbove;

    /// <summary>Test seam: the load below which a driver parks (default <see cref="ParkBelow"/>).</summary>
    internal double ParkBelowLoad { get; set; } = ParkBelow;

    /// <summary>Times a driver parked / was handed its thread back (for tests and counters).</summary>
    public (long Parks, long Unparks) Counts
    {
        get
        {
            lock (_gate) return (_parks, _unparks);
        }
    }

    /// <summary>
    /// The leader's loop (on its own thread): its pass, then each parked driver's, then one wait on every socket.
    /// Ends when the leader stops or fails; every parked driver then gets its thread back.
    /// </summary>
    public void RunLeader()
    {
        var sockets = new List<LinuxUdpSocket>();
        try
        {
            _leaderWindowStartUs = QuicEndpointDriver.NowUs;
            _leaderWindowCpuUs = LibC.ThreadCpuUs();
            while (Leader.RunPass(out bool busy, out long waitUntil))
            {
                var parked = Volatile.Read(ref _parkedSnapshot);
                foreach (var d in parked)
                {
                    if (!d.RunPass(out bool b, out long w))
                    {
                        Unpark(d); // stopping or failed: its own thread ends its loop
                        continue;
                    }
                    busy |= b;
                    waitUntil = Math.Min(waitUntil, w);
                }
                MeasureLeader(parked.Length);
                // A pass of one driver may have scheduled work on another (an application continuation on this
                // thread resuming a connection of the other): look again before sleeping.
                if (busy || Leader.WakePending || parked.Any(d => d.WakePending)) continue;
                long left = waitUntil - QuicEndpointDriver.NowUs;
                if (left <= 0) continue;
                sockets.Clear();
                sockets.Add(QuicEndpointDriver.NativeSocket(Leader.Socket)!);
                foreach (var d in Volatile.Read(ref _parkedSnapshot))
                    if (QuicEndpointDriver.NativeSocket(d.Socket) is { } s) sockets.Add(s);
                LinuxUdpSocket.WaitAny(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sockets), left);
            }
        }
        finally
        {
            QuicEndpointDriver[] all;
            lock (_gate)
            {
                _leaderGone = true;
                all = [.. _parked];
            }
            foreach (var d in all) Unpark(d);
        }
    }

    private void MeasureLeader(int parkedCount)
    {
        long now = QuicEndpointDriver.NowUs;
        long wall = now - _leaderWindowStartUs;
        if (wall < LeaderWindowUs) return;
        long cpu = LibC.ThreadCpuUs();
        double load = Math.Clamp((cpu - _leaderWindowCpuUs) / (double)wall, 0, 1);
        Volatile.Write(ref _leaderLoad, load);
        _leaderWindowStartUs = now;
        _leaderWindowCpuUs = cpu;
        if (load > UnparkAboveLoad && parkedCount > 0)
        {
            QuicEndpointDriver? last;
            lock (_gate) last = _parked.Count > 0 ? _parked[^1] : null;
            if (last is not null) Unpark(last);
        }
    }

    /// <summary>
    /// Called by a driver's own thread between its passes, before it waits: parks it (blocking until the leader
    /// hands it back) when its load and the leader's have been low long enough. True if it parked.
    /// </summary>
    public bool ParkIfIdle(QuicEndpointDriver d)
    {
        if (ReferenceEquals(d, Leader)) return false;
        long now = QuicEndpointDriver.NowUs;
        ref var w = ref d.ParkWindow;
        if (w.StartUs == 0)
        {
            w = new ParkWindow { StartUs = now, CpuUs = LibC.ThreadCpuUs() };
            return false;
        }
        if (now - w.StartUs < FollowerWindowUs) return false;
        long cpu = LibC.ThreadCpuUs();
        double load = (cpu - w.CpuUs) / (double)(now - w.StartUs);
        w.QuietWindows = load + Volatile.Read(ref _leaderLoad) < ParkBelowLoad ? w.QuietWindows + 1 : 0;
        w.StartUs = now;
        w.CpuUs = cpu;
        if (w.QuietWindows < QuietWindowsToPark) return false;
        w = default;
        lock (_gate)
        {
            if (_leaderGone || d.Stopping || d.Fault is not null) return false;
            d.Runner = Leader.LoopThread;
            _parked.Add(d);
            _parkedSnapshot = [.. _parked];
            _parks++;
        }
        Leader.Socket.Interrupt(); // the leader waits on this driver's socket from its next pass on
        lock (_gate)
        {
            while (_parked.Contains(d)) Monitor.Wait(_gate);
        }
        return true;
    }

    /// <summary>Hands a parked driver its own thread back (from the leader's thread between passes, or at its end).</summary>
    private void Unpark(QuicEndpointDriver d)
    {
        lock (_gate)
        {
            if (!_parked.Remove(d)) return;
            _parkedSnapshot = [.. _parked];
            d.Runner = d.LoopThread;
            _unparks++;
            Monitor.PulseAll(_gate);
        }
    }
}

/// <summary>A driver's measurement window for <see cref="DriverParking.ParkIfIdle"/> (its own thread only).</summary>
internal struct ParkWindow
{
    public long StartUs;
    public long CpuUs;
    public int QuietWindows;
}
