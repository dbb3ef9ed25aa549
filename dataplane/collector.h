// The main lcore's side of the workers: drains their event rings into the publisher, samples their
// counters and the ports' for TapStats, and raises tap_overload when the tap itself loses something.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "config/config.h"
#include "port.h"
#include "publisher.h"
#include "worker.h"

namespace wcstap::dp {

class Collector final : public EventDrain {
 public:
  Collector(const Config& cfg, Publisher& publisher, const std::vector<Port>& ports,
            const std::vector<std::unique_ptr<WorkerContext>>& workers, double stats_interval_s);

  // One burst from each worker's ring; returns the number of events published.
  size_t drain_some();
  // Everything a worker's ring holds.
  void drain_worker(WorkerContext& ctx) override;
  void drain_all();

  TapStatsSample sample() const;
  uint64_t rx_packets() const;  // all workers, as last stored by them

  // Once per stats interval: compares drops with the previous sample, raises/refreshes/resolves
  // tap_overload.
  void check_overload(const TapStatsSample& s);

 private:
  const Config& cfg_;
  Publisher& publisher_;
  const std::vector<Port>& ports_;
  const std::vector<std::unique_ptr<WorkerContext>>& workers_;
  double interval_s_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();

  // What the tap itself lost or could not follow, by where (cumulative).
  struct Drops {
    uint64_t nic = 0;         // imissed: no RX descriptor free
    uint64_t nombuf = 0;      // the mempool ran out
    uint64_t handoff = 0;     // a worker's inbox was full (software balance)
    uint64_t tx = 0;          // in-line: the peer's TX queue had no room
    uint64_t flow_table = 0;  // packets of new flows with no room in the flow table (not followed)
    uint64_t ring = 0;        // events: a worker's ring to the main lcore was full
    uint64_t publish = 0;     // messages ZeroMQ refused
    uint64_t total() const { return nic + nombuf + handoff + tx + flow_table + ring + publish; }
    Drops since(const Drops& o) const {
      return {nic - o.nic, nombuf - o.nombuf, handoff - o.handoff, tx - o.tx, flow_table - o.flow_table,
              ring - o.ring, publish - o.publish};
    }
  };
  Drops last_drops_;
  bool overload_open_ = false;
  Nanos overload_first_ = 0, overload_announced_ = 0;
};

// --exit-on-pcap-end: every port is a net_pcap and no packet came for `quiet` after one had.
class CaptureEndWatch {
 public:
  CaptureEndWatch(std::chrono::milliseconds quiet, std::chrono::milliseconds nothing_at_all)
      : quiet_(quiet), nothing_at_all_(nothing_at_all) {}
  bool ended(uint64_t rx_packets, std::chrono::steady_clock::time_point now);

 private:
  std::chrono::milliseconds quiet_, nothing_at_all_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_change_ = start_;
  uint64_t last_rx_ = 0;
};

}  // namespace wcstap::dp
