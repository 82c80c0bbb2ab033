/* hostile: writes far outside its linear memory when a packet is sent. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "oob", "version": "1",
  "bindings": [ {"operation": "packet.after_send", "anchor": "post", "export": "on_sent"} ] });
PLIANT_EXPORT(on_sent) void on_sent(void)
{
    volatile uint64_t *p = (volatile uint64_t *)(size_t)(0xFFFFFF00u - (uint32_t)pl_arg(PL_A0));
    *p = 42;
}
