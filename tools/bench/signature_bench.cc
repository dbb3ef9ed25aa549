// wcstap-signature-bench: Hyperscan (SignatureEngine, block mode) against a naive scan, over the
// UDP and TCP payloads of one capture held in memory.
//
//   BM_Hyperscan/<capture>  SignatureEngine::scan_block of every payload: the built-ins and 20 user
//                           signatures (10 literals, 10 regexes) in one database
//   BM_Naive/<capture>      the same signatures one at a time per payload: std::string_view::find
//                           for the literals, std::regex_search for every regex (the built-ins
//                           translated to ECMAScript), port filters checked before scanning
//
// One iteration scans every payload once. Counters: per_payload (time per payload; "250n" is 250 ns),
// bytes_per_second (payload bytes), items_per_second (payloads), hits (payload-signature matches
// per iteration). Before timing, both are run once and their payload-signature hits compared.
//
//   wcstap-signature-bench CAPTURE [--benchmark_* ...]
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decode/decode.h"
#include "signature/signature.h"

namespace {

using namespace wcstap;

struct Payload {
  uint32_t off = 0, len = 0;  // into Capture::bytes
  uint16_t src_port = 0, dst_port = 0;
};

struct Capture {
  std::string name;
  std::vector<uint8_t> bytes;
  std::vector<Payload> payloads;
  Bytes payload(const Payload& p) const { return {bytes.data() + p.off, p.len}; }
};

Capture load(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* pc = pcap_open_offline(path.c_str(), errbuf);
  if (!pc) throw std::runtime_error(errbuf);
  const auto link = link_type_from_dlt(pcap_datalink(pc));
  if (!link) {
    pcap_close(pc);
    throw std::runtime_error(path + ": a link type wcstap does not decode");
  }
  Capture c;
  c.name = path.substr(path.find_last_of('/') + 1);
  pcap_pkthdr* hdr;
  const u_char* data;
  while (pcap_next_ex(pc, &hdr, &data) == 1) {
    DecodedPacket d;
    DecodeError err;
    if (decode_packet(*link, {data, hdr->caplen}, d, err) != DecodeStatus::Ok) continue;
    if ((d.l4 != L4::Udp && d.l4 != L4::Tcp) || d.l4_payload.empty()) continue;
    if (d.fragment && !d.first_fragment) continue;
    Payload p{static_cast<uint32_t>(c.bytes.size()), static_cast<uint32_t>(d.l4_payload.size()), d.src.port,
              d.dst.port};
    c.bytes.insert(c.bytes.end(), d.l4_payload.begin(), d.l4_payload.end());
    c.payloads.push_back(p);
  }
  pcap_close(pc);
  if (c.payloads.empty()) throw std::runtime_error(path + ": no UDP or TCP payload");
  return c;
}

// ---- the signatures ----------------------------------------------------------------------------

struct UserSig {
  bool literal;
  const char* text;
  unsigned flags;
  std::vector<PortRange> ports;
};

// What a tap watching WCS might look for: credentials and keys in clear, failure texts, private
// addresses in SDP, playlists, oversized bodies.
const std::vector<UserSig>& user_sigs() {
  static const std::vector<UserSig> s{
      {true, "sipPassword", 0, {}},
      {true, "authToken", 0, {}},
      {true, "a=fingerprint:sha-256", 0, {}},
      {true, "a=crypto:", 0, {}},
      {true, "Failed by ICE timeout", 0, {}},
      {true, "Failed by DTLS error", 0, {}},
      {true, "notEnoughBandwidth", 0, {}},
      {true, "User-Agent: ", 0, {}},
      {true, "X-Forwarded-For:", 0, {}},
      {true, "#EXTM3U", 0, {{8082, 8082}, {80, 80}}},
      {false, R"(a=candidate:[0-9]+ [12] (udp|UDP|tcp|TCP) [0-9]+ (10|192\.168|172\.(1[6-9]|2[0-9]|3[01]))\.)", 0, {}},
      {false, R"("status"\s*:\s*"FAILED")", 0, {}},
      {false, R"(Failed by [A-Za-z ]+ error)", 0, {}},
      {false, R"(c=IN IP4 (10|192\.168)\.[0-9]+\.[0-9]+)", 0, {}},
      {false, R"(m=video [0-9]+ (UDP/TLS/)?RTP/S?AVPF? )", 0, {}},
      {false, R"(authorization: (basic|digest) )", signature_flag::kCaseless, {}},
      {false, R"("mediaSessionId"\s*:\s*"[0-9a-f-]{36}")", 0, {}},
      {false, R"(/[A-Za-z0-9_-]+\.m3u8)", 0, {{8082, 8082}, {80, 80}}},
      {false, R"(Content-Length: [0-9]{6,})", 0, {}},
      {false, R"(sips?:[a-z0-9._-]+@[a-z0-9.-]+:5061)", 0, {{5060, 5061}}},
  };
  return s;
}

// Hyperscan reads a literal as a regex: escape what is special.
std::string regex_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (std::string_view("\\^$.|?*+()[]{}/").find(ch) != std::string_view::npos) out += '\\';
    out += ch;
  }
  return out;
}

