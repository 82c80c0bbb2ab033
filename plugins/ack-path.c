/* ack-path — acknowledgments on the lowest-latency path (issue 12; The Case for Protocol Plugins §3.2.1):
 * replaces ack.select_path. On asymmetric paths the ACKs of packets that came over a slow path return over the
 * fast one, so the sender's window on the slow path is clocked by the fast path's delay. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "ack-path", "version": "1",
  "bindings": [ {"operation": "ack.select_path", "anchor": "replace", "export": "select"} ]
});

static uint64_t moved;

PLIANT_EXPORT(moved_acks) int64_t moved_acks(void) { return (int64_t)moved; }

PLIANT_EXPORT(select) void select(void)
{
    int64_t due = pl_arg(PL_A0);
    int64_t max = pl_get_field(PL_MAX_PATH_ID);
    int64_t best = due, best_rtt = pl_get_path_field(due, PL_SMOOTHED_RTT);
    for (int64_t id = 0; id <= max; id++) {
        if (pl_get_path_field(id, PL_PATH_STATE) != 2) continue;
        int64_t rtt = pl_get_path_field(id, PL_SMOOTHED_RTT);
        if (rtt < best_rtt) { best = id; best_rtt = rtt; }
    }
    if (best != due) moved++;
    pl_set_result(best);
}
