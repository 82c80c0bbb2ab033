/* tlp — tail loss probe (RFC 8985 §7.2 style): the first probe after the last ack-eliciting packet
 * fires after max(2*SRTT, 10 ms) instead of the RFC 9002 PTO (SRTT + 4*RTTVAR + max_ack_delay), so a
 * lost tail packet is recovered about one max_ack_delay sooner. Backed-off probes keep the native value. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "tlp", "version": "1",
  "bindings": [ {"operation": "recovery.pto", "anchor": "replace", "export": "pto"} ]
});

#define MIN_TLP_US 10000
#define ASSUMED_MAX_ACK_DELAY_US 25000

static uint64_t probes_shortened;

PLIANT_EXPORT(shortened) int64_t shortened(void) { return (int64_t)probes_shortened; }

PLIANT_EXPORT(pto) void pto(void)
{
    int64_t native = pl_arg(PL_RESULT);
    int64_t srtt = pl_get_field(PL_SMOOTHED_RTT);
    int64_t rttvar = pl_get_field(PL_RTT_VAR);
    int64_t var4 = 4 * rttvar < 1000 ? 1000 : 4 * rttvar;
    int64_t base = srtt + var4 + ASSUMED_MAX_ACK_DELAY_US;
    if (native > base + base / 2) return;          /* backed off: keep RFC 9002's exponential backoff */
    int64_t tlp = 2 * srtt;
    if (tlp < MIN_TLP_US) tlp = MIN_TLP_US;
    if (tlp < native) {
        probes_shortened++;
        pl_set_result(tlp);
    }
}
