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

namespace {

using namespace wcstap;

// --config=FILE, else default_config() (made on first use, not during static initialisation).
std::optional<Config> g_config;
const Config& bench_config() {
  if (!g_config) g_config = default_config();
  return *g_config;
}

// A dataplane worker's burst: timed work runs as often as there (and as in wcstap-analyze).
constexpr size_t kBurst = Pipeline::kBurst;

struct Packet {
  uint32_t off = 0;       // into Mix::bytes
  uint32_t caplen = 0;
  uint32_t wire_len = 0;
  Nanos rel = 0;          // time since the mix's first packet
  FlowClass cls = FlowClass::Unknown;  // Rtp, Rtcp, or Unknown for everything else
  uint32_t rtp_off = 0;   // RTP packets: where the RTP header starts in the frame
  uint32_t stream = 0;    // RTP packets: index into Mix::streams
  uint16_t seq0 = 0;      // RTP packets: sequence number and timestamp as captured
  uint32_t rtpts0 = 0;
  uint32_t port_off = 0;  // TCP packets: where the ephemeral port is in the frame (0: not moved)
  uint16_t port0 = 0;     // ... and its value as captured
};

// How far a TCP connection's ephemeral port moves per replay, within 1024-65535 (prime: a port
// comes back only after 64512 replays).
constexpr uint32_t kPortStep = 7919;

// How far an RTP stream's sequence numbers and timestamps move on per replay.
struct StreamStep {
  uint16_t seq = 0;
  uint32_t ts = 0;
};

struct Mix {
  std::string name, path;
  LinkType link = LinkType::Ethernet;
  std::vector<uint8_t> bytes;
  std::vector<Packet> pkts;
  std::vector<StreamStep> streams;
  std::vector<uint32_t> all, rtp, rtcp, not_rtp;  // packet indices
  std::vector<uint32_t> tcp;                       // TCP packets whose ephemeral port moves
  Nanos t0 = 0;          // first packet's time
  Nanos period = 0;      // replay k starts at t0 + k * period
  uint64_t applied = 0;  // the replay whose RTP headers `bytes` holds now

  std::span<const uint8_t> frame(const Packet& p) const { return {bytes.data() + p.off, p.caplen}; }

  // Rewrites every RTP header and TCP ephemeral port for replay k (idempotent: computed from the
  // captured values).
  void set_replay(uint64_t k) {
    if (k == applied) return;
    for (uint32_t i : rtp) {
      const Packet& p = pkts[i];
      const StreamStep& st = streams[p.stream];
      const auto seq = static_cast<uint16_t>(p.seq0 + k * st.seq);
      const auto ts = static_cast<uint32_t>(p.rtpts0 + k * st.ts);
      uint8_t* h = bytes.data() + p.off + p.rtp_off;
      h[2] = static_cast<uint8_t>(seq >> 8);
      h[3] = static_cast<uint8_t>(seq);
      h[4] = static_cast<uint8_t>(ts >> 24);
      h[5] = static_cast<uint8_t>(ts >> 16);
      h[6] = static_cast<uint8_t>(ts >> 8);
      h[7] = static_cast<uint8_t>(ts);
    }
    for (uint32_t i : tcp) {
      const Packet& p = pkts[i];
      const auto port = static_cast<uint16_t>(1024 + (p.port0 - 1024 + k * kPortStep) % (65536 - 1024));
      uint8_t* h = bytes.data() + p.off + p.port_off;
      h[0] = static_cast<uint8_t>(port >> 8);
      h[1] = static_cast<uint8_t>(port);
    }
    applied = k;
  }
};

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

std::string mix_name(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  for (const char* ext : {".pcapng", ".pcap", ".cap"}) {
    const size_t n = std::strlen(ext);
    if (base.size() > n && base.compare(base.size() - n, n, ext) == 0) return base.substr(0, base.size() - n);
  }
  return base;
}

// Per-stream bookkeeping while loading: sequence numbers and RTP timestamps unwrapped.
struct StreamScan {
  int64_t ext_seq = 0, seq_min = 0, seq_max = 0;
  int64_t ts_first = 0, ts_last = 0;  // unwrapped RTP timestamps of the first and last packets
  uint16_t prev_seq = 0;
  uint32_t prev_ts = 0;
  Nanos t_first = 0, t_last = 0;
};

std::unique_ptr<Mix> load_mix(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* pc = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!pc) throw std::runtime_error(errbuf);  // libpcap's message names the file
  auto mix = std::make_unique<Mix>();
  mix->path = path;
  mix->name = mix_name(path);
  const int dlt = pcap_datalink(pc);
  const auto link = link_type_from_dlt(dlt);
  if (!link) {
    pcap_close(pc);
    throw std::runtime_error(path + ": link type " + std::to_string(dlt) + " is not one wcstap decodes");
  }
  mix->link = *link;

