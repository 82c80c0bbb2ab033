using Pliant.Quic.Recovery;

namespace Pliant.Quic.Operations;

/// <summary>
/// Runs a congestion controller through the operation table: the native controller keeps its own
/// bookkeeping (bytes in flight, its window) and plugins hooked on <c>cc.*</c> observe or replace the
/// decisions; <c>cc.window</c> and the connection's caps decide the effective window. Used only when
/// something is hooked, so a plain connection calls the native controller directly. A replacement's
/// answer outside its bound (<see cref="OperationCatalog"/>) never reaches here: the table detaches it and
/// answers with the native value.
/// </summary>
/// <param name="native">The path's native controller.</param>
/// <param name="table">The connection's operations.</param>
/// <param name="windowCap">The CongestionWindowCap field (path 0; 0 = none).</param>
/// <param name="pacingCap">The PacingRateCap field (path 0; 0 = none).</param>
/// <param name="pathId">The path whose controller this is: every cc.* call carries it (ABI arg(5)).</param>
internal sealed class OperationCongestionController(ICongestionController native, OperationTable table,
    Func<long> windowCap, Func<long> pacingCap, ulong pathId = 0) : ICongestionController
{
    private long _cachedNative = -1;
    private ulong _cachedActivity;
    private long _cachedWindow;

    public ICongestionController Native { get; } = native;

    /// <summary>
    /// The effective window. A replacing plugin's <c>cc.window</c> answer is reused while the native
    /// window and <see cref="OperationTable.Activity"/> are unchanged: the plugin's state can only
    /// change when some plugin code runs (an operation, a timer, a frame callback), and the window is
    /// read several times per packet. Sending a packet therefore does not ask the plugin again unless
    /// something is hooked on <c>cc.on_packet_sent</c>.
    /// </summary>
    public long Window
    {
        get
        {
            long w = Native.Window;
            if (table.IsReplaced(OperationId.CcWindow))
            {
                if (_cachedNative == w && _cachedActivity == table.Activity) w = _cachedWindow;
                else
                {
                    _cachedNative = w;
                    // Within [2 datagrams, 2^63-1]: the table detaches a replacement answering outside it.
                    w = _cachedWindow = (long)table.Invoke(OperationId.CcWindow, (ulong)w, path: pathId);
                    _cachedActivity = table.Activity;
                }
            }
            long cap = windowCap();
            // The cap field only accepts 0 or at least two datagrams (TrySetField); the datagram size may
            // grow after it was set, so the window stays at two datagrams of the current size at least.
            if (cap > 0) w = Math.Max(Math.Min(w, cap), 2L * Native.MaxDatagramSize);
            return w;
        }
    }

    public long BytesInFlight => Native.BytesInFlight;

    public int MaxDatagramSize { get => Native.MaxDatagramSize; set => Native.MaxDatagramSize = value; }

    public bool IsAppLimited { get => Native.IsAppLimited; set => Native.IsAppLimited = value; }

    public bool CanSend(int bytes) => BytesInFlight + bytes <= Window;

    public void OnPacketSent(long nowUs, int bytes)
    {
        Native.OnPacketSent(nowUs, bytes);
        AfterSent(nowUs, bytes);
    }

    public void OnPacketSent(SentPacket packet, long nowUs)
    {
        Native.OnPacketSent(packet, nowUs);
        AfterSent(nowUs, packet.Size);
    }

    public void OnApplicationLimited() => Native.OnApplicationLimited();

    private void AfterSent(long nowUs, int bytes)
    {
        if (table.IsHooked(OperationId.CcOnPacketSent))
            table.Invoke(OperationId.CcOnPacketSent, 0, (ulong)bytes, (ulong)nowUs, path: pathId);
    }

    public void OnPacketsAcked(ReadOnlySpan<SentPacket> acked, long nowUs, RttEstimator rtt)
    {
        Native.OnPacketsAcked(acked, nowUs, rtt);
        if (!table.IsHooked(OperationId.CcOnAck) || acked.IsEmpty) return;
        long bytes = 0;
        foreach (var p in acked) if (p.InFlight) bytes += p.Size;
        table.Invoke(OperationId.CcOnAck, 0, (ulong)bytes, (ulong)nowUs, (ulong)rtt.SmoothedRtt, (ulong)acked[^1].TimeSentUs, pathId);
    }

    public void OnPacketsLost(ReadOnlySpan<SentPacket> lost, bool persistentCongestion, long nowUs)
    {
        Native.OnPacketsLost(lost, persistentCongestion, nowUs);
        if (!table.IsHooked(OperationId.CcOnCongestionEvent) || lost.IsEmpty) return;
        long bytes = 0;
        foreach (var p in lost) if (p.InFlight) bytes += p.Size;
        table.Invoke(OperationId.CcOnCongestionEvent, 0, (ulong)bytes, (ulong)nowUs, persistentCongestion ? 1UL : 0UL,
            (ulong)lost[^1].TimeSentUs, pathId);
    }

    public void OnEcnCe(long sentTimeOfLargestAckedUs, long nowUs)
    {
        Native.OnEcnCe(sentTimeOfLargestAckedUs, nowUs);
        if (table.IsHooked(OperationId.CcOnEcn))
            table.Invoke(OperationId.CcOnEcn, 0, (ulong)sentTimeOfLargestAckedUs, (ulong)nowUs, path: pathId);
    }

    public void OnPacketsDiscarded(long bytes)
    {
        Native.OnPacketsDiscarded(bytes);
    }

    public long? PacingIntervalUs(int packetSize, RttEstimator rtt)
    {
        long w = Window;
        long? interval = w <= 0 || rtt.SmoothedRtt <= 0 ? null : rtt.SmoothedRtt * packetSize * 4 / (w * 5);
        long rate = pacingCap();
        if (table.IsReplaced(OperationId.CcPacingRate))
        {
            long r = (long)table.Invoke(OperationId.CcPacingRate, (ulong)Math.Max(rate, 0), path: pathId); // bounded by the table
            if (r > 0) rate = rate > 0 ? Math.Min(rate, r) : r;
        }
        if (rate > 0)
        {
            long capped = packetSize * 1_000_000L / rate;
            interval = interval is { } i ? Math.Max(i, capped) : capped;
        }
        return interval;
    }
}
