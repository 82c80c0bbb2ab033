/* ecn — DCTCP-style reaction to ECN (RFC 8257 adapted to QUIC): instead of halving the window on
 * any CE mark (RFC 9002), the window shrinks in proportion to the fraction of CE-marked packets
 * (alpha, an EWMA with gain 1/16 updated once per RTT), so a shallow marking threshold keeps the
 * queue short without losing throughput. Window growth is NewReno's; losses still halve. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "ecn", "version": "1", "init": "init",
  "bindings": [
    {"operation": "cc.window",              "anchor": "replace", "export": "window"},
    {"operation": "cc.on_ack",              "anchor": "replace", "export": "on_ack"},
    {"operation": "cc.on_congestion_event", "anchor": "replace", "export": "on_congestion"},
    {"operation": "cc.on_ecn",              "anchor": "replace", "export": "on_ecn"}
  ]
});

#define ONE 1024 /* fixed point for alpha */

static int64_t cwnd, ssthresh, recovery_start, mds;
static int64_t alpha = ONE, window_end, acked_in_window, ce_at_window_start, last_ce;
static uint64_t ce_reactions, loss_events;

static int64_t min_window(void) { return 2 * mds; }

PLIANT_EXPORT(init) void init(void)
{
    mds = pl_get_field(PL_MAX_DATAGRAM_SIZE);
    if (mds <= 0) mds = 1200;
    cwnd = 10 * mds;
    ssthresh = (int64_t)0x7fffffffffffffffLL;
    recovery_start = -1;
    last_ce = ce_at_window_start = pl_get_field(PL_ECN_CE_RECEIVED);
}

/* Once per RTT: alpha <- (1 - g) alpha + g F, F = marked / acked packets in the last window. */
static void update_alpha(int64_t now, int64_t srtt)
{
    if (now < window_end) return;
    int64_t ce = pl_get_field(PL_ECN_CE_RECEIVED);
    int64_t packets = acked_in_window / mds;
    if (packets > 0) {
        int64_t marked = ce - ce_at_window_start;
        int64_t f = marked * ONE / packets;
        if (f > ONE) f = ONE;
        alpha = alpha - alpha / 16 + f / 16;
    }
    ce_at_window_start = ce;
    acked_in_window = 0;
    window_end = now + (srtt > 0 ? srtt : 1000);
}

PLIANT_EXPORT(on_ack) void on_ack(void)
{
    int64_t acked = pl_arg(PL_A0), now = pl_arg(PL_A1), srtt = pl_arg(PL_A2), sent_time = pl_arg(PL_A3);
    acked_in_window += acked;
    update_alpha(now, srtt);
    if (sent_time <= recovery_start) return;
    if (cwnd < ssthresh) cwnd += acked;
    else cwnd += mds * acked / cwnd;
}

PLIANT_EXPORT(on_ecn) void on_ecn(void)
{
    int64_t sent_time = pl_arg(PL_A0), now = pl_arg(PL_A1);
    if (sent_time <= recovery_start) return;  /* at most one reduction per RTT */
    recovery_start = now;
    ce_reactions++;
    cwnd = cwnd - cwnd * alpha / (2 * ONE);
    if (cwnd < min_window()) cwnd = min_window();
    ssthresh = cwnd;
}

PLIANT_EXPORT(on_congestion) void on_congestion(void)
{
    int64_t now = pl_arg(PL_A1), persistent = pl_arg(PL_A2), sent_time = pl_arg(PL_A3);
    if (sent_time > recovery_start) {
        recovery_start = now;
        loss_events++;
        cwnd /= 2;
        if (cwnd < min_window()) cwnd = min_window();
        ssthresh = cwnd;
    }
    if (persistent) cwnd = min_window();
}

PLIANT_EXPORT(window) void window(void) { pl_set_result(cwnd); }

PLIANT_EXPORT(stats) int64_t stats(int32_t which)
{
    return which == 0 ? cwnd : which == 1 ? alpha : which == 2 ? (int64_t)ce_reactions : (int64_t)loss_events;
}
