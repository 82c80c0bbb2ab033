using Pliant.Quic.Recovery;

namespace Pliant.Quic.Connection;

/// <summary>
/// One packet number space (RFC 9000 §12.3): the next packet number to send, the largest one received, and the
/// received packets still to acknowledge. Initial and Handshake have one each. Application data has one per path
/// (draft-ietf-quic-multipath-21 §2: "each path maintains distinct packet number states for sending and
/// receiving packets"), owned by <see cref="PathState"/>; without multipath only path 0's exists.
/// </summary>
internal sealed class PacketNumberSpace(PacketSpace space)
{
    /// <summary>Which kind of space (the ACK frame's rules and max_ack_delay depend on it).</summary>
    public PacketSpace Space { get; } = space;

    /// <summary>Next packet number to send (RFC 9000 §12.3: starts at 0, never reused).</summary>
    public ulong NextPacketNumber;

    /// <summary>Largest packet number received and successfully decrypted, for PN decoding (RFC 9000 §17.1).</summary>
    public ulong? LargestReceived;

    /// <summary>First packet number sent here in the current 1-RTT key phase (RFC 9001 §6.1: an ACK at or above it allows the next update).</summary>
    public ulong SendPhaseFirstPn;

    /// <summary>First packet number received here in the peer's current key phase (RFC 9001 §6.3: below it, an old phase is a late packet).</summary>
    public ulong ReceivePhaseFirstPn;

    /// <summary>Received packets and the ACK frames they call for (RFC 9000 §13.2).</summary>
    public readonly AckTracker Acks = new(space);
}
