/* rate-cap-2 — caps the sender at 100000 bytes/s (see rate_cap.h). */
#define RATE_CAP_BYTES_PER_S 100000LL
#include "rate_cap.h"

PLIANT_MANIFEST({ "id": "rate-cap", "version": "2", "init": "init" });
