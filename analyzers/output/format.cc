#include "output/format.h"

#include <arpa/inet.h>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "dtls/dtls.h"

namespace wcstap {

namespace {

using Json = nlohmann::ordered_json;

double secs(Nanos ns) {
  // Microsecond resolution: what pcap timestamps carry, and stable when printed.
  return static_cast<double>(ns / 1000) / 1e6;
}

std::string addr_string(const Endpoint& e) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (e.family == 4)
    inet_ntop(AF_INET, e.addr.data(), buf, sizeof buf);
  else if (e.family == 6)
    inet_ntop(AF_INET6, e.addr.data(), buf, sizeof buf);
  return buf;
}

// Milliseconds to the microsecond: what the timestamps can tell.
double ms3(double ms) { return std::round(ms * 1000.0) / 1000.0; }

// A session id as 16 hex digits.
std::string session_string(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

std::string ssrc_string(uint32_t ssrc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", ssrc);
  return buf;
}

bool has_ports(L4 l4) { return l4 == L4::Udp || l4 == L4::Tcp; }

// An endpoint as printed: with its port where the protocol has ports; a host (port 0, an anomaly
// about a server rather than a flow) as its address; none (family 0) as "-".
std::string ep(const Endpoint& e, L4 l4) {
  if (e.family == 0) return "-";
  return has_ports(l4) && e.port != 0 ? endpoint_to_string(e) : addr_string(e);
}
Json ep_json(const Endpoint& e, L4 l4) { return e.family == 0 ? Json(nullptr) : Json(ep(e, l4)); }

// "2026-01-01 00:00:08.123456Z"
std::string clock_string(Nanos ns) {
  time_t t = static_cast<time_t>(ns / 1000000000ull);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06" PRIu64 "Z", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ns / 1000) % 1000000);
  return buf;
}

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= 10ull * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1024.0 * 1024.0));
  else if (b >= 10 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%" PRIu64 " B", b);
  return buf;
}

Json classes_json(FlowClassMask m) {
  Json a = Json::array();
  for (unsigned i = 1; i < static_cast<unsigned>(FlowClass::Count); ++i)
    if (m & (1u << i)) a.push_back(flow_class_name(static_cast<FlowClass>(i)));
  return a;
}

Json to_json(const AnomalyEvent& a) {
  Json j;
  j["type"] = "anomaly";
  j["kind"] = anomaly_kind_name(a.kind);
  j["state"] = anomaly_state_name(a.state);
  j["severity"] = severity_name(a.severity);
  j["proto"] = l4_name(a.l4);
  j["src"] = ep_json(a.src, a.l4);
  j["dst"] = ep_json(a.dst, a.l4);
  if (a.has_ssrc) j["ssrc"] = ssrc_string(a.ssrc);
  j["ts"] = secs(a.ts);
  j["first_ts"] = secs(a.first_ts);
  j["value"] = a.value;
  j["threshold"] = a.threshold;
  j["detail"] = std::string(a.detail, strnlen(a.detail, sizeof a.detail));
  if (a.session) j["session"] = session_string(a.session);
  if (a.stream[0]) j["stream"] = std::string(a.stream, strnlen(a.stream, sizeof a.stream));
  return j;
}

