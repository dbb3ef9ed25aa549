// wcstap-control: reads one or more taps over ZeroMQ and prints what they report, as operator words
// or (--json) the same JSON lines as wcstap-analyze --json.
//
//   wcstap-control [-c CONFIG] [--connect EP]... [--json] [--until-goodbye] [--timeout S]

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "codec.h"
#include "config/config.h"
#include "output/format.h"
#include "tap_tracker.h"

namespace wcstap::control {
namespace {

std::atomic<bool> g_quit{false};
void on_signal(int) { g_quit.store(true); }

struct Options {
  std::string config;
  std::vector<std::string> connect;
  bool json = false;
  bool flows = false;
  bool until_goodbye = false;
  bool tap_stats = false;
  std::optional<double> timeout_s;
  std::string log_level = "info";
};

// A worker's load: the share of its cycles spent on bursts that held packets, in percent.
double load_pct(const msg::WorkerStats& w) {
  return w.cycles() > 0 ? 100.0 * static_cast<double>(w.busy_cycles()) / static_cast<double>(w.cycles()) : 0.0;
}

// A tap's statistics as one JSON object: ports (with the device's per-queue counts and the mbuf
// pool), workers (their queues' packets, hand-offs, in-line TX, load) and what the tap lost.
std::string tap_stats_to_json(std::string_view tap, const msg::TapStats& s, bool final) {
  using Json = nlohmann::ordered_json;
  Json j;
  j["type"] = "tap_stats";
  j["tap"] = tap;
  j["final"] = final;
  j["uptime_s"] = static_cast<double>(s.uptime_ns()) / 1e9;
  Json ports = Json::array();
  if (s.ports())
    for (const auto* p : *s.ports()) {
      Json o;
      o["port"] = p->port_id();
      o["name"] = p->name() ? p->name()->str() : "";
      o["rx_packets"] = p->rx_packets();
      o["rx_bytes"] = p->rx_bytes();
      o["imissed"] = p->imissed();
      o["ierrors"] = p->ierrors();
      o["rx_nombuf"] = p->rx_nombuf();
      o["tx_packets"] = p->tx_packets();
      o["tx_bytes"] = p->tx_bytes();
      o["oerrors"] = p->oerrors();
      o["mbufs"] = p->mbufs();
      o["mbufs_in_use"] = p->mbufs_in_use();
      Json q = Json::array();
      if (p->rx_queue_packets())
        for (size_t i = 0; i < p->rx_queue_packets()->size(); ++i)
          q.push_back({{"queue", i},
                       {"packets", p->rx_queue_packets()->Get(static_cast<flatbuffers::uoffset_t>(i))},
                       {"bytes", p->rx_queue_bytes() && i < p->rx_queue_bytes()->size()
                                     ? p->rx_queue_bytes()->Get(static_cast<flatbuffers::uoffset_t>(i))
                                     : 0}});
      o["rx_queues"] = q;
      ports.push_back(o);
    }
  j["ports"] = ports;
  Json workers = Json::array();
  if (s.workers())
    for (const auto* w : *s.workers()) {
      Json o;
      o["worker"] = w->index();
      o["lcore"] = w->lcore();
      o["rx_packets"] = w->rx_packets();
      o["rx_bytes"] = w->rx_bytes();
      o["handed_off"] = w->handed_off();
      o["handoff_drops"] = w->handoff_drops();
      o["inbox_packets"] = w->inbox_packets();
      o["tx_packets"] = w->tx_packets();
      o["tx_drops"] = w->tx_drops();
      o["multiseg"] = w->multiseg();
      o["truncated"] = w->truncated();
      o["ring_drops"] = w->ring_drops();
      o["fact_drops"] = w->fact_drops();
      o["events_published"] = w->events_published();
      o["busy_cycles"] = w->busy_cycles();
      o["cycles"] = w->cycles();
      o["load_pct"] = load_pct(*w);
      const PipelineCounters c = w->pipeline() ? codec::decode(*w->pipeline()) : PipelineCounters{};
      o["packets"] = c.packets;
      o["events"] = c.events;
      o["flows_created"] = c.flows_created;
      o["flow_table_full"] = c.flow_table_full;
      workers.push_back(o);
    }
  j["workers"] = workers;
  j["publish_drops"] = s.publish_drops();
  return j.dump();
}

class Printer {
 public:
  explicit Printer(const Options& o) : json_(o.json), flows_(o.flows), tap_stats_(o.tap_stats) {}

