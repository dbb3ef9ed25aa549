// SDES (RFC 4568): SRTP keys the SIP offer and answer carry in a=crypto, learnt by the tap at run
// time and used for the media each SDP's author sends. Packets protected here with libsrtp (as the
// author would) and read by the pipeline; bad, unsupported and garbage keys are counted, never
// crash; key bytes in no output.
#include <srtp2/srtp.h>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "output/format.h"
#include "packet_builder.h"
#include "pipeline.h"
#include "srtp_sender.h"

namespace wcstap {
namespace {

using test::Frame;

constexpr Nanos kMs = 1'000'000;
constexpr Nanos kSec = 1000 * kMs;
constexpr Nanos kT0 = 1'767'225'600 * kSec;

const Endpoint kUa = test::endpoint("192.0.2.10", 5060);        // the caller's SIP
const Endpoint kPbx = test::endpoint("198.51.100.20", 5060);    // the PBX's
const Endpoint kUaRtp = test::endpoint("192.0.2.10", 31010);    // where each receives (and sends) media
const Endpoint kPbxRtp = test::endpoint("198.51.100.20", 16384);
constexpr uint32_t kUaSsrc = 0x11aa22bb, kPbxSsrc = 0x33cc44dd;

std::vector<uint8_t> test_key(uint8_t seed, size_t n = 30) {
  std::vector<uint8_t> k(n);
  for (size_t i = 0; i < n; ++i) k[i] = static_cast<uint8_t>(seed + i * 13);
  return k;
}
const std::vector<uint8_t> kUaKey = test_key(0x21), kPbxKey = test_key(0x77), kOtherKey = test_key(0x35);



using Sender = test::SrtpSender;
using test::base64;
using test::hex_of;

class Collector : public EventSink {
 public:
  void emit(const Event& ev) override { events.push_back(ev); }
  std::vector<AnomalyEvent> raised(AnomalyKind k) const {
    std::vector<AnomalyEvent> out;
    for (const auto& e : events)
      if (auto* a = std::get_if<AnomalyEvent>(&e); a && a->kind == k && a->state == AnomalyState::Raised)
        out.push_back(*a);
    return out;
  }
  const RtpStreamEvent* stream(uint32_t ssrc) const {
    for (const auto& e : events)
      if (auto* s = std::get_if<RtpStreamEvent>(&e); s && s->ssrc == ssrc) return s;
    return nullptr;
  }
  std::vector<Event> events;
};

Config test_config(uint32_t sdes_keys = 1024) {
  Config c = default_config();
  c.flows.capacity = 1024;
  c.flows.rtp_streams = 1024;
  c.signalling.connections = 256;
  c.signalling.memory_mb = 4;
  c.srtp.sdes_keys = sdes_keys;
  return c;
}

// An SDP naming `rtp` with the given a=crypto lines (each "tag suite inline:..." as written).
std::string sdp(const Endpoint& rtp, const std::vector<std::string>& cryptos, const std::string& proto = "RTP/SAVP",
                const std::string& extra = "") {
  const std::string ip = rtp == kUaRtp ? "192.0.2.10" : rtp == kPbxRtp ? "198.51.100.20" : "203.0.113.9";
  std::string s = "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
                  std::to_string(rtp.port) + " " + proto + " 0\r\na=rtpmap:0 PCMU/8000\r\n";
  for (const std::string& c : cryptos) s += "a=crypto:" + c + "\r\n";
  return s + extra;
}
std::string crypto(int tag, const std::vector<uint8_t>& key, const std::string& suite = "AES_CM_128_HMAC_SHA1_80",
                   const std::string& tail = "") {
  return std::to_string(tag) + " " + suite + " inline:" + base64(key) + tail;
}

std::string sip(const std::string& start, uint32_t cseq, const std::string& method, const std::string& call_id,
                const std::string& body) {
  std::string m = start + "\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-" + std::to_string(cseq) + method +
                  "\r\nFrom: <sip:wcs@192.0.2.10>;tag=abc\r\nTo: <sip:1000@198.51.100.20>" +
                  (start.rfind("SIP/2.0", 0) == 0 ? ";tag=xyz" : "") + "\r\nCall-ID: " + call_id +
                  "\r\nCSeq: " + std::to_string(cseq) + " " + method + "\r\n";
  if (!body.empty()) m += "Content-Type: application/sdp\r\n";
  return m + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Tap {
  explicit Tap(const Config& c = test_config()) : cfg(c), pipeline(cfg, sink) {}
  void send(Nanos ts, const Endpoint& src, const Endpoint& dst, const Frame& payload) {
    const Frame f = test::eth_udp(src, dst, payload);
    pipeline.process(LinkType::Ethernet, ts, f, static_cast<uint32_t>(f.size()));
  }
  void send(Nanos ts, const Endpoint& src, const Endpoint& dst, const std::string& text) {
    send(ts, src, dst, Frame(text.begin(), text.end()));
  }
  // The caller's INVITE with `offer`, the PBX's 200 with `answer`, the ACK.
  void call(Nanos t, const std::string& offer, const std::string& answer, const std::string& call_id = "c1@ua") {
    send(t, kUa, kPbx, sip("INVITE sip:1000@198.51.100.20 SIP/2.0", 1, "INVITE", call_id, offer));
    if (!answer.empty()) send(t + 300 * kMs, kPbx, kUa, sip("SIP/2.0 200 OK", 1, "INVITE", call_id, answer));
    send(t + 310 * kMs, kUa, kPbx, sip("ACK sip:1000@198.51.100.20 SIP/2.0", 1, "ACK", call_id, ""));
  }
  // `n` 20 ms PCMU packets from `src` to `dst`, protected by `tx`, from `t` on; `tamper(i)`: flip a bit.
  template <class Tamper>
  void audio(Sender& tx, const Endpoint& src, const Endpoint& dst, uint32_t ssrc, Nanos t, int n, uint16_t& seq,
             Tamper&& tamper) {
    for (int i = 0; i < n; ++i, ++seq) {
      Frame p = tx.protect(test::rtp({.pt = 0, .seq = seq, .timestamp = 160u * seq, .ssrc = ssrc, .payload_size = 160}));
      if (tamper(i)) p[30] ^= 0x10;
      send(t + i * 20 * kMs, src, dst, p);
    }
  }
  void audio(Sender& tx, const Endpoint& src, const Endpoint& dst, uint32_t ssrc, Nanos t, int n, uint16_t& seq) {
    audio(tx, src, dst, ssrc, t, n, seq, [](int) { return false; });
  }

  Config cfg;
  Collector sink;
  Pipeline pipeline;
};

TEST(Sdes, SipOfferAndAnswerKeysAuthenticateBothWays) {
  Tap tap;
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey, "AES_CM_128_HMAC_SHA1_80", "|2^31")}),
           sdp(kPbxRtp, {crypto(1, kPbxKey)}));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 2u);
  Sender ua(kUaKey), pbx(kPbxKey);
  uint16_t s1 = 1, s2 = 1000;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 200, s1);
  tap.audio(pbx, kPbxRtp, kUaRtp, kPbxSsrc, kT0 + 405 * kMs, 200, s2);
  // SRTCP from the PBX's RTCP port (m= port + 1), under its key: read in full.
  tap.send(kT0 + 5 * kSec, test::endpoint("198.51.100.20", 16385), test::endpoint("192.0.2.10", 31011),
           pbx.protect_rtcp(test::rtcp_rr(kPbxSsrc, {{.ssrc = kUaSsrc, .fraction_lost = 0, .cumulative_lost = 0,
                                                     .ext_highest_seq = 200, .jitter = 10}})));
  EXPECT_EQ(tap.pipeline.counters().srtcp_authenticated, 1u);
  tap.pipeline.finish();
  for (uint32_t ssrc : {kUaSsrc, kPbxSsrc}) {
    const RtpStreamEvent* s = tap.sink.stream(ssrc);
    ASSERT_NE(s, nullptr) << ssrc;
    EXPECT_TRUE(s->srtp_keyed);
    EXPECT_EQ(s->srtp.authenticated, 200u);
    EXPECT_EQ(s->srtp.auth_failed, 0u);
    EXPECT_NE(event_to_json(*s).find("\"srtp\":{\"authenticated\":200,\"auth_failed\":0"), std::string::npos)
        << event_to_json(*s);
  }
  EXPECT_TRUE(tap.sink.raised(AnomalyKind::srtp_auth_failure).empty());
}

