// wcstap-bench: nanoseconds per packet of the analyzer pipeline, on captures held in memory.
//
// Each capture ("mix") is read once with libpcap, then replayed from memory over and over through
// one Pipeline, as a dataplane worker would see it: timed work (advance) every 32 packets, packet
// time shifted forward by the capture's length on every replay, and every RTP stream's sequence
// numbers and RTP timestamps carried on across replays, so a replay reads as more of the same
// media rather than as a stream going back in time (which would turn the whole second replay into
// "duplicates"); and every TCP connection's ephemeral port (the higher of its two, when 1024 or
// more) moved on per replay, so a replay's connections are new ones, read from their SYN, rather
// than the same sequence numbers again (which the reassembly would pass over as retransmissions).
// One benchmark iteration is one replay; ns_per_pkt is CPU time per packet.
//
//   BM_Pipeline/<mix>    every packet of the mix through Pipeline::process_burst, in bursts of 32
//   BM_PipelineFrames/<mix>  the same through Pipeline::process, a frame at a time
//   BM_RtpOnly/<mix>     only the UDP packets classify_udp_payload calls RTP
//   BM_RtcpOnly/<mix>    only those it calls RTCP
//   BM_DecodeOnly/<mix>  decode_packet alone over every packet: the floor
//
// Captures: --pcap=FILE (repeatable), else the colon-separated list in WCSTAP_BENCH_PCAP.
// --config=FILE: the pipelines' config (default_config() otherwise), e.g. a flow capacity for a mix
// with more flows than the default table holds.
// --warmup=N: untimed replays before the timed ones (default 1). A stream's first packets cost more
// than its steady state (probation, the RTX test of its first 16): where a mix has few packets a
// flow per replay (a million flows), one replay leaves its streams still starting up.
// Every other argument goes to Google Benchmark (--benchmark_filter, --benchmark_repetitions...).
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "anomaly/anomaly_kind.h"
#include "classify/classify.h"
#include "config/config.h"
#include "decode/decode.h"
#include "pipeline.h"
#include "replay_mix.h"

namespace {

using namespace wcstap;
using namespace wcstap::bench;

// --config=FILE, else default_config() (made on first use, not during static initialisation).
std::optional<Config> g_config;
unsigned g_warmup = 1;  // --warmup=N
const Config& bench_config() {
  if (!g_config) g_config = default_config();
  return *g_config;
}

// A dataplane worker's burst: timed work runs as often as there (and as in wcstap-analyze).
constexpr size_t kBurst = Pipeline::kBurst;

class CountingSink : public EventSink {
 public:
  void emit(const Event&) override { ++events; }
  uint64_t events = 0;
};

// A frame's first 128 bytes (Ethernet, IP, UDP and RTP headers, and the start of the payload
// classification reads): the worker's mbufs start them on a cache line; here a frame starts
// anywhere, so the lines they may span. The worker fetches a burst's headers before it stages it.
void prefetch_headers(const Mix& m, const Packet& p) {
  __builtin_prefetch(m.bytes.data() + p.off);
  __builtin_prefetch(m.bytes.data() + p.off + 64);
  __builtin_prefetch(m.bytes.data() + p.off + 127);
}

// How a replay hands frames to the pipeline: in bursts (process_burst, as the dataplane worker
// does), or one at a time (process, as wcstap-analyze reads a file): BM_PipelineFrames shows what
// staging a burst saves.
enum class Feed { Bursts, Frames };

// One replay of `subset` of the mix, as replay number k: in bursts of kBurst frames, as the worker
// reads them, the next burst's headers fetched while this one is analysed.
void replay(Pipeline& pipe, const Mix& m, const std::vector<uint32_t>& subset, uint64_t k, Feed feed = Feed::Bursts) {
  const Nanos base = m.t0 + k * m.period;
  std::array<Pipeline::Frame, kBurst> burst;
  for (size_t j = 0; j < subset.size() && j < kBurst; ++j) prefetch_headers(m, m.pkts[subset[j]]);
  for (size_t at = 0; at < subset.size(); at += kBurst) {
    const size_t n = std::min<size_t>(kBurst, subset.size() - at);
    for (size_t j = 0; j < n; ++j) {
      const Packet& p = m.pkts[subset[at + j]];
      burst[j] = {base + p.rel, m.frame(p), p.wire_len};
      if (at + kBurst + j < subset.size()) prefetch_headers(m, m.pkts[subset[at + kBurst + j]]);
    }
    if (feed == Feed::Bursts)
      pipe.process_burst(m.link, {burst.data(), n});
    else
      for (size_t j = 0; j < n; ++j) pipe.process(m.link, burst[j].ts, burst[j].bytes, burst[j].wire_len);
    pipe.advance(burst[n - 1].ts);
  }
}

// This thread's CPU time: the clock Google Benchmark's CPU column reads. CPU rather than wall time
// because the benchmark is meant to run on a shared, busy machine: time the thread spends
// descheduled is not the pipeline's.
Nanos thread_cpu_ns() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<Nanos>(t.tv_sec) * 1'000'000'000ull + static_cast<Nanos>(t.tv_nsec);
}

