#include "scenarios.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dns_scenarios.h"
#include "rng.h"
#include "rtsp_rtmp_scenarios.h"
#include "sip_scenarios.h"
#include "rtp_leg.h"
#include "srtp_session.h"
#include "webrtc_session.h"
#include "ws_scenarios.h"

namespace wcsgen {

namespace {

constexpr std::int64_t kSec = 1000000;

struct PublishAndPlay {
  SessionResult publish;
  SessionResult play;
};

std::int64_t duration_us(const ScenarioParams& p) { return static_cast<std::int64_t>(p.duration_s * 1e6); }

// A browser publishing audio+video to WCS and another browser playing a
// stream from WCS, overlapping in time. Both healthy, unless `adjust_play`
// changes the play session's configuration.
PublishAndPlay publish_and_play(const ScenarioParams& p, Capture& cap,
                                const std::function<void(SessionConfig&)>& adjust_play = {},
                                const std::function<void(SessionConfig&)>& adjust_publish = {}) {
  Rng rng(p.seed);
  const auto pub_host = static_cast<std::uint8_t>(rng.range(2, 120));
  const auto play_host = static_cast<std::uint8_t>(rng.range(121, 250));
  const Ipv4Addr pub_ip = Ipv4Addr::of(203, 0, 113, pub_host);
  const Ipv4Addr play_ip = Ipv4Addr::of(203, 0, 113, play_host);
  cap.set_remote_ttl(pub_ip, static_cast<std::uint8_t>(128 - rng.range(8, 16)));  // a Windows browser
  cap.set_remote_ttl(play_ip, static_cast<std::uint8_t>(64 - rng.range(8, 16)));  // a macOS/Linux browser

  Rng pub_rng = rng.fork(1);
  Rng play_rng = rng.fork(2);
  SessionConfig pub = random_session_config(SessionKind::kPublish, kWcsIp, pub_ip,
                                            kBaseTimeUs + rng.range(200000, 500000), duration_us(p), pub_rng);
  SessionConfig play = random_session_config(SessionKind::kPlay, kWcsIp, play_ip,
                                             kBaseTimeUs + rng.range(1000000, 2000000), duration_us(p), play_rng);
  while (play.wcs_media_port == pub.wcs_media_port)
    play.wcs_media_port = random_wcs_media_port(rng);
  if (adjust_play) adjust_play(play);
  if (adjust_publish) adjust_publish(pub);
  // Forked after rng's last draw: the keys change nothing else.
  Rng key_rng = rng.fork(3);

  PublishAndPlay s;
  s.publish = build_webrtc_session(pub, pub_rng, key_rng, cap);
  s.play = build_webrtc_session(play, play_rng, key_rng, cap);
  return s;
}

// A session's audio or video stream.
const StreamInfo& session_stream(const SessionResult& session, bool video) {
  for (const StreamInfo& st : session.streams)
    if (st.video == video) return st;
  return session.streams.front();
}

// The play session's audio or video stream (WCS -> browser).
const StreamInfo& play_stream(const PublishAndPlay& s, bool video) { return session_stream(s.play, video); }

// An RTP packet of that stream.
bool of_stream(const Packet& q, const StreamInfo& st) {
  return q.content == Content::kRtp && q.src == st.src && q.dst == st.dst && q.payload.size() >= 12 &&
         get32(q.payload, 8) == st.ssrc;
}

std::vector<Anomaly> healthy(const ScenarioParams& p, Capture& cap) {
  publish_and_play(p, cap);
  return {};
}

// A packet from the session's browser to WCS on their media 5-tuple.
bool from_browser(const Packet& pk, const SessionResult& session) {
  return pk.proto == kIpProtoUdp && pk.src == session.browser_media && pk.dst == session.wcs_media;
}

// What becomes true once the play session's browser sends nothing more on its media 5-tuple while
// WCS goes on, reckoned from the packets left: one_way_media on each of WCS's streams to it 3 s
// after the last packet back, and ice_consent_lost on WCS's consent checks (every ~1.5 s) 5 s after
// the browser's last answer, on WCS's next packet on the 5-tuple (media every 20 ms).
std::vector<Anomaly> browser_gone_quiet(const Capture& cap, const SessionResult& play) {
  constexpr std::int64_t kThreshold = 3 * kSec;
  constexpr std::int64_t kConsentTimeout = 5 * kSec;
  std::int64_t last_back = 0, last_consent_answer = 0;
  for (const Packet& pk : cap.packets()) {
    if (!from_browser(pk, play)) continue;
    last_back = std::max(last_back, pk.t_us);
    // the browser's Binding success to WCS's consent check (type 0x0101)
    if (pk.payload.size() >= 20 && get16(pk.payload, 0) == 0x0101) last_consent_answer = std::max(last_consent_answer, pk.t_us);
  }

  std::vector<Anomaly> out;
  for (const StreamInfo& st : play.streams)
    out.push_back(Anomaly{"one_way_media", "udp", st.src, st.dst, st.ssrc, last_back + kThreshold, 0.5});
  out.push_back(Anomaly{"ice_consent_lost", "udp", play.wcs_media, play.browser_media, std::nullopt,
                        last_consent_answer + kConsentTimeout, 0.1});
  return out;
}

// The play session loses its browser -> WCS direction 5 s into the media (a firewall drops it):
// no RTCP, no STUN comes back, WCS keeps sending.
std::vector<Anomaly> one_way(const ScenarioParams& p, Capture& cap) {
  constexpr std::int64_t kCutAfterMediaStart = 5 * kSec;
  const PublishAndPlay s = publish_and_play(p, cap);
  const std::int64_t cut = s.play.media_start_us + kCutAfterMediaStart;
  cap.drop_if([&](const Packet& pk) { return from_browser(pk, s.play) && pk.t_us >= cut; });
  return browser_gone_quiet(cap, s.play);
}

// The play session's browser host closes its media port 6 s into the media (the tab is gone): it
// sends nothing more on the 5-tuple, and answers what WCS goes on sending there (media, SRTCP,
// consent checks) with ICMP port unreachable 0.8-1.2 ms after each datagram reaches it, at most
// one per 100 ms (hosts rate-limit their ICMP errors). The browser's last packets reach the tap by
// the cut, so the port closed as WCS's packets sent an RTT before it arrived: the tap sees the
// first ICMP about a millisecond after the cut. icmp_unreachable on WCS -> browser at that ICMP,
// and what the browser's silence makes true (browser_gone_quiet).
std::vector<Anomaly> icmp_unreachable(const ScenarioParams& p, Capture& cap) {
  constexpr std::int64_t kCloseAfterMediaStart = 6 * kSec;
  constexpr std::int64_t kIcmpInterval = 100000;
  std::int64_t rtt = 0;
  const PublishAndPlay s = publish_and_play(p, cap, [&](SessionConfig& play) { rtt = play.rtt_us; });
  const Endpoint browser = s.play.browser_media, wcs = s.play.wcs_media;
  const std::int64_t cut = s.play.media_start_us + kCloseAfterMediaStart;
  cap.drop_if([&](const Packet& pk) { return from_browser(pk, s.play) && pk.t_us >= cut; });

  Rng rng(p.seed ^ 0x1c3bu);
  std::vector<std::pair<std::int64_t, Packet>> refused;  // copies: adding to the capture moves its packets
  for (const Packet* pk : cap.matching([&](const Packet& q) {
         return q.proto == kIpProtoUdp && q.src == wcs && q.dst == browser && q.t_us >= cut - rtt;
       })) {
    const std::int64_t t_icmp = pk->t_us + rtt + rng.range(800, 1200);
    if (refused.empty() || t_icmp - refused.back().first >= kIcmpInterval) refused.emplace_back(t_icmp, *pk);
  }
  if (refused.empty()) throw std::logic_error("icmp-unreachable: WCS sends nothing after the port closes");
  for (const auto& [t, datagram] : refused) cap.add_icmp_unreachable(t, datagram, kIcmpPortUnreachable);
  cap.sort();

  std::vector<Anomaly> out{
      Anomaly{"icmp_unreachable", "udp", wcs, browser, std::nullopt, refused.front().first, 0.01}};
  for (Anomaly& a : browser_gone_quiet(cap, s.play)) out.push_back(std::move(a));
  return out;
}

// The play session's video loses 8 % of its packets (at random) for 6 s, starting 6 s into the
// media. packet_loss (> 2 % over 5 s) is crossed once about 1.25 s of that loss is in the window,
// judged at whole seconds of the stream: between 1.25 and 2.25 s after the loss starts.
std::vector<Anomaly> loss(const ScenarioParams& p, Capture& cap) {
  constexpr std::int64_t kStart = 6 * kSec, kLength = 6 * kSec;
  constexpr double kRate = 0.08;
  const PublishAndPlay s = publish_and_play(p, cap);
  const StreamInfo& video = play_stream(s, true);
  const std::int64_t from = s.play.media_start_us + kStart;
  Rng rng(p.seed ^ 0x10557u);
  cap.drop_if([&](const Packet& pk) {
    return of_stream(pk, video) && pk.t_us >= from && pk.t_us < from + kLength && rng.chance(kRate);
  });
  return {Anomaly{"packet_loss", "udp", video.src, video.dst, video.ssrc, from + 1'750'000, 0.8}};
}

// The play session's audio crosses a path that stalls for 200 ms every 11 packets and then
// delivers the held packets in a burst (Wi-Fi or a congested queue), for 14 s from 4 s into the
// media: |D| is 200 ms then 20 ms ten times, so RFC 3550 jitter settles between about 32 and 42 ms,
// above high_jitter's 30 ms for audio (36 ms measured). The first second is only partly disturbed;
// 10 whole high seconds later it is raised: 10 to 12 s after the disturbance starts.
std::vector<Anomaly> jitter(const ScenarioParams& p, Capture& cap) {
  constexpr std::int64_t kStart = 4 * kSec, kLength = 14 * kSec, kStall = 200000, kSpacing = 20000;
  const PublishAndPlay s = publish_and_play(p, cap);
  const StreamInfo& audio = play_stream(s, false);
  const std::int64_t from = s.play.media_start_us + kStart;
  std::int64_t extra = 0, k = 0, last_arrival = 0;
  for (Packet* pk : cap.matching([&](const Packet& q) { return of_stream(q, audio) && q.t_us >= from; })) {
    if (pk->t_us < from + kLength)
      extra = (k++ % 11 == 0) ? kStall : std::max<std::int64_t>(0, extra - kSpacing);
    else
      extra = 0;  // the path is clean again; what it still holds drains in order
    // A held queue releases in order: never before the packet ahead of it.
    pk->t_us = std::max(pk->t_us + extra, last_arrival + 1);
    last_arrival = pk->t_us;
  }
  cap.sort();
  return {Anomaly{"high_jitter", "udp", audio.src, audio.dst, audio.ssrc, from + 11'000'000, 1.0}};
}

// The play session's video encoder pauses for 4 s, 6 s into the media (a WCS transcoder stall):
// no video packets, then video resumes with the next sequence number, while audio, RTCP and
// STUN go on on the same 5-tuple. media_stall (video, 2 s) is judged at most every 200 ms of the
// flow's packets: raised 2.0-2.22 s after the last video packet before the pause.
std::vector<Anomaly> stall(const ScenarioParams& p, Capture& cap) {
  constexpr std::int64_t kStart = 6 * kSec, kLength = 4 * kSec;
  const PublishAndPlay s = publish_and_play(p, cap);
  const StreamInfo& video = play_stream(s, true);
  const std::int64_t from = s.play.media_start_us + kStart;
  auto is_video = [&](const Packet& q) { return of_stream(q, video); };
  const auto paused = static_cast<std::uint16_t>(
      cap.drop_if([&](const Packet& q) { return is_video(q) && q.t_us >= from && q.t_us < from + kLength; }));
  std::int64_t last_before = 0;
  for (Packet* pk : cap.matching(is_video)) {
    if (pk->t_us < from) {
      last_before = pk->t_us;
    } else {  // the encoder numbers on from where it stopped
      const auto seq = static_cast<std::uint16_t>(get16(pk->payload, 2) - paused);
      pk->payload[2] = static_cast<std::uint8_t>(seq >> 8);
      pk->payload[3] = static_cast<std::uint8_t>(seq);
    }
  }
  return {Anomaly{"media_stall", "udp", video.src, video.dst, video.ssrc, last_before + 2'110'000, 0.12}};
}

void set16(Bytes& b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}

void set32(Bytes& b, std::size_t off, std::uint32_t v) {
  set16(b, off, static_cast<std::uint16_t>(v >> 16));
  set16(b, off + 2, static_cast<std::uint16_t>(v));
}

// WCS restarts the play session's audio sender 6 s into the media (a new SSRC with fresh sequence
// numbers and timestamps), and its video sequence numbers jump by 20000 at 8 s: two
// ssrc_collision_or_reset events, at the third packet of the new SSRC (it is trusted then) and at
// the packet after the jump (which confirms it). The new SSRC has an SRTP key of its own.
std::vector<Anomaly> reset(const ScenarioParams& p, Capture& cap) {
  const PublishAndPlay s = publish_and_play(p, cap);
  const StreamInfo& audio = play_stream(s, false);
  const StreamInfo& video = play_stream(s, true);
  Rng rng(p.seed ^ 0x55c7u);
  const auto new_ssrc = static_cast<std::uint32_t>(rng.next() | 1);
  const auto new_seq = static_cast<std::uint16_t>(rng.next());
  const auto new_ts = static_cast<std::uint32_t>(rng.next());
  cap.add_srtp_key(new_ssrc, rng.fork(1).bytes(kSrtpMasterKeyLen));
  const std::int64_t restart = s.play.media_start_us + 6 * kSec, jump = s.play.media_start_us + 8 * kSec;
  std::vector<std::int64_t> restarted;
  std::uint32_t first_old_ts = 0;
  for (Packet* pk : cap.matching([&](const Packet& q) { return of_stream(q, audio); })) {
    if (pk->t_us < restart) continue;
    if (restarted.empty()) first_old_ts = get32(pk->payload, 4);
    set16(pk->payload, 2, static_cast<std::uint16_t>(new_seq + restarted.size()));
    set32(pk->payload, 4, new_ts + (get32(pk->payload, 4) - first_old_ts));
    set32(pk->payload, 8, new_ssrc);
    restarted.push_back(pk->t_us);
  }
  std::vector<std::int64_t> jumped;
  for (Packet* pk : cap.matching([&](const Packet& q) { return of_stream(q, video); })) {
    if (pk->t_us < jump) continue;
    set16(pk->payload, 2, static_cast<std::uint16_t>(get16(pk->payload, 2) + 20000));
    jumped.push_back(pk->t_us);
  }
  return {Anomaly{"ssrc_collision_or_reset", "udp", audio.src, audio.dst, new_ssrc, restarted.at(2), 0.002},
          Anomaly{"ssrc_collision_or_reset", "udp", video.src, video.dst, video.ssrc, jumped.at(1), 0.002}};
}

// An SRTCP feedback message as the tap sees it: the first 8 bytes in clear (V=2, FMT, PT, length,
// sender SSRC), the media SSRC and FCI encrypted, then the E|index word and a 10-byte tag.
Bytes srtcp_feedback(std::uint8_t pt, std::uint8_t fmt, std::uint32_t sender, std::uint32_t index, Rng& rng) {
  Bytes b{static_cast<std::uint8_t>(0x80 | fmt), pt, 0, 3};  // 16 bytes: header, media SSRC, one FCI
  b.resize(8);
  set32(b, 4, sender);
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(rng.next()));
  b.resize(b.size() + 4);
  set32(b, b.size() - 4, 0x80000000u | index);
  for (int i = 0; i < 10; ++i) b.push_back(static_cast<std::uint8_t>(rng.next()));
  return b;
}

// The play session's browser asks for retransmissions 80 times a second and for keyframes twice a
// second, for 12 s from 4 s into the media (a receiver on a lossy path decoding badly): nack_storm
// (> 50/s, judged per whole second of the flow: raised 0.6-2.05 s after it starts) and pli_storm
// (> 1 per 2 s in each 2 s step of the last 10 whole seconds; the oldest step may be the storm's
// first second alone, with its 2 PLIs when the storm starts in that second's first half: raised
// 8.5-9.5 s after it starts), both on the WCS -> browser direction.
std::vector<Anomaly> feedback(const ScenarioParams& p, Capture& cap) {
  const PublishAndPlay s = publish_and_play(p, cap);
  const Endpoint browser = s.play.browser_media, wcs = s.play.wcs_media;
  const std::int64_t from = s.play.media_start_us + 4 * kSec;
  Rng rng(p.seed ^ 0xfeedu);
  const auto sender = static_cast<std::uint32_t>(rng.next());
  std::uint32_t index = 1000;
  for (std::int64_t t = from; t < from + 12 * kSec; t += 12500) {  // 80 per second
    cap.add_udp(t, browser, wcs, Content::kRtcp, srtcp_feedback(205, 1, sender, index++, rng));
    if ((t - from) % 500000 == 0)  // 2 per second
      cap.add_udp(t + 3000, browser, wcs, Content::kRtcp, srtcp_feedback(206, 1, sender, index++, rng));
  }
  cap.sort();
  return {Anomaly{"nack_storm", "udp", wcs, browser, std::nullopt, from + 1'325'000, 0.725},
          Anomaly{"pli_storm", "udp", wcs, browser, std::nullopt, from + 9'000'000, 0.55}};
}

// What bitrate_drop's detector sees of one stream: per whole 1 s window counted from the stream's
// first packet, kbit/s of RTP bytes (the UDP payload, header and SRTP tag included); empty windows
// skipped; an EWMA (alpha 0.3) of the windows; the baseline the mean of the windows so far (from 10
// on; the detector's baseline is that mean over its first 30 windows, an EWMA after, and the drop
// comes at about the 20th). Raised when the EWMA is under half the baseline or under 100 kbit/s. Whether the window
// just closed is already in the baseline is the detector's choice: `baseline_has_current` picks.
// Returns the time of the packet that closes the first window raising it.
std::optional<std::int64_t> bitrate_drop_raised(const std::vector<std::pair<std::int64_t, std::size_t>>& packets,
                                                bool baseline_has_current) {
  if (packets.empty()) return std::nullopt;
  const std::int64_t t0 = packets.front().first;
  std::vector<double> history;  // kbit/s of the non-empty windows so far
  double ewma = 0;
  std::int64_t window = 0;
  std::uint64_t bytes = 0;
  for (const auto& [t, size] : packets) {
    const std::int64_t w = (t - t0) / kSec;
    if (w != window) {  // `window` is complete (and non-empty: it counted at least one packet)
      const double kbps = static_cast<double>(bytes) * 8 / 1000;
      ewma = history.empty() ? kbps : 0.3 * kbps + 0.7 * ewma;
      auto baseline_of = [&](std::size_t n) {
        const std::size_t from = n > 30 ? n - 30 : 0;
        double sum = 0;
        for (std::size_t i = from; i < n; ++i) sum += history[i];
        return std::pair{sum / static_cast<double>(n - from), n - from};
      };
      history.push_back(kbps);
      const auto [baseline, count] = baseline_of(history.size() - (baseline_has_current ? 0 : 1));
      if (count >= 10 && (ewma < 0.5 * baseline || ewma < 100)) return t;
      window = w;
      bytes = 0;
    }
    bytes += size;
  }
  return std::nullopt;
}

// The play session's video encoder collapses 20 s into the media (a bandwidth estimate gone wrong,
// or a transcoder falling back): from its 600-900 kbit/s to 150 kbit/s, to the end. The frames go
// on at 30 fps with the same SSRC, numbering and timestamps, just smaller (a delta frame shrinks
// from 2-4 packets to 1): no gap, no pause, only fewer bytes; the session's SRTCP sender and
// receiver reports count what was really sent. The video's 1 s windows count from its first
// packet, 0-15 ms after the session's first RTP packet, so the drop lands in a window's last 15 ms
// and the windows after it are wholly low. bitrate_drop (EWMA of the windows under half the
// 30-window baseline) is then raised as the third or fourth low window closes (3-4 s after the
// drop; the fourth when the window just closed counts in the baseline, or the base rate is low).
// The truth is worked out from the capture by the detector's rules (bitrate_drop_raised); where
// they leave the baseline open, the two answers (then 1 s apart) share the tolerance: from_ts is
// their midpoint, +-1 s.
std::vector<Anomaly> bitrate_drop(const ScenarioParams& p, Capture& cap) {
  constexpr std::int64_t kDropAfterMediaStart = 20 * kSec;
  constexpr double kDroppedKbps = 150;
  const PublishAndPlay s = publish_and_play(p, cap, [&](SessionConfig& play) {
    play.video_bitrate_change = SessionConfig::VideoBitrateChange{kDropAfterMediaStart, kDroppedKbps};
  });
  const StreamInfo& video = play_stream(s, true);
  const std::int64_t drop = s.play.media_start_us + kDropAfterMediaStart;
  cap.protect_srtp();  // sizes as on the wire, SRTP tags included
  std::vector<std::pair<std::int64_t, std::size_t>> packets;
  for (const Packet* pk : cap.matching([&](const Packet& q) { return of_stream(q, video); }))
    packets.emplace_back(pk->t_us, pk->payload.size());
  const std::optional<std::int64_t> early = bitrate_drop_raised(packets, false);
  const std::optional<std::int64_t> late = bitrate_drop_raised(packets, true);
  if (!early || !late || *early < drop || *late < drop)
    throw std::logic_error("bitrate-drop: the video's bitrate does not drop as the scenario means it to");
  // The two answers are whole windows apart (the closing packets' own lateness aside, <= 34 ms).
  const std::int64_t from = (*early + *late) / 2;
  const double windows_apart = static_cast<double>(std::llround(static_cast<double>(*late - *early) / 1e6));
  const double tolerance = std::max(1.0, 0.5 + windows_apart / 2);
  return {Anomaly{"bitrate_drop", "udp", video.src, video.dst, video.ssrc, from, tolerance}};
}

// The publish session's video reaches WCS with one bit flipped in every 10th SRTP packet for 4 s
// from 8 s into the media (a faulty NIC or middlebox): in the encrypted payload, neither header nor
// tag, so each of them fails authentication while its headers look fine. srtp_auth_failure on
// that stream at the first.
std::vector<Anomaly> srtp_tampered(const ScenarioParams& p, Capture& cap) {
  constexpr std::int64_t kStart = 8 * kSec, kLength = 4 * kSec;
  constexpr std::size_t kEvery = 10;
  constexpr std::size_t kRtpHeaderLen = 12;
  const PublishAndPlay s = publish_and_play(p, cap);
  const StreamInfo& video = session_stream(s.publish, true);
  const std::int64_t from = s.publish.media_start_us + kStart;
  cap.protect_srtp();  // the bits flip on the way, after the browser protected the packets
  Rng rng(p.seed ^ 0x5a7bu);
  std::vector<std::int64_t> tampered;
  std::size_t k = 0;
  for (Packet* pk : cap.matching([&](const Packet& q) {
         return of_stream(q, video) && q.t_us >= from && q.t_us < from + kLength;
       })) {
    if (++k % kEvery != 0) continue;
    const std::size_t encrypted = pk->payload.size() - kRtpHeaderLen - kSrtpAuthTagLen;
    pk->payload[kRtpHeaderLen + rng.below(encrypted)] ^= static_cast<std::uint8_t>(1u << rng.below(8));
    tampered.push_back(pk->t_us);
  }
  return {Anomaly{"srtp_auth_failure", "udp", video.src, video.dst, video.ssrc, tampered.at(0), 1.0}};
}

// WCS overloaded: it answers every ICE check of both browsers 60-150 ms late (at once otherwise).
// stun_response_slow on WCS's address once the last 30 s hold 20 answers (min_samples): their 95th
// percentile (nearest rank: the 2nd slowest of 20-39) is over 50 ms from the start.
std::vector<Anomaly> stun_slow(const ScenarioParams& p, Capture& cap) {
  constexpr std::size_t kMinSamples = 20;
  constexpr std::int64_t kWindow = 30 * kSec;
  const auto slow = [](SessionConfig& c) { c.wcs_stun_answer_us = std::pair<std::int64_t, std::int64_t>{60000, 150000}; };
  const PublishAndPlay s = publish_and_play(p, cap, slow, slow);
  // WCS's Binding success responses (type 0x0101) from its media ports, in time order.
  std::vector<std::int64_t> answers;
  for (const Packet& pk : cap.packets())
    if (pk.content == Content::kStun && pk.src.ip == kWcsIp && pk.payload.size() >= 20 && get16(pk.payload, 0) == 0x0101)
      answers.push_back(pk.t_us);
  std::sort(answers.begin(), answers.end());
  for (std::size_t i = kMinSamples - 1; i < answers.size(); ++i)
    if (answers[i] - answers[i + 1 - kMinSamples] <= kWindow)
      return {Anomaly{"stun_response_slow", "udp", Endpoint{kWcsIp, 0}, Endpoint{}, std::nullopt, answers[i], 0.01, true}};
  throw std::logic_error("stun-slow: too few ICE checks for a verdict; use a longer --duration");
}

// A SIP phone behind a plain RTP leg: 192.0.2.0/24, a Cisco-like even RTP port 16384-16998 (a
// range no Wireshark dissector claims, so tshark's RTP heuristic sees the stream), 20-40 ms away.
struct Phone {
  Ipv4Addr ip;
  std::uint16_t rtp_port;
  std::int64_t delay_us;
  std::string cname;
};

Phone random_phone(Rng& rng, std::uint8_t host_lo, std::uint8_t host_hi) {
  const auto host = static_cast<std::uint8_t>(rng.range(host_lo, host_hi));
  Phone ph{Ipv4Addr::of(192, 0, 2, host), static_cast<std::uint16_t>(16384 + 2 * rng.range(0, 307)),
           rng.range(20000, 40000), ""};
  ph.cname = std::to_string(rng.range(1001, 1999)) + "@" + ph.ip.str();
  return ph;
}

// As healthy, plus WCS relaying the published stream's audio into two SIP calls without SRTP: two
// send-only PCMU legs (rtp_leg.h), RTP from an even WCS media port P to the phone's port Q, RTCP
// on P+1 <-> Q+1. WCS sends sender reports about every 5 s (the first 0.5-1.5 s into the leg); each
// phone sends no RTP, only receiver reports about WCS's SSRC (the first 1.25-3.75 s after the
// media reaches it, then every 2.5-7.5 s) whose LSR/DLSR give an RTT of twice its 20-40 ms path.
// Phone A reports to the end: healthy, as a send-only leg with RTCP coming back is. Phone B stops
// reporting 8 s into its leg (its last report is the last one before then) while WCS keeps
// sending: one_way_media on B's leg, raised once an RTCP interval's worth (7.5 s: 5 s randomised
// up to 1.5x) has passed since the tap saw B's last report, on WCS's next RTP packet (20 ms).
std::vector<Anomaly> rtcp_sendonly(const ScenarioParams& p, Capture& cap) {
  constexpr std::int64_t kBStopsAfterMediaStart = 8 * kSec;
  constexpr std::int64_t kRtcpInterval = 7'500'000;
  const PublishAndPlay s = publish_and_play(p, cap);
  Rng rng(p.seed ^ 0x5e4d0u);
  std::vector<std::uint16_t> taken{s.publish.wcs_media.port, s.play.wcs_media.port};
  std::vector<RtpLegResult> legs;
  for (int i = 0; i < 2; ++i) {
    const bool b = i == 1;
    const Phone ph = b ? random_phone(rng, 121, 250) : random_phone(rng, 2, 120);
    cap.set_remote_ttl(ph.ip, static_cast<std::uint8_t>(64 - rng.range(4, 12)));
    std::uint16_t port = random_wcs_media_port(rng);
    while (std::find(taken.begin(), taken.end(), port) != taken.end()) port = random_wcs_media_port(rng);
    taken.push_back(port);
    RtpLegConfig leg;
    leg.wcs_rtp = Endpoint{kWcsIp, port};
    leg.phone_rtp = Endpoint{ph.ip, ph.rtp_port};
    leg.media_start_us = s.publish.media_start_us + rng.range(kSec, 5 * kSec / 2);
    leg.media_end_us = s.publish.media_end_us;
    leg.one_way_delay_us = ph.delay_us;
    if (b) leg.phone_rtcp_until_us = leg.media_start_us + kBStopsAfterMediaStart;
    leg.phone_cname = ph.cname;
    Rng leg_rng = rng.fork(static_cast<std::uint64_t>(10 + i));
    legs.push_back(build_rtp_leg(leg, leg_rng, cap));
  }
  const RtpLegResult& b = legs[1];
  return {Anomaly{"one_way_media", "udp", b.stream.src, b.stream.dst, b.stream.ssrc,
                  b.phone_rr_us.back() + kRtcpInterval, 0.1}};
}

// The play session's DTLS handshake fails as `fault` says (dtls_exchange.h): no media, while
// signalling and ICE (checks and consent both ways, all answered) go on. The publish session is
// healthy.
PublishAndPlay with_play_dtls_fault(const ScenarioParams& p, Capture& cap, DtlsFault fault) {
  return publish_and_play(p, cap, [fault](SessionConfig& c) { c.dtls_fault = fault; });
}

// WCS's ClientHello is never answered; WCS resends it on RFC 6347's doubling timer (1, 3, 7, 15 s
// after the first, while the session lasts). dtls_incomplete (>= 3 ClientHellos) at the third
// transmission, from WCS to the browser.
std::vector<Anomaly> dtls_no_answer(const ScenarioParams& p, Capture& cap) {
  const PublishAndPlay s = with_play_dtls_fault(p, cap, DtlsFault::kNoAnswer);
  return {Anomaly{"dtls_incomplete", "udp", s.play.wcs_media, s.play.browser_media, std::nullopt,
                  s.play.dtls.client_hello_us.at(2), 0.1}};
}

// WCS's flight 5 never reaches the browser, which resends its server flight on the same timer (1, 3,
// 7, 15 s after the first, while the session lasts); WCS resends flight 5 to each. One ClientHello
// only: dtls_incomplete when the handshake is not done 5 s after it, from WCS to the browser.
std::vector<Anomaly> dtls_stall_server(const ScenarioParams& p, Capture& cap) {
  constexpr std::int64_t kDoneWithin = 5 * kSec;
  const PublishAndPlay s = with_play_dtls_fault(p, cap, DtlsFault::kStallAfterServerFlight);
  return {Anomaly{"dtls_incomplete", "udp", s.play.wcs_media, s.play.browser_media, std::nullopt,
                  s.play.dtls.client_hello_us.at(0) + kDoneWithin, 0.1}};
}

// A fatal alert from the browser ends the handshake: dtls_fingerprint_mismatch at the alert, from
// the browser to WCS (and no dtls_incomplete: the handshake did not stall, it was refused).
std::vector<Anomaly> browser_alert(const ScenarioParams& p, Capture& cap, DtlsFault fault) {
  const PublishAndPlay s = with_play_dtls_fault(p, cap, fault);
  return {Anomaly{"dtls_fingerprint_mismatch", "udp", s.play.browser_media, s.play.wcs_media, std::nullopt,
                  s.play.dtls.alert_us.value(), 0.1}};
}

// The browser answers the ClientHello with a fatal handshake_failure (no SRTP profile in common).
std::vector<Anomaly> dtls_alert(const ScenarioParams& p, Capture& cap) {
  return browser_alert(p, cap, DtlsFault::kAlertAfterClientHello);
}

// The browser answers WCS's flight 5 with a fatal bad_certificate: WCS's certificate does not
// match the SDP's a=fingerprint.
std::vector<Anomaly> dtls_fingerprint(const ScenarioParams& p, Capture& cap) {
  return browser_alert(p, cap, DtlsFault::kBadCertificateAlert);
}

// When ice_no_response is raised on Binding requests one way of a flow that nothing answers (their
// times, in order), by the analyzer's rule judged at each of them: kRequests distinct ones with the
// first kMinAge old, or any kWithin after the first.
std::int64_t no_response_raised(const std::vector<std::int64_t>& requests) {
  constexpr std::size_t kRequests = 5;
  constexpr std::int64_t kMinAge = kSec, kWithin = 5 * kSec;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::int64_t age = requests[i] - requests.front();
    if ((i + 1 >= kRequests && age >= kMinAge) || age >= kWithin) return requests[i];
  }
  throw std::logic_error("ice-no-answer: too few ICE checks for a verdict");
}

