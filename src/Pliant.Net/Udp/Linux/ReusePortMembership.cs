using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Pliant.Net.Udp.Linux;

/// <summary>
/// This process's place in a reuseport group of server processes on one address and port (docs/routing.md,
/// "Reuseport group"): its sockets (one per endpoint driver), its generation, and the group's steering program
/// (<see cref="ReusePortSteering"/>), which it rebuilds whenever a socket joins or leaves.
/// </summary>
/// <remarks>
/// <para>How the processes agree on the kernel's socket order: a small state file in the run directory lists
/// each socket's process, generation and driver in the kernel's order; every change (join, drain, leave,
/// recovery) happens under <c>flock</c> on a lock file beside it, by the process making the change, which
/// attaches the new program through one of its own sockets before releasing the lock. Joining appends
/// (the kernel adds a socket at the end); leaving follows the kernel's rule (the last socket moves into the
/// freed slot), and the leaving process attaches each intermediate program itself.</para>
/// <para>A crashed process releases the lock (the kernel drops <c>flock</c>s with their descriptors) but leaves
/// its entries, and the kernel has closed its sockets in an order nobody can predict. Every member runs a
/// watchdog (every <see cref="WatchdogPeriod"/>): when it sees an entry whose process is gone (pid not running,
/// a zombie, or another process's start time) it takes the lock and re-learns the order by <em>probing</em>:
/// a 32-byte probe naming index k goes, by the program itself, to socket k, whose driver answers with its
/// generation and driver (<see cref="ReusePortMemberSocket"/>). The answers must name every live socket exactly
/// once, else it waits and probes again. Until then datagrams may reach the wrong driver; the wrong driver
/// drops them silently (never a stateless reset), and QUIC retransmits.</para>
/// <para>Bounds: the state file holds one ~100-byte entry per socket (at most <see cref="ReusePortSteering.MaxSockets"/>)
/// and is read only up to <see cref="ReusePortState.MaxFileBytes"/>; a probe round sends one datagram per socket.</para>
/// </remarks>
internal sealed class ReusePortMembership : IDisposable
{
    /// <summary>How often each member looks for crashed members.</summary>
    public static readonly TimeSpan WatchdogPeriod = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private readonly string _statePath, _lockPath;
    private readonly SteeringLayout _layout;
    private readonly IPEndPoint _probeTarget;
    private readonly Lock _gate = new();
    private readonly Action<string>? _log;
    private readonly ulong _start;
    private readonly long _joined;
    private readonly ReusePortMemberSocket[] _sockets;
    private Timer? _watchdog;
    private volatile ReusePortView _view;
    private long _epoch;
    private long _recoveries;
    private bool _left;

    private ReusePortMembership(string statePath, string lockPath, SteeringLayout layout, IPEndPoint probeTarget, int generation,
        long joined, ulong start, LinuxUdpSocket[] sockets, Action<string>? log)
    {
        _statePath = statePath;
        _lockPath = lockPath;
        _layout = layout;
        _probeTarget = probeTarget;
        _log = log;
        _start = start;
        _joined = joined;
        Generation = generation;
        _view = new ReusePortView([], (generation + 1) & 0xFF);
        _sockets = new ReusePortMemberSocket[sockets.Length];
        for (int i = 0; i < sockets.Length; i++) _sockets[i] = new ReusePortMemberSocket(sockets[i], layout, generation << 8 | i, () => _view);
    }

    /// <summary>This process's generation (0–255): the second-to-last byte of its server IDs.</summary>
    public int Generation { get; }

    /// <summary>This process's sockets, driver index = position.</summary>
    public IReadOnlyList<ReusePortMemberSocket> Sockets => _sockets;

    /// <summary>The group's live members as last read.</summary>
    public ReusePortView View => _view;

    /// <summary>Times this process re-learned the group's order after a member crashed.</summary>
    public long Recoveries => Interlocked.Read(ref _recoveries);

    /// <summary>The state file.</summary>
    public string StatePath => _statePath;

    /// <summary>Datagrams this process's sockets dropped because they named another live member.</summary>
    public long Missteered => _sockets.Sum(s => s.Missteered);

