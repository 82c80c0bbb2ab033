/* hostile: replaces stream.next_to_send and never names a stream ("nothing now") while data is pending: each answer
 * leaves the native choice for that frame, and the 16th in a row detaches it. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "sched-starve", "version": "1",
  "bindings": [ {"operation": "stream.next_to_send", "anchor": "replace", "export": "next"} ] });
static int64_t calls;
PLIANT_EXPORT(calls_made) int64_t calls_made(void) { return calls; }
PLIANT_EXPORT(next) void next(void) { calls++; pl_set_result(PL_NO_STREAM); }
