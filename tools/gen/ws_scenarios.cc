#include "ws_scenarios.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "rng.h"
#include "tls_records.h"
#include "webrtc_session.h"
#include "ws_wire.h"

namespace wcsgen {

namespace {

constexpr std::int64_t kSec = 1000000;
constexpr std::int64_t kMs = 1000;
constexpr std::uint16_t kWsPort = 8080;
constexpr std::uint16_t kWssPort = 8443;
constexpr std::uint16_t kHlsPort = 8082;
const Endpoint kBackend{Ipv4Addr::of(203, 0, 113, 80), 9091};

using Json = nlohmann::ordered_json;

std::int64_t duration_us(const ScenarioParams& p) { return static_cast<std::int64_t>(p.duration_s * 1e6); }

Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A remote host (TEST-NET-3) with an ephemeral port, seen with a browser's TTL.
Endpoint remote_client(Rng& rng, Capture& cap, std::uint8_t lo, std::uint8_t hi) {
  const Endpoint e{Ipv4Addr::of(203, 0, 113, static_cast<std::uint8_t>(rng.range(lo, hi))),
                   static_cast<std::uint16_t>(rng.range(49152, 65535))};
  cap.set_remote_ttl(e.ip, static_cast<std::uint8_t>(rng.chance(0.5) ? 128 - rng.range(8, 16) : 64 - rng.range(8, 16)));
  return e;
}

Anomaly tcp_anomaly(std::string kind, const Endpoint& client, const Endpoint& server, std::int64_t t_us,
                    double tolerance_s) {
  return Anomaly{std::move(kind), "tcp", client, server, std::nullopt, t_us, tolerance_s};
}

// ---- a connection's plan, played in time order -------------------------------------------------

struct Step {
  enum class Kind : std::uint8_t { kData, kReset, kClose };
  std::int64_t t = 0;
  Kind kind = Kind::kData;
  Side side = Side::kClient;
  Bytes data;
  int tag = 0;  // the tap time of a tagged step is reported (its last segment)
};

class Plan {
 public:
  void data(std::int64_t t, Side s, Bytes b, int tag = 0) { steps_.push_back({t, Step::Kind::kData, s, std::move(b), tag}); }
  void reset(std::int64_t t, Side s, int tag = 0) { steps_.push_back({t, Step::Kind::kReset, s, {}, tag}); }
  void close(std::int64_t t, Side first) { steps_.push_back({t, Step::Kind::kClose, first, {}, 0}); }

  // Plays the steps in time order (nothing after a reset or a close); the tagged steps' tap times.
  std::map<int, std::int64_t> play(TcpFlow& tcp) {
    std::stable_sort(steps_.begin(), steps_.end(), [](const Step& a, const Step& b) { return a.t < b.t; });
    std::map<int, std::int64_t> at;
    for (Step& s : steps_) {
      std::int64_t t = s.t;
      switch (s.kind) {
        case Step::Kind::kData: t = tcp.send(s.side, s.t, s.data); break;
        case Step::Kind::kReset: tcp.reset(s.side, s.t); break;
        case Step::Kind::kClose: tcp.close(s.side, s.t); break;
      }
      if (s.tag) at[s.tag] = t;
      if (s.kind != Step::Kind::kData) break;
    }
    return at;
  }

