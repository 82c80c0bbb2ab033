/* flow-autotune — a flow-control credit policy (issue 15): replaces flow.window_update. Credit goes out once a
 * quarter of the window was consumed (the native rule waits for half), and a window that needed an update within
 * two RTTs of the previous one grows fourfold (natively twofold), up to the receive limits the connection enforces
 * (PL_MAX_STREAM_WINDOW, PL_MAX_CONNECTION_WINDOW). A fast reader on a long path stops starving its sender sooner. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "flow-autotune", "version": "1",
  "bindings": [ {"operation": "flow.window_update", "anchor": "replace", "export": "update"} ]
});

#define SLOTS 64
static int64_t slot_id[SLOTS], slot_last[SLOTS];
static uint64_t grants, growths;

PLIANT_EXPORT(granted) int64_t granted(void) { return (int64_t)grants; }
PLIANT_EXPORT(grown) int64_t grown(void) { return (int64_t)growths; }

PLIANT_EXPORT(update) void update(void)
{
    int64_t id = pl_arg(PL_A0), consumed = pl_arg(PL_A1), limit = pl_arg(PL_A2), window = pl_arg(PL_A3);
    int64_t remaining = limit - consumed;
    if (remaining > window - window / 4) { pl_set_result(0); return; } /* less than a quarter consumed */
    int connection = id == PL_NO_STREAM;
    int64_t max = pl_get_field(connection ? PL_MAX_CONNECTION_WINDOW : PL_MAX_STREAM_WINDOW);
    int64_t now = pl_now(), srtt = pl_get_field(PL_SMOOTHED_RTT);
    int s = connection ? 0 : 1 + (int)((uint64_t)id % (SLOTS - 1));
    if (slot_id[s] == id + 1 && srtt > 0 && now - slot_last[s] < 2 * srtt && window < max) {
        window = window * 4;
        growths++;
    }
    if (window > max) window = max;
    slot_id[s] = id + 1;
    slot_last[s] = now;
    grants++;
    pl_set_result(window);
}
