// Hyperscan signatures: the built-in protocol recognition on real payloads from the corpus (hex
// below, as captured), user signatures in block and streaming mode, port filters, flags, the
// stream limit, and the config section's errors.
#include "signature/signature.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "packet_builder.h"

namespace wcstap {
namespace {

using test::from_hex;

// Whether `text` holds `part`, saying what it holds when not.
::testing::AssertionResult Holds(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not hold '" << part << "'";
}

// wswiki__sip-rtp-opus.pcap frame 1: an INVITE with its SDP (5060 -> 5060).
const std::string kSipInvite =
    "494e56495445207369703a746573744031302e302e322e31353a35303630205349502f322e300d0a5669613a205349"
    "502f322e302f5544502031302e302e322e32303a353036303b6272616e63683d7a39684734624b2d343233372d312d"
    "300d0a46726f6d3a20226f7075732f34383030302f3222203c7369703a736970704031302e302e322e32303a353036"
    "303e3b7461673d310d0a546f3a2074657374203c7369703a746573744031302e302e322e31353a353036303e0d0a43"
    "616c6c2d49443a20312d343233374031302e302e322e32300d0a435365713a203120494e564954450d0a436f6e7461"
    "63743a207369703a736970704031302e302e322e32303a353036300d0a4d61782d466f7277617264733a2037300d0a"
    "436f6e74656e742d547970653a206170706c69636174696f6e2f7364700d0a436f6e74656e742d4c656e6774683a20"
    "20203132380d0a0d0a763d300d0a6f3d2d20343220343220494e204950342031302e302e322e32300d0a733d2d0d0a"
    "633d494e204950342031302e302e322e32300d0a743d3020300d0a6d3d617564696f2036303030205254502f415650"
    "2039390d0a613d7274706d61703a3939206f7075732f34383030302f320d0a613d726563766f6e6c790d0a";
// frame 2, its first 60 bytes: "SIP/2.0 100 Trying".
const std::string kSipTrying =
    "5349502f322e302031303020547279696e670d0a5669613a205349502f322e302f5544502031302e302e322e32303a"
    "353036303b6272616e63683d7a";
// zeek__websocket_reply-ping-separate.pcap frame 4: the client's Upgrade request (54524 -> 8080).
const std::string kWsUpgrade =
    "474554202f20485454502f312e310d0a486f73743a206c6f63616c686f73743a383038300d0a557067726164653a20"
    "776562736f636b65740d0a436f6e6e656374696f6e3a20557067726164650d0a5365632d576562536f636b65742d4b"
    "65793a2062557a4f41704e45634933762b732f4c32524b3475513d3d0d0a5365632d576562536f636b65742d566572"
    "73696f6e3a2031330d0a5365632d576562536f636b65742d457874656e73696f6e733a207065726d6573736167652d"
    "6465666c6174653b20636c69656e745f6d61785f77696e646f775f626974730d0a5365632d576562536f636b65742d"
    "50726f746f636f6c3a2076310d0a557365722d4167656e743a20507974686f6e2f332e313020776562736f636b6574"
    "732f31322e300d0a0d0a";
// frame 6: the server's "HTTP/1.1 101 Switching Protocols".
const std::string kWs101 =
    "485454502f312e312031303120537769746368696e672050726f746f636f6c730d0a636f6e6e656374696f6e3a2075"
    "7067726164650d0a757067726164653a20776562736f636b65740d0a7365632d776562736f636b65742d6163636570"
    "743a20755872482f336c6e57625878465079526d5155524e75714f4434513d0d0a7365632d776562736f636b65742d"
    "70726f746f636f6c3a2076310d0a0d0a";
// ndpi__rtsp.pcap frame 37: DESCRIBE from VLC (52472 -> 8554).
const std::string kRtspDescribe =
    "444553435249424520727473703a2f2f31302e322e322e323a383535342f20525453502f312e300d0a435365713a20"
    "330d0a557365722d4167656e743a204c6962564c432f332e302e313620284c4956453535352053747265616d696e67"
    "204d656469612076323031362e31312e3238290d0a4163636570743a206170706c69636174696f6e2f7364700d0a0d"
    "0a";
// frame 33: "RTSP/1.0 200 OK" to OPTIONS.
const std::string kRtsp200 =
    "525453502f312e3020323030204f4b0d0a5365727665723a20564c432f332e302e31320d0a436f6e74656e742d4c65"
    "6e6774683a20300d0a437365713a20320d0a5075626c69633a2044455343524942452c53455455502c54454152444f"
    "574e2c504c41592c50415553452c4745545f504152414d455445520d0a0d0a";
// zeek__tls_tls-1.2-handshake-failure.pcap frame 4: a TLS 1.2 ClientHello (53525 -> 443).
const std::string kTlsClientHello =
    "16030100ad010000a90303aaa3b6e3259f9c61ee29dde42820a73799972d6bf61ac2ea385a92c8ec5dae2f000012c0"
    "10c006c015c00bc001003b0002000100ff020100006d000b000403000102000a00340032000e000d0019000b000c00"
    "180009000a00160017000800060007001400150004000500120013000100020003000f0010001100230000000d0020"
    "001e060106020603050105020503040104020403030103020303020102020203000f000101";
// wswiki__rtmp_sample.cap frame 4, its first 32 bytes: C0 (03) and the start of C1 (1177 -> 1935).
const std::string kRtmpC0C1 = "030007aa5700000000c4ff95ff1affe3ffc000c1003600af00fc002d0092ffbb";

using Hit = std::pair<uint32_t, uint64_t>;  // id, end offset

struct Hits {
  std::vector<Hit> v;
  auto sink() {
    return [this](uint32_t id, uint64_t end) { v.emplace_back(id, end); };
  }
  // The built-in protocols seen (user and WCS message ids left out), in id order.
  std::vector<SignatureProtocol> protocols() const {
    std::vector<SignatureProtocol> out;
    for (const auto& [id, end] : v) {
      const auto p = builtin_signature(id).protocol;
      if (p != SignatureProtocol::None && p != SignatureProtocol::WcsMessage) out.push_back(p);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<uint64_t> ends_of(uint32_t id) const {
    std::vector<uint64_t> out;
    for (const auto& [i, end] : v)
      if (i == id) out.push_back(end);
    return out;
  }
};

std::vector<uint8_t> text(const std::string& s) { return {s.begin(), s.end()}; }

// The built-ins alone, compiled once for the recognition tests.
SignatureEngine& builtins() {
  static SignatureEngine e(std::vector<Signature>{});
  return e;
}

Hits scan(SignatureEngine& e, const std::vector<uint8_t>& b, uint16_t sport = 40000, uint16_t dport = 40001) {
  Hits h;
  e.scan_block(b, sport, dport, h.sink());
  return h;
}

Signature user(uint32_t id, std::string pattern, unsigned flags = 0, std::vector<PortRange> ports = {}) {
  Signature s;
  s.id = id;
  s.pattern = std::move(pattern);
  s.flags = flags;
  s.ports = std::move(ports);
  s.name = "test " + std::to_string(id);
  return s;
}

// ---- built-in recognition ----------------------------------------------------------------------

TEST(Signature, SipInviteFromTheCorpus) {
  Hits h = scan(builtins(), from_hex(kSipInvite), 5060, 5060);
  EXPECT_EQ(h.protocols(), std::vector{SignatureProtocol::SipRequest});
  // "INVITE sip:test@10.0.2.15:5060 SIP/2.0\r\n": the request line's end.
  EXPECT_EQ(h.ends_of(signature_id(SignatureProtocol::SipRequest)), std::vector<uint64_t>{40});
  EXPECT_EQ(h.v.size(), 1u);  // nothing else: no WCS message, no second report
}

TEST(Signature, SipStatusLine) {
  Hits h = scan(builtins(), from_hex(kSipTrying));
  EXPECT_EQ(h.protocols(), std::vector{SignatureProtocol::SipStatus});
  EXPECT_EQ(h.ends_of(signature_id(SignatureProtocol::SipStatus)), std::vector<uint64_t>{12});  // "SIP/2.0 100 "
}

TEST(Signature, WebsocketUpgradeFromTheCorpus) {
  Hits h = scan(builtins(), from_hex(kWsUpgrade), 54524, 8080);
  // Also an HTTP request: the more specific match is for the caller to prefer.
  EXPECT_EQ(h.protocols(), (std::vector{SignatureProtocol::HttpRequest, SignatureProtocol::WebsocketUpgrade}));
  EXPECT_EQ(h.ends_of(signature_id(SignatureProtocol::HttpRequest)), std::vector<uint64_t>{16});  // "GET / HTTP/1.1\r\n"
  // ... "Host: localhost:8080\r\n" "Upgrade: websocket"
  EXPECT_EQ(h.ends_of(signature_id(SignatureProtocol::WebsocketUpgrade)), std::vector<uint64_t>{56});
}

TEST(Signature, WebsocketUpgradeHeaderIsCaselessButTheMethodIsNot) {
  EXPECT_EQ(scan(builtins(), text("GET /ws HTTP/1.1\r\nHost: a\r\nUPGRADE:   WebSocket\r\n\r\n")).protocols(),
            (std::vector{SignatureProtocol::HttpRequest, SignatureProtocol::WebsocketUpgrade}));
  EXPECT_TRUE(scan(builtins(), text("get /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n")).protocols().empty());
  // The header must start a line: a value naming websocket is not an Upgrade header.
  EXPECT_EQ(scan(builtins(), text("GET /ws HTTP/1.1\r\nX-Note: Upgrade: websocket\r\n\r\n")).protocols(),
            std::vector{SignatureProtocol::HttpRequest});
}

TEST(Signature, HttpStatusFromTheCorpus) {
  Hits h = scan(builtins(), from_hex(kWs101), 8080, 54524);
  EXPECT_EQ(h.protocols(), std::vector{SignatureProtocol::HttpStatus});
  EXPECT_EQ(h.ends_of(signature_id(SignatureProtocol::HttpStatus)), std::vector<uint64_t>{13});  // "HTTP/1.1 101 "
}

TEST(Signature, RtspDescribeFromTheCorpus) {
  Hits h = scan(builtins(), from_hex(kRtspDescribe), 52472, 8554);
  EXPECT_EQ(h.protocols(), std::vector{SignatureProtocol::RtspRequest});  // not SIP, not HTTP
  // "DESCRIBE rtsp://10.2.2.2:8554/ RTSP/1.0\r\n"
  EXPECT_EQ(h.ends_of(signature_id(SignatureProtocol::RtspRequest)), std::vector<uint64_t>{41});
  EXPECT_EQ(scan(builtins(), from_hex(kRtsp200)).protocols(), std::vector{SignatureProtocol::RtspStatus});
}

TEST(Signature, TlsClientHelloFromTheCorpus) {
  Hits h = scan(builtins(), from_hex(kTlsClientHello), 53525, 443);
  EXPECT_EQ(h.protocols(), std::vector{SignatureProtocol::TlsClientHello});
  EXPECT_EQ(h.ends_of(signature_id(SignatureProtocol::TlsClientHello)), std::vector<uint64_t>{6});
  // The same record carrying a ServerHello (type 2), or an application data record, is not one.
  auto b = from_hex(kTlsClientHello);
  b[5] = 0x02;
  EXPECT_TRUE(scan(builtins(), b).protocols().empty());
  b[5] = 0x01;
  b[0] = 0x17;
  EXPECT_TRUE(scan(builtins(), b).protocols().empty());
}

TEST(Signature, RtmpHandshakeFromTheCorpus) {
  Hits h = scan(builtins(), from_hex(kRtmpC0C1), 1177, 1935);
  EXPECT_EQ(h.protocols(), std::vector{SignatureProtocol::RtmpHandshake});
  EXPECT_EQ(h.ends_of(signature_id(SignatureProtocol::RtmpHandshake)), std::vector<uint64_t>{9});
  auto b = from_hex(kRtmpC0C1);
  b[8] = 0x02;  // the digest handshake's version in the "zero" field: the documented miss
  EXPECT_TRUE(scan(builtins(), b).protocols().empty());
}

Hits scan_wcs(SignatureEngine& e, const std::string& s) {
  Hits h;
  e.scan_wcs_names(text(s), h.sink());
  return h;
}

TEST(Signature, WcsMessageNamesInJsonText) {
  const std::string json =
      R"({"message":"publishStream","data":[{"mediaSessionId":"3c5e1a70","name":"stream1",)"
      R"("sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}]})";
  const uint32_t publish = signature_id(WcsMessageName::PublishStream);
  const uint32_t any = signature_id(WcsMessageName::Other);
  Hits h = scan_wcs(builtins(), json);
  ASSERT_EQ(h.v.size(), 2u);
  EXPECT_EQ(h.ends_of(any), std::vector<uint64_t>{json.find("publishStream")});  // just past the opening quote
  EXPECT_EQ(h.ends_of(publish), std::vector<uint64_t>{json.find("publishStream") + 14});  // past the closing one
  const BuiltinSignature b = builtin_signature(publish);
  EXPECT_EQ(b.protocol, SignatureProtocol::WcsMessage);
  EXPECT_EQ(b.message, WcsMessageName::PublishStream);
  EXPECT_EQ(builtin_signature(any).protocol, SignatureProtocol::WcsMessage);
  EXPECT_EQ(builtin_signature(any).message, WcsMessageName::Other);
  // They have a database of their own: the block scan (recognition, user signatures) skips them.
  EXPECT_TRUE(scan(builtins(), text(json), 50000, 8080).v.empty());
  EXPECT_TRUE(builtins().names_wcs_message(text(json)));
}

