/* hostile: replaces recovery.detect_lost with a loss delay of -1 (2^64-1 µs: a packet would never count as lost):
 * above the bound of 60 s, so detached at the first call; native loss detection resumes. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "lost-never", "version": "1",
  "bindings": [ {"operation": "recovery.detect_lost", "anchor": "replace", "export": "detect"} ] });
PLIANT_EXPORT(detect) void detect(void) { pl_set_result(-1); }
