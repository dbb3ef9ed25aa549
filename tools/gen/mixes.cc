#include "mixes.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <stdexcept>
#include <vector>

#include "capture.h"
#include "media.h"
#include "net.h"
#include "packet_writer.h"
#include "rng.h"
#include "rtp.h"
#include "scenarios.h"
#include "srtp_session.h"
#include "stun.h"
#include "video_payload.h"

namespace wcsgen {

namespace {

constexpr std::int64_t kMs = 1000;
constexpr std::int64_t kSec = 1000000;

// Tap-side jitter, as webrtc_session.cc: the browser's packets crossed the Internet, WCS's only
// its scheduler.
constexpr std::int64_t kFromBrowserJitterUs = 3 * kMs;
constexpr std::int64_t kFromWcsJitterUs = 600;
constexpr std::int64_t kMinGapUs = 20;  // a stream's packets stay strictly ordered

// WCS's media ports (WCS.md): even ports of 31001-32000, one per BUNDLE session, 499 of them.
constexpr std::uint16_t kMediaPortFirst = 31002;
constexpr std::uint32_t kMediaPorts = 499;
// Browsers and flow clients: RFC 2544's benchmarking network 198.18.0.0/15, 131072 addresses.
constexpr std::uint32_t kClientNet = Ipv4Addr::of(198, 18, 0, 0).v;
constexpr std::uint32_t kClientAddrs = 1u << 17;

constexpr std::uint8_t kPtOpus = 111;
constexpr std::uint32_t kOpusTsStep = 960;  // 20 ms at 48 kHz

// A bijection on 32 bits (xorshift-multiply): distinct SSRCs, sequence starts... from a counter.
std::uint32_t mix32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// Ciphertext and tags: the tap cannot tell SRTP's encrypted bytes from random ones, and drawing
// each byte from the generator would cost more than the rest of a packet. Slices of one random pool.
class RandomBytes {
 public:
  explicit RandomBytes(Rng& rng) : pool_(rng.bytes(kPool)) {}
  void append_to(Bytes& b, std::size_t n, Rng& rng) const {
    const std::size_t at = rng.below(kPool - n);
    b.insert(b.end(), pool_.begin() + static_cast<std::ptrdiff_t>(at), pool_.begin() + static_cast<std::ptrdiff_t>(at + n));
  }

 private:
  static constexpr std::size_t kPool = 1u << 16;
  Bytes pool_;
};

// Frames a UDP payload as Capture::write_pcap does (same MACs and TTLs), writes it, and counts.
class UdpFrameWriter {
 public:
  explicit UdpFrameWriter(const std::string& path) : pcap_(path) {}

  // outgoing: sent by WCS (its MAC, TTL 64), else from a remote host (TTL 52).
  void write(std::int64_t t_us, const Endpoint& src, const Endpoint& dst, bool outgoing, std::uint16_t ip_id,
             ByteView payload) {
    Ipv4Header ip;
    ip.src = src.ip;
    ip.dst = dst.ip;
    ip.proto = kIpProtoUdp;
    ip.ttl = outgoing ? kLocalTtl : kDefaultRemoteTtl;
    ip.id = ip_id;
    const Bytes frame = ethernet_frame(outgoing ? kGatewayMac : kServerMac, outgoing ? kServerMac : kGatewayMac,
                                       kEtherTypeIpv4, ipv4_packet(ip, udp_datagram(src, dst, payload)));
    pcap_.write(t_us, frame);
    if (sum_.packets == 0) first_us_ = t_us;
    sum_.span_us = t_us - first_us_;
    ++sum_.packets;
    sum_.frame_bytes += frame.size();
    sum_.max_frame = std::max<std::uint64_t>(sum_.max_frame, frame.size());
  }

  MixSummary finish() {
    pcap_.close();
    return sum_;
  }