TEST(Signature, WcsMessageNamesAreWholeAndEachReported) {
  // Spaces around the colon; two messages in one buffer, both reported.
  Hits h = scan_wcs(builtins(), R"({"message" : "setRemoteSDP"} {"message":"fail","data":[]})");
  EXPECT_EQ(h.ends_of(signature_id(WcsMessageName::SetRemoteSdp)).size(), 1u);
  EXPECT_EQ(h.ends_of(signature_id(WcsMessageName::Fail)).size(), 1u);
  EXPECT_EQ(h.ends_of(signature_id(WcsMessageName::Other)).size(), 2u);
  EXPECT_EQ(h.v.size(), 4u);
  // A longer name that starts with a known one is not it (but is a name); a name outside
  // "message" is none.
  EXPECT_EQ(scan_wcs(builtins(), R"({"message":"failover"})").v,
            (std::vector<Hit>{{signature_id(WcsMessageName::Other), 12}}));
  EXPECT_TRUE(scan_wcs(builtins(), R"({"status":"publishStream"})").v.empty());
}

// The prefilter the WebSocket analyzer runs before its JSON parse: texts that cannot be a WCS
// message are told apart; every WCS message, known name or not, passes.
TEST(Signature, WcsPrefilterPassesEveryWcsMessageAndOnlyThem) {
  SignatureEngine& e = builtins();
  for (const char* wcs : {R"({"message":"ping"})", R"({"data":[],"message":"notifyAudioCodec"})",
                          R"({ "message" :	"connection", "data":[{"appKey":"x"}]})"})
    EXPECT_TRUE(e.names_wcs_message(text(wcs))) << wcs;
  for (const char* other : {R"({"type":"chat","text":"hello"})", R"({"message":42})", R"(["message","ping"])",
                            "plain text", R"({"info":"\"message\":\"ping\""})"})
    EXPECT_FALSE(e.names_wcs_message(text(other))) << other;
  // Nothing to tell by without the built-ins: every text is parsed.
  SignatureEngine bare({user(1001, "x")}, 16, false);
  EXPECT_TRUE(bare.names_wcs_message(text("plain text")));
}

