/* flow-native — the native flow-control credit rule in WebAssembly: replaces flow.window_update with the core's
 * decision (RFC 9000 §4.2: once half of the window was consumed, grant the window beyond what was consumed; the
 * window itself, auto-tuned by the core, is A3): the flow-control component of pliant bench --components; its
 * effect test shows it changes nothing. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "flow-native", "version": "1",
  "bindings": [ {"operation": "flow.window_update", "anchor": "replace", "export": "update"} ]
});

static uint64_t calls;

PLIANT_EXPORT(calls_made) int64_t calls_made(void) { return (int64_t)calls; }

PLIANT_EXPORT(update) void update(void)
{
    int64_t consumed = pl_arg(PL_A1), limit = pl_arg(PL_A2), window = pl_arg(PL_A3);
    calls++;
    /* Half of the window consumed: what is left of the advertised credit is at most half the window. */
    pl_set_result(limit - consumed <= window / 2 ? window : 0);
}
