/* monitoring — counts packets, bytes, losses and RTT samples; the application reads them with
 * PluginInstance.Call("get", i) or from memory at the address returned by "stats". A 10 ms timer
 * samples the congestion window. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "monitoring", "version": "1", "init": "init", "on_timer": "on_timer",
  "bindings": [
    {"operation": "transmit.after_batch", "anchor": "post", "export": "on_sent"},
    {"operation": "receive.after_batch",  "anchor": "post", "export": "on_received"},
    {"operation": "ack.after_process",    "anchor": "post", "export": "on_acked"},
    {"operation": "packet.on_lost",       "anchor": "post", "export": "on_lost"},
    {"operation": "rtt.update",           "anchor": "post", "export": "on_rtt"}
  ]
});

enum {
    PACKETS_SENT, BYTES_SENT, PACKETS_RECEIVED, BYTES_RECEIVED, PACKETS_ACKED, PACKETS_LOST, BYTES_LOST,
    RTT_SAMPLES, RTT_SUM, RTT_MIN, RTT_MAX, CWND_SAMPLES, CWND_MAX, COUNTERS
};

static uint64_t stats[COUNTERS];

PLIANT_EXPORT(stats) int32_t stats_address(void) { return (int32_t)(size_t)stats; }
PLIANT_EXPORT(get) int64_t get(int32_t i) { return i >= 0 && i < COUNTERS ? (int64_t)stats[i] : -1; }

/* Totals per transmit (one datagram or a GSO batch), per receive batch and per ACK frame: the same
 * counts as per-packet hooks with one call instead of dozens (packet.after_send, packet.after_decrypt
 * and packet.on_acked give per-packet detail). */
PLIANT_EXPORT(on_sent) void on_sent(void)
{
    stats[PACKETS_SENT] += (uint64_t)pl_arg(PL_A0);
    stats[BYTES_SENT] += (uint64_t)pl_arg(PL_A1);
}

PLIANT_EXPORT(on_received) void on_received(void)
{
    stats[PACKETS_RECEIVED] += (uint64_t)pl_arg(PL_A0);
    stats[BYTES_RECEIVED] += (uint64_t)pl_arg(PL_A1);
}

PLIANT_EXPORT(on_acked) void on_acked(void) { stats[PACKETS_ACKED] += (uint64_t)pl_arg(PL_A0); }

PLIANT_EXPORT(on_lost) void on_lost(void)
{
    stats[PACKETS_LOST]++;
    stats[BYTES_LOST] += (uint64_t)pl_arg(PL_A1);
}

PLIANT_EXPORT(on_rtt) void on_rtt(void)
{
    uint64_t latest = (uint64_t)pl_arg(PL_A0);
    stats[RTT_SAMPLES]++;
    stats[RTT_SUM] += latest;
    if (stats[RTT_MIN] == 0 || latest < stats[RTT_MIN]) stats[RTT_MIN] = latest;
    if (latest > stats[RTT_MAX]) stats[RTT_MAX] = latest;
}

#define SAMPLE_US 10000

PLIANT_EXPORT(init) void init(void) { pl_set_timer(pl_now() + SAMPLE_US, 1); }

PLIANT_EXPORT(on_timer) void on_timer(int32_t id)
{
    uint64_t cwnd = (uint64_t)pl_get_field(PL_CONGESTION_WINDOW);
    stats[CWND_SAMPLES]++;
    if (cwnd > stats[CWND_MAX]) stats[CWND_MAX] = cwnd;
    pl_set_timer(pl_now() + SAMPLE_US, id);
}