  // --tap-stats: every TapStats (and the Goodbye's) as a line.
  void tap_stats(std::string_view tap, const msg::TapStats& s, bool final) {
    if (!tap_stats_) return;
    if (json_) {
      line(tap_stats_to_json(tap, s, final));
      return;
    }
    uint64_t rx = 0, missed = 0;
    if (s.ports())
      for (const auto* p : *s.ports()) {
        rx += p->rx_packets();
        missed += p->imissed() + p->rx_nombuf();
      }
    std::string load;
    if (s.workers())
      for (const auto* w : *s.workers())
        load += fmt::format(" w{} {:.0f}%", w->index(), load_pct(*w));
    line(fmt::format("tap {}{}: rx {} packets, nic drops {}, load{}", tap, final ? " (final)" : "", rx, missed, load));
  }

  void event(const Event& ev, const EventSource& source) {
    if (json_) {
      line(event_to_json(ev, &source));
    } else if (flows_ || !std::holds_alternative<FlowEvent>(ev)) {
      line(event_to_text(ev, &source));
    }
  }
  // The per-tap summary, labelled with the tap it is about (as wcstap-analyze labels the file).
  void summary(std::string_view tap, const PipelineCounters& c) {
    if (json_) {
      line(summary_to_json(c, {"tap", tap}));
    } else {
      line("tap " + std::string(tap) + ": " + summary_to_text(c));
    }
  }

 private:
  static void line(const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
  }
  bool json_, flows_, tap_stats_;
};

class Control {
 public:
  Control(const Options& o) : opt_(o), printer_(o) {}

  void on_message(const zmq::message_t& topic, const zmq::message_t& payload) {
    const msg::Envelope* env = codec::verify_envelope(payload.data(), payload.size());
    if (env == nullptr || env->tap_id() == nullptr) {
      ++invalid_;
      spdlog::warn("invalid message on topic '{}' ({} bytes): not a wcstap envelope", topic.to_string_view(),
                   payload.size());
      return;
    }
    const std::string_view tap = env->tap_id()->string_view();
    const msg::Body type = env->body_type();
    if (topic.to_string_view() != codec::topic_of(type))
      spdlog::warn("tap {}: topic '{}' does not match its body ({})", tap, topic.to_string_view(),
                   codec::topic_of(type));

    const auto check = tracker_.on_message(tap, env->seq(), type == msg::Body::Hello);
    if (check.restarted) spdlog::warn("tap {} restarted (Hello with sequence 0)", tap);
    if (check.missed > 0)
      spdlog::warn("tap {}: sequence gap: {} message(s) missing before seq {}{}", tap, check.missed, env->seq(),
                   tracker_.taps().find(tap)->second.messages == 1 ? " (joined after the tap started)" : "");
    if (check.stale) spdlog::warn("tap {}: message seq {} arrived out of order or twice", tap, env->seq());

    switch (type) {
      case msg::Body::Anomaly: emit(*env->body_as_Anomaly(), tap); break;
      case msg::Body::RtpStream: emit(*env->body_as_RtpStream(), tap); break;
      case msg::Body::RtcpStream: emit(*env->body_as_RtcpStream(), tap); break;
      case msg::Body::WebrtcSession: emit(*env->body_as_WebrtcSession(), tap); break;
      case msg::Body::Signalling: emit(*env->body_as_Signalling(), tap); break;
      case msg::Body::FlowStats:
        if (const auto* flows = env->body_as_FlowStats()->flows())
          for (const auto* f : *flows)
            if (f != nullptr) emit(*f, tap);
        break;
      case msg::Body::Hello: hello(tap, *env->body_as_Hello()); break;
      case msg::Body::TapStats: stats(tap, *env->body_as_TapStats()); break;
      case msg::Body::Heartbeat: spdlog::trace("tap {}: heartbeat", tap); break;
      case msg::Body::Goodbye: goodbye(tap, *env->body_as_Goodbye()); break;
      case msg::Body::NONE: spdlog::warn("tap {}: message without a body", tap); break;
    }
    std::fflush(stdout);
  }

