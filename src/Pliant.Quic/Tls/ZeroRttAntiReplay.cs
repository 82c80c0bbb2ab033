using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Pliant.Quic.Tls;

/// <summary>Why a server did or did not accept a ClientHello's 0-RTT data (see <see cref="ZeroRttAntiReplay"/>).</summary>
public enum ZeroRttDecision
{
    /// <summary>Fresh, never seen, recorded: 0-RTT accepted.</summary>
    Accepted,
    /// <summary>The same ClientHello was accepted before (RFC 8446 §8.2): a replay.</summary>
    Replayed,
    /// <summary>The client's ticket age does not match ours within the window (RFC 8446 §8.3).</summary>
    NotFresh,
    /// <summary>The register is full: rather than grow, 0-RTT is refused until entries expire.</summary>
    Full,
    /// <summary>
    /// The ticket predates this register and the ClientHello could have been accepted before the
    /// register existed (RFC 8446 §8.2: reject while the recording window overlaps the start).
    /// </summary>
    BeforeStart,
    /// <summary>
    /// The register was told to stop accepting (<see cref="ZeroRttAntiReplay.StopAccepting"/>): its server hands new
    /// connections to a successor whose register it cannot see, so any 0-RTT it took now could be a replay.
    /// </summary>
    Stopped,
}

/// <summary>
/// A bounded strike register of 0-RTT ClientHellos with a ticket-age freshness check (RFC 8446 §8.2,
/// §8.3; RFC 9001 §9.2): a server accepts the early data of one ClientHello at most once.
/// <para>
/// <b>Freshness.</b> The client's view of the ticket age plus the time the ticket was issued gives the
/// ClientHello's expected arrival time; 0-RTT is accepted only when the real arrival time is at most
/// <see cref="MaxLate"/> after it (network delay: about one RTT, plus retransmissions of the ticket or the
/// ClientHello) and at most <see cref="MaxEarly"/> before it (which only clock error explains). Defaults:
/// 5 s late, 1 s early — tighter than the ±10 s the code used to allow, enough for any RTT a handshake
/// survives, and it bounds how long an entry must be remembered to MaxEarly + MaxLate.
/// </para>
/// <para>
/// <b>Recording.</b> Each accepted ClientHello is stored under its verified PSK binder (a MAC over the
/// whole ClientHello, so it cannot be varied without the PSK; §8.2 recommends it) until its expected arrival
/// time + MaxLate has passed; a second ClientHello with a stored binder is a replay: its PSK may still be
/// used, but its 0-RTT data is rejected and the handshake continues in 1-RTT.
/// </para>
/// <para>
/// <b>Bound.</b> At most <see cref="Capacity"/> entries (default 65,536; measured 3.7 MB when full, ~56 bytes each);
/// with the default window that admits ~10,000 0-RTT handshakes per second. When full, 0-RTT is refused
/// (<see cref="ZeroRttDecision.Full"/>) rather than the register grown: a flood of valid resumptions from a
/// client holding a ticket can cost others their 0-RTT, never memory or replay safety.
/// </para>
/// <para>
/// <b>Scope.</b> One register protects the servers that share it. By default every server whose
/// <see cref="TlsServerOptions.TicketKey"/> is the same array shares one (<see cref="ForTicketKey"/>); servers in
/// other processes sharing the ticket key each accept a ClientHello once (the RFC's "once per server
/// instance" minimum): spread one ticket key over several machines only if that is acceptable. Thread-safe.
/// </para>
/// </summary>
public sealed class ZeroRttAntiReplay
{
    /// <summary>Default <see cref="Capacity"/>.</summary>
    public const int DefaultCapacity = 65_536;

    /// <summary>Default <see cref="MaxLate"/>.</summary>
    public static readonly TimeSpan DefaultMaxLate = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="MaxEarly"/>.</summary>
    public static readonly TimeSpan DefaultMaxEarly = TimeSpan.FromSeconds(1);

    private static readonly ConditionalWeakTable<byte[], ZeroRttAntiReplay> s_byTicketKey = new();

    private readonly object _gate = new();
    private readonly HashSet<(ulong, ulong)> _seen = [];
    private readonly Queue<((ulong, ulong) Key, long ExpiresMs)> _order = new();
    private readonly long _maxLateMs, _maxEarlyMs, _startedMs;
    private long _accepted, _replayed, _notFresh, _full, _beforeStart, _stopped;
    private volatile bool _stopAccepting;

    /// <param name="capacity">Most ClientHellos remembered at once (at least 1).</param>
    /// <param name="maxLate">How much later than its expected arrival time a ClientHello may arrive.</param>
    /// <param name="maxEarly">How much earlier than its expected arrival time a ClientHello may arrive.</param>
    /// <param name="time">Clock of <see cref="StartedAt"/>; the same wall clock as the server's <see cref="TlsServerOptions.Time"/>.</param>
    public ZeroRttAntiReplay(int capacity = DefaultCapacity, TimeSpan? maxLate = null, TimeSpan? maxEarly = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var late = maxLate ?? DefaultMaxLate;
        var early = maxEarly ?? DefaultMaxEarly;
        ArgumentOutOfRangeException.ThrowIfLessThan(late, TimeSpan.Zero, nameof(maxLate));
        ArgumentOutOfRangeException.ThrowIfLessThan(early, TimeSpan.Zero, nameof(maxEarly));
        Capacity = capacity;
        MaxLate = late;
        MaxEarly = early;
        _maxLateMs = (long)late.TotalMilliseconds;
        _maxEarlyMs = (long)early.TotalMilliseconds;
        StartedAt = (time ?? TimeProvider.System).GetUtcNow();
        _startedMs = StartedAt.ToUnixTimeMilliseconds();
    }