Json to_json(const WebrtcSessionEvent& s) {
  Json j;
  j["type"] = "webrtc_session";
  j["session"] = session_string(s.id);
  j["ufrags"] = {std::string(s.ufrag_a.data()), std::string(s.ufrag_b.data())};
  j["first_ts"] = secs(s.first_ts);
  j["last_ts"] = secs(s.last_ts);
  j["flows"] = s.flows;
  j["relay"] = s.relay;
  Json ice = {{"state", ice_state_name(s.ice)}, {"checks", s.checks}, {"successes", s.successes}};
  ice["first_success_ms"] = s.first_success_ts ? Json(ms3(static_cast<double>(elapsed(s.first_success_ts, s.first_ts)) / 1e6))
                                               : Json(nullptr);
  j["ice"] = ice;
  j["selected"] = s.selected_src.family ? Json{{"proto", l4_name(s.selected_l4)}, {"src", ep(s.selected_src, s.selected_l4)},
                                               {"dst", ep(s.selected_dst, s.selected_l4)}}
                                        : Json(nullptr);
  Json d = {{"stage", dtls_stage_name(s.dtls)}};
  if (s.dtls_version) d["version"] = dtls::version_name(s.dtls_version);
  if (s.srtp_profile) d["srtp_profile"] = dtls::srtp_profile_name(s.srtp_profile);
  d["handshake_ms"] = s.dtls == DtlsStage::Done ? Json(ms3(s.dtls_handshake_ms)) : Json(nullptr);
  j["dtls"] = d;
  j["rtp_streams"] = s.rtp_streams;
  j["anomalies"] = s.anomalies;
  return j;
}

std::string to_text(const WebrtcSessionEvent& s) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "webrtc session %s: %u flow(s)%s, ICE %s (%u checks, %u answered), DTLS %s, %u RTP streams, %u anomalies",
                session_string(s.id).c_str(), s.flows, s.relay ? " via TURN" : "", ice_state_name(s.ice), s.checks,
                s.successes, dtls_stage_name(s.dtls), s.rtp_streams, s.anomalies);
  std::string t = buf;
  if (s.selected_src.family)
    t += "; pair " + ep(s.selected_src, s.selected_l4) + " <-> " + ep(s.selected_dst, s.selected_l4);
  return t;
}

std::string text_field(const char* f, size_t n) { return std::string(f, strnlen(f, n)); }

std::string tls_version_text(uint16_t v) {
  switch (v) {
    case 0x0300: return "SSL 3.0";
    case 0x0301: return "TLS 1.0";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    default: {
      char b[8];
      std::snprintf(b, sizeof b, "0x%04x", v);
      return b;
    }
  }
}

// A signalling record: the generic fields under the names its kind gives them.
Json to_json(const SignallingEvent& e) {
  Json j;
  j["type"] = "signalling";
  j["kind"] = signalling_kind_name(e.kind);
  j["protocol"] = flow_class_name(e.protocol);
  j["proto"] = l4_name(e.l4);
  j["client"] = ep_json(e.client, e.l4);
  j["server"] = ep_json(e.server, e.l4);
  j["first_ts"] = secs(e.first_ts);
  j["last_ts"] = secs(e.last_ts);
  const std::string id = text_field(e.id, sizeof e.id), name = text_field(e.name, sizeof e.name),
                    state = text_field(e.state, sizeof e.state), detail = text_field(e.detail, sizeof e.detail);
  auto opt = [](const std::string& v) { return v.empty() ? Json(nullptr) : Json(v); };
  switch (e.kind) {
    case SignallingKind::Connection:
      j["host"] = opt(id);
      j["target"] = opt(name);
      j["state"] = state;
      j["status"] = e.status ? Json(e.status) : Json(nullptr);
      j["tls_version"] = e.tls_version ? Json(tls_version_text(e.tls_version)) : Json(nullptr);
      j["connect_ms"] = ms3(e.setup_ms);
      j["requests"] = e.requests;
      j["responses"] = e.responses;
      j["errors"] = e.errors;
      j["retransmits"] = e.retransmits;
      if (e.protocol == FlowClass::Websocket) j["ws"] = {{"pings", e.pings}, {"pongs", e.pongs}};
      break;
    case SignallingKind::WcsStream:
      j["media_session_id"] = id;
      j["stream"] = opt(name);
      j["status"] = opt(state);
      j["info"] = opt(detail);
      j["answer_ms"] = ms3(e.setup_ms);
      j["messages"] = e.requests + e.responses;
      break;
    case SignallingKind::SipDialog:
      j["call_id"] = id;
      j["method"] = name;
      j["state"] = state;
      j["status"] = e.status ? Json(e.status) : Json(nullptr);
      j["reason"] = opt(detail);
      j["answer_ms"] = ms3(e.setup_ms);
      j["requests"] = e.requests;
      j["responses"] = e.responses;
      j["retransmits"] = e.retransmits;
      break;
    case SignallingKind::Dns:
      j["last_name"] = opt(id);
      j["last_rcode"] = opt(state);
      j["queries"] = e.requests;
      j["answers"] = e.responses;
      j["failures"] = e.errors;
      j["mean_ms"] = ms3(e.setup_ms);
      j["max_ms"] = ms3(e.max_ms);
      break;
  }
  if (e.session) j["session"] = session_string(e.session);
  return j;
}

