// DPDK telemetry commands for the tap (read with dpdk-telemetry.py -f <file-prefix>):
//   /wcstap/stats          the whole tap: packets, drops by where, events, flows
//   /wcstap/ports          port ids;    /wcstap/port,<id>      one port (with its RX queues)
//   /wcstap/workers        worker ids;  /wcstap/worker,<n>     one worker (queues, hand-off, TX, load)
// Answered from the main lcore's last TapStats sample (every stats interval), on the telemetry
// thread: the workers are never asked anything.
#pragma once

#include <string>

#include "publisher.h"

namespace wcstap::dp {

// Registers the commands (once, after rte_eal_init). Returns false (logged) when telemetry refuses.
bool register_telemetry(const std::string& tap_id);
// The sample telemetry answers from until the next one.
void update_telemetry(const TapStatsSample& s);

}  // namespace wcstap::dp
