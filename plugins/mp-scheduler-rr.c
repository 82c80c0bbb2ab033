/* mp-scheduler-rr — multipath round robin (issue 12): replaces path.select_for_sending. Each datagram of data
 * goes to the next usable path (validated, open, not a backup) after the one used last whose congestion window
 * has room for it; when none has room the native choice stands. Paths are read with get_path_field. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "mp-scheduler-rr", "version": "1",
  "bindings": [ {"operation": "path.select_for_sending", "anchor": "replace", "export": "select"} ]
});

static int64_t last = -1;
static uint64_t picks;

PLIANT_EXPORT(picked) int64_t picked(void) { return (int64_t)picks; }

PLIANT_EXPORT(select) void select(void)
{
    int64_t size = pl_arg(PL_A0);
    int64_t max = pl_get_field(PL_MAX_PATH_ID);
    for (int64_t step = 1; step <= max + 1; step++) {
        int64_t id = (last + step) % (max + 1);
        if (id < 0) id += max + 1;
        if (pl_get_path_field(id, PL_PATH_STATE) != 2 || pl_get_path_field(id, PL_PATH_STATUS) != 0) continue;
        int64_t room = pl_get_path_field(id, PL_CONGESTION_WINDOW) - pl_get_path_field(id, PL_BYTES_IN_FLIGHT);
        if (room < size) continue;
        last = id;
        picks++;
        pl_set_result(id);
        return;
    }
}
