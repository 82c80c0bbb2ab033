/* hostile: replaces stream.next_to_send with a stream id the connection never had (999,999): detached at once. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "sched-nonsense", "version": "1",
  "bindings": [ {"operation": "stream.next_to_send", "anchor": "replace", "export": "next"} ] });
PLIANT_EXPORT(next) void next(void) { pl_set_result(999999); }
