/* hostile: grows its memory on every packet sent until the host refuses, then keeps using what it got. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "grow", "version": "1",
  "bindings": [ {"operation": "packet.after_send", "anchor": "post", "export": "on_sent"} ] });
static int reported;
PLIANT_EXPORT(on_sent) void on_sent(void)
{
    if (reported) return;
    for (;;) {
        int32_t old = (int32_t)__builtin_wasm_memory_grow(0, 1);
        if (old < 0) break;
    }
    reported = 1;
    char msg[] = "memory.grow refused at    pages";
    int32_t pages = (int32_t)__builtin_wasm_memory_size(0);
    msg[23] = (char)('0' + pages / 10 % 10);
    msg[24] = (char)('0' + pages % 10);
    pl_event(msg);
}
