/* hostile: a frame.on_received.stream observer that writes far outside its linear memory: trapped and detached on
 * the first STREAM frame; the connection goes on without it. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "observer-oob", "version": "1",
  "bindings": [ {"operation": "frame.on_received.stream", "anchor": "post", "export": "on_stream"} ] });
PLIANT_EXPORT(on_stream) void on_stream(void)
{
    volatile uint64_t *p = (volatile uint64_t *)(size_t)(0xFFFFFF00u - (uint32_t)pl_arg(PL_A1));
    *p = 42;
}
