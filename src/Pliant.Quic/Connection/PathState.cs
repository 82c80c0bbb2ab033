using System.Net;
using Pliant.Quic.Recovery;

namespace Pliant.Quic.Connection;

/// <summary>
/// One network path of a connection and what belongs to it (issue 12: the core restructured around paths, so
/// multipath can hold several): the peer's address, whether it is validated and the anti-amplification
/// counters until it is (RFC 9000 §8), the datagram size it carries (§14), its RTT estimator, congestion
/// controller, pacer and loss recovery (RFC 9002), and its application-data packet number space. The single-path connection has one, <see cref="Id"/> 0.
/// </summary>
internal sealed class PathState
{
    /// <summary>
    /// A path for <paramref name="remote"/> that starts with 1,200-byte datagrams (RFC 9000 §14.1). A
    /// <see cref="CongestionControlAlgorithm.Lia"/> controller joins <paramref name="coupling"/>, the connection's group.
    /// </summary>
    public PathState(ulong id, IPEndPoint remote, int maxDatagramSize, CongestionControlAlgorithm algorithm, RandomSource rng,
        LiaGroup? coupling = null)
    {
        Id = id;
        Remote = remote;
        MaxDatagramSize = maxDatagramSize;
        DatagramSize = 1200;
        Congestion = algorithm switch
        {
            CongestionControlAlgorithm.NewReno => new NewReno(DatagramSize),
            CongestionControlAlgorithm.Bbr => new Bbr(DatagramSize, rng.NextUInt64()),
            CongestionControlAlgorithm.Lia => new Lia(coupling ?? new LiaGroup(), DatagramSize),
            _ => new Cubic(DatagramSize),
        };
        Recovery = new LossRecovery(Rtt, Congestion);
    }

    /// <summary>The path ID (draft-ietf-quic-multipath §2; 0 for the path the handshake used).</summary>
    public ulong Id { get; }

    /// <summary>The peer's address on this path.</summary>
    public IPEndPoint Remote { get; set; }

    /// <summary>True once the peer's address is validated: no anti-amplification limit (RFC 9000 §8.1).</summary>
    public bool Validated { get; set; }

    /// <summary>The congestion state last written to the qlog (<see cref="Diagnostics.QlogRecord.CongestionStateCode"/>).</summary>
    public byte QlogCongestionState { get; set; } = Diagnostics.QlogRecord.NoCongestionState;

    /// <summary>Bytes received on the path while it is not validated (the 3x allowance, RFC 9000 §8.1).</summary>
    public long BytesReceived { get; set; }

    /// <summary>Bytes sent on the path while it is not validated.</summary>
    public long BytesSent { get; set; }

    /// <summary>What more may be sent before the address is validated (RFC 9000 §8.1: three times what arrived).</summary>
    public long AmplificationAllowance => Validated || !AmplificationLimited ? long.MaxValue : Math.Max(0, 3 * BytesReceived - BytesSent);

    /// <summary>
    /// Whether the anti-amplification limit applies while unvalidated: a server's paths (RFC 9000 §8.1); a client's
    /// new path is validated too before it carries data, but its probes are not limited.
    /// </summary>
    public bool AmplificationLimited { get; init; } = true;

    /// <summary>The largest datagram this side may send (configured).</summary>
    public int MaxDatagramSize { get; }

    /// <summary>The datagram size used now: 1,200 until path MTU discovery confirmed more (<see cref="Pmtu"/>).</summary>
    public int DatagramSize { get; set; }

    /// <summary>When a packet sent on the path was last acknowledged (or the path validated), µs: how long it has been silent.</summary>
    public long LastAckedUs { get; set; }

    /// <summary>When this path last sent an ack-eliciting packet, µs (multipath: an ACK-only path adds a PING once per RTT).</summary>
    public long LastAckElicitingSentUs { get; set; }

    /// <summary>Path MTU discovery for the path (RFC 9000 §14.3): it decides <see cref="DatagramSize"/> once started.</summary>
    public PmtuDiscovery Pmtu { get; } = new();

