using Pliant.Quic.Recovery;
using Pliant.Quic.Wire;

namespace Pliant.Quic.Tests.Recovery;

internal static class RecoveryTestHelpers
{
    public static SentPacket Packet(PacketSpace space, ulong pn, long sentUs, int size = 1200, bool ackEliciting = true, bool inFlight = true) =>
        new()
        {
            Space = space,
            PacketNumber = pn,
            TimeSentUs = sentUs,
            Size = size,
            AckEliciting = ackEliciting,
            InFlight = inFlight,
        };

    public static SentPacket Send(this LossRecovery lr, PacketSpace space, ulong pn, long sentUs, int size = 1200, bool ackEliciting = true)
    {
        var p = Packet(space, pn, sentUs, size, ackEliciting);
        lr.OnPacketSent(p, sentUs);
        return p;
    }

    public static (List<SentPacket> Acked, List<SentPacket> Lost) Ack(this LossRecovery lr, PacketSpace space, long nowUs, long ackDelayUs, params AckRange[] rangesDescending)
    {
        var acked = new List<SentPacket>();
        var lost = new List<SentPacket>();
        lr.OnAckReceived(space, rangesDescending, ackDelayUs, null, nowUs, acked, lost);
        return (acked, lost);
    }

    public static ulong[] Pns(this List<SentPacket> list) => list.Select(p => p.PacketNumber).ToArray();
}
