namespace Pliant.Quic.Operations;

/// <summary>Dense ids of the named operations, for array lookups on the hot path.</summary>
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
    Count,
}

/// <summary>The stable names of protocol operations (DESIGN §3).</summary>
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

    /// <summary>Once per ACK frame, after its packets were processed: A0 packets newly acknowledged, A1 their bytes, A2 largest acknowledged, A3 space.</summary>
    public const string AckAfterProcess = "ack.after_process";

    /// <summary>Once per transmit (a datagram or a GSO batch): A0 packets sent, A1 bytes, A2 datagrams.</summary>
    public const string TransmitAfterBatch = "transmit.after_batch";

    /// <summary>
    /// Once per receive batch (before the connection next polls for output, i.e. after the datagrams the
    /// driver read in one go): A0 packets decrypted since the last call (duplicates excluded), A1 their
    /// bytes, A2 datagrams.
    /// </summary>
    public const string ReceiveAfterBatch = "receive.after_batch";

    internal static readonly string[] ById =
    [
        PacketAfterSend, PacketAfterDecrypt, PacketOnAcked, PacketOnLost, RttUpdate, RecoveryPto,
        CcOnPacketSent, CcOnAck, CcOnCongestionEvent, CcOnEcn, CcWindow, CcPacingRate,
        ConnOnHandshakeDone, ConnOnStateChange, ConnOnClosed, AckAfterProcess, TransmitAfterBatch, ReceiveAfterBatch,
    ];

    /// <summary>Which anchors each operation supports.</summary>
    internal static bool Supports(OperationId id, Anchor anchor) => id switch
    {
        OperationId.RecoveryPto or OperationId.CcWindow or OperationId.CcPacingRate => anchor == Anchor.Replace,
        OperationId.CcOnPacketSent or OperationId.CcOnAck or OperationId.CcOnCongestionEvent or OperationId.CcOnEcn => true,
        _ => anchor == Anchor.Post,
    };

    internal static bool TryParse(string name, out OperationId id)
    {
        int i = Array.IndexOf(ById, name);
        id = (OperationId)Math.Max(i, 0);
        return i >= 0;
    }
}