TEST(Sdes, PacketsUnderAnotherKeyRaiseAuthFailure) {
  Tap tap;
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey)}), sdp(kPbxRtp, {crypto(1, kPbxKey)}));
  Sender ua(kUaKey), pbx_wrong(kOtherKey);  // the PBX encrypts with a key it never announced
  uint16_t s1 = 1, s2 = 1000;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 150, s1);
  tap.audio(pbx_wrong, kPbxRtp, kUaRtp, kPbxSsrc, kT0 + 405 * kMs, 150, s2);
  const auto an = tap.sink.raised(AnomalyKind::srtp_auth_failure);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].src, kPbxRtp);
  EXPECT_EQ(an[0].ssrc, kPbxSsrc);
  EXPECT_EQ(an[0].ts, kT0 + 405 * kMs + 49 * 20 * kMs);  // the 50th packet: min_packets
  EXPECT_NE(std::string(an[0].detail).find("wrong key"), std::string::npos) << an[0].detail;
  tap.pipeline.finish();
  EXPECT_EQ(tap.sink.stream(kPbxSsrc)->srtp.auth_failed, 150u);
  EXPECT_EQ(tap.sink.stream(kUaSsrc)->srtp.authenticated, 150u);
}

TEST(Sdes, TamperedPacketsOfAnSdesStreamRaiseAuthFailure) {
  Tap tap;
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey)}), sdp(kPbxRtp, {crypto(1, kPbxKey)}));
  Sender ua(kUaKey);
  uint16_t seq = 1;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 400, seq, [](int i) { return i >= 100 && i % 5 == 0; });
  ASSERT_EQ(tap.sink.raised(AnomalyKind::srtp_auth_failure).size(), 1u);
  tap.pipeline.finish();
  EXPECT_EQ(tap.sink.stream(kUaSsrc)->srtp.auth_failed, 60u);
}

