/* hostile when pushed by a peer: replaces cc.window with an enormous window, which would switch off
 * our congestion control. The host lets a peer's plugin only lower cc.window. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "window-raise", "version": "1",
  "bindings": [ {"operation": "cc.window", "anchor": "replace", "export": "window"} ] });
PLIANT_EXPORT(window) void window(void) { pl_set_result(1LL << 40); }
