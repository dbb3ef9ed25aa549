#include "worker.h"

#include "balance.h"

#include <array>
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

// The worker counts in a local WorkerCounters and stores it into the context on each tick.
void publish_counters(WorkerContext& ctx, WorkerCounters& local, uint64_t cycles) {
  local.cycles = cycles;
  ctx.counters.store(local);
  ctx.pipeline_counters.store(ctx.pipeline->counters());
}

// A chained mbuf copied into the worker's scratch buffer (cut at kScratchSize).
std::span<const uint8_t> linearise(WorkerContext& ctx, const rte_mbuf* m, WorkerCounters& local) {
  ++local.multiseg;
  uint32_t len = m->pkt_len;
  if (unlikely(len > kScratchSize)) {
    ++local.truncated;
    len = kScratchSize;
  }
  const void* p = rte_pktmbuf_read(m, 0, len, ctx.scratch.get());
  return {static_cast<const uint8_t*>(p), len};
}

// In-line mode: what a worker observed goes out on the peer port, batched per peer.
class Forwarder {
 public:
  explicit Forwarder(WorkerContext& ctx) : ctx_(ctx), batches_(ctx.tx_by_port.size()) {}

  void add(rte_mbuf* m, WorkerCounters& local) {
    Batch& b = batches_[m->port];
    b.pkts[b.n++] = m;
    if (b.n == kBurstSize) flush(m->port, local);
  }
  void flush_all(WorkerCounters& local) {
    for (uint16_t p = 0; p < batches_.size(); ++p)
      if (batches_[p].n != 0) flush(p, local);
  }

 private:
  static constexpr int kRetries = 2;  // a queue briefly full gets two more tries, then the rest is dropped
  struct Batch {
    uint16_t n = 0;
    rte_mbuf* pkts[kBurstSize];
  };
  void flush(uint16_t port, WorkerCounters& local) {
    Batch& b = batches_[port];
    const TxRoute& r = ctx_.tx_by_port[port];
    uint16_t sent = 0;
    if (r.shared_lock != nullptr) rte_spinlock_lock(r.shared_lock);
    for (int t = 0; t <= kRetries && sent < b.n; ++t)
      sent += rte_eth_tx_burst(r.peer, r.queue, b.pkts + sent, static_cast<uint16_t>(b.n - sent));
    if (r.shared_lock != nullptr) rte_spinlock_unlock(r.shared_lock);
    local.tx_packets += sent;
    if (unlikely(sent < b.n)) {
      local.tx_drops += b.n - sent;
      rte_pktmbuf_free_bulk(b.pkts + sent, b.n - sent);
    }
    b.n = 0;
  }
  WorkerContext& ctx_;
  std::vector<Batch> batches_;
};

// Software balance: keeps this worker's packets at the front of `pkts` (in order) and hands the
// others to their worker's inbox; a full inbox drops and counts. Returns how many were kept.
class HandOff {
 public:
  explicit HandOff(WorkerContext& ctx)
      : ctx_(ctx), out_(static_cast<size_t>(ctx.workers) * kBurstSize), n_(ctx.workers) {}

  uint16_t split(rte_mbuf** pkts, uint16_t n, WorkerCounters& local) {
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      const uint32_t h = balance_hash({rte_pktmbuf_mtod(m, const uint8_t*), m->data_len}, ctx_.balance);
      const uint32_t w = worker_of(h, ctx_.workers);
      if (w == ctx_.index)
        pkts[kept++] = m;
      else
        out_[w * kBurstSize + n_[w]++] = m;
    }
    for (uint16_t w = 0; w < ctx_.workers; ++w) {
      if (n_[w] == 0) continue;
      rte_mbuf** batch = &out_[w * kBurstSize];
      const unsigned sent = rte_ring_mp_enqueue_burst(ctx_.inboxes[w], reinterpret_cast<void**>(batch), n_[w], nullptr);
      local.handed_off += sent;
      if (unlikely(sent < n_[w])) {
        local.handoff_drops += n_[w] - sent;
        rte_pktmbuf_free_bulk(batch + sent, n_[w] - sent);
      }
      n_[w] = 0;
    }
    return kept;
  }

 private:
  WorkerContext& ctx_;
  std::vector<rte_mbuf*> out_;
  std::vector<uint16_t> n_;
};

