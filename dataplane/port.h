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
  uint16_t max_rx_queues = 0, max_tx_queues = 0;
  uint64_t rss_offloads = 0;  // the hash types the device's RSS can use (0: no RSS)
  uint16_t rx_queues = 0;     // as configured
  uint16_t tx_queues = 0;     // in-line: as configured (0 in mirror mode)
  bool rss = false;           // RX queues spread by the device's symmetric RSS
  int peer = -1;              // in-line: index of the peer port in the port list
  TimeSource time_source = TimeSource::Tsc;
  rte_mempool* pool = nullptr;
  bool started = false;
};

struct PortCounters {
  uint64_t rx_packets = 0, rx_bytes = 0, imissed = 0, ierrors = 0, rx_nombuf = 0;
  uint64_t tx_packets = 0, tx_bytes = 0, oerrors = 0;
  uint32_t mbufs_in_use = 0, mbufs = 0;  // the port's mempool (in use includes lcore caches)
  std::vector<uint64_t> rx_queue_packets, rx_queue_bytes;  // per RX queue, as the device counts them
  uint64_t drops() const { return imissed + rx_nombuf; }
};

// How the workers share the ports, decided once at start-up for every port alike (both directions
// of a flow may arrive on different ports, in-line, and must still meet in one worker).
struct QueuePlan {
  bool rss = false;         // each port: `workers` RX queues spread by symmetric RSS; worker i reads queue i
  std::string why;          // why the software balance was chosen, when it was
};
// RSS when every port has it (for the balance's hash types) and `workers` RX queues. Else the
// software balance: each port gets as many RX queues as it has, up to `workers` (a NIC without RSS
// fills only the first; net_pcap replays one file per queue), queue q of the k-th port is read by
// worker (k + q) mod workers, and the reading worker hands each packet to the worker the balance
// hash names.
QueuePlan plan_queues(const std::vector<Port>& ports, const DataplaneConfig& cfg);

// The RSS hash types asked of a device for a balance: host_pair asks for the addresses alone;
// five_tuple adds UDP and TCP ports. The device's RSS cannot pair UDP ports 2n and 2n+1 as the
// software balance does, so under five_tuple a flow's RTP and its RTCP on the next port (no
// rtcp-mux: SIP legs, RTSP) may meet in different workers; host_pair keeps them together.
uint64_t rss_types(BalanceBy by);
// The device's RSS key: 0x6d5a repeated makes the Toeplitz hash symmetric (swapping the two
// addresses, and the two ports, leaves it unchanged, since each field is a whole number of the
// key's 16-bit periods), so both directions of a flow meet in one queue, hence one worker.
std::vector<uint8_t> symmetric_rss_key(size_t bytes);

// The ports to use: those named by dataplane.ports (in that order), or every port. In-line, pairs
// them (first with second...).
std::vector<Port> select_ports(const DataplaneConfig& cfg);  // throws SetupError
// Mempool, RX queues (symmetric RSS when the plan says), TX queues in-line, promiscuous mode, start.
void start_port(Port& port, const DataplaneConfig& cfg, const QueuePlan& plan);  // throws SetupError
void stop_port(Port& port);
PortCounters read_port_counters(const Port& port);

}  // namespace wcstap::dp
