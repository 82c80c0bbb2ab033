/* rate-cap-3 — caps the sender at 1000000 bytes/s (see rate_cap.h). */
#define RATE_CAP_BYTES_PER_S 1000000LL
#include "rate_cap.h"

PLIANT_MANIFEST({ "id": "rate-cap", "version": "3", "init": "init" });