    /// <summary>
    /// The register shared by every server whose ticket key is <paramref name="ticketKey"/> (the same
    /// array), created on first use with the defaults; it lives as long as the key array does.
    /// </summary>
    public static ZeroRttAntiReplay ForTicketKey(byte[] ticketKey, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(ticketKey);
        return s_byTicketKey.GetValue(ticketKey, _ => new ZeroRttAntiReplay(time: time));
    }

    /// <summary>Most ClientHellos remembered at once.</summary>
    public int Capacity { get; }

    /// <summary>Latest a ClientHello may arrive after its expected arrival time.</summary>
    public TimeSpan MaxLate { get; }

    /// <summary>Earliest a ClientHello may arrive before its expected arrival time.</summary>
    public TimeSpan MaxEarly { get; }

    /// <summary>When recording started; tickets issued before may have been used on an earlier instance.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>ClientHellos remembered now (expired ones are dropped lazily, on the next decision).</summary>
    public int Count
    {
        get { lock (_gate) return _seen.Count; }
    }

    /// <summary>How many decisions of each kind were made.</summary>
    public long CountOf(ZeroRttDecision decision) => decision switch
    {
        ZeroRttDecision.Accepted => Interlocked.Read(ref _accepted),
        ZeroRttDecision.Replayed => Interlocked.Read(ref _replayed),
        ZeroRttDecision.NotFresh => Interlocked.Read(ref _notFresh),
        ZeroRttDecision.Full => Interlocked.Read(ref _full),
        ZeroRttDecision.Stopped => Interlocked.Read(ref _stopped),
        _ => Interlocked.Read(ref _beforeStart),
    };

    /// <summary>
    /// From now on refuses every 0-RTT ClientHello (<see cref="ZeroRttDecision.Stopped"/>; the handshakes go on in
    /// 1-RTT). For a server instance that is handing its port to a successor sharing its ticket key — a draining
    /// <c>pliant serve --reuseport</c> generation: the successor records what it accepts in its own register, and a
    /// replay of such a ClientHello steered here (the server ID in a plaintext connection ID can be chosen by
    /// anyone) would otherwise be accepted a second time. Irreversible.
    /// </summary>
    public void StopAccepting() => _stopAccepting = true;

    /// <summary>True once <see cref="StopAccepting"/> was called.</summary>
    public bool IsStopped => _stopAccepting;

    /// <summary>
    /// Decides on the 0-RTT data of a ClientHello whose PSK binder <paramref name="binder"/> was verified,
    /// for a ticket issued at <paramref name="issuedUnixMs"/> (our clock) that the client says is
    /// <paramref name="clientAgeMs"/> old, received at <paramref name="nowUnixMs"/>; records it when accepted.
    /// </summary>
    public ZeroRttDecision TryAccept(ReadOnlySpan<byte> binder, long issuedUnixMs, long clientAgeMs, long nowUnixMs)
    {
        if (binder.Length < 16) throw new ArgumentException("a PSK binder has at least 32 bytes", nameof(binder));
        if (_stopAccepting) return Tally(ref _stopped, ZeroRttDecision.Stopped);
        // RFC 8446 §8.3: expected_arrival_time = creation time + the client's ticket age.
        long expected = issuedUnixMs + clientAgeMs;
        long lateBy = nowUnixMs - expected;
        if (lateBy > _maxLateMs || lateBy < -_maxEarlyMs) return Tally(ref _notFresh, ZeroRttDecision.NotFresh);
        // §8.2: a ClientHello acceptable before we started recording may have been accepted by our predecessor.
        if (issuedUnixMs < _startedMs && expected - _maxEarlyMs < _startedMs) return Tally(ref _beforeStart, ZeroRttDecision.BeforeStart);
        var key = (BinaryPrimitives.ReadUInt64LittleEndian(binder), BinaryPrimitives.ReadUInt64LittleEndian(binder[8..]));
        // Accepted only while now <= expected + MaxLate: remembering it until then catches every replay.
        long expires = expected + _maxLateMs;
        lock (_gate)
        {
            Purge(nowUnixMs);
            if (_seen.Contains(key)) return Tally(ref _replayed, ZeroRttDecision.Replayed);
            if (_seen.Count >= Capacity) return Tally(ref _full, ZeroRttDecision.Full);
            _seen.Add(key);
            _order.Enqueue((key, expires));
        }
        return Tally(ref _accepted, ZeroRttDecision.Accepted);
    }

    /// <summary>
    /// Drops entries from the front of the insertion order whose time has passed. Expiry times are nearly
    /// in insertion order (they differ by at most MaxEarly + MaxLate), so an entry may outlive its time by
    /// that much behind a later one: remembered longer, never shorter. O(1) amortised per decision.
    /// </summary>
    private void Purge(long nowUnixMs)
    {
        while (_order.TryPeek(out var head) && head.ExpiresMs < nowUnixMs)
        {
            _order.Dequeue();
            _seen.Remove(head.Key);
        }
    }

    private static ZeroRttDecision Tally(ref long counter, ZeroRttDecision d)
    {
        Interlocked.Increment(ref counter);
        return d;
    }
}
