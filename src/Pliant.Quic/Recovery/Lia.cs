namespace Pliant.Quic.Recovery;

/// <summary>
/// The paths of one connection whose congestion windows are coupled by <see cref="Lia"/> (RFC 6356): the
/// controllers register here so each can compute the aggressiveness factor over all of them. Bounded by the
/// connection's path limit; owned by the connection.
/// </summary>
public sealed class LiaGroup
{
    private readonly List<Lia> _members = [];

    /// <summary>The coupled controllers (diagnostics and tests).</summary>
    public IReadOnlyList<Lia> Members => _members;

    internal void Add(Lia member) => _members.Add(member);

    /// <summary>A path was abandoned: its window no longer counts.</summary>
    public void Remove(Lia member) => _members.Remove(member);

    /// <summary>Sum of the members' congestion windows, bytes (RFC 6356 §3: cwnd_total).</summary>
    public long TotalWindow
    {
        get
        {
            long total = 0;
            foreach (var m in _members) total += m.Window;
            return total;
        }
    }

    /// <summary>
    /// RFC 6356 §3: alpha = cwnd_total * max_i(cwnd_i / rtt_i^2) / (sum_i(cwnd_i / rtt_i))^2. Members without an
    /// RTT sample yet are left out (their rtt is unknown); with one member alpha is 1.
    /// </summary>
    public double Alpha()
    {
        double best = 0, sum = 0;
        long total = 0;
        foreach (var m in _members)
        {
            if (m.SmoothedRttUs <= 0) continue;
            double rtt = m.SmoothedRttUs;
            best = Math.Max(best, m.Window / (rtt * rtt));
            sum += m.Window / rtt;
            total += m.Window;
        }
        return sum <= 0 ? 1.0 : total * best / (sum * sum);
    }
}

/// <summary>
/// Linked Increases (RFC 6356), the coupled congestion control of multipath TCP, for one path of a multipath
/// connection: slow start and the reaction to loss are NewReno's (RFC 9002 Appendix B); in congestion avoidance
/// each acknowledged byte grows the window by min(alpha * MSS / cwnd_total, MSS / cwnd_i) bytes, so the
/// connection as a whole takes no more than one NewReno flow would on its best path and moves traffic away
/// from congested paths. With one path it is exactly NewReno.
/// </summary>
public sealed class Lia : CongestionControllerBase
{
    private readonly LiaGroup _group;
    private double _credit; // fractional bytes of growth not yet applied

    /// <summary>A controller for a path of <paramref name="group"/>'s connection.</summary>
    public Lia(LiaGroup group, int maxDatagramSize = 1200)
        : base(maxDatagramSize)
    {
        _group = group;
        group.Add(this);
    }

    /// <summary>The path's smoothed RTT as last seen on an ACK, µs (0 before the first).</summary>
    public long SmoothedRttUs { get; private set; }

    /// <inheritdoc/>
    protected override void OnAckInSlowStart(SentPacket packet, long nowUs, RttEstimator rtt)
    {
        SmoothedRttUs = rtt.SmoothedRtt;
        base.OnAckInSlowStart(packet, nowUs, rtt);
    }

    /// <inheritdoc/>
    protected override void OnAckInCongestionAvoidance(SentPacket packet, long nowUs, RttEstimator rtt)
    {
        SmoothedRttUs = rtt.SmoothedRtt;
        long total = Math.Max(_group.TotalWindow, Window);
        // RFC 6356 §3: increase = min(alpha * bytes_acked * MSS_i / cwnd_total, bytes_acked * MSS_i / cwnd_i).
        double coupled = _group.Alpha() * packet.Size * MaxDatagramSize / total;
        double uncoupled = (double)packet.Size * MaxDatagramSize / Window;
        _credit += Math.Min(coupled, uncoupled);
        if (_credit >= 1)
        {
            long whole = (long)_credit;
            Window += whole;
            _credit -= whole;
        }
    }

    /// <inheritdoc/>
    protected override void ReduceWindow(long nowUs)
    {
        // RFC 6356 §4: the decrease is unchanged (halve the path's own window).
        SlowStartThreshold = Window / 2;
        Window = Math.Max(SlowStartThreshold, MinimumWindow);
        _credit = 0;
    }

    /// <inheritdoc/>
    protected override void OnPersistentCongestion() => _credit = 0;
}
