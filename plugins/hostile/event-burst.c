/* hostile: raises 100 log lines of 4 KiB on every packet sent — within its fuel, so it is never
 * detached; the event rate limit lets a few through and counts the rest as dropped. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "event-burst", "version": "1",
  "bindings": [ {"operation": "packet.after_send", "anchor": "post", "export": "on_sent"} ] });
static char text[4096];
PLIANT_EXPORT(on_sent) void on_sent(void)
{
    for (int i = 0; i < (int)sizeof text; i++) text[i] = 'y';
    for (int i = 0; i < 100; i++) pl_log(text, (int32_t)sizeof text);
}
