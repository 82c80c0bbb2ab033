namespace Pliant.Quic;

/// <summary>What kind of frame a <see cref="SentFrame"/> records.</summary>
public enum SentFrameKind : byte
{
    Stream,
    Crypto,
    ResetStream,
    StopSending,
    MaxData,
    MaxStreamData,
    MaxStreams,
    DataBlocked,
    StreamDataBlocked,
    StreamsBlocked,
    NewConnectionId,
    RetireConnectionId,
    NewToken,
    HandshakeDone,
    Ping,
    Ack,
    PathChallenge,
    PathResponse,
    Datagram,
    /// <summary>A frame a plugin defined; <see cref="SentFrame.Value"/> is the plugin's handle.</summary>
    Plugin,
    /// <summary>PATH_ABANDON (multipath); <see cref="SentFrame.StreamId"/> is the path ID, Value the error code.</summary>
    PathAbandon,
    /// <summary>PATH_STATUS_AVAILABLE/BACKUP; <see cref="SentFrame.StreamId"/> is the path ID, Value the sequence number.</summary>
    PathStatus,
}

/// <summary>
/// The record of one frame placed in a sent packet, kept with the packet until it is acknowledged
/// or declared lost, so the component that wrote it can react (RFC 9000 §13.3: retransmit the
/// information, not the packet). A plain struct: no allocation per frame.
/// </summary>
public record struct SentFrame(
    SentFrameKind Kind,
    ulong StreamId = 0,
    ulong Offset = 0,
    int Length = 0,
    bool Fin = false,
    ulong Value = 0,
    EncryptionLevel Level = EncryptionLevel.OneRtt);
