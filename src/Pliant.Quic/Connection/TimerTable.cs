using System.Runtime.CompilerServices;

namespace Pliant.Quic.Connection;

/// <summary>
/// The deadlines a connection keeps (issue 12: one table indexed by an enum instead of loose fields checked by
/// hand). Times are µs on the connection's monotonic clock; <see cref="TimerTable.Unset"/> means "not armed".
/// </summary>
internal enum ConnectionTimer
{
    /// <summary>RFC 9000 §10.1: idle timeout; the connection is closed silently.</summary>
    Idle,
    /// <summary>Issue 11: a handshake that never completes is dropped (RFC 9000 §10.1 leaves it to idle).</summary>
    Handshake,
    /// <summary>RFC 9000 §10.2: the end of the closing or draining period.</summary>
    Close,
    /// <summary>RFC 9002 §6.2: loss detection / PTO of the path (derived from its recovery state).</summary>
    LossDetection,
    /// <summary>RFC 9000 §13.2.1: an ACK is due in the Initial space (derived from its ACK tracker).</summary>
    AckInitial,
    /// <summary>An ACK is due in the Handshake space.</summary>
    AckHandshake,
    /// <summary>An ACK is due in the Application space (max_ack_delay, or ack.delay).</summary>
    AckApplication,
    /// <summary>RFC 9000 §8.2.4: a PATH_CHALLENGE went unanswered for long enough.</summary>
    PathValidation,
    /// <summary>RFC 9001 §6.5: the previous generation of 1-RTT receive keys is dropped.</summary>
    KeyDiscard,
    /// <summary>RFC 9001 §4.9.3: 0-RTT receive keys are dropped after 1-RTT arrived.</summary>
    ZeroRttDiscard,
    /// <summary>RFC 9002 §7.7: the pacer allows the next packet.</summary>
    Pacing,
    /// <summary>0-RTT: the held first flight goes out even if the application wrote nothing.</summary>
    FirstFlight,
    /// <summary>The earliest timer a plugin set (derived from the plugin timer list).</summary>
    Plugin,
    /// <summary>Multipath: the earliest validation or abandonment deadline of the paths after the first (derived).</summary>
    Paths,
}

/// <summary>
/// A fixed table of deadlines, one slot per <see cref="ConnectionTimer"/>: arming and disarming are stores,
/// <see cref="Earliest"/> is a minimum over 14 longs (no allocation, no ordering structure: a connection has a
/// handful of timers, and the driver keeps all connections' next deadlines in its own heap).
/// </summary>
internal sealed class TimerTable
{
    /// <summary>The value of a slot that is not armed.</summary>
    public const long Unset = long.MaxValue;

    private const int Count = (int)ConnectionTimer.Paths + 1;
    private readonly long[] _at = NewSlots();

    private static long[] NewSlots()
    {
        var a = new long[Count];
        Array.Fill(a, Unset);
        return a;
    }

    /// <summary>The deadline of <paramref name="timer"/>, or <see cref="Unset"/>.</summary>
    public long this[ConnectionTimer timer]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _at[(int)timer];
    }

    /// <summary>Arms <paramref name="timer"/> at <paramref name="atUs"/> (<see cref="Unset"/> disarms it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(ConnectionTimer timer, long atUs) => _at[(int)timer] = atUs;

    /// <summary>Arms <paramref name="timer"/> at <paramref name="atUs"/>, or disarms it when null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(ConnectionTimer timer, long? atUs) => _at[(int)timer] = atUs ?? Unset;

    /// <summary>Disarms <paramref name="timer"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Stop(ConnectionTimer timer) => _at[(int)timer] = Unset;

    /// <summary>True if <paramref name="timer"/> is armed.</summary>
    public bool IsArmed(ConnectionTimer timer) => _at[(int)timer] != Unset;

    /// <summary>True if <paramref name="timer"/> is armed and its deadline is at or before <paramref name="nowUs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsDue(ConnectionTimer timer, long nowUs) => _at[(int)timer] <= nowUs;

    /// <summary>Disarms every timer (the connection closed).</summary>
    public void StopAll() => Array.Fill(_at, Unset);

    /// <summary>Disarms every timer but <paramref name="keep"/> (entering the closing or draining state).</summary>
    public void StopAllBut(ConnectionTimer keep)
    {
        long k = _at[(int)keep];
        Array.Fill(_at, Unset);
        _at[(int)keep] = k;
    }

    /// <summary>
    /// Granularity of the housekeeping timers (idle, handshake, close): their deadlines are rounded up to a multiple
    /// of it when the driver asks when to wake, so that the ends of many connections' draining periods (one per short
    /// connection) share one wake-up of the driver instead of one each. 8.192 ms: nothing is sent when they fire, and
    /// each is a lower bound ("at least", RFC 9000 §10.1, §10.2). The key discards stay exact: RFC 9001 §6.5 bounds
    /// how long old keys are kept from above.
    /// </summary>
    public const long HousekeepingGranuleUs = 8192;

    /// <summary>The earliest armed deadline, housekeeping ones rounded up (<see cref="HousekeepingGranuleUs"/>), or <see cref="Unset"/>.</summary>
    public long Earliest()
    {
        long t = Unset, lazy = Unset;
        for (int i = 0; i < _at.Length; i++)
        {
            long at = _at[i];
            if (at >= t && at >= lazy) continue;
            if (IsHousekeeping((ConnectionTimer)i)) { if (at < lazy) lazy = at; }
            else t = at;
        }
        return Math.Min(t, Coarse(lazy));
    }

    /// <summary><paramref name="atUs"/> rounded up to <see cref="HousekeepingGranuleUs"/> (<see cref="Unset"/> stays).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Coarse(long atUs) =>
        atUs >= Unset - HousekeepingGranuleUs ? atUs : (atUs + HousekeepingGranuleUs - 1) & ~(HousekeepingGranuleUs - 1);

    private static bool IsHousekeeping(ConnectionTimer timer) =>
        timer is ConnectionTimer.Idle or ConnectionTimer.Handshake or ConnectionTimer.Close;

    /// <summary>The timer with the earliest deadline (diagnostics and tests), or null when none is armed.</summary>
    public ConnectionTimer? Next()
    {
        long t = Unset;
        ConnectionTimer? next = null;
        for (int i = 0; i < _at.Length; i++)
            if (_at[i] < t) { t = _at[i]; next = (ConnectionTimer)i; }
        return next;
    }
}