// WCS's media port drops what comes in (a firewall in front of it): the play session's browser
// checks unanswered, a new transaction every 500 ms for 10 s, then every 2.5 s, until the session
// ends; WCS, which sees nothing, never checks; no DTLS, no media. The publish session is healthy.
// ice_no_response from the browser to WCS at the 5th check (the first is 2 s old by then).
std::vector<Anomaly> ice_no_answer(const ScenarioParams& p, Capture& cap) {
  const PublishAndPlay s = publish_and_play(p, cap, [](SessionConfig& play) { play.wcs_media_unreachable = true; });
  std::vector<std::int64_t> checks;
  for (const Packet* pk : cap.matching([&](const Packet& q) {
         return from_browser(q, s.play) && q.content == Content::kStun && get16(q.payload, 0) == 0x0001;
       }))
    checks.push_back(pk->t_us);
  return {Anomaly{"ice_no_response", "udp", s.play.browser_media, s.play.wcs_media, std::nullopt,
                  no_response_raised(checks), 0.01}};
}

// As healthy, but the play browser reaches WCS through the TURN server on WCS's host: its ICE,
// DTLS, SRTP and SRTCP cross the tap as ChannelData on browser <-> 198.51.100.10:3478.
std::vector<Anomaly> turn_relayed(const ScenarioParams& p, Capture& cap) {
  publish_and_play(p, cap, [](SessionConfig& play) { play.relay = true; });
  return {};
}

