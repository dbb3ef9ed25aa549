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
#include "session/tap_wide.h"
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

  // Several workers: the tap-wide facts (session/tap_wide.h) of every worker, judged once, in packet
  // time: those up to the earliest of the workers' published times (a worker's facts up to its time
  // are in its ring by then, and none of its later ones can be earlier). A capture replayed with a
  // worker that sees few packets holds them back until it does, or the end. Called with drain_some().
  void judge_facts();
  // Once the workers have stopped and finished: every fact left, in time order.
  void judge_remaining_facts();

 private:
  // The judge's events: counted (they join the workers' totals) and published.
  class JudgeSink final : public EventSink {
   public:
    explicit JudgeSink(Publisher& p) : publisher_(p) {}
    void emit(const Event& ev) override;
    PipelineCounters counters;

   private:
    Publisher& publisher_;
  };
  struct PendingFact {
    TapFact fact;
    uint16_t worker;
    uint64_t seq;
  };
  void pull_facts();
  void judge_until(Nanos watermark);

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
    uint64_t ring = 0;        // events and tap-wide facts: a worker's ring to the main lcore was full
    uint64_t publish = 0;     // messages ZeroMQ refused
    uint64_t total() const { return nic + nombuf + handoff + tx + flow_table + ring + publish; }
    Drops since(const Drops& o) const {
      return {nic - o.nic, nombuf - o.nombuf, handoff - o.handoff, tx - o.tx, flow_table - o.flow_table,
              ring - o.ring, publish - o.publish};
    }
  };
  JudgeSink judge_sink_;
  TapWideJudge judge_;
  std::vector<PendingFact> pending_facts_;
  uint64_t fact_seq_ = 0;
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