 private:
  PcapWriter pcap_;
  MixSummary sum_;
  std::int64_t first_us_ = 0;
};

// ---------------------------------------------------------------------------------------------
// media

enum class Tick : std::uint8_t {
  kAudio,          // the sender's next Opus packet
  kVideo,          // the sender's next video packet
  kSenderRtcp,     // SR + SDES about one of the sender's SSRCs (alternating)
  kReceiverRtcp,   // RR about both + SDES
  kBrowserCheck,   // consent check browser -> WCS
  kWcsAnswer,      // ... its Binding success
  kWcsCheck,       // WCS's own check (WCS.md: about every 1.5 s)
  kBrowserAnswer,  // ... its Binding success
};

struct Event {
  std::int64_t t_us;
  std::uint64_t order;  // equal times: first scheduled first
  std::uint32_t session;
  Tick tick;
  bool operator>(const Event& o) const { return t_us != o.t_us ? t_us > o.t_us : order > o.order; }
};

struct Session {
  Endpoint wcs, browser;
  bool publish = false;           // media browser -> WCS; else WCS -> browser
  std::uint32_t ssrc[2] = {};     // audio, video (the sender's)
  std::uint32_t rx_ssrc = 0;      // the receiver's (its RTCP)
  std::uint16_t seq[2] = {};
  std::uint32_t ts[2] = {};
  std::uint32_t packets[2] = {};  // sent, for the SR
  std::uint32_t octets[2] = {};
  std::uint32_t srtcp_index[2] = {};  // [0] the sender's, [1] the receiver's
  std::uint8_t sr_next = 0;       // which SSRC the next SR is about
  std::uint8_t video_pt = kPtVp8;
  VideoProfile video;
  std::int64_t audio_nominal = 0;
  std::int64_t frame_nominal = 0;
  std::int64_t frame_k = 0;
  std::uint32_t frame_left = 0;   // bytes of the current frame not sent yet
  std::int64_t last_t[2] = {};    // last packet of each media stream
  std::int64_t rtt_us = 0;
  std::uint16_t browser_ip_id = 0;
  std::string browser_ufrag, wcs_ufrag;
  std::uint64_t tiebreaker[2] = {};  // browser (controlling), WCS
  stun::TransactionId pending[2] = {};  // [0] browser's check, [1] WCS's
  std::uint32_t index = 0;
};

std::string random_ufrag(Rng& rng) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(kAlphabet[rng.below(sizeof kAlphabet - 1)]);
  return s;
}

class MediaMix {
 public:
  MediaMix(const MediaMixParams& p, const std::string& path)
      : p_(p), rng_(p.seed), random_(rng_), out_(path), end_us_(kBaseTimeUs + static_cast<std::int64_t>(p.seconds * 1e6)) {
    if (p.sessions == 0) throw std::invalid_argument("--sessions must be at least 1");
    if (p.sessions > kClientAddrs) throw std::invalid_argument("--sessions: at most 131072 (one browser address each)");
    const std::uint32_t hosts = (p.sessions + kMediaPorts - 1) / kMediaPorts;  // WCS nodes, 499 sessions each
    if (hosts > 200) throw std::invalid_argument("--sessions: at most 200 x 499");
    wcs_ip_id_.resize(hosts);
    for (std::uint32_t h = 0; h < hosts; ++h) wcs_ip_id_[h] = static_cast<std::uint16_t>(rng_.next());
    sessions_.resize(p.sessions);
    for (std::uint32_t i = 0; i < p.sessions; ++i) start_session(i);
  }

  MixSummary run() {
    while (!queue_.empty()) {
      const Event e = queue_.top();
      queue_.pop();
      handle(e);
    }
    MixSummary s = out_.finish();
    s.flows = p_.sessions;
    s.rtp_streams = 2ull * p_.sessions;
    return s;
  }

 private:
  void start_session(std::uint32_t i) {
    Session& s = sessions_[i];
    s.index = i;
    const std::uint32_t host = i / kMediaPorts;
    s.wcs = Endpoint{Ipv4Addr{kWcsIp.v + host}, static_cast<std::uint16_t>(kMediaPortFirst + 2 * (i % kMediaPorts))};
    s.browser = Endpoint{Ipv4Addr{kClientNet + i}, static_cast<std::uint16_t>(rng_.range(49152, 65535))};
    s.publish = rng_.unit() < p_.publish_share;
    for (int k = 0; k < 2; ++k) {
      s.ssrc[k] = mix32(3 * i + static_cast<std::uint32_t>(k) + 1);
      s.seq[k] = static_cast<std::uint16_t>(rng_.next());
      s.ts[k] = rng_.u32();
    }
    s.rx_ssrc = mix32(3 * i + 3);
    s.video_pt = rng_.chance(0.5) ? kPtVp8 : kPtH264;
    s.video.kbps = rng_.uniform(500, 2000);
    s.video.fps = rng_.chance(0.8) ? 30 : 25;
    s.video.keyframe_interval = 3 * s.video.fps;
    s.video.max_payload = static_cast<std::size_t>(rng_.range(1100, 1200));
    s.rtt_us = rng_.range(20 * kMs, 120 * kMs);
    s.browser_ip_id = static_cast<std::uint16_t>(rng_.next());
    s.browser_ufrag = random_ufrag(rng_);
    s.wcs_ufrag = random_ufrag(rng_);
    s.tiebreaker[0] = rng_.next();
    s.tiebreaker[1] = rng_.next();
    // Steady state from the first moment: every timer at a random phase of its period.
    s.audio_nominal = kBaseTimeUs + rng_.range(0, 20 * kMs - 1);
    s.frame_nominal = kBaseTimeUs + rng_.range(0, kSec / s.video.fps - 1);
    s.frame_k = rng_.range(0, s.video.keyframe_interval - 1);
    s.last_t[0] = s.last_t[1] = kBaseTimeUs - kMinGapUs;
    schedule(media_time(s, 0, s.audio_nominal), s, Tick::kAudio);
    schedule(media_time(s, 1, s.frame_nominal), s, Tick::kVideo);
    schedule(kBaseTimeUs + rng_.range(0, kSec), s, Tick::kSenderRtcp);
    schedule(kBaseTimeUs + rng_.range(0, kSec), s, Tick::kReceiverRtcp);
    schedule(kBaseTimeUs + rng_.range(0, 2500 * kMs), s, Tick::kBrowserCheck);
    schedule(kBaseTimeUs + rng_.range(0, 1500 * kMs), s, Tick::kWcsCheck);
  }