// ---- one database, many engines ----------------------------------------------------------------

// Two workers' engines on one compiled database: the same matches as an engine compiling its own,
// each with its own scratch, counters and streams.
TEST(SignatureDatabase, EnginesSharingOneDatabaseMatchAlike) {
  const std::vector<Signature> users{user(1001, "wcs-secret-[0-9]{4}-token"), user(1002, "bye$", 0, {{5060, 5060}})};
  const auto db = SignatureDatabase::compile(users);
  EXPECT_EQ(db->signature_count(), builtin_signatures().size() + 2);
  EXPECT_GT(db->database_bytes(), 0u);
  ASSERT_NE(db->find(1002), nullptr);
  EXPECT_EQ(db->find(1002)->pattern, "bye$");
  SignatureEngine a(db, 16), b(db, 16), own(users, 16);
  EXPECT_EQ(a.database(), b.database());
  EXPECT_EQ(a.database().use_count(), 3);  // db, a, b
  const std::vector<std::pair<std::string, uint16_t>> payloads{
      {"INVITE sip:bob@pbx SIP/2.0\r\n\r\nxx wcs-secret-1234-token say bye", 5060},
      {"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", 8080},
      {"wcs-secret-9999-token bye", 40002},
      {std::string("\x16\x03\x01\x00\x10\x01", 6), 443}};
  for (const auto& [p, port] : payloads) {
    const Hits ha = scan(a, text(p), 40000, port), hb = scan(b, text(p), 40000, port), ho = scan(own, text(p), 40000, port);
    EXPECT_FALSE(ha.v.empty()) << p;
    EXPECT_EQ(ha.v, hb.v) << p;
    EXPECT_EQ(ha.v, ho.v) << p;
  }
  EXPECT_EQ(a.counters().block_scans, payloads.size());
  EXPECT_EQ(b.counters().block_scans, payloads.size());
}

