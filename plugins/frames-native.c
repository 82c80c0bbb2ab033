/* frames-native — the native frame scheduler in WebAssembly: replaces packet.schedule_frames with the core's order
 * (plugin frames, stream/flow control, DATAGRAM, STREAM: 0x4321), the frame-scheduler component of
 * pliant bench --components; its effect test shows it changes nothing. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "frames-native", "version": "1",
  "bindings": [ {"operation": "packet.schedule_frames", "anchor": "replace", "export": "order"} ]
});

static uint64_t calls;

PLIANT_EXPORT(calls_made) int64_t calls_made(void) { return (int64_t)calls; }

PLIANT_EXPORT(order) void order(void)
{
    calls++;
    pl_set_result(0x4321);
}
