#include "publisher.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "clock.h"

#ifndef WCSTAP_VERSION
#define WCSTAP_VERSION "unknown"
#endif

namespace wcstap::dp {

namespace {
constexpr size_t kFlowBatch = 64;
}

Publisher::Publisher(const std::string& endpoint, std::string tap_id, uint32_t send_hwm)
    : zctx_(1), sock_(zctx_, zmq::socket_type::xpub), tap_id_(std::move(tap_id)) {
  try {
    sock_.set(zmq::sockopt::sndhwm, static_cast<int>(send_hwm));
    sock_.set(zmq::sockopt::xpub_verboser, 1);  // every (un)subscription reaches us: count subscribers
    sock_.set(zmq::sockopt::xpub_nodrop, 1);    // a full queue is an error we count, not a silent loss
    sock_.set(zmq::sockopt::linger, 0);
    sock_.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw SetupError("cannot publish on '" + endpoint + "' (zmq.publish / --publish): " + e.what());
  }
  spdlog::info("publishing on {} as tap '{}'", endpoint, tap_id_);
}

Publisher::~Publisher() {
  if (!closed_) close(std::chrono::milliseconds(0));
}

void Publisher::poll(int timeout_ms) {
  zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
  try {
    if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) <= 0) return;
    zmq::message_t m;
    while (sock_.recv(m, zmq::recv_flags::dontwait)) {
      if (m.size() == 0) continue;
      const auto* b = static_cast<const uint8_t*>(m.data());
      if (b[0] == 1) {
        ++subscribers_;
        spdlog::info("subscriber joined (topic '{}'), {} subscription(s)",
                     std::string_view(reinterpret_cast<const char*>(b + 1), m.size() - 1), subscribers_);
      } else if (b[0] == 0 && subscribers_ > 0) {
        --subscribers_;
        spdlog::info("subscriber left, {} subscription(s)", subscribers_);
      }
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) spdlog::warn("zmq poll: {}", e.what());
  }
}

bool Publisher::wait_for_subscriber(std::chrono::milliseconds timeout, const std::atomic<bool>& quit) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (subscribers_ == 0 && !quit.load()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    poll(static_cast<int>(std::min<int64_t>(left.count(), 100)));
  }
  return subscribers_ > 0;
}

void Publisher::send(msg::Body type, flatbuffers::Offset<void> body) {
  codec::finish_envelope(fbb_, tap_id_, seq_++, wall_clock_ns(), type, body);
  const std::string_view topic = codec::topic_of(type);
  for (;;) {
    try {
      // Multipart messages are atomic: once the topic frame is taken, the body frame is too.
      if (sock_.send(zmq::const_buffer(topic.data(), topic.size()), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        sock_.send(zmq::const_buffer(fbb_.GetBufferPointer(), fbb_.GetSize()), zmq::send_flags::dontwait);
        ++sent_;
        break;
      }
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) {
        spdlog::warn("zmq send: {}", e.what());
        ++drops_;
        break;
      }
    }
    // EAGAIN: a subscriber's queue is at its high-water mark.
    if (std::chrono::steady_clock::now() >= patient_until_) {
      ++drops_;
      break;
    }
    poll(1);
  }
  fbb_.Clear();
}

void Publisher::hello(const std::vector<Port>& ports, unsigned workers) {
  std::vector<flatbuffers::Offset<msg::PortInfo>> infos;
  for (const auto& p : ports)
    infos.push_back(msg::CreatePortInfo(fbb_, p.port_id, fbb_.CreateString(p.name), fbb_.CreateString(p.driver),
                                        p.rx_queues));
  const auto body = msg::CreateHello(fbb_, fbb_.CreateString(tap_id_), fbb_.CreateString(WCSTAP_VERSION),
                                     fbb_.CreateVector(infos), static_cast<uint16_t>(workers),
                                     static_cast<uint32_t>(getpid()));
  send(msg::Body::Hello, body.Union());
}

