// SRTP with keys the tap holds: packets protected here with libsrtp (as a sender would) and read by
// the pipeline; keyframes in clear VP8/VP9/H.264 payloads; SRTP keys in no output.
#include <srtp2/srtp.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "media/keyframe.h"
#include "output/format.h"
#include "packet_builder.h"
#include "pipeline.h"
#include "srtp_sender.h"

namespace wcstap {
namespace {

using test::Frame;

constexpr Nanos kMs = 1'000'000;
constexpr Nanos kT0 = 1'767'225'600'000'000'000;
constexpr uint32_t kSsrc = 0x0badcafe;
const Endpoint kBrowser = test::endpoint("203.0.113.7", 50000);
const Endpoint kWcs = test::endpoint("198.51.100.10", 31002);

// 30 bytes of master key and salt, and its base64 (test data).
const std::vector<uint8_t> kKey = [] {
  std::vector<uint8_t> k(30);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(0xa0 + i * 7);
  return k;
}();


using Sender = test::SrtpSender;
using test::base64;
using test::hex_of;

// A VP8 packet as Chrome sends it: descriptor with a 15-bit picture id, then (first packet of a
// frame) the frame tag; a keyframe's carries the start code.
Frame vp8_payload(bool first, bool key, uint16_t picture_id) {
  Frame p{static_cast<uint8_t>(first ? 0x90 : 0x80), 0x80, static_cast<uint8_t>(0x80 | (picture_id >> 8)),
          static_cast<uint8_t>(picture_id)};
  if (first) {
    const Frame tag = key ? Frame{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02}
                          : Frame{0x51, 0x42, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    p = test::concat(p, tag);
  }
  return test::concat(p, Frame(600, 0x3c));
}

Frame rtp_packet(uint16_t seq, uint32_t ts, bool marker, const Frame& payload, uint32_t ssrc = kSsrc) {
  return test::concat(test::rtp({.marker = marker, .pt = 96, .seq = seq, .timestamp = ts, .ssrc = ssrc, .payload_size = 0}),
                      payload);
}

class Collector : public EventSink {
 public:
  void emit(const Event& ev) override { events.push_back(ev); }
  std::vector<AnomalyEvent> anomalies(AnomalyKind k) const {
    std::vector<AnomalyEvent> out;
    for (const auto& e : events)
      if (auto* a = std::get_if<AnomalyEvent>(&e); a && a->kind == k) out.push_back(*a);
    return out;
  }
  std::vector<RtpStreamEvent> streams() const {
    std::vector<RtpStreamEvent> out;
    for (const auto& e : events)
      if (auto* s = std::get_if<RtpStreamEvent>(&e)) out.push_back(*s);
    return out;
  }
  std::vector<Event> events;
};

Config keyed_config(const std::vector<uint8_t>& key, const std::string& extra = "") {
  Config c = default_config();
  c.flows.capacity = 256;
  c.flows.rtp_streams = 256;
  load_srtp_keys_string("srtp:\n  payload_types: {96: vp8}\n  keys:\n    - ssrc: 0x0badcafe\n"
                        "      suite: AES_CM_128_HMAC_SHA1_80\n      key: \"inline:" + base64(key) + "|2^31\"\n" + extra,
                        "keys.yaml", c.srtp);
  return c;
}

struct Tap {
  Collector sink;
  Pipeline pipeline;
  explicit Tap(const Config& c) : pipeline(c, sink) {}
  void send(Nanos ts, const Endpoint& src, const Endpoint& dst, const Frame& payload) {
    const Frame f = test::eth_udp(src, dst, payload);
    pipeline.process(LinkType::Ethernet, ts, f, static_cast<uint32_t>(f.size()));
  }
};

// 30 fps VP8 for `seconds`, two packets a frame, a keyframe every 60 frames; `tamper(frame_packet)`
// says which packets get a bit flipped after protection.
template <class Tamper>
void send_video(Tap& run, Sender& tx, int seconds, Tamper&& tamper) {
  uint16_t seq = 100;
  int packet = 0;
  for (int frame = 0; frame < seconds * 30; ++frame) {
    const Nanos t = kT0 + frame * 33 * kMs;
    const uint32_t rtp_ts = 3000u * static_cast<uint32_t>(frame);
    for (int part = 0; part < 2; ++part, ++packet) {
      Frame p = tx.protect(rtp_packet(seq++, rtp_ts, part == 1, vp8_payload(part == 0, frame % 60 == 0,
                                                                             static_cast<uint16_t>(frame))));
      if (tamper(packet)) p[40] ^= 0x04;  // inside the encrypted payload
      run.send(t + part * kMs, kBrowser, kWcs, p);
    }
  }
}

TEST(Srtp, EveryPacketAuthenticatesAndKeyframesAreCounted) {
  const Config cfg = keyed_config(kKey);
  Tap run(cfg);
  Sender tx(kKey);
  send_video(run, tx, 10, [](int) { return false; });
  run.pipeline.finish();
  auto s = run.sink.streams();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].srtp_keyed);
  EXPECT_EQ(s[0].srtp.authenticated, 600u);
  EXPECT_EQ(s[0].srtp.auth_failed, 0u);
  EXPECT_EQ(s[0].packets, 600u);
  EXPECT_EQ(s[0].video_codec, VideoCodec::Vp8);
  EXPECT_EQ(s[0].keyframes, 5u);  // frames 0, 60, 120, 180, 240
  EXPECT_NEAR(s[0].keyframe_interval_mean_s, 1.98, 1e-9);
  EXPECT_TRUE(run.sink.anomalies(AnomalyKind::srtp_auth_failure).empty());
  EXPECT_EQ(run.pipeline.counters().srtp_authenticated, 600u);
}

TEST(Srtp, TamperedPacketsRaiseAuthFailureThenResolve) {
  const Config cfg = keyed_config(kKey);
  Tap run(cfg);
  Sender tx(kKey);
  // From the 4th second for 3 s, one packet in ten is altered on the way.
  send_video(run, tx, 14, [](int packet) { return packet >= 180 && packet < 360 && packet % 10 == 0; });
  run.pipeline.finish();
  auto an = run.sink.anomalies(AnomalyKind::srtp_auth_failure);
  ASSERT_GE(an.size(), 2u);
  EXPECT_EQ(an[0].state, AnomalyState::Raised);
  EXPECT_TRUE(an[0].has_ssrc);
  EXPECT_EQ(an[0].ssrc, kSsrc);
  EXPECT_EQ(an[0].src, kBrowser);
  // 300 good packets in the window before: the 4th failure is over 1 %.
  EXPECT_GE(an[0].ts, kT0 + 3000 * kMs);
  EXPECT_LE(an[0].ts, kT0 + 3700 * kMs);
  EXPECT_EQ(an.back().state, AnomalyState::Resolved);
  auto s = run.sink.streams();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].srtp.auth_failed, 18u);
  EXPECT_EQ(s[0].srtp.authenticated, 840u - 18u);
}

