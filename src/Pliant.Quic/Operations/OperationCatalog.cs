using System.Text;

namespace Pliant.Quic.Operations;

/// <summary>Dense ids of the operations, for array lookups on the hot path; one per <see cref="OperationCatalog"/> entry, in order.</summary>
internal enum OperationId
{
    PacketAfterSend,
    PacketAfterDecrypt,
    PacketOnAcked,
    PacketOnLost,
    RttUpdate,
    RecoveryPto,
    CcOnPacketSent,
    CcOnAck,
    CcOnCongestionEvent,
    CcOnEcn,
    CcWindow,
    CcPacingRate,
    ConnOnHandshakeDone,
    ConnOnStateChange,
    ConnOnClosed,
    AckAfterProcess,
    TransmitAfterBatch,
    ReceiveAfterBatch,
    AckShouldSendNow,
    AckDelay,
    PathSelectForSending,
    AckSelectPath,
    PathOnNew,
    PathOnValidated,
    PathOnAbandoned,
    PathOnStatus,
    StreamNextToSend,
    RecoveryDetectLost,
    FlowWindowUpdate,
    PacketScheduleFrames,
    PacketBeforeSend,
    FrameOnReceivedPing,
    FrameOnReceivedAck,
    FrameOnReceivedResetStream,
    FrameOnReceivedStopSending,
    FrameOnReceivedCrypto,
    FrameOnReceivedNewToken,
    FrameOnReceivedStream,
    FrameOnReceivedMaxData,
    FrameOnReceivedMaxStreamData,
    FrameOnReceivedMaxStreams,
    FrameOnReceivedDataBlocked,
    FrameOnReceivedStreamDataBlocked,
    FrameOnReceivedStreamsBlocked,
    FrameOnReceivedNewConnectionId,
    FrameOnReceivedRetireConnectionId,
    FrameOnReceivedPathChallenge,
    FrameOnReceivedPathResponse,
    FrameOnReceivedConnectionClose,
    FrameOnReceivedHandshakeDone,
    FrameOnReceivedDatagram,
    Count,
}

/// <summary>The stable names of the protocol operations (DESIGN §3), as constants.</summary>
public static class OperationNames
{
    public const string PacketAfterSend = "packet.after_send";
    public const string PacketAfterDecrypt = "packet.after_decrypt";
    public const string PacketOnAcked = "packet.on_acked";
    public const string PacketOnLost = "packet.on_lost";
    public const string RttUpdate = "rtt.update";
    public const string RecoveryPto = "recovery.pto";
    public const string CcOnPacketSent = "cc.on_packet_sent";
    public const string CcOnAck = "cc.on_ack";
    public const string CcOnCongestionEvent = "cc.on_congestion_event";
    public const string CcOnEcn = "cc.on_ecn";
    public const string CcWindow = "cc.window";
    public const string CcPacingRate = "cc.pacing_rate";
    public const string ConnOnHandshakeDone = "conn.on_handshake_done";
    public const string ConnOnStateChange = "conn.on_state_change";
    public const string ConnOnClosed = "conn.on_closed";
    public const string AckAfterProcess = "ack.after_process";
    public const string TransmitAfterBatch = "transmit.after_batch";
    public const string ReceiveAfterBatch = "receive.after_batch";
    public const string AckShouldSendNow = "ack.should_send_now";
    public const string AckDelay = "ack.delay";
    public const string PathSelectForSending = "path.select_for_sending";
    public const string AckSelectPath = "ack.select_path";
    public const string PathOnNew = "path.on_new";
    public const string PathOnValidated = "path.on_validated";
    public const string PathOnAbandoned = "path.on_abandoned";
    public const string PathOnStatus = "path.on_status";
    public const string StreamNextToSend = "stream.next_to_send";
    public const string RecoveryDetectLost = "recovery.detect_lost";
    public const string FlowWindowUpdate = "flow.window_update";
    public const string PacketScheduleFrames = "packet.schedule_frames";
    public const string PacketBeforeSend = "packet.before_send";
    public const string FrameOnReceivedPing = "frame.on_received.ping";
    public const string FrameOnReceivedAck = "frame.on_received.ack";
    public const string FrameOnReceivedResetStream = "frame.on_received.reset_stream";
    public const string FrameOnReceivedStopSending = "frame.on_received.stop_sending";
    public const string FrameOnReceivedCrypto = "frame.on_received.crypto";
    public const string FrameOnReceivedNewToken = "frame.on_received.new_token";
    public const string FrameOnReceivedStream = "frame.on_received.stream";
    public const string FrameOnReceivedMaxData = "frame.on_received.max_data";
    public const string FrameOnReceivedMaxStreamData = "frame.on_received.max_stream_data";
    public const string FrameOnReceivedMaxStreams = "frame.on_received.max_streams";
    public const string FrameOnReceivedDataBlocked = "frame.on_received.data_blocked";
    public const string FrameOnReceivedStreamDataBlocked = "frame.on_received.stream_data_blocked";
    public const string FrameOnReceivedStreamsBlocked = "frame.on_received.streams_blocked";
    public const string FrameOnReceivedNewConnectionId = "frame.on_received.new_connection_id";
    public const string FrameOnReceivedRetireConnectionId = "frame.on_received.retire_connection_id";
    public const string FrameOnReceivedPathChallenge = "frame.on_received.path_challenge";
    public const string FrameOnReceivedPathResponse = "frame.on_received.path_response";
    public const string FrameOnReceivedConnectionClose = "frame.on_received.connection_close";
    public const string FrameOnReceivedHandshakeDone = "frame.on_received.handshake_done";
    public const string FrameOnReceivedDatagram = "frame.on_received.datagram";
}

