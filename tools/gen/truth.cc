#include "truth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <tuple>

#include "srtp_session.h"
#include "video_payload.h"

namespace wcsgen {

namespace {

std::string hex_ssrc(std::uint32_t ssrc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", ssrc);
  return buf;
}

double seconds(std::int64_t t_us) { return static_cast<double>(t_us) / 1e6; }

nlohmann::ordered_json duration_value(double d) {
  if (d == std::floor(d)) return static_cast<std::int64_t>(d);
  return d;
}

struct StreamStats {
  std::size_t first_seen;  // order of first packet, to list streams in capture order
  std::uint8_t pt = 0;
  std::uint64_t packets = 0;
  std::int64_t first_ext = 0;
  std::int64_t max_ext = 0;
  std::int64_t last_ext = 0;
  std::uint16_t last_seq = 0;
  bool srtp = false;              // protected with libsrtp
  std::uint64_t authenticated = 0;
  std::uint64_t auth_failed = 0;
  std::uint64_t keyframes = 0;    // of the packets that can be read
};

// What a receiver holding the capture's keys makes of its SRTP: one libsrtp session per SSRC, with
// the key the file gives or the SDP announced.
class SrtpReceivers {
 public:
  explicit SrtpReceivers(const Capture& cap) : cap_(cap) {}

  // Decrypts in place; false when the packet does not authenticate.
  bool unprotect(std::uint32_t ssrc, Bytes& packet) {
    auto it = sessions_.find(ssrc);
    if (it == sessions_.end()) {
      const SrtpKey* key = cap_.srtp_key(ssrc);
      if (key == nullptr) throw std::logic_error("SRTP stream without a master key");
      it = sessions_.try_emplace(ssrc, ssrc, key->receiver_key()).first;
    }
    return it->second.unprotect_rtp(packet);
  }