// ns_per_pkt: CPU time of the timed replays (measured around each replay, so the untimed header
// rewrite between replays stays out) over the packets they carried. A plain number: a rate
// counter inverted would print with a misleading "s" suffix.
void set_counters(benchmark::State& state, size_t per_replay, Nanos cpu_ns) {
  const auto pkts = static_cast<uint64_t>(state.iterations()) * per_replay;
  state.SetItemsProcessed(static_cast<int64_t>(pkts));
  state.counters["ns_per_pkt"] =
      benchmark::Counter(pkts ? static_cast<double>(cpu_ns) / static_cast<double>(pkts) : 0.0);
  state.SetLabel(std::to_string(per_replay) + " pkts/replay");
}

// The pipeline on `subset` of the mix. Before the timed replays, g_warmup untimed replays of
// `warmup` (the whole mix, or the mix without RTP) open the flows and streams and mark the
// DTLS-keyed 5-tuples, so what is timed is the steady state.
void bm_pipeline(benchmark::State& state, Mix* m, const std::vector<uint32_t>* subset,
                 const std::vector<uint32_t>* warmup, Feed feed) {
  if (subset->empty()) {
    state.SkipWithError("no such packets in this mix");
    return;
  }
  const bool rewrite = (!m->rtp.empty() || !m->tcp.empty()) && (subset == &m->all || subset == &m->rtp);
  const Config& cfg = bench_config();
  CountingSink sink;
  Pipeline pipe(cfg, sink);
  uint64_t k = 0;
  for (unsigned w = 0; w < g_warmup; ++w) {
    m->set_replay(k);
    replay(pipe, *m, *warmup, k++, feed);
  }
  const uint64_t events_before = sink.events;
  Nanos cpu = 0;
  for (auto _ : state) {
    if (rewrite) {
      state.PauseTiming();
      m->set_replay(k);
      state.ResumeTiming();
    }
    const Nanos c0 = thread_cpu_ns();
    replay(pipe, *m, *subset, k++, feed);
    cpu += thread_cpu_ns() - c0;
  }
  set_counters(state, subset->size(), cpu);
  state.counters["events_per_replay"] =
      benchmark::Counter(static_cast<double>(sink.events - events_before), benchmark::Counter::kAvgIterations);
}

void bm_decode(benchmark::State& state, Mix* m) {
  DecodedPacket d;
  DecodeError err;
  Nanos cpu = 0;
  for (auto _ : state) {
    const Nanos c0 = thread_cpu_ns();
    for (const Packet& p : m->pkts) {
      DecodeStatus s = decode_packet(m->link, m->frame(p), d, err);
      benchmark::DoNotOptimize(s);
      benchmark::DoNotOptimize(d);
    }
    benchmark::ClobberMemory();
    cpu += thread_cpu_ns() - c0;
  }
  set_counters(state, m->pkts.size(), cpu);
}

// --events=N: not a benchmark. What each case's pipeline emits on its warm-up replay and then per
// timed replay, to see what replaying does to the analyzers (seams, subsets).
class TallySink : public EventSink {
 public:
  void emit(const Event& ev) override {
    if (const auto* a = std::get_if<AnomalyEvent>(&ev))
      ++tally[std::string(anomaly_kind_name(a->kind)) + " " + std::string(anomaly_state_name(a->state))];
    else if (std::holds_alternative<RtpStreamEvent>(ev))
      ++tally["rtp_stream"];
    else if (const auto* s = std::get_if<SignallingEvent>(&ev))
      ++tally[std::string("signalling ") + signalling_kind_name(s->kind)];
    else
      ++tally["flow"];
  }
  void print(const char* what, unsigned replays) {
    std::printf("  %s:", what);
    if (tally.empty()) std::printf(" none");
    for (const auto& [k, n] : tally) std::printf("  %s %.2f", k.c_str(), static_cast<double>(n) / replays);
    std::printf("\n");
    tally.clear();
  }
  std::map<std::string, uint64_t> tally;
};

void show_events(Mix& m, const char* name, const std::vector<uint32_t>& subset,
                 const std::vector<uint32_t>& warmup, unsigned replays) {
  const Config& cfg = bench_config();
  TallySink sink;
  Pipeline pipe(cfg, sink);
  std::printf("%s/%s\n", name, m.name.c_str());
  m.set_replay(0);
  replay(pipe, m, warmup, 0);
  sink.print("warm-up replay, events", 1);
  for (unsigned k = 1; k <= replays; ++k) {
    m.set_replay(k);
    replay(pipe, m, subset, k);
  }
  char what[64];
  std::snprintf(what, sizeof what, "events per timed replay (%u replays)", replays);
  sink.print(what, replays);
}

