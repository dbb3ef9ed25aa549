#include "collector.h"

#include <algorithm>
#include <cstdio>

#include <rte_ring.h>
#include <spdlog/spdlog.h>

#include "clock.h"

namespace wcstap::dp {

namespace {
constexpr unsigned kDrainBurst = 32;
}

Collector::Collector(const Config& cfg, Publisher& publisher, const std::vector<Port>& ports,
                     const std::vector<std::unique_ptr<WorkerContext>>& workers, double stats_interval_s)
    : cfg_(cfg),
      publisher_(publisher),
      ports_(ports),
      workers_(workers),
      interval_s_(stats_interval_s),
      judge_sink_(publisher),
      judge_(cfg, judge_sink_) {}

void Collector::JudgeSink::emit(const Event& ev) {
  ++counters.events;
  if (const auto* a = std::get_if<AnomalyEvent>(&ev); a != nullptr && a->state == AnomalyState::Raised)
    ++counters.anomalies_raised;
  publisher_.event(ev, codec::Origin::tap_wide());
}

void Collector::pull_facts() {
  TapFact buf[kDrainBurst];
  for (const auto& w : workers_) {
    if (w->facts == nullptr) continue;
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst_elem(w->facts, buf, sizeof(TapFact), kDrainBurst, nullptr)) > 0)
      for (unsigned i = 0; i < n; ++i) pending_facts_.push_back({buf[i], w->index, fact_seq_++});
  }
}

void Collector::judge_until(Nanos watermark) {
  if (pending_facts_.empty()) return;
  // Packet time first; the same time from two workers in a fixed order.
  std::sort(pending_facts_.begin(), pending_facts_.end(), [](const PendingFact& a, const PendingFact& b) {
    if (a.fact.ts != b.fact.ts) return a.fact.ts < b.fact.ts;
    if (a.worker != b.worker) return a.worker < b.worker;
    return a.seq < b.seq;
  });
  size_t done = 0;
  while (done < pending_facts_.size() && pending_facts_[done].fact.ts <= watermark) judge_.fact(pending_facts_[done++].fact);
  pending_facts_.erase(pending_facts_.begin(), pending_facts_.begin() + static_cast<long>(done));
}

void Collector::judge_facts() {
  if (workers_.size() < 2) return;
  // The times first (acquire), then the rings: every fact up to a worker's time is in its ring.
  Nanos watermark = ~Nanos{0};
  for (const auto& w : workers_) watermark = std::min<Nanos>(watermark, w->packet_time.load(std::memory_order_acquire));
  pull_facts();
  judge_until(watermark);
}

void Collector::judge_remaining_facts() {
  pull_facts();
  judge_until(~Nanos{0});
}

size_t Collector::drain_some() {
  Event buf[kDrainBurst];
  size_t total = 0;
  for (const auto& w : workers_) {
    const unsigned n = rte_ring_sc_dequeue_burst_elem(w->events, buf, sizeof(Event), kDrainBurst, nullptr);
    for (unsigned i = 0; i < n; ++i) publisher_.event(buf[i], {w->origin_port(), w->origin_queue(), w->index});
    w->events_published += n;
    total += n;
  }
  judge_facts();
  return total;
}

void Collector::drain_worker(WorkerContext& ctx) {
  Event buf[kDrainBurst];
  unsigned n;
  while ((n = rte_ring_sc_dequeue_burst_elem(ctx.events, buf, sizeof(Event), kDrainBurst, nullptr)) > 0) {
    for (unsigned i = 0; i < n; ++i) publisher_.event(buf[i], {ctx.origin_port(), ctx.origin_queue(), ctx.index});
    ctx.events_published += n;
  }
}

void Collector::drain_all() {
  for (const auto& w : workers_) drain_worker(*w);
  publisher_.flush();
}

uint64_t Collector::rx_packets() const {
  uint64_t n = 0;
  for (const auto& w : workers_) n += w->counters.load().rx_packets;
  return n;
}

TapStatsSample Collector::sample() const {
  TapStatsSample s;
  s.uptime_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_).count());
  for (const auto& p : ports_) s.ports.push_back({p.port_id, p.name, read_port_counters(p)});
  for (const auto& w : workers_) {
    WorkerStatsSample ws;
    ws.lcore = w->lcore;
    ws.index = w->index;
    ws.port_id = w->origin_port();
    ws.queue = w->origin_queue();
    ws.counters = w->counters.load();
    ws.pipeline = w->pipeline_counters.load();
    ws.ring_drops = w->ring_drops.load(std::memory_order_relaxed);
    ws.fact_drops = w->fact_drops.load(std::memory_order_relaxed);
    ws.events_published = w->events_published;
    s.totals.add(ws.pipeline);
    s.workers.push_back(ws);
  }
  s.totals.add(judge_sink_.counters);  // tap-wide verdicts judged here count with the workers'
  s.publish_drops = publisher_.drops();
  return s;
}

void Collector::check_overload(const TapStatsSample& s) {
  Drops now;
  for (const auto& p : s.ports) {
    now.nic += p.counters.imissed;
    now.nombuf += p.counters.rx_nombuf;
  }
  for (const auto& w : s.workers) {
    now.ring += w.fact_drops;
    now.handoff += w.counters.handoff_drops;
    now.tx += w.counters.tx_drops;
    now.flow_table += w.pipeline.flow_table_full;
    now.ring += w.ring_drops;
  }
  now.publish = s.publish_drops;
  const Drops d = now.since(last_drops_);
  last_drops_ = now;

  const KindSettings& kind = cfg_.anomalies[AnomalyKind::tap_overload];
  if (!kind.enabled) return;
  const Nanos t = wall_clock_ns();
  const auto refresh = static_cast<Nanos>(cfg_.anomalies.refresh_interval_s * 1e9);
  AnomalyEvent ev;
  ev.kind = AnomalyKind::tap_overload;
  ev.severity = kind.severity;
  ev.l4 = L4::Other;
  ev.ts = t;
  ev.value = static_cast<double>(d.total());
  ev.threshold = 1;
  if (d.total() > 0) {
    if (!overload_open_) {
      overload_open_ = true;
      overload_first_ = t;
      ev.state = AnomalyState::Raised;
    } else if (t - overload_announced_ >= refresh) {
      ev.state = AnomalyState::Refreshed;
    } else {
      return;
    }
    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    std::snprintf(ev.detail, sizeof ev.detail,
                  "tap lost %llu in %.1f s: nic %llu, no mbuf %llu, hand-off %llu, tx %llu, flow table full %llu, "
                  "event/fact rings %llu, publish %llu",
                  u(d.total()), interval_s_, u(d.nic), u(d.nombuf), u(d.handoff), u(d.tx), u(d.flow_table), u(d.ring),
                  u(d.publish));
    spdlog::warn("{}", ev.detail);
  } else if (overload_open_) {
    overload_open_ = false;
    ev.state = AnomalyState::Resolved;
    std::snprintf(ev.detail, sizeof ev.detail, "no tap drop in the last %.1f s", interval_s_);
  } else {
    return;
  }
  ev.first_ts = overload_first_;
  overload_announced_ = t;
  publisher_.event(ev, codec::Origin::tap_wide());
}

bool CaptureEndWatch::ended(uint64_t rx_packets, std::chrono::steady_clock::time_point now) {
  if (rx_packets != last_rx_) {
    last_rx_ = rx_packets;
    last_change_ = now;
    return false;
  }
  if (rx_packets == 0) return now - start_ >= nothing_at_all_;
  return now - last_change_ >= quiet_;
}

}  // namespace wcstap::dp