TEST(Sdes, StreamSeenBeforeItsKeyIsLookedUpAgain) {
  Tap tap;
  Sender pbx(kPbxKey);
  uint16_t seq = 1000;
  // Early media: the PBX's SRTP before the tap saw any SDP of its.
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey)}), "");
  tap.audio(pbx, kPbxRtp, kUaRtp, kPbxSsrc, kT0 + 400 * kMs, 50, seq);
  tap.send(kT0 + 1500 * kMs, kPbx, kUa, sip("SIP/2.0 200 OK", 1, "INVITE", "c1@ua", sdp(kPbxRtp, {crypto(1, kPbxKey)})));
  tap.audio(pbx, kPbxRtp, kUaRtp, kPbxSsrc, kT0 + 1505 * kMs, 100, seq);
  tap.pipeline.finish();
  const RtpStreamEvent* s = tap.sink.stream(kPbxSsrc);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->srtp_keyed);
  EXPECT_EQ(s->srtp.authenticated, 100u);  // from the answer on
  EXPECT_EQ(s->srtp.auth_failed, 0u);
  EXPECT_EQ(s->packets, 150u);
}

TEST(Sdes, OfferWithTwoKeysUsesTheOneTheAnswerChose) {
  Tap tap;
  const std::vector<uint8_t> second = test_key(0x51);
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey), crypto(2, second, "AES_CM_128_HMAC_SHA1_32")}),
           sdp(kPbxRtp, {crypto(2, kPbxKey, "AES_CM_128_HMAC_SHA1_32")}));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 3u);
  Sender ua(second, true);
  uint16_t seq = 1;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 100, seq);
  tap.pipeline.finish();
  EXPECT_EQ(tap.sink.stream(kUaSsrc)->srtp.authenticated, 100u);
  EXPECT_TRUE(tap.sink.raised(AnomalyKind::srtp_auth_failure).empty());
}

