#include "config/config.h"

#include "signature/signature.h"

#include <arpa/inet.h>
#include <yaml-cpp/binary.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace wcstap {

ConfigError::ConfigError(const std::string& file, const std::string& key, const std::string& problem)
    : std::runtime_error(file + ": " + (key.empty() ? std::string("(top level)") : key) + ": " + problem),
      file_(file),
      key_(key) {}

FlowClass WcsConfig::class_of_port(uint16_t port) const {
  for (const auto& e : port_map)
    if (e.ports.contains(port)) return e.cls;
  return FlowClass::Unknown;
}

namespace {

struct PortMapDefault {
  const char* name;
  FlowClass cls;
  std::vector<PortRange> ranges;
};

// WCS.md's defaults. The name is the config key under wcs.ports.
const std::vector<PortMapDefault>& port_map_defaults() {
  static const std::vector<PortMapDefault> d{
      {"ws", FlowClass::Websocket, {{8080, 8080}}},
      {"wss", FlowClass::Websocket, {{8443, 8443}}},
      {"http", FlowClass::Http, {{8081, 8081}}},
      {"https", FlowClass::Tls, {{8444, 8444}}},
      {"hls", FlowClass::Hls, {{8082, 8082}}},
      {"hls_tls", FlowClass::Tls, {{8445, 8445}}},
      {"cdn", FlowClass::Websocket, {{8084, 8084}}},
      {"rtmp", FlowClass::Rtmp, {{1935, 1935}}},
      {"rtsp", FlowClass::Rtsp, {{554, 554}}},
      {"sip", FlowClass::Sip, {{5060, 5061}}},
      {"turn", FlowClass::Stun, {{3478, 3478}, {5349, 5349}}},
      {"dns", FlowClass::Dns, {{53, 53}}},
  };
  return d;
}

// Every anomaly threshold the config may set: the kind, the key under it, the allowed range, and
// where it goes (a number, or a whole count).
struct Threshold {
  AnomalyKind kind;
  const char* key;
  double lo, hi;
  double* (*num)(AnomalyConfig&);
  uint32_t* (*count)(AnomalyConfig&);
};
#define WCSTAP_NUM(kind, key, lo, hi, field) \
  Threshold{AnomalyKind::kind, key, lo, hi, [](AnomalyConfig& a) { return &a.field; }, nullptr}
#define WCSTAP_COUNT(kind, key, lo, hi, field) \
  Threshold{AnomalyKind::kind, key, lo, hi, nullptr, [](AnomalyConfig& a) { return &a.field; }}
const Threshold kThresholds[] = {
    WCSTAP_NUM(one_way_media, "min_duration_s", 0.1, 3600, one_way_media.min_duration_s),
    WCSTAP_NUM(one_way_media, "rtcp_interval_s", 0.1, 3600, one_way_media.rtcp_interval_s),
    WCSTAP_COUNT(one_way_media, "min_packets", 1, 1000000, one_way_media.min_packets),
    WCSTAP_COUNT(packet_loss, "window_s", 1, 8, packet_loss.window_s),
    WCSTAP_NUM(packet_loss, "major_pct", 0.01, 100, packet_loss.major_pct),
    WCSTAP_NUM(packet_loss, "critical_pct", 0.01, 100, packet_loss.critical_pct),
    WCSTAP_COUNT(packet_loss, "min_expected", 1, 1000000, packet_loss.min_expected),
    WCSTAP_NUM(high_jitter, "audio_ms", 0.1, 10000, high_jitter.audio_ms),
    WCSTAP_NUM(high_jitter, "video_ms", 0.1, 10000, high_jitter.video_ms),
    WCSTAP_COUNT(high_jitter, "sustain_s", 1, 16, high_jitter.sustain_s),
    WCSTAP_COUNT(high_jitter, "clear_s", 1, 16, high_jitter.clear_s),
    WCSTAP_NUM(media_stall, "audio_s", 0.1, 3600, media_stall.audio_s),
    WCSTAP_NUM(media_stall, "video_s", 0.1, 3600, media_stall.video_s),
    WCSTAP_COUNT(nack_storm, "per_s", 1, 1000000, feedback.nack_per_s),
    WCSTAP_NUM(nack_storm, "pct", 0.01, 100, feedback.nack_pct),
    WCSTAP_COUNT(nack_storm, "min", 1, 1000000, feedback.nack_min),
    WCSTAP_NUM(pli_storm, "per_2s", 0, 1000, feedback.pli_per_2s),
    WCSTAP_COUNT(pli_storm, "sustain_s", 2, 16, feedback.pli_sustain_s),
    WCSTAP_NUM(bitrate_drop, "drop_pct", 1, 99, bitrate_drop.drop_pct),
    WCSTAP_NUM(bitrate_drop, "min_kbps", 0, 1e6, bitrate_drop.min_kbps),
    WCSTAP_COUNT(bitrate_drop, "baseline_s", 10, 600, bitrate_drop.baseline_s),
    WCSTAP_COUNT(ice_no_response, "requests", 1, 1000, ice_no_response.requests),
    WCSTAP_NUM(ice_no_response, "within_s", 0.1, 3600, ice_no_response.within_s),
    WCSTAP_NUM(ice_no_response, "min_age_s", 0, 3600, ice_no_response.min_age_s),
    WCSTAP_NUM(ice_consent_lost, "timeout_s", 0.1, 3600, ice_consent_lost.timeout_s),
    WCSTAP_COUNT(ice_consent_lost, "min_unanswered", 1, 1000, ice_consent_lost.min_unanswered),
    WCSTAP_NUM(relay_fallback_surge, "pct", 0, 100, relay_fallback_surge.pct),
    WCSTAP_COUNT(relay_fallback_surge, "window_s", 1, 86400, relay_fallback_surge.window_s),
    WCSTAP_COUNT(relay_fallback_surge, "min_sessions", 1, 256, relay_fallback_surge.min_sessions),
    WCSTAP_COUNT(relay_fallback_surge, "baseline_sessions", 10, 1000000, relay_fallback_surge.baseline_sessions),
    WCSTAP_NUM(relay_fallback_surge, "min_pct", 0, 100, relay_fallback_surge.min_pct),
    WCSTAP_NUM(stun_response_slow, "p95_ms", 0.1, 60000, stun_response_slow.p95_ms),
    WCSTAP_COUNT(stun_response_slow, "window_s", 1, 3600, stun_response_slow.window_s),
    WCSTAP_COUNT(stun_response_slow, "min_samples", 1, 64, stun_response_slow.min_samples),
    WCSTAP_NUM(srtp_auth_failure, "pct", 0.01, 100, srtp_auth_failure.pct),
    WCSTAP_COUNT(srtp_auth_failure, "window_s", 1, 7, srtp_auth_failure.window_s),
    WCSTAP_COUNT(srtp_auth_failure, "min_packets", 1, 1000000, srtp_auth_failure.min_packets),
    WCSTAP_NUM(dtls_incomplete, "within_s", 0.1, 3600, dtls_incomplete.within_s),
    WCSTAP_COUNT(dtls_incomplete, "client_hellos", 2, 255, dtls_incomplete.client_hellos),
    WCSTAP_NUM(dtls_incomplete, "min_age_s", 0, 3600, dtls_incomplete.min_age_s),
    // signalling
    WCSTAP_NUM(ws_connect_failed, "syn_timeout_s", 0.1, 3600, ws_connect_failed.syn_timeout_s),
    WCSTAP_NUM(signalling_no_answer, "timeout_s", 0.1, 3600, signalling_no_answer.timeout_s),
    WCSTAP_COUNT(tls_failure, "expiry_days", 0, 3650, tls_failure.expiry_days),
    WCSTAP_NUM(sip_failure, "timer_b_s", 0.5, 3600, sip_failure.timer_b_s),
    WCSTAP_NUM(sip_rtp_mismatch, "no_rtp_s", 0.1, 3600, sip_rtp_mismatch.no_rtp_s),
    WCSTAP_NUM(dns_failure, "timeout_s", 0.1, 60, dns_failure.timeout_s),
    WCSTAP_NUM(dns_failure, "slow_ms", 1, 60000, dns_failure.slow_ms),
    WCSTAP_NUM(rest_hook_slow, "slow_s", 0.01, 3600, rest_hook_slow.slow_s),
    WCSTAP_NUM(rest_hook_slow, "timeout_s", 0.1, 3600, rest_hook_slow.timeout_s),
    WCSTAP_NUM(rtsp_failure, "no_rtp_s", 0.1, 3600, rtsp_failure.no_rtp_s),
    WCSTAP_NUM(rtmp_failure, "handshake_s", 0.1, 3600, rtmp_failure.handshake_s),
    WCSTAP_NUM(rtmp_failure, "no_media_s", 0.1, 3600, rtmp_failure.no_media_s),
    WCSTAP_NUM(hls_stall, "target_durations", 1, 100, hls_stall.target_durations),
};
#undef WCSTAP_NUM
#undef WCSTAP_COUNT

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& key, const YAML::Node& n, const std::string& problem) const {
    std::string where = key.empty() ? "(top level)" : key;
    if (n.IsDefined() && n.Mark().line >= 0) where += " (line " + std::to_string(n.Mark().line + 1) + ")";
    throw ConfigError(file_, where, problem);
  }

  // Rejects keys this version does not know: a typo must not silently fall back to a default.
  void only_keys(const YAML::Node& map, const std::string& path, const std::set<std::string>& allowed) const {
    if (!map.IsDefined() || map.IsNull()) return;
    if (!map.IsMap()) fail(path, map, "expected a mapping");
    for (const auto& kv : map) {
      std::string k = kv.first.as<std::string>();
      if (!allowed.count(k)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(join(path, k), kv.first, "unknown key (known: " + list + ")");
      }
    }
  }

  static std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

  std::string scalar(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(key, n, "expected a single value");
    return n.Scalar();
  }

  double number(const YAML::Node& n, const std::string& key, double lo, double hi) const {
    std::string s = scalar(n, key);
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
      fail(key, n, "expected a number, got '" + s + "'");
    if (!(v >= lo && v <= hi)) {  // also rejects nan
      std::ostringstream o;
      o << "must be between " << lo << " and " << hi << ", got " << s;
      fail(key, n, o.str());
    }
    return v;
  }

  uint64_t whole(const YAML::Node& n, const std::string& key, uint64_t lo, uint64_t hi) const {
    std::string s = scalar(n, key);
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
      fail(key, n, "expected a whole number, got '" + s + "'");
    if (v < lo || v > hi)
      fail(key, n, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + s);
    return v;
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    std::string s = scalar(n, key);
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
    fail(key, n, "expected true or false, got '" + s + "'");
  }

  // "8080", 8080 or "31001-32000"
  PortRange port_range(const YAML::Node& n, const std::string& key) const {
    std::string s = scalar(n, key);
    auto dash = s.find('-');
    PortRange r;
    auto parse = [&](std::string_view part) -> uint16_t {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
      if (ec != std::errc() || p != part.data() + part.size() || v == 0 || v > 65535)
        fail(key, n, "expected a port 1-65535 or a range 'from-to', got '" + s + "'");
      return static_cast<uint16_t>(v);
    };
    if (dash == std::string::npos) {
      r.from = r.to = parse(s);
    } else {
      r.from = parse(std::string_view(s).substr(0, dash));
      r.to = parse(std::string_view(s).substr(dash + 1));
      if (r.from > r.to) fail(key, n, "range '" + s + "' runs backwards");
    }
    return r;
  }

  std::vector<PortRange> port_list(const YAML::Node& n, const std::string& key) const {
    std::vector<PortRange> out;
    if (n.IsSequence()) {
      for (size_t i = 0; i < n.size(); ++i) out.push_back(port_range(n[i], key + "[" + std::to_string(i) + "]"));
    } else {
      out.push_back(port_range(n, key));
    }
    return out;
  }

  std::vector<std::string> string_list(const YAML::Node& n, const std::string& key) const {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
      return out;
    }
    if (!n.IsSequence()) fail(key, n, "expected a list of strings");
    for (size_t i = 0; i < n.size(); ++i) out.push_back(scalar(n[i], key + "[" + std::to_string(i) + "]"));
    return out;
  }

  void load(const YAML::Node& root, Config& c) const {
    if (root.IsNull()) return;
    if (!root.IsMap()) fail("", root, "expected a mapping at the top level");
    only_keys(root, "", {"tap_id", "wcs", "anomalies", "flows", "signalling", "dataplane", "zmq", "srtp", "signatures"});
    if (auto n = root["tap_id"]) {
      c.tap_id = scalar(n, "tap_id");
      if (c.tap_id.empty() || c.tap_id.size() > 64) fail("tap_id", n, "must be 1 to 64 characters");
    }
    wcs(root["wcs"], c.wcs);
    anomalies(root["anomalies"], c.anomalies);
    flows(root["flows"], c.flows);
    signalling(root["signalling"], c.signalling);
    c.signatures = parse_signatures(root["signatures"], file_);
    dataplane(root["dataplane"], c.dataplane);
    zmq(root["zmq"], c.zmq);
    srtp(root["srtp"], c.srtp);
  }

  // "192.0.2.1:5004" or "[2001:db8::1]:5004"
  Endpoint endpoint(const YAML::Node& n, const std::string& key) const {
    const std::string s = scalar(n, key);
    const auto colon = s.rfind(':');
    Endpoint e;
    unsigned port = 0;
    bool ok = colon != std::string::npos && colon + 1 < s.size();
    if (ok) {
      auto [p, ec] = std::from_chars(s.data() + colon + 1, s.data() + s.size(), port);
      ok = ec == std::errc() && p == s.data() + s.size() && port >= 1 && port <= 65535;
    }
    std::string addr = ok ? s.substr(0, colon) : "";
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') {
      ok = inet_pton(AF_INET6, addr.substr(1, addr.size() - 2).c_str(), e.addr.data()) == 1;
      e.family = 6;
    } else if (ok) {
      ok = inet_pton(AF_INET, addr.c_str(), e.addr.data()) == 1;
      e.family = 4;
    }
    if (!ok) fail(key, n, "expected address:port (IPv6 in brackets), got '" + s + "'");
    e.port = static_cast<uint16_t>(port);
    return e;
  }

  void srtp(const YAML::Node& n, SrtpConfig& out, bool key_file = false) const {
    if (key_file)
      only_keys(n, "srtp", {"keys", "payload_types"});
    else
      only_keys(n, "srtp", {"keys", "payload_types", "sdes_keys"});
    if (!n) return;
    if (auto v = n["sdes_keys"]) out.sdes_keys = static_cast<uint32_t>(whole(v, "srtp.sdes_keys", 0, 1u << 20));
    if (auto pts = n["payload_types"]) {
      if (!pts.IsMap()) fail("srtp.payload_types", pts, "expected a mapping of payload type to codec");
      for (const auto& kv : pts) {
        const std::string pt_text = kv.first.as<std::string>();
        const uint64_t pt = whole(kv.first, "srtp.payload_types", 0, 127);
        const std::string name = scalar(kv.second, "srtp.payload_types." + pt_text);
        VideoCodec c = VideoCodec::None;
        if (name == "vp8" || name == "VP8") c = VideoCodec::Vp8;
        else if (name == "vp9" || name == "VP9") c = VideoCodec::Vp9;
        else if (name == "h264" || name == "H264") c = VideoCodec::H264;
        out.video_codecs[pt] = c;  // audio and other codecs: no keyframes to look for
      }
    }
    auto keys = n["keys"];
    if (!keys || keys.IsNull()) return;
    if (!keys.IsSequence()) fail("srtp.keys", keys, "expected a list of keys");
    for (size_t i = 0; i < keys.size(); ++i) {
      const YAML::Node k = keys[i];
      const std::string path = "srtp.keys[" + std::to_string(i) + "]";
      only_keys(k, path, {"ssrc", "src", "dst", "suite", "key"});
      if (!k.IsMap()) fail(path, k, "expected a mapping");
      SrtpKeyConfig key;
      if (auto s = k["ssrc"]) {
        const std::string text = scalar(s, path + ".ssrc");
        uint64_t v = 0;
        const bool hex = text.size() > 2 && (text[1] == 'x' || text[1] == 'X') && text[0] == '0';
        auto [p, ec] = std::from_chars(text.data() + (hex ? 2 : 0), text.data() + text.size(), v, hex ? 16 : 10);
        if (ec != std::errc() || p != text.data() + text.size() || v > 0xffffffffu)
          fail(path + ".ssrc", s, "expected a 32-bit SSRC (decimal or 0x hex), got '" + text + "'");
        key.by_ssrc = true;
        key.ssrc = static_cast<uint32_t>(v);
        if (k["src"] || k["dst"]) fail(path, k, "give either ssrc or src and dst, not both");
      } else {
        if (!k["src"] || !k["dst"]) fail(path, k, "needs ssrc, or src and dst (the flow direction the key protects)");
        key.src = endpoint(k["src"], path + ".src");
        key.dst = endpoint(k["dst"], path + ".dst");
      }
      if (auto s = k["suite"]) {
        const std::string name = scalar(s, path + ".suite");
        bool known = false;
        for (auto suite : {SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32, SrtpSuite::AeadAes128Gcm,
                           SrtpSuite::AeadAes256Gcm})
          if (name == srtp_suite_name(suite)) {
            key.suite = suite;
            known = true;
          }
        if (!known)
          fail(path + ".suite", s, "expected AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM or "
                                   "AEAD_AES_256_GCM, got '" + name + "'");
      }
      // The key itself: never echoed, not even in an error.
      const YAML::Node kn = k["key"];
      if (!kn || !kn.IsScalar()) fail(path + ".key", kn, "expected the base64 master key and salt");
      std::string text = kn.Scalar();
      if (text.rfind("inline:", 0) == 0) text = text.substr(7);         // SDES a=crypto's form
      if (const auto bar = text.find('|'); bar != std::string::npos) text.resize(bar);  // lifetime, MKI
      const std::vector<unsigned char> bytes = YAML::DecodeBase64(text);
      const size_t want = srtp_key_length(key.suite);
      if (bytes.size() != want)
        fail(path + ".key", kn, "expected base64 of " + std::to_string(want) + " bytes (master key and salt) for " +
                                    srtp_suite_name(key.suite) + ", got " +
                                    (bytes.empty() ? std::string("no valid base64") : std::to_string(bytes.size()) + " bytes"));
      key.material.assign(bytes.begin(), bytes.end());
      out.keys.push_back(std::move(key));
    }
  }

  void srtp_file(const YAML::Node& root, SrtpConfig& out) const {
    if (!root.IsMap()) fail("", root, "expected a mapping with an srtp section");
    only_keys(root, "", {"srtp"});
    srtp(root["srtp"], out, true);
  }

  void wcs(const YAML::Node& n, WcsConfig& w) const {
    only_keys(n, "wcs", {"ports", "media_ports"});
    if (!n) return;
    if (auto ports = n["ports"]) {
      std::set<std::string> names;
      for (const auto& d : port_map_defaults()) names.insert(d.name);
      only_keys(ports, "wcs.ports", names);
      w.port_map.clear();
      for (const auto& d : port_map_defaults()) {
        std::string key = std::string("wcs.ports.") + d.name;
        std::vector<PortRange> ranges = ports[d.name] ? port_list(ports[d.name], key) : d.ranges;
        for (const auto& r : ranges) w.port_map.push_back({r, d.cls, d.name});
      }
    }
    if (auto m = n["media_ports"]) w.media_ports = port_range(m, "wcs.media_ports");
  }

  void anomalies(const YAML::Node& n, AnomalyConfig& a) const {
    if (!n) return;
    if (!n.IsMap()) fail("anomalies", n, "expected a mapping");
    for (const auto& kv : n) {
      std::string k = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (k == "refresh_interval_s") {
        a.refresh_interval_s = number(v, "anomalies.refresh_interval_s", 0.1, 3600);
        continue;
      }
      auto kind = anomaly_kind_from_name(k);
      if (!kind) fail("anomalies." + k, kv.first, "not an anomaly kind of ANOMALIES.md, nor refresh_interval_s");
      std::string path = "anomalies." + k;
      std::set<std::string> allowed{"enabled", "severity"};
      for (const Threshold& t : kThresholds)
        if (t.kind == *kind) allowed.insert(t.key);
      only_keys(v, path, allowed);
      KindSettings& ks = a[*kind];
      if (auto e = v["enabled"]) ks.enabled = boolean(e, path + ".enabled");
      if (auto s = v["severity"]) {
        auto sev = severity_from_name(scalar(s, path + ".severity"));
        if (!sev) fail(path + ".severity", s, "expected info, minor, major or critical");
        ks.severity = *sev;
      }
      for (const Threshold& t : kThresholds) {
        if (t.kind != *kind) continue;
        const YAML::Node x = v[t.key];
        if (!x) continue;
        const std::string key = path + "." + t.key;
        if (t.num != nullptr)
          *t.num(a) = number(x, key, t.lo, t.hi);
        else
          *t.count(a) = static_cast<uint32_t>(whole(x, key, static_cast<uint64_t>(t.lo), static_cast<uint64_t>(t.hi)));
      }
      if (*kind == AnomalyKind::pli_storm && a.feedback.pli_sustain_s % 2)
        fail(path + ".sustain_s", v["sustain_s"], "must be even (judged in 2 s steps)");
      if (*kind == AnomalyKind::packet_loss && a.packet_loss.critical_pct < a.packet_loss.major_pct)
        fail(path + ".critical_pct", v, "must not be below major_pct");
      if (*kind == AnomalyKind::dns_failure && a.dns_failure.slow_ms >= a.dns_failure.timeout_s * 1000)
        fail(path + ".slow_ms", v, "must be under timeout_s");
    }
  }

  void signalling(const YAML::Node& n, SignallingConfig& s) const {
    if (!n) return;
    only_keys(n, "signalling", {"connections", "reassembly"});
    if (auto v = n["connections"]) s.connections = static_cast<uint32_t>(whole(v, "signalling.connections", 16, 1u << 26));
    if (auto r = n["reassembly"]) {
      only_keys(r, "signalling.reassembly", {"window_kb", "memory_mb", "gap_timeout_ms"});
      if (auto v = r["window_kb"]) s.window_kb = static_cast<uint32_t>(whole(v, "signalling.reassembly.window_kb", 1, 16384));
      if (auto v = r["memory_mb"]) s.memory_mb = static_cast<uint32_t>(whole(v, "signalling.reassembly.memory_mb", 1, 65536));
      if (auto v = r["gap_timeout_ms"])
        s.gap_timeout_ms = static_cast<uint32_t>(whole(v, "signalling.reassembly.gap_timeout_ms", 1, 600000));
      if (uint64_t{s.window_kb} > uint64_t{s.memory_mb} * 1024)
        fail("signalling.reassembly.window_kb", r, "must not exceed memory_mb");
    }
  }

  void flows(const YAML::Node& n, FlowTableConfig& f) const {
    only_keys(n, "flows", {"capacity", "media_flows", "rtp_streams", "udp_idle_timeout_s", "tcp_idle_timeout_s"});
    if (!n) return;
    if (auto v = n["capacity"]) f.capacity = static_cast<uint32_t>(whole(v, "flows.capacity", 16, 1u << 30));
    if (auto v = n["media_flows"]) f.media_flows = static_cast<uint32_t>(whole(v, "flows.media_flows", 16, 1u << 30));
    if (auto v = n["rtp_streams"]) f.rtp_streams = static_cast<uint32_t>(whole(v, "flows.rtp_streams", 16, 1u << 30));
    if (auto v = n["udp_idle_timeout_s"]) f.udp_idle_timeout_s = number(v, "flows.udp_idle_timeout_s", 1, 86400);
    if (auto v = n["tcp_idle_timeout_s"]) f.tcp_idle_timeout_s = number(v, "flows.tcp_idle_timeout_s", 1, 86400);
  }

  void dataplane(const YAML::Node& n, DataplaneConfig& d) const {
    only_keys(n, "dataplane", {"ports", "mode", "workers", "balance", "handoff_ring_size", "time_source", "mbufs", "mbuf_data_room",
                               "rx_descriptors", "event_ring_size", "exit_on_pcap_end", "stats_interval_s"});
    if (!n) return;
    if (auto v = n["ports"]) d.ports = string_list(v, "dataplane.ports");
    if (auto v = n["mode"]) {
      const std::string m = scalar(v, "dataplane.mode");
      if (m == "mirror") d.mode = DataplaneMode::Mirror;
      else if (m == "inline") d.mode = DataplaneMode::Inline;
      else fail("dataplane.mode", v, "expected mirror or inline, got '" + m + "'");
    }
    if (d.mode == DataplaneMode::Inline && (d.ports.empty() || d.ports.size() % 2 != 0))
      fail("dataplane.ports", n["ports"],
           "in-line mode forwards between pairs of ports: name them in pairs (first and second, third and "
           "fourth...), got " + std::to_string(d.ports.size()));
    if (auto v = n["workers"]) d.workers = static_cast<uint16_t>(whole(v, "dataplane.workers", 1, 128));
    if (auto v = n["balance"]) {
      const std::string b = scalar(v, "dataplane.balance");
      if (b == "host_pair") d.balance = BalanceBy::HostPair;
      else if (b == "five_tuple") d.balance = BalanceBy::FiveTuple;
      else fail("dataplane.balance", v, "expected host_pair or five_tuple, got '" + b + "'");
    }
    if (auto v = n["handoff_ring_size"]) {
      uint64_t s = whole(v, "dataplane.handoff_ring_size", 64, 1u << 20);
      if ((s & (s - 1)) != 0) fail("dataplane.handoff_ring_size", v, "must be a power of two, got " + std::to_string(s));
      d.handoff_ring_size = static_cast<uint32_t>(s);
    }
    if (auto v = n["time_source"]) {
      const std::string t = scalar(v, "dataplane.time_source");
      if (t == "auto") d.time_source = TimeSourceChoice::Auto;
      else if (t == "capture") d.time_source = TimeSourceChoice::Capture;
      else if (t == "tsc") d.time_source = TimeSourceChoice::Tsc;
      else fail("dataplane.time_source", v, "expected auto, capture or tsc, got '" + t + "'");
    }
    if (auto v = n["mbufs"]) d.mbufs = static_cast<uint32_t>(whole(v, "dataplane.mbufs", 512, 1u << 24));
    if (auto v = n["mbuf_data_room"])
      d.mbuf_data_room = static_cast<uint16_t>(whole(v, "dataplane.mbuf_data_room", 64, 65535 - 128));
    if (auto v = n["rx_descriptors"]) d.rx_descriptors = static_cast<uint16_t>(whole(v, "dataplane.rx_descriptors", 32, 16384));
    if (auto v = n["event_ring_size"]) {
      uint64_t s = whole(v, "dataplane.event_ring_size", 64, 1u << 24);
      if ((s & (s - 1)) != 0) fail("dataplane.event_ring_size", v, "must be a power of two, got " + std::to_string(s));
      d.event_ring_size = static_cast<uint32_t>(s);
    }
    if (auto v = n["exit_on_pcap_end"]) d.exit_on_pcap_end = boolean(v, "dataplane.exit_on_pcap_end");
    if (auto v = n["stats_interval_s"]) d.stats_interval_s = number(v, "dataplane.stats_interval_s", 0.05, 3600);
  }

  void zmq(const YAML::Node& n, ZmqConfig& z) const {
    only_keys(n, "zmq", {"publish", "wait_for_subscribers_ms", "send_hwm", "subscribe"});
    if (!n) return;
    auto endpoint = [&](const YAML::Node& v, const std::string& key) {
      std::string s = scalar(v, key);
      if (s.rfind("tcp://", 0) != 0 && s.rfind("ipc://", 0) != 0 && s.rfind("inproc://", 0) != 0)
        fail(key, v, "expected a ZeroMQ endpoint (tcp://, ipc:// or inproc://), got '" + s + "'");
      return s;
    };
    if (auto v = n["publish"]) z.publish = endpoint(v, "zmq.publish");
    if (auto v = n["wait_for_subscribers_ms"]) z.wait_for_subscribers_ms = static_cast<uint32_t>(whole(v, "zmq.wait_for_subscribers_ms", 0, 600000));
    if (auto v = n["send_hwm"]) z.send_hwm = static_cast<uint32_t>(whole(v, "zmq.send_hwm", 1, 100000000));
    if (auto v = n["subscribe"]) {
      if (!v.IsSequence() && !v.IsScalar()) fail("zmq.subscribe", v, "expected an endpoint or a list of endpoints");
      z.subscribe.clear();
      if (v.IsScalar()) {
        z.subscribe.push_back(endpoint(v, "zmq.subscribe"));
      } else {
        for (size_t i = 0; i < v.size(); ++i) z.subscribe.push_back(endpoint(v[i], "zmq.subscribe[" + std::to_string(i) + "]"));
      }
      if (z.subscribe.empty()) fail("zmq.subscribe", v, "needs at least one endpoint");
    }
  }

 private:
  std::string file_;
};

