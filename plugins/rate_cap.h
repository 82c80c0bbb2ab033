/* Shared body of the rate-cap-N plugins: on attach, cap the pacing rate (and the congestion window
 * to the bandwidth-delay product at that rate, with headroom). RATE_CAP_BYTES_PER_S is defined by
 * each variant. Detaching the plugin restores the connection's previous caps. */
#include "pliant.h"

PLIANT_EXPORT(init) void init(void)
{
    pl_set_field(PL_PACING_RATE_CAP, RATE_CAP_BYTES_PER_S);
    int64_t srtt = pl_get_field(PL_SMOOTHED_RTT);
    int64_t bdp = RATE_CAP_BYTES_PER_S * (srtt > 0 ? srtt : 100000) / 1000000;
    int64_t cap = 2 * bdp;
    int64_t floor = 4 * pl_get_field(PL_MAX_DATAGRAM_SIZE);
    pl_set_field(PL_CONGESTION_WINDOW_CAP, cap > floor ? cap : floor);
    pl_event("rate cap applied");
}

PLIANT_EXPORT(rate) int64_t rate(void) { return RATE_CAP_BYTES_PER_S; }
