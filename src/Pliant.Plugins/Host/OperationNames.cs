namespace Pliant.Plugins.Host;

/// <summary>The operation names of docs/contracts.md, until the core's table is merged.</summary>
internal static class OperationNames
{
    public static readonly IReadOnlyList<string> All =
    [
        "packet.after_send", "packet.after_decrypt", "packet.on_acked", "packet.on_lost", "rtt.update", "recovery.pto",
        "cc.on_packet_sent", "cc.on_ack", "cc.on_congestion_event", "cc.on_ecn", "cc.window", "cc.pacing_rate",
        "conn.on_handshake_done", "conn.on_state_change", "conn.on_closed",
    ];
}