TEST(Srtp, WrongKeyFailsEveryPacket) {
  std::vector<uint8_t> other = kKey;
  other[0] ^= 1;
  const Config cfg = keyed_config(other);
  Tap run(cfg);
  Sender tx(kKey);
  send_video(run, tx, 3, [](int) { return false; });
  auto an = run.sink.anomalies(AnomalyKind::srtp_auth_failure);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_NE(std::string(an[0].detail).find("wrong key"), std::string::npos) << an[0].detail;
  EXPECT_EQ(an[0].ts, kT0 + (24 * 33 + 1) * kMs);  // the 50th packet (frame 24's second): min_packets
}

TEST(Srtp, ReplayIsCountedNotFailed) {
  const Config cfg = keyed_config(kKey);
  Tap run(cfg);
  Sender tx(kKey);
  Frame tenth;
  for (uint16_t i = 0; i < 60; ++i) {
    const Frame p = tx.protect(rtp_packet(static_cast<uint16_t>(1 + i), 3000u * i, true, vp8_payload(true, i == 0, i)));
    if (i == 10) tenth = p;
    run.send(kT0 + i * 33 * kMs, kBrowser, kWcs, p);
  }
  run.send(kT0 + 2000 * kMs, kBrowser, kWcs, tenth);  // the same packet again (a duplicating network, or an attack)
  run.pipeline.finish();
  auto s = run.sink.streams();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].srtp.authenticated, 60u);
  EXPECT_EQ(s[0].srtp.replayed, 1u);
  EXPECT_EQ(s[0].srtp.auth_failed, 0u);
  EXPECT_EQ(s[0].duplicates, 1u);  // RTP statistics still count it, as Wireshark would
}

