// DPDK ports: which to use, how to configure them, their drop counters.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <rte_mempool.h>

#include "config/config.h"
#include "worker.h"

namespace wcstap::dp {

// A start-up failure: the message says what and how to fix it.
class SetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Port {
  uint16_t port_id = 0;
  std::string name;    // device name: "net_pcap0", "0000:01:00.0"
  std::string driver;  // PMD: "net_pcap", "net_af_packet", ...
  uint16_t rx_queues = 0;
  TimeSource time_source = TimeSource::Tsc;
  rte_mempool* pool = nullptr;
  bool started = false;
};

struct PortCounters {
  uint64_t rx_packets = 0, rx_bytes = 0, imissed = 0, ierrors = 0, rx_nombuf = 0;
  uint64_t drops() const { return imissed + rx_nombuf; }
};

// The ports to use: those named by dataplane.ports (in that order), or every port.
std::vector<Port> select_ports(const DataplaneConfig& cfg);  // throws SetupError
// Mempool, queues, RSS (symmetric key when queues > 1), promiscuous mode, start.
void start_port(Port& port, const DataplaneConfig& cfg);  // throws SetupError
void stop_port(Port& port);
PortCounters read_port_counters(uint16_t port_id);

}  // namespace wcstap::dp