TEST(Sdes, ReofferWithANewKeyReplacesTheOldAndTheSameSdpKeepsIt) {
  Tap tap;
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey)}), sdp(kPbxRtp, {crypto(1, kPbxKey)}));
  Sender ua(kUaKey);
  uint16_t seq = 1;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 100, seq);
  // The 200 sent again (its ACK lost): the same key, nothing learnt, libsrtp's state kept.
  tap.send(kT0 + 2500 * kMs, kPbx, kUa, sip("SIP/2.0 200 OK", 1, "INVITE", "c1@ua", sdp(kPbxRtp, {crypto(1, kPbxKey)})));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 2u);
  // A re-INVITE with a new key: the caller's packets from then on are under it.
  tap.send(kT0 + 3 * kSec, kUa, kPbx, sip("INVITE sip:1000@198.51.100.20 SIP/2.0", 2, "INVITE", "c1@ua",
                                          sdp(kUaRtp, {crypto(1, kOtherKey)})));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 3u);
  Sender ua2(kOtherKey);
  tap.audio(ua2, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 3100 * kMs, 100, seq);
  tap.pipeline.finish();
  const RtpStreamEvent* s = tap.sink.stream(kUaSsrc);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->srtp.authenticated, 200u);
  EXPECT_EQ(s->srtp.auth_failed, 0u);
}

TEST(Sdes, ReofferWithPlainRtpTakesTheKeyAway) {
  Tap tap;
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey)}), sdp(kPbxRtp, {crypto(1, kPbxKey)}));
  Sender ua(kUaKey);
  uint16_t seq = 1;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 100, seq);
  tap.send(kT0 + 2500 * kMs, kUa, kPbx, sip("INVITE sip:1000@198.51.100.20 SIP/2.0", 2, "INVITE", "c1@ua",
                                            sdp(kUaRtp, {}, "RTP/AVP")));
  for (int i = 0; i < 100; ++i, ++seq)  // plain RTP from then on: no authentication to fail
    tap.send(kT0 + 2600 * kMs + i * 20 * kMs, kUaRtp, kPbxRtp,
             test::rtp({.pt = 0, .seq = seq, .timestamp = 160u * seq, .ssrc = kUaSsrc, .payload_size = 160}));
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.raised(AnomalyKind::srtp_auth_failure).empty());
  const RtpStreamEvent* s = tap.sink.stream(kUaSsrc);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->srtp.authenticated, 100u);
  EXPECT_EQ(s->srtp.auth_failed, 0u);
}

TEST(Sdes, BundledSectionsOnOneAddressKeepEachOthersKeys) {
  Tap tap;
  const std::string offer = sdp(kUaRtp, {crypto(1, kUaKey)}) + "m=video 31010 RTP/SAVP 96\r\na=rtpmap:96 VP8/90000\r\n"
                            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + base64(kOtherKey) + "\r\n";
  tap.call(kT0, offer, sdp(kPbxRtp, {crypto(1, kPbxKey)}));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 3u);
  Sender ua(kUaKey);
  uint16_t seq = 1;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 60, seq);
  tap.pipeline.finish();
  EXPECT_EQ(tap.sink.stream(kUaSsrc)->srtp.authenticated, 60u);  // the first section's key, first
}

TEST(Sdes, MkiKeysAuthenticate) {
  Tap tap;
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey, "AES_CM_128_HMAC_SHA1_80", "|2^20|7:2")}), sdp(kPbxRtp, {}));
  Sender ua(kUaKey, false, {0x00, 0x07});
  uint16_t seq = 1;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 60, seq);
  tap.pipeline.finish();
  EXPECT_EQ(tap.sink.stream(kUaSsrc)->srtp.authenticated, 60u);
}

