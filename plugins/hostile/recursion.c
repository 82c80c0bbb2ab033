/* hostile: unbounded (non-tail) recursion on every packet sent. The call depth limit must stop it. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "recursion", "version": "1",
  "bindings": [ {"operation": "packet.after_send", "anchor": "post", "export": "on_sent"} ] });
__attribute__((noinline)) static int64_t dive(int64_t n)
{
    volatile int64_t frame[4];
    frame[0] = n;
    if (n == -1) return 0;
    return dive(n + 1) + frame[0];
}
static volatile int64_t sink;
PLIANT_EXPORT(on_sent) void on_sent(void) { sink = dive(pl_arg(PL_A0)); }
