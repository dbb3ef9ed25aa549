// A dataplane worker: one lcore, the RX queues it reads (one per port at most), an inbox of packets
// other workers hand it, one Pipeline, one outgoing event ring; in-line mode, TX to the peer ports.
// Shared-nothing: the worker writes its context; the main lcore reads only the atomics in it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

#include <rte_common.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "clock.h"
#include "config/config.h"
#include "event.h"
#include "pipeline.h"
#include "session/tap_wide.h"

namespace wcstap::dp {

inline constexpr uint16_t kBurstSize = 32;
inline constexpr uint32_t kScratchSize = 16384;  // linearised chained mbufs; longer frames are cut

// How a worker dates its packets, chosen per port at start-up.
enum class TimeSource : uint8_t {
  PcapMicros,  // net_pcap: the capture's timestamp in the Rx-timestamp dynfield, in microseconds
  Tsc,         // everything else: wall clock from the TSC when the burst arrived
};
const char* time_source_name(TimeSource t);

// The Rx-timestamp dynamic field, when some PMD registered it.
struct RxTimestampField {
  int offset = -1;
  uint64_t flag = 0;
  bool present() const { return offset >= 0 && flag != 0; }
};
RxTimestampField lookup_rx_timestamp_field();

// Where the main lcore takes the events back when a worker's pipeline is finished on it.
class EventDrain {
 public:
  virtual ~EventDrain() = default;
  virtual void drain_worker(struct WorkerContext& ctx) = 0;
};

// Copies each event into the worker's SPSC ring (an rte_ring of Event-sized elements: the ring is
// the preallocated pool). Full ring: drop and count, never block. At shutdown, once the worker has
// stopped, the main lcore finishes the pipeline on its own thread and a full ring is drained instead.
class RingEventSink final : public EventSink {
 public:
  explicit RingEventSink(WorkerContext& ctx) : ctx_(ctx) {}
  void emit(const Event& ev) override;
  void drain_when_full(EventDrain* drain) { drain_ = drain; }

 private:
  WorkerContext& ctx_;
  EventDrain* drain_ = nullptr;
};

// With several workers, the facts tap-wide verdicts need (session/tap_wide.h) go to one judge on
// the main lcore: each worker's go through its own SPSC ring (full: dropped and counted).
class RingFactSink final : public TapFactSink {
 public:
  explicit RingFactSink(WorkerContext& ctx) : ctx_(ctx) {}
  void fact(const TapFact& f) override;

 private:
  WorkerContext& ctx_;
};

// A struct of uint64_t counters as relaxed atomics: the worker stores a snapshot now and then, the
// main lcore loads it for TapStats. Each field is consistent on its own; the set is a moment's
// approximation.
template <class Counters>
class CounterSnapshot {
  static_assert(std::is_trivially_copyable_v<Counters> && sizeof(Counters) % sizeof(uint64_t) == 0);

 public:
  void store(const Counters& c) {
    uint64_t w[kWords];
    std::memcpy(w, &c, sizeof w);
    for (size_t i = 0; i < kWords; ++i) words_[i].store(w[i], std::memory_order_relaxed);
  }
  Counters load() const {
    uint64_t w[kWords];
    for (size_t i = 0; i < kWords; ++i) w[i] = words_[i].load(std::memory_order_relaxed);
    Counters c;
    std::memcpy(&c, w, sizeof w);
    return c;
  }