// Observes a burst, then frees it (mirror) or sends it on (in-line). The pipeline stages the burst
// (fetches every frame's headers, decodes every frame before it analyses the first).
template <TimeSource TS, DataplaneMode M>
Nanos process_burst(WorkerContext& ctx, Forwarder& fwd, rte_mbuf** pkts, uint16_t n, Nanos ts,
                    WorkerCounters& local) {
  Pipeline& pipeline = *ctx.pipeline;
  std::array<Pipeline::Frame, kBurstSize> frames;
  uint16_t staged = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const rte_mbuf* m = pkts[i];
    if constexpr (TS == TimeSource::PcapMicros) {
      // A packet without the flag keeps the previous packet's time: time never jumps to the TSC.
      if (likely(m->ol_flags & ctx.rx_ts.flag))
        ts = *RTE_MBUF_DYNFIELD(m, ctx.rx_ts.offset, const uint64_t*) * 1000u;
    }
    if (likely(m->nb_segs == 1)) {
      frames[staged++] = {ts, {rte_pktmbuf_mtod(m, const uint8_t*), m->data_len}, m->pkt_len};
      continue;
    }
    // A chained mbuf is read into the one scratch buffer: the frames before it go first, then it.
    pipeline.process_burst(LinkType::Ethernet, {frames.data(), staged});
    staged = 0;
    pipeline.process(LinkType::Ethernet, ts, linearise(ctx, m, local), m->pkt_len);
  }
  pipeline.process_burst(LinkType::Ethernet, {frames.data(), staged});
  if constexpr (M == DataplaneMode::Inline) {
    for (uint16_t i = 0; i < n; ++i) fwd.add(pkts[i], local);
    fwd.flush_all(local);
  } else {
    (void)fwd;
    rte_pktmbuf_free_bulk(pkts, n);
  }
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

uint64_t burst_bytes(rte_mbuf* const* pkts, uint16_t n) {
  uint64_t b = 0;
  for (uint16_t i = 0; i < n; ++i) b += pkts[i]->pkt_len;
  return b;
}

template <TimeSource TS, DataplaneMode M>
int worker_loop(WorkerContext& ctx) {
  rte_mbuf* pkts[kBurstSize];
  const TscClock& clock = *ctx.clock;
  const uint64_t tick = clock.cycles(kTickSeconds);
  const uint64_t idle_advance = clock.cycles(kIdleAdvanceSeconds);
  WorkerCounters local;
  Forwarder fwd(ctx);
  HandOff hand_off(ctx);
  [[maybe_unused]] Nanos last_ts = 0;        // capture time: the previous packet's
  const uint64_t start = rte_rdtsc();
  uint64_t prev_tick = start;
  [[maybe_unused]] uint64_t last_advance = prev_tick;  // TSC time: the last advance() call

  // One burst observed: its time (capture time carries on from the previous packet).
  auto observe = [&](rte_mbuf** b, uint16_t n, uint64_t now) {
    if constexpr (TS == TimeSource::Tsc) {
      process_burst<TS, M>(ctx, fwd, b, n, clock.at(now), local);
      last_advance = now;
    } else {
      last_ts = process_burst<TS, M>(ctx, fwd, b, n, last_ts, local);
    }
  };

  while (!g_workers_stop.load(std::memory_order_relaxed)) {
    const uint64_t now = rte_rdtsc();
    if (unlikely(now - prev_tick > tick)) {
      publish_counters(ctx, local, now - start);
      // After the facts of that time went into their ring (release): the main lcore reads the time,
      // then the ring.
      if constexpr (TS == TimeSource::Tsc)
        ctx.packet_time.store(clock.at(now) - 1, std::memory_order_release);
      else
        ctx.packet_time.store(ctx.pipeline->last_packet_time(), std::memory_order_release);
      if (unlikely(ctx.srtp_pending.load(std::memory_order_acquire))) take_srtp_keys(ctx);
      if constexpr (TS == TimeSource::Tsc) {
        if (now - last_advance > idle_advance) {
          ctx.pipeline->advance(clock.at(now));
          last_advance = now;
        }
      }
      prev_tick = now;
    }

    bool busy = false;
    for (const RxSource& src : ctx.sources) {
      uint16_t n = rte_eth_rx_burst(src.port_id, src.queue, pkts, kBurstSize);
      if (n == 0) continue;
      busy = true;
      local.rx_packets += n;
      local.rx_bytes += burst_bytes(pkts, n);
      if (src.hand_off) n = hand_off.split(pkts, n, local);
      if (n != 0) observe(pkts, n, now);
    }
    if (ctx.inbox != nullptr) {
      const unsigned n = rte_ring_sc_dequeue_burst(ctx.inbox, reinterpret_cast<void**>(pkts), kBurstSize, nullptr);
      if (n != 0) {
        busy = true;
        local.inbox_packets += n;
        observe(pkts, static_cast<uint16_t>(n), now);
      }
    }
    if (busy) local.busy_cycles += rte_rdtsc() - now;
  }
  publish_counters(ctx, local, rte_rdtsc() - start);
  return 0;
}