TEST(Sdes, UnsupportedSuitesAndParametersAreCountedNotUsed) {
  Tap tap;
  tap.call(kT0,
           sdp(kUaRtp, {crypto(1, test_key(1, 46), "AES_256_CM_HMAC_SHA1_80"), crypto(2, kUaKey, "F8_128_HMAC_SHA1_80"),
                        crypto(3, kUaKey, "AES_CM_128_HMAC_SHA1_80", " UNAUTHENTICATED_SRTP"),
                        crypto(4, kUaKey, "AES_CM_128_HMAC_SHA1_80", " KDR=24")}),
           sdp(kPbxRtp, {crypto(1, kPbxKey)}));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_unsupported, 4u);
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 1u);
  Sender ua(kUaKey);
  uint16_t seq = 1;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 100, seq);
  tap.pipeline.finish();
  EXPECT_FALSE(tap.sink.stream(kUaSsrc)->srtp_keyed);
  EXPECT_TRUE(tap.sink.raised(AnomalyKind::srtp_auth_failure).empty());
}

TEST(Sdes, SectionsWithoutSdesAreNotKeyed) {
  Tap tap;
  // DTLS-SRTP's profile and plain RTP carry a=crypto that is not in use.
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey)}, "UDP/TLS/RTP/SAVPF"), sdp(kPbxRtp, {crypto(1, kPbxKey)}, "RTP/AVP"));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 0u);
  // On hold: no address to key.
  tap.send(kT0 + 2 * kSec, kUa, kPbx, sip("INVITE sip:1000@198.51.100.20 SIP/2.0", 2, "INVITE", "c1@ua",
                                          "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
                                          "m=audio 31010 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" +
                                              base64(kUaKey) + "\r\n"));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 0u);
  EXPECT_TRUE(tap.pipeline.counters().sdp_bodies >= 3);
}

TEST(Sdes, NotFollowedWhenSwitchedOff) {
  Tap tap(test_config(0));
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey)}), sdp(kPbxRtp, {crypto(1, kPbxKey)}));
  Sender ua(kUaKey);
  uint16_t seq = 1;
  tap.audio(ua, kUaRtp, kPbxRtp, kUaSsrc, kT0 + 400 * kMs, 60, seq);
  tap.pipeline.finish();
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 0u);
  EXPECT_FALSE(tap.sink.stream(kUaSsrc)->srtp_keyed);
}

TEST(Sdes, KeyringFullIsCountedAndEndedDialogsMakeRoom) {
  Tap tap(test_config(2));
  const Endpoint third = test::endpoint("203.0.113.9", 20000);
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey)}), sdp(kPbxRtp, {crypto(1, kPbxKey)}), "first@ua");
  tap.send(kT0 + kSec, kUa, kPbx, sip("INVITE sip:1000@198.51.100.20 SIP/2.0", 1, "INVITE", "second@ua",
                                      sdp(third, {crypto(1, kOtherKey)})));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 2u);
  EXPECT_EQ(tap.pipeline.counters().sdes_keyring_full, 1u);
  // The first call hangs up; once its dialog is over (reported), its keys make room.
  tap.send(kT0 + 2 * kSec, kUa, kPbx, sip("BYE sip:1000@198.51.100.20 SIP/2.0", 2, "BYE", "first@ua", ""));
  tap.send(kT0 + 2100 * kMs, kPbx, kUa, sip("SIP/2.0 200 OK", 2, "BYE", "first@ua", ""));
  tap.pipeline.advance(kT0 + 600 * kSec, 1u << 20);
  tap.send(kT0 + 601 * kSec, kUa, kPbx, sip("INVITE sip:1000@198.51.100.20 SIP/2.0", 2, "INVITE", "second@ua",
                                            sdp(third, {crypto(1, kOtherKey)})));
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 3u);
  EXPECT_EQ(tap.pipeline.counters().sdes_keyring_full, 1u);
  Sender tx(kOtherKey);
  uint16_t seq = 1;
  tap.audio(tx, third, kPbxRtp, 0x5555, kT0 + 602 * kSec, 60, seq);
  tap.pipeline.finish();
  EXPECT_EQ(tap.sink.stream(0x5555)->srtp.authenticated, 60u);
}