 private:
  const Capture& cap_;
  std::map<std::uint32_t, SrtpSession> sessions_;
};

// The RTP clock of the generator's payload types (media.h): what an analyzer should infer.
std::uint32_t clock_of_pt(std::uint8_t pt) {
  switch (pt) {
    case 0: return 8000;              // PCMU
    case 111: return 48000;           // Opus
    case 96: case 102: return 90000;  // VP8, H264
    default: return 0;
  }
}

// SRTP verdict and keyframe of one packet, read as a receiver with the keys would: a packet that
// fails authentication shows nothing of its payload.
void count_payload(const Packet& p, SrtpReceivers& receivers, StreamStats& s) {
  Bytes plain = p.payload;
  if (p.srtp == Srtp::kProtected) {
    s.srtp = true;
    if (!receivers.unprotect(get32(p.payload, 8), plain)) {
      ++s.auth_failed;
      return;
    }
    ++s.authenticated;
  }
  const std::optional<VideoCodec> codec = video_codec_of_pt(p.payload[1] & 0x7f);
  if (codec && begins_keyframe(*codec, ByteView(plain).subspan(12))) ++s.keyframes;  // no CSRC, no extension
}

nlohmann::ordered_json rtp_streams(const Capture& cap) {
  using Key = std::tuple<Endpoint, Endpoint, std::uint32_t>;
  std::map<Key, StreamStats> streams;
  std::map<Key, bool> embedded;  // RTP inside a signalling stream (RTSP interleaved): no codec read
  SrtpReceivers receivers(cap);
  auto count = [&](const Endpoint& src, const Endpoint& dst, ByteView rtp, const Packet* p) {
    const std::uint16_t seq = get16(rtp, 2);
    const Key key{src, dst, get32(rtp, 8)};
    auto [it, fresh] = streams.try_emplace(key, StreamStats{streams.size()});
    StreamStats& s = it->second;
    if (fresh) {
      s.pt = rtp[1] & 0x7f;
      s.first_ext = s.max_ext = s.last_ext = seq;
    } else {
      s.last_ext += static_cast<std::int16_t>(static_cast<std::uint16_t>(seq - s.last_seq));
      s.max_ext = std::max(s.max_ext, s.last_ext);
    }
    s.last_seq = seq;
    ++s.packets;
    if (p != nullptr)
      count_payload(*p, receivers, s);
    else
      embedded[key] = true;
  };
  for (const Packet& p : cap.packets()) {
    if (p.content != Content::kRtp || p.payload.size() < 12) continue;
    count(p.src, p.dst, p.payload, &p);
  }
  std::vector<const Capture::EmbeddedRtp*> inner;
  for (const Capture::EmbeddedRtp& e : cap.embedded_rtp())
    if (e.rtp.size() >= 12) inner.push_back(&e);
  std::stable_sort(inner.begin(), inner.end(), [](auto* a, auto* b) { return a->t_us < b->t_us; });
  for (const Capture::EmbeddedRtp* e : inner) count(e->src, e->dst, e->rtp, nullptr);

  std::vector<std::pair<const Key*, const StreamStats*>> ordered;
  for (const auto& [k, s] : streams) ordered.emplace_back(&k, &s);
  std::sort(ordered.begin(), ordered.end(), [](auto& a, auto& b) { return a.second->first_seen < b.second->first_seen; });

  // The clock SDP gave the stream's payload type at either end, if any.
  auto sdp_clock = [&](const Key& k, std::uint8_t pt) -> std::uint32_t {
    for (const Endpoint& e : {std::get<1>(k), std::get<0>(k)})
      if (auto it = cap.sdp_clocks().find({e, pt}); it != cap.sdp_clocks().end()) return it->second;
    return 0;
  };

  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& [k, s] : ordered) {
    const auto expected = static_cast<std::uint64_t>(s->max_ext - s->first_ext + 1);
    const std::uint32_t from_sdp = sdp_clock(*k, s->pt);
    nlohmann::ordered_json j{{"src", std::get<0>(*k).str()},
                             {"dst", std::get<1>(*k).str()},
                             {"ssrc", hex_ssrc(std::get<2>(*k))},
                             {"pt", s->pt},
                             {"clock_rate", from_sdp != 0 ? from_sdp : clock_of_pt(s->pt)},
                             {"packets", s->packets},
                             {"lost", expected - s->packets}};
    if (from_sdp != 0) j["clock_source"] = "sdp";
    if (embedded.count(*k) != 0) {
      j["transport"] = "tcp";
    } else if (const std::optional<VideoCodec> codec = video_codec_of_pt(s->pt)) {
      j["codec"] = codec_name(*codec);
      j["keyframes"] = s->keyframes;
    }
    if (s->srtp) j["srtp"] = {{"authenticated", s->authenticated}, {"auth_failed", s->auth_failed}};
    out.push_back(std::move(j));
  }
  return out;
}

std::string_view outcome_name(DtlsHandshakeTruth::Outcome o) {
  switch (o) {
    case DtlsHandshakeTruth::Outcome::kDone: return "done";
    case DtlsHandshakeTruth::Outcome::kIncomplete: return "incomplete";
    case DtlsHandshakeTruth::Outcome::kAlert: return "alert";
  }
  return "incomplete";
}

nlohmann::ordered_json or_null(const std::optional<std::string>& s) {
  if (s) return *s;
  return nullptr;
}

nlohmann::ordered_json dtls_handshakes(const Capture& cap) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const DtlsHandshakeTruth& h : cap.dtls_handshakes()) {
    nlohmann::ordered_json alert = nullptr;
    if (h.alert)
      alert = {{"level", h.alert->level}, {"description", h.alert->description}, {"from", h.alert->from.str()}};
    out.push_back({{"client", h.client.str()},
                   {"server", h.server.str()},
                   {"client_fingerprint", or_null(h.client_fingerprint)},
                   {"server_fingerprint", or_null(h.server_fingerprint)},
                   {"outcome", outcome_name(h.outcome)},
                   {"alert", std::move(alert)},
                   {"client_hellos", h.client_hellos}});
  }
  return out;
}

}  // namespace

nlohmann::ordered_json make_truth(const std::string& scenario, const ScenarioParams& params, const Capture& cap,
                                  const std::vector<Anomaly>& anomalies, std::uint64_t frames_written) {
  nlohmann::ordered_json anoms = nlohmann::ordered_json::array();
  for (const Anomaly& a : anomalies) {
    nlohmann::ordered_json j;
    j["kind"] = a.kind;
    j["proto"] = a.proto;
    if (a.tap_wide) {
      j["src"] = nullptr;
      j["dst"] = nullptr;
    } else if (a.host) {
      const std::string s = a.src.str();
      j["src"] = s.substr(0, s.rfind(':'));
      j["dst"] = nullptr;
    } else {
      j["src"] = a.src.str();
      j["dst"] = a.dst.str();
    }
    if (a.ssrc) j["ssrc"] = hex_ssrc(*a.ssrc);
    j["from_ts"] = seconds(a.from_us);
    j["tolerance_s"] = a.tolerance_s;
    anoms.push_back(std::move(j));
  }
  nlohmann::ordered_json t;
  t["scenario"] = scenario;
  t["seed"] = params.seed;
  t["duration_s"] = duration_value(params.duration_s);
  t["linktype"] = "ethernet";
  t["anomalies"] = std::move(anoms);
  t["rtp_streams"] = rtp_streams(cap);
  t["dtls"] = dtls_handshakes(cap);
  if (!cap.signalling().empty()) {
    nlohmann::ordered_json sig = nlohmann::ordered_json::array();
    for (const std::string& r : cap.signalling()) sig.push_back(nlohmann::ordered_json::parse(r));
    t["signalling"] = std::move(sig);
  }
  t["packets"] = frames_written;
  return t;
}

}  // namespace wcsgen