// Calls f(time source, mode) with both as compile-time constants: the one place the context's
// run-time choices pick an instantiation (the loop, the last inbox at stop).
template <class F>
decltype(auto) with_modes(const WorkerContext& ctx, F&& f) {
  using Pcap = std::integral_constant<TimeSource, TimeSource::PcapMicros>;
  using Tsc = std::integral_constant<TimeSource, TimeSource::Tsc>;
  using Inline = std::integral_constant<DataplaneMode, DataplaneMode::Inline>;
  using Mirror = std::integral_constant<DataplaneMode, DataplaneMode::Mirror>;
  const bool pcap = ctx.time_source == TimeSource::PcapMicros;
  if (ctx.mode == DataplaneMode::Inline) return pcap ? f(Pcap{}, Inline{}) : f(Tsc{}, Inline{});
  return pcap ? f(Pcap{}, Mirror{}) : f(Tsc{}, Mirror{});
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

void RingFactSink::fact(const TapFact& f) {
  void* obj = const_cast<TapFact*>(&f);
  if (unlikely(rte_ring_sp_enqueue_elem(ctx_.facts, obj, sizeof(TapFact)) != 0))
    ctx_.fact_drops.fetch_add(1, std::memory_order_relaxed);
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

static_assert(sizeof(Event) % 4 == 0, "rte_ring element size must be a multiple of 4");
static_assert(sizeof(TapFact) % 4 == 0 && std::is_trivially_copyable_v<TapFact>, "a TapFact travels by rte_ring");

WorkerContext::~WorkerContext() {
  pipeline.reset();
  if (events != nullptr) rte_ring_free(events);
  if (facts != nullptr) rte_ring_free(facts);
  if (inbox != nullptr) {
    rte_mbuf* m;
    while (rte_ring_sc_dequeue(inbox, reinterpret_cast<void**>(&m)) == 0) rte_pktmbuf_free(m);
    rte_ring_free(inbox);
  }
}

int worker_main(void* arg) {
  auto& ctx = *static_cast<WorkerContext*>(arg);
  return with_modes(ctx, [&](auto ts, auto mode) { return worker_loop<decltype(ts)::value, decltype(mode)::value>(ctx); });
}

void finish_inbox(WorkerContext& ctx) {
  if (ctx.inbox == nullptr) return;
  rte_mbuf* pkts[kBurstSize];
  unsigned n;
  Forwarder fwd(ctx);
  while ((n = rte_ring_sc_dequeue_burst(ctx.inbox, reinterpret_cast<void**>(pkts), kBurstSize, nullptr)) > 0) {
    // The main lcore, once every worker has stopped: what other workers handed over last. Its time
    // is the capture's when the packets carry one, else now; in-line, it still goes out.
    Nanos ts = ctx.pipeline->last_packet_time();
    if (ctx.time_source == TimeSource::Tsc) ts = ctx.clock->at(rte_rdtsc());
    WorkerCounters local;
    with_modes(ctx, [&](auto time_source, auto mode) {
      process_burst<decltype(time_source)::value, decltype(mode)::value>(ctx, fwd, pkts, static_cast<uint16_t>(n), ts, local);
    });
    // The worker has stopped: its counters are the main lcore's to carry on.
    WorkerCounters c = ctx.counters.load();
    c.inbox_packets += n;
    c.multiseg += local.multiseg;
    c.truncated += local.truncated;
    c.tx_packets += local.tx_packets;
    c.tx_drops += local.tx_drops;
    ctx.counters.store(c);
  }
}

}  // namespace wcstap::dp
