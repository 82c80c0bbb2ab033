/* loss-native — RFC 9002 §6.1 loss detection in WebAssembly: replaces recovery.detect_lost with the core's rule
 * (lost at once when three later packets are acknowledged, kPacketThreshold; otherwise after
 * 9/8 × max(smoothed RTT, latest RTT), at least 1 ms, kTimeThreshold and kGranularity), computed here from the
 * path's RTT fields: the loss-detection component of pliant bench --components; its effect test shows it changes
 * nothing. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "loss-native", "version": "1",
  "bindings": [ {"operation": "recovery.detect_lost", "anchor": "replace", "export": "delay"} ]
});

static uint64_t calls;

PLIANT_EXPORT(calls_made) int64_t calls_made(void) { return (int64_t)calls; }

PLIANT_EXPORT(delay) void delay(void)
{
    int64_t pn = pl_arg(PL_A0), largest = pl_arg(PL_A2), path = pl_arg(PL_PATH);
    calls++;
    if (largest - pn >= 3) { pl_set_result(0); return; }            /* kPacketThreshold (§6.1.1) */
    int64_t srtt = pl_get_path_field(path, PL_SMOOTHED_RTT);
    int64_t latest = pl_get_path_field(path, PL_LATEST_RTT);
    int64_t rtt = srtt > latest ? srtt : latest;
    int64_t threshold = rtt * 9 / 8;                                 /* kTimeThreshold (§6.1.2) */
    pl_set_result(threshold > 1000 ? threshold : 1000);              /* kGranularity: 1 ms */
}
