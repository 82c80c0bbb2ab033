/* fec — reliable messages with forward erasure correction. The application sends messages (≤ 1000
 * bytes, one per packet) with send(len); every K=4 messages the plugin adds a REPAIR frame holding the
 * XOR of the block, so the receiver rebuilds any single lost message of a block without waiting for
 * loss detection and retransmission. Lost SOURCE frames are still resent (reliability); REPAIR frames
 * are best-effort. configure(0) turns repair frames off (plain retransmission), for comparison.
 *   SOURCE 0x3f5e00: id (i), length (i), data      REPAIR 0x3f5e01: block (i), xor of lengths (i), length (i), xor data */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "fec", "version": "1", "memory_pages": 4,
  "frames": [
    {"type": "0x3f5e00", "export_process": "process_source", "export_write": "write_source", "export_on_lost": "lost_source", "ack_eliciting": true},
    {"type": "0x3f5e01", "export_process": "process_repair", "export_write": "write_repair", "ack_eliciting": true}
  ]
});

#define SOURCE 0x3f5e00
#define REPAIR 0x3f5e01
#define K 4
#define MAXMSG 1000
#define WINDOW 64            /* messages kept, by id modulo WINDOW */
#define QLEN 256

typedef struct { int64_t id; int32_t len; uint8_t data[MAXMSG]; } msg_t;
typedef struct { int64_t block_plus_1; int32_t xlen; uint8_t data[MAXMSG]; } repair_t; /* block_plus_1 = 0: empty */

static msg_t out[WINDOW], in[WINDOW];
static repair_t rep_in[WINDOW / K];
static uint8_t buffer[MAXMSG], scratch[MAXMSG + 16];
static int64_t next_id, sq[QLEN], rq[QLEN];
static uint32_t sq_head, sq_tail, rq_head, rq_tail;
static int fec_on = 1;
static uint64_t held, recovered, resent, repairs_sent;

#ifdef __wasm_simd128__
/* fec-simd.wasm (build.sh adds -msimd128): the repair computation 16 bytes per v128 instruction
 * (unaligned v128.load/store, v128.xor), then byte by byte for the tail. */
#include <wasm_simd128.h>
static void zero(uint8_t *d, int32_t n)
{
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) wasm_v128_store(d + i, wasm_i64x2_const(0, 0));
    for (; i < n; i++) d[i] = 0;
}
static void copy(uint8_t *d, const uint8_t *s, int32_t n)
{
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) wasm_v128_store(d + i, wasm_v128_load(s + i));
    for (; i < n; i++) d[i] = s[i];
}
static void xor_into(uint8_t *d, const uint8_t *s, int32_t n)
{
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) wasm_v128_store(d + i, wasm_v128_xor(wasm_v128_load(d + i), wasm_v128_load(s + i)));
    for (; i < n; i++) d[i] ^= s[i];
}
#else
static void zero(uint8_t *d, int32_t n) { for (int32_t i = 0; i < n; i++) d[i] = 0; }
static void copy(uint8_t *d, const uint8_t *s, int32_t n) { for (int32_t i = 0; i < n; i++) d[i] = s[i]; }
static void xor_into(uint8_t *d, const uint8_t *s, int32_t n) { for (int32_t i = 0; i < n; i++) d[i] ^= s[i]; }
#endif

PLIANT_EXPORT(buffer) int32_t buffer_address(void) { return (int32_t)(size_t)buffer; }
PLIANT_EXPORT(configure) void configure(int32_t on) { fec_on = on; }

static void push_source(int64_t id) { if (sq_tail - sq_head < QLEN) { sq[sq_tail++ % QLEN] = id; pl_reserve_frame(SOURCE); } }

PLIANT_EXPORT(send) int64_t send(int32_t len)
{
    if (len <= 0 || len > MAXMSG) return -1;
    int64_t id = next_id++;
    msg_t *m = &out[id % WINDOW];
    m->id = id; m->len = len; copy(m->data, buffer, len);
    push_source(id);
    if (fec_on && id % K == K - 1 && rq_tail - rq_head < QLEN) { rq[rq_tail++ % QLEN] = id / K; pl_reserve_frame(REPAIR); }
    return id;
}

PLIANT_EXPORT(write_source) int64_t write_source(int32_t max)
{
    while (sq_head != sq_tail) {
        int64_t id = sq[sq_head % QLEN];
        msg_t *m = &out[id % WINDOW];
        if (m->id != id) { sq_head++; continue; }       /* fell out of the window */
        uint8_t hdr[16];
        int n = pl_varint_write(hdr, (uint64_t)id);
        n += pl_varint_write(hdr + n, (uint64_t)m->len);
        if (n + m->len > max) return -2;
        pl_write_frame_bytes(hdr, n);
        pl_write_frame_bytes(m->data, m->len);
        sq_head++;
        return id;
    }
    return -1;
}