std::vector<Signature> engine_user_sigs() {
  std::vector<Signature> out;
  uint32_t id = kFirstUserSignatureId;
  for (const UserSig& u : user_sigs()) {
    Signature s;
    s.id = id++;
    s.pattern = u.literal ? regex_escape(u.text) : u.text;
    s.flags = u.flags;
    s.ports = u.ports;
    s.name = u.text;
    out.push_back(std::move(s));
  }
  return out;
}

// A built-in pattern as ECMAScript: `(?i:x)` is not ECMAScript (the whole regex goes caseless
// instead, a little looser), and with DOTALL a `.` outside a class becomes [\s\S].
std::pair<std::string, std::regex::flag_type> to_ecmascript(const Signature& s) {
  std::regex::flag_type f = std::regex::ECMAScript | std::regex::optimize;
  if (s.flags & signature_flag::kCaseless) f |= std::regex::icase;
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < s.pattern.size(); ++i) {
    const char ch = s.pattern[i];
    if (ch == '\\' && i + 1 < s.pattern.size()) {
      out += ch;
      out += s.pattern[++i];
      continue;
    }
    if (!in_class && s.pattern.compare(i, 4, "(?i:") == 0) {
      out += "(?:";
      f |= std::regex::icase;
      i += 3;
      continue;
    }
    if (ch == '[') in_class = true;
    if (ch == ']') in_class = false;
    if (ch == '.' && !in_class && (s.flags & signature_flag::kDotall)) {
      out += R"([\s\S])";
      continue;
    }
    out += ch;
  }
  return {out, f};
}

struct NaiveSig {
  uint32_t id = 0;
  bool literal = false;
  std::string text;
  std::regex re;
  std::vector<PortRange> ports;
};

std::vector<NaiveSig> naive_sigs() {
  std::vector<NaiveSig> out;
  for (const Signature& s : builtin_signatures()) {
    auto [pattern, f] = to_ecmascript(s);
    out.push_back(NaiveSig{s.id, false, {}, std::regex(pattern, f), {}});
  }
  uint32_t id = kFirstUserSignatureId;
  for (const UserSig& u : user_sigs()) {
    NaiveSig n;
    n.id = id++;
    n.literal = u.literal;
    n.ports = u.ports;
    if (u.literal) {
      n.text = u.text;
    } else {
      auto f = std::regex::ECMAScript | std::regex::optimize;
      if (u.flags & signature_flag::kCaseless) f |= std::regex::icase;
      n.re = std::regex(u.text, f);
    }
    out.push_back(std::move(n));
  }
  return out;
}

bool ports_apply(const std::vector<PortRange>& ranges, uint16_t a, uint16_t b) {
  if (ranges.empty()) return true;
  for (const PortRange& r : ranges)
    if (r.contains(a) || r.contains(b)) return true;
  return false;
}

bool naive_match(const NaiveSig& s, Bytes p) {
  const char* b = reinterpret_cast<const char*>(p.data());
  if (s.literal) return std::string_view(b, p.size()).find(s.text) != std::string_view::npos;
  return std::regex_search(b, b + p.size(), s.re);
}

// ---- the benchmarks ----------------------------------------------------------------------------

struct Fixture {
  Capture cap;
  SignatureEngine engine{engine_user_sigs()};
  std::vector<NaiveSig> naive = naive_sigs();
  uint64_t total_bytes = 0;
};