std::string to_text(const SignallingEvent& e) {
  std::string t = std::string(signalling_kind_name(e.kind)) + " " + flow_class_name(e.protocol) + " " +
                  ep(e.client, e.l4) + " -> " + ep(e.server, e.l4);
  const std::string id = text_field(e.id, sizeof e.id), name = text_field(e.name, sizeof e.name),
                    state = text_field(e.state, sizeof e.state), detail = text_field(e.detail, sizeof e.detail);
  if (!id.empty()) t += " " + id;
  if (!name.empty()) t += " " + name;
  if (!state.empty()) t += ": " + state;
  if (e.status) t += " " + std::to_string(e.status);
  if (!detail.empty()) t += " (" + detail + ")";
  return t;
}

// What the endpoints reported. `clock_rate` turns the reported jitter into ms where it is known.
Json rtcp_json(const RtcpReport& r, uint32_t clock_rate) {
  Json j;
  j["sr"] = r.sr;
  j["rr"] = r.rr;
  if (r.encrypted) j["encrypted"] = r.encrypted;
  if (r.rr) {
    j["fraction_lost_pct"] = ms3(r.fraction_lost * 100.0 / 256.0);
    j["fraction_lost_max_pct"] = ms3(r.fraction_lost_max * 100.0 / 256.0);
    j["cumulative_lost"] = r.cumulative_lost;
    j["jitter"] = r.jitter;
    j["jitter_ms"] = clock_rate ? Json(ms3(r.jitter * 1e3 / clock_rate)) : Json(nullptr);
    j["jitter_max_ms"] = clock_rate ? Json(ms3(r.jitter_max * 1e3 / clock_rate)) : Json(nullptr);
  }
  if (r.rtt_samples)
    j["rtt_ms"] = {{"last", ms3(r.rtt_last_ms)}, {"min", ms3(r.rtt_min_ms)}, {"mean", ms3(r.rtt_mean_ms)},
                   {"max", ms3(r.rtt_max_ms)}, {"samples", r.rtt_samples}};
  else
    j["rtt_ms"] = nullptr;
  j["nack"] = r.nack;
  j["nack_seqs"] = r.nack_seqs;
  j["pli"] = r.pli;
  j["fir"] = r.fir;
  if (r.tcc) j["transport_cc"] = r.tcc;
  if (r.remb) j["remb_kbps"] = ms3(r.remb_kbps);
  j["sdes"] = r.sdes;
  j["bye"] = r.bye;
  if (r.app) j["app"] = r.app;
  return j;
}