  bool done() const { return tracker_.all_said_goodbye(); }
  const TapTracker& tracker() const { return tracker_; }
  uint64_t invalid() const { return invalid_; }

 private:
  template <typename Msg>
  void emit(const Msg& m, std::string_view tap) {
    const auto ev = codec::decode(m);
    if (!ev) {
      ++invalid_;
      spdlog::warn("tap {}: event with values this build does not know (newer tap?): skipped", tap);
      return;
    }
    EventSource source{tap};
    if (const auto* o = m.origin()) {
      source.port = o->port_id();
      source.queue = o->queue();
      source.worker = o->worker();
      source.tap_wide = o->worker() == codec::Origin::kTapWide;
    }
    printer_.event(Event{*ev}, source);
  }

  void hello(std::string_view tap, const msg::Hello& h) {
    std::string ports;
    if (h.ports())
      for (const auto* p : *h.ports())
        ports += fmt::format("{}{} ({}, {} queue(s))", ports.empty() ? "" : ", ", p->name() ? p->name()->str() : "?",
                             p->driver() ? p->driver()->str() : "?", p->rx_queues());
    spdlog::info("hello from tap {}: version {}, pid {}, {} worker(s), ports: {}", tap,
                 h.version() ? h.version()->str() : "?", h.pid(), h.workers(), ports.empty() ? "none" : ports);
  }

  static void log_tap_stats(std::string_view tap, const msg::TapStats& s, spdlog::level::level_enum level) {
    if (s.ports())
      for (const auto* p : *s.ports())
        spdlog::log(level, "tap {} port {}: rx {} packets {} bytes, imissed {}, ierrors {}, rx_nombuf {}, tx {}, "
                    "oerrors {}, mbufs in use {} of {}", tap,
                    p->name() ? p->name()->str() : "?", p->rx_packets(), p->rx_bytes(), p->imissed(), p->ierrors(),
                    p->rx_nombuf(), p->tx_packets(), p->oerrors(), p->mbufs_in_use(), p->mbufs());
    if (s.workers())
      for (const auto* w : *s.workers())
        spdlog::log(level, "tap {} worker {} lcore {} (port {} queue {}): rx {}, handed on {} (dropped {}), from other "
                    "workers {}, tx {} (dropped {}), multi-segment {}, truncated {}, ring drops {}, events published {}",
                    tap, w->index(), w->lcore(), w->port_id(), w->queue(), w->rx_packets(), w->handed_off(),
                    w->handoff_drops(), w->inbox_packets(), w->tx_packets(), w->tx_drops(), w->multiseg(),
                    w->truncated(), w->ring_drops(), w->events_published());
    if (s.publish_drops() > 0) spdlog::warn("tap {}: {} message(s) refused by its ZeroMQ queue", tap, s.publish_drops());
  }

  void stats(std::string_view tap, const msg::TapStats& s) {
    if (spdlog::should_log(spdlog::level::debug)) log_tap_stats(tap, s, spdlog::level::debug);
    printer_.tap_stats(tap, s, false);
  }

  void goodbye(std::string_view tap, const msg::Goodbye& g) {
    tracker_.on_goodbye(tap);
    spdlog::info("goodbye from tap {} ({})", tap, g.reason() ? g.reason()->str() : "?");
    if (const auto* s = g.stats()) {
      log_tap_stats(tap, *s, spdlog::level::info);
      printer_.tap_stats(tap, *s, true);
      printer_.summary(tap, s->totals() ? codec::decode(*s->totals()) : PipelineCounters{});
    } else {
      printer_.summary(tap, PipelineCounters{});
    }
  }

