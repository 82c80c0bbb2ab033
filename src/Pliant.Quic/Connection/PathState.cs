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

    /// <summary>Bytes received on the path while it is not validated (the 3x allowance, RFC 9000 §8.1).</summary>
    public long BytesReceived { get; set; }

    /// <summary>Bytes sent on the path while it is not validated.</summary>
    public long BytesSent { get; set; }

    /// <summary>What more may be sent before the address is validated (RFC 9000 §8.1: three times what arrived).</summary>
    public long AmplificationAllowance => Validated ? long.MaxValue : Math.Max(0, 3 * BytesReceived - BytesSent);

    /// <summary>The largest datagram this side may send (configured).</summary>
    public int MaxDatagramSize { get; }

    /// <summary>The datagram size used now: 1,200 until the peer's limit and the handshake allow more.</summary>
    public int DatagramSize { get; set; }

    /// <summary>The path's RTT estimator (RFC 9002 §5).</summary>
    public RttEstimator Rtt { get; } = new();

    /// <summary>The path's congestion controller (native, or its operation-table adapter when plugins hook it).</summary>
    public ICongestionController Congestion { get; set; }

    /// <summary>The path's pacer (RFC 9002 §7.7).</summary>
    public SendPacer Pacer { get; } = new();

    /// <summary>Loss detection and PTO for the path (RFC 9002 §6).</summary>
    public LossRecovery Recovery { get; }

    /// <summary>The path's application-data packet numbers (draft-ietf-quic-multipath-21 §2; RFC 9000's one for path 0).</summary>
    public PacketNumberSpace ApplicationNumbers { get; } = new(PacketSpace.Application);
}