// " rtcp: 3 SR, 4 RR (loss 1.2 %, jitter 3.1 ms), RTT 42.0 ms, 5 NACK (9 seqs), 1 PLI"
std::string rtcp_text(const RtcpReport& r, uint32_t clock_rate) {
  std::string s = "rtcp: " + std::to_string(r.sr) + " SR, " + std::to_string(r.rr) + " RR";
  char buf[160];
  if (r.rr) {
    std::snprintf(buf, sizeof buf, " (loss %.1f %%, cumulative %d", r.fraction_lost * 100.0 / 256.0,
                  r.cumulative_lost);
    s += buf;
    if (clock_rate) {
      std::snprintf(buf, sizeof buf, ", jitter %.2f ms", r.jitter * 1e3 / clock_rate);
      s += buf;
    }
    s += ")";
  }
  if (r.encrypted) s += ", " + std::to_string(r.encrypted) + " SRTCP";
  if (r.rtt_samples) {
    std::snprintf(buf, sizeof buf, ", RTT %.1f ms (%.1f-%.1f)", r.rtt_mean_ms, r.rtt_min_ms, r.rtt_max_ms);
    s += buf;
  }
  if (r.nack) s += ", " + std::to_string(r.nack) + " NACK (" + std::to_string(r.nack_seqs) + " seqs)";
  if (r.pli) s += ", " + std::to_string(r.pli) + " PLI";
  if (r.fir) s += ", " + std::to_string(r.fir) + " FIR";
  if (r.remb) {
    std::snprintf(buf, sizeof buf, ", REMB %.0f kbit/s", r.remb_kbps);
    s += buf;
  }
  if (r.sdes) s += ", SDES";
  if (r.bye) s += ", BYE";
  return s;
}

Json to_json(const RtpStreamEvent& r) {
  Json j;
  j["type"] = "rtp_stream";
  j["src"] = endpoint_to_string(r.src);
  j["dst"] = endpoint_to_string(r.dst);
  j["ssrc"] = ssrc_string(r.ssrc);
  j["pt"] = r.pt;
  j["packets"] = r.packets;
  j["bytes"] = r.bytes;
  j["lost"] = r.lost;
  j["ext_seq_first"] = r.ext_seq_first;
  j["ext_seq_max"] = r.ext_seq_max;
  j["first_ts"] = secs(r.first_ts);
  j["last_ts"] = secs(r.last_ts);
  j["duplicates"] = r.duplicates;
  j["reordered"] = r.reordered;
  j["max_delta_ms"] = ms3(r.max_delta_ms);
  j["mean_delta_ms"] = ms3(r.mean_delta_ms);
  j["clock_rate"] = r.clock_rate;
  j["clock_source"] = clock_source_name(r.clock_source);
  // Jitter needs a clock rate: null, not a made-up 0, where there is none.
  j["jitter_max_ms"] = r.clock_rate ? Json(ms3(r.jitter_max_ms)) : Json(nullptr);
  j["jitter_mean_ms"] = r.clock_rate ? Json(ms3(r.jitter_mean_ms)) : Json(nullptr);
  j["bitrate_kbps"] = {{"mean", ms3(r.bitrate_mean_kbps)}, {"min", ms3(r.bitrate_min_kbps)},
                       {"max", ms3(r.bitrate_max_kbps)}};
  if (r.frame_rate > 0) j["frame_rate"] = std::round(r.frame_rate * 100) / 100;
  j["pt_changes"] = r.pt_changes;
  j["lost_after_repair"] = r.lost_after_repair;
  if (r.rtx_for_ssrc) j["rtx"] = {{"for_ssrc", ssrc_string(r.rtx_for_ssrc)}, {"repairs", r.rtx_packets}};
  // With the stream's SRTP key: every packet's verdict, and what the clear video showed.
  if (r.srtp_keyed)
    j["srtp"] = {{"authenticated", r.srtp.authenticated}, {"auth_failed", r.srtp.auth_failed},
                 {"replayed", r.srtp.replayed}, {"unreadable", r.srtp.unreadable}};
  if (r.video_codec != VideoCodec::None) {
    Json k = {{"codec", video_codec_name(r.video_codec)}, {"count", r.keyframes}};
    k["interval_s"] = r.keyframes > 1 ? Json{{"mean", ms3(r.keyframe_interval_mean_s)}, {"max", ms3(r.keyframe_interval_max_s)}}
                                      : Json(nullptr);
    if (r.video_codec == VideoCodec::H264) k["parameter_sets"] = r.parameter_sets;
    j["keyframes"] = k;
  }
  if (r.voice_codec != VoiceCodec::None) {
    Json m = {{"mos", std::round(r.mos * 100) / 100}, {"r_factor", std::round(r.r_factor * 10) / 10},
              {"codec", voice_codec_name(r.voice_codec)}};
    m["min_5s"] = r.mos_windows ? Json(std::round(r.mos_min * 100) / 100) : Json(nullptr);
    m["windows_5s"] = r.mos_windows;
    j["mos"] = m;
  } else {
    j["mos"] = nullptr;
  }
  j["rtcp"] = r.rtcp.any() ? rtcp_json(r.rtcp, r.clock_rate) : Json(nullptr);
  if (r.session) j["session"] = session_string(r.session);
  if (r.stream[0]) j["stream"] = text_field(r.stream, sizeof r.stream);
  return j;
}