// The first STUN Binding success the tap sees on a session's checks, either direction: when the
// session connects. Before Capture::relay_turn, so on its media endpoints relayed or not.
std::int64_t first_binding_success(const Capture& cap, const SessionResult& s) {
  std::optional<std::int64_t> first;
  for (const Packet& pk : cap.packets()) {
    const bool on_pair = (pk.src == s.browser_media && pk.dst == s.wcs_media) ||
                         (pk.src == s.wcs_media && pk.dst == s.browser_media);
    if (on_pair && pk.content == Content::kStun && pk.payload.size() >= 20 && get16(pk.payload, 0) == 0x0101 &&
        (!first || pk.t_us < *first))
      first = pk.t_us;
  }
  if (!first) throw std::logic_error("relay-surge: a session without a Binding success");
  return *first;
}

// relay_fallback_surge, by the analyzer's rule: sessions in the order they connect (within
// kWindow of each other, which 12 sessions started in 6 s are), counting the connected and the
// relayed; raised at the first connect with at least kMinSessions connected, more than kShare of
// them relayed. None: nullopt.
std::optional<std::int64_t> relay_surge_raised(std::vector<std::pair<std::int64_t, bool>> connects) {
  constexpr std::size_t kMinSessions = 10;
  constexpr double kShare = 0.20;
  constexpr std::int64_t kWindow = 300 * kSec;
  std::sort(connects.begin(), connects.end());
  std::size_t count = 0, relayed = 0;
  for (const auto& [t, relay] : connects) {
    if (t - connects.front().first > kWindow) throw std::logic_error("relay-surge: sessions beyond the window");
    ++count;
    if (relay) ++relayed;
    if (count >= kMinSessions && static_cast<double>(relayed) / static_cast<double>(count) > kShare) return t;
  }
  return std::nullopt;
}