  Nanos span = 0;  // the latest packet's time since the first
  std::map<std::string, uint32_t> stream_ids;
  std::vector<StreamScan> scans;
  pcap_pkthdr* hdr;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
    const Nanos ts = static_cast<Nanos>(hdr->ts.tv_sec) * 1'000'000'000ull + static_cast<Nanos>(hdr->ts.tv_usec);
    if (mix->pkts.empty()) mix->t0 = ts;
    if (ts < mix->t0) {
      pcap_close(pc);
      throw std::runtime_error(path + ": packet " + std::to_string(mix->pkts.size() + 1) +
                               " is stamped before the first one; the bench wants time order");
    }
    if (mix->bytes.size() + hdr->caplen > UINT32_MAX) {
      pcap_close(pc);
      throw std::runtime_error(path + ": over 4 GiB of packets; give the bench a smaller mix");
    }
    Packet p;
    p.off = static_cast<uint32_t>(mix->bytes.size());
    p.caplen = hdr->caplen;
    p.wire_len = hdr->len;
    p.rel = ts - mix->t0;
    span = std::max(span, p.rel);
    mix->bytes.insert(mix->bytes.end(), data, data + hdr->caplen);

    DecodedPacket d;
    DecodeError err;
    if (decode_packet(*link, {data, hdr->caplen}, d, err) == DecodeStatus::Ok && d.l4 == L4::Udp &&
        (!d.fragment || d.first_fragment)) {
      const FlowClass c = classify_udp_payload(d.l4_payload);
      if (c == FlowClass::Rtp || c == FlowClass::Rtcp) p.cls = c;
      if (c == FlowClass::Rtp) {
        const uint8_t* h = d.l4_payload.data();
        p.rtp_off = static_cast<uint32_t>(h - data);
        p.seq0 = rd16(h + 2);
        p.rtpts0 = rd32(h + 4);
        // A stream: its SSRC in one direction between two endpoints.
        std::string key;
        for (const Endpoint* e : {&d.src, &d.dst}) {
          key.append(reinterpret_cast<const char*>(e->addr.data()), e->addr.size());
          key.push_back(static_cast<char>(e->port >> 8));
          key.push_back(static_cast<char>(e->port));
        }
        key.append(reinterpret_cast<const char*>(h + 8), 4);
        auto [it, fresh] = stream_ids.emplace(key, static_cast<uint32_t>(scans.size()));
        p.stream = it->second;
        if (fresh) {
          StreamScan s;
          s.prev_seq = p.seq0;
          s.prev_ts = p.rtpts0;
          s.t_first = s.t_last = ts;
          scans.push_back(s);
        } else {
          StreamScan& s = scans[p.stream];
          s.ext_seq += static_cast<int16_t>(static_cast<uint16_t>(p.seq0 - s.prev_seq));
          s.ts_last += static_cast<int32_t>(p.rtpts0 - s.prev_ts);
          s.seq_min = std::min(s.seq_min, s.ext_seq);
          s.seq_max = std::max(s.seq_max, s.ext_seq);
          s.prev_seq = p.seq0;
          s.prev_ts = p.rtpts0;
          s.t_last = ts;
        }
      }
    }
    if (decode_packet(*link, {data, hdr->caplen}, d, err) == DecodeStatus::Ok && d.l4 == L4::Tcp && !d.fragment &&
        std::max(d.src.port, d.dst.port) >= 1024) {
      // The TCP header: where its ports and sequence number are (past the link and IP headers).
      const bool src_moves = d.src.port >= d.dst.port;
      for (uint32_t h = 14; h + 8 <= hdr->caplen && h <= 128; ++h) {
        if (rd16(data + h) == d.src.port && rd16(data + h + 2) == d.dst.port && rd32(data + h + 4) == d.tcp_seq) {
          p.port_off = src_moves ? h : h + 2;
          p.port0 = src_moves ? d.src.port : d.dst.port;
          break;
        }
      }
    }
    const auto idx = static_cast<uint32_t>(mix->pkts.size());
    if (p.port_off != 0) mix->tcp.push_back(idx);
    mix->all.push_back(idx);
    if (p.cls == FlowClass::Rtp) mix->rtp.push_back(idx);
    else mix->not_rtp.push_back(idx);
    if (p.cls == FlowClass::Rtcp) mix->rtcp.push_back(idx);
    mix->pkts.push_back(p);
  }
  std::string read_error = rc == -1 ? pcap_geterr(pc) : "";
  pcap_close(pc);
  if (!read_error.empty()) throw std::runtime_error(path + ": " + read_error);
  if (mix->pkts.empty()) throw std::runtime_error(path + ": no packets");

  // The next replay starts one mean packet gap after this one ends.
  mix->period = span + std::max<Nanos>(1000, span / std::max<size_t>(1, mix->pkts.size() - 1));
  for (const StreamScan& s : scans) {
    StreamStep st;
    st.seq = static_cast<uint16_t>(s.seq_max - s.seq_min + 1);
    // RTP time moves on by the stream's own span plus the arrival gap to its next-replay first
    // packet at the stream's own rate: no jump in jitter at the seam.
    int64_t step = s.ts_last - s.ts_first;
    if (s.t_last > s.t_first && step > 0) {
      const double rate = static_cast<double>(step) / static_cast<double>(s.t_last - s.t_first);
      step += std::llround(rate * static_cast<double>(mix->period - (s.t_last - s.t_first)));
    }
    st.ts = static_cast<uint32_t>(step);
    mix->streams.push_back(st);
  }
  return mix;
}

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

// The pipeline on `subset` of the mix. Before the timed replays one untimed replay of `warmup`
// (the whole mix, or the mix without RTP) opens the flows and streams and marks the DTLS-keyed
// 5-tuples, so what is timed is the steady state.
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
  m->set_replay(k);
  replay(pipe, *m, *warmup, k++, feed);
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