  void schedule(std::int64_t t, const Session& s, Tick tick) {
    if (t >= end_us_) return;
    queue_.push(Event{t, order_++, s.index, tick});
  }

  bool from_browser(const Session& s) const { return s.publish; }  // the media's direction
  std::int64_t jitter(bool browser) { return rng_.range(0, browser ? kFromBrowserJitterUs : kFromWcsJitterUs); }

  // When a media packet nominally sent at `nominal` reaches the tap.
  std::int64_t media_time(Session& s, int k, std::int64_t nominal) {
    return std::max(nominal + jitter(from_browser(s)), s.last_t[k] + kMinGapUs);
  }

  void send(std::int64_t t, Session& s, bool browser_to_wcs, ByteView payload) {
    if (browser_to_wcs) {
      out_.write(t, s.browser, s.wcs, false, s.browser_ip_id++, payload);
    } else {
      std::uint16_t& id = wcs_ip_id_[s.index / kMediaPorts];
      out_.write(t, s.wcs, s.browser, true, id++, payload);
    }
  }

  // RTP header, then `len` bytes of ciphertext and the SRTP tag.
  void send_srtp(std::int64_t t, Session& s, int k, bool marker, std::size_t len) {
    const RtpHeader h{k == 0 ? kPtOpus : s.video_pt, marker, s.seq[k]++, s.ts[k], s.ssrc[k]};
    Bytes body;
    body.reserve(len + kSrtpAuthTagLen);
    random_.append_to(body, len + kSrtpAuthTagLen, rng_);
    send(t, s, from_browser(s), rtp_packet(h, ByteView(body.data(), len)));
    ++s.packets[k];
    s.octets[k] += static_cast<std::uint32_t>(len);
    s.last_t[k] = t;
  }

  void audio(const Event& e, Session& s) {
    send_srtp(e.t_us, s, 0, false, static_cast<std::size_t>(rng_.range(100, 160)));
    s.ts[0] += kOpusTsStep;
    s.audio_nominal += 20 * kMs;
    schedule(media_time(s, 0, s.audio_nominal), s, Tick::kAudio);
  }

  // A frame's packets: full ones of the session's max payload, then the tail; paced 80-400 us apart.
  void video(const Event& e, Session& s) {
    const VideoProfile& v = s.video;
    if (s.frame_left == 0) {  // a new frame: its size as media.cc plans it
      const double bytes_per_interval = v.kbps * 1000.0 / 8.0 * v.keyframe_interval / v.fps;
      const double delta_bytes = bytes_per_interval / (v.keyframe_interval - 1 + v.keyframe_factor);
      const bool key = s.frame_k % v.keyframe_interval == 0;
      const double size = key ? delta_bytes * v.keyframe_factor * rng_.uniform(0.9, 1.1)
                              : delta_bytes * rng_.uniform(0.7, 1.3);
      s.frame_left = std::max<std::uint32_t>(20, static_cast<std::uint32_t>(size));
    }
    const auto len = std::min<std::uint32_t>(s.frame_left, static_cast<std::uint32_t>(v.max_payload));
    s.frame_left -= len;
    const bool last = s.frame_left == 0;
    send_srtp(e.t_us, s, 1, last, len);
    if (!last) {
      schedule(e.t_us + rng_.range(80, 400), s, Tick::kVideo);
      return;
    }
    s.ts[1] += 90000 / static_cast<std::uint32_t>(v.fps);
    ++s.frame_k;
    s.frame_nominal += kSec / v.fps;
    schedule(media_time(s, 1, s.frame_nominal), s, Tick::kVideo);
  }