Json to_json(const RtcpStreamEvent& r) {
  Json j;
  j["type"] = "rtcp_stream";
  j["src"] = endpoint_to_string(r.src);
  j["dst"] = endpoint_to_string(r.dst);
  j["ssrc"] = ssrc_string(r.ssrc);
  j["first_ts"] = secs(r.first_ts);
  j["last_ts"] = secs(r.last_ts);
  j["rtcp"] = rtcp_json(r.rtcp, 0);
  return j;
}

std::string to_text(const RtcpStreamEvent& r) {
  return "rtcp stream ssrc " + ssrc_string(r.ssrc) + "  " + endpoint_to_string(r.src) + " <-> " +
         endpoint_to_string(r.dst) + " (no media seen): " + rtcp_text(r.rtcp, 0);
}

// A flow's DTLS: sides named by endpoint (client and server once a ClientHello said which is which).
Json dtls_json(const DtlsSummary& d, const FlowEvent& f) {
  const Endpoint* side[2] = {&f.src, &f.dst};
  Json j;
  j["stage"] = dtls_stage_name(d.stage);
  if (d.start_ts != 0) {
    j["client"] = ep(*side[d.client], f.l4);
    j["server"] = ep(*side[d.client ^ 1], f.l4);
    j["start_ts"] = secs(d.start_ts);
    j["client_hellos"] = d.client_hellos;
    j["hello_verify"] = d.hello_verify;
  }
  j["handshake_ms"] = d.done_ts ? Json(ms3(static_cast<double>(elapsed(d.done_ts, d.start_ts)) / 1e6)) : Json(nullptr);
  if (d.version) j["version"] = dtls::version_name(d.version);
  if (d.cipher_suite) j["cipher_suite"] = d.cipher_suite;
  if (d.srtp_profile) j["srtp_profile"] = dtls::srtp_profile_name(d.srtp_profile);
  if (d.handshakes > 1) j["handshakes"] = d.handshakes;
  j["records"] = {d.records[0], d.records[1]};
  j["retransmits"] = {d.retransmits[0], d.retransmits[1]};
  // The certificates' SHA-256 as SDP a=fingerprint writes them [src's, dst's]: public, not secret.
  Json fps = Json::array();
  for (int i = 0; i < 2; ++i)
    fps.push_back(d.has_fingerprint[i] ? Json(dtls::fingerprint_text(d.fingerprint[i])) : Json(nullptr));
  j["fingerprints"] = fps;
  if (d.alert_level)
    j["alert"] = {{"level", d.alert_level == 2 ? "fatal" : "warning"},
                  {"description", dtls::alert_name(d.alert_description)},
                  {"code", d.alert_description},
                  {"from", ep(*side[d.alert_from], f.l4)}};
  if (d.encrypted_alerts[0] || d.encrypted_alerts[1])
    j["encrypted_alerts"] = {d.encrypted_alerts[0], d.encrypted_alerts[1]};
  return j;
}

