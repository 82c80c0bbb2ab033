/* ack-frequency — draft-ietf-quic-ack-frequency-12 as a plugin, run by both peers.
 * Advertises min_ack_delay (TP 0xff04de1b). The data sender's application sets the ACK strategy with
 * configure(threshold, max_ack_delay_us); the plugin sends ACK_FREQUENCY (0xaf) frames, resent on loss.
 * The receiver applies the newest one to its ACK policy (fields AckElicitingThreshold, MaxAckDelay). */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "ack-frequency", "version": "1",
  "frames": [ {"type": "0xaf", "export_process": "process_af", "export_write": "write_af",
               "export_on_lost": "lost_af", "ack_eliciting": true} ],
  "transport_parameters": [ {"id": "0xff04de1b", "export_write": "write_tp", "export_process": "process_tp"} ]
});

#define ACK_FREQUENCY 0xaf
#define MIN_ACK_DELAY_US 1000

static int peer_supports;
static uint64_t peer_min_ack_delay;
static uint64_t next_seq, want_threshold, want_delay;
static int64_t last_rx_seq = -1;
static uint64_t frames_received, applied_threshold, applied_delay;

PLIANT_EXPORT(write_tp) int32_t write_tp(int32_t max)
{
    uint8_t b[8];
    int n = pl_varint_write(b, MIN_ACK_DELAY_US);
    if (n > max) return -1;
    pl_write_frame_bytes(b, n);
    return 0;
}

PLIANT_EXPORT(process_tp) int32_t process_tp(int32_t len)
{
    uint8_t b[8];
    int32_t got = pl_frame_data(b, sizeof b);
    if (got != len || pl_varint_read(b, got, &peer_min_ack_delay) != got) return -1;
    peer_supports = 1;
    return 0;
}

/* Application API: ask the peer to ACK after `threshold` ack-eliciting packets or `delay_us`. */
PLIANT_EXPORT(configure) int32_t configure(int64_t threshold, int64_t delay_us)
{
    if (!peer_supports) return 0;
    if ((uint64_t)delay_us < peer_min_ack_delay) delay_us = (int64_t)peer_min_ack_delay;
    want_threshold = (uint64_t)threshold;
    want_delay = (uint64_t)delay_us;
    next_seq++;
    pl_reserve_frame(ACK_FREQUENCY);
    return 1;
}

PLIANT_EXPORT(write_af) int64_t write_af(int32_t max)
{
    uint8_t b[32];
    uint64_t seq = next_seq - 1;
    int n = pl_varint_write(b, seq);
    n += pl_varint_write(b + n, want_threshold);
    n += pl_varint_write(b + n, want_delay);
    n += pl_varint_write(b + n, 1); /* reordering threshold */
    if (n > max) return -1;
    pl_write_frame_bytes(b, n);
    return (int64_t)seq;
}

PLIANT_EXPORT(lost_af) void lost_af(int64_t token)
{
    if ((uint64_t)token == next_seq - 1) pl_reserve_frame(ACK_FREQUENCY); /* only the newest matters */
}

PLIANT_EXPORT(process_af) int32_t process_af(int32_t len)
{
    uint8_t b[32];
    int32_t got = pl_frame_data(b, sizeof b);
    uint64_t v[4];
    int off = 0;
    for (int i = 0; i < 4; i++) {
        int n = pl_varint_read(b + off, got - off, &v[i]);
        if (n == 0) return -1;
        off += n;
    }
    if (v[2] < MIN_ACK_DELAY_US) return -1; /* below our min_ack_delay: PROTOCOL_VIOLATION in the draft */
    frames_received++;
    if ((int64_t)v[0] > last_rx_seq) {
        last_rx_seq = (int64_t)v[0];
        applied_threshold = v[1] + 1;      /* the core counts packets before an immediate ACK */
        applied_delay = v[2];
        pl_set_field(PL_ACK_ELICITING_THRESHOLD, (int64_t)applied_threshold);
        pl_set_field(PL_MAX_ACK_DELAY, (int64_t)applied_delay);
    }
    (void)len;
    return off;
}

PLIANT_EXPORT(stats) int64_t stats(int32_t which)
{
    return which == 0 ? (int64_t)frames_received : which == 1 ? (int64_t)applied_threshold
         : which == 2 ? (int64_t)applied_delay : (int64_t)peer_supports;
}
