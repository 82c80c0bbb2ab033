/* hostile: raises 4 KiB events in an endless loop from packet.after_send. The event rate limit and the
 * fuel every emit_event costs must stop it: a handful of events, then fuel exhausted. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "event-flood", "version": "1",
  "bindings": [ {"operation": "packet.after_send", "anchor": "post", "export": "on_sent"} ] });
static char text[4096];
PLIANT_EXPORT(on_sent) void on_sent(void)
{
    for (int i = 0; i < (int)sizeof text; i++) text[i] = 'x';
    for (;;) pl_emit_event(text, (int32_t)sizeof text);
}
