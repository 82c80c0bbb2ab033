/* hostile: defines frame 0x3f5b01 (body: varint length, then that many bytes) and sends one whose
 * length field claims 200 bytes while only 2 follow. The receiving side's process export rejects it. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "badframe", "version": "1", "init": "init",
  "frames": [ {"type": "0x3f5b01", "export_process": "process", "export_write": "write", "ack_eliciting": true} ] });
PLIANT_EXPORT(init) void init(void)
{
    if (pl_get_field(PL_IS_CLIENT)) pl_reserve_frame(0x3f5b01);
}
PLIANT_EXPORT(write) int64_t write(int32_t max)
{
    uint8_t body[3];
    int n = pl_varint_write(body, 200);
    body[n] = 0xAB;
    if (max < n + 1) return -1;
    pl_write_frame_bytes(body, n + 1);
    return 1;
}
PLIANT_EXPORT(process) int32_t process(int32_t len)
{
    uint8_t buf[16];
    int32_t got = pl_frame_data(buf, sizeof buf);
    uint64_t declared;
    int n = pl_varint_read(buf, got, &declared);
    if (n == 0 || declared > (uint64_t)(len - n)) return -1; /* malformed */
    return n + (int32_t)declared;
}