void usage(const char* argv0) {
  std::printf(
      "Usage: %s [--pcap=FILE]... [benchmark options]\n"
      "  --pcap=FILE   a capture (pcap/pcapng) to replay; repeat for several mixes.\n"
      "                Default: WCSTAP_BENCH_PCAP, a colon-separated list of files.\n"
      "                Each file is a mix named after its base name (healthy.pcap -> healthy).\n"
      "  --config=FILE the pipelines' config (default: the built-in defaults).\n"
      "  --warmup=N    untimed replays before the timed ones (default 1; more where a\n"
      "                replay gives each flow few packets: its streams start up first).\n"
      "  --events=N    no benchmark: list the events each pipeline case emits on its\n"
      "                warm-up replay and per replay over N replays, then exit.\n"
      "Benchmarks: BM_Pipeline/<mix>, BM_PipelineFrames/<mix>, BM_RtpOnly/<mix>, BM_RtcpOnly/<mix>, BM_DecodeOnly/<mix>;\n"
      "ns_per_pkt is CPU time per packet. Google Benchmark's own options follow (--help).\n\n",
      argv0);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  unsigned events_replays = 0;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--pcap=", 0) == 0) {
      files.push_back(a.substr(7));
    } else if (a == "--pcap" && i + 1 < argc) {
      files.push_back(argv[++i]);
    } else if (a.rfind("--config=", 0) == 0) {
      try {
        g_config = load_config(a.substr(9));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "wcstap-bench: %s\n", e.what());
        return 2;
      }
    } else if (a.rfind("--warmup=", 0) == 0) {
      char* end = nullptr;
      const unsigned long n = std::strtoul(a.c_str() + 9, &end, 10);
      if (end == a.c_str() + 9 || *end != '\0' || n == 0 || n > 1000) {
        std::fprintf(stderr, "wcstap-bench: --warmup wants a number of replays from 1 to 1000, not '%s'\n", a.c_str() + 9);
        return 2;
      }
      g_warmup = static_cast<unsigned>(n);
    } else if (a.rfind("--events=", 0) == 0) {
      events_replays = static_cast<unsigned>(std::strtoul(a.c_str() + 9, nullptr, 10));
      if (events_replays == 0) {
        std::fprintf(stderr, "wcstap-bench: --events wants a number of replays >= 1\n");
        return 2;
      }
    } else {
      if (a == "--help" || a == "-h") usage(argv[0]);
      rest.push_back(argv[i]);
    }
  }
  if (files.empty()) {
    if (const char* env = std::getenv("WCSTAP_BENCH_PCAP")) {
      std::string list = env;
      size_t from = 0;
      while (from <= list.size()) {
        size_t to = list.find(':', from);
        if (to == std::string::npos) to = list.size();
        if (to > from) files.push_back(list.substr(from, to - from));
        from = to + 1;
      }
    }
  }
  int rest_argc = static_cast<int>(rest.size());
  rest.push_back(nullptr);
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  if (files.empty()) {
    std::fprintf(stderr,
                 "wcstap-bench: no capture: give --pcap=FILE or set WCSTAP_BENCH_PCAP "
                 "(tools/bench/run makes one with wcstap-gen)\n");
    return 2;
  }

  std::vector<std::unique_ptr<Mix>> mixes;
  for (const std::string& f : files) {
    try {
      mixes.push_back(load_mix(f));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "wcstap-bench: %s\n", e.what());
      return 1;
    }
    const Mix& m = *mixes.back();
    char info[256];
    std::snprintf(info, sizeof info,
                  "%s: %zu packets (%zu RTP in %zu streams, %zu RTCP, %zu TCP), replayed every %.3f s, %s",
                  m.path.c_str(), m.pkts.size(), m.rtp.size(), m.streams.size(), m.rtcp.size(), m.tcp.size(),
                  static_cast<double>(m.period) / 1e9, link_type_name(m.link));
    benchmark::AddCustomContext("mix." + m.name, info);
  }

  if (events_replays != 0) {
    for (auto& mp : mixes) {
      show_events(*mp, "BM_Pipeline", mp->all, mp->all, events_replays);
      show_events(*mp, "BM_RtpOnly", mp->rtp, mp->all, events_replays);
      show_events(*mp, "BM_RtcpOnly", mp->rtcp, mp->not_rtp, events_replays);
    }
    return 0;
  }

  for (auto& mp : mixes) {
    Mix* m = mp.get();
    const std::string s = "/" + m->name;
    benchmark::RegisterBenchmark(("BM_Pipeline" + s).c_str(), bm_pipeline, m, &m->all, &m->all, Feed::Bursts)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_PipelineFrames" + s).c_str(), bm_pipeline, m, &m->all, &m->all, Feed::Frames)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_RtpOnly" + s).c_str(), bm_pipeline, m, &m->rtp, &m->all, Feed::Bursts)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_RtcpOnly" + s).c_str(), bm_pipeline, m, &m->rtcp, &m->not_rtp, Feed::Bursts)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_DecodeOnly" + s).c_str(), bm_decode, m)->Unit(benchmark::kMicrosecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