  // SRTCP as the tap sees it: the first 8 bytes in clear, the rest ciphertext, then E flag + index
  // and the tag.
  void send_srtcp(std::int64_t t, Session& s, bool browser_to_wcs, std::uint32_t& index, const Bytes& compound) {
    Bytes b(compound.begin(), compound.begin() + 8);
    random_.append_to(b, compound.size() - 8, rng_);
    put32(b, 0x80000000u | (index++ & 0x7fffffffu));
    random_.append_to(b, kSrtpAuthTagLen, rng_);
    send(t, s, browser_to_wcs, b);
  }

  void sender_rtcp(const Event& e, Session& s) {
    const int k = s.sr_next;
    s.sr_next ^= 1;
    rtcp::SenderInfo si;
    si.ntp = rtcp::ntp_from_unix_us(e.t_us);
    si.rtp_timestamp = s.ts[k];
    si.packet_count = s.packets[k];
    si.octet_count = s.octets[k];
    Bytes compound = rtcp::sender_report(s.ssrc[k], si, {});
    append(compound, rtcp::sdes_cname(s.ssrc[k], s.browser_ufrag + s.wcs_ufrag));
    send_srtcp(e.t_us, s, from_browser(s), s.srtcp_index[0], compound);
    // Both SSRCs report about once a second (webrtc_session.cc's cadence): two halves.
    schedule(e.t_us + rng_.range(425 * kMs, 575 * kMs), s, Tick::kSenderRtcp);
  }

  void receiver_rtcp(const Event& e, Session& s) {
    rtcp::ReportBlock blocks[2];
    for (int k = 0; k < 2; ++k) {
      blocks[k].ssrc = s.ssrc[k];
      blocks[k].extended_highest_seq = s.seq[k];
      blocks[k].jitter = static_cast<std::uint32_t>(rng_.range(5, 200));
    }
    Bytes compound = rtcp::receiver_report(s.rx_ssrc, blocks);
    append(compound, rtcp::sdes_cname(s.rx_ssrc, s.wcs_ufrag + s.browser_ufrag));
    send_srtcp(e.t_us, s, !from_browser(s), s.srtcp_index[1], compound);
    schedule(e.t_us + rng_.range(850 * kMs, 1150 * kMs), s, Tick::kReceiverRtcp);
  }

  // Consent freshness (RFC 7675) both ways on the session's pair: browser checks every 2-3 s
  // answered by WCS at once; WCS's own every 1.3-1.7 s, the browser's answer a round trip later.
  void check(const Event& e, Session& s, bool browser) {
    const int side = browser ? 0 : 1;
    s.pending[side] = stun::new_transaction_id(rng_);
    const std::string username = browser ? s.wcs_ufrag + ":" + s.browser_ufrag : s.browser_ufrag + ":" + s.wcs_ufrag;
    const stun::IceRole role{browser, s.tiebreaker[side]};
    send(e.t_us, s, browser, stun::binding_request(s.pending[side], username, browser ? 0x6e7f1eff : 0x7e7f00ff, role,
                                                   false, rng_));
    if (browser) {
      schedule(e.t_us + rng_.range(80, 600), s, Tick::kWcsAnswer);
      schedule(e.t_us + rng_.range(2000 * kMs, 3000 * kMs), s, Tick::kBrowserCheck);
    } else {
      schedule(e.t_us + s.rtt_us + rng_.range(0, kFromBrowserJitterUs), s, Tick::kBrowserAnswer);
      schedule(e.t_us + rng_.range(1300 * kMs, 1700 * kMs), s, Tick::kWcsCheck);
    }
  }

  void answer(const Event& e, Session& s, bool wcs_answers) {
    const int side = wcs_answers ? 0 : 1;  // whose request is answered
    send(e.t_us, s, !wcs_answers, stun::binding_success(s.pending[side], wcs_answers ? s.browser : s.wcs, rng_));
  }

