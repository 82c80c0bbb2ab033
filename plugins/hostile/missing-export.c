/* hostile: its manifest binds an export the module does not have. Loading must fail. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "missing-export", "version": "1",
  "bindings": [ {"operation": "packet.after_send", "anchor": "post", "export": "on_sent_typo"} ] });
PLIANT_EXPORT(on_sent) void on_sent(void) { }
