// wcstap-signature-bench: Hyperscan (SignatureEngine, block mode) against a naive scan, over the
// UDP and TCP payloads of one capture held in memory.
//
//   BM_Hyperscan/<capture>  SignatureEngine::scan_block of every payload: the built-ins and 20 user
//                           signatures (10 literals, 10 regexes) in one database
//   BM_Naive/<capture>      the same signatures one at a time per payload: std::string_view::find
//                           for the literals, std::regex_search for every regex (the built-ins
//                           translated to ECMAScript), port filters checked before scanning
//
//   BM_WcsRead/<text>       WcsMessageReader::read (simdjson) of one WebSocket text message
//   BM_WcsPrefilter/<text>  SignatureEngine::names_wcs_message, then read() only when it says yes:
//                           what the WebSocket analyzer does with a text message on a connection
//                           that has carried no WCS message yet (after one, texts are read unfiltered)
//
// One iteration scans every payload once (BM_Wcs*: reads one message). Counters: per_payload (time per payload; "250n" is 250 ns),
// bytes_per_second (payload bytes), items_per_second (payloads), hits (payload-signature matches
// per iteration). Before timing, both are run once and their payload-signature hits compared.
//
//   wcstap-signature-bench CAPTURE [--benchmark_* ...]
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "decode/decode.h"
#include "signature/signature.h"
#include "wcs/wcs_message.h"

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
    // The WCS message names have a database of their own (scan_wcs_names), not scan_block's.
    if (builtin_signature(s.id).protocol == SignatureProtocol::WcsMessage) continue;
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

// ---- WCS's JSON: the prefilter before the parse -------------------------------------------------

// Text messages as they come on a WCS WebSocket (WCS's own, small and with an SDP) and on another
// application's (a chat message, a larger JSON document, plain text).
std::vector<std::pair<std::string, std::string>> wcs_texts() {
  std::string sdp = "v=0\\r\\no=- 4611731400430051336 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n";
  for (int m = 0; m < 2; ++m) {
    sdp += m ? "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102\\r\\n" : "m=audio 9 UDP/TLS/RTP/SAVPF 111 103 9 0 8\\r\\n";
    sdp += "c=IN IP4 0.0.0.0\\r\\na=ice-ufrag:Hx3b\\r\\na=ice-pwd:8sQ9yR1mNf0dT4kLp2aZc7Vw\\r\\n";
    sdp += "a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF\\r\\n";
    for (int i = 0; i < 12; ++i) sdp += "a=rtpmap:" + std::to_string(96 + i) + " VP8/90000\\r\\na=rtcp-fb:" + std::to_string(96 + i) + " nack pli\\r\\n";
  }
  std::string blob = R"({"type":"telemetry","samples":[)";
  for (int i = 0; i < 60; ++i) blob += (i ? "," : "") + std::string(R"({"t":)") + std::to_string(1000 + i) + R"(,"cpu":0.42,"mem":512})";
  blob += "]}";
  return {
      {"wcs_ping", R"({"message":"ping","data":[]})"},
      {"wcs_status", R"({"message":"notifyStreamStatusEvent","data":[{"mediaSessionId":"4a8e6e40-1c8a-11ee-9b5e-3f1c1b1e8f21",)"
                     R"("name":"stream-01","published":true,"status":"PUBLISHING","info":""}]})"},
      {"wcs_publish_sdp", R"({"message":"publishStream","data":[{"mediaSessionId":"4a8e6e40-1c8a-11ee-9b5e-3f1c1b1e8f21",)"
                          R"("name":"stream-01","published":true,"hasVideo":true,"sdp":")" + sdp + R"("}]})"},
      {"other_chat", R"({"type":"chat","from":"alice","text":"hello, are you there?","ts":1767225600})"},
      {"other_json_2k", blob},
      {"other_plain", "the quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog"},
  };
}

struct WcsFixture {
  std::vector<uint8_t> text;  // with the parser's padding after it
  size_t size = 0;
  WcsMessageReader reader;
  SignatureEngine* engine = nullptr;
};

void bm_wcs(benchmark::State& st, WcsFixture* f, bool prefilter) {
  WcsMessage m;
  const Bytes b(f->text.data(), f->size);
  uint64_t parsed = 0;
  for (auto _ : st) {
    if (!prefilter || f->engine->names_wcs_message(b)) {
      benchmark::DoNotOptimize(f->reader.read(b, m));
      ++parsed;
    }
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * f->size));
  st.counters["parsed"] = benchmark::Counter(static_cast<double>(parsed) / static_cast<double>(st.iterations()));
  st.counters["bytes"] = static_cast<double>(f->size);
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
  static std::vector<std::unique_ptr<WcsFixture>> wcs;
  for (const auto& [name, text] : wcs_texts()) {
    auto w = std::make_unique<WcsFixture>();
    w->text.assign(text.begin(), text.end());
    w->size = text.size();
    w->text.resize(text.size() + 64, 0);  // simdjson's padding
    w->engine = &f.engine;
    std::printf("wcs text %-16s %5zu bytes: names a WCS message %s, reads %s\n", name.c_str(), w->size,
                f.engine.names_wcs_message(Bytes(w->text.data(), w->size)) ? "yes" : "no",
                [&] {
                  WcsMessage m;
                  return wcs_read_status_name(w->reader.read(Bytes(w->text.data(), w->size), m));
                }());
    benchmark::RegisterBenchmark(("BM_WcsRead/" + name).c_str(), bm_wcs, w.get(), false);
    benchmark::RegisterBenchmark(("BM_WcsPrefilter/" + name).c_str(), bm_wcs, w.get(), true);
    wcs.push_back(std::move(w));
  }
  int bargc = static_cast<int>(rest.size());
  benchmark::Initialize(&bargc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
