/* hostile: replaces flow.window_update and grants 2^62 bytes of credit (the peer could then send more than the
 * receiver buffers): above the receive limit, detached at the first call; the native credit rule resumes. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "credit-flood", "version": "1",
  "bindings": [ {"operation": "flow.window_update", "anchor": "replace", "export": "update"} ] });
PLIANT_EXPORT(update) void update(void) { pl_set_result(1LL << 62); }