TEST(Sdes, GarbageInlineValuesDoNotCrash) {
  Tap tap;
  const std::vector<std::string> garbage = {
      "1 AES_CM_128_HMAC_SHA1_80 inline:",
      "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!notbase64!!!!",
      "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64(test_key(3, 29)),            // one byte short
      "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64(test_key(3, 46)),            // too long for the suite
      "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64(kUaKey) + "|2^99",           // a lifetime past 2^64
      "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64(kUaKey) + "|junk",
      "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64(kUaKey) + "|300:1",          // MKI past its length
      "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64(kUaKey) + "|1:999",
      "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64(kUaKey) + "|||||",
      "1 AES_CM_128_HMAC_SHA1_80 inline:" + base64(kUaKey) + ";inline:;inline:;;;",
      "1 AES_CM_128_HMAC_SHA1_80",
      "x AES_CM_128_HMAC_SHA1_80 inline:" + base64(kUaKey),
      "1  inline:" + base64(kUaKey),
      "99999999999 AES_CM_128_HMAC_SHA1_80 inline:" + base64(kUaKey),
      "1 AEAD_AES_256_GCM inline:" + base64(kUaKey),                           // 30 bytes: GCM-256 wants 44
  };
  Nanos t = kT0;
  for (const std::string& g : garbage) {
    t += 100 * kMs;
    tap.send(t, kPbx, kUa, sip("SIP/2.0 200 OK", 1, "INVITE", "g@ua", sdp(kPbxRtp, {g})));
  }
  // Random bytes after "a=crypto:".
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string junk(static_cast<size_t>(rng() % 120), ' ');
    for (char& c : junk) c = static_cast<char>(rng() % 2 ? 32 + rng() % 95 : rng() % 256);
    if (i % 2) junk = "1 AES_CM_128_HMAC_SHA1_80 inline:" + junk;
    t += kMs;
    tap.send(t, kPbx, kUa, sip("SIP/2.0 200 OK", 1, "INVITE", "g@ua", sdp(kPbxRtp, {junk})));
  }
  EXPECT_EQ(tap.pipeline.counters().sdes_keys_learnt, 0u);
  EXPECT_GE(tap.pipeline.counters().sdes_keys_bad, 8u);
  tap.pipeline.finish();
}

// No key, as base64 or as bytes, in any event, summary or detail text: the SIP dialog records
// included, with their Call-ID, method and reason phrases next to the SDP.
TEST(Sdes, KeysAppearInNoOutput) {
  Tap tap;
  tap.call(kT0, sdp(kUaRtp, {crypto(1, kUaKey, "AES_CM_128_HMAC_SHA1_80", "|2^20|1:4")}),
           sdp(kPbxRtp, {crypto(1, kPbxKey), crypto(2, kPbxKey, "AES_CM_128_HMAC_SHA1_32", " KDR=7")}));
  tap.send(kT0 + kSec, kPbx, kUa, sip("SIP/2.0 488 Not Acceptable Here", 1, "INVITE", "c2@ua",
                                      sdp(test::endpoint("203.0.113.9", 20000), {crypto(1, kOtherKey)})));
  Sender pbx_wrong(kUaKey);
  uint16_t seq = 1;
  tap.audio(pbx_wrong, kPbxRtp, kUaRtp, kPbxSsrc, kT0 + 400 * kMs, 100, seq);
  tap.pipeline.finish();
  ASSERT_FALSE(tap.sink.raised(AnomalyKind::srtp_auth_failure).empty());
  std::string all = summary_to_json(tap.pipeline.counters()) + summary_to_text(tap.pipeline.counters());
  for (const auto& e : tap.sink.events) all += event_to_json(e) + event_to_text(e);
  for (const auto* key : {&kUaKey, &kPbxKey, &kOtherKey}) {
    const std::string b64 = base64(*key), hex = hex_of(*key);
    EXPECT_EQ(all.find(b64.substr(0, 12)), std::string::npos);
    EXPECT_EQ(all.find(b64.substr(b64.size() - 14, 12)), std::string::npos);
    EXPECT_EQ(all.find(hex.substr(0, 16)), std::string::npos);
  }
  EXPECT_EQ(all.find("inline:"), std::string::npos);
}

}  // namespace
}  // namespace wcstap
