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
/// <param name="sampler">
/// The path's delivery-rate sampler (draft-ietf-ccwg-bbr-06 §4.1.2), whose latest sample plugins read as the
/// <c>Rs*</c> fields; a native <see cref="Bbr"/>'s own (then it feeds it, and this adapter only reads), else fed here.
/// Null: a fresh one.
/// </param>
internal sealed class OperationCongestionController(ICongestionController native, OperationTable table,
    Func<long> windowCap, Func<long> pacingCap, ulong pathId = 0, DeliveryRateSampler? sampler = null) : ICongestionController
{
    private readonly DeliveryRateSampler _sampler = sampler ?? (native is Bbr b ? b.Sampler : new DeliveryRateSampler());
    private RateSample _rs = new() { RttUs = -1 };
    private long _lostTxInFlight, _lostSinceSent;
    private bool _lostAppLimited;

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
        long before = Native.BytesInFlight;
        Native.OnPacketSent(packet, nowUs);
        // §4.1.2.4: the packet carries the delivery counters as of its sending (a native BBR took its own snapshot).
        if (Native is not Bbr) _sampler.OnPacketSent(packet, before, before + packet.Size);
        AfterSent(nowUs, packet.Size);
    }

    public void OnApplicationLimited()
    {
        Native.OnApplicationLimited();
        // §4.1.2.6 CheckIfApplicationLimited, against the effective window (a plugin's, when it replaces cc.window).
        if (Native is not Bbr && BytesInFlight < Window) _sampler.MarkAppLimited(BytesInFlight);
    }

    /// <summary>
    /// A delivery-rate field (<see cref="ConnectionField.Delivered"/> to <see cref="ConnectionField.LostIsAppLimited"/>):
    /// the sampler's counters, the latest ACK's sample, the latest congestion event's newest lost packet. Counts that a
    /// packet sent before the sampler existed could make negative read 0.
    /// </summary>
    public ulong SampleField(ConnectionField field) => field switch
    {
        ConnectionField.Delivered => (ulong)_sampler.Delivered,
        ConnectionField.BytesLost => (ulong)_sampler.Lost,
        ConnectionField.RsDeliveryRate => (ulong)Math.Max(0, Math.Min(_rs.DeliveryRate, long.MaxValue)),
        ConnectionField.RsDelivered => (ulong)Math.Max(0, _rs.Delivered),
        ConnectionField.RsInterval => (ulong)Math.Max(0, _rs.IntervalUs),
        ConnectionField.RsPriorDelivered => (ulong)Math.Max(0, _rs.PriorDelivered),
        ConnectionField.RsTxInFlight => (ulong)Math.Max(0, _rs.TxInFlight),
        ConnectionField.RsLost => (ulong)Math.Max(0, _rs.Lost),
        ConnectionField.RsIsAppLimited => _rs.IsAppLimited ? 1UL : 0UL,
        ConnectionField.RsRtt => (ulong)_rs.RttUs,
        ConnectionField.LostTxInFlight => (ulong)Math.Max(0, _lostTxInFlight),
        ConnectionField.LostSinceSent => (ulong)Math.Max(0, _lostSinceSent),
        ConnectionField.LostIsAppLimited => _lostAppLimited ? 1UL : 0UL,
        _ => 0,
    };

    private void AfterSent(long nowUs, int bytes)
    {
        if (table.IsHooked(OperationId.CcOnPacketSent))
            table.Invoke(OperationId.CcOnPacketSent, 0, (ulong)bytes, (ulong)nowUs, path: pathId);
    }

    public void OnPacketsAcked(ReadOnlySpan<SentPacket> acked, long nowUs, RttEstimator rtt)
    {
        Native.OnPacketsAcked(acked, nowUs, rtt);
        if (Native is Bbr bbr) _rs = bbr.LastSample;
        else
        {
            // §4.1.2.3: one rate sample per ACK, from the newest packet it delivered.
            DeliveryRateSampler.Begin(ref _rs);
            foreach (var p in acked) if (p.InFlight) _sampler.OnAcked(p, nowUs, ref _rs);
            _sampler.Generate(ref _rs, rtt.HasSample ? rtt.MinRtt : 0);
        }
        if (!table.IsHooked(OperationId.CcOnAck) || acked.IsEmpty) return;
        long bytes = 0;
        foreach (var p in acked) if (p.InFlight) bytes += p.Size;
        table.Invoke(OperationId.CcOnAck, 0, (ulong)bytes, (ulong)nowUs, (ulong)rtt.SmoothedRtt, (ulong)acked[^1].TimeSentUs, pathId);
    }

    public void OnPacketsLost(ReadOnlySpan<SentPacket> lost, bool persistentCongestion, long nowUs)
    {
        Native.OnPacketsLost(lost, persistentCongestion, nowUs);
        SentPacket? newest = null;
        foreach (var p in lost)
        {
            // RFC 9000 §14.4: a lost PMTU probe is no congestion signal (a native BBR counted the others itself).
            if (!p.InFlight || p.IsMtuProbe) continue;
            if (Native is not Bbr) _sampler.OnLost(p.Size);
            newest = p;
        }
        if (newest is not null)
        {
            // §5.5.10.2: what the newest lost packet's snapshot says about the in-flight volume that met loss.
            var d = newest.Delivery;
            (_lostTxInFlight, _lostSinceSent, _lostAppLimited) = (d.TxInFlight, _sampler.Lost - d.Lost, d.IsAppLimited);
        }
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
            // On entry the native pacing as a rate: the window's (RFC 9002 §7.7: 1.25 × cwnd / smoothed RTT) within the
            // PacingRateCap field, 0 before an RTT sample. A positive answer is the pacing rate (a model-based controller
            // such as BBR paces by its own rate, §5.6.2), still within the field; 0 keeps the native pacing. A peer's
            // plugin is held to the lower of the two (its binding applies the cap).
            long native = rtt.SmoothedRtt > 0 ? (long)Math.Min(w * 1.25e6 / rtt.SmoothedRtt, long.MaxValue / 2) : 0;
            if (rate > 0) native = native > 0 ? Math.Min(native, rate) : rate;
            long r = (long)table.Invoke(OperationId.CcPacingRate, (ulong)native, path: pathId); // bounded by the table
            if (r > 0) return packetSize * 1_000_000L / (rate > 0 ? Math.Min(rate, r) : r);
        }
        if (rate > 0)
        {
            long capped = packetSize * 1_000_000L / rate;
            interval = interval is { } i ? Math.Max(i, capped) : capped;
        }
        return interval;
    }
}
