using Pliant.Quic.Connection;

namespace Pliant.Quic.Recovery;

/// <summary>
/// What the sender remembers about one sent packet until it is acknowledged, declared lost or its
/// space is discarded (RFC 9002 §A.1.1). Poolable: see <see cref="SentPacketPool"/> and <see cref="Reset"/>.
/// </summary>
public sealed class SentPacket
{
    /// <summary>The full packet number.</summary>
    public ulong PacketNumber { get; set; }

    /// <summary>When the packet was sent, µs.</summary>
    public long TimeSentUs { get; set; }

    /// <summary>Bytes of the packet counted against the congestion window (UDP payload of this packet).</summary>
    public int Size { get; set; }

    /// <summary>The packet contains a frame other than ACK, PADDING or CONNECTION_CLOSE (RFC 9002 §2).</summary>
    public bool AckEliciting { get; set; }

    /// <summary>The packet counts toward bytes in flight (ack-eliciting or PADDING).</summary>
    public bool InFlight { get; set; }

    /// <summary>The packet number space.</summary>
    public PacketSpace Space { get; set; }

    /// <summary>Frames placed in the packet; the list is reused across <see cref="Reset"/>.</summary>
    public List<SentFrame> Frames { get; } = new();

    /// <summary>A PMTU probe: its loss is not a congestion signal (RFC 9000 §14.4).</summary>
    public bool IsMtuProbe { get; set; }

    /// <summary>The ECN codepoint the packet was sent with (for ECN validation, RFC 9000 §13.4.2).</summary>
    public EcnCodepoint Ecn { get; set; }

    /// <summary>
    /// The delivery counters when the packet was sent, for controllers that sample the delivery rate (BBR).
    /// Written by such a controller for every in-flight packet it is told about; not cleared by <see cref="Reset"/>
    /// because only those packets are read.
    /// </summary>
    public DeliverySnapshot Delivery { get; set; }

    /// <summary>Clears every field so the object can be reused.</summary>
    public void Reset()
    {
        PacketNumber = 0;
        TimeSentUs = 0;
        Size = 0;
        AckEliciting = false;
        InFlight = false;
        Space = PacketSpace.Initial;
        Frames.Clear();
        IsMtuProbe = false;
        Ecn = EcnCodepoint.NotEct;
    }
}
