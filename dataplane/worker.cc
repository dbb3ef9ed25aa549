#include "worker.h"

#include <cstring>
#include <span>
#include <type_traits>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

namespace wcstap::dp {

std::atomic<bool> g_workers_stop{false};

namespace {

constexpr double kTickSeconds = 0.001;         // timed work: counter snapshot, idle timers
constexpr double kIdleAdvanceSeconds = 0.050;  // live ports: timers run on while no packet comes
constexpr uint16_t kPrefetchOffset = 3;

// Worker-local counters, mirrored into the context's atomics on each tick.
struct LocalCounters {
  uint64_t rx_packets = 0;
  uint64_t multiseg = 0;
  uint64_t truncated = 0;
};

void publish_counters(WorkerContext& ctx, const LocalCounters& local) {
  ctx.rx_packets.store(local.rx_packets, std::memory_order_relaxed);
  ctx.multiseg.store(local.multiseg, std::memory_order_relaxed);
  ctx.truncated.store(local.truncated, std::memory_order_relaxed);
  ctx.pipeline_counters.store(ctx.pipeline->counters());
}

// A chained mbuf copied into the worker's scratch buffer (cut at kScratchSize).
std::span<const uint8_t> linearise(WorkerContext& ctx, const rte_mbuf* m, LocalCounters& local) {
  ++local.multiseg;
  uint32_t len = m->pkt_len;
  if (unlikely(len > kScratchSize)) {
    ++local.truncated;
    len = kScratchSize;
  }
  const void* p = rte_pktmbuf_read(m, 0, len, ctx.scratch.get());
  return {static_cast<const uint8_t*>(p), len};
}

template <TimeSource TS>
Nanos process_burst(WorkerContext& ctx, rte_mbuf** pkts, uint16_t n, Nanos ts, LocalCounters& local) {
  Pipeline& pipeline = *ctx.pipeline;
  for (uint16_t i = 0; i < n && i < kPrefetchOffset; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchOffset < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchOffset], void*));
    const rte_mbuf* m = pkts[i];
    if constexpr (TS == TimeSource::PcapMicros) {
      // A packet without the flag keeps the previous packet's time: time never jumps to the TSC.
      if (likely(m->ol_flags & ctx.rx_ts.flag))
        ts = *RTE_MBUF_DYNFIELD(m, ctx.rx_ts.offset, const uint64_t*) * 1000u;
    }
    std::span<const uint8_t> frame;
    if (likely(m->nb_segs == 1))
      frame = {rte_pktmbuf_mtod(m, const uint8_t*), m->data_len};
    else
      frame = linearise(ctx, m, local);
    pipeline.process(LinkType::Ethernet, ts, frame, m->pkt_len);
  }
  rte_pktmbuf_free_bulk(pkts, n);
  pipeline.advance(ts);
  return ts;
}

// New SRTP keys from the main lcore, already checked there (libsrtp took them): the pipeline swaps
// its keyring between bursts.
void take_srtp_keys(WorkerContext& ctx) {
  std::shared_ptr<const SrtpConfig> keys;
  {
    std::lock_guard lock(ctx.srtp_mutex);
    keys = std::move(ctx.srtp_update);
    ctx.srtp_pending.store(false, std::memory_order_relaxed);
  }
  if (!keys) return;
  try {
    ctx.pipeline->set_srtp_keys(*keys);
  } catch (const std::exception&) {
    // cannot happen: the main lcore built the same keyring before handing it over
  }
}

template <TimeSource TS>
int worker_loop(WorkerContext& ctx) {
  rte_mbuf* pkts[kBurstSize];
  const TscClock& clock = *ctx.clock;
  const uint64_t tick = clock.cycles(kTickSeconds);
  const uint64_t idle_advance = clock.cycles(kIdleAdvanceSeconds);
  LocalCounters local;
  [[maybe_unused]] Nanos last_ts = 0;        // capture time: the previous packet's
  uint64_t prev_tick = rte_rdtsc();
  [[maybe_unused]] uint64_t last_advance = prev_tick;  // TSC time: the last advance() call

  while (!g_workers_stop.load(std::memory_order_relaxed)) {
    const uint64_t now = rte_rdtsc();
    if (unlikely(now - prev_tick > tick)) {
      publish_counters(ctx, local);
      if (unlikely(ctx.srtp_pending.load(std::memory_order_acquire))) take_srtp_keys(ctx);
      if constexpr (TS == TimeSource::Tsc) {
        if (now - last_advance > idle_advance) {
          ctx.pipeline->advance(clock.at(now));
          last_advance = now;
        }
      }
      prev_tick = now;
    }

    const uint16_t n = rte_eth_rx_burst(ctx.port_id, ctx.queue, pkts, kBurstSize);
    if (n == 0) continue;
    local.rx_packets += n;
    if constexpr (TS == TimeSource::Tsc) {
      process_burst<TS>(ctx, pkts, n, clock.at(now), local);
      last_advance = now;
    } else {
      last_ts = process_burst<TS>(ctx, pkts, n, last_ts, local);
    }
  }
  publish_counters(ctx, local);
  return 0;
}

}  // namespace

const char* time_source_name(TimeSource t) {
  switch (t) {
    case TimeSource::PcapMicros: return "capture timestamps (net_pcap, us)";
    case TimeSource::Tsc: return "TSC wall clock";
  }
  return "?";
}

RxTimestampField lookup_rx_timestamp_field() {
  RxTimestampField f;
  const int offset = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
  const int bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
  if (offset >= 0 && bit >= 0) {
    f.offset = offset;
    f.flag = 1ull << bit;
  }
  return f;
}

void RingEventSink::emit(const Event& ev) {
  void* obj = const_cast<Event*>(&ev);  // rte_ring_*_elem take a non-const pointer; they only read it
  if (likely(rte_ring_sp_enqueue_elem(ctx_.events, obj, sizeof(Event)) == 0)) return;
  if (drain_ == nullptr) {
    ctx_.ring_drops.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  do {
    drain_->drain_worker(ctx_);
  } while (rte_ring_sp_enqueue_elem(ctx_.events, obj, sizeof(Event)) != 0);
}

static_assert(std::is_trivially_copyable_v<PipelineCounters>);
static_assert(sizeof(PipelineCounters) % sizeof(uint64_t) == 0);
static_assert(sizeof(Event) % 4 == 0, "rte_ring element size must be a multiple of 4");

void CounterSnapshot::store(const PipelineCounters& c) {
  uint64_t w[kWords];
  std::memcpy(w, &c, sizeof w);
  for (size_t i = 0; i < kWords; ++i) words_[i].store(w[i], std::memory_order_relaxed);
}

PipelineCounters CounterSnapshot::load() const {
  uint64_t w[kWords];
  for (size_t i = 0; i < kWords; ++i) w[i] = words_[i].load(std::memory_order_relaxed);
  PipelineCounters c;
  std::memcpy(&c, w, sizeof w);
  return c;
}

WorkerContext::~WorkerContext() {
  pipeline.reset();
  if (events != nullptr) rte_ring_free(events);
}

int worker_main(void* arg) {
  auto& ctx = *static_cast<WorkerContext*>(arg);
  switch (ctx.time_source) {
    case TimeSource::PcapMicros: return worker_loop<TimeSource::PcapMicros>(ctx);
    case TimeSource::Tsc: return worker_loop<TimeSource::Tsc>(ctx);
  }
  return -1;
}

}  // namespace wcstap::dp