// Streaming state is per engine (per worker) and per stream: two engines scanning the same
// stream's halves interleaved, each in a stream of its own, both match across their cut, and the
// bound on open streams is each engine's.
TEST(SignatureDatabase, StreamsArePerEngineOnASharedDatabase) {
  const auto db = SignatureDatabase::compile({user(1001, "wcs-secret-[0-9]{4}-token")}, false);
  SignatureEngine a(db, 1), b(db, 1);
  const std::string all = "xx wcs-secret-1234-token yy";
  const size_t cut = all.find("secret") + 3;
  Hits ha, hb;
  SignatureStream sa = a.open_stream(), sb = b.open_stream();
  ASSERT_TRUE(sa.valid());
  ASSERT_TRUE(sb.valid());
  EXPECT_FALSE(a.open_stream().valid());  // a's one stream is taken; b's count apart
  a.scan_stream(sa, text(all.substr(0, cut)), 1, 2, ha.sink());
  b.scan_stream(sb, text("wcs-sec"), 1, 2, hb.sink());  // another flow's bytes on b
  a.scan_stream(sa, text(all.substr(cut)), 1, 2, ha.sink());
  b.scan_stream(sb, text("ret-0000-token"), 1, 2, hb.sink());
  EXPECT_EQ(ha.v, (std::vector<Hit>{{1001, all.find("token") + 5}}));
  EXPECT_EQ(hb.v, (std::vector<Hit>{{1001, 21}}));
  a.close_stream(sa, ha.sink());
  b.close_stream(sb, hb.sink());
  EXPECT_EQ(a.counters().streams_refused, 1u);
  EXPECT_EQ(b.counters().streams_refused, 0u);
  EXPECT_EQ(a.counters().streams_open + b.counters().streams_open, 0u);
}

