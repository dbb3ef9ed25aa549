// The tap's ZeroMQ side: an XPUB socket (so the tap sees its subscribers), one sequence number per
// message, FlatBuffers envelopes built with schema/codec. Main lcore only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <zmq.hpp>

#include "codec.h"
#include "event.h"
#include "pipeline.h"
#include "port.h"

namespace wcstap::dp {

struct WorkerStatsSample {
  unsigned lcore = 0;
  uint16_t index = 0;
  uint16_t port_id = 0, queue = 0;  // its first RX queue
  WorkerCounters counters;
  PipelineCounters pipeline;
  uint64_t ring_drops = 0, fact_drops = 0, events_published = 0;
};

struct PortStatsSample {
  uint16_t port_id = 0;
  std::string name;
  PortCounters counters;
};

struct TapStatsSample {
  uint64_t uptime_ns = 0;
  std::vector<PortStatsSample> ports;
  std::vector<WorkerStatsSample> workers;
  PipelineCounters totals;
  uint64_t publish_drops = 0;
};

class Publisher {
 public:
  // Binds the endpoint; throws SetupError when it cannot.
  Publisher(const std::string& endpoint, std::string tap_id, uint32_t send_hwm);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Reads subscription messages for up to timeout_ms (0: only what is there).
  void poll(int timeout_ms);
  // Waits until a subscriber is there, `timeout` passes or `quit` is set. True: one is there.
  bool wait_for_subscriber(std::chrono::milliseconds timeout, const std::atomic<bool>& quit);
  unsigned subscribers() const { return subscribers_; }

  void hello(const std::vector<Port>& ports, unsigned workers);
  void event(const Event& ev, codec::Origin origin);  // flow reports are batched
  void flush();                                      // sends the pending flow batch
  void stats(const TapStatsSample& s);
  void heartbeat(uint64_t uptime_ns);
  void goodbye(const std::string& reason, const TapStatsSample& s);

  // Shutdown: until `deadline`, a full send queue is waited on instead of dropping the message.
  void set_patient_until(std::chrono::steady_clock::time_point deadline) { patient_until_ = deadline; }
  // Closes the socket, waiting up to `linger` for queued messages to leave.
  void close(std::chrono::milliseconds linger);

  uint64_t sent() const { return sent_; }
  uint64_t drops() const { return drops_; }

 private:
  void send(msg::Body type, flatbuffers::Offset<void> body);
  flatbuffers::Offset<msg::TapStats> build_stats(const TapStatsSample& s);

  zmq::context_t zctx_;
  zmq::socket_t sock_;
  std::string tap_id_;
  flatbuffers::FlatBufferBuilder fbb_{4096};
  std::vector<std::pair<FlowEvent, codec::Origin>> pending_flows_;
  uint64_t seq_ = 0;
  uint64_t sent_ = 0;
  uint64_t drops_ = 0;
  unsigned subscribers_ = 0;
  std::chrono::steady_clock::time_point patient_until_{};
  bool closed_ = false;
};

}  // namespace wcstap::dp
