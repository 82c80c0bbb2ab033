namespace Pliant.Quic.Recovery;

/// <summary>NewReno congestion control as specified by RFC 9002 §7 and Appendix B.</summary>
public sealed class NewReno : CongestionControllerBase
{
    private long _bytesAckedInAvoidance;

    /// <summary>Creates the controller for <paramref name="maxDatagramSize"/>.</summary>
    public NewReno(int maxDatagramSize = 1200)
        : base(maxDatagramSize)
    {
    }

    /// <inheritdoc/>
    protected override void OnAckInCongestionAvoidance(SentPacket packet, long nowUs, RttEstimator rtt)
    {
        // RFC 9002 §B.5: cwnd += max_datagram_size * acked / cwnd; accumulated so no bytes are lost to
        // integer division: one max_datagram_size per window of acknowledged bytes.
        _bytesAckedInAvoidance += packet.Size;
        if (_bytesAckedInAvoidance >= Window)
        {
            _bytesAckedInAvoidance -= Window;
            Window += MaxDatagramSize;
        }
    }

    /// <inheritdoc/>
    protected override void ReduceWindow(long nowUs)
    {
        // RFC 9002 §B.6: kLossReductionFactor = 0.5.
        SlowStartThreshold = Window / 2;
        Window = Math.Max(SlowStartThreshold, MinimumWindow);
        _bytesAckedInAvoidance = 0;
    }

    /// <inheritdoc/>
    protected override void OnPersistentCongestion() => _bytesAckedInAvoidance = 0;
}