 private:
  std::vector<Step> steps_;
};

// ---- WCS's WebSocket signalling on ws:// ----------------------------------------------------------

enum class WsFault : std::uint8_t { kNone, kBadAccept, kUpgradeRefused, kAbnormalClose, kReset, kStreamFailed, kNoAnswer };

enum Tag : int { kTagUpgradeAnswer = 1, kTagPublish, kTagFault, kTagFailed, kTagAnswer };

// What the publish is beyond what `fault` does to its signalling.
struct PublishOptions {
  // The browser connects as the SDPs say: ICE with their ufrags, DTLS with the certificates their
  // a=fingerprint name, SRTP audio and video (build_webrtc_media); PUBLISHING once media flows,
  // unPublishStream when it ends. Only with WsFault::kNone.
  bool media = false;
  // With media: WCS's answer names the fingerprint of another certificate than the one it sends.
  bool wrong_wcs_fingerprint = false;
  // WCS's answer names only a private address (10.0.0.0/8) in its c= and its candidate: WCS's media
  // address set to its private interface.
  bool private_candidates = false;
};

struct WsResult {
  Endpoint browser;
  Endpoint server;
  std::map<int, std::int64_t> at;
  std::optional<SessionResult> session;  // with PublishOptions::media
};

std::string wcs_msg(const std::string& name, Json data) {
  Json m;
  m["message"] = name;
  m["data"] = std::move(data);
  return m.dump();
}

Json stream_object(const std::string& id, const std::string& name, const std::string& status) {
  return Json{{"mediaSessionId", id}, {"name", name},          {"published", true},  {"hasVideo", true},
              {"hasAudio", true},     {"status", status},      {"record", false},    {"width", 0},
              {"height", 0},          {"bitrate", 0},          {"minBitrate", 0},    {"maxBitrate", 0},
              {"quality", 0},         {"mediaProvider", "WebRTC"}};
}

// A browser (the WCS Web SDK) connecting to ws://WCS:8080, publishing a stream, and what `fault`
// makes of it. Starts at t0; the publish lasts about the scenario's duration.
WsResult ws_publish_session(const ScenarioParams& p, Capture& cap, Rng& rng, WsFault fault, std::int64_t t0,
                            const PublishOptions& opt = {}) {
  if (opt.media && fault != WsFault::kNone) throw std::invalid_argument("a publish with media and a signalling fault");
  const Endpoint browser = remote_client(rng, cap, 2, 120);
  const Endpoint server{kWcsIp, kWsPort};
  const std::int64_t rtt = rng.range(20, 80) * kMs;
  TcpFlow tcp(cap, browser, server, false, rtt, rng);
  Rng mask = rng.fork(7);
  auto client_frame = [&](std::uint8_t op, ByteView payload) { return ws_frame(op, payload, &mask); };
  auto server_frame = [&](std::uint8_t op, ByteView payload) { return ws_frame(op, payload, nullptr); };
  auto client_json = [&](const std::string& s) { return client_frame(wsop::kText, text_bytes(s)); };
  auto server_json = [&](const std::string& s) { return server_frame(wsop::kText, text_bytes(s)); };
  // A reaction of the browser to what WCS sent at t (an RTT later at the tap), and of WCS.
  auto browser_reply = [&](std::int64_t t, std::int64_t lo_us, std::int64_t hi_us) { return t + rtt + rng.range(lo_us, hi_us); };
  auto wcs_reply = [&](std::int64_t t, std::int64_t lo_us, std::int64_t hi_us) { return t + rng.range(lo_us, hi_us); };

  const std::int64_t t_est = tcp.open(t0);
  Plan plan;

  // The Upgrade.
  const std::string key = websocket_key(rng);
  HttpHeaders get;
  get.add("Host", server.str());
  get.add("Connection", "Upgrade");
  get.add("Pragma", "no-cache");
  get.add("Cache-Control", "no-cache");
  get.add("User-Agent",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
          "Safari/537.36");
  get.add("Upgrade", "websocket");
  get.add("Origin", "http://" + kWcsIp.str() + ":9091");
  get.add("Sec-WebSocket-Version", "13");
  get.add("Accept-Encoding", "gzip, deflate");
  get.add("Accept-Language", "en-US,en;q=0.9");
  get.add("Sec-WebSocket-Key", key);
  const std::int64_t t_get = t_est + rng.range(200, 1000);
  plan.data(t_get, Side::kClient, http_request("GET", "/", get));
  const std::int64_t t_answer = wcs_reply(t_get, 500, 3000);

  if (fault == WsFault::kUpgradeRefused) {
    HttpHeaders h;
    h.add("Date", "Thu, 01 Jan 2026 00:00:00 GMT");
    h.add("Content-Type", "text/html;charset=iso-8859-1");
    h.add("Cache-Control", "must-revalidate,no-cache,no-store");
    h.add("Connection", "close");
    const std::string body =
        "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n"
        "<title>Error 403 Forbidden</title>\n</head>\n<body><h2>HTTP ERROR 403 Forbidden</h2>\n</body>\n</html>\n";
    plan.data(t_answer, Side::kServer, http_response(403, "Forbidden", h, body), kTagUpgradeAnswer);
    plan.close(t_answer + rng.range(100, 500), Side::kServer);
    return {browser, server, plan.play(tcp), std::nullopt};
  }

  HttpHeaders h101;
  h101.add("Upgrade", "websocket");
  h101.add("Connection", "Upgrade");
  h101.add("Sec-WebSocket-Accept",
           fault == WsFault::kBadAccept ? websocket_accept(websocket_key(rng)) : websocket_accept(key));
  plan.data(t_answer, Side::kServer, http_response(101, "Switching Protocols", h101, {}, false), kTagUpgradeAnswer);
  if (fault == WsFault::kBadAccept) {
    // The browser fails the connection: it closes TCP, no close frame.
    plan.close(browser_reply(t_answer, 300, 2000), Side::kClient);
    return {browser, server, plan.play(tcp), std::nullopt};
  }

  // connection -> getUserData.
  const std::string app_key = "defaultApp";
  const std::int64_t t_conn = browser_reply(t_answer, 2 * kMs, 20 * kMs);
  plan.data(t_conn, Side::kClient,
            client_json(wcs_msg("connection",
                                Json::array({Json{{"appKey", app_key},
                                                  {"mediaProviders", Json::array({"WebRTC", "MSE", "WSPlayer"})},
                                                  {"keepAlive", false},
                                                  {"clientVersion", "2.0"},
                                                  {"clientOSVersion", "5.0 (Windows NT 10.0; Win64; x64)"},
                                                  {"clientBrowserVersion", "Chrome 120.0.0.0"},
                                                  {"msePacketizationVersion", 2},
                                                  {"custom", Json::object()}}}))));
  const std::string session_id = "/" + browser.str() + "/" + server.str() + "-" + uuid(rng);
  const std::int64_t t_gud = wcs_reply(t_conn, 5 * kMs, 30 * kMs);
  plan.data(t_gud, Side::kServer,
            server_json(wcs_msg("getUserData", Json::array({Json{{"nodeId", "Rk1qNWZ3d0lCRnBTWVl0c2R@" + kWcsIp.str()},
                                                                 {"appKey", app_key},
                                                                 {"sessionId", session_id},
                                                                 {"useWsTunnel", false},
                                                                 {"useWsTunnelPacketization2", false},
                                                                 {"status", "ESTABLISHED"}}}))));

  // publishStream -> setRemoteSDP -> PUBLISHING.
  const std::string media_id = uuid(rng);
  const std::string name = "stream-" + uuid(rng).substr(0, 8);
  const std::uint16_t wcs_media_port = static_cast<std::uint16_t>(31002 + 2 * rng.range(0, 498));
  SdpParams offer = random_sdp_params(browser.ip, static_cast<std::uint16_t>(rng.range(50000, 60000)), rng);
  SdpParams answer = random_sdp_params(kWcsIp, wcs_media_port, rng);
  if (opt.private_candidates)
    answer.addr = Ipv4Addr::of(10, static_cast<std::uint8_t>(rng.range(0, 255)), static_cast<std::uint8_t>(rng.range(0, 255)),
                               static_cast<std::uint8_t>(rng.range(2, 254)));
  Json pub = stream_object(media_id, name, "NEW");
  pub["sdp"] = browser_offer_sdp(offer, rng);
  const std::int64_t t_pub = browser_reply(t_gud, 50 * kMs, 300 * kMs);
  // The SDPs' media clocks, where each names its media (the truth's clock_source "sdp").
  auto publish = [&] {
    note_sdp_clocks(cap, pub["sdp"].get<std::string>());
    plan.data(t_pub, Side::kClient, client_json(wcs_msg("publishStream", Json::array({pub}))), kTagPublish);
  };
  // With media the offer waits for the certificates (the session is built first).
  if (!opt.media) publish();
  std::optional<SessionResult> session;

  std::int64_t t_end = 0;  // when the browser ends a session that went its way
  std::int64_t t_stop_pings = 0;
  if (fault == WsFault::kNoAnswer) {
    // Nothing about the stream for 8 s (WCS is stuck, e.g. on its backend); the user gives up.
    t_end = t_pub + 8 * kSec + rng.range(0, 500 * kMs);
    t_stop_pings = t_end;
  } else {
    const std::int64_t t_sdp = wcs_reply(t_pub, 10 * kMs, 60 * kMs);
    if (opt.media) {
      // The browser's session: its checks, DTLS and SRTP as the SDPs below say.
      SessionConfig cfg;
      cfg.kind = SessionKind::kPublish;
      cfg.wcs_ip = kWcsIp;
      cfg.browser_ip = browser.ip;
      cfg.wcs_media_port = answer.port;
      cfg.browser_media_port = offer.port;
      cfg.start_us = t0;
      cfg.duration_us = duration_us(p);
      cfg.rtt_us = rtt;
      cfg.video_pt = 102;  // the one video codec WCS's answer accepts
      cfg.video_kbps = rng.uniform(600, 900);
      Rng media_rng = rng.fork(21);
      Rng key_rng = rng.fork(22);
      session = build_webrtc_media(cfg, IceUfrags{offer.ufrag, answer.ufrag}, t_sdp, media_rng, key_rng, cap);
      if (!session->dtls.truth.client_fingerprint || !session->dtls.truth.server_fingerprint || session->streams.empty())
        throw std::logic_error("ws publish: the session's DTLS did not finish");
      // The browser is the DTLS server (a=setup:actpass answered active): its certificate is the
      // offer's; WCS's the answer's, unless it names another one.
      offer.fingerprint = *session->dtls.truth.server_fingerprint;
      if (!opt.wrong_wcs_fingerprint) answer.fingerprint = *session->dtls.truth.client_fingerprint;
      for (const StreamInfo& st : session->streams) (st.video ? offer.video_ssrc : offer.audio_ssrc) = st.ssrc;
      pub["sdp"] = browser_offer_sdp(offer, rng);
      publish();
    }
    const std::string answer_sdp = wcs_answer_sdp(answer, rng);
    note_sdp_clocks(cap, answer_sdp);
    plan.data(t_sdp, Side::kServer,
              server_json(wcs_msg("setRemoteSDP", Json::array({media_id, answer_sdp, stream_object(media_id, name, "PENDING")}))),
              kTagAnswer);
    if (fault == WsFault::kStreamFailed) {
      const std::int64_t t_failed = t_sdp + rng.range(5 * kSec, 8 * kSec);
      Json st = stream_object(media_id, name, "FAILED");
      st["info"] = "Failed by ICE timeout";
      st["description"] = "";
      plan.data(t_failed, Side::kServer, server_json(wcs_msg("notifyStreamStatusEvent", Json::array({st}))), kTagFailed);
      t_end = browser_reply(t_failed, 500 * kMs, 2 * kSec);
      t_stop_pings = t_end;
    } else {
      const std::int64_t t_publishing = session ? session->media_start_us + rng.range(50 * kMs, 200 * kMs)
                                                : t_sdp + rng.range(400 * kMs, 1200 * kMs);
      plan.data(t_publishing, Side::kServer,
                server_json(wcs_msg("notifyStreamStatusEvent", Json::array({stream_object(media_id, name, "PUBLISHING")}))));
      const std::int64_t length = session ? session->media_end_us - t_publishing
                                          : std::max<std::int64_t>(duration_us(p) - (t_publishing - t0), 3 * kSec);
      if (fault == WsFault::kAbnormalClose || fault == WsFault::kReset) {
        const std::int64_t t_fault = t_publishing + rng.range(3 * kSec, 6 * kSec);
        t_stop_pings = t_fault;
        if (fault == WsFault::kReset) {
          plan.reset(t_fault, Side::kServer, kTagFault);
        } else {
          plan.data(t_fault, Side::kServer, server_frame(wsop::kClose, ws_close_payload(1011, "Internal Server Error")),
                    kTagFault);
          const std::int64_t t_echo = browser_reply(t_fault, 200, 2000);
          plan.data(t_echo, Side::kClient, client_frame(wsop::kClose, ws_close_payload(1011)));
          plan.close(wcs_reply(t_echo, 100, 1000), Side::kServer);
        }
      } else {
        t_end = t_publishing + length;
        t_stop_pings = t_end;
        plan.data(t_end, Side::kClient,
                  client_json(wcs_msg("unPublishStream", Json::array({stream_object(media_id, name, "PUBLISHING")}))));
        const std::int64_t t_unpub = wcs_reply(t_end, 5 * kMs, 30 * kMs);
        plan.data(t_unpub, Side::kServer,
                  server_json(wcs_msg("notifyStreamStatusEvent", Json::array({stream_object(media_id, name, "UNPUBLISHED")}))));
        t_end = browser_reply(t_unpub, 50 * kMs, 200 * kMs);
      }
    }
  }
  if (t_end) {
    // The browser closes the WebSocket (1000), WCS echoes it and closes TCP first (RFC 6455 7.1.1).
    plan.data(t_end, Side::kClient, client_frame(wsop::kClose, ws_close_payload(1000)));
    const std::int64_t t_echo = wcs_reply(t_end, 300, 2000);
    plan.data(t_echo, Side::kServer, server_frame(wsop::kClose, ws_close_payload(1000)));
    plan.close(wcs_reply(t_echo, 100, 1000), Side::kServer);
  }

  // Keep-alives from WCS while the connection lasts: a WebSocket ping every 5 s and a WCS JSON
  // ping between them, each answered by the browser.
  for (std::int64_t t = t_answer + 5 * kSec; t + rtt + 20 * kMs < t_stop_pings; t += 5 * kSec) {
    const std::int64_t t_ping = t + rng.range(0, 50 * kMs);
    const Bytes payload = rng.bytes(8);
    plan.data(t_ping, Side::kServer, server_frame(wsop::kPing, payload));
    plan.data(browser_reply(t_ping, 200, 3000), Side::kClient, client_frame(wsop::kPong, payload));
    const std::int64_t t_json = t_ping + 2500 * kMs + rng.range(0, 50 * kMs);
    if (t_json + rtt + 20 * kMs >= t_stop_pings) break;
    plan.data(t_json, Side::kServer, server_json(wcs_msg("ping", Json::array())));
    plan.data(browser_reply(t_json, 500, 5000), Side::kClient, client_json(wcs_msg("pong", Json::array({nullptr}))));
  }
  return {browser, server, plan.play(tcp), std::move(session)};
}

std::int64_t start_time(Rng& rng) { return kBaseTimeUs + rng.range(200 * kMs, 500 * kMs); }

std::vector<Anomaly> ws_fault(const ScenarioParams& p, Capture& cap, WsFault fault) {
  Rng rng(p.seed);
  const WsResult r = ws_publish_session(p, cap, rng, fault, start_time(rng));
  switch (fault) {
    case WsFault::kNone: return {};
    case WsFault::kBadAccept:
    case WsFault::kUpgradeRefused:
      return {tcp_anomaly("ws_connect_failed", r.browser, r.server, r.at.at(kTagUpgradeAnswer), 0.05)};
    case WsFault::kAbnormalClose:
    case WsFault::kReset:
      return {tcp_anomaly("ws_abnormal_close", r.browser, r.server, r.at.at(kTagFault), 0.05)};
    case WsFault::kStreamFailed:
      return {tcp_anomaly("stream_failed", r.browser, r.server, r.at.at(kTagFailed), 0.05)};
    case WsFault::kNoAnswer:
      return {tcp_anomaly("signalling_no_answer", r.browser, r.server, r.at.at(kTagPublish) + 5 * kSec, 0.1)};
  }
  return {};
}

}  // namespace

std::vector<Anomaly> ws_session(const ScenarioParams& p, Capture& cap) { return ws_fault(p, cap, WsFault::kNone); }
std::vector<Anomaly> ws_bad_accept(const ScenarioParams& p, Capture& cap) { return ws_fault(p, cap, WsFault::kBadAccept); }
std::vector<Anomaly> ws_upgrade_refused(const ScenarioParams& p, Capture& cap) {
  return ws_fault(p, cap, WsFault::kUpgradeRefused);
}
std::vector<Anomaly> ws_abnormal_close(const ScenarioParams& p, Capture& cap) {
  return ws_fault(p, cap, WsFault::kAbnormalClose);
}
std::vector<Anomaly> ws_reset(const ScenarioParams& p, Capture& cap) { return ws_fault(p, cap, WsFault::kReset); }
std::vector<Anomaly> ws_stream_failed(const ScenarioParams& p, Capture& cap) {
  return ws_fault(p, cap, WsFault::kStreamFailed);
}
std::vector<Anomaly> ws_signalling_no_answer(const ScenarioParams& p, Capture& cap) {
  return ws_fault(p, cap, WsFault::kNoAnswer);
}

// The publish with its media over ws://: ICE, DTLS, SRTP as the SDPs in WCS's JSON say.
std::vector<Anomaly> ws_webrtc(const ScenarioParams& p, Capture& cap) {
  Rng rng(p.seed ^ 0x3eb7cu);
  ws_publish_session(p, cap, rng, WsFault::kNone, start_time(rng), PublishOptions{true, false, false});
  return {};
}

// As ws_webrtc, but WCS's setRemoteSDP names the fingerprint of another certificate than the one it
// sends in DTLS (e.g. a certificate replaced while WCS ran); the browser does not check (the
// handshake finishes, media flows): dtls_fingerprint_mismatch (WCS -> browser) when WCS's
// certificate has passed (its flight 5).
std::vector<Anomaly> fingerprint_mismatch(const ScenarioParams& p, Capture& cap) {
  Rng rng(p.seed ^ 0xf1a9e4u);
  const WsResult r = ws_publish_session(p, cap, rng, WsFault::kNone, start_time(rng), PublishOptions{true, true, false});
  const SessionResult& s = r.session.value();
  return {Anomaly{"dtls_fingerprint_mismatch", "udp", s.wcs_media, s.browser_media, std::nullopt,
                  s.dtls.wcs_certificate_us.value(), 0.01}};
}

// WCS's setRemoteSDP offers only a private candidate (10.0.0.0/8) to a browser on a public
// address: nat_address_mismatch (browser -> WCS) at that answer. The browser's checks never reach
// WCS (nothing crosses the tap) and WCS reports the stream FAILED "Failed by ICE timeout" 5-8 s
// later (stream_failed at it).
std::vector<Anomaly> wcs_private_candidates(const ScenarioParams& p, Capture& cap) {
  Rng rng(p.seed ^ 0x10ca1u);
  const WsResult r = ws_publish_session(p, cap, rng, WsFault::kStreamFailed, start_time(rng), PublishOptions{false, false, true});
  return {tcp_anomaly("nat_address_mismatch", r.browser, r.server, r.at.at(kTagAnswer), 0.05),
          tcp_anomaly("stream_failed", r.browser, r.server, r.at.at(kTagFailed), 0.05)};
}

namespace {

// A healthy publish session, and another browser's connection to 8080 that starts 2-2.5 s in
// (its first SYN at t_syn, not yet sent): what ws-refused and ws-syn-timeout do to it differs.
struct LateAttempt {
  Endpoint browser, server;
  TcpFlow tcp;
  std::int64_t t_syn;
};
LateAttempt late_attempt(const ScenarioParams& p, Capture& cap, Rng& rng) {
  const std::int64_t t0 = start_time(rng);
  ws_publish_session(p, cap, rng, WsFault::kNone, t0);
  const Endpoint browser = remote_client(rng, cap, 121, 250);
  const Endpoint server{kWcsIp, kWsPort};
  // Braced initialisation runs in order: the flow's RTT is drawn before the SYN's time, as before.
  return LateAttempt{browser, server, TcpFlow(cap, browser, server, false, rng.range(20, 80) * kMs, rng),
                     t0 + 2 * kSec + rng.range(0, 500 * kMs)};
}

}  // namespace

// A healthy session from one browser while another's SYN to 8080 is answered with RST (nothing
// listens: WCS is down or restarting), 2 s in.
std::vector<Anomaly> ws_refused(const ScenarioParams& p, Capture& cap) {
  Rng rng(p.seed);
  LateAttempt a = late_attempt(p, cap, rng);
  a.tcp.syn(a.t_syn);
  const std::int64_t t_rst = a.t_syn + rng.range(40, 150);
  a.tcp.refuse(t_rst);
  return {tcp_anomaly("ws_connect_failed", a.browser, a.server, t_rst, 0.01)};
}

// A healthy session from one browser while another's SYNs to 8080 (at 0, 1 and 3 s: the kernel's
// retransmissions) get nothing back (a firewall drops them).
std::vector<Anomaly> ws_syn_timeout(const ScenarioParams& p, Capture& cap) {
  Rng rng(p.seed);
  LateAttempt a = late_attempt(p, cap, rng);
  a.tcp.syn(a.t_syn);
  a.tcp.syn(a.t_syn + 1 * kSec + rng.range(0, 3 * kMs));
  a.tcp.syn(a.t_syn + 3 * kSec + rng.range(0, 3 * kMs));
  return {tcp_anomaly("ws_connect_failed", a.browser, a.server, a.t_syn + 3 * kSec, 0.1)};
}

// ---- REST hooks: WCS POSTs to its backend ------------------------------------------------------

namespace {

struct HookResult {
  Endpoint wcs;
  std::int64_t t_post = 0;      // the slow hook's POST
  std::int64_t t_answer = 0;    // and its answer (0: none)
};

Bytes hook_post(const std::string& method, const Json& body) {
  HttpHeaders h;
  h.add("Content-Type", "application/json");
  h.add("Host", kBackend.str());
  h.add("Connection", "Keep-Alive");
  h.add("User-Agent", "Apache-HttpClient/4.5.13 (Java/1.8.0_392)");
  h.add("Accept-Encoding", "gzip,deflate");
  return http_request("POST", "/rest/" + method, h, body.dump(), true);
}

Bytes hook_answer(const Json& body) {
  HttpHeaders h;
  h.add("Content-Type", "application/json;charset=UTF-8");
  h.add("Date", "Thu, 01 Jan 2026 00:00:00 GMT");
  h.add("Keep-Alive", "timeout=60");
  h.add("Connection", "keep-alive");
  return http_response(200, "OK", h, body.dump());
}

// WCS (on the tap) calls its backend: /connect answered at once, then /publishStream answered after
// `delay_us` (none: 0, and WCS closes the connection 16 s after the POST).
HookResult rest_hooks(const ScenarioParams& p, Capture& cap, std::int64_t delay_us) {
  Rng rng(p.seed);
  cap.set_remote_ttl(kBackend.ip, static_cast<std::uint8_t>(64 - rng.range(2, 10)));
  const Endpoint wcs{kWcsIp, static_cast<std::uint16_t>(rng.range(32768, 60999))};
  const std::int64_t rtt = rng.range(5, 40) * kMs;
  TcpFlow tcp(cap, wcs, kBackend, true, rtt, rng);
  const std::int64_t t_est = tcp.open(start_time(rng));
  const Endpoint browser{Ipv4Addr::of(203, 0, 113, static_cast<std::uint8_t>(rng.range(2, 79))),
                         static_cast<std::uint16_t>(rng.range(49152, 65535))};
  const std::string node = "Rk1qNWZ3d0lCRnBTWVl0c2R@" + kWcsIp.str();
  const std::string session = "/" + browser.str() + "/" + kWcsIp.str() + ":8443-" + uuid(rng);
  Json connect{{"nodeId", node},          {"appKey", "defaultApp"}, {"sessionId", session},
               {"useWsTunnel", false},    {"msePacketizationVersion", 2},
               {"mediaProviders", Json::array({"WebRTC"})}, {"clientVersion", "2.0"}, {"custom", Json::object()}};
  Plan plan;
  const std::int64_t t1 = t_est + rng.range(100, 1000);
  plan.data(t1, Side::kClient, hook_post("connect", connect));
  const std::int64_t a1 = t1 + rtt + rng.range(2 * kMs, 20 * kMs);
  plan.data(a1, Side::kServer, hook_answer(connect));

  HookResult r{wcs};
  Json publish{{"nodeId", node},
               {"appKey", "defaultApp"},
               {"sessionId", session},
               {"mediaSessionId", uuid(rng)},
               {"name", "stream-" + uuid(rng).substr(0, 8)},
               {"published", true},
               {"hasVideo", true},
               {"hasAudio", true},
               {"status", "NEW"},
               {"record", false},
               {"mediaProvider", "WebRTC"}};
  r.t_post = a1 + rng.range(100 * kMs, 400 * kMs);
  plan.data(r.t_post, Side::kClient, hook_post("publishStream", publish));
  if (delay_us > 0) {
    r.t_answer = r.t_post + delay_us;
    plan.data(r.t_answer, Side::kServer, hook_answer(publish));
    // The stream goes on; WCS reports its status, answered at once, and keeps the connection.
    Json status = publish;
    status["status"] = "PUBLISHING";
    const std::int64_t t3 = r.t_answer + rng.range(500 * kMs, 1500 * kMs);
    plan.data(t3, Side::kClient, hook_post("StreamStatusEvent", status));
    const std::int64_t a3 = t3 + rtt + rng.range(2 * kMs, 20 * kMs);
    plan.data(a3, Side::kServer, hook_answer(status));
    plan.close(a3 + rng.range(2 * kSec, 4 * kSec), Side::kClient);
  } else {
    plan.close(r.t_post + 16 * kSec + rng.range(0, 200 * kMs), Side::kClient);
  }
  plan.play(tcp);
  return r;
}

}  // namespace

std::vector<Anomaly> rest_hook_slow(const ScenarioParams& p, Capture& cap) {
  Rng rng(p.seed ^ 0x5105u);
  const HookResult r = rest_hooks(p, cap, 2 * kSec + rng.range(0, 200 * kMs));
  return {tcp_anomaly("rest_hook_slow", r.wcs, kBackend, r.t_answer, 0.05)};
}

std::vector<Anomaly> rest_hook_timeout(const ScenarioParams& p, Capture& cap) {
  const HookResult r = rest_hooks(p, cap, 0);
  return {tcp_anomaly("rest_hook_slow", r.wcs, kBackend, r.t_post + 15 * kSec, 0.1)};
}

// ---- TLS on 8443: the server refuses the handshake ------------------------------------------------

namespace {

Bytes tls12_client_hello(Rng& rng, const std::string& server_name) {
  Bytes body;
  put16(body, tls::kVersionTls12);
  rng.fill(body, 32);
  put8(body, 0);  // no session id
  append(body, tls::u16_list({0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d}));
  put8(body, 1);
  put8(body, 0);
  Bytes exts;
  {
    Bytes sni;
    const std::size_t list = begin_vec(sni, 2);
    put8(sni, 0);
    const std::size_t name = begin_vec(sni, 2);
    append(sni, std::string_view(server_name));
    end_vec(sni, name, 2);
    end_vec(sni, list, 2);
    tls::add_extension(exts, tls::ext::kServerName, sni);
  }
  tls::add_extension(exts, tls::ext::kExtendedMasterSecret, {});
  tls::add_extension(exts, tls::ext::kRenegotiationInfo, tls::renegotiation_info_empty());
  tls::add_extension(exts, tls::ext::kSupportedGroups, tls::supported_groups());
  tls::add_extension(exts, tls::ext::kEcPointFormats, tls::ec_point_formats());
  tls::add_extension(exts, tls::ext::kSignatureAlgorithms, tls::signature_algorithms());
  put16(body, static_cast<std::uint16_t>(exts.size()));
  append(body, exts);
  return tls::record(tls::content::kHandshake, tls::kVersionTls10, tls::handshake(tls::hs::kClientHello, body));
}

}  // namespace

// A client offering only TLS 1.2 with ECDHE suites to wss://WCS:8443; WCS (configured for other
// ciphers) answers with a fatal handshake_failure alert and closes.
std::vector<Anomaly> tls_alert(const ScenarioParams& p, Capture& cap) {
  Rng rng(p.seed);
  const Endpoint browser = remote_client(rng, cap, 2, 250);
  const Endpoint server{kWcsIp, kWssPort};
  TcpFlow tcp(cap, browser, server, false, rng.range(20, 80) * kMs, rng);
  const std::int64_t t_est = tcp.open(start_time(rng));
  Plan plan;
  const std::int64_t t_ch = t_est + rng.range(100, 600);
  plan.data(t_ch, Side::kClient, tls12_client_hello(rng, "wcs.example.com"));
  const std::int64_t t_alert = t_ch + rng.range(300, 2000);
  plan.data(t_alert, Side::kServer, tls::record(tls::content::kAlert, tls::kVersionTls12, Bytes{2, 40}), kTagFault);
  plan.close(t_alert + rng.range(50, 300), Side::kServer);
  const auto at = plan.play(tcp);
  return {tcp_anomaly("tls_failure", browser, server, at.at(kTagFault), 0.01)};
}

// ---- HLS on 8082 --------------------------------------------------------------------------------

namespace {

constexpr std::int64_t kTargetDuration = 2 * kSec;

// A player polling /live/stream.m3u8 every ~2.1 s on one keep-alive connection and fetching each
// new segment. The live stream's media sequence follows time (one 2 s segment each 2 s), frozen
// over [freeze_from, freeze_to) when freeze_to > freeze_from. Returns the tap times and sequences
// of the playlist answers.
std::vector<std::pair<std::int64_t, std::uint64_t>> hls_player(const ScenarioParams& p, Capture& cap, Rng& rng,
                                                               Endpoint& player, std::int64_t freeze_from_rel,
                                                               std::int64_t freeze_len) {
  player = remote_client(rng, cap, 2, 250);
  const Endpoint server{kWcsIp, kHlsPort};
  const std::int64_t rtt = rng.range(20, 80) * kMs;
  TcpFlow tcp(cap, player, server, false, rtt, rng);
  const std::int64_t t0 = start_time(rng);
  const std::int64_t t_est = tcp.open(t0);
  const std::int64_t origin = t0 - rng.range(20 * kSec, 600 * kSec);  // when the live stream began
  const std::uint64_t first_seq = static_cast<std::uint64_t>(rng.range(0, 3));
  const std::int64_t freeze_from = t0 + freeze_from_rel, freeze_to = freeze_from + freeze_len;
  auto seq_at = [&](std::int64_t t) {
    if (freeze_len > 0 && t >= freeze_from && t < freeze_to) t = freeze_from;
    return first_seq + static_cast<std::uint64_t>((t - origin) / kTargetDuration);
  };

  HttpHeaders req;
  req.add("Host", server.str());
  req.add("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                        "Version/17.2 Safari/605.1.15");
  req.add("Accept", "*/*");
  req.add("Connection", "keep-alive");

  Plan plan;
  std::vector<std::pair<std::int64_t, std::uint64_t>> answers;
  std::uint64_t fetched = 0;
  bool any = false;
  unsigned continuity = 0;
  const std::int64_t end = t0 + duration_us(p);
  std::int64_t t = t_est + rng.range(200, 1000);
  for (; t < end; t += kTargetDuration + rng.range(50 * kMs, 150 * kMs)) {
    plan.data(t, Side::kClient, http_request("GET", "/live/stream.m3u8", req));
    const std::int64_t t_pl = t + rng.range(500, 3000);
    const std::uint64_t seq = seq_at(t_pl);
    std::string body = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:" +
                       std::to_string(seq) + "\n";
    for (std::uint64_t s = seq; s < seq + 3; ++s) body += "#EXTINF:2.000,\nstream-" + std::to_string(s) + ".ts\n";
    HttpHeaders h;
    h.add("Content-Type", "application/vnd.apple.mpegurl");
    h.add("Cache-Control", "no-cache");
    h.add("Access-Control-Allow-Origin", "*");
    plan.data(t_pl, Side::kServer, http_response(200, "OK", h, body));
    answers.emplace_back(t_pl, seq);
    // The newest segment, when it is new to the player.
    const std::uint64_t newest = seq + 2;
    if (!any || newest > fetched) {
      any = true;
      fetched = newest;
      const std::int64_t t_get = t_pl + rtt + rng.range(1 * kMs, 10 * kMs);
      plan.data(t_get, Side::kClient, http_request("GET", "/live/stream-" + std::to_string(newest) + ".ts", req));
      // MPEG-TS packets of one elementary stream (PID 0x100), its continuity counter running on
      // from segment to segment; each segment begins a video PES packet (with its PTS).
      Bytes ts;
      const auto packets = static_cast<std::size_t>(rng.range(80, 200));
      for (std::size_t i = 0; i < packets; ++i) {
        put8(ts, 0x47);
        put16(ts, static_cast<std::uint16_t>(i == 0 ? 0x4100 : 0x0100));
        put8(ts, static_cast<std::uint8_t>(0x10 | (continuity++ & 0x0f)));
        if (i == 0) {
          const std::uint64_t pts = (newest * 2 * 90000) & 0x1ffffffffULL;
          append(ts, Bytes{0x00, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x80, 0x80, 0x05,
                           static_cast<std::uint8_t>(0x21 | ((pts >> 29) & 0x0e)), static_cast<std::uint8_t>(pts >> 22),
                           static_cast<std::uint8_t>(((pts >> 14) & 0xfe) | 1), static_cast<std::uint8_t>(pts >> 7),
                           static_cast<std::uint8_t>(((pts << 1) & 0xfe) | 1)});
          rng.fill(ts, 184 - 14);
        } else {
          rng.fill(ts, 184);
        }
      }
      HttpHeaders sh;
      sh.add("Content-Type", "video/mp2t");
      sh.add("Access-Control-Allow-Origin", "*");
      const std::string body_ts(ts.begin(), ts.end());
      plan.data(t_get + rng.range(500, 3000), Side::kServer, http_response(200, "OK", sh, body_ts));
    }
  }
  plan.close(t + rng.range(0, 500 * kMs), Side::kClient);
  const auto at = plan.play(tcp);
  (void)at;
  return answers;
}

}  // namespace

// The live stream's media sequence stops for 10 s (WCS's HLS segmenter stalls), 6-7 s into the
// polling, then resumes. hls_stall at the first answer that shows it unchanged for more than 2
// target durations (4 s) since the answer where it last moved.
std::vector<Anomaly> hls_stall(const ScenarioParams& p, Capture& cap) {
  Rng rng(p.seed);
  Endpoint player;
  const auto answers = hls_player(p, cap, rng, player, 6 * kSec + rng.range(0, kSec), 10 * kSec);
  std::int64_t moved = 0;
  std::uint64_t last = 0;
  bool first = true;
  for (const auto& [t, seq] : answers) {
    if (first || seq != last) {
      moved = t;
      last = seq;
      first = false;
    } else if (t - moved > 2 * kTargetDuration) {
      return {tcp_anomaly("hls_stall", player, Endpoint{kWcsIp, kHlsPort}, t, 0.35)};
    }
  }
  throw std::logic_error("hls-stall: the playlist never stalled long enough");
}

std::vector<Anomaly> hls_healthy(const ScenarioParams& p, Capture& cap) {
  Rng rng(p.seed);
  Endpoint player;
  hls_player(p, cap, rng, player, 0, 0);
  return {};
}

}  // namespace wcsgen
