/* mp-backup — a backup path used only when the primary fails (issue 12): replaces path.select_for_sending.
 * Data goes on path 0 while it is usable and not in PTO backoff; otherwise on the lowest-RTT other usable path.
 * Unlike the PATH_STATUS_BACKUP signal, the backup path stays "available" for the peer's own sending. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "mp-backup", "version": "1",
  "bindings": [ {"operation": "path.select_for_sending", "anchor": "replace", "export": "select"} ]
});

static uint64_t failovers;

PLIANT_EXPORT(failed_over) int64_t failed_over(void) { return (int64_t)failovers; }

PLIANT_EXPORT(select) void select(void)
{
    if (pl_get_path_field(0, PL_PATH_STATE) == 2 && pl_get_path_field(0, PL_PTO_COUNT) == 0) {
        pl_set_result(0);
        return;
    }
    int64_t max = pl_get_field(PL_MAX_PATH_ID);
    int64_t best = -1, best_rtt = 0;
    for (int64_t id = 1; id <= max; id++) {
        if (pl_get_path_field(id, PL_PATH_STATE) != 2) continue;
        int64_t rtt = pl_get_path_field(id, PL_SMOOTHED_RTT);
        if (best < 0 || rtt < best_rtt) { best = id; best_rtt = rtt; }
    }
    if (best >= 0) {
        failovers++;
        pl_set_result(best);
    }
}