// Engines built on other threads from one database scan it at once, each on its own scratch.
TEST(SignatureDatabase, EnginesOnSeveralThreads) {
  const auto db = SignatureDatabase::compile({user(1001, "needle[0-9]")});
  std::vector<uint8_t> hay(64 * 1024, 'a');
  size_t needles = 0;
  for (size_t i = 100; i + 7 < hay.size(); i += 1000, ++needles) std::memcpy(&hay[i], "needle7", 7);
  std::vector<size_t> found(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < found.size(); ++t)
    threads.emplace_back([&, t] {
      SignatureEngine e(db, 16);
      for (int round = 0; round < 50; ++round) found[t] += scan(e, hay).ends_of(1001).size();
    });
  for (auto& th : threads) th.join();
  for (size_t n : found) EXPECT_EQ(n, 50u * needles);
}

TEST(Signature, BuiltinIdsMapBackToWhatTheyRecognise) {
  for (const Signature& s : builtin_signatures()) {
    EXPECT_LT(s.id, kFirstUserSignatureId);
    EXPECT_NE(builtin_signature(s.id).protocol, SignatureProtocol::None) << s.id;
  }
  EXPECT_EQ(builtin_signature(signature_id(SignatureProtocol::TlsClientHello)).protocol,
            SignatureProtocol::TlsClientHello);
  EXPECT_EQ(builtin_signature(0).protocol, SignatureProtocol::None);
  EXPECT_EQ(builtin_signature(kFirstUserSignatureId).protocol, SignatureProtocol::None);
  EXPECT_STREQ(signature_protocol_name(SignatureProtocol::WebsocketUpgrade), "websocket_upgrade");
  EXPECT_EQ(builtins().signature_count(), builtin_signatures().size());
}

// Protocol heads placed anywhere but at the start of random bytes are never recognised; at the
// start they are (so the check can tell).
TEST(Signature, AnchoredBuiltinsNeverMatchInsideRandomBytes) {
  const std::vector<std::pair<std::string, SignatureProtocol>> heads{
      {"INVITE sip:a@b SIP/2.0\r\n", SignatureProtocol::SipRequest},
      {"SIP/2.0 200 OK\r\n", SignatureProtocol::SipStatus},
      {"RTSP/1.0 200 OK\r\n", SignatureProtocol::RtspStatus},
      {"HTTP/1.1 404 Not Found\r\n", SignatureProtocol::HttpStatus},
      {"DESCRIBE rtsp://cam/ RTSP/1.0\r\n", SignatureProtocol::RtspRequest},
      {std::string("\x16\x03\x01\x00\x10\x01", 6), SignatureProtocol::TlsClientHello},
      {std::string("\x03\x01\x02\x03\x04\x00\x00\x00\x00", 9), SignatureProtocol::RtmpHandshake},
  };
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> len(1, 1400);
  size_t at_start = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> b(len(rng));
    for (auto& x : b) x = static_cast<uint8_t>(byte(rng));
    const auto& [head, proto] = heads[static_cast<size_t>(round) % heads.size()];
    const size_t off = 1 + static_cast<size_t>(round) % 200;
    std::vector<uint8_t> inside(b);
    inside.insert(inside.begin() + static_cast<std::ptrdiff_t>(std::min(off, inside.size())), head.begin(), head.end());
    Hits h = scan(builtins(), inside);
    ASSERT_TRUE(h.protocols().empty()) << "round " << round << ": " << signature_protocol_name(h.protocols()[0]);
    std::vector<uint8_t> first(head.begin(), head.end());
    first.insert(first.end(), b.begin(), b.end());
    const auto p = scan(builtins(), first).protocols();
    at_start += std::find(p.begin(), p.end(), proto) != p.end();
  }
  EXPECT_EQ(at_start, 3000u);
}