Json to_json(const FlowEvent& f) {
  Json j;
  j["type"] = "flow";
  j["proto"] = l4_name(f.l4);
  j["src"] = ep(f.src, f.l4);
  j["dst"] = ep(f.dst, f.l4);
  j["class"] = flow_class_name(f.cls);
  j["classes"] = classes_json(f.classes);
  j["packets"] = {f.packets[0], f.packets[1]};
  j["bytes"] = {f.bytes[0], f.bytes[1]};
  j["first_ts"] = secs(f.first_ts);
  j["last_ts"] = secs(f.last_ts);
  if (f.stun[0].requests || f.stun[1].requests) {
    Json dirs = Json::array();
    for (const StunCounts& c : f.stun) {
      Json d = {{"requests", c.requests}, {"retransmits", c.retransmits}, {"answered", c.answered},
                {"errors", c.errors}};
      d["rtt_ms"] = c.answered ? Json{{"mean", ms3(c.rtt_mean_ms)}, {"max", ms3(c.rtt_max_ms)}} : Json(nullptr);
      dirs.push_back(d);
    }
    j["stun"] = dirs;  // Binding requests sent [src->dst, dst->src]
  }
  const DtlsSummary& d = f.dtls;
  if (d.stage != DtlsStage::None || d.records[0] || d.records[1]) j["dtls"] = dtls_json(d, f);
  if (f.turn.any()) {
    const TurnSummary& t = f.turn;
    auto counts = [](const TurnMethodCounts& c) {
      return Json{{"requests", c.requests}, {"successes", c.successes}, {"errors", c.errors}};
    };
    Json tj = {{"allocate", counts(t.allocate)}, {"refresh", counts(t.refresh)}, {"permission", counts(t.permission)},
               {"channel_bind", counts(t.channel_bind)}, {"challenges", t.challenges}};
    tj["last_error"] = t.last_error ? Json(t.last_error) : Json(nullptr);
    tj["relayed"] = t.relayed.family ? Json(endpoint_to_string(t.relayed)) : Json(nullptr);
    tj["lifetime_s"] = t.lifetime_s;
    tj["deallocated"] = t.deallocated;
    tj["relayed_packets"] = {{"send", t.send_indications}, {"data", t.data_indications}, {"channel_data", t.channel_data}};
    j["turn"] = tj;
  }
  return j;
}

std::string to_text(const AnomalyEvent& a) {
  char head[64];
  std::snprintf(head, sizeof head, "%-9s %-8s", std::string(anomaly_state_name(a.state)).c_str(),
                std::string(severity_name(a.severity)).c_str());
  std::string s = clock_string(a.ts) + "  " + head + " " + std::string(anomaly_kind_name(a.kind)) +
                  "  " + l4_name(a.l4) + " " + ep(a.src, a.l4) + " -> " + ep(a.dst, a.l4);
  if (a.has_ssrc) s += " ssrc " + ssrc_string(a.ssrc);
  if (a.session) s += " session " + session_string(a.session);
  if (a.stream[0]) s += " stream " + text_field(a.stream, sizeof a.stream);
  char tail[96];
  std::snprintf(tail, sizeof tail, " (value %.3g, threshold %.3g, since %s)", a.value, a.threshold,
                clock_string(a.first_ts).substr(11).c_str());
  return s + ": " + std::string(a.detail, strnlen(a.detail, sizeof a.detail)) + tail;
}

