/* cc-newreno — RFC 9002 §7 NewReno congestion control, entirely in the plugin: it replaces cc.window
 * and keeps its own window, slow-start threshold and recovery period from cc.on_ack and
 * cc.on_congestion_event (the native controller only keeps the bytes-in-flight bookkeeping). */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "cc-newreno", "version": "1", "init": "init",
  "bindings": [
    {"operation": "cc.window",             "anchor": "replace", "export": "window"},
    {"operation": "cc.on_ack",             "anchor": "replace", "export": "on_ack"},
    {"operation": "cc.on_congestion_event","anchor": "replace", "export": "on_congestion"},
    {"operation": "cc.on_ecn",             "anchor": "replace", "export": "on_ecn"}
  ]
});

static int64_t cwnd, ssthresh, recovery_start, mds, max_in_flight;
static uint64_t acks, congestion_events;

static int64_t min_window(void) { return 2 * mds; }

PLIANT_EXPORT(init) void init(void)
{
    mds = pl_get_field(PL_MAX_DATAGRAM_SIZE);
    if (mds <= 0) mds = 1200;
    int64_t initial = 10 * mds;
    if (initial > 14720 && 14720 > 2 * mds) initial = 14720;
    cwnd = initial;
    ssthresh = (int64_t)0x7fffffffffffffffLL;
    recovery_start = -1;
}

static void congestion(int64_t now, int64_t sent_time, int persistent)
{
    if (sent_time > recovery_start) {
        recovery_start = now;
        congestion_events++;
        cwnd = cwnd / 2;
        if (cwnd < min_window()) cwnd = min_window();
        ssthresh = cwnd;
    }
    if (persistent) cwnd = min_window();
}

PLIANT_EXPORT(on_ack) void on_ack(void)
{
    int64_t acked = pl_arg(PL_A0), sent_time = pl_arg(PL_A3);
    acks++;
    /* What was in flight when this ACK arrived (the host has already taken the acked bytes off). */
    int64_t in_flight = pl_get_field(PL_BYTES_IN_FLIGHT) + acked;
    if (in_flight > max_in_flight) max_in_flight = in_flight;
    if (sent_time <= recovery_start) return;     /* no growth during recovery */
    /* RFC 9002 §7.8: no growth while the window is not fully used. A window at least twice the most
     * ever in flight has never been half used (a CPU- or application-limited sender); without this a
     * loss-free transfer grows it, and the pacing rate derived from it, without bound. */
    if (cwnd >= 2 * max_in_flight) return;
    if (cwnd < ssthresh) cwnd += acked;          /* slow start */
    else cwnd += mds * acked / cwnd;             /* congestion avoidance */
}

PLIANT_EXPORT(on_congestion) void on_congestion(void)
{
    congestion(pl_arg(PL_A1), pl_arg(PL_A3), (int)pl_arg(PL_A2));
}

PLIANT_EXPORT(on_ecn) void on_ecn(void) { congestion(pl_arg(PL_A1), pl_arg(PL_A0), 0); }

PLIANT_EXPORT(window) void window(void) { pl_set_result(cwnd); }

PLIANT_EXPORT(stats) int64_t stats(int32_t which) { return which == 0 ? cwnd : which == 1 ? (int64_t)acks : (int64_t)congestion_events; }
