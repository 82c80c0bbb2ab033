namespace Pliant.Quic.Wire;

/// <summary>
/// Frame types (RFC 9000 §12.4 Table 3, §19; RFC 9221 §4 for DATAGRAM; draft-ietf-quic-multipath-21
/// §4 and §6 for the multipath frames 0x3e, 0x3f and 0x3e75–0x3e7c).
/// </summary>
public enum FrameType : ulong
{
    Padding = 0x00,
    Ping = 0x01,
    Ack = 0x02,
    AckEcn = 0x03,
    ResetStream = 0x04,
    StopSending = 0x05,
    Crypto = 0x06,
    NewToken = 0x07,
    /// <summary>STREAM with no flags; 0x08–0x0f carry OFF (0x04), LEN (0x02), FIN (0x01).</summary>
    Stream = 0x08,
    StreamFin = 0x09,
    StreamLen = 0x0a,
    StreamLenFin = 0x0b,
    StreamOff = 0x0c,
    StreamOffFin = 0x0d,
    StreamOffLen = 0x0e,
    StreamOffLenFin = 0x0f,
    MaxData = 0x10,
    MaxStreamData = 0x11,
    MaxStreamsBidi = 0x12,
    MaxStreamsUni = 0x13,
    DataBlocked = 0x14,
    StreamDataBlocked = 0x15,
    StreamsBlockedBidi = 0x16,
    StreamsBlockedUni = 0x17,
    NewConnectionId = 0x18,
    RetireConnectionId = 0x19,
    PathChallenge = 0x1a,
    PathResponse = 0x1b,
    /// <summary>CONNECTION_CLOSE for transport errors.</summary>
    ConnectionClose = 0x1c,
    /// <summary>CONNECTION_CLOSE for application errors.</summary>
    ConnectionCloseApplication = 0x1d,
    HandshakeDone = 0x1e,
    /// <summary>DATAGRAM without a Length field (RFC 9221 §4).</summary>
    Datagram = 0x30,
    /// <summary>DATAGRAM with a Length field (RFC 9221 §4).</summary>
    DatagramWithLength = 0x31,
    /// <summary>PATH_ACK (draft-ietf-quic-multipath-21 §4.1).</summary>
    PathAck = 0x3e,
    /// <summary>PATH_ACK with ECN counts (draft-ietf-quic-multipath-21 §4.1).</summary>
    PathAckEcn = 0x3f,
    /// <summary>PATH_ABANDON (draft-ietf-quic-multipath-21 §4.2).</summary>
    PathAbandon = 0x3e75,
    /// <summary>PATH_STATUS_BACKUP (draft-ietf-quic-multipath-21 §4.3).</summary>
    PathStatusBackup = 0x3e76,
    /// <summary>PATH_STATUS_AVAILABLE (draft-ietf-quic-multipath-21 §4.3).</summary>
    PathStatusAvailable = 0x3e77,
    /// <summary>PATH_NEW_CONNECTION_ID (draft-ietf-quic-multipath-21 §4.4).</summary>
    PathNewConnectionId = 0x3e78,
    /// <summary>PATH_RETIRE_CONNECTION_ID (draft-ietf-quic-multipath-21 §4.5).</summary>
    PathRetireConnectionId = 0x3e79,
    /// <summary>MAX_PATH_ID (draft-ietf-quic-multipath-21 §4.6).</summary>
    MaxPathId = 0x3e7a,
    /// <summary>PATHS_BLOCKED (draft-ietf-quic-multipath-21 §4.7).</summary>
    PathsBlocked = 0x3e7b,
    /// <summary>PATH_CIDS_BLOCKED (draft-ietf-quic-multipath-21 §4.7).</summary>
    PathCidsBlocked = 0x3e7c,
}

/// <summary>Helpers on frame type values.</summary>
public static class FrameTypes
{
    /// <summary>True for frame types this stack parses (RFC 9000 frames and DATAGRAM).</summary>
    public static bool IsKnown(ulong frameType) => frameType <= 0x1e || frameType is 0x30 or 0x31;

    /// <summary>
    /// True for the multipath frame types of draft-ietf-quic-multipath-21 (PATH_ACK 0x3e–0x3f,
    /// 0x3e75–0x3e7c). <see cref="IsKnown"/> stays false for them: a connection that did not
    /// negotiate multipath treats them as unknown (RFC 9000 §12.4: FRAME_ENCODING_ERROR).
    /// </summary>
    public static bool IsMultipath(ulong frameType) => frameType is 0x3e or 0x3f or (>= 0x3e75 and <= 0x3e7c);

    /// <summary>True for STREAM frame types 0x08–0x0f.</summary>
    public static bool IsStream(ulong frameType) => frameType is >= 0x08 and <= 0x0f;

    /// <summary>
    /// Reads a frame type. RFC 9000 §12.4: the type MUST use the shortest encoding; a longer one is
    /// treated as PROTOCOL_VIOLATION here (the RFC allows it).
    /// </summary>
    public static ulong ReadType(ref WireReader r)
    {
        int before = r.Remaining;
        ulong type = r.ReadVarInt();
        if (before - r.Remaining != VarInt.Length(type))
            throw new QuicProtocolException(TransportErrorCode.ProtocolViolation, "frame type not minimally encoded", type);
        return type;
    }

    /// <summary>RFC 9000 §12.4: an unknown frame type is a FRAME_ENCODING_ERROR.</summary>
    public static QuicProtocolException UnknownType(ulong frameType) =>
        new(TransportErrorCode.FrameEncodingError, "unknown frame type", frameType);
}

/// <summary>Lets callers write <c>FrameType.IsKnown(type)</c> (C# 14 static extension).</summary>
public static class FrameTypeExtensions
{
    extension(FrameType)
    {
        /// <summary>True for frame types this stack parses (RFC 9000 frames and DATAGRAM).</summary>
        public static bool IsKnown(ulong frameType) => FrameTypes.IsKnown(frameType);
    }
}
