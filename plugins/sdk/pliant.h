/* pliant.h — SDK for Pliant protocol plugins (WebAssembly, wasm32, no libc).
 *
 * A plugin is one C file compiled by plugins/build.sh:
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--allow-undefined
 * It imports host functions from the module "pliant" (declared below), exports the functions its
 * manifest names (PLIANT_EXPORT), and carries its manifest in the custom section "pliant.manifest"
 * (PLIANT_MANIFEST). The ABI is documented in docs/plugin-abi.md.
 */
#ifndef PLIANT_H
#define PLIANT_H

typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef signed char int8_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned long size_t;

#define PLIANT_EXPORT(name) __attribute__((export_name(#name)))
#define PLIANT_IMPORT(name) __attribute__((import_module("pliant"), import_name(#name)))

/* PLIANT_MANIFEST({"id":"x","version":"1",...}) — the JSON is written unquoted; it becomes the
 * custom section "pliant.manifest". Use at file scope, once. */
#define PLIANT_STR_(x) #x
#define PLIANT_MANIFEST(...) \
    __asm__(".section .custom_section.pliant.manifest,\"\",@\n.ascii " PLIANT_STR_(#__VA_ARGS__) "\n.text\n")

/* Connection fields for get_field/set_field: identical to Pliant.Quic's ConnectionField. */
enum pliant_field {
    PL_NOW = 0,
    PL_IS_CLIENT = 1,
    PL_STATE = 2,
    PL_SMOOTHED_RTT = 3,
    PL_MIN_RTT = 4,
    PL_LATEST_RTT = 5,
    PL_RTT_VAR = 6,
    PL_CONGESTION_WINDOW = 7,
    PL_BYTES_IN_FLIGHT = 8,
    PL_PACKETS_SENT = 9,
    PL_PACKETS_RECEIVED = 10,
    PL_PACKETS_LOST = 11,
    PL_BYTES_SENT = 12,
    PL_BYTES_RECEIVED = 13,
    PL_ECN_CE_RECEIVED = 14,
    PL_MAX_DATAGRAM_SIZE = 15,
    PL_HANDSHAKE_CONFIRMED = 16,
    PL_ACK_ELICITING_THRESHOLD = 17, /* rw */
    PL_MAX_ACK_DELAY = 18,           /* rw, µs */
    PL_CONGESTION_WINDOW_CAP = 19,   /* rw, bytes, 0 = none */
    PL_PACING_RATE_CAP = 20,         /* rw, bytes/s, 0 = none */
    PL_PATH_STATE = 21,              /* per path: 0 none, 1 being validated, 2 usable, 3 abandoned */
    PL_PATH_STATUS = 22,             /* per path: 0 available, 1 backup */
    PL_PTO_COUNT = 23,               /* per path: consecutive PTOs */
    PL_MAX_PATH_ID = 24,             /* multipath: path ids 0..this exist (0 without multipath) */
    PL_MAX_STREAM_WINDOW = 25,       /* receive limit of a stream's flow-control window, bytes */
    PL_MAX_CONNECTION_WINDOW = 26,   /* receive limit of the connection's flow-control window, bytes */
    /* Delivery-rate sampling (draft-ietf-ccwg-bbr-06 §4.1.2), per path, kept while a cc.* hook (or a cap) is attached: */
    PL_DELIVERED = 27,               /* C.delivered: bytes of in-flight packets acknowledged so far */
    PL_BYTES_LOST = 28,              /* C.lost: bytes of in-flight packets declared lost so far */
    PL_RS_DELIVERY_RATE = 29,        /* the latest ACK's sample (read in cc.on_ack): bytes/s, 0 = no reliable sample */
    PL_RS_DELIVERED = 30,            /* bytes delivered over the sample's interval */
    PL_RS_INTERVAL = 31,             /* µs: the longer of its send and ACK intervals */
    PL_RS_PRIOR_DELIVERED = 32,      /* C.delivered when the newest packet it delivered was sent */
    PL_RS_TX_IN_FLIGHT = 33,         /* bytes in flight when that packet was sent */
    PL_RS_LOST = 34,                 /* bytes lost since that packet was sent */
    PL_RS_IS_APP_LIMITED = 35,       /* 1: that packet left in an application-limited phase */
    PL_RS_RTT = 36,                  /* µs, that packet's RTT (-1: none) */
    PL_LOST_TX_IN_FLIGHT = 37,       /* in cc.on_congestion_event: the newest lost packet's bytes in flight at sending */
    PL_LOST_SINCE_SENT = 38,         /* bytes lost since that packet was sent (the batch included) */
    PL_LOST_IS_APP_LIMITED = 39,     /* 1: that packet left in an application-limited phase */
};

/* Operation arguments for arg(): A0..A3, 4 = the current Result (for replace: the native value), 5 = the
 * path id (recovery, ACK and congestion-control operations; 0 until multipath). Per operation: `pliant
 * plugin operations` or docs/plugin-abi.md §4a. */
enum pliant_arg { PL_A0 = 0, PL_A1 = 1, PL_A2 = 2, PL_A3 = 3, PL_RESULT = 4, PL_PATH = 5 };

PLIANT_IMPORT(get_field) int64_t pl_get_field(int32_t field);
/* A field of one path (multipath): RTTs, window, bytes in flight, datagram size, bytes, PL_PATH_STATE,
 * PL_PATH_STATUS, PL_PTO_COUNT; other fields as get_field. A path that is not open reads 0. */
PLIANT_IMPORT(get_path_field) int64_t pl_get_path_field(int64_t path, int32_t field);
/* Stream fields for get_stream_field: identical to Pliant.Quic's StreamField. A stream that is not open reads -1. */
enum pliant_stream_field {
    PL_STREAM_URGENCY = 0,       /* RFC 9218 urgency 0 (most urgent)..7; 3 unless the application set one */
    PL_STREAM_INCREMENTAL = 1,   /* 1 incremental (round robin within its urgency; streams without a priority), 0 not */
    PL_STREAM_BYTES_QUEUED = 2,  /* written by the application, not yet sent */
    PL_STREAM_BYTES_SENT = 3,    /* highest offset sent */
    PL_STREAM_SENDABLE = 4,      /* 1 when it may send now (data or FIN within flow control) */
};
#define PL_NO_STREAM (1LL << 62) /* stream.next_to_send: "nothing now" (the native choice is used) */
PLIANT_IMPORT(get_stream_field) int64_t pl_get_stream_field(int64_t stream_id, int32_t field);
/* During stream.next_to_send: the id of the index-th stream that may send now (most urgent first), PL_NO_STREAM past the end. */
PLIANT_IMPORT(stream_candidate) int64_t pl_stream_candidate(int32_t index);
PLIANT_IMPORT(set_field) int32_t pl_set_field(int32_t field, int64_t value);   /* 1 = set, 0 = read-only/unknown */
PLIANT_IMPORT(now) int64_t pl_now(void);                                        /* µs */
PLIANT_IMPORT(log) void pl_log(const void *ptr, int32_t len);
PLIANT_IMPORT(arg) int64_t pl_arg(int32_t index);
PLIANT_IMPORT(set_result) void pl_set_result(int64_t value);
PLIANT_IMPORT(reserve_frame) int32_t pl_reserve_frame(int64_t type);           /* 1 = reserved */
PLIANT_IMPORT(write_frame_bytes) int32_t pl_write_frame_bytes(const void *ptr, int32_t len);
PLIANT_IMPORT(frame_data) int32_t pl_frame_data(void *ptr, int32_t maxlen);     /* bytes copied */
PLIANT_IMPORT(set_timer) void pl_set_timer(int64_t at_us, int32_t id);
PLIANT_IMPORT(emit_event) void pl_emit_event(const void *ptr, int32_t len);
PLIANT_IMPORT(send_datagram) int32_t pl_send_datagram(const void *ptr, int32_t len);

/* Small helpers (no libc). */
static inline size_t pl_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static inline void pl_event(const char *s) { pl_emit_event(s, (int32_t)pl_strlen(s)); }
static inline void pl_logs(const char *s) { pl_log(s, (int32_t)pl_strlen(s)); }

/* QUIC variable-length integers (RFC 9000 §16). Return bytes used, 0 on error. */
static inline int pl_varint_len(uint64_t v) { return v < 64 ? 1 : v < 16384 ? 2 : v < 1073741824 ? 4 : 8; }
static inline int pl_varint_write(uint8_t *p, uint64_t v)
{
    int n = pl_varint_len(v);
    for (int i = n - 1; i >= 0; i--) { p[i] = (uint8_t)v; v >>= 8; }
    p[0] |= (uint8_t)((n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3) << 6);
    return n;
}
static inline int pl_varint_read(const uint8_t *p, int avail, uint64_t *out)
{
    if (avail < 1) return 0;
    int n = 1 << (p[0] >> 6);
    if (avail < n) return 0;
    uint64_t v = p[0] & 0x3f;
    for (int i = 1; i < n; i++) v = (v << 8) | p[i];
    *out = v;
    return n;
}

#endif
