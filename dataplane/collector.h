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

  struct Drops {
    uint64_t nic = 0, nombuf = 0, ring = 0, publish = 0;
    uint64_t total() const { return nic + nombuf + ring + publish; }
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