std::string to_text(const RtpStreamEvent& r) {
  double dur = static_cast<double>(elapsed(r.last_ts, r.first_ts)) / 1e9;
  uint64_t expected = r.ext_seq_max - r.ext_seq_first + 1;
  double loss = expected ? 100.0 * static_cast<double>(r.lost) / static_cast<double>(expected) : 0;
  char buf[320];
  int n = std::snprintf(buf, sizeof buf, " PT %u: %" PRIu64 " packets, %s, lost %" PRId64 " (%.2f%%), %.1f s, max delta %.1f ms",
                r.pt, r.packets, human_bytes(r.bytes).c_str(), r.lost, loss, dur, r.max_delta_ms);
  if (r.clock_rate && n > 0 && static_cast<size_t>(n) < sizeof buf)
    std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ", jitter %.2f ms mean, %.2f max (%u Hz, %s)",
                  r.jitter_mean_ms, r.jitter_max_ms, r.clock_rate, clock_source_name(r.clock_source));
  std::string s = "rtp stream  ssrc " + ssrc_string(r.ssrc) + "  " + endpoint_to_string(r.src) + " -> " +
                  endpoint_to_string(r.dst);
  if (r.stream[0]) s += " (" + text_field(r.stream, sizeof r.stream) + ")";
  s += buf;
  char more[160];
  if (r.voice_codec != VoiceCodec::None) {
    std::snprintf(more, sizeof more, "; MOS %.2f (R %.0f, %s", r.mos, r.r_factor, voice_codec_name(r.voice_codec));
    s += more;
    if (r.mos_windows) {
      std::snprintf(more, sizeof more, ", worst 5 s %.2f", r.mos_min);
      s += more;
    }
    s += ")";
  }
  if (r.lost_after_repair != r.lost) s += "; lost after RTX repair " + std::to_string(r.lost_after_repair);
  if (r.rtx_for_ssrc) s += "; RTX for " + ssrc_string(r.rtx_for_ssrc) + ", " + std::to_string(r.rtx_packets) + " repairs";
  if (r.pt_changes) s += "; " + std::to_string(r.pt_changes) + " PT changes";
  if (r.srtp_keyed) {
    std::snprintf(more, sizeof more, "; SRTP %llu authenticated, %llu failed",
                  static_cast<unsigned long long>(r.srtp.authenticated), static_cast<unsigned long long>(r.srtp.auth_failed));
    s += more;
  }
  if (r.video_codec != VideoCodec::None) {
    std::snprintf(more, sizeof more, "; %s keyframes %u (every %.1f s)", video_codec_name(r.video_codec), r.keyframes,
                  r.keyframe_interval_mean_s);
    s += more;
  }
  if (r.rtcp.any()) s += "; " + rtcp_text(r.rtcp, r.clock_rate);
  return s;
}

std::string to_text(const FlowEvent& f) {
  std::string cls;
  for (const auto& c : classes_json(f.classes)) {
    if (!cls.empty()) cls += ',';
    cls += c.get<std::string>();
  }
  char buf[160];
  std::snprintf(buf, sizeof buf, ": %" PRIu64 " / %" PRIu64 " packets, %s / %s, %.1f s", f.packets[0],
                f.packets[1], human_bytes(f.bytes[0]).c_str(), human_bytes(f.bytes[1]).c_str(),
                static_cast<double>(elapsed(f.last_ts, f.first_ts)) / 1e9);
  std::string s = "flow  ";
  s.append(l4_name(f.l4)).append(" ").append(ep(f.src, f.l4)).append(" <-> ").append(ep(f.dst, f.l4));
  s.append(" [").append(flow_class_name(f.cls));
  if (!cls.empty()) s.append(": ").append(cls);
  s.append("]").append(buf);
  if (const DtlsSummary& d = f.dtls; d.stage != DtlsStage::None) {
    s.append(", dtls ").append(d.version ? dtls::version_name(d.version) : "").append(d.version ? " " : "");
    s.append(dtls_stage_name(d.stage));
    if (d.done_ts) s.append(" in ").append(std::to_string(elapsed(d.done_ts, d.start_ts) / 1'000'000)).append(" ms");
    if (d.alert_level == 2) s.append(" (fatal alert ").append(dtls::alert_name(d.alert_description)).append(")");
  }
  return s;
}

}  // namespace

std::string endpoint_to_string(const Endpoint& e) {
  std::string out;
  if (e.family == 6) out += '[';
  out += addr_string(e);
  if (e.family == 6) out += ']';
  out += ':';
  out += std::to_string(e.port);
  return out;
}

std::string event_to_json(const Event& ev, const EventSource* source) {
  Json j = std::visit([](const auto& e) { return to_json(e); }, ev);
  if (source) {
    j["tap"] = source->tap;
    if (!source->tap_wide) {
      j["port"] = source->port;
      j["queue"] = source->queue;
      j["worker"] = source->worker;
    }
  }
  return j.dump();
}

