/* hostile: never returns from packet.after_send. Fuel per call must stop it. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "loop", "version": "1",
  "bindings": [ {"operation": "packet.after_send", "anchor": "post", "export": "on_sent"} ] });
static volatile uint64_t spins;
PLIANT_EXPORT(on_sent) void on_sent(void) { for (;;) spins++; }
