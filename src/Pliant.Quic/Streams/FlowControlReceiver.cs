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

    /// <summary>True when the consumed data passed half the window since the last update.</summary>
    public bool ShouldSendUpdate => Limit - Math.Min(Limit, Consumed) <= Window / 2 && Consumed + Window > Limit;

    /// <summary>
    /// Computes and records the new limit to advertise. If the previous update was less than
    /// 2·srtt ago, the window doubles (up to <see cref="MaxWindow"/>).
    /// </summary>
    public ulong UpdateLimit(long nowUs, long smoothedRttUs)
    {
        if (_lastUpdateUs >= 0 && smoothedRttUs > 0 && nowUs - _lastUpdateUs < 2 * smoothedRttUs)
            Window = Math.Min(Window * 2, MaxWindow);
        _lastUpdateUs = nowUs;
        ulong next = Consumed + Window;
        if (next > Limit) Limit = next;
        return Limit;
    }
}
