// wcstap-dataplane: the DPDK tap. Workers (one per port RX queue) run the analyzer pipeline; the
// main lcore drains their events and publishes them over ZeroMQ.
//
//   wcstap-dataplane [EAL options] -- -c CONFIG [--tap-id ID] [--publish EP] [--exit-on-pcap-end]

#include <csignal>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <functional>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pdump.h>
#include <rte_ring.h>
#include <rte_spinlock.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "clock.h"
#include "collector.h"
#include "config/config.h"
#include "output/format.h"
#include "port.h"
#include "srtp/srtp.h"
#include "publisher.h"
#include "signature/signature.h"
#include "telemetry.h"
#include "worker.h"

namespace wcstap::dp {
namespace {

std::atomic<bool> g_quit{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

void on_signal(int) { g_quit.store(true); }
std::atomic<bool> g_reload_keys{false};
void on_hup(int) { g_reload_keys.store(true); }

struct Options {
  std::string config;
  std::optional<std::string> tap_id, publish;
  bool exit_on_pcap_end = false;
  std::optional<uint32_t> wait_for_subscribers_ms;
  std::optional<double> stats_interval_s;
  uint32_t linger_ms = 10000;
  std::string srtp_keys;  // a key file (an srtp: section), read at start and again on SIGHUP
  std::string log_level = "info";
};

// App arguments come after the first "--"; everything before it belongs to the EAL.
struct SplitArgs {
  std::vector<char*> eal, app;
};

SplitArgs split_args(int argc, char** argv) {
  SplitArgs s;
  s.eal.push_back(argv[0]);
  s.app.push_back(argv[0]);
  int i = 1;
  bool separator = false;
  for (; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      separator = true;
      ++i;
      break;
    }
    s.eal.push_back(argv[i]);
  }
  for (; i < argc; ++i) s.app.push_back(argv[i]);
  if (!separator) {
    // Without "--", a lone -h/--help still shows the application's help.
    for (size_t k = 1; k < s.eal.size(); ++k)
      if (std::strcmp(s.eal[k], "-h") == 0 || std::strcmp(s.eal[k], "--help") == 0) s.app.push_back(s.eal[k]);
  }
  // getopt wants argv[argc] == NULL; the terminators are not counted.
  s.eal.push_back(nullptr);
  s.app.push_back(nullptr);
  return s;
}

// Returns an exit code when the program should stop now (help, usage error).
std::optional<int> parse_options(std::vector<char*>& args, Options& o) {
  CLI::App app{"wcstap-dataplane: DPDK packet tap for WCS media servers.\n"
               "Usage: wcstap-dataplane [EAL options] -- -c CONFIG [options]",
               "wcstap-dataplane"};
  app.add_option("-c,--config", o.config, "YAML configuration file")->required();
  app.add_option("--tap-id", o.tap_id, "tap id in every message (default: config tap_id)");
  app.add_option("--publish", o.publish, "ZeroMQ endpoint to publish on (default: config zmq.publish)");
  app.add_flag("--exit-on-pcap-end", o.exit_on_pcap_end,
               "stop once every net_pcap port is exhausted (config dataplane.exit_on_pcap_end)");
  app.add_option("--wait-for-subscribers", o.wait_for_subscribers_ms,
                 "hold the workers up to this many ms until a subscriber is there (config "
                 "zmq.wait_for_subscribers_ms)");
  app.add_option("--stats-interval", o.stats_interval_s, "seconds between TapStats (config dataplane.stats_interval_s)")
      ->check(CLI::PositiveNumber);
  app.add_option("--linger-ms", o.linger_ms, "at exit, how long queued messages may take to leave")
      ->capture_default_str();
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")->capture_default_str();
  app.add_option("--srtp-keys", o.srtp_keys, "SRTP key file (an srtp: section as in the config); SIGHUP reads it again");
  try {
    app.parse(static_cast<int>(args.size()) - 1, args.data());
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    if (rc == 0) return 0;  // --help
    std::fprintf(stderr, "usage: wcstap-dataplane [EAL options] -- -c CONFIG [options] (--help for more)\n");
    return 2;
  }
  return std::nullopt;
}

// One time source for the whole tap: a pipeline must not mix capture time and the TSC.
TimeSource choose_time_source(const std::vector<Port>& ports, const RxTimestampField& f, TimeSourceChoice choice) {
  if (choice == TimeSourceChoice::Tsc) return TimeSource::Tsc;
  bool all_pcap = true;
  for (const auto& p : ports) all_pcap = all_pcap && p.driver == "net_pcap";
  if (choice == TimeSourceChoice::Auto && !all_pcap) return TimeSource::Tsc;
  if (!f.present()) {
    spdlog::warn("no port registered the Rx-timestamp dynfield: packet time from the TSC");
    return TimeSource::Tsc;
  }
  return TimeSource::PcapMicros;
}

void check_lcores(uint16_t workers) {
  const unsigned have = rte_lcore_count() - 1;
  if (have < workers)
    throw SetupError("need " + std::to_string(workers) + " worker lcore(s) (dataplane.workers) besides the main lcore, have " +
                     std::to_string(have) + ": give the EAL more cores (e.g. -l 0-" + std::to_string(workers) +
                     ") or lower dataplane.workers");
  if (have > workers) spdlog::info("{} lcore(s) left idle", have - workers);
}

// The locks of TX queues that several workers share (in-line, a device with fewer TX queues than
// workers): by port id, then queue. Sized once before the workers start; never resized.
using TxLocks = std::vector<std::vector<rte_spinlock_t>>;

// Worker i: in RSS mode queue i of every port; in software mode queue q of the k-th port when
// (k + q) mod workers is i, handing packets on (with more than one worker). In-line, a route per
// port to its peer.
void assign_sources(WorkerContext& w, const std::vector<Port>& ports, const QueuePlan& plan, uint16_t workers,
                    TxLocks& locks) {
  for (size_t k = 0; k < ports.size(); ++k) {
    const Port& p = ports[k];
    if (plan.rss)
      w.sources.push_back({p.port_id, w.index, false});
    else
      for (uint16_t q = 0; q < p.rx_queues; ++q)
        if ((k + q) % workers == w.index) w.sources.push_back({p.port_id, q, workers > 1});
    if (p.peer >= 0) {
      const Port& peer = ports[static_cast<size_t>(p.peer)];
      if (w.tx_by_port.size() <= p.port_id) w.tx_by_port.resize(p.port_id + 1u);
      TxRoute& r = w.tx_by_port[p.port_id];
      r.peer = peer.port_id;
      r.queue = static_cast<uint16_t>(w.index % peer.tx_queues);
      if (peer.tx_queues < workers) r.shared_lock = &locks[peer.port_id][r.queue];
    }
  }
}

// One context per worker lcore. The signatures are compiled once here and shared by every worker's
// pipeline (each keeps its own Hyperscan scratch and streams).
std::vector<std::unique_ptr<WorkerContext>> make_workers(const Config& cfg, const std::vector<Port>& ports,
                                                         const QueuePlan& plan, TimeSource time_source,
                                                         const TscClock& clock, const RxTimestampField& rx_ts,
                                                         TxLocks& locks) {
  const uint16_t n = cfg.dataplane.workers;
  std::vector<std::unique_ptr<WorkerContext>> workers;
  std::shared_ptr<const SignatureDatabase> signatures;
  try {
    signatures = SignatureDatabase::compile(cfg.signatures);
  } catch (const SignatureError& e) {
    throw SetupError(e.what());
  }
  spdlog::info("signatures: {} compiled once ({} bytes), shared by the workers", signatures->signature_count(),
               signatures->database_bytes());
  uint16_t max_port = 0;
  for (const auto& p : ports) max_port = std::max(max_port, p.port_id);
  locks.assign(max_port + 1u, {});
  for (const auto& p : ports) {
    locks[p.port_id].resize(p.tx_queues);
    for (auto& l : locks[p.port_id]) rte_spinlock_init(&l);
  }
  const bool hand_off = !plan.rss && n > 1;
  unsigned lcore = rte_get_next_lcore(-1, 1, 0);
  for (uint16_t i = 0; i < n; ++i, lcore = rte_get_next_lcore(lcore, 1, 0)) {
    auto w = std::make_unique<WorkerContext>();
    w->lcore = lcore;
    w->index = i;
    w->workers = n;
    w->balance = cfg.dataplane.balance;
    w->mode = cfg.dataplane.mode;
    w->time_source = time_source;
    w->rx_ts = rx_ts;
    w->clock = &clock;
    const int socket = static_cast<int>(rte_lcore_to_socket_id(lcore));
    // A ring of `count` elements of `size` bytes (0: pointers, several producers) for worker i.
    auto ring = [&](const char* what, unsigned size, uint32_t count) {
      const std::string name = std::string(what) + "_" + std::to_string(i);
      rte_ring* r = size == 0 ? rte_ring_create(name.c_str(), count, socket, RING_F_SC_DEQ | RING_F_EXACT_SZ)
                              : rte_ring_create_elem(name.c_str(), size, count, socket,
                                                     RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
      if (r == nullptr)
        throw SetupError(std::string("cannot create a ring of ") + std::to_string(count) + " " + what + ": " +
                         rte_strerror(rte_errno));
      return r;
    };
    w->events = ring("events", sizeof(Event), cfg.dataplane.event_ring_size);
    if (n > 1) w->facts = ring("facts", sizeof(TapFact), cfg.dataplane.event_ring_size);
    if (hand_off) w->inbox = ring("handoff", 0, cfg.dataplane.handoff_ring_size);
    assign_sources(*w, ports, plan, n, locks);
    w->scratch = std::make_unique<uint8_t[]>(kScratchSize);
    w->pipeline = std::make_unique<Pipeline>(cfg, w->sink, signatures);
    if (w->facts != nullptr) w->pipeline->hand_tap_facts_to(&w->fact_sink);
    // By 5-tuple, a call's SIP and its RTP may go to different workers (RTP meets its RTCP only).
    w->pipeline->media_may_be_elsewhere(n > 1 && cfg.dataplane.balance == BalanceBy::FiveTuple);
    workers.push_back(std::move(w));
  }
  for (auto& w : workers)
    for (const auto& other : workers) w->inboxes.push_back(other->inbox);
  return workers;
}

void launch_workers(const std::vector<std::unique_ptr<WorkerContext>>& workers) {
  g_workers_stop.store(false);
  for (const auto& w : workers) {
    const int rc = rte_eal_remote_launch(worker_main, w.get(), w->lcore);
    if (rc != 0)
      throw SetupError("cannot launch a worker on lcore " + std::to_string(w->lcore) + ": " + rte_strerror(-rc));
    std::string reads;
    for (const auto& src : w->sources)
      reads += fmt::format("{}port {} queue {}{}", reads.empty() ? "" : ", ", src.port_id, src.queue,
                           src.hand_off ? " (hands packets on)" : "");
    spdlog::info("worker {} on lcore {}: {}{}", w->index, w->lcore, reads.empty() ? "no RX queue" : reads,
                 w->inbox != nullptr ? ", and its inbox" : "");
  }
}

// The main lcore while the workers run: publish their events, stats every interval, watch for the end.
// Returns why it stopped.
std::string publish_until_stop(Collector& collector, Publisher& publisher, double interval_s,
                               bool watch_capture_end, const std::function<void()>& reload_keys) {
  CaptureEndWatch capture_end(std::chrono::milliseconds(500), std::chrono::milliseconds(10000));
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(interval_s));
  auto next_stats = std::chrono::steady_clock::now() + interval;
  while (!g_quit.load(std::memory_order_relaxed)) {
    if (g_reload_keys.exchange(false)) reload_keys();
    const size_t n = collector.drain_some();
    publisher.flush();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_stats) {
      const TapStatsSample s = collector.sample();
      update_telemetry(s);
      collector.check_overload(s);
      publisher.stats(s);
      publisher.heartbeat(s.uptime_ns);
      next_stats += interval;
      if (next_stats < now) next_stats = now + interval;
    }
    if (watch_capture_end && capture_end.ended(collector.rx_packets(), now)) {
      spdlog::info("end of capture: {} packet(s) received", collector.rx_packets());
      return "end of capture";
    }
    publisher.poll(n > 0 ? 0 : 1);
  }
  return "signal";
}

// Workers have stopped: finish each pipeline (its last flow and RTP stream reports), publish every
// event, then Goodbye with the final counters.
void finish_and_say_goodbye(Collector& collector, Publisher& publisher,
                            const std::vector<std::unique_ptr<WorkerContext>>& workers, const std::string& reason,
                            std::chrono::milliseconds linger) {
  publisher.set_patient_until(std::chrono::steady_clock::now() + linger);
  collector.drain_all();
  for (const auto& w : workers) {
    w->sink.drain_when_full(&collector);
    finish_inbox(*w);
    w->pipeline->finish();
    collector.drain_worker(*w);
    w->pipeline_counters.store(w->pipeline->counters());
  }
  collector.judge_remaining_facts();
  collector.drain_all();
  const TapStatsSample final_stats = collector.sample();
  update_telemetry(final_stats);
  publisher.goodbye(reason, final_stats);
  spdlog::info("stopping ({}): {}", reason, summary_to_text(final_stats.totals));
  for (const auto& p : final_stats.ports)
    spdlog::info("port {}: rx {} packets, {} bytes, imissed {}, ierrors {}, rx_nombuf {}; tx {} packets, oerrors {}",
                 p.name, p.counters.rx_packets, p.counters.rx_bytes, p.counters.imissed, p.counters.ierrors,
                 p.counters.rx_nombuf, p.counters.tx_packets, p.counters.oerrors);
  for (const auto& w : final_stats.workers)
    spdlog::info("worker {} (lcore {}): rx {}, handed on {} (dropped {}), from other workers {}, tx {} (dropped {}), "
                 "busy {:.1f} %",
                 w.index, w.lcore, w.counters.rx_packets, w.counters.handed_off, w.counters.handoff_drops,
                 w.counters.inbox_packets, w.counters.tx_packets, w.counters.tx_drops,
                 static_cast<double>(w.counters.load_permille()) / 10.0);
  spdlog::info("published {} message(s), {} dropped", publisher.sent(), publisher.drops());
  publisher.close(linger);
}

// Everything between a working EAL and its cleanup. Throws SetupError before any worker starts.
int run(const Config& cfg, const Options& opt) {
  std::vector<Port> ports = select_ports(cfg.dataplane);
  check_lcores(cfg.dataplane.workers);
  const QueuePlan plan = plan_queues(ports, cfg.dataplane);
  if (!plan.rss && cfg.dataplane.workers > 1)
    spdlog::info("software balance by {} over {} workers: {}",
                 cfg.dataplane.balance == BalanceBy::HostPair ? "host pair" : "5-tuple", cfg.dataplane.workers, plan.why);
  if (cfg.dataplane.balance == BalanceBy::FiveTuple && cfg.dataplane.workers > 1)
    spdlog::info("balance by 5-tuple: a session's signalling and media may meet in different workers; "
                 "sip_rtp_mismatch and rtsp_failure (no RTP over UDP) are not judged");

  struct PortGuard {
    std::vector<Port>& ports;
    ~PortGuard() {
      for (auto& p : ports) stop_port(p);
    }
  } port_guard{ports};
  for (auto& p : ports) start_port(p, cfg.dataplane, plan);
  if (cfg.dataplane.mode == DataplaneMode::Inline)
    for (const auto& p : ports)
      if (p.peer >= 0)
        spdlog::info("in-line: {} -> {}", p.name, ports[static_cast<size_t>(p.peer)].name);

  // Looked up once the ports are set up: a PMD that dates packets (net_pcap) has registered it by then.
  const RxTimestampField rx_ts = lookup_rx_timestamp_field();
  const TimeSource time_source = choose_time_source(ports, rx_ts, cfg.dataplane.time_source);
  bool all_pcap = true;
  for (auto& p : ports) {
    p.time_source = time_source;
    all_pcap = all_pcap && p.driver == "net_pcap";
  }
  spdlog::info("packet time from {}", time_source_name(time_source));
  const bool exit_on_pcap_end = opt.exit_on_pcap_end || cfg.dataplane.exit_on_pcap_end;
  if (exit_on_pcap_end && !all_pcap)
    spdlog::warn("exit on capture end ignored: not every port is a net_pcap capture");

  const TscClock clock;
  TxLocks tx_locks;
  const auto workers = make_workers(cfg, ports, plan, time_source, clock, rx_ts, tx_locks);
  Publisher publisher(opt.publish.value_or(cfg.zmq.publish), opt.tap_id.value_or(cfg.tap_id), cfg.zmq.send_hwm);
  const uint32_t wait_ms = opt.wait_for_subscribers_ms.value_or(cfg.zmq.wait_for_subscribers_ms);
  if (wait_ms > 0) {
    spdlog::info("waiting up to {} ms for a subscriber", wait_ms);
    if (!publisher.wait_for_subscriber(std::chrono::milliseconds(wait_ms), g_quit))
      spdlog::warn("no subscriber after {} ms: starting anyway", wait_ms);
  }
  publisher.hello(ports, static_cast<unsigned>(workers.size()));

  // Whatever happens from here, no worker outlives its context.
  struct WorkerGuard {
    ~WorkerGuard() {
      g_workers_stop.store(true);
      rte_eal_mp_wait_lcore();
    }
  } worker_guard;
  launch_workers(workers);

  const double interval_s = opt.stats_interval_s.value_or(cfg.dataplane.stats_interval_s);
  Collector collector(cfg, publisher, ports, workers, interval_s);
  register_telemetry(opt.tap_id.value_or(cfg.tap_id));
  update_telemetry(collector.sample());
  // SIGHUP: the key file again, checked here (libsrtp must take every key), then handed to each
  // worker. A bad file changes nothing. Keys are counted in the log, never shown.
  const auto reload_keys = [&] {
    if (opt.srtp_keys.empty()) {
      spdlog::warn("SIGHUP: no --srtp-keys file to read again");
      return;
    }
    auto keys = std::make_shared<SrtpConfig>(cfg.srtp);
    keys->keys.clear();
    try {
      load_srtp_keys(opt.srtp_keys, *keys);
      SrtpKeyring check(*keys);
    } catch (const std::exception& e) {
      spdlog::error("SIGHUP: SRTP keys not changed: {}", e.what());
      return;
    }
    for (const auto& w : workers) {
      std::lock_guard lock(w->srtp_mutex);
      w->srtp_update = keys;
      w->srtp_pending.store(true, std::memory_order_release);
    }
    spdlog::info("SIGHUP: {} SRTP key(s) from {} handed to {} worker(s)", keys->keys.size(), opt.srtp_keys,
                 workers.size());
  };
  const std::string reason =
      publish_until_stop(collector, publisher, interval_s, exit_on_pcap_end && all_pcap, reload_keys);

  g_workers_stop.store(true);
  rte_eal_mp_wait_lcore();
  finish_and_say_goodbye(collector, publisher, workers, reason, std::chrono::milliseconds(opt.linger_ms));
  return 0;
}

}  // namespace
}  // namespace wcstap::dp

