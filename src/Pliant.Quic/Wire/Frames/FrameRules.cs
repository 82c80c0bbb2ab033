namespace Pliant.Quic.Wire;

/// <summary>
/// Which frames may appear where, and how they count for acknowledgment (RFC 9000 §12.4, RFC 9002 §2;
/// draft-ietf-quic-multipath-21 §4 for the multipath frames).
/// </summary>
public static class FrameRules
{
    /// <summary>
    /// True if <paramref name="frameType"/> may be sent in a packet of <paramref name="packetType"/>
    /// (RFC 9000 §12.4 Table 3 "Pkts"; DATAGRAM: RFC 9221 §4, 0-RTT and 1-RTT). Unknown types → false.
    /// </summary>
    public static bool IsAllowed(ulong frameType, PacketType packetType)
    {
        switch (packetType)
        {
            case PacketType.Initial:
            case PacketType.Handshake:
                // IH column: PADDING, PING, ACK, CRYPTO, and CONNECTION_CLOSE 0x1c only ("ih").
                return frameType is 0x00 or 0x01 or 0x02 or 0x03 or 0x06 or 0x1c;
            case PacketType.ZeroRtt:
                // RFC 9000 §12.5: not possible in 0-RTT: ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN,
                // PATH_RESPONSE and RETIRE_CONNECTION_ID (the latter is stricter than Table 3's "__01").
                return FrameTypes.IsKnown(frameType)
                    && frameType is not (0x02 or 0x03 or 0x06 or 0x07 or 0x19 or 0x1b or 0x1e);
            case PacketType.OneRtt:
                return FrameTypes.IsKnown(frameType);
            default:
                return false; // Retry and VN carry no frames.
        }
    }

    /// <summary>
    /// <see cref="IsAllowed(ulong, PacketType)"/> for a connection that negotiated multipath when
    /// <paramref name="multipath"/> is true: draft-ietf-quic-multipath-21 §4 allows the multipath frames
    /// in 1-RTT packets only (elsewhere: PROTOCOL_VIOLATION). Without multipath they stay unknown.
    /// </summary>
    public static bool IsAllowed(ulong frameType, PacketType packetType, bool multipath) =>
        multipath && FrameTypes.IsMultipath(frameType) ? packetType == PacketType.OneRtt : IsAllowed(frameType, packetType);

    /// <summary>
    /// False for ACK, PATH_ACK, PADDING and CONNECTION_CLOSE; true otherwise (RFC 9002 §2; PATH_ACK
    /// is ACK for one path, draft-ietf-quic-multipath-21 §4.1, and every other multipath frame is
    /// ack-eliciting, §4.2–§4.7).
    /// </summary>
    public static bool IsAckEliciting(ulong frameType) => frameType is not (0x00 or 0x02 or 0x03 or 0x1c or 0x1d or 0x3e or 0x3f);

    /// <summary>
    /// PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID and PADDING are probing frames (RFC 9000 §9.1);
    /// every other frame, the multipath frames included (the draft does not add any), is non-probing.
    /// </summary>
    public static bool IsProbing(ulong frameType) => frameType is 0x00 or 0x18 or 0x1a or 0x1b;

    /// <summary>
    /// Frames that count toward bytes in flight: all but ACK-only packets (RFC 9002 §2: ack-eliciting or
    /// PADDING). PATH_ACK counts like ACK: PATH_ACK-only packets are not congestion controlled
    /// (draft-ietf-quic-multipath-21 §5.5).
    /// </summary>
    public static bool CountsInFlight(ulong frameType) => frameType is not (0x02 or 0x03 or 0x1c or 0x1d or 0x3e or 0x3f);
}