    /// <summary>The path's RTT estimator (RFC 9002 §5).</summary>
    public RttEstimator Rtt { get; } = new();

    /// <summary>The path's congestion controller (native, or its operation-table adapter when plugins hook it).</summary>
    public ICongestionController Congestion { get; set; }

    /// <summary>
    /// The path's delivery-rate sampler while its controller is (or was) behind the operation table: created with the first
    /// adapter, kept for the path's life (a native BBR's own sampler when the native controller is BBR).
    /// </summary>
    public DeliveryRateSampler? RateSampler { get; set; }

    /// <summary>The path's pacer (RFC 9002 §7.7).</summary>
    public SendPacer Pacer { get; } = new();

    /// <summary>Loss detection and PTO for the path (RFC 9002 §6).</summary>
    public LossRecovery Recovery { get; }

    /// <summary>The path's application-data packet numbers (draft-ietf-quic-multipath-21 §2; RFC 9000's one for path 0).</summary>
    public PacketNumberSpace ApplicationNumbers { get; } = new(PacketSpace.Application);

    // What only the paths after the first use (multipath; path 0 keeps the single-path migration machinery).

    /// <summary>The local address the path sends from (a client's second interface); null: the endpoint's own socket.</summary>
    public IPEndPoint? Local { get; set; }

    /// <summary>RFC 9000 §8.2: the PATH_CHALLENGE data in flight on this path, and whether it is still to be sent.</summary>
    public ulong Challenge { get; set; }

    /// <summary>A PATH_CHALLENGE is to be sent on this path.</summary>
    public bool ChallengePending { get; set; }

    /// <summary>When the current challenge is given up (and retried, at most <see cref="MaxChallengeAttempts"/> times).</summary>
    public long ChallengeDeadlineUs { get; set; } = long.MaxValue;

    /// <summary>Challenges sent so far in the current validation.</summary>
    public int ChallengeAttempts { get; set; }

    /// <summary>How many challenges a path validation sends before the path is given up.</summary>
    public const int MaxChallengeAttempts = 3;

    /// <summary>PATH_RESPONSE frames owed on this path (draft-ietf-quic-multipath-21 §3.1: answered on the same path).</summary>
    public Queue<ulong> Responses { get; } = new();

    /// <summary>The most PATH_RESPONSE frames owed at once: a flood of challenges grows neither memory nor what is sent.</summary>
    public const int MaxResponses = 4;

    /// <summary>The peer's preference for this path (PATH_STATUS_AVAILABLE / _BACKUP), available until it says otherwise.</summary>
    public PathStatus PeerStatus { get; set; }

    /// <summary>Our own preference for the path, as signalled (or to be signalled) to the peer.</summary>
    public PathStatus LocalStatus { get; set; }

    /// <summary>A PATH_STATUS frame with <see cref="LocalStatus"/> is owed.</summary>
    public bool LocalStatusPending { get; set; }

    /// <summary>Sequence number of the last PATH_STATUS frame we sent (draft-ietf-quic-multipath-21 §4.3: increasing per path).</summary>
    public ulong LocalStatusSequence { get; set; }

    /// <summary>PTO probes to send on this path (RFC 9002 §6.2.4, per path).</summary>
    public int ProbesPending { get; set; }

    /// <summary>Abandoned (draft-ietf-quic-multipath-21 §3.4): nothing more is sent on it; it is forgotten at <see cref="DiscardAtUs"/>.</summary>
    public bool Abandoned { get; set; }

    /// <summary>When an abandoned path's state is dropped (three PTOs after the abandonment).</summary>
    public long DiscardAtUs { get; set; } = long.MaxValue;

    /// <summary>Bytes of datagrams sent on the path (diagnostics: the per-path line of <c>pliant get</c>).</summary>
    public long BytesSentTotal { get; set; }

    /// <summary>Bytes of datagrams received on the path.</summary>
    public long BytesReceivedTotal { get; set; }

    /// <summary>True when the path may carry application data: validated, not abandoned.</summary>
    public bool Usable => Validated && !Abandoned;
}