// WebRTC sessions, alternately publish and play, from kSessions distinct browsers (distinct WCS
// media ports and browser ports), starting 0.5 s apart (+0-450 ms) over the first 6 s and lasting
// the scenario's duration; kRelayed of them, chosen at random, reach WCS through its TURN server
// (the rest directly, all healthy). However the relayed fall, at least 3 of them are among the
// first 10 sessions to connect: relay_fallback_surge (tap-wide) is raised as the 10th connects.
std::vector<Anomaly> relay_surge(const ScenarioParams& p, Capture& cap) {
  constexpr int kSessions = 12, kRelayed = 5;
  Rng rng(p.seed ^ 0x7e1a4u);
  std::array<int, kSessions> order{};
  for (int i = 0; i < kSessions; ++i) order[static_cast<std::size_t>(i)] = i;
  Rng pick = rng.fork(1);
  for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[pick.below(i + 1)]);
  std::array<bool, kSessions> relayed{};
  for (int i = 0; i < kRelayed; ++i) relayed[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = true;

  std::vector<SessionConfig> configs;
  std::vector<Rng> rngs;
  std::vector<std::uint8_t> hosts;
  for (int i = 0; i < kSessions; ++i) {
    std::uint8_t host = 0;
    do host = static_cast<std::uint8_t>(rng.range(2, 250));
    while (std::find(hosts.begin(), hosts.end(), host) != hosts.end());
    hosts.push_back(host);
    const Ipv4Addr ip = Ipv4Addr::of(203, 0, 113, host);
    cap.set_remote_ttl(ip, static_cast<std::uint8_t>((rng.chance(0.5) ? 128 : 64) - rng.range(8, 16)));
    rngs.push_back(rng.fork(static_cast<std::uint64_t>(10 + i)));
    const std::int64_t start = kBaseTimeUs + i * 500000 + rng.range(0, 450000);
    SessionConfig c = random_session_config(i % 2 == 0 ? SessionKind::kPublish : SessionKind::kPlay, kWcsIp, ip,
                                            start, duration_us(p), rngs.back());
    auto taken = [&](auto field, std::uint16_t port) {
      return std::any_of(configs.begin(), configs.end(), [&](const SessionConfig& o) { return o.*field == port; });
    };
    while (taken(&SessionConfig::wcs_media_port, c.wcs_media_port)) c.wcs_media_port = random_wcs_media_port(rng);
    while (taken(&SessionConfig::browser_media_port, c.browser_media_port))
      c.browser_media_port = static_cast<std::uint16_t>(rng.range(50000, 53999));
    c.relay = relayed[static_cast<std::size_t>(i)];
    configs.push_back(c);
  }
  Rng key_rng = rng.fork(3);

  std::vector<std::pair<std::int64_t, bool>> connects;
  for (int i = 0; i < kSessions; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const SessionResult s = build_webrtc_session(configs[k], rngs[k], key_rng, cap);
    connects.emplace_back(first_binding_success(cap, s), configs[k].relay);
  }
  const std::optional<std::int64_t> from = relay_surge_raised(connects);
  if (!from) throw std::logic_error("relay-surge: too few relayed sessions for relay_fallback_surge");
  Anomaly a{"relay_fallback_surge", "other", Endpoint{}, Endpoint{}, std::nullopt, *from, 0.01};
  a.tap_wide = true;
  return {a};
}

