/* datagram — unreliable datagrams (RFC 9221 semantics) with an application API, in a plugin-defined
 * frame 0x3f5d00 (body: varint length, payload): never retransmitted, delivered in arrival order.
 * Application API: write the message at buffer() and call send(len); call recv() to move the oldest
 * received message to buffer() (returns its length, -1 if none). send_native(len) instead sends the
 * buffer as a core RFC 9221 DATAGRAM frame through the host (pliant.send_datagram). */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "datagram", "version": "1", "memory_pages": 4,
  "frames": [ {"type": "0x3f5d00", "export_process": "process", "export_write": "write",
               "export_on_acked": "acked", "export_on_lost": "lost", "ack_eliciting": true} ]
});

#define FRAME 0x3f5d00
#define MAXMSG 1100
#define SLOTS 32

typedef struct { int32_t len; uint8_t data[MAXMSG]; } slot_t;
typedef struct { slot_t s[SLOTS]; uint32_t head, tail; } queue_t;

static queue_t outq, inq;
static uint8_t buffer[MAXMSG];
static uint64_t sent, received, acked_frames, lost_frames, dropped_full;

static void copy(uint8_t *d, const uint8_t *s, int32_t n) { for (int32_t i = 0; i < n; i++) d[i] = s[i]; }
static int full(const queue_t *q) { return q->tail - q->head >= SLOTS; }

PLIANT_EXPORT(buffer) int32_t buffer_address(void) { return (int32_t)(size_t)buffer; }

PLIANT_EXPORT(send) int32_t send(int32_t len)
{
    if (len < 0 || len > MAXMSG) return -1;
    if (full(&outq)) { dropped_full++; return 0; }
    slot_t *s = &outq.s[outq.tail++ % SLOTS];
    s->len = len;
    copy(s->data, buffer, len);
    pl_reserve_frame(FRAME);
    sent++;
    return 1;
}

PLIANT_EXPORT(send_native) int32_t send_native(int32_t len)
{
    if (len < 0 || len > MAXMSG) return -1;
    return pl_send_datagram(buffer, len);
}

PLIANT_EXPORT(recv) int32_t recv(void)
{
    if (inq.head == inq.tail) return -1;
    slot_t *s = &inq.s[inq.head++ % SLOTS];
    copy(buffer, s->data, s->len);
    return s->len;
}

PLIANT_EXPORT(write) int64_t write(int32_t max)
{
    if (outq.head == outq.tail) return -1;
    slot_t *s = &outq.s[outq.head % SLOTS];
    uint8_t hdr[8];
    int n = pl_varint_write(hdr, (uint64_t)s->len);
    if (n + s->len > max) return -2;           /* try the next packet */
    pl_write_frame_bytes(hdr, n);
    pl_write_frame_bytes(s->data, s->len);
    outq.head++;
    return 0;
}

PLIANT_EXPORT(acked) void acked(int64_t token) { (void)token; acked_frames++; }
PLIANT_EXPORT(lost) void lost(int64_t token) { (void)token; lost_frames++; /* unreliable: not resent */ }

PLIANT_EXPORT(process) int32_t process(int32_t len)
{
    static uint8_t tmp[MAXMSG + 8];
    int32_t got = pl_frame_data(tmp, len < (int32_t)sizeof tmp ? len : (int32_t)sizeof tmp);
    uint64_t l;
    int n = pl_varint_read(tmp, got, &l);
    if (n == 0 || l > MAXMSG || (int64_t)l > got - n) return -1;
    received++;
    if (!full(&inq)) {
        slot_t *s = &inq.s[inq.tail++ % SLOTS];
        s->len = (int32_t)l;
        copy(s->data, tmp + n, (int32_t)l);
    } else dropped_full++;
    return n + (int32_t)l;
}

PLIANT_EXPORT(stats) int64_t stats(int32_t which)
{
    switch (which) {
    case 0: return (int64_t)sent;
    case 1: return (int64_t)received;
    case 2: return (int64_t)acked_frames;
    case 3: return (int64_t)lost_frames;
    default: return (int64_t)dropped_full;
    }
}