// ---- user signatures ---------------------------------------------------------------------------

TEST(Signature, StreamModeMatchesAcrossSegmentsBlockModeOnNeitherHalf) {
  SignatureEngine e({user(1001, "wcs-secret-[0-9]{4}-token")});
  const std::string all = "POST /hook HTTP/1.1\r\n\r\nxx wcs-secret-1234-token yy";
  const size_t cut = all.find("secret") + 3;  // "...wcs-sec" | "ret-1234-token yy"
  const auto a = text(all.substr(0, cut)), b = text(all.substr(cut));
  EXPECT_TRUE(scan(e, a).ends_of(1001).empty());
  EXPECT_TRUE(scan(e, b).ends_of(1001).empty());
  EXPECT_EQ(scan(e, text(all)).ends_of(1001), std::vector<uint64_t>{all.find("token") + 5});

  Hits h;
  SignatureStream s = e.open_stream();
  ASSERT_TRUE(s.valid());
  e.scan_stream(s, a, 40000, 8081, h.sink());
  EXPECT_TRUE(h.ends_of(1001).empty());
  e.scan_stream(s, b, 40000, 8081, h.sink());
  // The end offset counts from the stream's first byte.
  EXPECT_EQ(h.ends_of(1001), std::vector<uint64_t>{all.find("token") + 5});
  // The built-ins run in the stream too: the HTTP request at its start.
  EXPECT_EQ(h.protocols(), std::vector{SignatureProtocol::HttpRequest});
  e.close_stream(s, h.sink());
  EXPECT_FALSE(s.valid());
  EXPECT_EQ(e.counters().streams_open, 0u);
}

TEST(Signature, StreamAnchorsAtTheStreamStartNotAtEachSegment) {
  SignatureEngine& e = builtins();
  Hits split, late;
  SignatureStream s = e.open_stream();
  e.scan_stream(s, text("INV"), 5060, 5060, split.sink());
  e.scan_stream(s, text("ITE sip:bob@pbx SIP/2.0\r\n"), 5060, 5060, split.sink());
  e.close_stream(s, split.sink());
  EXPECT_EQ(split.protocols(), std::vector{SignatureProtocol::SipRequest});
  EXPECT_EQ(split.ends_of(signature_id(SignatureProtocol::SipRequest)), std::vector<uint64_t>{28});

  SignatureStream t = e.open_stream();
  e.scan_stream(t, text("garbage"), 5060, 5060, late.sink());
  e.scan_stream(t, text("INVITE sip:bob@pbx SIP/2.0\r\n"), 5060, 5060, late.sink());
  EXPECT_TRUE(late.protocols().empty());
  // After a reassembly gap the stream starts over: the next message start is anchored again.
  e.restart_stream(t, late.sink());
  e.scan_stream(t, text("BYE sip:bob@pbx SIP/2.0\r\n"), 5060, 5060, late.sink());
  EXPECT_EQ(late.protocols(), std::vector{SignatureProtocol::SipRequest});
  EXPECT_EQ(late.ends_of(signature_id(SignatureProtocol::SipRequest)), std::vector<uint64_t>{25});
  e.close_stream(t, late.sink());
}

TEST(Signature, CloseReportsMatchesAtTheEndOfTheStream) {
  SignatureEngine e({user(1002, "goodbye$")}, 16, false);
  Hits h;
  SignatureStream s = e.open_stream();
  e.scan_stream(s, text("hello and goodbye"), 1, 2, h.sink());
  EXPECT_TRUE(h.v.empty());  // more may follow: not the end yet
  e.close_stream(s, h.sink());
  EXPECT_EQ(h.v, (std::vector<Hit>{{1002, 17}}));
  // In block mode the buffer's end is the end.
  EXPECT_EQ(scan(e, text("hello and goodbye")).v, (std::vector<Hit>{{1002, 17}}));
}