TEST(Srtp, KeysGivenAtRunTimeApplyFromTheNextPacket) {
  Config cfg = default_config();
  cfg.flows.capacity = 256;
  cfg.flows.rtp_streams = 256;
  Tap run(cfg);  // no key at start
  Sender tx(kKey);
  uint16_t seq = 1;
  auto send = [&](int frames, int from) {
    for (int i = from; i < from + frames; ++i)
      run.send(kT0 + i * 33 * kMs, kBrowser, kWcs,
               tx.protect(rtp_packet(seq++, 3000u * static_cast<uint32_t>(i), true,
                                     vp8_payload(true, i % 30 == 0, static_cast<uint16_t>(i)))));
  };
  send(60, 0);
  run.pipeline.set_srtp_keys(keyed_config(kKey).srtp);
  send(60, 60);
  // A refused key leaves the keys as they were.
  SrtpConfig bad = keyed_config(kKey).srtp;
  bad.keys[0].material.resize(3);
  EXPECT_THROW(run.pipeline.set_srtp_keys(bad), std::runtime_error);
  send(30, 120);
  run.pipeline.finish();
  auto s = run.sink.streams();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].srtp_keyed);
  EXPECT_EQ(s[0].srtp.authenticated, 90u);  // the packets after the keys came
  EXPECT_EQ(s[0].srtp.auth_failed, 0u);
  EXPECT_EQ(s[0].keyframes, 3u);            // frames 60, 90, 120
  EXPECT_EQ(s[0].packets, 150u);
}

TEST(Srtp, StreamWithoutAKeyIsNotKeyed) {
  Config cfg = default_config();
  cfg.flows.capacity = 256;
  cfg.flows.rtp_streams = 256;
  Tap run(cfg);
  Sender tx(kKey);
  send_video(run, tx, 2, [](int) { return false; });
  run.pipeline.finish();
  auto s = run.sink.streams();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].srtp_keyed);
  EXPECT_EQ(s[0].keyframes, 0u);
  EXPECT_EQ(event_to_json(s[0]).find("\"srtp\""), std::string::npos);
}

TEST(Srtp, SrtcpWithTheKeyIsReadInFull) {
  const Config cfg = keyed_config(kKey);
  Tap run(cfg);
  Sender tx(kKey);
  send_video(run, tx, 2, [](int) { return false; });
  // The browser's receiver report about a stream WCS sends, protected under the browser's SSRC key.
  const Frame rr = test::rtcp_rr(kSsrc, {{.ssrc = 0x11112222, .fraction_lost = 64, .cumulative_lost = 12,
                                          .ext_highest_seq = 5000, .jitter = 90}});
  run.send(kT0 + 2100 * kMs, kBrowser, kWcs, tx.protect_rtcp(rr));
  EXPECT_EQ(run.pipeline.counters().srtcp_authenticated, 1u);
  run.pipeline.finish();
  bool found = false;
  for (const auto& e : run.sink.events)
    if (auto* r = std::get_if<RtcpStreamEvent>(&e); r && r->ssrc == 0x11112222) {
      found = true;
      EXPECT_EQ(r->rtcp.rr, 1u);
      EXPECT_EQ(r->rtcp.fraction_lost, 64);
      EXPECT_EQ(r->rtcp.cumulative_lost, 12);
      EXPECT_EQ(r->rtcp.encrypted, 0u);
    }
  EXPECT_TRUE(found);
}

TEST(Srtp, KeysAppearInNoOutput) {
  const Config cfg = keyed_config(kKey);
  Tap run(cfg);
  Sender tx(kKey);
  send_video(run, tx, 8, [](int packet) { return packet % 7 == 0; });
  run.pipeline.finish();
  std::string all = summary_to_json(run.pipeline.counters()) + summary_to_text(run.pipeline.counters());
  for (const auto& e : run.sink.events) all += event_to_json(e) + event_to_text(e);
  ASSERT_FALSE(run.sink.anomalies(AnomalyKind::srtp_auth_failure).empty());
  const std::string b64 = base64(kKey), hex = hex_of(kKey);
  EXPECT_EQ(all.find(b64.substr(0, 16)), std::string::npos);
  EXPECT_EQ(all.find(hex.substr(0, 16)), std::string::npos);
}