void Publisher::event(const Event& ev, codec::Origin origin) {
  if (const auto* flow = std::get_if<FlowEvent>(&ev)) {
    pending_flows_.emplace_back(*flow, origin);
    if (pending_flows_.size() >= kFlowBatch) flush();
    return;
  }
  flush();  // keeps the order of events across types
  if (const auto* a = std::get_if<AnomalyEvent>(&ev)) {
    send(msg::Body::Anomaly, codec::encode(fbb_, *a, origin).Union());
  } else if (const auto* r = std::get_if<RtpStreamEvent>(&ev)) {
    send(msg::Body::RtpStream, codec::encode(fbb_, *r, origin).Union());
  } else if (const auto* c = std::get_if<RtcpStreamEvent>(&ev)) {
    send(msg::Body::RtcpStream, codec::encode(fbb_, *c, origin).Union());
  } else if (const auto* w = std::get_if<WebrtcSessionEvent>(&ev)) {
    send(msg::Body::WebrtcSession, codec::encode(fbb_, *w, origin).Union());
  } else if (const auto* g = std::get_if<SignallingEvent>(&ev)) {
    send(msg::Body::Signalling, codec::encode(fbb_, *g, origin).Union());
  }
}

void Publisher::flush() {
  if (pending_flows_.empty()) return;
  std::vector<flatbuffers::Offset<msg::Flow>> flows;
  flows.reserve(pending_flows_.size());
  for (const auto& [f, origin] : pending_flows_) flows.push_back(codec::encode(fbb_, f, origin));
  pending_flows_.clear();
  send(msg::Body::FlowStats, msg::CreateFlowStats(fbb_, fbb_.CreateVector(flows)).Union());
}

flatbuffers::Offset<msg::TapStats> Publisher::build_stats(const TapStatsSample& s) {
  std::vector<flatbuffers::Offset<msg::PortStats>> ports;
  for (const auto& p : s.ports) {
    const PortCounters& c = p.counters;
    const auto name = fbb_.CreateString(p.name);
    const auto qp = fbb_.CreateVector(c.rx_queue_packets);
    const auto qb = fbb_.CreateVector(c.rx_queue_bytes);
    ports.push_back(msg::CreatePortStats(fbb_, p.port_id, name, c.rx_packets, c.rx_bytes, c.imissed, c.ierrors,
                                         c.rx_nombuf, c.tx_packets, c.tx_bytes, c.oerrors, c.mbufs, c.mbufs_in_use,
                                         qp, qb));
  }
  std::vector<flatbuffers::Offset<msg::WorkerStats>> workers;
  for (const auto& w : s.workers) {
    const auto pipeline = codec::encode(fbb_, w.pipeline);
    const WorkerCounters& c = w.counters;
    workers.push_back(msg::CreateWorkerStats(fbb_, w.lcore, w.port_id, w.queue, c.rx_packets, c.multiseg, c.truncated,
                                             pipeline, w.ring_drops, w.events_published, w.index, c.rx_bytes,
                                             c.handed_off, c.handoff_drops, c.inbox_packets, c.tx_packets, c.tx_drops,
                                             c.busy_cycles, c.cycles, w.fact_drops));
  }
  const auto totals = codec::encode(fbb_, s.totals);
  return msg::CreateTapStats(fbb_, s.uptime_ns, fbb_.CreateVector(ports), fbb_.CreateVector(workers), totals,
                             s.publish_drops);
}

void Publisher::stats(const TapStatsSample& s) {
  flush();
  send(msg::Body::TapStats, build_stats(s).Union());
}

void Publisher::heartbeat(uint64_t uptime_ns) {
  flush();
  send(msg::Body::Heartbeat, msg::CreateHeartbeat(fbb_, uptime_ns).Union());
}

void Publisher::goodbye(const std::string& reason, const TapStatsSample& s) {
  flush();
  const auto stats = build_stats(s);
  send(msg::Body::Goodbye, msg::CreateGoodbye(fbb_, fbb_.CreateString(reason), stats).Union());
}

void Publisher::close(std::chrono::milliseconds linger) {
  if (closed_) return;
  closed_ = true;
  try {
    sock_.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
    sock_.close();
    zctx_.close();  // waits (up to the linger) until queued messages have left
  } catch (const zmq::error_t& e) {
    spdlog::warn("zmq close: {}", e.what());
  }
}

}  // namespace wcstap::dp