TEST(Signature, PortFiltersApplyToEitherPort) {
  SignatureEngine e({user(1003, "magic", 0, {{5060, 5061}, {8080, 8080}}), user(1004, "magic")}, 16, false);
  const auto b = text("some magic here");
  EXPECT_EQ(scan(e, b, 1234, 5678).v, (std::vector<Hit>{{1004, 10}}));
  EXPECT_EQ(e.counters().port_filtered, 1u);
  EXPECT_EQ(scan(e, b, 5061, 40000).ends_of(1003), std::vector<uint64_t>{10});
  EXPECT_EQ(scan(e, b, 40000, 8080).ends_of(1003), std::vector<uint64_t>{10});
  EXPECT_TRUE(scan(e, b, 5062, 8081).ends_of(1003).empty());
  EXPECT_EQ(e.counters().port_filtered, 2u);

  // Streams: the ports of the segment scanned, and at close those of the last one.
  SignatureEngine f({user(1005, "bye$", 0, {{5060, 5060}})}, 16, false);
  Hits in, out;
  SignatureStream s = f.open_stream(), t = f.open_stream();
  f.scan_stream(s, text("say bye"), 5060, 40000, in.sink());
  f.scan_stream(t, text("say bye"), 5070, 40000, out.sink());
  f.close_stream(s, in.sink());
  f.close_stream(t, out.sink());
  EXPECT_EQ(in.v, (std::vector<Hit>{{1005, 7}}));
  EXPECT_TRUE(out.v.empty());
}

TEST(Signature, CaselessFlag) {
  SignatureEngine e({user(1006, "needle", signature_flag::kCaseless), user(1007, "haystack")}, 16, false);
  EXPECT_EQ(scan(e, text("a NeEdLe in a HAYSTACK")).v, (std::vector<Hit>{{1006, 8}}));
  EXPECT_EQ(scan(e, text("a needle in a haystack")).v, (std::vector<Hit>{{1006, 8}, {1007, 22}}));
}

TEST(Signature, SingleMatchFlagReportsOnce) {
  SignatureEngine e({user(1008, "ab", signature_flag::kSingleMatch), user(1009, "cd")}, 16, false);
  Hits h = scan(e, text("ab cd ab cd ab"));
  EXPECT_EQ(h.ends_of(1008), std::vector<uint64_t>{2});
  EXPECT_EQ(h.ends_of(1009), (std::vector<uint64_t>{5, 11}));
}

TEST(Signature, OpenStreamsAreBoundedAndCounted) {
  SignatureEngine e({user(1010, "x")}, 2, false);
  SignatureStream a = e.open_stream(), b = e.open_stream(), c = e.open_stream();
  EXPECT_TRUE(a.valid());
  EXPECT_TRUE(b.valid());
  EXPECT_FALSE(c.valid());
  EXPECT_EQ(e.counters().streams_open, 2u);
  EXPECT_EQ(e.counters().streams_refused, 1u);
  Hits h;
  e.scan_stream(c, text("xxx"), 1, 2, h.sink());  // an invalid handle: nothing happens
  e.close_stream(c, h.sink());
  EXPECT_TRUE(h.v.empty());
  e.close_stream(a, h.sink());
  EXPECT_EQ(e.counters().streams_open, 1u);
  {
    SignatureStream d = e.open_stream();
    EXPECT_TRUE(d.valid());
    EXPECT_EQ(e.counters().streams_open, 2u);
  }  // dropped while open: closed, not leaked
  EXPECT_EQ(e.counters().streams_open, 1u);
  SignatureStream moved = std::move(b);
  EXPECT_FALSE(b.valid());  // NOLINT(bugprone-use-after-move): the handle moved
  EXPECT_TRUE(moved.valid());
  EXPECT_EQ(e.counters().streams_opened, 3u);
  EXPECT_GT(e.stream_state_bytes(), 0u);
}

TEST(Signature, EngineRefusesIdsItCannotTellApart) {
  EXPECT_THROW(SignatureEngine({user(1011, "a"), user(1011, "b")}), SignatureError);
  EXPECT_THROW(SignatureEngine({user(999, "a")}), SignatureError);
}

// ---- the config section ------------------------------------------------------------------------

std::vector<Signature> parse(const std::string& yaml) {
  return parse_signatures(YAML::Load(yaml)["signatures"], "test.yaml");
}

// The error parse() throws for `yaml` (fails the test when it throws none).
ConfigError error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << yaml;
  return ConfigError("", "", "");
}

