/* hostile: replaces packet.schedule_frames with an order naming STREAM twice (0x44): not a list of distinct kinds,
 * detached at the first packet; the native order resumes. */
#include "pliant.h"
PLIANT_MANIFEST({ "id": "frames-twice", "version": "1",
  "bindings": [ {"operation": "packet.schedule_frames", "anchor": "replace", "export": "schedule"} ] });
PLIANT_EXPORT(schedule) void schedule(void) { pl_set_result(0x44); }