TEST(Srtp, BadKeysAreNamedButNeverShown) {
  SrtpConfig keys;
  const std::string short_key = base64(std::vector<uint8_t>(kKey.begin(), kKey.begin() + 29));
  try {
    load_srtp_keys_string("srtp:\n  keys:\n    - ssrc: 1\n      key: \"" + short_key + "\"\n", "k.yaml", keys);
    FAIL() << "a 29-byte key was taken";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("k.yaml: srtp.keys[0].key (line 4): expected base64 of 30 bytes"), std::string::npos) << what;
    EXPECT_EQ(what.find(short_key.substr(0, 12)), std::string::npos) << what;
  }
  EXPECT_THROW(load_srtp_keys_string("srtp:\n  keys:\n    - key: \"" + base64(kKey) + "\"\n", "k.yaml", keys), ConfigError);
  EXPECT_THROW(load_srtp_keys_string("srtp:\n  keys:\n    - ssrc: 1\n      suite: AES_CM_256\n      key: \"" +
                                         base64(kKey) + "\"\n", "k.yaml", keys),
               ConfigError);
  EXPECT_THROW(load_srtp_keys_string("srtp:\n  keys:\n    - src: 1.2.3.4\n      dst: 1.2.3.5:9\n      key: \"" +
                                         base64(kKey) + "\"\n", "k.yaml", keys),
               ConfigError);
  load_srtp_keys_string("srtp:\n  keys:\n    - src: \"[2001:db8::1]:5004\"\n      dst: 192.0.2.1:31002\n"
                        "      suite: AEAD_AES_128_GCM\n      key: \"" + base64(std::vector<uint8_t>(28, 1)) + "\"\n",
                        "k.yaml", keys);
  ASSERT_EQ(keys.keys.size(), 1u);
  EXPECT_FALSE(keys.keys[0].by_ssrc);
  EXPECT_EQ(keys.keys[0].src, test::endpoint("2001:db8::1", 5004));
  EXPECT_EQ(keys.keys[0].material.size(), 28u);
}

// ---- keyframes in clear payloads ----------------------------------------------------------------

TEST(Keyframe, Vp8KeyAndDeltaFrames) {
  EXPECT_TRUE(starts_keyframe(VideoCodec::Vp8, vp8_payload(true, true, 7)));
  EXPECT_FALSE(starts_keyframe(VideoCodec::Vp8, vp8_payload(true, false, 7)));
  EXPECT_FALSE(starts_keyframe(VideoCodec::Vp8, vp8_payload(false, false, 7)));  // not a frame's start
  EXPECT_FALSE(starts_keyframe(VideoCodec::Vp8, Frame{0x90, 0x80}));            // cut short
  EXPECT_TRUE(starts_keyframe(VideoCodec::Vp8, Frame{0x10, 0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0, 5}));  // no X
}

TEST(Keyframe, H264IdrInFuAOrStapAOrAlone) {
  EXPECT_TRUE(starts_keyframe(VideoCodec::H264, Frame{0x7c, 0x85, 0x88}));   // FU-A start of an IDR
  EXPECT_FALSE(starts_keyframe(VideoCodec::H264, Frame{0x7c, 0x05, 0x88}));  // FU-A, not its start
  EXPECT_FALSE(starts_keyframe(VideoCodec::H264, Frame{0x5c, 0x81, 0x9a}));  // FU-A of a non-IDR slice
  EXPECT_TRUE(starts_keyframe(VideoCodec::H264, Frame{0x65, 0x88, 0x84}));   // single IDR NAL
  const Frame stap{0x78, 0x00, 0x03, 0x67, 0x42, 0x00, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88};
  EXPECT_TRUE(starts_keyframe(VideoCodec::H264, stap));
  EXPECT_TRUE(h264_has_parameter_sets(stap));
  EXPECT_FALSE(h264_has_parameter_sets(Frame{0x7c, 0x85, 0x88}));
  const Frame bad_stap{0x78, 0x00, 0x09, 0x67};  // a size past the packet
  EXPECT_FALSE(starts_keyframe(VideoCodec::H264, bad_stap));
}

TEST(Keyframe, Vp9BeginningOfANonPredictedFrame) {
  EXPECT_TRUE(starts_keyframe(VideoCodec::Vp9, Frame{0x88, 0x81, 0x23}));   // I, B; P clear
  EXPECT_FALSE(starts_keyframe(VideoCodec::Vp9, Frame{0xc8, 0x81, 0x23}));  // P set
  EXPECT_FALSE(starts_keyframe(VideoCodec::Vp9, Frame{0x84, 0x81, 0x23}));  // no B
  EXPECT_TRUE(starts_keyframe(VideoCodec::Vp9, Frame{0xa8, 0x81, 0x23, 0x00}));   // L: SID 0
  EXPECT_FALSE(starts_keyframe(VideoCodec::Vp9, Frame{0xa8, 0x81, 0x23, 0x02}));  // L: SID 1
}

}  // namespace
}  // namespace wcstap
