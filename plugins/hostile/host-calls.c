/* hostile: calls the host in an endless loop (now(), which moves no bytes). Host calls cost fuel, so
 * the loop runs out after about FuelPerCall / 20 of them. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "host-calls", "version": "1",
  "bindings": [ {"operation": "packet.after_send", "anchor": "post", "export": "on_sent"} ] });
static volatile int64_t sink;
PLIANT_EXPORT(calls) int64_t calls(int32_t n) { for (int32_t i = 0; i < n; i++) sink += pl_now(); return sink; }
PLIANT_EXPORT(on_sent) void on_sent(void) { for (;;) sink += pl_now(); }