int main(int argc, char** argv) {
  using namespace wcstap;
  using namespace wcstap::dp;
  auto logger = spdlog::stderr_color_mt("wcstap-dataplane");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %n %^%l%$: %v");
  spdlog::set_default_logger(logger);

  SplitArgs args = split_args(argc, argv);
  Options opt;
  if (auto rc = parse_options(args.app, opt)) return *rc;
  spdlog::set_level(spdlog::level::from_str(opt.log_level));

  Config cfg;
  try {
    cfg = load_config(opt.config);
    if (!opt.srtp_keys.empty()) {
      cfg.srtp.keys.clear();  // the file's keys replace the config's, as on SIGHUP
      load_srtp_keys(opt.srtp_keys, cfg.srtp);
    }
  } catch (const ConfigError& e) {
    spdlog::error("{}", e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("config {}: {}", opt.config, e.what());
    return 2;
  }
  if (opt.tap_id && opt.tap_id->empty()) {
    spdlog::error("--tap-id must not be empty");
    return 2;
  }

  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction hup{};
  hup.sa_handler = on_hup;
  sigemptyset(&hup.sa_mask);
  sigaction(SIGHUP, &hup, nullptr);

  if (rte_eal_init(static_cast<int>(args.eal.size()) - 1, args.eal.data()) < 0) {
    spdlog::error("DPDK EAL initialisation failed: {} (check the EAL options before '--')", rte_strerror(rte_errno));
    return 1;
  }
  // Packet capture from the running tap: dpdk-dumpcap / dpdk-pdump attach as secondary processes
  // (that needs hugepages: a --no-huge primary's memory cannot be shared) and ask for copies of
  // what a port receives; nothing is copied while no one captures.
  const bool pdump = rte_pdump_init() == 0;
  if (!pdump) spdlog::warn("packet capture (rte_pdump) unavailable: {}", rte_strerror(rte_errno));
  int rc = 1;
  try {
    rc = run(cfg, opt);
  } catch (const SetupError& e) {
    spdlog::error("{}", e.what());
  } catch (const std::exception& e) {
    spdlog::error("fatal: {}", e.what());
  }
  if (pdump) rte_pdump_uninit();
  rte_eal_cleanup();
  return rc;
}