Config parse(const std::string& text, const std::string& name) {
  Config c = default_config();
  c.source_file = name;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(name, "line " + std::to_string(e.mark.line + 1), "YAML syntax: " + e.msg);
  }
  Loader(name).load(root, c);
  return c;
}

}  // namespace

Config default_config() {
  Config c;
  c.source_file = "<defaults>";
  for (const auto& d : port_map_defaults())
    for (const auto& r : d.ranges) c.wcs.port_map.push_back({r, d.cls, d.name});
  for (unsigned i = 0; i < kAnomalyKindCount; ++i)
    c.anomalies.kinds[i] = KindSettings{true, default_severity(static_cast<AnomalyKind>(i))};
  return c;
}

Config load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, "", "cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Config load_config_string(const std::string& yaml, const std::string& name) { return parse(yaml, name); }

const char* srtp_suite_name(SrtpSuite s) {
  switch (s) {
    case SrtpSuite::AesCm128HmacSha1_80: return "AES_CM_128_HMAC_SHA1_80";
    case SrtpSuite::AesCm128HmacSha1_32: return "AES_CM_128_HMAC_SHA1_32";
    case SrtpSuite::AeadAes128Gcm: return "AEAD_AES_128_GCM";
    case SrtpSuite::AeadAes256Gcm: return "AEAD_AES_256_GCM";
  }
  return "?";
}

size_t srtp_key_length(SrtpSuite s) {
  switch (s) {
    case SrtpSuite::AesCm128HmacSha1_80:
    case SrtpSuite::AesCm128HmacSha1_32: return 30;  // 16-byte key, 14-byte salt
    case SrtpSuite::AeadAes128Gcm: return 28;        // 16, 12 (RFC 7714)
    case SrtpSuite::AeadAes256Gcm: return 44;        // 32, 12
  }
  return 0;
}

void load_srtp_keys_string(const std::string& yaml, const std::string& name, SrtpConfig& into) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(name, "line " + std::to_string(e.mark.line + 1), "YAML syntax: " + e.msg);
  }
  Loader(name).srtp_file(root, into);
}

void load_srtp_keys(const std::string& path, SrtpConfig& into) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, "", "cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  load_srtp_keys_string(ss.str(), path, into);
}

}  // namespace wcstap
