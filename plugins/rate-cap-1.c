/* rate-cap-1 — caps the sender at 400000 bytes/s (see rate_cap.h). */
#define RATE_CAP_BYTES_PER_S 400000LL
#include "rate_cap.h"

PLIANT_MANIFEST({ "id": "rate-cap", "version": "1", "init": "init" });