/// <summary>
/// The one typed catalogue of protocol operations (DESIGN §3, §7b). Every operation is defined here once:
/// name, anchors, when it is called, argument meanings (times in µs, "space" 0 Initial, 1 Handshake,
/// 2 Application; recovery, ACK and congestion-control operations also carry a path id, 0 until
/// multipath), result and its bound, and what a remote peer's plugin may do with it. The operation
/// table, the plugin manifest validator and binding, the trust policy's defaults and the table in
/// docs/plugin-abi.md (<see cref="MarkdownTable"/>, checked by a test) all read it.
/// </summary>
public static class OperationCatalog
{
    /// <summary>Limits the catalogue's bounds are stated in (kept here so the Operations namespace needs nothing of Connection).</summary>
    private static class QuicConnectionOptionsLimits
    {
        public const ulong MaxPathId = Connection.QuicConnectionOptions.MaxPathIdLimit;
    }

    private const ulong I64Max = long.MaxValue;

    public static readonly OperationDefinition PacketAfterSend = new(OperationId.PacketAfterSend, OperationNames.PacketAfterSend, AnchorSet.Post,
        "after each packet is sealed and handed to the datagram", ["packet number", "bytes", "space", "1 if ack-eliciting"],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition PacketAfterDecrypt = new(OperationId.PacketAfterDecrypt, OperationNames.PacketAfterDecrypt, AnchorSet.Post,
        "after each received packet is decrypted (duplicates excluded)", ["packet number", "bytes", "space"],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition PacketOnAcked = new(OperationId.PacketOnAcked, OperationNames.PacketOnAcked, AnchorSet.Post,
        "for each sent packet newly acknowledged", ["packet number", "bytes", "space", "time sent"],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition PacketOnLost = new(OperationId.PacketOnLost, OperationNames.PacketOnLost, AnchorSet.Post,
        "for each sent packet declared lost (RFC 9002 §6.1)", ["packet number", "bytes", "space", "time sent"],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition RttUpdate = new(OperationId.RttUpdate, OperationNames.RttUpdate, AnchorSet.Post,
        "after each RTT sample (RFC 9002 §5)", ["latest RTT", "smoothed RTT", "rttvar", "min RTT"],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition RecoveryPto = new(OperationId.RecoveryPto, OperationNames.RecoveryPto, AnchorSet.Replace,
        "whenever a PTO or tail probe is armed", [],
        hasPath: true, "PTO duration in µs (the native one, backoff and max_ack_delay included, on entry)",
        new ResultBound(1_000, 60_000_000, Unit: "µs"), RemoteUse.None);

    public static readonly OperationDefinition CcOnPacketSent = new(OperationId.CcOnPacketSent, OperationNames.CcOnPacketSent, AnchorSet.All,
        "for each in-flight packet sent", ["bytes", "now"],
        hasPath: true, null, null, RemoteUse.None);

    public static readonly OperationDefinition CcOnAck = new(OperationId.CcOnAck, OperationNames.CcOnAck, AnchorSet.All,
        "once per ACK frame that acknowledged in-flight packets (its delivery-rate sample: the Rs* fields, §4)", ["bytes acknowledged", "now", "smoothed RTT", "time sent of the largest acknowledged"],
        hasPath: true, null, null, RemoteUse.None);

    public static readonly OperationDefinition CcOnCongestionEvent = new(OperationId.CcOnCongestionEvent, OperationNames.CcOnCongestionEvent, AnchorSet.All,
        "once per batch of packets declared lost (the newest one's delivery snapshot: the Lost* fields, §4)", ["bytes lost", "now", "1 on persistent congestion", "time sent of the largest lost"],
        hasPath: true, null, null, RemoteUse.None);

    public static readonly OperationDefinition CcOnEcn = new(OperationId.CcOnEcn, OperationNames.CcOnEcn, AnchorSet.All,
        "when the peer reports more ECN-CE marks (RFC 9002 §B.7)", ["time sent of the largest acknowledged", "now"],
        hasPath: true, null, null, RemoteUse.None);

    public static readonly OperationDefinition CcWindow = new(OperationId.CcWindow, OperationNames.CcWindow, AnchorSet.Replace,
        "when the core reads the congestion window (its answer is reused while nothing changed, §2)", [],
        hasPath: true, "congestion window in bytes (the native one on entry)",
        new ResultBound(0, I64Max, MinDatagrams: 2, Unit: "bytes"), RemoteUse.Cap);

    public static readonly OperationDefinition CcPacingRate = new(OperationId.CcPacingRate, OperationNames.CcPacingRate, AnchorSet.Replace,
        "when the pacer computes the next send time", [],
        hasPath: true, "the pacing rate in bytes/s, within the PacingRateCap field; 0 = the native pacing (on entry: the window's rate, 1.25 × cwnd / smoothed RTT, within PacingRateCap; 0 before an RTT sample)",
        new ResultBound(0, I64Max, MinDatagrams: 1, ZeroMeansNone: true, Unit: "bytes/s"), RemoteUse.Cap);

    public static readonly OperationDefinition ConnOnHandshakeDone = new(OperationId.ConnOnHandshakeDone, OperationNames.ConnOnHandshakeDone, AnchorSet.Post,
        "once, when the handshake completes", [],
        hasPath: false, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition ConnOnStateChange = new(OperationId.ConnOnStateChange, OperationNames.ConnOnStateChange, AnchorSet.Post,
        "on every connection state change", ["new ConnectionState"],
        hasPath: false, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition ConnOnClosed = new(OperationId.ConnOnClosed, OperationNames.ConnOnClosed, AnchorSet.Post,
        "once, when the connection is closed", ["error code"],
        hasPath: false, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition AckAfterProcess = new(OperationId.AckAfterProcess, OperationNames.AckAfterProcess, AnchorSet.Post,
        "once per ACK frame that acknowledged packets, after they were processed", ["packets newly acknowledged", "their bytes", "largest acknowledged", "space"],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition TransmitAfterBatch = new(OperationId.TransmitAfterBatch, OperationNames.TransmitAfterBatch, AnchorSet.Post,
        "once per transmit (one datagram or a GSO batch)", ["packets", "bytes", "datagrams"],
        hasPath: false, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition ReceiveAfterBatch = new(OperationId.ReceiveAfterBatch, OperationNames.ReceiveAfterBatch, AnchorSet.Post,
        "once per receive batch (when the connection is next polled for output); counting starts at the first observer",
        ["packets decrypted since the last call (duplicates excluded)", "their bytes", "datagrams"],
        hasPath: false, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition AckShouldSendNow = new(OperationId.AckShouldSendNow, OperationNames.AckShouldSendNow, AnchorSet.Replace,
        "for each ack-eliciting 1-RTT packet received (the ACK policy, RFC 9000 §13.2.1-2)",
        ["packet number", "ack-eliciting packets not yet acknowledged, this one included", "1 if out of order or CE-marked"],
        hasPath: true, "1: acknowledge at once; 0: the ACK may wait (ack.delay) — the native decision on entry (every second packet, reordering, CE)",
        new ResultBound(0, 1), RemoteUse.None);

    public static readonly OperationDefinition AckDelay = new(OperationId.AckDelay, OperationNames.AckDelay, AnchorSet.Replace,
        "when the first ack-eliciting 1-RTT packet after an ACK arrives: how long its ACK may wait", ["packet number"],
        hasPath: true, "delay in µs (the local max_ack_delay on entry)",
        new ResultBound(0, 16_383_000, AtMostMaxAckDelay: true, Unit: "µs"), RemoteUse.Cap);

    public static readonly OperationDefinition PathSelectForSending = new(OperationId.PathSelectForSending, OperationNames.PathSelectForSending, AnchorSet.Replace,
        "multipath: before each datagram (or GSO batch) of 1-RTT data, once validation and PTO probes are out",
        ["datagram size", "usable paths (validated, open)"],
        hasPath: true, "path id to send on (the native scheduler's choice on entry); a usable path is used even with a full window (then only ACKs go: waiting for it), any other id means the native choice",
        new ResultBound(0, QuicConnectionOptionsLimits.MaxPathId), RemoteUse.None);

    public static readonly OperationDefinition AckSelectPath = new(OperationId.AckSelectPath, OperationNames.AckSelectPath, AnchorSet.Replace,
        "multipath: when an acknowledgment is due and nothing else is to be sent (ACK and PATH_ACK frames go on any path)",
        ["path id whose packets are to be acknowledged"],
        hasPath: true, "path id to send the acknowledgments on (that same path on entry); one that is not a usable path means the native choice",
        new ResultBound(0, QuicConnectionOptionsLimits.MaxPathId), RemoteUse.None);

    public static readonly OperationDefinition PathOnNew = new(OperationId.PathOnNew, OperationNames.PathOnNew, AnchorSet.Post,
        "multipath: a path was opened (by us, or by the peer's first packet on it)", [],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition PathOnValidated = new(OperationId.PathOnValidated, OperationNames.PathOnValidated, AnchorSet.Post,
        "multipath: a path was validated and may carry data", [],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition PathOnAbandoned = new(OperationId.PathOnAbandoned, OperationNames.PathOnAbandoned, AnchorSet.Post,
        "multipath: a path was abandoned (either side, a failed validation, or after 3 PTOs while another path works)", ["PATH_ABANDON error code"],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition PathOnStatus = new(OperationId.PathOnStatus, OperationNames.PathOnStatus, AnchorSet.Post,
        "multipath: a path's status changed (PATH_STATUS_AVAILABLE/BACKUP received, or set by the application)", ["1 if backup", "1 if the peer signalled it"],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition StreamNextToSend = new(OperationId.StreamNextToSend, OperationNames.StreamNextToSend, AnchorSet.Replace,
        "the stream scheduler: before each STREAM frame of a 1-RTT packet while streams have data they may send (candidates: `stream_candidate`, fields: `get_stream_field`)",
        ["streams that may send now", "bytes of room left in the packet"],
        hasPath: false, "the id of the stream whose data goes next — the native choice on entry (RFC 9218 urgency order; non-incremental streams of one urgency one at a time by id, the others in round robin); 2^62 or an open stream with nothing to send now: the native choice for this frame",
        new ResultBound(0, Streams.StreamManager.NoStream,
            Rule: $"an id that is no open stream detaches; so do {Streams.StreamManager.StarvationLimit} answers in a row naming nothing sendable while data is pending"),
        RemoteUse.None);

    public static readonly OperationDefinition RecoveryDetectLost = new(OperationId.RecoveryDetectLost, OperationNames.RecoveryDetectLost, AnchorSet.Replace,
        "loss detection (RFC 9002 §6.1): when an ACK arrives or the loss timer fires, for each unacknowledged 1-RTT packet below the largest acknowledged",
        ["packet number", "time sent", "largest acknowledged", "the native time threshold: 9/8 × max(smoothed, latest RTT), at least 1 ms"],
        hasPath: true, "the packet's loss delay in µs: lost once that long has passed since it was sent, else the loss timer is armed for then — on entry A3, or 0 when the packet threshold (3) declares it lost",
        new ResultBound(0, 60_000_000, Unit: "µs"), RemoteUse.None);

    public static readonly OperationDefinition FlowWindowUpdate = new(OperationId.FlowWindowUpdate, OperationNames.FlowWindowUpdate, AnchorSet.Replace,
        "flow-control credit (RFC 9000 §4.2): after the application consumed received data, for its stream and for the connection",
        ["stream id, or 2^62 for the connection (MAX_DATA)", "bytes consumed by the application", "limit advertised so far", "current window"],
        hasPath: false, "the window in bytes to grant beyond the bytes consumed (a MAX_STREAM_DATA / MAX_DATA with consumed + window goes out when that raises the limit; 0: no update now) — on entry the native rule's: the auto-tuned window once half of it was consumed, else 0; while attached the native rule is off",
        new ResultBound(0, Streams.StreamManager.ConnectionLevel, Unit: "bytes",
            Rule: "a window above the receive limit (MaxStreamWindow, MaxConnectionWindow) detaches, and so does no credit when the peer has none left"),
        RemoteUse.None);

    public static readonly OperationDefinition PacketScheduleFrames = new(OperationId.PacketScheduleFrames, OperationNames.PacketScheduleFrames, AnchorSet.Replace,
        "the frame scheduler: for each 1-RTT packet with room after its ACK and connection-management frames, when some frame kind is pending",
        ["pending kinds: bit 1 plugin frames, bit 2 stream/flow control (MAX_*, *_BLOCKED, RESET_STREAM, STOP_SENDING), bit 3 DATAGRAM, bit 4 STREAM", "bytes of room", "DATAGRAMs queued"],
        hasPath: false, "the kinds to write, in order, one per 4-bit digit from the lowest (kinds left out wait for a later packet) — on entry the native order 0x4321 (plugin, control, DATAGRAM, STREAM); an order that writes nothing while something is pending means the native order for that packet",
        new ResultBound(0, 0xFFFF,
            Rule: $"digits must be distinct kinds 1-4 (a 0 ends the list), else detached; {Streams.StreamManager.StarvationLimit} packets in a row that got none of the pending kinds detach"),
        RemoteUse.None);

    public static readonly OperationDefinition PacketBeforeSend = new(OperationId.PacketBeforeSend, OperationNames.PacketBeforeSend, AnchorSet.Post,
        "for each packet, once its frames are written and before it is sealed (encrypted)",
        ["packet number", "bytes (the sealed packet's size)", "its frame types: bit t for each type t < 63 (the base type: STREAM 0x08, ACK 0x02, MAX_STREAMS 0x12, DATAGRAM 0x30…; PADDING not counted), bit 63 for larger types (multipath, plugin frames)", "space"],
        hasPath: true, null, null, RemoteUse.Observe);

    /// <summary>A <c>frame.on_received.*</c> observer of one core frame type (RFC 9000 §19, RFC 9221).</summary>
    private static OperationDefinition FrameObserver(OperationId id, string name, string frame) => new(id, name, AnchorSet.Post,
        $"for each {frame} frame received, after it was processed (per frame type: only the hooked types cost a call)",
        ["frame type", "frame bytes (type included)", "space"],
        hasPath: true, null, null, RemoteUse.Observe);

    public static readonly OperationDefinition FrameOnReceivedPing = FrameObserver(OperationId.FrameOnReceivedPing, OperationNames.FrameOnReceivedPing, "PING (0x01)");

    public static readonly OperationDefinition FrameOnReceivedAck = FrameObserver(OperationId.FrameOnReceivedAck, OperationNames.FrameOnReceivedAck, "ACK (0x02-0x03)");

    public static readonly OperationDefinition FrameOnReceivedResetStream = FrameObserver(OperationId.FrameOnReceivedResetStream, OperationNames.FrameOnReceivedResetStream, "RESET_STREAM (0x04)");

    public static readonly OperationDefinition FrameOnReceivedStopSending = FrameObserver(OperationId.FrameOnReceivedStopSending, OperationNames.FrameOnReceivedStopSending, "STOP_SENDING (0x05)");

    public static readonly OperationDefinition FrameOnReceivedCrypto = FrameObserver(OperationId.FrameOnReceivedCrypto, OperationNames.FrameOnReceivedCrypto, "CRYPTO (0x06)");

    public static readonly OperationDefinition FrameOnReceivedNewToken = FrameObserver(OperationId.FrameOnReceivedNewToken, OperationNames.FrameOnReceivedNewToken, "NEW_TOKEN (0x07)");

    public static readonly OperationDefinition FrameOnReceivedStream = FrameObserver(OperationId.FrameOnReceivedStream, OperationNames.FrameOnReceivedStream, "STREAM (0x08-0x0f)");

    public static readonly OperationDefinition FrameOnReceivedMaxData = FrameObserver(OperationId.FrameOnReceivedMaxData, OperationNames.FrameOnReceivedMaxData, "MAX_DATA (0x10)");

    public static readonly OperationDefinition FrameOnReceivedMaxStreamData = FrameObserver(OperationId.FrameOnReceivedMaxStreamData, OperationNames.FrameOnReceivedMaxStreamData, "MAX_STREAM_DATA (0x11)");

    public static readonly OperationDefinition FrameOnReceivedMaxStreams = FrameObserver(OperationId.FrameOnReceivedMaxStreams, OperationNames.FrameOnReceivedMaxStreams, "MAX_STREAMS (0x12-0x13)");

    public static readonly OperationDefinition FrameOnReceivedDataBlocked = FrameObserver(OperationId.FrameOnReceivedDataBlocked, OperationNames.FrameOnReceivedDataBlocked, "DATA_BLOCKED (0x14)");

    public static readonly OperationDefinition FrameOnReceivedStreamDataBlocked = FrameObserver(OperationId.FrameOnReceivedStreamDataBlocked, OperationNames.FrameOnReceivedStreamDataBlocked, "STREAM_DATA_BLOCKED (0x15)");

    public static readonly OperationDefinition FrameOnReceivedStreamsBlocked = FrameObserver(OperationId.FrameOnReceivedStreamsBlocked, OperationNames.FrameOnReceivedStreamsBlocked, "STREAMS_BLOCKED (0x16-0x17)");

    public static readonly OperationDefinition FrameOnReceivedNewConnectionId = FrameObserver(OperationId.FrameOnReceivedNewConnectionId, OperationNames.FrameOnReceivedNewConnectionId, "NEW_CONNECTION_ID (0x18)");

    public static readonly OperationDefinition FrameOnReceivedRetireConnectionId = FrameObserver(OperationId.FrameOnReceivedRetireConnectionId, OperationNames.FrameOnReceivedRetireConnectionId, "RETIRE_CONNECTION_ID (0x19)");

    public static readonly OperationDefinition FrameOnReceivedPathChallenge = FrameObserver(OperationId.FrameOnReceivedPathChallenge, OperationNames.FrameOnReceivedPathChallenge, "PATH_CHALLENGE (0x1a)");

    public static readonly OperationDefinition FrameOnReceivedPathResponse = FrameObserver(OperationId.FrameOnReceivedPathResponse, OperationNames.FrameOnReceivedPathResponse, "PATH_RESPONSE (0x1b)");

    public static readonly OperationDefinition FrameOnReceivedConnectionClose = FrameObserver(OperationId.FrameOnReceivedConnectionClose, OperationNames.FrameOnReceivedConnectionClose, "CONNECTION_CLOSE (0x1c-0x1d)");

    public static readonly OperationDefinition FrameOnReceivedHandshakeDone = FrameObserver(OperationId.FrameOnReceivedHandshakeDone, OperationNames.FrameOnReceivedHandshakeDone, "HANDSHAKE_DONE (0x1e)");

    public static readonly OperationDefinition FrameOnReceivedDatagram = FrameObserver(OperationId.FrameOnReceivedDatagram, OperationNames.FrameOnReceivedDatagram, "DATAGRAM (0x30-0x31)");

    private static readonly OperationDefinition[] ById =
    [
        PacketAfterSend, PacketAfterDecrypt, PacketOnAcked, PacketOnLost, RttUpdate, RecoveryPto,
        CcOnPacketSent, CcOnAck, CcOnCongestionEvent, CcOnEcn, CcWindow, CcPacingRate,
        ConnOnHandshakeDone, ConnOnStateChange, ConnOnClosed, AckAfterProcess, TransmitAfterBatch, ReceiveAfterBatch,
        AckShouldSendNow, AckDelay, PathSelectForSending, AckSelectPath, PathOnNew, PathOnValidated, PathOnAbandoned, PathOnStatus,
        StreamNextToSend, RecoveryDetectLost, FlowWindowUpdate, PacketScheduleFrames, PacketBeforeSend,
        FrameOnReceivedPing, FrameOnReceivedAck, FrameOnReceivedResetStream, FrameOnReceivedStopSending, FrameOnReceivedCrypto, FrameOnReceivedNewToken, FrameOnReceivedStream, FrameOnReceivedMaxData, FrameOnReceivedMaxStreamData, FrameOnReceivedMaxStreams, FrameOnReceivedDataBlocked, FrameOnReceivedStreamDataBlocked, FrameOnReceivedStreamsBlocked, FrameOnReceivedNewConnectionId, FrameOnReceivedRetireConnectionId, FrameOnReceivedPathChallenge, FrameOnReceivedPathResponse, FrameOnReceivedConnectionClose, FrameOnReceivedHandshakeDone, FrameOnReceivedDatagram,
    ];

    private static readonly Dictionary<string, OperationDefinition> ByName = ById.ToDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>
    /// Trust-policy patterns for what a plugin defines itself — its frame types, transport parameters and
    /// timers — which a remote peer's plugin may always use (they touch nothing of ours).
    /// </summary>
    public static IReadOnlyList<string> PluginDefinedPatterns { get; } = ["frame.*:*", "tp.*:*", "plugin.on_timer:*"];

    /// <summary>The <c>frame.on_received.*</c> operation of each core frame type below 0x40 (<see cref="OperationId.Count"/>: none).</summary>
    internal static readonly OperationId[] FrameObserverByType = BuildFrameObservers();

    private static OperationId[] BuildFrameObservers()
    {
        var t = new OperationId[0x40];
        Array.Fill(t, OperationId.Count);
        t[0x01] = OperationId.FrameOnReceivedPing;
        t[0x02] = OperationId.FrameOnReceivedAck;
        t[0x03] = OperationId.FrameOnReceivedAck;
        t[0x04] = OperationId.FrameOnReceivedResetStream;
        t[0x05] = OperationId.FrameOnReceivedStopSending;
        t[0x06] = OperationId.FrameOnReceivedCrypto;
        t[0x07] = OperationId.FrameOnReceivedNewToken;
        t[0x08] = OperationId.FrameOnReceivedStream;
        t[0x09] = OperationId.FrameOnReceivedStream;
        t[0x0a] = OperationId.FrameOnReceivedStream;
        t[0x0b] = OperationId.FrameOnReceivedStream;
        t[0x0c] = OperationId.FrameOnReceivedStream;
        t[0x0d] = OperationId.FrameOnReceivedStream;
        t[0x0e] = OperationId.FrameOnReceivedStream;
        t[0x0f] = OperationId.FrameOnReceivedStream;
        t[0x10] = OperationId.FrameOnReceivedMaxData;
        t[0x11] = OperationId.FrameOnReceivedMaxStreamData;
        t[0x12] = OperationId.FrameOnReceivedMaxStreams;
        t[0x13] = OperationId.FrameOnReceivedMaxStreams;
        t[0x14] = OperationId.FrameOnReceivedDataBlocked;
        t[0x15] = OperationId.FrameOnReceivedStreamDataBlocked;
        t[0x16] = OperationId.FrameOnReceivedStreamsBlocked;
        t[0x17] = OperationId.FrameOnReceivedStreamsBlocked;
        t[0x18] = OperationId.FrameOnReceivedNewConnectionId;
        t[0x19] = OperationId.FrameOnReceivedRetireConnectionId;
        t[0x1a] = OperationId.FrameOnReceivedPathChallenge;
        t[0x1b] = OperationId.FrameOnReceivedPathResponse;
        t[0x1c] = OperationId.FrameOnReceivedConnectionClose;
        t[0x1d] = OperationId.FrameOnReceivedConnectionClose;
        t[0x1e] = OperationId.FrameOnReceivedHandshakeDone;
        t[0x30] = OperationId.FrameOnReceivedDatagram;
        t[0x31] = OperationId.FrameOnReceivedDatagram;
        return t;
    }

    /// <summary>Every operation, in id order.</summary>
    public static IReadOnlyList<OperationDefinition> All => ById;

    /// <summary>The operation called <paramref name="name"/>, if there is one.</summary>
    public static bool TryGet(string? name, out OperationDefinition definition)
    {
        if (name is not null && ByName.TryGetValue(name, out var d))
        {
            definition = d;
            return true;
        }
        definition = null!;
        return false;
    }

    internal static OperationDefinition Get(OperationId id) => ById[(int)id];

    /// <summary>
    /// The default <c>operation:anchor</c> patterns a remote peer's plugin may bind: each operation's
    /// <see cref="OperationDefinition.RemoteAnchors"/>, then <see cref="PluginDefinedPatterns"/>.
    /// </summary>
    public static IReadOnlyList<string> DefaultRemotePatterns()
    {
        var list = new List<string>();
        foreach (var d in ById)
            foreach (var a in new[] { Anchor.Replace, Anchor.Pre, Anchor.Post })
                if ((d.RemoteAnchors & OperationDefinition.ToSet(a)) != 0) list.Add($"{d.Name}:{OperationDefinition.AnchorName(a)}");
        list.AddRange(PluginDefinedPatterns);
        return list;
    }

    /// <summary>The operations table of docs/plugin-abi.md, generated from the catalogue.</summary>
    public static string MarkdownTable()
    {
        var sb = new StringBuilder();
        sb.Append("| operation | anchors | called | arguments `arg(0..3)` | path `arg(5)` | result (replace) | a peer's plugin may |\n");
        sb.Append("|---|---|---|---|---|---|---|\n");
        foreach (var d in ById)
        {
            var args = new List<string>();
            for (int i = 0; i < d.Arguments.Count; i++) args.Add($"A{i} {d.Arguments[i]}");
            string result = d.Result is null ? "—" : d.Bound is { } b ? $"{d.Result}; bound: {b}" : d.Result;
            string remote = d.Remote switch
            {
                RemoteUse.Observe => "observe (post)",
                RemoteUse.Cap => "replace as a cap (lower only)",
                _ => "nothing by default",
            };
            sb.Append($"| `{d.Name}` | {Anchors(d.Anchors)} | {d.When} | {(args.Count == 0 ? "—" : string.Join("; ", args))} | {(d.HasPath ? "path id" : "—")} | {result} | {remote} |\n");
        }
        return sb.ToString();
    }

    private static string Anchors(AnchorSet set)
    {
        var names = new List<string>();
        if ((set & AnchorSet.Replace) != 0) names.Add("replace");
        if ((set & AnchorSet.Pre) != 0) names.Add("pre");
        if ((set & AnchorSet.Post) != 0) names.Add("post");
        return string.Join(", ", names);
    }
}