std::string event_to_text(const Event& ev, const EventSource* source) {
  std::string s = std::visit([](const auto& e) { return to_text(e); }, ev);
  if (!source) return s;
  std::string where = "[";
  where.append(source->tap);
  if (!source->tap_wide) where.append(" port ").append(std::to_string(source->port));
  where.append("] ");
  return where + s;
}

std::string summary_to_json(const PipelineCounters& c, std::pair<std::string_view, std::string_view> label) {
  Json j;
  j["type"] = "summary";
  j["packets"] = c.packets;
  j["bytes"] = c.bytes;
  j["malformed"] = c.malformed;
  Json reasons = Json::object();
  for (unsigned i = 1; i < kDecodeErrorCount; ++i)
    if (c.malformed_by_reason[i]) reasons[decode_error_name(static_cast<DecodeError>(i))] = c.malformed_by_reason[i];
  j["malformed_by_reason"] = reasons;
  j["non_ip"] = c.non_ip;
  j["ip_fragments"] = c.ip_fragments;
  j["flows"] = c.flows_created;
  j["flows_expired"] = c.flows_expired;
  j["flow_table_full"] = c.flow_table_full;
  j["rtp_packets"] = c.rtp_packets;
  j["rtcp_packets"] = c.rtcp_packets;
  j["rtp_streams"] = c.rtp_streams;
  j["rtp_stream_pool_full"] = c.rtp_stream_pool_full;
  j["rtp_streams_over_flow_cap"] = c.rtp_streams_over_flow_cap;
  j["anomalies"] = c.anomalies_raised;
  j["events"] = c.events;
  j["stun_messages"] = c.stun_messages;
  j["stun_malformed"] = c.stun_malformed;
  j["dtls_records"] = c.dtls_records;
  j["dtls_malformed"] = c.dtls_malformed;
  j["dtls_table_full"] = c.dtls_table_full;
  j["srtp_authenticated"] = c.srtp_authenticated;
  j["srtp_auth_failed"] = c.srtp_auth_failed;
  j["srtcp_authenticated"] = c.srtcp_authenticated;
  j["srtcp_auth_failed"] = c.srtcp_auth_failed;
  j["srtp_stream_pool_full"] = c.srtp_stream_pool_full;
  j["tcp_frames"] = c.tcp_frames;
  j["tcp_frames_lost"] = c.tcp_frames_lost;
  j["webrtc_sessions"] = c.webrtc_sessions;
  j["session_table_full"] = c.session_table_full;
  j["rtcp_streams"] = c.rtcp_streams;
  j["rtcp_ssrc_table_full"] = c.rtcp_ssrc_table_full;
  j["clock_steps"] = c.clock_steps;
  for (const NamedCounter& n : named_counters()) j[n.name] = c.*n.member;
  if (!label.first.empty()) j[label.first] = label.second;
  return j.dump();
}

std::string summary_to_text(const PipelineCounters& c) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "summary: %" PRIu64 " packets (%s), %" PRIu64 " malformed, %" PRIu64 " not IP, %" PRIu64
                " IP fragments; %" PRIu64 " flows (%" PRIu64 " refused: table full); %" PRIu64
                " RTP streams, %" PRIu64 " RTP and %" PRIu64 " RTCP packets; %" PRIu64 " anomalies raised",
                c.packets, human_bytes(c.bytes).c_str(), c.malformed, c.non_ip, c.ip_fragments,
                c.flows_created, c.flow_table_full, c.rtp_streams, c.rtp_packets, c.rtcp_packets,
                c.anomalies_raised);
  std::string s = buf;
  for (unsigned i = 1; i < kDecodeErrorCount; ++i)
    if (c.malformed_by_reason[i])
      s += "\n  malformed " + std::string(decode_error_name(static_cast<DecodeError>(i))) + ": " +
           std::to_string(c.malformed_by_reason[i]);
  return s;
}

}  // namespace wcstap