  const Options& opt_;
  Printer printer_;
  TapTracker tracker_;
  uint64_t invalid_ = 0;
};

int run(const Options& opt, const std::vector<std::string>& endpoints) {
  zmq::context_t zctx(1);
  zmq::socket_t sub(zctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::rcvhwm, 0);  // no limit: what reached us is not thrown away here
  sub.set(zmq::sockopt::linger, 0);
  for (const auto& ep : endpoints) {
    try {
      sub.connect(ep);
    } catch (const zmq::error_t& e) {
      spdlog::error("cannot connect to '{}': {}", ep, e.what());
      return 2;
    }
    spdlog::info("subscribed to {}", ep);
  }
  sub.set(zmq::sockopt::subscribe, "");

  Control control(opt);
  const auto start = std::chrono::steady_clock::now();
  const std::optional<std::chrono::steady_clock::time_point> deadline =
      opt.timeout_s ? std::optional(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                std::chrono::duration<double>(*opt.timeout_s)))
                    : std::nullopt;
  int rc = 0;
  std::vector<zmq::message_t> frames;
  while (true) {
    if (g_quit.load()) {
      spdlog::info("interrupted");
      rc = opt.until_goodbye ? 130 : 0;
      break;
    }
    if (opt.until_goodbye && control.done()) break;
    if (deadline && std::chrono::steady_clock::now() >= *deadline) {
      spdlog::error("timeout after {} s: {}", *opt.timeout_s,
                    control.tracker().taps().empty() ? "no tap heard" : "not every tap said goodbye");
      rc = 1;
      break;
    }
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) <= 0) continue;
      for (;;) {
        frames.clear();
        if (!zmq::recv_multipart(sub, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
        if (frames.size() != 2) {
          spdlog::warn("message with {} frame(s), expected topic + body: skipped", frames.size());
          continue;
        }
        control.on_message(frames[0], frames[1]);
        if (opt.until_goodbye && control.done()) break;
      }
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) {
        spdlog::error("zmq: {}", e.what());
        rc = 1;
        break;
      }
    }
  }
  std::fflush(stdout);
  const auto& tracker = control.tracker();
  for (const auto& [tap, t] : tracker.taps())
    spdlog::info("tap {}: {} message(s){}{}, {} gap(s), {} missing", tap, t.messages, t.hello ? "" : ", no hello",
                 t.goodbye ? ", goodbye" : ", no goodbye", t.gaps, t.missed);
  if (tracker.total_gaps() > 0)
    spdlog::warn("sequence gaps: {} ({} message(s) missing)", tracker.total_gaps(), tracker.total_missed());
  if (control.invalid() > 0) spdlog::warn("{} message(s) or event(s) could not be decoded", control.invalid());
  return rc;
}

}  // namespace
}  // namespace wcstap::control

int main(int argc, char** argv) {
  using namespace wcstap;
  using namespace wcstap::control;
  auto logger = spdlog::stderr_color_mt("wcstap-control");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %n %^%l%$: %v");
  spdlog::set_default_logger(logger);

  Options opt;
  CLI::App app{"wcstap-control: reads wcstap taps over ZeroMQ and prints their anomalies, RTP streams and flows",
               "wcstap-control"};
  app.add_option("-c,--config", opt.config, "YAML configuration (zmq.subscribe names the taps)");
  app.add_option("--connect", opt.connect, "tap endpoint to subscribe to (repeatable; overrides zmq.subscribe)");
  app.add_flag("--json", opt.json, "JSON lines: anomaly, rtp_stream, flow, summary (as wcstap-analyze --json)");
  app.add_flag("--flows", opt.flows, "also print flow reports in the human output");
  app.add_flag("--until-goodbye", opt.until_goodbye, "exit once every tap heard has said goodbye");
  app.add_flag("--tap-stats", opt.tap_stats,
               "also print each tap's statistics (ports, queues, workers, drops, load) every interval and at goodbye");
  app.add_option("--timeout", opt.timeout_s, "give up (exit 1) after this many seconds")->check(CLI::PositiveNumber);
  app.add_option("--log-level", opt.log_level, "trace, debug, info, warn, error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(opt.log_level));

  Config cfg;
  try {
    cfg = opt.config.empty() ? default_config() : load_config(opt.config);
  } catch (const ConfigError& e) {
    spdlog::error("{}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("config {}: {}", opt.config, e.what());
    return 2;
  }
  const std::vector<std::string>& endpoints = opt.connect.empty() ? cfg.zmq.subscribe : opt.connect;
  if (endpoints.empty()) {
    spdlog::error("no tap to read: give --connect EP or zmq.subscribe in the config");
    return 2;
  }

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return run(opt, endpoints);
}
