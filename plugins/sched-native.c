/* sched-native — the native stream scheduler in WebAssembly: replaces stream.next_to_send with the core's choice for
 * streams without incremental priority (RFC 9218: the most urgent first, one at a time by id within an urgency);
 * incremental streams take turns (round robin within their urgency). The stream-scheduler component of
 * pliant bench --components; its effect test shows it changes nothing. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "sched-native", "version": "1",
  "bindings": [ {"operation": "stream.next_to_send", "anchor": "replace", "export": "next"} ]
});

static uint64_t calls;
static int64_t last_incremental = -1;

PLIANT_EXPORT(calls_made) int64_t calls_made(void) { return (int64_t)calls; }

PLIANT_EXPORT(next) void next(void)
{
    int64_t n = pl_arg(PL_A0);
    int64_t best = -1, best_urgency = 8, best_incremental = 0, after = -1;
    calls++;
    for (int32_t i = 0; i < n && i < 1024; i++) {           /* candidates come most urgent first */
        int64_t id = pl_stream_candidate(i);
        if (id < 0 || id >= PL_NO_STREAM) break;
        int64_t urgency = pl_get_stream_field(id, PL_STREAM_URGENCY);
        if (urgency < 0) continue;
        if (best >= 0 && urgency > best_urgency) break;
        int64_t incremental = pl_get_stream_field(id, PL_STREAM_INCREMENTAL);
        if (best < 0 || urgency < best_urgency || (!incremental && best_incremental) ||
            (incremental == best_incremental && id < best)) {
            best = id; best_urgency = urgency; best_incremental = incremental;
        }
        if (incremental && id > last_incremental && (after < 0 || id < after)) after = id;
    }
    if (best < 0) return;                                      /* keep the native choice */
    if (best_incremental && after >= 0) best = after;         /* round robin: the next id after the last served */
    if (best_incremental) last_incremental = best;
    pl_set_result(best);
}
