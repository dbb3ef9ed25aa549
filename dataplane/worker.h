// A dataplane worker: one lcore, one (port, RX queue), one Pipeline, one outgoing event ring.
// Shared-nothing: the worker writes its context; the main lcore reads only the atomics in it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <rte_common.h>
#include <rte_ring.h>

#include "clock.h"
#include "event.h"
#include "pipeline.h"

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

// PipelineCounters as relaxed atomics: the worker stores a snapshot now and then, the main lcore
// loads it for TapStats. Each field is consistent on its own; the set is a moment's approximation.
class CounterSnapshot {
 public:
  void store(const PipelineCounters& c);
  PipelineCounters load() const;

 private:
  static constexpr size_t kWords = sizeof(PipelineCounters) / sizeof(uint64_t);
  std::array<std::atomic<uint64_t>, kWords> words_{};
};

struct alignas(RTE_CACHE_LINE_SIZE) WorkerContext {
  // Set up by the main lcore before launch, read-only for the worker.
  unsigned lcore = 0;
  uint16_t port_id = 0;
  uint16_t queue = 0;
  TimeSource time_source = TimeSource::Tsc;
  RxTimestampField rx_ts;
  const TscClock* clock = nullptr;
  rte_ring* events = nullptr;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<uint8_t[]> scratch;
  RingEventSink sink{*this};

  // Written by the worker only.
  alignas(RTE_CACHE_LINE_SIZE) std::atomic<uint64_t> rx_packets{0};
  std::atomic<uint64_t> multiseg{0};
  std::atomic<uint64_t> truncated{0};
  std::atomic<uint64_t> ring_drops{0};
  CounterSnapshot pipeline_counters;

  // SRTP keys replaced at run time (SIGHUP): set by the main lcore, taken by the worker at its next
  // tick. The flag is all the worker reads otherwise.
  std::atomic<bool> srtp_pending{false};
  std::mutex srtp_mutex;
  std::shared_ptr<const SrtpConfig> srtp_update;

  // Main lcore only.
  alignas(RTE_CACHE_LINE_SIZE) uint64_t events_published = 0;

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

}  // namespace wcstap::dp