 private:
  static constexpr size_t kWords = sizeof(Counters) / sizeof(uint64_t);
  std::array<std::atomic<uint64_t>, kWords> words_{};
};

// One (port, RX queue) a worker reads. `hand_off`: the port has fewer queues than there are workers
// (or no RSS), so this worker spreads what it reads by the software balance hash: packets of
// another worker go to that worker's inbox.
struct RxSource {
  uint16_t port_id = 0;
  uint16_t queue = 0;
  bool hand_off = false;
};

// Where a worker sends what it observed in in-line mode: the peer of each port, the TX queue it
// uses there, and whether other workers share that queue (a device with fewer TX queues than
// workers: sends then take the queue's lock).
struct TxRoute {
  uint16_t peer = 0;
  uint16_t queue = 0;
  rte_spinlock_t* shared_lock = nullptr;  // null: the queue is this worker's alone
};

// A worker's own counters (the pipeline's are PipelineCounters): counted locally by the worker,
// stored on its tick (CounterSnapshot), published in TapStats. Only uint64_t fields.
struct WorkerCounters {
  uint64_t rx_packets = 0;      // read from its own RX queues
  uint64_t rx_bytes = 0;
  uint64_t handed_off = 0;      // of those, passed to another worker's inbox
  uint64_t handoff_drops = 0;   // ... that found the inbox full (freed, counted)
  uint64_t inbox_packets = 0;   // received from other workers
  uint64_t multiseg = 0;        // chained mbufs linearised
  uint64_t truncated = 0;       // ... longer than the scratch buffer (cut)
  uint64_t tx_packets = 0;      // in-line: sent on to the peer port
  uint64_t tx_drops = 0;        // in-line: the peer's TX queue took none of them (freed)
  uint64_t busy_cycles = 0;     // TSC cycles spent on bursts that held packets
  uint64_t cycles = 0;          // TSC cycles since the loop started
  // Busy cycles per thousand: the share of its cycles spent on bursts that held packets.
  uint64_t load_permille() const { return cycles > 0 ? busy_cycles * 1000 / cycles : 0; }
};

struct alignas(RTE_CACHE_LINE_SIZE) WorkerContext {
  // Set up by the main lcore before launch, read-only for the worker.
  unsigned lcore = 0;
  uint16_t index = 0;                  // among the workers: the balance hash picks it by this
  uint16_t workers = 1;                // how many there are
  BalanceBy balance = BalanceBy::HostPair;
  std::vector<RxSource> sources;
  std::vector<rte_ring*> inboxes;      // every worker's inbox, by index (this one's too)
  rte_ring* inbox = nullptr;           // this worker's: mbufs other workers hand it (MP/SC)
  DataplaneMode mode = DataplaneMode::Mirror;
  std::vector<TxRoute> tx_by_port;     // in-line: by RX port id
  TimeSource time_source = TimeSource::Tsc;
  RxTimestampField rx_ts;
  const TscClock* clock = nullptr;
  rte_ring* events = nullptr;
  rte_ring* facts = nullptr;           // several workers: tap-wide facts for the main lcore's judge
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<uint8_t[]> scratch;
  RingEventSink sink{*this};
  RingFactSink fact_sink{*this};

  // Written by the worker only.
  alignas(RTE_CACHE_LINE_SIZE) CounterSnapshot<WorkerCounters> counters;
  std::atomic<uint64_t> ring_drops{0};  // events: the ring to the main lcore was full
  std::atomic<uint64_t> fact_drops{0};  // tap-wide facts: their ring was full
  // A packet time no packet this worker has yet to observe can be earlier than (as of its last
  // tick): with capture time, its latest packet's (a capture replays in order); with the TSC, the
  // tick's own time (packets are dated when observed). The main lcore judges tap-wide facts up to
  // the earliest of the workers' (see Collector).
  std::atomic<uint64_t> packet_time{0};
  CounterSnapshot<PipelineCounters> pipeline_counters;

  // SRTP keys replaced at run time (SIGHUP): set by the main lcore, taken by the worker at its next
  // tick. The flag is all the worker reads otherwise.
  std::atomic<bool> srtp_pending{false};
  std::mutex srtp_mutex;
  std::shared_ptr<const SrtpConfig> srtp_update;

  // Main lcore only.
  alignas(RTE_CACHE_LINE_SIZE) uint64_t events_published = 0;

  // The (port, queue) events are published as coming from: the worker's first RX source.
  uint16_t origin_port() const { return sources.empty() ? 0 : sources.front().port_id; }
  uint16_t origin_queue() const { return sources.empty() ? 0 : sources.front().queue; }

  WorkerContext() = default;
  WorkerContext(const WorkerContext&) = delete;
  WorkerContext& operator=(const WorkerContext&) = delete;
  ~WorkerContext();
};

// Set by the main lcore (signal, end of capture): every worker leaves its loop.
extern std::atomic<bool> g_workers_stop;

// The lcore entry point for rte_eal_remote_launch; `arg` is a WorkerContext*. Picks the loop
// instantiation for the context's time source once, then runs it until g_workers_stop.
int worker_main(void* arg);

// Main lcore, once every worker has stopped: observes (and in-line, sends on) what other workers
// handed to this one last, so that nothing read is left unobserved.
void finish_inbox(WorkerContext& ctx);

}  // namespace wcstap::dp
