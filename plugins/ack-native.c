/* ack-native — the native ACK policy (RFC 9000 §13.2.1-2), in WebAssembly: replaces ack.should_send_now and ack.delay
 * with the same decisions the core makes (acknowledge at once after the ack-eliciting threshold, on reordering or CE;
 * otherwise wait up to max_ack_delay). For measuring what moving the ACK policy into an isolated component costs
 * (issue 15, pliant bench --components); its effect test shows it changes nothing. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "ack-native", "version": "1",
  "bindings": [
    {"operation": "ack.should_send_now", "anchor": "replace", "export": "should_send_now"},
    {"operation": "ack.delay", "anchor": "replace", "export": "delay"}
  ]
});

static uint64_t decisions;

PLIANT_EXPORT(decisions_made) int64_t decisions_made(void) { return (int64_t)decisions; }

PLIANT_EXPORT(should_send_now) void should_send_now(void)
{
    int64_t unacked = pl_arg(PL_A1);  /* ack-eliciting packets not yet acknowledged, this one included */
    int64_t unusual = pl_arg(PL_A2);  /* out of order or CE-marked */
    int64_t threshold = pl_get_field(PL_ACK_ELICITING_THRESHOLD);
    decisions++;
    pl_set_result(unacked >= threshold || unusual != 0 ? 1 : 0);
}

PLIANT_EXPORT(delay) void delay(void)
{
    pl_set_result(pl_get_field(PL_MAX_ACK_DELAY)); /* µs: the max_ack_delay we advertised */
}
