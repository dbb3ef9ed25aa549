#include "webrtc_session.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "ice.h"
#include "media.h"
#include "rtp.h"
#include "srtp_session.h"
#include "turn_client.h"
#include "wss_signalling.h"

namespace wcsgen {

namespace {

constexpr std::int64_t kMs = 1000;
constexpr std::int64_t kSec = 1000000;

// Tap-side jitter: packets from the browser crossed the Internet; WCS's own
// packets only see its scheduler.
constexpr PathTiming kFromBrowser{3 * kMs};
constexpr PathTiming kFromWcs{600};

// The stream a relayed session's TURN exchange draws from (Rng::fork).
constexpr std::uint64_t kTurnStream = 0x7e4a;
// The browser refreshes its allocation about this long after it got it, if the session lasts.
constexpr std::int64_t kTurnRefreshAfter = 5 * kSec;

std::int64_t ms(Rng& rng, std::int64_t lo, std::int64_t hi) { return rng.range(lo * kMs, hi * kMs); }

std::string random_cname(Rng& rng) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  for (int i = 0; i < 16; ++i) s.push_back(kAlphabet[rng.below(sizeof kAlphabet - 1)]);
  return s;
}

std::uint32_t random_ssrc(Rng& rng, const std::vector<std::uint32_t>& taken) {
  for (;;) {
    const std::uint32_t s = rng.u32();
    if (s != 0 && std::find(taken.begin(), taken.end(), s) == taken.end()) return s;
  }
}

// An RTCP compound that libsrtp protects later (Capture::protect_srtp). Drawing as many bytes as
// its tag has keeps every later draw, and so the capture, as it was when the tags were random.
void add_srtcp(Capture& cap, Rng& rng, std::int64_t t_us, const Endpoint& from, const Endpoint& to, Bytes compound) {
  (void)rng.bytes(kSrtpAuthTagLen);
  cap.add_srtp(t_us, from, to, Content::kRtcp, std::move(compound));
}

// SRTCP from the media sender (SR + SDES per SSRC, about once a second) and
// from the receiver (one RR with a block per received SSRC + SDES).
void add_rtcp(Capture& cap, Rng& rng, std::vector<MediaStream>& streams, const Endpoint& sender,
              const Endpoint& receiver, std::int64_t receiver_lag_us, std::int64_t start_us, std::int64_t end_us,
              std::uint32_t receiver_ssrc) {
  for (auto& s : streams) {
    const std::string cname = random_cname(rng);
    for (std::int64_t t = start_us + ms(rng, 300, 1000); t < end_us; t += ms(rng, 850, 1150)) {
      const rtcp::SenderInfo si = s.sender_info(t);
      s.note_sender_report(t, si.ntp);
      Bytes compound = rtcp::sender_report(s.spec().ssrc, si, {});
      append(compound, rtcp::sdes_cname(s.spec().ssrc, cname));
      add_srtcp(cap, rng, t, sender, receiver, std::move(compound));
    }
  }
  const std::string cname = random_cname(rng);
  for (std::int64_t t = start_us + ms(rng, 500, 1200); t < end_us + 200 * kMs; t += ms(rng, 850, 1150)) {
    std::vector<rtcp::ReportBlock> blocks;
    for (const auto& s : streams)
      if (auto rb = s.report_block(t - receiver_lag_us)) blocks.push_back(*rb);
    if (blocks.empty()) continue;
    Bytes compound = rtcp::receiver_report(receiver_ssrc, blocks);
    append(compound, rtcp::sdes_cname(receiver_ssrc, cname));
    add_srtcp(cap, rng, t, receiver, sender, std::move(compound));
  }
}

// Audio + video from the publisher (browser) or to the player, from res.media_start_us to
// res.media_end_us, and their SRTCP; fills res.streams. Each SSRC that sends, the receiver's own
// RTCP SSRC too, gets a master key of its own from `key_rng`.
void add_media(const SessionConfig& cfg, Rng& rng, Rng& key_rng, Capture& cap, SessionResult& res) {
  const bool publish = cfg.kind == SessionKind::kPublish;
  const Endpoint& sender = publish ? res.browser_media : res.wcs_media;
  const Endpoint& receiver = publish ? res.wcs_media : res.browser_media;
  const PathTiming timing = publish ? kFromBrowser : kFromWcs;
  std::vector<std::uint32_t> ssrcs;
  ssrcs.push_back(random_ssrc(rng, ssrcs));
  ssrcs.push_back(random_ssrc(rng, ssrcs));
  ssrcs.push_back(random_ssrc(rng, ssrcs));  // the receiver's own RTCP SSRC
  for (std::uint32_t ssrc : ssrcs) cap.add_srtp_key(ssrc, key_rng.bytes(kSrtpMasterKeyLen));
  std::vector<MediaStream> streams;
  streams.emplace_back(opus_stream(ssrcs[0]), rng);
  streams.emplace_back(video_stream(ssrcs[1], cfg.video_pt), rng);
  const EmitFn emit = [&](std::int64_t t, Bytes payload) {
    cap.add_srtp(t, sender, receiver, Content::kRtp, std::move(payload));
  };
  streams[0].generate_audio(res.media_start_us, res.media_end_us, timing, rng, emit);
  VideoProfile video;
  video.kbps = cfg.video_kbps;
  if (cfg.video_bitrate_change)
    video.steps.push_back({res.media_start_us + cfg.video_bitrate_change->after_media_start_us,
                           cfg.video_bitrate_change->kbps});
  streams[1].generate_video(res.media_start_us + ms(rng, 0, 15), res.media_end_us, video, timing, rng, emit);
  for (const auto& s : streams) res.streams.push_back({sender, receiver, s.spec().ssrc, s.spec().pt, s.spec().video});

  // What the receiver knows lags by one RTT when it is the browser.
  add_rtcp(cap, rng, streams, sender, receiver, publish ? 0 : cfg.rtt_us, res.media_start_us, res.media_end_us,
           ssrcs[2]);
}

// The browser's checks on a pair that never answers, from first_us until until_us: each a new
// transaction (browsers ping a pair again rather than retransmit), the first nominating, every
// 500 ms for 10 s, then every 2.5 s; seen with the browser's path jitter.
void add_unanswered_checks(IcePair& ice, std::int64_t first_us, std::int64_t until_us, Rng& rng) {
  constexpr std::int64_t kFastFor = 10 * kSec, kFast = 500 * kMs, kSlow = 2500 * kMs;
  for (std::int64_t t = first_us; t < until_us; t += t - first_us < kFastFor ? kFast : kSlow)
    ice.unanswered_browser_check(t + rng.range(0, kFromBrowser.jitter_us), t == first_us);
}

// A relayed session's handshake as the tap sees it: WCS's records come from the TURN server.
void as_relayed(DtlsHandshakeTruth& h, const Endpoint& wcs, const Endpoint& turn_server) {
  auto seen = [&](Endpoint& e) {
    if (e == wcs) e = turn_server;
  };
  seen(h.client);
  seen(h.server);
  if (h.alert) seen(h.alert->from);
}

// From the SDP answer leaving WCS at t_answer: ICE (with the SDPs' ufrags when given), DTLS, media
// once it is done, consent freshness, and a relayed session's TURN binding and refresh (`turn`, with
// its generator, allocated at t_allocated). Fills res (but end_us); whether media flowed.
bool connect_and_stream(const SessionConfig& cfg, Rng& rng, Rng& key_rng, Capture& cap, SessionResult& res,
                        std::int64_t t_answer, const IceUfrags* ufrags, TurnClient* turn, Rng* turn_rng,
                        std::int64_t t_allocated) {
  const bool publish = cfg.kind == SessionKind::kPublish;
  const std::int64_t rtt = cfg.rtt_us;
  const std::int64_t end = cfg.start_us + cfg.duration_us;
  const Endpoint& wcs_m = res.wcs_media;
  const Endpoint& br_m = res.browser_media;
  // ICE: the browser's nominating check, then consent freshness both ways.
  IcePair ice(cap, br_m, wcs_m, rtt, rng);
  if (ufrags) ice.set_ufrags(ufrags->browser, ufrags->wcs);
  if (cfg.wcs_stun_answer_us) ice.set_answer_delay(cfg.wcs_stun_answer_us->first, cfg.wcs_stun_answer_us->second);
  std::int64_t t_check = t_answer + rtt + ms(rng, 5, 30);
  if (turn) {
    // WCS's candidate comes in the answer: the browser binds a channel to it first, and checks
    // through it once the binding is back (the relay's hop to WCS is on the host: no time).
    const std::int64_t t_bound = turn->bind_channel(t_answer + rtt + ms(*turn_rng, 1, 3), wcs_m, kFirstTurnChannel);
    t_check = std::max(t_check, t_bound + rtt + turn_rng->range(200, 2000));
    cap.add_turn_channel(TurnChannel{br_m, wcs_m, turn->server(), kFirstTurnChannel});
    ice.set_browser_mapped(turn->relayed());
  }
  bool media = false;
  if (cfg.wcs_media_unreachable) {
    // Nothing reaches WCS: the browser checks alone, until the teardown.
    res.media_end_us = end - ms(rng, 300, 500);
    add_unanswered_checks(ice, t_check, res.media_end_us, rng);
  } else {
    const std::int64_t t_first_response = ice.browser_check(t_check, true);

    // DTLS, WCS is the client; about 1 s after the first Binding Response. A flight nobody answers
    // is resent until the teardown, which starts 300-500 ms before the session's end.
    const std::int64_t t_client_hello = t_first_response + kSec + ms(rng, -50, 50);
    res.dtls = exchange_dtls(cap, rng, DtlsPeers{wcs_m, br_m, rtt}, t_client_hello, end - 500 * kMs, cfg.dtls_fault);
    if (turn) as_relayed(res.dtls.truth, wcs_m, turn->server());
    cap.note_dtls_handshake(res.dtls.truth);

    // Media, once the handshake is done.
    media = res.dtls.done_us.has_value();
    if (media) res.media_start_us = *res.dtls.done_us + (publish ? ms(rng, 5, 30) : ms(rng, 20, 80));
    res.media_end_us = end - ms(rng, 300, 500);
    if (media) add_media(cfg, rng, key_rng, cap, res);

    // Consent freshness: WCS every ~1.5 s, the browser every ~2.5 s.
    for (std::int64_t t = t_first_response + ms(rng, 1, 3); t < res.media_end_us; t += ms(rng, 1400, 1600))
      ice.wcs_check(t);
    for (std::int64_t t = t_check + ms(rng, 2300, 2700); t < res.media_end_us; t += ms(rng, 2300, 2700))
      ice.browser_check(t, false);
    if (turn) {
      const std::int64_t t_refresh = t_allocated + kTurnRefreshAfter + ms(*turn_rng, -300, 300);
      if (t_refresh < res.media_end_us) turn->refresh(t_refresh);
    }
  }

  return media;
}

}  // namespace

