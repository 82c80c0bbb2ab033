/* frame-stats — what goes out and comes in, frame type by frame type (issue 15): observes packet.before_send (the
 * frame types of each packet before it is sealed) and frame.on_received.stream / .ack / .max_stream_data. Counts
 * packets carrying STREAM data, ACK-only packets, and received STREAM bytes, ACK and MAX_STREAM_DATA frames;
 * the application reads them through its exports. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "frame-stats", "version": "1",
  "bindings": [
    {"operation": "packet.before_send", "anchor": "post", "export": "before_send"},
    {"operation": "frame.on_received.stream", "anchor": "post", "export": "on_stream"},
    {"operation": "frame.on_received.ack", "anchor": "post", "export": "on_ack"},
    {"operation": "frame.on_received.max_stream_data", "anchor": "post", "export": "on_max_stream_data"}
  ]
});

#define BIT(t) (1ULL << (t))
static uint64_t stream_packets, ack_only_packets, stream_frames, stream_bytes, acks, credits;

PLIANT_EXPORT(sent_stream_packets) int64_t sent_stream_packets(void) { return (int64_t)stream_packets; }
PLIANT_EXPORT(sent_ack_only_packets) int64_t sent_ack_only_packets(void) { return (int64_t)ack_only_packets; }
PLIANT_EXPORT(received_stream_frames) int64_t received_stream_frames(void) { return (int64_t)stream_frames; }
PLIANT_EXPORT(received_stream_bytes) int64_t received_stream_bytes(void) { return (int64_t)stream_bytes; }
PLIANT_EXPORT(received_acks) int64_t received_acks(void) { return (int64_t)acks; }
PLIANT_EXPORT(received_credits) int64_t received_credits(void) { return (int64_t)credits; }

PLIANT_EXPORT(before_send) void before_send(void)
{
    uint64_t types = (uint64_t)pl_arg(PL_A2);
    if (types & BIT(0x08)) stream_packets++;
    if (types == BIT(0x02)) ack_only_packets++;
}

PLIANT_EXPORT(on_stream) void on_stream(void)
{
    stream_frames++;
    stream_bytes += (uint64_t)pl_arg(PL_A1);
}

PLIANT_EXPORT(on_ack) void on_ack(void) { acks++; }

PLIANT_EXPORT(on_max_stream_data) void on_max_stream_data(void) { credits++; }