void finish(benchmark::State& st, const Fixture& f, uint64_t hits) {
  const auto n = static_cast<double>(f.cap.payloads.size());
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * f.cap.payloads.size()));
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * f.total_bytes));
  st.counters["per_payload"] =
      benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  st.counters["hits"] = benchmark::Counter(static_cast<double>(hits) / static_cast<double>(st.iterations()));
  st.counters["payloads"] = n;
}

void bm_hyperscan(benchmark::State& st, Fixture* f) {
  uint64_t hits = 0;
  for (auto _ : st) {
    for (const Payload& p : f->cap.payloads)
      f->engine.scan_block(f->cap.payload(p), p.src_port, p.dst_port, [&hits](uint32_t, uint64_t) { ++hits; });
    benchmark::ClobberMemory();
  }
  finish(st, *f, hits);
}

void bm_naive(benchmark::State& st, Fixture* f) {
  uint64_t hits = 0;
  for (auto _ : st) {
    for (const Payload& p : f->cap.payloads) {
      const Bytes b = f->cap.payload(p);
      for (const NaiveSig& s : f->naive)
        if (ports_apply(s.ports, p.src_port, p.dst_port) && naive_match(s, b)) ++hits;
    }
    benchmark::ClobberMemory();
  }
  finish(st, *f, hits);
}

// Both once over the capture: the payload-signature pairs each finds. Hyperscan reports every
// match end, so its hits are made distinct per payload first.
void compare(Fixture& f) {
  std::set<std::pair<size_t, uint32_t>> hs, nv;
  for (size_t i = 0; i < f.cap.payloads.size(); ++i) {
    const Payload& p = f.cap.payloads[i];
    const Bytes b = f.cap.payload(p);
    f.engine.scan_block(b, p.src_port, p.dst_port, [&](uint32_t id, uint64_t) { hs.insert({i, id}); });
    for (const NaiveSig& s : f.naive)
      if (ports_apply(s.ports, p.src_port, p.dst_port) && naive_match(s, b)) nv.insert({i, s.id});
  }
  std::vector<std::pair<size_t, uint32_t>> only_hs, only_nv;
  std::set_difference(hs.begin(), hs.end(), nv.begin(), nv.end(), std::back_inserter(only_hs));
  std::set_difference(nv.begin(), nv.end(), hs.begin(), hs.end(), std::back_inserter(only_nv));
  std::printf("%s: %zu payloads, %llu bytes, %zu signatures (%zu built-in); payload-signature hits: "
              "hyperscan %zu, naive %zu, only hyperscan %zu, only naive %zu\n",
              f.cap.name.c_str(), f.cap.payloads.size(), static_cast<unsigned long long>(f.total_bytes),
              f.engine.signature_count(), builtin_signatures().size(), hs.size(), nv.size(), only_hs.size(),
              only_nv.size());
  std::set<uint32_t> ids;
  for (const auto& [i, id] : hs) ids.insert(id);
  for (uint32_t id : ids) {
    const size_t n = static_cast<size_t>(std::count_if(hs.begin(), hs.end(), [id](auto& x) { return x.second == id; }));
    const Signature* s = f.engine.find(id);
    std::printf("  %5u %-28s %zu payloads\n", id, s ? s->name.substr(0, 28).c_str() : "?", n);
  }
  for (const auto& [i, id] : only_hs) std::printf("  only hyperscan: payload %zu signature %u\n", i, id);
  for (const auto& [i, id] : only_nv) std::printf("  only naive: payload %zu signature %u\n", i, id);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest{argv[0]};
  std::string path;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).rfind("--", 0) == 0)
      rest.push_back(argv[i]);
    else if (path.empty())
      path = argv[i];
  }
  if (path.empty()) {
    std::fprintf(stderr, "usage: %s CAPTURE [--benchmark_* ...]\n", argv[0]);
    return 2;
  }
  static Fixture f;
  try {
    f.cap = load(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wcstap-signature-bench: %s\n", e.what());
    return 1;
  }
  for (const Payload& p : f.cap.payloads) f.total_bytes += p.len;
  compare(f);
  benchmark::RegisterBenchmark(("BM_Hyperscan/" + f.cap.name).c_str(), bm_hyperscan, &f);
  benchmark::RegisterBenchmark(("BM_Naive/" + f.cap.name).c_str(), bm_naive, &f);
  int bargc = static_cast<int>(rest.size());
  benchmark::Initialize(&bargc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
