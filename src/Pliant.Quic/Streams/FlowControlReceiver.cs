namespace Pliant.Quic.Streams;

/// <summary>
/// Credit we grant the peer for one stream or the connection (RFC 9000 §4.1–4.2). Tracks the
/// advertised limit, the bytes received (highest offsets) and consumed by the application; asks
/// for a MAX_DATA / MAX_STREAM_DATA once the application consumed half the window, and grows the
/// window (up to a maximum) when updates come faster than twice the RTT, so a fast receiver does
/// not stall on flow control (auto-tuning).
/// </summary>
public sealed class FlowControlReceiver
{
    private long _lastUpdateUs = -1;
    private bool _grantPending;

    /// <summary>Creates a receiver side with an initial window and the largest it may grow to.</summary>
    public FlowControlReceiver(ulong initialWindow, ulong maxWindow)
    {
        Window = initialWindow;
        MaxWindow = Math.Max(initialWindow, maxWindow);
        Limit = initialWindow;
    }

    /// <summary>The current window size.</summary>
    public ulong Window { get; private set; }

    /// <summary>The largest window auto-tuning may reach.</summary>
    public ulong MaxWindow { get; }

    /// <summary>The limit last advertised to the peer.</summary>
    public ulong Limit { get; private set; }

    /// <summary>Bytes (highest offsets) received.</summary>
    public ulong Received { get; private set; }

    /// <summary>Bytes consumed (read or discarded).</summary>
    public ulong Consumed { get; private set; }

    /// <summary>
    /// Accounts <paramref name="bytes"/> newly received; FLOW_CONTROL_ERROR if the peer went over
    /// the limit we advertised (RFC 9000 §4.1).
    /// </summary>
    public void OnReceived(ulong bytes, ulong frameType = 0)
    {
        if (Received + bytes > Limit)
            throw new QuicProtocolException(TransportErrorCode.FlowControlError, "flow-control limit exceeded", frameType);
        Received += bytes;
    }

    /// <summary>Accounts <paramref name="bytes"/> consumed by the application.</summary>
    public void OnConsumed(ulong bytes) => Consumed += bytes;

    /// <summary>
    /// True when an update should go out: a policy's grant not advertised yet, or (natively, while no policy decides)
    /// the consumed data passed half the window since the last update.
    /// </summary>
    public bool ShouldSendUpdate => _grantPending || (!PolicyDriven && NativeWantsUpdate);

    /// <summary>The native rule: the consumed data passed half the window since the last update.</summary>
    public bool NativeWantsUpdate => Limit - Math.Min(Limit, Consumed) <= Window / 2 && Consumed + Window > Limit;

    /// <summary>
    /// True while a <c>flow.window_update</c> replacement decides when and how much credit to grant
    /// (<see cref="Grant"/>); the native half-window rule is off meanwhile.
    /// </summary>
    internal bool PolicyDriven { get; set; }

    /// <summary>The window the native rule would advertise now (auto-tuning applied, <see cref="UpdateLimit"/>), without recording anything.</summary>
    public ulong NextWindow(long nowUs, long smoothedRttUs) =>
        _lastUpdateUs >= 0 && smoothedRttUs > 0 && nowUs - _lastUpdateUs < 2 * smoothedRttUs ? Math.Min(Window * 2, MaxWindow) : Window;

    /// <summary>
    /// A policy grants <paramref name="window"/> bytes of credit beyond what was consumed (at most <see cref="MaxWindow"/>,
    /// checked by the caller): the window becomes it and, when that raises the limit, an update is due. Returns true
    /// when the limit rose.
    /// </summary>
    internal bool Grant(ulong window)
    {
        if (window == 0) return false; // no update now
        Window = window;
        ulong next = Consumed + window;
        if (next <= Limit) return false;
        Limit = next;
        _grantPending = true;
        return true;
    }

    /// <summary>
    /// Computes and records the new limit to advertise. If the previous update was less than
    /// 2·srtt ago, the window doubles (up to <see cref="MaxWindow"/>).
    /// </summary>
    public ulong UpdateLimit(long nowUs, long smoothedRttUs)
    {
        if (_grantPending)
        {
            // A policy's grant (already in Limit) goes out as it is.
            _grantPending = false;
            _lastUpdateUs = nowUs;
            return Limit;
        }
        if (_lastUpdateUs >= 0 && smoothedRttUs > 0 && nowUs - _lastUpdateUs < 2 * smoothedRttUs)
            Window = Math.Min(Window * 2, MaxWindow);
        _lastUpdateUs = nowUs;
        ulong next = Consumed + Window;
        if (next > Limit) Limit = next;
        return Limit;
    }
}