constexpr std::array kScenarios{
    ScenarioDef{"healthy", "a WebRTC publish and a WebRTC play session, nothing anomalous", 5.0, &healthy},
    ScenarioDef{"one-way",
                "as healthy, but 5 s into the play session's media a firewall drops everything from that "
                "browser to WCS on the media 5-tuple (one_way_media on both WCS->browser streams, "
                "ice_consent_lost on WCS's consent checks)",
                12.0, &one_way},
    ScenarioDef{"loss",
                "as healthy, but the play session's video loses 8 % of its packets for 6 s from 6 s into "
                "the media (packet_loss on that stream)",
                16.0, &loss},
    ScenarioDef{"jitter",
                "as healthy, but the play session's audio path stalls 200 ms every 11 packets and bursts, "
                "for 14 s from 4 s into the media (high_jitter on that stream)",
                20.0, &jitter},
    ScenarioDef{"stall",
                "as healthy, but the play session's video pauses for 4 s from 6 s into the media while its "
                "audio goes on (media_stall on the video stream)",
                14.0, &stall},
    ScenarioDef{"reset",
                "as healthy, but the play session's audio sender restarts with a new SSRC 6 s into the media and "
                "its video sequence numbers jump by 20000 at 8 s (ssrc_collision_or_reset twice)",
                12.0, &reset},
    ScenarioDef{"feedback",
                "as healthy, but the play session's browser sends 80 NACKs and 2 PLIs a second for 12 s from 4 s "
                "into the media (nack_storm and pli_storm on WCS -> browser)",
                18.0, &feedback},
    ScenarioDef{"bitrate-drop",
                "as healthy, but 20 s into the media the play session's video drops from its 600-900 kbit/s to "
                "150 kbit/s for good, same SSRC, no loss, no pause (bitrate_drop on that stream)",
                32.0, &bitrate_drop},
    ScenarioDef{"rtcp-sendonly",
                "as healthy, plus two plain send-only PCMU legs from WCS to SIP phones, RTCP on separate ports: "
                "phone A sends receiver reports throughout, phone B stops 8 s into its leg (one_way_media on "
                "WCS -> phone B)",
                25.0, &rtcp_sendonly},
    ScenarioDef{"stun-slow",
                "as healthy, but WCS answers every ICE check 60-150 ms late, as an overloaded server does "
                "(stun_response_slow on WCS's address)",
                40.0, &stun_slow},
    ScenarioDef{"srtp-tampered",
                "as healthy, but every 10th SRTP packet of the publish session's video has one bit of its "
                "encrypted payload flipped, for 4 s from 8 s into the media (srtp_auth_failure on browser -> "
                "WCS)",
                16.0, &srtp_tampered},
    ScenarioDef{"dtls-no-answer",
                "as healthy, but the play session's browser never answers WCS's DTLS ClientHello, which WCS "
                "resends 1, 3, 7, 15 s after the first while the session lasts; no media (dtls_incomplete on "
                "WCS -> browser)",
                8.0, &dtls_no_answer},
    ScenarioDef{"dtls-stall-server",
                "as healthy, but the play session's DTLS flight 5 from WCS never reaches the browser: the "
                "browser resends its server flight 1, 3, 7, 15 s after the first while the session lasts and WCS "
                "its flight 5 to each; no media (dtls_incomplete on WCS -> browser)",
                10.0, &dtls_stall_server},
    ScenarioDef{"dtls-alert",
                "as healthy, but the play session's browser answers WCS's ClientHello with a fatal "
                "handshake_failure alert; no media (dtls_fingerprint_mismatch on browser -> WCS)",
                5.0, &dtls_alert},
    ScenarioDef{"dtls-fingerprint",
                "as healthy, but the play session's browser refuses WCS's DTLS certificate (not the SDP "
                "fingerprint) with a fatal bad_certificate alert; no media (dtls_fingerprint_mismatch on "
                "browser -> WCS)",
                5.0, &dtls_fingerprint},
    ScenarioDef{"ice-no-answer",
                "as healthy, but the play session's browser never reaches WCS's media port (a firewall drops what "
                "comes in): its ICE checks go unanswered, every 500 ms for 10 s, then every 2.5 s; WCS never "
                "checks; no DTLS, no media (ice_no_response on browser -> WCS)",
                5.0, &ice_no_answer},
    ScenarioDef{"icmp-unreachable",
                "as healthy, but 6 s into the play session's media the browser's host closes its media port: "
                "nothing more comes from it, and what WCS sends there is answered with ICMP port unreachable, at "
                "most one per 100 ms (icmp_unreachable, one_way_media on both streams and ice_consent_lost, all "
                "on WCS -> browser)",
                14.0, &icmp_unreachable},
    ScenarioDef{"turn-relayed",
                "as healthy, but the play session's browser reaches WCS through the TURN server on WCS's host "
                "(198.51.100.10:3478): Allocate (challenged, then authenticated), CreatePermission, ChannelBind, "
                "Refresh, and its ICE, DTLS, SRTP and SRTCP as ChannelData on browser <-> TURN; nothing anomalous",
                5.0, &turn_relayed},
    ScenarioDef{"relay-surge",
                "12 WebRTC sessions (publish and play alternately) from distinct browsers starting over the "
                "first 6 s, 5 of them, chosen at random, relayed by the TURN server on WCS's host, all healthy "
                "(relay_fallback_surge, tap-wide, as the 10th session connects)",
                5.0, &relay_surge},
    ScenarioDef{"sip-call",
                "WCS (UDP 30000-31000) registers with a PBX on 5060 (401, then with credentials, 200), calls through it "
                "(INVITE with a PCMU offer, 100, 180, 200 with the answer, ACK), G.711 RTP both ways every 20 ms "
                "between the SDP's ports, BYE and 200; nothing anomalous",
                8.0, &sip_call},
    ScenarioDef{"sip-sdes",
                "as sip-call, but the offer and the answer are RTP/SAVP, each with its author's SRTP key in "
                "a=crypto (SDES, AES_CM_128_HMAC_SHA1_80), and the media both ways SRTP under those keys; the tap "
                "learns them from the SDP (none in --keys); nothing anomalous",
                8.0, &sip_sdes},
    ScenarioDef{"sip-sdes-bad-key",
                "as sip-sdes, but the PBX encrypts with a key other than the one its answer announced: none of its "
                "packets authenticate (srtp_auth_failure on PBX -> WCS at its 50th packet)",
                8.0, &sip_sdes_bad_key},
    ScenarioDef{"sip-rejected",
                "as sip-call, but the INVITE is answered 100 then 486 Busy Here (and ACKed); no media (sip_failure "
                "on WCS -> PBX at the 486)",
                5.0, &sip_rejected},
    ScenarioDef{"sip-register-refused",
                "WCS's REGISTER is challenged (401) and the REGISTER with credentials answered 403 Forbidden "
                "(sip_failure on WCS -> PBX at the 403)",
                5.0, &sip_register_refused},
    ScenarioDef{"sip-no-answer",
                "WCS registers, then the PBX stops answering: WCS's INVITE is resent per Timer A (0.5, 1, 2, 4, 8, "
                "16 s) with no answer, and its CRLF keep-alives go on every 15 s (sip_failure on WCS -> PBX at Timer "
                "B, INVITE + 32 s)",
                36.0, &sip_no_answer},
    ScenarioDef{"sip-rtp-one-way",
                "as sip-call, but none of the PBX's RTP reaches WCS (a firewall on its way drops it) while WCS's "
                "flows to the PBX's SDP address (sip_rtp_mismatch on WCS -> PBX 3 s after the ACK, one_way_media on "
                "WCS's stream 3 s after its first packet)",
                12.0, &sip_rtp_one_way},
    ScenarioDef{"sip-rtp-wrong-address",
                "as sip-call, but the PBX's SDP answer names another of its addresses (192.0.2.100-199) than the one "
                "its RTP comes from; WCS sends its RTP back there (symmetric RTP): media both ways on one 5-tuple "
                "(sip_rtp_mismatch on WCS -> PBX 3 s after the ACK)",
                12.0, &sip_rtp_wrong_address},
    ScenarioDef{"sip-nat-private-sdp",
                "as sip-rtp-wrong-address, the PBX behind NAT: its SDP answer names its private address (10.0.0.0/8), "
                "its SIP and RTP come from its public one (nat_address_mismatch on PBX -> WCS at the 200 OK, "
                "sip_rtp_mismatch on WCS -> PBX 3 s after the ACK)",
                12.0, &sip_nat_private_sdp},
    ScenarioDef{"sip-scanner",
                "as sip-call, plus a SIP scanner (sipvicious, User-Agent friendly-scanner) sending one OPTIONS to each "
                "of 3-5 ports from 5060 on WCS's host, unanswered; the tap's config (--tap-config) has a user "
                "signature on that User-Agent for ports 5060-5069 (signature_match on each probe's flow at the probe)",
                12.0, &sip_scanner},
    ScenarioDef{"dns-healthy",
                "WCS resolves its backend's name every second, each query from a new source port, answered in "
                "2-10 ms; nothing anomalous",
                5.0, &dns_healthy},
    ScenarioDef{"dns-slow",
                "as dns-healthy, but every answer comes 150-300 ms after its query (dns_failure, minor, on each "
                "query's flow at its answer)",
                5.0, &dns_slow},
    ScenarioDef{"dns-nxdomain",
                "as dns-healthy, plus one lookup (the 3rd-5th query) of a name that does not exist, answered "
                "NXDOMAIN with the zone's SOA (dns_failure on that query's flow at the answer)",
                6.0, &dns_nxdomain},
    ScenarioDef{"dns-no-answer",
                "as dns-healthy, but one query's answer (the 3rd-5th) never comes; the stub resolver asks again "
                "5 s later, same id and port, and is answered (dns_failure on that flow 2 s after the query)",
                10.0, &dns_no_answer},
    ScenarioDef{"rtsp-pull",
                "WCS pulls an IP camera (WCS's port 32000-32999 -> camera:554): OPTIONS, DESCRIBE answered 401 then "
                "with credentials 200 (SDP, H.264), SETUP RTP/AVP/TCP interleaved=0-1, PLAY, H.264 RTP in $ frames "
                "on channel 0 and RTCP SR/RR on channel 1, TEARDOWN; nothing anomalous, one RTP stream over TCP",
                6.0, &rtsp_pull},
    ScenarioDef{"rtsp-not-found",
                "as rtsp-pull, but the DESCRIBE with credentials is answered 404 Not Found and WCS closes "
                "(rtsp_failure on WCS -> camera at the 404)",
                3.0, &rtsp_not_found},
    ScenarioDef{"rtsp-no-rtp",
                "as rtsp-pull, but after PLAY is answered 200 the camera sends nothing until WCS's TEARDOWN "
                "(rtsp_failure on WCS -> camera 3 s after the PLAY answer)",
                8.0, &rtsp_no_rtp},
    ScenarioDef{"rtmp-publish",
                "an encoder publishes to WCS:1935: C0/C1, S0/S1/S2, C2, Set Chunk Size 4096 and connect, _result, "
                "createStream, publish, onStatus NetStream.Publish.Start, metadata, AVC video and AAC audio in "
                "4096-byte chunks, FCUnpublish/deleteStream; nothing anomalous",
                6.0, &rtmp_publish},
    ScenarioDef{"rtmp-bad-name",
                "as rtmp-publish, but WCS answers publish with onStatus level error NetStream.Publish.BadName and "
                "the encoder gives up (rtmp_failure on encoder -> WCS at that onStatus)",
                3.0, &rtmp_bad_name},
    ScenarioDef{"ws-session",
                "a browser on ws://WCS:8080: Upgrade (101, correct Sec-WebSocket-Accept), connection, publishStream "
                "with its SDP, setRemoteSDP, PUBLISHING, WebSocket and WCS JSON pings every 5 s, unPublishStream, "
                "UNPUBLISHED, close 1000 both ways, FIN; nothing anomalous",
                12.0, &ws_session},
    ScenarioDef{"ws-refused",
                "as ws-session, and a second browser's SYN to 8080 answered with RST (ws_connect_failed on browser "
                "-> WCS at the RST)",
                8.0, &ws_refused},
    ScenarioDef{"ws-syn-timeout",
                "as ws-session, and a second browser's SYNs to 8080 at 0, 1 and 3 s get nothing back "
                "(ws_connect_failed on browser -> WCS, first SYN + 3 s)",
                10.0, &ws_syn_timeout},
    ScenarioDef{"ws-bad-accept",
                "a browser's WebSocket Upgrade to 8080 answered 101 with a wrong Sec-WebSocket-Accept; the browser "
                "closes TCP (ws_connect_failed on browser -> WCS at the 101)",
                5.0, &ws_bad_accept},
    ScenarioDef{"ws-upgrade-refused",
                "a browser's WebSocket Upgrade to 8080 answered 403 Forbidden, then closed by WCS (ws_connect_failed "
                "on browser -> WCS at the 403)",
                5.0, &ws_upgrade_refused},
    ScenarioDef{"ws-abnormal-close",
                "as ws-session, but 3-6 s into PUBLISHING WCS closes the WebSocket with 1011, echoed, then TCP "
                "(ws_abnormal_close on browser -> WCS at WCS's close frame)",
                12.0, &ws_abnormal_close},
    ScenarioDef{"ws-reset",
                "as ws-session, but 3-6 s into PUBLISHING WCS resets the TCP connection, no close frame "
                "(ws_abnormal_close on browser -> WCS at the RST)",
                12.0, &ws_reset},
    ScenarioDef{"stream-failed",
                "as ws-session, but after setRemoteSDP WCS reports the stream FAILED \"Failed by ICE timeout\" "
                "5-8 s later; the browser closes (1000) (stream_failed on browser -> WCS at the FAILED)",
                12.0, &ws_stream_failed},
    ScenarioDef{"signalling-no-answer",
                "as ws-session, but WCS answers publishStream with nothing (keep-alives go on) for 8 s, when the "
                "browser closes (1000) (signalling_no_answer on browser -> WCS, publishStream + 5 s)",
                12.0, &ws_signalling_no_answer},
    ScenarioDef{"ws-webrtc",
                "as ws-session, with the browser's media: ICE with the SDPs' ufrags, DTLS with the certificates their "
                "a=fingerprint name, SRTP Opus and H.264 to WCS, PUBLISHING once media flows; nothing anomalous",
                8.0, &ws_webrtc},
    ScenarioDef{"fingerprint-mismatch",
                "as ws-webrtc, but WCS's setRemoteSDP names another certificate's fingerprint than the one it sends in "
                "DTLS; the handshake finishes and media flows (dtls_fingerprint_mismatch on WCS -> browser at WCS's "
                "certificate)",
                8.0, &fingerprint_mismatch},
    ScenarioDef{"wcs-private-candidates",
                "as ws-session, but WCS's setRemoteSDP offers only a private candidate (10.0.0.0/8) to the public "
                "browser; no media, and WCS reports the stream FAILED \"Failed by ICE timeout\" 5-8 s later "
                "(nat_address_mismatch and stream_failed on browser -> WCS)",
                12.0, &wcs_private_candidates},
    ScenarioDef{"rest-hook-slow",
                "WCS POSTs /rest/connect to its backend 203.0.113.80:9091 (answered at once), then "
                "/rest/publishStream answered 200 after 2-2.2 s, then /rest/StreamStatusEvent (rest_hook_slow on "
                "WCS -> backend at the slow answer)",
                5.0, &rest_hook_slow},
    ScenarioDef{"rest-hook-timeout",
                "WCS POSTs /rest/connect to its backend 203.0.113.80:9091 (answered at once), then "
                "/rest/publishStream never answered; WCS closes the connection 16 s later (rest_hook_slow on "
                "WCS -> backend, POST + 15 s)",
                5.0, &rest_hook_timeout},
    ScenarioDef{"tls-alert",
                "a TLS 1.2 ClientHello to wss://WCS:8443 answered with a fatal handshake_failure alert, then closed "
                "(tls_failure on client -> WCS at the alert)",
                5.0, &tls_alert},
    ScenarioDef{"hls-stall",
                "a player polls /live/stream.m3u8 on 8082 every ~2.1 s (target duration 2) and fetches new "
                "segments; the media sequence stops for 10 s from 6-7 s in (hls_stall on player -> WCS at the first "
                "answer unchanged for > 4 s)",
                24.0, &hls_stall},
    ScenarioDef{"hls-healthy", "as hls-stall, with the media sequence advancing throughout; nothing anomalous",
                12.0, &hls_healthy},
};

}  // namespace

std::span<const ScenarioDef> all_scenarios() { return kScenarios; }

const ScenarioDef* find_scenario(std::string_view name) {
  for (const auto& s : kScenarios)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace wcsgen
