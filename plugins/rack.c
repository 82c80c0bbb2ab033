/* rack — time-threshold loss detection, RACK-style (RFC 8985 §6.2; issue 15): replaces recovery.detect_lost. A packet
 * is lost once max(smoothed, latest RTT) plus a reordering window of min_rtt/4 (at least 1 ms) has passed since it
 * was sent, however many later packets were acknowledged: no packet threshold, so reordering deeper than 3 packets
 * is not taken for loss. Counts the packets the native packet threshold would have declared lost at once. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "rack", "version": "1",
  "bindings": [ {"operation": "recovery.detect_lost", "anchor": "replace", "export": "detect"} ]
});

static uint64_t held;

/* Decisions where the packet threshold had the packet lost and the time threshold did not (yet). */
PLIANT_EXPORT(held_back) int64_t held_back(void) { return (int64_t)held; }

PLIANT_EXPORT(detect) void detect(void)
{
    int64_t path = pl_arg(PL_PATH);
    int64_t srtt = pl_get_path_field(path, PL_SMOOTHED_RTT);
    int64_t latest = pl_get_path_field(path, PL_LATEST_RTT);
    int64_t min_rtt = pl_get_path_field(path, PL_MIN_RTT);
    int64_t rtt = srtt > latest ? srtt : latest;
    int64_t reo_wnd = min_rtt / 4;
    if (reo_wnd < 1000) reo_wnd = 1000;
    int64_t delay = rtt + reo_wnd;
    if (delay > 60000000) delay = 60000000;
    if (pl_arg(PL_RESULT) == 0 && pl_now() - pl_arg(PL_A1) < delay) held++;
    pl_set_result(delay);
}