  void handle(const Event& e) {
    Session& s = sessions_[e.session];
    switch (e.tick) {
      case Tick::kAudio: audio(e, s); break;
      case Tick::kVideo: video(e, s); break;
      case Tick::kSenderRtcp: sender_rtcp(e, s); break;
      case Tick::kReceiverRtcp: receiver_rtcp(e, s); break;
      case Tick::kBrowserCheck: check(e, s, true); break;
      case Tick::kWcsCheck: check(e, s, false); break;
      case Tick::kWcsAnswer: answer(e, s, true); break;
      case Tick::kBrowserAnswer: answer(e, s, false); break;
    }
  }

  MediaMixParams p_;
  Rng rng_;
  RandomBytes random_;
  UdpFrameWriter out_;
  std::int64_t end_us_;
  std::vector<Session> sessions_;
  std::vector<std::uint16_t> wcs_ip_id_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::uint64_t order_ = 0;
};

// ---------------------------------------------------------------------------------------------
// small and flows: round-robin over N flows, one RTP stream each (odd flows from WCS, even ones
// to it), all numbering derived from the flow index and the round, so no per-flow state.

MixSummary write_round_robin(const FlowMixParams& p, const std::string& path, bool small) {
  if (p.flows == 0) throw std::invalid_argument("--flows must be at least 1");
  if (p.flows > std::uint64_t{kClientAddrs} * 512)
    throw std::invalid_argument("--flows: at most 67108864");
  if (p.packets < p.flows) throw std::invalid_argument("--packets must be at least --flows (each flow once)");
  if (p.gap_us < 1) throw std::invalid_argument("packet gap must be at least 1 us");
  Rng rng(p.seed);
  const RandomBytes random(rng);
  UdpFrameWriter out(path);
  Bytes body;
  for (std::uint64_t j = 0; j < p.packets; ++j) {
    const std::uint64_t i = j % p.flows;
    const auto round = static_cast<std::uint32_t>(j / p.flows);
    const auto i32 = static_cast<std::uint32_t>(i);
    const Endpoint client{Ipv4Addr{kClientNet + static_cast<std::uint32_t>(i % kClientAddrs)},
                          static_cast<std::uint16_t>(1024 + 113 * (i / kClientAddrs))};
    const Endpoint wcs{Ipv4Addr{kWcsIp.v + static_cast<std::uint32_t>(i % 4)},
                       static_cast<std::uint16_t>(kMediaPortFirst + 2 * ((i / 4) % kMediaPorts))};
    const bool from_wcs = i % 2 == 1;
    const std::uint32_t h = mix32(i32 * 2 + 1);
    const RtpHeader rtp{kPtOpus, false, static_cast<std::uint16_t>(h + round), mix32(i32 * 2 + 2) + round * kOpusTsStep,
                        mix32(i32 ^ 0x5bd1e995u) | 1u};
    body.clear();
    std::size_t len = 6;  // 12 + 6 bytes of UDP payload: a 60-byte frame, 64 with the FCS
    if (!small) len = static_cast<std::size_t>(rng.range(100, 160)) + kSrtpAuthTagLen;
    random.append_to(body, len, rng);
    const std::int64_t t = kBaseTimeUs + static_cast<std::int64_t>(j) * p.gap_us;
    const auto ip_id = static_cast<std::uint16_t>(h + round);
    if (from_wcs)
      out.write(t, wcs, client, true, ip_id, rtp_packet(rtp, body));
    else
      out.write(t, client, wcs, false, ip_id, rtp_packet(rtp, body));
  }
  MixSummary s = out.finish();
  s.flows = p.flows;
  s.rtp_streams = p.flows;
  return s;
}

}  // namespace

MixSummary write_media_mix(const MediaMixParams& p, const std::string& path) {
  if (!(p.seconds > 0)) throw std::invalid_argument("--seconds must be positive");
  MediaMix mix(p, path);
  return mix.run();
}

MixSummary write_small_mix(const FlowMixParams& p, const std::string& path) { return write_round_robin(p, path, true); }

MixSummary write_flows_mix(const FlowMixParams& p, const std::string& path) {
  return write_round_robin(p, path, false);
}

std::string summary_json(const std::string& mix, const MixSummary& s) {
  return "{\"mix\":\"" + mix + "\",\"packets\":" + std::to_string(s.packets) +
         ",\"frame_bytes\":" + std::to_string(s.frame_bytes) + ",\"max_frame\":" + std::to_string(s.max_frame) + ",\"flows\":" + std::to_string(s.flows) +
         ",\"rtp_streams\":" + std::to_string(s.rtp_streams) + ",\"span_us\":" + std::to_string(s.span_us) + "}";
}

}  // namespace wcsgen
