/* hostile: its frame write export writes far more than the space it was offered. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "overflow", "version": "1", "init": "init",
  "frames": [ {"type": "0x3f5b02", "export_process": "process", "export_write": "write"} ] });
static uint8_t big[8192];
PLIANT_EXPORT(init) void init(void) { pl_reserve_frame(0x3f5b02); }
PLIANT_EXPORT(write) int64_t write(int32_t max) { (void)max; pl_write_frame_bytes(big, sizeof big); return 0; }
PLIANT_EXPORT(process) int32_t process(int32_t len) { (void)len; return -1; }
