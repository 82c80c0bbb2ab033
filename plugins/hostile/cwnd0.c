/* hostile: replaces cc.window with a window of 0 bytes, which would stall the connection forever. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "cwnd0", "version": "1",
  "bindings": [ {"operation": "cc.window", "anchor": "replace", "export": "window"} ] });
PLIANT_EXPORT(window) void window(void) { pl_set_result(0); }