std::uint16_t random_wcs_media_port(Rng& rng) {
  // Even ports of WCS's default range 31001-32000, minus 32000 (Wireshark's
  // UA/UDP port, which would hide STUN/DTLS/RTP from tshark).
  return static_cast<std::uint16_t>(31002 + 2 * rng.range(0, 497));
}

SessionConfig random_session_config(SessionKind kind, Ipv4Addr wcs_ip, Ipv4Addr browser_ip, std::int64_t start_us,
                                    std::int64_t duration_us, Rng& rng) {
  SessionConfig c;
  c.kind = kind;
  c.wcs_ip = wcs_ip;
  c.browser_ip = browser_ip;
  c.wcs_media_port = random_wcs_media_port(rng);
  // Browser ports avoid the few high ports Wireshark binds a dissector to
  // (e.g. 54328 Elasticsearch, 56000+ EOBI, 57000 IRC), so that tshark
  // decodes STUN/DTLS/RTP there like on any other port.
  c.browser_media_port = static_cast<std::uint16_t>(rng.range(50000, 53999));
  c.browser_tcp_port = static_cast<std::uint16_t>(rng.range(49152, 53999));
  c.start_us = start_us;
  c.duration_us = duration_us;
  c.rtt_us = ms(rng, 15, 80);
  c.video_pt = rng.chance(0.5) ? 96 : 102;
  c.video_kbps = rng.uniform(600, 900);
  return c;
}