PLIANT_EXPORT(lost_source) void lost_source(int64_t id) { resent++; push_source(id); }

PLIANT_EXPORT(write_repair) int64_t write_repair(int32_t max)
{
    if (rq_head == rq_tail) return -1;
    int64_t block = rq[rq_head % QLEN];
    int32_t xlen = 0, maxlen = 0;
    zero(scratch, MAXMSG);
    for (int i = 0; i < K; i++) {
        msg_t *m = &out[(block * K + i) % WINDOW];
        if (m->id != block * K + i) { rq_head++; return -1; }
        xlen ^= m->len;
        if (m->len > maxlen) maxlen = m->len;
        xor_into(scratch, m->data, m->len);
    }
    uint8_t hdr[16];
    int n = pl_varint_write(hdr, (uint64_t)block);
    n += pl_varint_write(hdr + n, (uint64_t)xlen);
    n += pl_varint_write(hdr + n, (uint64_t)maxlen);
    if (n + maxlen > max) return -2;
    pl_write_frame_bytes(hdr, n);
    pl_write_frame_bytes(scratch, maxlen);
    rq_head++;
    repairs_sent++;
    return block;
}

static int have(int64_t id) { return in[id % WINDOW].id == id && in[id % WINDOW].len > 0; }

/* With the repair and K-1 sources of a block, rebuild the missing one. */
static void try_recover(int64_t block)
{
    repair_t *r = &rep_in[block % (WINDOW / K)];
    if (r->block_plus_1 != block + 1) return;
    int missing = -1, count = 0;
    for (int i = 0; i < K; i++) { if (have(block * K + i)) count++; else missing = i; }
    if (count != K - 1) return;
    int64_t id = block * K + missing;
    msg_t *m = &in[id % WINDOW];
    int32_t len = r->xlen;
    copy(m->data, r->data, MAXMSG);
    for (int i = 0; i < K; i++) {
        if (i == missing) continue;
        msg_t *o = &in[(block * K + i) % WINDOW];
        len ^= o->len;
        xor_into(m->data, o->data, o->len);
    }
    if (len <= 0 || len > MAXMSG) return;
    m->id = id; m->len = len;
    held++; recovered++;
}

PLIANT_EXPORT(process_source) int32_t process_source(int32_t len)
{
    int32_t got = pl_frame_data(scratch, len < (int32_t)sizeof scratch ? len : (int32_t)sizeof scratch);
    uint64_t id, l;
    int n = pl_varint_read(scratch, got, &id);
    int n2 = n ? pl_varint_read(scratch + n, got - n, &l) : 0;
    if (!n2 || l == 0 || l > MAXMSG || (int64_t)l > got - n - n2) return -1;
    if (!have((int64_t)id)) {
        msg_t *m = &in[id % WINDOW];
        m->id = (int64_t)id; m->len = (int32_t)l;
        copy(m->data, scratch + n + n2, (int32_t)l);
        held++;
        try_recover((int64_t)id / K);
    }
    return n + n2 + (int32_t)l;
}

PLIANT_EXPORT(process_repair) int32_t process_repair(int32_t len)
{
    int32_t got = pl_frame_data(scratch, len < (int32_t)sizeof scratch ? len : (int32_t)sizeof scratch);
    uint64_t block, xlen, dlen;
    int n = pl_varint_read(scratch, got, &block);
    int n1 = n ? pl_varint_read(scratch + n, got - n, &xlen) : 0;
    int n2 = n1 ? pl_varint_read(scratch + n + n1, got - n - n1, &dlen) : 0;
    if (!n2 || dlen > MAXMSG || (int64_t)dlen > got - n - n1 - n2) return -1;
    n += n1;
    int32_t body = (int32_t)dlen;
    repair_t *r = &rep_in[block % (WINDOW / K)];
    r->block_plus_1 = (int64_t)block + 1; r->xlen = (int32_t)xlen;
    zero(r->data, MAXMSG);
    copy(r->data, scratch + n + n2, body);
    try_recover((int64_t)block);
    return n + n2 + body;
}

/* Receiver: 1 if message id is held (received or rebuilt); its bytes are then copied to buffer. */
PLIANT_EXPORT(get) int32_t get(int64_t id)
{
    if (!have(id)) return -1;
    copy(buffer, in[id % WINDOW].data, in[id % WINDOW].len);
    return in[id % WINDOW].len;
}

PLIANT_EXPORT(stats) int64_t stats(int32_t which)
{
    return which == 0 ? (int64_t)held : which == 1 ? (int64_t)recovered : which == 2 ? (int64_t)resent : (int64_t)repairs_sent;
}