TEST(SignatureConfig, ReadsEveryField) {
  auto s = parse(R"(
signatures:
  - id: 1001
    name: "sip password in clear"
    pattern: "sipPassword\"\\s*:"
    flags: [caseless, dotall]
    ports: [8080, "34001-35000"]
    severity: major
  - id: 1002
    name: bye
    pattern: "BYE sip:"
    ports: "5060-5061"
)");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, 1001u);
  EXPECT_EQ(s[0].name, "sip password in clear");
  EXPECT_EQ(s[0].pattern, "sipPassword\"\\s*:");
  EXPECT_EQ(s[0].flags, signature_flag::kCaseless | signature_flag::kDotall);
  ASSERT_EQ(s[0].ports.size(), 2u);
  EXPECT_EQ(s[0].ports[0].from, 8080);
  EXPECT_EQ(s[0].ports[0].to, 8080);
  EXPECT_EQ(s[0].ports[1].from, 34001);
  EXPECT_EQ(s[0].ports[1].to, 35000);
  EXPECT_EQ(s[0].severity, Severity::Major);
  EXPECT_EQ(s[1].flags, 0u);
  EXPECT_EQ(s[1].severity, Severity::Minor);
  ASSERT_EQ(s[1].ports.size(), 1u);
  EXPECT_EQ(s[1].ports[0].from, 5060);
  EXPECT_EQ(s[1].ports[0].to, 5061);
  // What was read compiles, and matches.
  SignatureEngine e(s, 16, false);
  EXPECT_EQ(scan(e, text(R"({"SIPPASSWORD" : "x"})"), 40000, 8080).v, (std::vector<Hit>{{1001, 16}}));
}

TEST(SignatureConfig, AbsentOrNullIsNone) {
  EXPECT_TRUE(parse("tap_id: x\n").empty());
  EXPECT_TRUE(parse("signatures:\n").empty());
}

TEST(SignatureConfig, BadRegexNamesTheIndexAndCarriesHyperscansMessage) {
  ConfigError e = error_of(R"(
signatures:
  - {id: 1001, name: ok, pattern: "abc"}
  - {id: 1002, name: broken, pattern: "(abc"}
)");
  EXPECT_EQ(e.file(), "test.yaml");
  EXPECT_TRUE(Holds(e.key(), "signatures[1].pattern"));
  EXPECT_TRUE(Holds(e.key(), "line 4"));
  EXPECT_TRUE(Holds(e.what(), "Hyperscan refuses the pattern: Missing close parenthesis"));
}

TEST(SignatureConfig, PatternThatMatchesNothingIsRefused) {
  ConfigError e = error_of("signatures:\n  - {id: 1001, name: empty, pattern: \"a*\"}\n");
  EXPECT_TRUE(Holds(e.key(), "signatures[0].pattern"));
  EXPECT_TRUE(Holds(e.what(), "empty buffer"));
}

TEST(SignatureConfig, UnknownFlag) {
  ConfigError e = error_of("signatures:\n  - {id: 1001, name: a, pattern: a, flags: [caseless, nocase]}\n");
  EXPECT_TRUE(Holds(e.key(), "signatures[0].flags[1]"));
  EXPECT_TRUE(Holds(e.what(), "unknown flag 'nocase'"));
}

TEST(SignatureConfig, MissingId) {
  ConfigError e = error_of("signatures:\n  - {id: 1001, name: a, pattern: a}\n  - {name: b, pattern: b}\n");
  EXPECT_TRUE(Holds(e.key(), "signatures[1].id"));
  EXPECT_TRUE(Holds(e.what(), "missing"));
}

TEST(SignatureConfig, DuplicateId) {
  ConfigError e = error_of("signatures:\n  - {id: 1001, name: a, pattern: a}\n  - {id: 1001, name: b, pattern: b}\n");
  EXPECT_TRUE(Holds(e.key(), "signatures[1].id"));
  EXPECT_TRUE(Holds(e.what(), "duplicate id 1001 (also signatures[0])"));
}

TEST(SignatureConfig, OtherMistakesNameTheirKey) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"signatures:\n  - {id: 999, name: a, pattern: a}\n", "signatures[0].id"},
      {"signatures:\n  - {id: 10x1, name: a, pattern: a}\n", "signatures[0].id"},
      {"signatures:\n  - {id: 1001, pattern: a}\n", "signatures[0].name"},
      {"signatures:\n  - {id: 1001, name: a}\n", "signatures[0].pattern"},
      {"signatures:\n  - {id: 1001, name: a, pattern: a, ports: [80, \"90-85\"]}\n", "signatures[0].ports[1]"},
      {"signatures:\n  - {id: 1001, name: a, pattern: a, ports: 70000}\n", "signatures[0].ports"},
      {"signatures:\n  - {id: 1001, name: a, pattern: a, severity: fatal}\n", "signatures[0].severity"},
      {"signatures:\n  - {id: 1001, name: a, pattern: a, port: 80}\n", "signatures[0].port"},
      {"signatures: {id: 1001}\n", "signatures"},
      {"signatures:\n  - just a string\n", "signatures[0]"},
  };
  for (const auto& [yaml, key] : cases) EXPECT_TRUE(Holds(error_of(yaml).key(), key)) << yaml;
}

}  // namespace
}  // namespace wcstap
