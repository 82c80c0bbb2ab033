/* sched-priority — a stream scheduler (issue 15): replaces stream.next_to_send. The most urgent stream first
 * (RFC 9218 urgency, as the native scheduler), and within one urgency the stream with the fewest bytes queued
 * (shortest remaining first): a small response overtakes a bulk one even when nobody set priorities, where the
 * native scheduler shares the urgency in round robin. Lost data (nothing new queued) goes first as well. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "sched-priority", "version": "1",
  "bindings": [ {"operation": "stream.next_to_send", "anchor": "replace", "export": "next"} ]
});

static uint64_t overtakes;

/* Frames sent from another stream than the native scheduler's choice. */
PLIANT_EXPORT(overtaken) int64_t overtaken(void) { return (int64_t)overtakes; }

PLIANT_EXPORT(next) void next(void)
{
    int64_t n = pl_arg(PL_A0), native = pl_arg(PL_RESULT);
    int64_t best = -1, best_urgency = 8, best_queued = 0;
    for (int32_t i = 0; i < n && i < 1024; i++) {
        int64_t id = pl_stream_candidate(i);
        if (id < 0 || id >= PL_NO_STREAM) break;
        int64_t urgency = pl_get_stream_field(id, PL_STREAM_URGENCY);
        int64_t queued = pl_get_stream_field(id, PL_STREAM_BYTES_QUEUED);
        if (urgency < 0 || queued < 0) continue;
        if (best < 0 || urgency < best_urgency || (urgency == best_urgency && queued < best_queued)) {
            best = id;
            best_urgency = urgency;
            best_queued = queued;
        }
    }
    if (best < 0) return; /* keep the native choice */
    if (best != native) overtakes++;
    pl_set_result(best);
}