    /// <summary><c>$XDG_RUNTIME_DIR/pliant</c>, else <c>/tmp/pliant-UID</c>.</summary>
    public static string DefaultRunDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return !string.IsNullOrEmpty(xdg) ? Path.Combine(xdg, "pliant")
            : Path.Combine(Path.GetTempPath(), "pliant-" + LibC.GetEUid().ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Joins (or starts) the group on <paramref name="endPoint"/> with <paramref name="drivers"/> sockets as the
    /// newest generation: from the moment this returns, new connections come to these sockets.
    /// </summary>
    /// <exception cref="SocketException">A bind failed (another program holds the port without SO_REUSEPORT, or as another user).</exception>
    /// <exception cref="InvalidOperationException">The group uses another connection ID layout, the lock is held too long, or the order of the group's sockets could not be learned.</exception>
    public static ReusePortMembership Join(IPEndPoint endPoint, int drivers, SteeringLayout layout, string runDirectory, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(layout);
        if (OperatingSystem.IsWindows() || !OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("A reuseport group needs Linux.");
        if (endPoint.Port == 0) throw new ArgumentException("a reuseport group needs a fixed port", nameof(endPoint));
        if (drivers is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(drivers), "1 to 255 drivers");
        layout.Validate();
        PrepareDirectory(runDirectory);
        string name = "reuseport-" + endPoint.Address.ToString().Replace(':', '_').Replace('%', '_') + "-" + endPoint.Port.ToString(CultureInfo.InvariantCulture);
        string statePath = Path.Combine(runDirectory, name + ".json"), lockPath = Path.Combine(runDirectory, name + ".lock");
        int pid = Environment.ProcessId;
        ulong start = ReusePortState.StartOf(pid);
        var target = ProbeTarget(endPoint);

        using var held = FileLock.Acquire(lockPath, wait: true);
        var state = ReusePortState.Read(statePath);
        var live = state.Sockets.Where(e => ReusePortState.IsAlive(e.Pid, e.Start)).ToList();
        if (live.Count > 0 && state.Layout is { } other && other != layout.Describe())
            throw new InvalidOperationException($"the reuseport group on {endPoint} issues connection IDs {other}; this process would issue {layout.Describe()} (start every generation with the same --lb-config)");
        if (live.Count + drivers > ReusePortSteering.MaxSockets) throw new InvalidOperationException($"a reuseport group has at most {ReusePortSteering.MaxSockets} sockets");
        List<ReusePortEntry> order;
        if (live.Count == state.Sockets.Count && !state.Dirty) order = live;
        else if (live.Count == 0) order = [];
        else order = Discover(live, target, attempts: 20) ?? throw new InvalidOperationException(
            $"could not learn the order of the reuseport group's sockets on {endPoint}: a member does not answer probes ({statePath})");

        var used = live.Select(e => e.Generation).ToHashSet();
        int generation = state.NextGeneration & 0xFF;
        for (int i = 0; i < 256 && used.Contains(generation); i++) generation = (generation + 1) & 0xFF;
        if (used.Contains(generation)) throw new InvalidOperationException("256 generations are live");

        var sockets = new List<LinuxUdpSocket>(drivers);
        try
        {
            // The kernel appends each socket to the group's array, so they take the next indices in bind order.
            for (int i = 0; i < drivers; i++) sockets.Add(LinuxUdpSocket.Bind(endPoint, true, true, reusePort: true));
            long joined = state.Epoch + 1;
            for (int i = 0; i < drivers; i++) order.Add(new ReusePortEntry(pid, start, generation, i, joined, false));
            state.Epoch = joined;
            state.NextGeneration = (generation + 1) & 0xFF;
            state.Layout = layout.Describe();
            state.Dirty = false;
            state.Sockets = order;
            // The state first: should this process die before the program is attached, its entries name a dead
            // process and a watchdog recovers; the other way round the program could name sockets no entry explains.
            state.Write(statePath);
            try
            {
                ReusePortGroup.Attach(sockets[0].Descriptor, ReusePortState.ProgramFor(layout, order));
            }
            catch (SocketException)
            {
                state.Sockets = [.. order.Where(e => e.Pid != pid || e.Generation != generation)];
                state.Dirty = true; // these sockets leave in an order the state does not follow: let a member re-learn it
                state.Epoch++;
                state.Write(statePath);
                throw;
            }
            var membership = new ReusePortMembership(statePath, lockPath, layout, target, generation, joined, start, [.. sockets], log);
            membership.Refresh(state);
            membership._watchdog = new Timer(static m => ((ReusePortMembership)m!).Watch(), membership, WatchdogPeriod, WatchdogPeriod);
            return membership;
        }
        catch
        {
            foreach (var s in sockets) s.Dispose();
            throw;
        }
    }

    /// <summary>True when a live generation that joined after this one takes new connections (so this one may finish and go).</summary>
    public bool HasSuccessor()
    {
        var state = ReusePortState.Read(_statePath);
        return state.Sockets.Any(e => e.Joined > _joined && !e.Draining && ReusePortState.IsAlive(e.Pid, e.Start));
    }

    /// <summary>
    /// Marks this generation draining (SIGTERM): new connections go to the newest generation that is not draining;
    /// this one's sockets keep receiving its own connections' datagrams.
    /// </summary>
    public void BeginDrain() => Change(order =>
    {
        for (int k = 0; k < order.Count; k++)
            if (IsMine(order[k])) order[k] = order[k] with { Draining = true };
    });

    /// <summary>
    /// Leaves the group: closes this process's sockets one by one (highest index first, so that, when they are the
    /// last ones, no other socket moves), attaching after each the program for the order the kernel then has; the
    /// last socket attaches the program for the order after it is gone, then closes. Call after the endpoint
    /// drivers stopped. Afterwards probes the remaining members and, if any answer contradicts the new order, marks
    /// the state for recovery by a remaining member's watchdog.
    /// </summary>
    public void Leave()
    {
        lock (_gate)
        {
            if (_left) return;
            _left = true;
            _watchdog?.Dispose();
            using var held = FileLock.Acquire(_lockPath, wait: true);
            var state = ReusePortState.Read(_statePath);
            var order = state.Sockets;
            bool trusted = !state.Dirty && order.All(e => IsMine(e) || ReusePortState.IsAlive(e.Pid, e.Start))
                && order.Count(IsMine) == _sockets.Length;
            if (!trusted)
            {
                foreach (var s in _sockets) s.Close();
                state.Sockets = [.. order.Where(e => !IsMine(e) && ReusePortState.IsAlive(e.Pid, e.Start))];
                state.Dirty = true;
                state.Epoch++;
                state.Write(_statePath);
                return;
            }
            while (true)
            {
                int k = order.FindLastIndex(IsMine);
                if (k < 0) break;
                var socket = _sockets[order[k].Driver];
                bool last = order.Count(IsMine) == 1;
                if (last)
                {
                    var after = new List<ReusePortEntry>(order);
                    ReusePortState.RemoveAt(after, k);
                    if (after.Count > 0) TryAttach(socket, after);
                    socket.Close();
                    order = after;
                }
                else
                {
                    socket.Close();
                    ReusePortState.RemoveAt(order, k);
                    TryAttach(_sockets[order.First(IsMine).Driver], order);
                }
            }
            state.Sockets = order;
            state.Epoch++;
            if (order.Count > 0)
            {
                var (answers, conflict) = ProbeOnce(order, _probeTarget);
                bool contradicted = conflict;
                for (int i = 0; i < answers.Length; i++)
                    if (answers[i] is { } a && !ReferenceEquals(a, order[i])) contradicted = true;
                if (contradicted)
                {
                    state.Dirty = true;
                    _log?.Invoke($"reuseport: the group's order after leaving is not the expected one; marked for recovery ({_statePath})");
                }
            }
            state.Write(_statePath);
        }
    }

    /// <summary>Leaves the group if not done yet.</summary>
    public void Dispose()
    {
        try
        {
            Leave();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or UnauthorizedAccessException)
        {
            foreach (var s in _sockets) s.Close();
        }
    }

    /// <summary>Tests: what a crash leaves behind — the sockets closed (in the order given), the watchdog gone, the state file untouched.</summary>
    internal void Abandon(IEnumerable<int> closeOrder)
    {
        lock (_gate)
        {
            _left = true;
            _watchdog?.Dispose();
            foreach (int i in closeOrder) _sockets[i].Close();
        }
    }

    private bool IsMine(ReusePortEntry e) => e.Pid == Environment.ProcessId && e.Generation == Generation && e.Start == _start;

    /// <summary>Under the lock: applies <paramref name="edit"/> to the (recovered if need be) order, attaches, writes.</summary>
    private void Change(Action<List<ReusePortEntry>> edit)
    {
        lock (_gate)
        {
            if (_left) return;
            using var held = FileLock.Acquire(_lockPath, wait: true);
            var state = ReusePortState.Read(_statePath);
            var order = CurrentOrder(state, attempts: 20, out bool probed) ?? throw new InvalidOperationException($"could not learn the order of the reuseport group's sockets ({_statePath})");
            edit(order);
            Commit(state, order);
            if (probed) Interlocked.Increment(ref _recoveries);
        }
    }

    /// <summary>The order as the kernel has it: the state's when every member is alive, else learned by probing.</summary>
    private List<ReusePortEntry>? CurrentOrder(ReusePortState state, int attempts, out bool probed)
    {
        var live = state.Sockets.Where(e => IsMine(e) || ReusePortState.IsAlive(e.Pid, e.Start)).ToList();
        probed = false;
        if (live.Count == state.Sockets.Count && !state.Dirty) return live;
        var order = Discover(live, _probeTarget, attempts);
        if (order is not null)
        {
            probed = true;
            _log?.Invoke($"reuseport: re-learned the group's socket order by probing ({order.Count} sockets, {state.Sockets.Count - live.Count} gone)");
        }
        return order;
    }

    private void Commit(ReusePortState state, List<ReusePortEntry> order)
    {
        var own = _sockets.FirstOrDefault(s => !s.Closed) ?? throw new InvalidOperationException("no socket left in the group");
        ReusePortGroup.Attach(own.Inner.Descriptor, ReusePortState.ProgramFor(_layout, order));
        state.Sockets = order;
        state.Dirty = false;
        state.Epoch++;
        state.Write(_statePath);
        Refresh(state);
    }

    private void TryAttach(ReusePortMemberSocket through, List<ReusePortEntry> order)
    {
        try
        {
            ReusePortGroup.Attach(through.Inner.Descriptor, ReusePortState.ProgramFor(_layout, order));
        }
        catch (SocketException e)
        {
            _log?.Invoke($"reuseport: attaching the steering program failed: {e.Message}");
        }
    }

    private void Refresh(ReusePortState state)
    {
        var live = state.Sockets.Where(e => IsMine(e) || ReusePortState.IsAlive(e.Pid, e.Start)).Select(e => e.Member).Distinct().Order().ToArray();
        _view = new ReusePortView(live, state.NextGeneration);
        Interlocked.Exchange(ref _epoch, state.Epoch);
    }

    /// <summary>The watchdog: refresh the view when the state moved; recover when a member is gone.</summary>
    private void Watch()
    {
        try
        {
            lock (_gate)
            {
                if (_left) return;
                var state = ReusePortState.Read(_statePath);
                if (state.Epoch != Interlocked.Read(ref _epoch)) Refresh(state);
                if (!state.Dirty && state.Sockets.All(e => IsMine(e) || ReusePortState.IsAlive(e.Pid, e.Start))) return;
                using var held = FileLock.Acquire(_lockPath, wait: false);
                if (held is null) return; // someone else is changing it; look again next time
                state = ReusePortState.Read(_statePath);
                var order = CurrentOrder(state, attempts: 3, out bool probed);
                if (order is null) return; // a member is still going away; next time
                if (!order.Any(IsMine)) return;
                Commit(state, order);
                if (probed) Interlocked.Increment(ref _recoveries); // counted once the program and the view are in place
            }
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException or SocketException or UnauthorizedAccessException)
        {
            _log?.Invoke("reuseport: watchdog: " + e.Message);
        }
    }

    /// <summary>Probes until every live socket answered exactly once; null after <paramref name="attempts"/> tries.</summary>
    internal static List<ReusePortEntry>? Discover(List<ReusePortEntry> live, IPEndPoint target, int attempts)
    {
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            if (attempt > 0)
            {
                Thread.Sleep(100);
                live = [.. live.Where(e => e.Pid == Environment.ProcessId || ReusePortState.IsAlive(e.Pid, e.Start))];
            }
            if (live.Count == 0) return [];
            var (answers, conflict) = ProbeOnce(live, target);
            if (!conflict && answers.All(a => a is not null)) return [.. answers.Select(a => a!)];
        }
        return null;
    }

    /// <summary>
    /// One probe round over indices 0..live.Count-1 (each sent up to 3 times, 150 ms apart): which entry answered
    /// at each index (null: none), and whether an entry answered at two indices or an unknown member answered
    /// (the group has another size than <paramref name="live"/> says: an index beyond it is hashed by the kernel).
    /// </summary>
    internal static (ReusePortEntry?[] Answers, bool Conflict) ProbeOnce(IReadOnlyList<ReusePortEntry> live, IPEndPoint target)
    {
        int n = live.Count;
        var answers = new ReusePortEntry?[n];
        bool conflict = false;
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(target.Address, 0));
        var probe = new byte[ReusePortSteering.ProbeLength];
        var buffer = new byte[256];
        BinaryPrimitives.WriteUInt64BigEndian(probe, ReusePortSteering.ProbeMagic);
        nonce.CopyTo(probe.AsSpan(12));
        for (int round = 0; round < 3 && !conflict && answers.Any(a => a is null); round++)
        {
            for (int k = 0; k < n; k++)
            {
                if (answers[k] is not null) continue;
                probe[8] = (byte)k;
                socket.SendTo(probe, target);
            }
            var deadline = Environment.TickCount64 + 150;
            while (answers.Any(a => a is null))
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !socket.Poll(TimeSpan.FromMilliseconds(left), SelectMode.SelectRead)) break;
                int got;
                try
                {
                    got = socket.Receive(buffer);
                }
                catch (SocketException)
                {
                    continue; // an ICMP error for an earlier probe
                }
                var a = buffer.AsSpan(0, got);
                if (got != ReusePortSteering.ProbeLength || BinaryPrimitives.ReadUInt64BigEndian(a) != ReusePortSteering.AnswerMagic
                    || !a.Slice(12, 16).SequenceEqual(nonce)) continue;
                int k = a[8], pid = BinaryPrimitives.ReadInt32BigEndian(a[28..]);
                int member = a[9] << 8 | a[10];
                if (k >= n) continue;
                var entry = live.FirstOrDefault(e => e.Pid == pid && e.Member == member);
                if (entry is null || Array.IndexOf(answers, entry) is int at && at >= 0 && at != k || answers[k] is { } prior && !ReferenceEquals(prior, entry))
                {
                    conflict = true;
                    break;
                }
                answers[k] = entry;
            }
        }
        return (answers, conflict);
    }

    private static IPEndPoint ProbeTarget(IPEndPoint endPoint)
    {
        var a = endPoint.Address;
        if (a.Equals(IPAddress.Any)) a = IPAddress.Loopback;
        else if (a.Equals(IPAddress.IPv6Any)) a = IPAddress.IPv6Loopback;
        return new IPEndPoint(a, endPoint.Port);
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void PrepareDirectory(string path)
    {
        if (!Directory.Exists(path))
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new InvalidOperationException($"the run directory {path} is writable by others (mode {Convert.ToString((int)mode, 8)}): another user could steer this port's connections");
    }

    /// <summary>An exclusive <c>flock</c> on a lock file, released when disposed (or when the process dies).</summary>
    private sealed class FileLock : IDisposable
    {
        private int _fd;

        private FileLock(int fd) => _fd = fd;

        /// <summary>Waits up to 10 s for the lock (<paramref name="wait"/>), or tries once (null when it is held).</summary>
        public static FileLock? Acquire(string path, bool wait)
        {
            int fd = LibC.Open(path, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, 0b110_000_000);
            if (fd < 0) throw new IOException($"cannot open {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            var deadline = Environment.TickCount64 + (long)LockTimeout.TotalMilliseconds;
            while (true)
            {
                if (LibC.Flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) == 0) return new FileLock(fd);
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR) continue;
                if (errno != LibC.EWOULDBLOCK || !wait || Environment.TickCount64 > deadline)
                {
                    LibC.Close(fd);
                    if (!wait && errno == LibC.EWOULDBLOCK) return null;
                    throw new InvalidOperationException($"the reuseport lock {path} is held by another process for more than {LockTimeout.TotalSeconds:0} s");
                }
                Thread.Sleep(5);
            }
        }

        public void Dispose()
        {
            int fd = Interlocked.Exchange(ref _fd, -1);
            if (fd >= 0) LibC.Close(fd); // closing releases the flock
        }
    }
}