SessionResult build_webrtc_session(const SessionConfig& cfg, Rng& rng, Rng& key_rng, Capture& cap) {
  if (cfg.relay && cfg.wcs_media_unreachable) throw std::invalid_argument("a relayed session with WCS unreachable");
  const std::int64_t rtt = cfg.rtt_us;
  const std::int64_t end = cfg.start_us + cfg.duration_us;
  SessionResult res;
  res.wcs_media = Endpoint{cfg.wcs_ip, cfg.wcs_media_port};
  res.browser_media = Endpoint{cfg.browser_ip, cfg.browser_media_port};
  const Endpoint& br_m = res.browser_media;
  std::optional<Rng> turn_rng;
  std::optional<TurnClient> turn;
  if (cfg.relay) {
    turn_rng.emplace(rng.fork(kTurnStream));
    turn.emplace(cap, br_m, Endpoint{cfg.wcs_ip, kTurnPort}, rtt, *turn_rng);
    res.turn_server = turn->server();
  }

  // Signalling: connection, publishStream/playStream with the SDP offer,
  // setRemoteSDP with the answer, stream status PENDING.
  WssSignalling ws(cap, Endpoint{cfg.browser_ip, cfg.browser_tcp_port}, Endpoint{cfg.wcs_ip, cfg.wcs_ws_port}, rtt,
                   rng, "wcs.example.com");
  const std::int64_t t_101 = ws.connect(cfg.start_us);
  const std::int64_t t_connection = t_101 + rtt + ms(rng, 2, 15);
  ws.client_message(t_connection, static_cast<std::size_t>(rng.range(500, 900)));
  const std::int64_t t_user_data = t_connection + ms(rng, 3, 20);
  ws.server_message(t_user_data, static_cast<std::size_t>(rng.range(250, 450)));
  const std::int64_t t_offer = t_user_data + rtt + ms(rng, 30, 120);
  ws.client_message(t_offer, static_cast<std::size_t>(rng.range(4000, 6500)));
  const std::int64_t t_answer = t_offer + ms(rng, 10, 60);
  ws.server_message(t_answer, static_cast<std::size_t>(rng.range(1800, 2800)));
  ws.server_message(t_answer + ms(rng, 1, 5), static_cast<std::size_t>(rng.range(350, 500)));

  // A relayed browser gathers its relay candidate as soon as it has its session with WCS.
  std::int64_t t_allocated = 0;
  if (turn) t_allocated = turn->allocate(t_user_data + rtt + ms(*turn_rng, 1, 10));

  const bool media = connect_and_stream(cfg, rng, key_rng, cap, res, t_answer, nullptr,
                                        turn ? &*turn : nullptr, turn ? &*turn_rng : nullptr, t_allocated);

  // Signalling for the rest of the session: PUBLISHING/PLAYING (only once media flows), WCS pings
  // (answered by pongs), unPublishStream/stopStream, status, close.
  if (media) ws.server_message(res.media_start_us + ms(rng, 50, 200), static_cast<std::size_t>(rng.range(350, 500)));
  for (std::int64_t t = t_101 + ms(rng, 4500, 5500); t < res.media_end_us - kSec; t += ms(rng, 4800, 5200)) {
    ws.server_message(t, 31);
    ws.client_message(t + rtt + ms(rng, 1, 5), 31);
  }
  ws.client_message(res.media_end_us, static_cast<std::size_t>(rng.range(200, 300)));
  ws.server_message(res.media_end_us + ms(rng, 5, 20), static_cast<std::size_t>(rng.range(350, 500)));
  res.end_us = ws.close(std::max(end, res.media_end_us + rtt + 100 * kMs));
  return res;
}

SessionResult build_webrtc_media(const SessionConfig& cfg, const IceUfrags& ufrags, std::int64_t t_answer_us,
                                 Rng& rng, Rng& key_rng, Capture& cap) {
  if (cfg.relay) throw std::invalid_argument("build_webrtc_media: a relayed session");
  SessionResult res;
  res.wcs_media = Endpoint{cfg.wcs_ip, cfg.wcs_media_port};
  res.browser_media = Endpoint{cfg.browser_ip, cfg.browser_media_port};
  connect_and_stream(cfg, rng, key_rng, cap, res, t_answer_us, &ufrags, nullptr, nullptr, 0);
  res.end_us = res.media_end_us;
  return res;
}

}  // namespace wcsgen
