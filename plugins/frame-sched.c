/* frame-sched — a frame scheduler (issue 15): replaces packet.schedule_frames. Natively DATAGRAM frames fill each
 * packet before STREAM frames, so a flood of datagrams leaves a stream only the scraps of every packet. Here, while
 * both are pending, DATAGRAM and STREAM take turns at the head of the packets (plugin and control frames first, as
 * natively): each gets about half. Alone, either kind goes first as usual. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "frame-sched", "version": "1",
  "bindings": [ {"operation": "packet.schedule_frames", "anchor": "replace", "export": "schedule"} ]
});

#define KIND_DATAGRAM 3
#define KIND_STREAM 4
#define ORDER_DATAGRAM_FIRST 0x4321 /* plugin, control, DATAGRAM, STREAM (the native order) */
#define ORDER_STREAM_FIRST 0x3421   /* plugin, control, STREAM, DATAGRAM */

static uint64_t turns, stream_first;

/* Packets where both were pending, and those of them that put STREAM first. */
PLIANT_EXPORT(shared) int64_t shared(void) { return (int64_t)turns; }
PLIANT_EXPORT(streams_first) int64_t streams_first(void) { return (int64_t)stream_first; }

PLIANT_EXPORT(schedule) void schedule(void)
{
    int64_t pending = pl_arg(PL_A0);
    int both = (pending >> KIND_DATAGRAM & 1) && (pending >> KIND_STREAM & 1);
    if (!both) { pl_set_result(ORDER_DATAGRAM_FIRST); return; }
    if (turns++ & 1) {
        stream_first++;
        pl_set_result(ORDER_STREAM_FIRST);
    } else {
        pl_set_result(ORDER_DATAGRAM_FIRST);
    }
}
