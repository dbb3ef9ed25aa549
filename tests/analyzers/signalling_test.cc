// The signalling analyzers through the whole pipeline: TCP connections to WCS's WebSocket port
// (SYN unanswered, refused, Upgrade refused, 101 and the close), WCS's JSON (publish with no
// answer, FAILED statuses), WebSocket framing across TCP segments, REST hooks, SIP over UDP and
// TCP (sip_failure by RFC 3261's rules), secrets kept out of events, and garbage on the ports.
#include "pipeline.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <nettle/sha2.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "output/format.h"
#include "packet_builder.h"
#include "signature/signature.h"

namespace wcstap {
namespace {

using test::Frame;

constexpr Nanos kMs = 1'000'000;
constexpr Nanos kSec = 1000 * kMs;
constexpr Nanos kT0 = 1'767'225'600 * kSec;  // 2026-01-01 00:00:00 UTC
Nanos at_ms(uint64_t ms) { return kT0 + ms * kMs; }

constexpr const char* kClientIp = "192.0.2.10";   // a browser (or WCS as a SIP UA / REST client)
constexpr const char* kServerIp = "198.51.100.20";  // WCS (or the PBX, the backend)
constexpr uint16_t kClientPort = 50123;

class Collector : public EventSink {
 public:
  void emit(const Event& ev) override { events.push_back(ev); }

  std::vector<AnomalyEvent> anomalies(AnomalyKind kind) const {
    std::vector<AnomalyEvent> out;
    for (const auto& e : events)
      if (auto* a = std::get_if<AnomalyEvent>(&e); a && a->kind == kind) out.push_back(*a);
    return out;
  }
  std::vector<AnomalyEvent> raised(AnomalyKind kind) const {
    std::vector<AnomalyEvent> out;
    for (const auto& a : anomalies(kind))
      if (a.state == AnomalyState::Raised) out.push_back(a);
    return out;
  }
  std::vector<AnomalyEvent> all_anomalies() const {
    std::vector<AnomalyEvent> out;
    for (const auto& e : events)
      if (auto* a = std::get_if<AnomalyEvent>(&e)) out.push_back(*a);
    return out;
  }
  std::vector<SignallingEvent> signalling(SignallingKind kind) const {
    std::vector<SignallingEvent> out;
    for (const auto& e : events)
      if (auto* s = std::get_if<SignallingEvent>(&e); s && s->kind == kind) out.push_back(*s);
    return out;
  }

  std::vector<Event> events;
};

Config test_config() {
  Config c = default_config();
  c.flows.capacity = 1024;
  c.flows.rtp_streams = 1024;
  c.signalling.connections = 256;
  c.signalling.memory_mb = 4;
  return c;
}

struct Tap {
  explicit Tap(const Config& c = test_config(), std::shared_ptr<const SignatureDatabase> db = nullptr)
      : cfg(c), pipeline(cfg, sink, std::move(db)) {}
  void send(Nanos ts, const Frame& f) { pipeline.process(LinkType::Ethernet, ts, f, static_cast<uint32_t>(f.size())); }
  const PipelineCounters& counters() const { return pipeline.counters(); }

  Config cfg;
  Collector sink;
  Pipeline pipeline;
};

Frame bytes(std::string_view s) { return Frame(s.begin(), s.end()); }
std::string text(const char* s, size_t n) { return std::string(s, strnlen(s, n)); }
template <size_t N>
std::string text(const char (&s)[N]) {
  return text(s, N);
}

Frame tcp_frame(const char* src, const char* dst, const test::TcpHeader& h, const Frame& payload) {
  test::Ipv4Header ih{.src = test::ip4(src), .dst = test::ip4(dst), .proto = test::kIpProtoTcp};
  return test::ethernet(test::kEtherIpv4, test::ipv4(ih, test::tcp(h, payload)));
}

// One TCP connection, client -> server, with sequence numbers kept for both sides.
class TcpConversation {
 public:
  TcpConversation(Tap& tap, uint16_t server_port, uint16_t client_port = kClientPort,
                  const char* client_ip = kClientIp, const char* server_ip = kServerIp)
      : tap_(tap), cip_(client_ip), sip_(server_ip), cport_(client_port), sport_(server_port) {}

  void syn(Nanos t) { client_segment(t, test::kTcpSyn, {}, /*advance=*/false); }
  void synack(Nanos t) {
    server_segment(t, test::kTcpSyn | test::kTcpAck, {}, false);
  }
  void handshake(Nanos t) {
    syn(t);
    ++cseq_;  // the SYN takes a sequence number
    synack(t + kMs);
    ++sseq_;
    client_segment(t + 2 * kMs, test::kTcpAck, {}, false);
  }
  void client(Nanos t, const Frame& payload, uint8_t flags = test::kTcpAck | test::kTcpPsh) {
    client_segment(t, flags, payload, true);
  }
  void server(Nanos t, const Frame& payload, uint8_t flags = test::kTcpAck | test::kTcpPsh) {
    server_segment(t, flags, payload, true);
  }
  // A client segment at a given offset from the next byte, not moving the cursor (reordering).
  void client_at(Nanos t, uint32_t offset, const Frame& payload) {
    tap_.send(t, tcp_frame(cip_, sip_,
                           {.src_port = cport_, .dst_port = sport_, .seq = cseq_ + offset, .ack = sseq_,
                            .flags = test::kTcpAck | test::kTcpPsh},
                           payload));
  }
  void skip_client(uint32_t n) { cseq_ += n; }
  void client_rst(Nanos t) { client_segment(t, test::kTcpRst | test::kTcpAck, {}, false); }
  void server_rst(Nanos t) { server_segment(t, test::kTcpRst | test::kTcpAck, {}, false); }

 private:
  void client_segment(Nanos t, uint8_t flags, const Frame& payload, bool advance) {
    tap_.send(t, tcp_frame(cip_, sip_,
                           {.src_port = cport_, .dst_port = sport_, .seq = cseq_, .ack = sseq_, .flags = flags},
                           payload));
    if (advance) cseq_ += static_cast<uint32_t>(payload.size()) + ((flags & test::kTcpFin) ? 1 : 0);
  }
  void server_segment(Nanos t, uint8_t flags, const Frame& payload, bool advance) {
    tap_.send(t, tcp_frame(sip_, cip_,
                           {.src_port = sport_, .dst_port = cport_, .seq = sseq_, .ack = cseq_, .flags = flags},
                           payload));
    if (advance) sseq_ += static_cast<uint32_t>(payload.size()) + ((flags & test::kTcpFin) ? 1 : 0);
  }

  Tap& tap_;
  const char* cip_;
  const char* sip_;
  uint16_t cport_, sport_;
  uint32_t cseq_ = 1'000'000, sseq_ = 7'000'000;
};

// ---- WebSocket pieces ---------------------------------------------------------------------------

constexpr uint8_t kWsText = 0x1, kWsClose = 0x8, kWsPing = 0x9, kWsPong = 0xA;

// One frame; masked (as a client must) when `masked`.
Frame ws_frame(uint8_t opcode, const Frame& payload, bool masked, bool fin = true) {
  Frame f;
  f.push_back(static_cast<uint8_t>((fin ? 0x80 : 0) | opcode));
  const uint8_t mbit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<uint8_t>(mbit | payload.size()));
  } else if (payload.size() <= 0xffff) {
    f.push_back(mbit | 126);
    f.push_back(static_cast<uint8_t>(payload.size() >> 8));
    f.push_back(static_cast<uint8_t>(payload.size()));
  } else {
    f.push_back(mbit | 127);
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<uint8_t>(static_cast<uint64_t>(payload.size()) >> (8 * i)));
  }
  constexpr uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) f.insert(f.end(), key, key + 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(masked ? payload[i] ^ key[i % 4] : payload[i]);
  return f;
}
Frame ws_text(std::string_view json, bool masked) { return ws_frame(kWsText, bytes(json), masked); }
Frame ws_close(uint16_t code, bool masked) {
  Frame p{static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  return ws_frame(kWsClose, p, masked);
}

constexpr std::string_view kUpgrade =
    "GET /websocket HTTP/1.1\r\n"
    "Host: wcs.example.com:8080\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";
constexpr std::string_view k101 =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

constexpr std::string_view kMsid = "4a8e6e40-1c8a-11ee-9b5e-3f1c1b1e8f21";

std::string publish_stream(std::string_view msid = kMsid, std::string_view name = "stream-01") {
  return R"({"message":"publishStream","data":[{"mediaSessionId":")" + std::string(msid) + R"(","name":")" +
         std::string(name) + R"(","published":true,"hasVideo":true,"sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}]})";
}
std::string set_remote_sdp(std::string_view msid = kMsid) {
  return R"({"message":"setRemoteSDP","data":[")" + std::string(msid) + R"(","v=0\r\no=- 3 4 IN IP4 198.51.100.20\r\ns=-\r\n"]})";
}
std::string stream_status(std::string_view status, std::string_view info, std::string_view msid = kMsid) {
  return R"({"message":"notifyStreamStatusEvent","data":[{"mediaSessionId":")" + std::string(msid) +
         R"(","name":"stream-01","published":true,"status":")" + std::string(status) + R"(","info":")" +
         std::string(info) + R"("}]})";
}

// A WebSocket on 8080, upgraded with RFC 6455's sample key at `t` (+3 ms for the 101).
TcpConversation open_websocket(Tap& tap, Nanos t, uint16_t client_port = kClientPort) {
  TcpConversation c(tap, 8080, client_port);
  c.handshake(t);
  c.client(t + 3 * kMs, bytes(kUpgrade));
  c.server(t + 4 * kMs, bytes(k101));
  return c;
}

// ---- ws_connect_failed -------------------------------------------------------------------------

TEST(Signalling, SynUnansweredRaisesWsConnectFailedAtThreeSeconds) {
  Tap tap;
  TcpConversation c(tap, 8080);
  c.syn(at_ms(1000));
  tap.pipeline.advance(at_ms(3999));
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::ws_connect_failed).empty()) << "raised before syn + 3 s";
  tap.pipeline.advance(at_ms(4000));
  auto an = tap.sink.anomalies(AnomalyKind::ws_connect_failed);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].state, AnomalyState::Raised);
  EXPECT_EQ(an[0].severity, Severity::Critical);
  EXPECT_EQ(an[0].first_ts, at_ms(1000));
  EXPECT_EQ(an[0].ts, at_ms(4000));
  EXPECT_DOUBLE_EQ(an[0].value, 3.0);
  EXPECT_DOUBLE_EQ(an[0].threshold, 3.0);
  EXPECT_EQ(an[0].l4, L4::Tcp);
  EXPECT_EQ(an[0].src, test::endpoint(kClientIp, kClientPort));
  EXPECT_EQ(an[0].dst, test::endpoint(kServerIp, 8080));
  EXPECT_NE(std::string(an[0].detail).find("SYN unanswered"), std::string::npos) << an[0].detail;
  // Once: advancing further does not raise it again.
  tap.pipeline.advance(at_ms(6000));
  EXPECT_EQ(tap.sink.raised(AnomalyKind::ws_connect_failed).size(), 1u);
  // The connection's record says so at the end.
  tap.pipeline.finish();
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(text(conns[0].state), "unanswered");
}

TEST(Signalling, SynAnsweredAt2900msIsNoFailure) {
  Tap tap;
  TcpConversation c(tap, 8080);
  c.syn(at_ms(0));
  c.synack(at_ms(2900));
  tap.pipeline.advance(at_ms(3000));
  tap.pipeline.advance(at_ms(10000));
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::ws_connect_failed).empty());
}

TEST(Signalling, SynRetransmittedStillJudgedFromTheFirst) {
  Tap tap;
  TcpConversation c(tap, 8080);
  c.syn(at_ms(0));
  c.syn(at_ms(1000));  // sent again: the wait still starts at the first
  tap.pipeline.advance(at_ms(2999));
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::ws_connect_failed).empty());
  tap.pipeline.advance(at_ms(3000));
  auto an = tap.sink.raised(AnomalyKind::ws_connect_failed);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].first_ts, at_ms(0));
  EXPECT_NE(std::string(an[0].detail).find("2 sent"), std::string::npos) << an[0].detail;
}

TEST(Signalling, RstAnsweringSynIsRefused) {
  Tap tap;
  TcpConversation c(tap, 8080);
  c.syn(at_ms(0));
  c.server_rst(at_ms(1));
  auto an = tap.sink.raised(AnomalyKind::ws_connect_failed);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].ts, at_ms(1));
  EXPECT_EQ(an[0].src, test::endpoint(kClientIp, kClientPort));
  EXPECT_NE(std::string(an[0].detail).find("refused"), std::string::npos) << an[0].detail;
  EXPECT_NE(std::string(an[0].detail).find("server"), std::string::npos) << an[0].detail;
  // An event, not an open condition: resolved at once; and no SYN timeout on top of it.
  tap.pipeline.advance(at_ms(5000));
  EXPECT_EQ(tap.sink.raised(AnomalyKind::ws_connect_failed).size(), 1u);
  EXPECT_EQ(tap.sink.anomalies(AnomalyKind::ws_connect_failed).back().state, AnomalyState::Resolved);
  tap.pipeline.finish();
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(text(conns[0].state), "refused");
}

// Refused, then tried again from the same port (a new ISN): the new attempt's SYN, unanswered, is
// judged 3 s after it.
TEST(Signalling, SynRetriedAfterRstOnSameTupleJudgedThreeSecondsLater) {
  Tap tap;
  TcpConversation first(tap, 8080);
  first.syn(at_ms(0));
  first.server_rst(at_ms(1));
  ASSERT_EQ(tap.sink.raised(AnomalyKind::ws_connect_failed).size(), 1u);
  TcpConversation again(tap, 8080);
  again.skip_client(5'000);  // another initial sequence number
  again.syn(at_ms(1000));
  tap.pipeline.advance(at_ms(3999));
  EXPECT_EQ(tap.sink.raised(AnomalyKind::ws_connect_failed).size(), 1u);
  tap.pipeline.advance(at_ms(4000));
  // A new attempt (another initial sequence number) after an RST is timed from its own SYN.
  const auto an = tap.sink.raised(AnomalyKind::ws_connect_failed);
  ASSERT_EQ(an.size(), 2u);
  EXPECT_EQ(an[1].first_ts, at_ms(1000));
  EXPECT_EQ(an[1].ts, at_ms(4000));
}

TEST(Signalling, UpgradeAnswered403IsWsConnectFailed) {
  Tap tap;
  TcpConversation c(tap, 8080);
  c.handshake(at_ms(0));
  c.client(at_ms(10), bytes(kUpgrade));
  c.server(at_ms(20), bytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
  auto an = tap.sink.raised(AnomalyKind::ws_connect_failed);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].ts, at_ms(20));
  EXPECT_DOUBLE_EQ(an[0].value, 403);
  EXPECT_DOUBLE_EQ(an[0].threshold, 101);
  EXPECT_NE(std::string(an[0].detail).find("403"), std::string::npos) << an[0].detail;
  EXPECT_NE(std::string(an[0].detail).find("Forbidden"), std::string::npos) << an[0].detail;
  tap.pipeline.finish();
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].status, 403);
  EXPECT_EQ(conns[0].errors, 1u);
}

TEST(Signalling, WrongSecWebSocketAcceptIsWsConnectFailed) {
  Tap tap;
  TcpConversation c(tap, 8080);
  c.handshake(at_ms(0));
  c.client(at_ms(10), bytes(kUpgrade));
  c.server(at_ms(20), bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"));
  auto an = tap.sink.raised(AnomalyKind::ws_connect_failed);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_NE(std::string(an[0].detail).find("wrong Sec-WebSocket-Accept"), std::string::npos) << an[0].detail;
}

TEST(Signalling, Correct101IsNoAnomalyAndTheRecordKeeps101) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(100), ws_frame(kWsPing, bytes("hi"), true));
  c.server(at_ms(101), ws_frame(kWsPong, bytes("hi"), false));
  c.client(at_ms(200), {}, test::kTcpFin | test::kTcpAck);
  c.server(at_ms(201), {}, test::kTcpFin | test::kTcpAck);
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.all_anomalies().empty());
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  const SignallingEvent& e = conns[0];
  EXPECT_EQ(e.protocol, FlowClass::Websocket);
  EXPECT_EQ(e.status, 101);  // no close frame: the Upgrade's answer is the last status
  EXPECT_EQ(text(e.state), "closed");
  EXPECT_EQ(text(e.id), "wcs.example.com:8080");
  EXPECT_EQ(text(e.name), "/websocket");
  EXPECT_EQ(e.client, test::endpoint(kClientIp, kClientPort));
  EXPECT_EQ(e.server, test::endpoint(kServerIp, 8080));
  EXPECT_EQ(e.pings, 1u);
  EXPECT_EQ(e.pongs, 1u);
  EXPECT_EQ(e.first_ts, at_ms(0));
  EXPECT_EQ(e.last_ts, at_ms(201));
}

TEST(Signalling, CloseFrame1000IsNormalAndTheRecordCarriesTheCode) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(100), ws_close(1000, true));
  c.server(at_ms(101), ws_close(1000, false));
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.all_anomalies().empty());
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].status, 1000);
}

// ---- WCS JSON: signalling_no_answer, stream_failed ---------------------------------------------

TEST(Signalling, PublishWithNoAnswerRaisedAfterFiveSecondsResolvedBySetRemoteSdp) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(1000), ws_text(publish_stream(), true));
  tap.pipeline.advance(at_ms(5999));
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::signalling_no_answer).empty()) << "raised before 5 s";
  tap.pipeline.advance(at_ms(6000));
  auto an = tap.sink.anomalies(AnomalyKind::signalling_no_answer);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].state, AnomalyState::Raised);
  EXPECT_EQ(an[0].first_ts, at_ms(1000));
  EXPECT_EQ(an[0].ts, at_ms(6000));
  EXPECT_DOUBLE_EQ(an[0].value, 5.0);
  EXPECT_EQ(an[0].src, test::endpoint(kClientIp, kClientPort));
  const std::string d = an[0].detail;
  EXPECT_NE(d.find("publish"), std::string::npos) << d;
  EXPECT_NE(d.find("stream-01"), std::string::npos) << d;
  // The answer comes late: resolved.
  c.server(at_ms(8000), ws_text(set_remote_sdp(), false));
  an = tap.sink.anomalies(AnomalyKind::signalling_no_answer);
  ASSERT_EQ(an.size(), 2u);
  EXPECT_EQ(an[1].state, AnomalyState::Resolved);
  EXPECT_EQ(an[1].ts, at_ms(8000));
  EXPECT_EQ(an[1].first_ts, at_ms(1000));
  tap.pipeline.finish();
  auto streams = tap.sink.signalling(SignallingKind::WcsStream);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(text(streams[0].id), kMsid);
  EXPECT_EQ(text(streams[0].name), "stream-01");
  EXPECT_DOUBLE_EQ(streams[0].setup_ms, 7000.0);
}

TEST(Signalling, PublishAnsweredWithinFiveSecondsIsNoAnomaly) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(1000), ws_text(publish_stream(), true));
  c.server(at_ms(1300), ws_text(set_remote_sdp(), false));
  c.server(at_ms(1900), ws_text(stream_status("PUBLISHING", ""), false));
  tap.pipeline.advance(at_ms(20000));
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::signalling_no_answer).empty());
  auto streams = tap.sink.signalling(SignallingKind::WcsStream);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(text(streams[0].state), "PUBLISHING");
  EXPECT_DOUBLE_EQ(streams[0].setup_ms, 300.0);
}

TEST(Signalling, StreamFailedCarriesWcsInfo) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(1000), ws_text(publish_stream(), true));
  c.server(at_ms(1200), ws_text(set_remote_sdp(), false));
  c.server(at_ms(9000), ws_text(stream_status("FAILED", "Failed by ICE timeout"), false));
  auto an = tap.sink.raised(AnomalyKind::stream_failed);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].ts, at_ms(9000));
  EXPECT_EQ(an[0].severity, Severity::Major);
  const std::string d = an[0].detail;
  EXPECT_NE(d.find("Failed by ICE timeout"), std::string::npos) << d;
  EXPECT_NE(d.find("stream-01"), std::string::npos) << d;
  EXPECT_EQ(text(an[0].stream), "stream-01");  // the anomaly line names the stream
  EXPECT_NE(event_to_json(Event{an[0]}).find(R"("stream":"stream-01")"), std::string::npos);
  tap.pipeline.finish();
  auto streams = tap.sink.signalling(SignallingKind::WcsStream);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(text(streams[0].state), "FAILED");
  EXPECT_EQ(text(streams[0].detail), "Failed by ICE timeout");
  EXPECT_EQ(streams[0].errors, 1u);
  const std::string json = event_to_json(Event{streams[0]});
  EXPECT_NE(json.find(R"("status":"FAILED")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("info":"Failed by ICE timeout")"), std::string::npos) << json;
}

// ---- WebSocket framing across TCP segments -----------------------------------------------------

TEST(Signalling, FrameSplitAcrossThreeSegmentsIsRead) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  const Frame f = ws_text(publish_stream(), true);
  ASSERT_GT(f.size(), 30u);
  const size_t a = 5, b = f.size() / 2;  // the first cut inside the frame header (mask key)
  c.client(at_ms(1000), Frame(f.begin(), f.begin() + a));
  c.client(at_ms(1001), Frame(f.begin() + a, f.begin() + b));
  EXPECT_EQ(tap.counters().wcs_messages, 0u);
  c.client(at_ms(1002), Frame(f.begin() + b, f.end()));
  EXPECT_EQ(tap.counters().wcs_messages, 1u);
  EXPECT_EQ(tap.counters().ws_malformed, 0u);
  // The message was understood: a publish with no answer.
  tap.pipeline.advance(at_ms(6002));
  auto an = tap.sink.raised(AnomalyKind::signalling_no_answer);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].first_ts, at_ms(1002));
}

TEST(Signalling, SegmentsOutOfOrderAreReassembled) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  const Frame f = ws_text(publish_stream(), true);
  const uint32_t a = 20, b = static_cast<uint32_t>(f.size()) - 20;
  // Third piece first, then the second, then the first.
  c.client_at(at_ms(1000), b, Frame(f.begin() + b, f.end()));
  c.client_at(at_ms(1001), a, Frame(f.begin() + a, f.begin() + b));
  EXPECT_EQ(tap.counters().wcs_messages, 0u);
  c.client_at(at_ms(1002), 0, Frame(f.begin(), f.begin() + a));
  c.skip_client(static_cast<uint32_t>(f.size()));
  EXPECT_EQ(tap.counters().wcs_messages, 1u);
  EXPECT_EQ(tap.counters().tcp_stream_gaps, 0u);
  // And the stream goes on in order after it.
  c.server(at_ms(1100), ws_text(set_remote_sdp(), false));
  c.client(at_ms(1200), ws_close(1000, true));
  tap.pipeline.advance(at_ms(10000));
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::signalling_no_answer).empty());
  auto streams = tap.sink.signalling(SignallingKind::WcsStream);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(text(streams[0].name), "stream-01");
  EXPECT_DOUBLE_EQ(streams[0].setup_ms, 98.0);
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].status, 1000);
}

TEST(Signalling, FragmentedMessageIsReadWhole) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  const std::string json = publish_stream();
  const Frame p1 = bytes(std::string_view(json).substr(0, 40)), p2 = bytes(std::string_view(json).substr(40));
  Frame both = ws_frame(kWsText, p1, true, /*fin=*/false);
  const Frame ping = ws_frame(kWsPing, {}, true);
  both.insert(both.end(), ping.begin(), ping.end());
  const Frame last = ws_frame(0x0, p2, true, true);
  both.insert(both.end(), last.begin(), last.end());
  c.client(at_ms(1000), both);
  EXPECT_EQ(tap.counters().wcs_messages, 1u);
  c.client(at_ms(1100), ws_close(1000, true));
  tap.pipeline.finish();
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].pings, 1u);
  auto streams = tap.sink.signalling(SignallingKind::WcsStream);
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(text(streams[0].name), "stream-01");
}

// ---- ws_abnormal_close -------------------------------------------------------------------------

class AbnormalClose : public ::testing::TestWithParam<uint16_t> {};

TEST_P(AbnormalClose, CloseCodeRaisesWsAbnormalClose) {
  const uint16_t code = GetParam();
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.server(at_ms(500), ws_close(code, false));
  auto an = tap.sink.raised(AnomalyKind::ws_abnormal_close);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].ts, at_ms(500));
  EXPECT_DOUBLE_EQ(an[0].value, code);
  EXPECT_DOUBLE_EQ(an[0].threshold, 1000);
  const std::string d = an[0].detail;
  EXPECT_NE(d.find(std::to_string(code)), std::string::npos) << d;
  EXPECT_NE(d.find("server"), std::string::npos) << d;
  tap.pipeline.finish();
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].status, code);
}
INSTANTIATE_TEST_SUITE_P(Signalling, AbnormalClose, ::testing::Values(1006, 1011));

TEST(Signalling, CloseCodes1000And1001AreNormal) {
  for (uint16_t code : {1000, 1001}) {
    Tap tap;
    TcpConversation c = open_websocket(tap, at_ms(0));
    c.client(at_ms(1000), ws_text(publish_stream(), true));
    c.server(at_ms(1100), ws_text(stream_status("PUBLISHING", ""), false));
    c.client(at_ms(2000), ws_close(code, true));
    c.server(at_ms(2001), ws_close(code, false));
    c.server(at_ms(2002), {}, test::kTcpFin | test::kTcpAck);
    c.client(at_ms(2003), {}, test::kTcpFin | test::kTcpAck);
    tap.pipeline.finish();
    EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::ws_abnormal_close).empty()) << code;
  }
}

TEST(Signalling, RstWithActiveStreamAndNoCloseIsAbnormal) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(1000), ws_text(publish_stream(), true));
  c.server(at_ms(1100), ws_text(set_remote_sdp(), false));
  c.server(at_ms(1500), ws_text(stream_status("PUBLISHING", ""), false));
  c.client_rst(at_ms(30000));
  auto an = tap.sink.raised(AnomalyKind::ws_abnormal_close);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].ts, at_ms(30000));
  EXPECT_DOUBLE_EQ(an[0].value, 1);  // active streams
  const std::string d = an[0].detail;
  EXPECT_NE(d.find("reset"), std::string::npos) << d;
  EXPECT_NE(d.find("client"), std::string::npos) << d;
  EXPECT_NE(d.find("1 stream"), std::string::npos) << d;
  // An established connection reset is no connect failure.
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::ws_connect_failed).empty());
  tap.pipeline.finish();
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(text(conns[0].state), "reset");
}

TEST(Signalling, FinWithNoActiveStreamIsNotAbnormal) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(1000), ws_text(publish_stream(), true));
  c.server(at_ms(1100), ws_text(stream_status("UNPUBLISHED", ""), false));  // final: not active
  c.client(at_ms(2000), {}, test::kTcpFin | test::kTcpAck);
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::ws_abnormal_close).empty());
}

// A close frame and the FIN in one segment (a server that closes right after writing it): the
// close frame is there, so the end is normal.
TEST(Signalling, CloseFrameInTheFinSegmentIsNotAbnormal) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(1000), ws_text(publish_stream(), true));
  c.server(at_ms(1100), ws_text(stream_status("PUBLISHING", ""), false));
  c.server(at_ms(2000), ws_close(1000, false), test::kTcpFin | test::kTcpAck | test::kTcpPsh);
  tap.pipeline.finish();
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].status, 1000);  // the close frame was read
  // The segment's payload is read before its FIN is judged.
  EXPECT_TRUE(tap.sink.raised(AnomalyKind::ws_abnormal_close).empty());
}

// A connection whose handshake happened before the capture (data both ways, no SYN) is
// established: its RST is an abnormal end, not a failed connect.
TEST(Signalling, RstOnConnectionSeenMidStreamIsNoConnectFailure) {
  Tap tap;
  TcpConversation c(tap, 8080);
  c.client(at_ms(0), ws_frame(kWsPing, {}, true));
  c.server(at_ms(1), ws_frame(kWsPong, {}, false));
  c.server_rst(at_ms(1000));
  // Only a handshake the tap saw can fail: a reset of a connection seen mid-stream is not a connect failure.
  EXPECT_TRUE(tap.sink.raised(AnomalyKind::ws_connect_failed).empty());
}

// ---- rest_hook_slow ----------------------------------------------------------------------------

constexpr std::string_view kHookPost =
    "POST /rest/publishStream HTTP/1.1\r\n"
    "Host: backend.example.com:8081\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 17\r\n\r\n"
    "{\"name\":\"s-01\"}\r\n";

Frame http_answer(uint16_t code, std::string_view reason) {
  return bytes("HTTP/1.1 " + std::to_string(code) + " " + std::string(reason) +
               "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
}

// WCS's default application on its own host (loopback) is not a remote backend: not judged.
TEST(Signalling, RestHookToLoopbackIsNotJudged) {
  Tap tap;
  TcpConversation c(tap, 8081, kClientPort, "127.0.0.1", "127.0.0.1");
  c.handshake(at_ms(0));
  c.client(at_ms(10), bytes(kHookPost));
  c.server(at_ms(2510), http_answer(200, "OK"));
  EXPECT_TRUE(tap.sink.raised(AnomalyKind::rest_hook_slow).empty());
  ASSERT_EQ(tap.sink.signalling(SignallingKind::Connection).size(), 0u);  // reported when it ends
  tap.pipeline.finish();
  EXPECT_EQ(tap.sink.signalling(SignallingKind::Connection).size(), 1u);
}

TEST(Signalling, RestHookAnsweredAfter1500msIsSlow) {
  Tap tap;
  TcpConversation c(tap, 8081);
  c.handshake(at_ms(0));
  c.client(at_ms(10), bytes(kHookPost));
  c.server(at_ms(1510), http_answer(200, "OK"));
  auto an = tap.sink.raised(AnomalyKind::rest_hook_slow);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].ts, at_ms(1510));
  EXPECT_DOUBLE_EQ(an[0].value, 1.5);
  EXPECT_DOUBLE_EQ(an[0].threshold, 1.0);
  EXPECT_EQ(an[0].severity, Severity::Major);
  EXPECT_EQ(an[0].src, test::endpoint(kClientIp, kClientPort));
  EXPECT_EQ(an[0].dst, test::endpoint(kServerIp, 8081));
  const std::string d = an[0].detail;
  EXPECT_NE(d.find("/publishStream"), std::string::npos) << d;
  EXPECT_NE(d.find("200"), std::string::npos) << d;
}

TEST(Signalling, RestHookAnsweredAfter200msIsFine) {
  Tap tap;
  TcpConversation c(tap, 8081);
  c.handshake(at_ms(0));
  c.client(at_ms(10), bytes(kHookPost));
  c.server(at_ms(210), http_answer(200, "OK"));
  tap.pipeline.advance(at_ms(30000));
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::rest_hook_slow).empty());
  auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].status, 200);
  EXPECT_EQ(text(conns[0].name), "/rest/publishStream");
}

TEST(Signalling, RestHookAnswered500IsOneEvent) {
  Tap tap;
  TcpConversation c(tap, 8081);
  c.handshake(at_ms(0));
  c.client(at_ms(10), bytes(kHookPost));
  c.server(at_ms(60), http_answer(500, "Internal Server Error"));
  tap.pipeline.advance(at_ms(30000));
  tap.pipeline.finish();
  auto an = tap.sink.raised(AnomalyKind::rest_hook_slow);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_DOUBLE_EQ(an[0].value, 500);
  EXPECT_NE(std::string(an[0].detail).find("500"), std::string::npos) << an[0].detail;
}

TEST(Signalling, RestHookUnansweredFifteenSecondsIsCritical) {
  Tap tap;
  TcpConversation c(tap, 8081);
  c.handshake(at_ms(0));
  c.client(at_ms(10), bytes(kHookPost));
  tap.pipeline.advance(at_ms(15009));
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::rest_hook_slow).empty());
  tap.pipeline.advance(at_ms(15010));
  auto an = tap.sink.raised(AnomalyKind::rest_hook_slow);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].severity, Severity::Critical);
  EXPECT_EQ(an[0].first_ts, at_ms(10));
  EXPECT_EQ(an[0].ts, at_ms(15010));
  // A late answer does not raise it a second time.
  c.server(at_ms(16000), http_answer(200, "OK"));
  tap.pipeline.finish();
  EXPECT_EQ(tap.sink.raised(AnomalyKind::rest_hook_slow).size(), 1u);
}

// A backend on a port the map does not name: recognised by its first line.
TEST(Signalling, RestHookOnUnmappedPortRecognisedByFirstLine) {
  Tap tap;
  TcpConversation c(tap, 9091);
  c.handshake(at_ms(0));
  c.client(at_ms(10), bytes(kHookPost));
  c.server(at_ms(2010), http_answer(200, "OK"));
  auto an = tap.sink.raised(AnomalyKind::rest_hook_slow);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_DOUBLE_EQ(an[0].value, 2.0);
}

// ---- SIP ---------------------------------------------------------------------------------------

const Endpoint kUa = test::endpoint(kClientIp, 30010);
const Endpoint kPbx = test::endpoint(kServerIp, 5060);

std::string sip_request(std::string_view method, uint32_t cseq, std::string_view call_id, std::string_view extra = "",
                        std::string_view cseq_method = "") {
  const std::string cm = cseq_method.empty() ? std::string(method) : std::string(cseq_method);
  return std::string(method) + " sip:1000@198.51.100.20 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.10:30010;branch=z9hG4bK-" + std::to_string(cseq) + cm + "\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:wcs@192.0.2.10>;tag=abc\r\n"
         "To: <sip:1000@198.51.100.20>\r\n"
         "Call-ID: " + std::string(call_id) + "\r\n"
         "CSeq: " + std::to_string(cseq) + " " + cm + "\r\n"
         "Contact: <sip:wcs@192.0.2.10:30010>\r\n" + std::string(extra) +
         "Content-Length: 0\r\n\r\n";
}
std::string sip_response(uint16_t code, std::string_view reason, uint32_t cseq, std::string_view method,
                         std::string_view call_id, std::string_view extra = "") {
  return "SIP/2.0 " + std::to_string(code) + " " + std::string(reason) + "\r\n"
         "Via: SIP/2.0/UDP 192.0.2.10:30010;branch=z9hG4bK-" + std::to_string(cseq) + std::string(method) + "\r\n"
         "From: <sip:wcs@192.0.2.10>;tag=abc\r\n"
         "To: <sip:1000@198.51.100.20>;tag=xyz\r\n"
         "Call-ID: " + std::string(call_id) + "\r\n"
         "CSeq: " + std::to_string(cseq) + " " + std::string(method) + "\r\n" + std::string(extra) +
         "Content-Length: 0\r\n\r\n";
}

struct SipUdp {
  Tap& tap;
  void to_pbx(Nanos t, const std::string& m) { tap.send(t, test::eth_udp(kUa, kPbx, bytes(m))); }
  void to_ua(Nanos t, const std::string& m) { tap.send(t, test::eth_udp(kPbx, kUa, bytes(m))); }
};

constexpr std::string_view kCallId = "a84b4c76e66710@192.0.2.10";

TEST(Signalling, SipInviteAnswered486IsSipFailure) {
  Tap tap;
  SipUdp s{tap};
  s.to_pbx(at_ms(0), sip_request("INVITE", 1, kCallId));
  s.to_ua(at_ms(50), sip_response(100, "Trying", 1, "INVITE", kCallId));
  s.to_ua(at_ms(900), sip_response(486, "Busy Here", 1, "INVITE", kCallId));
  s.to_pbx(at_ms(901), sip_request("ACK", 1, kCallId));
  auto an = tap.sink.raised(AnomalyKind::sip_failure);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].ts, at_ms(900));
  EXPECT_DOUBLE_EQ(an[0].value, 486);
  EXPECT_EQ(an[0].l4, L4::Udp);
  EXPECT_EQ(an[0].src, kUa);
  EXPECT_EQ(an[0].dst, kPbx);
  const std::string d = an[0].detail;
  EXPECT_NE(d.find("INVITE"), std::string::npos) << d;
  EXPECT_NE(d.find("486"), std::string::npos) << d;
  EXPECT_NE(d.find(std::string(kCallId)), std::string::npos) << d;
  tap.pipeline.advance(at_ms(60000));  // no Timer B on top: the INVITE was answered
  tap.pipeline.finish();
  EXPECT_EQ(tap.sink.raised(AnomalyKind::sip_failure).size(), 1u);
  auto dialogs = tap.sink.signalling(SignallingKind::SipDialog);
  ASSERT_EQ(dialogs.size(), 1u);
  EXPECT_EQ(text(dialogs[0].state), "failed");
  EXPECT_EQ(dialogs[0].status, 486);
  EXPECT_EQ(text(dialogs[0].detail), "Busy Here");
  EXPECT_EQ(text(dialogs[0].name), "INVITE");
}

TEST(Signalling, SipInviteChallenged407ThenAuthorizedIsConfirmed) {
  Tap tap;
  SipUdp s{tap};
  s.to_pbx(at_ms(0), sip_request("INVITE", 1, kCallId));
  s.to_ua(at_ms(100), sip_response(407, "Proxy Authentication Required", 1, "INVITE", kCallId,
                                  "Proxy-Authenticate: Digest realm=\"pbx\",nonce=\"n1\"\r\n"));
  s.to_pbx(at_ms(101), sip_request("ACK", 1, kCallId));
  s.to_pbx(at_ms(200), sip_request("INVITE", 2, kCallId,
                                   "Proxy-Authorization: Digest username=\"wcs\",realm=\"pbx\",nonce=\"n1\","
                                   "uri=\"sip:1000@198.51.100.20\",response=\"0123456789abcdef\"\r\n"));
  s.to_ua(at_ms(300), sip_response(180, "Ringing", 2, "INVITE", kCallId));
  s.to_ua(at_ms(2200), sip_response(200, "OK", 2, "INVITE", kCallId));
  s.to_pbx(at_ms(2201), sip_request("ACK", 2, kCallId));
  tap.pipeline.advance(at_ms(40000));
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::sip_failure).empty());
  auto dialogs = tap.sink.signalling(SignallingKind::SipDialog);
  ASSERT_EQ(dialogs.size(), 1u);
  EXPECT_EQ(text(dialogs[0].state), "confirmed");
  EXPECT_EQ(dialogs[0].status, 200);
  EXPECT_EQ(text(dialogs[0].id), kCallId);
}

TEST(Signalling, SipInviteUnansweredIsSipFailureAfterTimerB) {
  Tap tap;
  SipUdp s{tap};
  s.to_pbx(at_ms(1000), sip_request("INVITE", 1, kCallId));
  s.to_pbx(at_ms(1500), sip_request("INVITE", 1, kCallId));  // sent again (Timer A)
  s.to_pbx(at_ms(2500), sip_request("INVITE", 1, kCallId));
  tap.pipeline.advance(at_ms(32999));
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::sip_failure).empty()) << "raised before 32 s";
  tap.pipeline.advance(at_ms(33000));
  auto an = tap.sink.raised(AnomalyKind::sip_failure);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].ts, at_ms(33000));
  const std::string d = an[0].detail;
  EXPECT_NE(d.find("INVITE unanswered"), std::string::npos) << d;
  EXPECT_NE(d.find("2 sent again"), std::string::npos) << d;
  tap.pipeline.finish();
  auto dialogs = tap.sink.signalling(SignallingKind::SipDialog);
  ASSERT_EQ(dialogs.size(), 1u);
  EXPECT_EQ(text(dialogs[0].state), "failed");
  EXPECT_EQ(dialogs[0].retransmits, 2u);
  EXPECT_EQ(text(dialogs[0].detail), "no answer");
}

TEST(Signalling, SipInviteWithProvisionalOnlyIsNoTimerBFailure) {
  Tap tap;
  SipUdp s{tap};
  s.to_pbx(at_ms(0), sip_request("INVITE", 1, kCallId));
  s.to_ua(at_ms(100), sip_response(180, "Ringing", 1, "INVITE", kCallId));
  tap.pipeline.advance(at_ms(60000));
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::sip_failure).empty());
}

TEST(Signalling, SipRegisterRejectedWithCredentialsIsSipFailure) {
  Tap tap;
  SipUdp s{tap};
  const std::string challenge = "WWW-Authenticate: Digest realm=\"pbx\",nonce=\"n1\"\r\n";
  s.to_pbx(at_ms(0), sip_request("REGISTER", 1, kCallId));
  s.to_ua(at_ms(100), sip_response(401, "Unauthorized", 1, "REGISTER", kCallId, challenge));
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::sip_failure).empty()) << "the first challenge is no failure";
  s.to_pbx(at_ms(200), sip_request("REGISTER", 2, kCallId,
                                   "Authorization: Digest username=\"wcs\",realm=\"pbx\",nonce=\"n1\","
                                   "uri=\"sip:198.51.100.20\",response=\"feedface\"\r\n"));
  s.to_ua(at_ms(300), sip_response(401, "Unauthorized", 2, "REGISTER", kCallId, challenge));
  auto an = tap.sink.raised(AnomalyKind::sip_failure);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].ts, at_ms(300));
  EXPECT_DOUBLE_EQ(an[0].value, 401);
  const std::string d = an[0].detail;
  EXPECT_NE(d.find("REGISTER with credentials"), std::string::npos) << d;
  tap.pipeline.finish();
  auto dialogs = tap.sink.signalling(SignallingKind::SipDialog);
  ASSERT_EQ(dialogs.size(), 1u);
  EXPECT_EQ(text(dialogs[0].state), "failed");
  EXPECT_EQ(text(dialogs[0].name), "REGISTER");
}

TEST(Signalling, SipRegisterChallengedThenAcceptedIsRegistered) {
  Tap tap;
  SipUdp s{tap};
  s.to_pbx(at_ms(0), sip_request("REGISTER", 1, kCallId));
  s.to_ua(at_ms(100), sip_response(401, "Unauthorized", 1, "REGISTER", kCallId,
                                  "WWW-Authenticate: Digest realm=\"pbx\",nonce=\"n1\"\r\n"));
  s.to_pbx(at_ms(200), sip_request("REGISTER", 2, kCallId, "Authorization: Digest username=\"wcs\"\r\n"));
  s.to_ua(at_ms(300), sip_response(200, "OK", 2, "REGISTER", kCallId));
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::sip_failure).empty());
  auto dialogs = tap.sink.signalling(SignallingKind::SipDialog);
  ASSERT_EQ(dialogs.size(), 1u);
  EXPECT_EQ(text(dialogs[0].state), "registered");
}

TEST(Signalling, SipInviteCancelled487IsNoFailure) {
  Tap tap;
  SipUdp s{tap};
  s.to_pbx(at_ms(0), sip_request("INVITE", 1, kCallId));
  s.to_ua(at_ms(100), sip_response(180, "Ringing", 1, "INVITE", kCallId));
  s.to_pbx(at_ms(3000), sip_request("CANCEL", 1, kCallId));
  s.to_ua(at_ms(3050), sip_response(200, "OK", 1, "CANCEL", kCallId));
  s.to_ua(at_ms(3060), sip_response(487, "Request Terminated", 1, "INVITE", kCallId));
  s.to_pbx(at_ms(3061), sip_request("ACK", 1, kCallId));
  tap.pipeline.advance(at_ms(60000));
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::sip_failure).empty());
  auto dialogs = tap.sink.signalling(SignallingKind::SipDialog);
  ASSERT_EQ(dialogs.size(), 1u);
  EXPECT_EQ(text(dialogs[0].state), "cancelled");
  EXPECT_EQ(dialogs[0].status, 487);
}

TEST(Signalling, Sip487WithoutCancelIsFailure) {
  Tap tap;
  SipUdp s{tap};
  s.to_pbx(at_ms(0), sip_request("INVITE", 1, kCallId));
  s.to_ua(at_ms(3060), sip_response(487, "Request Terminated", 1, "INVITE", kCallId));
  EXPECT_EQ(tap.sink.raised(AnomalyKind::sip_failure).size(), 1u);
}

// SIP over TCP: two messages in one segment, then one message across two segments.
TEST(Signalling, SipOverTcpMessagesSplitAndJoinedAreRead) {
  Tap tap;
  TcpConversation c(tap, 5060, 30020);
  c.handshake(at_ms(0));
  const std::string invite = sip_request("INVITE", 1, kCallId);
  c.client(at_ms(10), bytes(invite));
  // 100 Trying and 486 Busy Here in one segment.
  c.server(at_ms(500), bytes(sip_response(100, "Trying", 1, "INVITE", kCallId) +
                             sip_response(486, "Busy Here", 1, "INVITE", kCallId)));
  EXPECT_EQ(tap.counters().sip_messages, 3u);
  auto an = tap.sink.raised(AnomalyKind::sip_failure);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].l4, L4::Tcp);
  EXPECT_DOUBLE_EQ(an[0].value, 486);
  // A second call whose 603 comes in two segments, cut inside the status line.
  constexpr std::string_view kCall2 = "second-call@192.0.2.10";
  c.client(at_ms(1000), bytes(sip_request("INVITE", 1, kCall2)));
  const std::string decline = sip_response(603, "Decline", 1, "INVITE", kCall2);
  c.server(at_ms(1500), bytes(decline.substr(0, 12)));
  EXPECT_EQ(tap.sink.raised(AnomalyKind::sip_failure).size(), 1u);
  c.server(at_ms(1501), bytes(decline.substr(12)));
  an = tap.sink.raised(AnomalyKind::sip_failure);
  ASSERT_EQ(an.size(), 2u);
  EXPECT_DOUBLE_EQ(an[1].value, 603);
  EXPECT_EQ(an[1].ts, at_ms(1501));
  EXPECT_NE(std::string(an[1].detail).find("second-call"), std::string::npos) << an[1].detail;
  EXPECT_EQ(tap.counters().sip_messages, 5u);
  EXPECT_EQ(tap.counters().sip_malformed, 0u);
}

TEST(Signalling, SipOnUnmappedUdpPortRecognisedByFirstLine) {
  Tap tap;
  const Endpoint ua = test::endpoint(kClientIp, 30010), pbx = test::endpoint(kServerIp, 15060);
  tap.send(at_ms(0), test::eth_udp(ua, pbx, bytes(sip_request("INVITE", 1, kCallId))));
  tap.send(at_ms(80), test::eth_udp(pbx, ua, bytes(sip_response(480, "Temporarily Unavailable", 1, "INVITE", kCallId))));
  auto an = tap.sink.raised(AnomalyKind::sip_failure);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].dst, pbx);
}

// ---- secrets -----------------------------------------------------------------------------------

TEST(Signalling, SecretsNeverReachAnEvent) {
  Tap tap;
  // A WebSocket whose Upgrade carries a token in its query, and WCS's `connection` with credentials.
  TcpConversation c(tap, 8080);
  c.handshake(at_ms(0));
  std::string upgrade(kUpgrade);
  upgrade.replace(upgrade.find("/websocket"), 10, "/websocket?authToken=tok-SECRET-4");
  c.client(at_ms(3), bytes(upgrade));
  c.server(at_ms(4), bytes(k101));
  c.client(at_ms(100),
           ws_text(R"({"message":"connection","data":[{"appKey":"defaultApp","authToken":"tok-SECRET-1",)"
                   R"("sipLogin":"1000","sipAuthenticationName":"1000","sipPassword":"pw-SECRET-2",)"
                   R"("sipDomain":"pbx.example.com","sipRegisterRequired":true}]})",
                   true));
  c.client(at_ms(200), ws_text(publish_stream(), true));
  c.server(at_ms(300), ws_text(stream_status("FAILED", "Failed by ICE timeout"), false));
  c.server(at_ms(400), ws_close(1011, false));
  // SIP: a REGISTER whose Authorization carries the Digest response, rejected (an event follows).
  SipUdp s{tap};
  s.to_pbx(at_ms(500), sip_request("REGISTER", 1, kCallId));
  s.to_ua(at_ms(600), sip_response(401, "Unauthorized", 1, "REGISTER", kCallId,
                                  "WWW-Authenticate: Digest realm=\"pbx\",nonce=\"n1\"\r\n"));
  s.to_pbx(at_ms(700), sip_request("REGISTER", 2, kCallId,
                                   "Authorization: Digest username=\"1000\",realm=\"pbx\",nonce=\"n1\","
                                   "uri=\"sip:pbx\",response=\"resp-SECRET-3\"\r\n"));
  s.to_ua(at_ms(800), sip_response(403, "Forbidden", 2, "REGISTER", kCallId));
  tap.pipeline.advance(at_ms(60000));
  tap.pipeline.finish();
  // Events that could have carried them did go out.
  EXPECT_EQ(tap.sink.raised(AnomalyKind::sip_failure).size(), 1u);
  EXPECT_EQ(tap.sink.raised(AnomalyKind::stream_failed).size(), 1u);
  EXPECT_EQ(tap.sink.raised(AnomalyKind::ws_abnormal_close).size(), 1u);
  EXPECT_EQ(tap.sink.signalling(SignallingKind::Connection).size(), 1u);
  EXPECT_EQ(tap.sink.signalling(SignallingKind::SipDialog).size(), 1u);
  EXPECT_EQ(tap.sink.signalling(SignallingKind::WcsStream).size(), 1u);
  ASSERT_GE(tap.sink.events.size(), 6u);
  for (const Event& e : tap.sink.events) {
    const std::string json = event_to_json(e);
    const std::string words = event_to_text(e);
    for (const char* secret : {"SECRET", "tok-", "pw-", "resp-"}) {
      EXPECT_EQ(json.find(secret), std::string::npos) << secret << " in " << json;
      EXPECT_EQ(words.find(secret), std::string::npos) << secret << " in " << words;
    }
  }
  EXPECT_EQ(summary_to_json(tap.counters()).find("SECRET"), std::string::npos);
}

// ---- the WCS message prefilter, one signature database for several pipelines -------------------

// Text frames with no "message":"<name>" are another application's: not parsed as JSON, and so
// not counted as WCS messages; a WCS message with a name the tap does not know still is.
TEST(Signalling, TextWithoutAWcsMessageNameIsNotParsed) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(100), ws_text(R"({"type":"chat","text":"hello"})", true));
  c.server(at_ms(200), ws_text("plain text, no JSON", false));
  c.server(at_ms(300), ws_text(R"({"data":[{"id":"x"}],"message":"notifyAudioCodec"})", false));
  c.client(at_ms(400), ws_text(publish_stream(), true));
  c.server(at_ms(500), ws_text(set_remote_sdp(), false));
  EXPECT_EQ(tap.counters().ws_messages, 5u);
  EXPECT_EQ(tap.counters().wcs_messages, 3u);
  tap.pipeline.finish();
  const auto conns = tap.sink.signalling(SignallingKind::Connection);
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].requests, 3u);  // the Upgrade and two client texts
  EXPECT_EQ(tap.sink.signalling(SignallingKind::WcsStream).size(), 1u);
}

// Two pipelines (two workers) on one compiled database: the events one pipeline compiling its own
// gives, with each pipeline's Hyperscan streams its own (a user signature split across TCP
// segments, both pipelines' segments interleaved).
TEST(Signalling, PipelinesSharingOneSignatureDatabaseGiveTheSameEvents) {
  Config cfg = test_config();
  Signature sg;
  sg.id = 1001;
  sg.name = "token in clear";
  sg.pattern = "tok-[0-9]{4}-end";
  sg.severity = Severity::Major;
  cfg.signatures = {sg};
  const auto db = SignatureDatabase::compile(cfg.signatures);
  Tap a(cfg, db), b(cfg, db), own(cfg);
  std::vector<TcpConversation> conv;
  for (Tap* t : {&a, &b, &own}) conv.push_back(open_websocket(*t, at_ms(0)));
  const std::string msg = R"({"message":"notifyStreamStatusEvent","data":[{"info":"tok-1234-end"}]})";
  const Frame frame = ws_text(msg, false);
  const size_t cut = 2 + msg.find("1234");  // "...tok-12" | "34-end..."
  for (auto& c : conv) c.client(at_ms(100), ws_text(publish_stream(), true));
  for (auto& c : conv) c.server(at_ms(200), Frame(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(cut)));
  for (auto& c : conv) c.server(at_ms(201), Frame(frame.begin() + static_cast<std::ptrdiff_t>(cut), frame.end()));
  for (auto& c : conv) c.server(at_ms(300), ws_text(stream_status("FAILED", "Failed by ICE timeout"), false));
  for (auto& c : conv) c.server(at_ms(400), ws_close(1011, false));
  std::vector<std::vector<std::string>> out;
  for (Tap* t : {&a, &b, &own}) {
    t->pipeline.advance(at_ms(60000));
    t->pipeline.finish();
    EXPECT_EQ(t->sink.raised(AnomalyKind::signature_match).size(), 1u);
    EXPECT_EQ(t->counters().signature_matches, 1u);
    std::vector<std::string> lines;
    for (const Event& e : t->sink.events) lines.push_back(event_to_json(e));
    out.push_back(lines);
  }
  EXPECT_GE(out[0].size(), 4u);
  EXPECT_EQ(out[0], out[1]);
  EXPECT_EQ(out[0], out[2]);
}

// ---- garbage -----------------------------------------------------------------------------------

Frame random_bytes(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> byte(0, 255);
  Frame f(n);
  for (auto& b : f) b = static_cast<uint8_t>(byte(rng));
  return f;
}

TEST(Signalling, RandomBytesOnTheWebSocketPortAreCountedNotFatal) {
  Tap tap;
  std::mt19937 rng(12345);
  TcpConversation c(tap, 8080);
  c.handshake(at_ms(0));
  for (int i = 0; i < 200; ++i) {
    Frame f = random_bytes(rng, 1 + rng() % 1400);
    f[0] = 0x01;  // never a TLS record's first byte, and never a method: not a message start
    (i % 2 ? c.server(at_ms(10 + i), f) : c.client(at_ms(10 + i), f));
  }
  tap.pipeline.advance(at_ms(60000));
  tap.pipeline.finish();
  const PipelineCounters& k = tap.counters();
  EXPECT_GE(k.http_malformed, 100u);  // a line may run on into the next segment: counted once
  EXPECT_EQ(k.http_messages, 0u);
  EXPECT_EQ(k.signalling_connections, 1u);
  const std::string summary = summary_to_json(k);
  EXPECT_NE(summary.find("\"http_malformed\":" + std::to_string(k.http_malformed)), std::string::npos) << summary;
  EXPECT_TRUE(tap.sink.all_anomalies().empty());
}

TEST(Signalling, RandomBytesOnTheSipPortAreCountedNotFatal) {
  Tap tap;
  std::mt19937 rng(777);
  for (int i = 0; i < 200; ++i) {
    Frame f = random_bytes(rng, 1 + rng() % 1400);
    f[0] = 0x01;
    tap.send(at_ms(i), test::eth_udp(kUa, kPbx, f));
  }
  EXPECT_EQ(tap.counters().sip_malformed, 200u);
  // Over TCP too.
  TcpConversation c(tap, 5060, 30030);
  c.handshake(at_ms(1000));
  for (int i = 0; i < 100; ++i) {
    Frame f = random_bytes(rng, 1 + rng() % 1400);
    f[0] = 0x01;
    c.client(at_ms(1010 + i), f);
  }
  tap.pipeline.advance(at_ms(60000));
  tap.pipeline.finish();
  EXPECT_GT(tap.counters().sip_malformed, 200u);
  EXPECT_EQ(tap.counters().sip_messages, 0u);
  const std::string summary = summary_to_json(tap.counters());
  EXPECT_NE(summary.find("\"sip_malformed\":" + std::to_string(tap.counters().sip_malformed)), std::string::npos)
      << summary;
  EXPECT_TRUE(tap.sink.anomalies(AnomalyKind::sip_failure).empty());
}

// Garbage WebSocket frames after a real Upgrade, and truncated SIP: nothing crashes, and the
// signalling that follows on other connections is still read.
TEST(Signalling, FuzzedFramesAfterUpgradeNeverCrash) {
  Tap tap;
  std::mt19937 rng(4242);
  for (uint16_t conn = 0; conn < 20; ++conn) {
    TcpConversation c = open_websocket(tap, at_ms(conn * 100), static_cast<uint16_t>(40000 + conn));
    for (int i = 0; i < 20; ++i) {
      Frame f = random_bytes(rng, 1 + rng() % 300);
      if (i % 3 == 0) f = ws_frame(static_cast<uint8_t>(rng() % 16), random_bytes(rng, rng() % 200), rng() % 2);
      (rng() % 2 ? c.server(at_ms(conn * 100 + 10 + i), f) : c.client(at_ms(conn * 100 + 10 + i), f));
    }
    if (conn % 2) c.client_rst(at_ms(conn * 100 + 50));
  }
  SipUdp s{tap};
  const std::string invite = sip_request("INVITE", 1, kCallId);
  for (size_t n = 1; n < invite.size(); n += 7) s.to_pbx(at_ms(5000 + n), invite.substr(0, n));
  tap.pipeline.advance(at_ms(100000));
  tap.pipeline.finish();
  EXPECT_GT(tap.counters().ws_messages + tap.counters().ws_malformed, 0u);
  EXPECT_EQ(tap.sink.signalling(SignallingKind::Connection).size(), 20u);
  // A healthy call afterwards is still judged.
  Tap tap2;
  SipUdp s2{tap2};
  s2.to_pbx(at_ms(0), invite);
  s2.to_ua(at_ms(10), sip_response(503, "Service Unavailable", 1, "INVITE", kCallId));
  EXPECT_EQ(tap2.sink.raised(AnomalyKind::sip_failure).size(), 1u);
}

// ---- the session correlator: SDP fingerprints against the DTLS certificates ---------------------

std::string hex_fingerprint(const Frame& der) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, der.size(), der.data());
  std::array<uint8_t, 32> d{};
  sha256_digest(&ctx, d.size(), d.data());
  std::string out;
  char b[4];
  for (size_t i = 0; i < d.size(); ++i) {
    std::snprintf(b, sizeof b, i ? ":%02X" : "%02X", d[i]);
    out += b;
  }
  return out;
}

Frame udp_frame(const char* src, uint16_t sport, const char* dst, uint16_t dport, const Frame& payload) {
  test::Ipv4Header ih{.src = test::ip4(src), .dst = test::ip4(dst), .proto = test::kIpProtoUdp};
  return test::ethernet(test::kEtherIpv4, test::ipv4(ih, test::udp(sport, dport, payload)));
}

Frame dtls_handshake_msg(uint8_t type, uint16_t message_seq, const Frame& body, uint64_t record_seq) {
  return test::dtls_record(22, 0xfefd, test::dtls_fragment(type, static_cast<uint32_t>(body.size()), message_seq, 0, body),
                           0, record_seq);
}

// A publish whose SDP offer (the browser's, ufrag "brwsr") and answer (WCS's, ufrag "wcsu")
// announce fingerprints; then ICE on the media flow and the browser's certificate in DTLS.
// Returns the fingerprint-mismatch anomalies.
std::vector<AnomalyEvent> publish_then_dtls(const std::string& offer_fp, const std::string& answer_fp, const Frame& cert) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  const std::string offer = "v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\na=ice-ufrag:brwsr\\r\\na=fingerprint:sha-256 " +
                            offer_fp + "\\r\\nm=video 9 UDP/TLS/RTP/SAVPF 96\\r\\nc=IN IP4 0.0.0.0\\r\\na=rtpmap:96 VP8/90000\\r\\n";
  const std::string answer = "v=0\\r\\no=- 3 4 IN IP4 198.51.100.20\\r\\ns=-\\r\\na=ice-ufrag:wcsu\\r\\na=fingerprint:sha-256 " +
                             answer_fp + "\\r\\nm=video 31002 UDP/TLS/RTP/SAVPF 96\\r\\nc=IN IP4 198.51.100.20\\r\\n";
  c.client(at_ms(10), ws_text(R"({"message":"publishStream","data":[{"mediaSessionId":")" + std::string(kMsid) +
                                  R"(","name":"cam1","sdp":")" + offer + R"("}]})",
                              true));
  c.server(at_ms(20), ws_text(R"({"message":"setRemoteSDP","data":[")" + std::string(kMsid) + R"(",")" + answer + R"("]})",
                              false));
  const char* browser = "203.0.113.7";
  const char* wcs = "198.51.100.20";
  const std::string user = "wcsu:brwsr";
  tap.send(at_ms(100), udp_frame(browser, 50000, wcs, 31002,
                                 test::stun_message(0x0001, 1, test::stun_attribute(0x0006, Frame(user.begin(), user.end())))));
  tap.send(at_ms(200), udp_frame(wcs, 31002, browser, 50000, dtls_handshake_msg(1, 0, Frame(80, 0x11), 0)));
  const Frame cert_msg = test::concat({0x00, 0x00, static_cast<uint8_t>(cert.size() + 3), 0x00, 0x00,
                                       static_cast<uint8_t>(cert.size())},
                                      cert);
  tap.send(at_ms(240), udp_frame(browser, 50000, wcs, 31002, dtls_handshake_msg(11, 1, cert_msg, 1)));
  tap.pipeline.finish();
  // The stream record names the session its SDPs agreed.
  const auto streams = tap.sink.signalling(SignallingKind::WcsStream);
  EXPECT_EQ(streams.size(), 1u);
  if (!streams.empty()) {
    EXPECT_NE(streams[0].session, 0u);
  }
  return tap.sink.raised(AnomalyKind::dtls_fingerprint_mismatch);
}

TEST(Signalling, CertificateMatchingTheSdpFingerprintIsQuiet) {
  const Frame cert(32, 0x33);
  EXPECT_TRUE(publish_then_dtls(hex_fingerprint(cert), hex_fingerprint(Frame(32, 0x44)), cert).empty());
}

TEST(Signalling, CertificateMatchingNoSdpFingerprintIsAMismatch) {
  const Frame cert(32, 0x33);
  const auto an = publish_then_dtls(hex_fingerprint(Frame(32, 0x55)), hex_fingerprint(Frame(32, 0x44)), cert);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].src, test::endpoint("203.0.113.7", 50000));  // the side whose certificate it is
  EXPECT_NE(an[0].session, 0u);
  const std::string d = an[0].detail;
  EXPECT_NE(d.find("matches no a=fingerprint"), std::string::npos) << d;
  EXPECT_NE(d.find("cam1"), std::string::npos) << d;
}

// WCS behind NAT without its external address: the answer offers only private candidates to a
// browser on a public address.
std::vector<AnomalyEvent> answer_with_candidate(const std::string& candidate_ip) {
  Tap tap;
  TcpConversation c = open_websocket(tap, at_ms(0));
  c.client(at_ms(10), ws_text(publish_stream(), true));
  const std::string answer = "v=0\\r\\no=- 3 4 IN IP4 " + candidate_ip +
                             "\\r\\ns=-\\r\\na=ice-ufrag:wcsu\\r\\nm=video 31002 UDP/TLS/RTP/SAVPF 96\\r\\nc=IN IP4 " +
                             candidate_ip + "\\r\\na=candidate:1 1 udp 2122260223 " + candidate_ip +
                             " 31002 typ host\\r\\n";
  c.server(at_ms(20), ws_text(R"({"message":"setRemoteSDP","data":[")" + std::string(kMsid) + R"(",")" + answer + R"("]})",
                              false));
  return tap.sink.raised(AnomalyKind::nat_address_mismatch);
}

TEST(Signalling, AnswerWithOnlyPrivateCandidatesToAPublicBrowserIsNatMismatch) {
  const auto an = answer_with_candidate("10.0.0.5");
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].src, test::endpoint(kClientIp, kClientPort));
  EXPECT_NE(std::string(an[0].detail).find("10.0.0.5:31002"), std::string::npos) << an[0].detail;
}

TEST(Signalling, AnswerWithAPublicCandidateIsNoNatMismatch) {
  EXPECT_TRUE(answer_with_candidate("198.51.100.20").empty());
}

// ---- SIP media: named after the call, judged against the direction the SDPs agreed -------------

const Endpoint kUaMedia = test::endpoint(kClientIp, 40000);
const Endpoint kPbxMedia = test::endpoint(kServerIp, 50000);

std::string sdp_audio(const Endpoint& at, std::string_view direction) {
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, at.addr.data(), ip, sizeof ip);
  return std::string("v=0\r\no=- 1 1 IN IP4 ") + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
         std::to_string(at.port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=" + std::string(direction) + "\r\n";
}
// A SIP message built with an empty body, given `sdp` as its body instead.
std::string with_sdp(std::string msg, const std::string& sdp) {
  const std::string empty = "Content-Length: 0\r\n\r\n";
  const size_t at = msg.rfind(empty);
  msg.replace(at, empty.size(),
              "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp);
  return msg;
}

// An answered, acknowledged call whose SDPs say `ua_dir` and `pbx_dir`; then PCMU from the UA
// only, every 20 ms for `ms`.
void one_way_call(Tap& tap, std::string_view ua_dir, std::string_view pbx_dir, uint32_t ms) {
  SipUdp s{tap};
  s.to_pbx(at_ms(0), with_sdp(sip_request("INVITE", 1, kCallId), sdp_audio(kUaMedia, ua_dir)));
  s.to_ua(at_ms(300), with_sdp(sip_response(200, "OK", 1, "INVITE", kCallId), sdp_audio(kPbxMedia, pbx_dir)));
  s.to_pbx(at_ms(310), sip_request("ACK", 1, kCallId));
  for (uint32_t i = 0; i * 20 < ms; ++i)
    tap.send(at_ms(400 + i * 20),
             test::eth_udp(kUaMedia, kPbxMedia,
                           test::rtp({.pt = 0, .seq = static_cast<uint16_t>(i), .timestamp = i * 160, .ssrc = 0x5151})));
}

TEST(Signalling, SipMediaOneWayAgainstSendrecvIsOneWayNamedAfterTheCall) {
  Tap tap;
  one_way_call(tap, "sendrecv", "sendrecv", 5000);
  auto an = tap.sink.raised(AnomalyKind::one_way_media);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].src, kUaMedia);
  EXPECT_EQ(an[0].severity, Severity::Critical);
  EXPECT_EQ(text(an[0].stream), std::string(kCallId));
  EXPECT_EQ(tap.counters().one_way_agreed_by_sdp, 0u);
  ASSERT_EQ(tap.sink.raised(AnomalyKind::sip_rtp_mismatch).size(), 1u);  // nothing reached the UA
  tap.pipeline.finish();
  int streams = 0;
  for (const auto& e : tap.sink.events)
    if (auto* r = std::get_if<RtpStreamEvent>(&e)) {
      ++streams;
      EXPECT_EQ(text(r->stream), std::string(kCallId));
      EXPECT_EQ(r->session, 0u);  // no WebRTC session
      EXPECT_EQ(r->clock_source, ClockSource::Sdp);
      const std::string json = event_to_json(e);
      EXPECT_NE(json.find(R"("stream":")" + std::string(kCallId) + "\""), std::string::npos) << json;
    }
  EXPECT_EQ(streams, 1);
}

TEST(Signalling, SipCallWithoutRtpIsNotJudgedWhenItsMediaMayBeOnAnotherWorker) {
  // A dataplane balancing by 5-tuple: the call's RTP may be another worker's, so not seeing it here
  // is no sip_rtp_mismatch (the same call in one pipeline is: SipMediaOneWayAgainstSendrecv...).
  Tap tap;
  tap.pipeline.media_may_be_elsewhere(true);
  one_way_call(tap, "sendrecv", "sendrecv", 5000);
  EXPECT_TRUE(tap.sink.raised(AnomalyKind::sip_rtp_mismatch).empty());
  EXPECT_EQ(tap.sink.raised(AnomalyKind::one_way_media).size(), 1u);  // judged on the stream's own flow
}

TEST(Signalling, SipCallOneWayAsTheSdpAgreedIsOnlyInfo) {
  for (const auto& [ua, pbx] : {std::pair{"sendonly", "recvonly"}, std::pair{"sendrecv", "recvonly"},
                                std::pair{"sendonly", "sendrecv"}}) {
    Tap tap;
    one_way_call(tap, ua, pbx, 5000);
    auto an = tap.sink.raised(AnomalyKind::one_way_media);
    ASSERT_EQ(an.size(), 1u) << ua << "/" << pbx;
    EXPECT_EQ(an[0].severity, Severity::Info) << ua << "/" << pbx;
    EXPECT_NE(std::string(an[0].detail).find("as the SDP agreed"), std::string::npos) << an[0].detail;
    EXPECT_TRUE(tap.sink.raised(AnomalyKind::sip_rtp_mismatch).empty()) << ua << "/" << pbx;
    EXPECT_EQ(tap.counters().one_way_agreed_by_sdp, 1u) << ua << "/" << pbx;
  }
}

TEST(Signalling, SipCallWhoseReceiverSaidSendonlyStillGetsOneWayWhenMediaGoesTheOtherWay) {
  // The PBX said sendonly: media from the UA to it is against the agreement, not excused by it.
  Tap tap;
  one_way_call(tap, "recvonly", "sendonly", 5000);
  auto an = tap.sink.raised(AnomalyKind::one_way_media);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_EQ(an[0].severity, Severity::Critical);
  EXPECT_EQ(tap.counters().one_way_agreed_by_sdp, 0u);
}

// ---- RTSP: the DESCRIBE's clock rates and URL follow RTP to the ports SETUP chose ---------------

constexpr const char* kCameraUrl = "rtsp://198.51.100.20:554/live/cam1";
const Endpoint kCameraRtp = test::endpoint(kServerIp, 7000);
const Endpoint kViewerRtp = test::endpoint(kClientIp, 6000);

std::string rtsp_request(std::string_view method, uint32_t cseq, std::string_view extra = "") {
  return std::string(method) + " " + kCameraUrl + " RTSP/1.0\r\nCSeq: " + std::to_string(cseq) + "\r\n" +
         std::string(extra) + "\r\n";
}
std::string rtsp_answer(uint32_t cseq, std::string_view extra = "", std::string_view body = "") {
  std::string m = "RTSP/1.0 200 OK\r\nCSeq: " + std::to_string(cseq) + "\r\n" + std::string(extra);
  if (!body.empty())
    m += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  return m + "\r\n" + std::string(body);
}

// DESCRIBE (H.264 at PT 96, 90 kHz, port 0), SETUP over UDP (client_port 6000-6001), PLAY; then
// `packets` RTP packets from the camera's server_port to the viewer's client_port, 40 ms apart.
void rtsp_udp_session(Tap& tap, uint32_t packets) {
  TcpConversation c(tap, 554);
  c.handshake(at_ms(0));
  c.client(at_ms(10), bytes(rtsp_request("DESCRIBE", 1, "Accept: application/sdp\r\n")));
  c.server(at_ms(20), bytes(rtsp_answer(1, "", "v=0\r\no=- 1 1 IN IP4 198.51.100.20\r\ns=cam\r\nc=IN IP4 0.0.0.0\r\n"
                                                "t=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n")));
  c.client(at_ms(30), bytes(rtsp_request("SETUP", 2, "Transport: RTP/AVP;unicast;client_port=6000-6001\r\n")));
  c.server(at_ms(40), bytes(rtsp_answer(2, "Transport: RTP/AVP;unicast;client_port=6000-6001;server_port=7000-7001\r\n"
                                           "Session: 12345678\r\n")));
  c.client(at_ms(50), bytes(rtsp_request("PLAY", 3, "Session: 12345678\r\n")));
  c.server(at_ms(60), bytes(rtsp_answer(3, "Session: 12345678\r\n")));
  for (uint32_t i = 0; i < packets; ++i)
    tap.send(at_ms(100 + i * 40), test::eth_udp(kCameraRtp, kViewerRtp,
                                                test::rtp({.pt = 96, .seq = static_cast<uint16_t>(i),
                                                           .timestamp = i * 3600, .ssrc = 0xCAFE})));
}

TEST(Signalling, RtspRtpOverUdpGetsTheDescribeClockRateAndUrl) {
  Tap tap;
  rtsp_udp_session(tap, 200);
  tap.pipeline.finish();
  EXPECT_TRUE(tap.sink.raised(AnomalyKind::rtsp_failure).empty());
  int streams = 0;
  for (const auto& e : tap.sink.events)
    if (auto* r = std::get_if<RtpStreamEvent>(&e)) {
      ++streams;
      EXPECT_EQ(r->src, kCameraRtp);
      EXPECT_EQ(r->clock_source, ClockSource::Sdp);
      EXPECT_EQ(r->clock_rate, 90000u);
      EXPECT_EQ(text(r->stream), kCameraUrl);
    }
  EXPECT_EQ(streams, 1);
}

TEST(Signalling, RtspPlayedOverUdpWithNoRtpIsRtspFailure) {
  Tap tap;
  rtsp_udp_session(tap, 0);
  // Something else on the wire moves packet time on past the wait.
  for (uint32_t i = 0; i < 100; ++i)
    tap.send(at_ms(100 + i * 100), test::eth_udp(kUa, kPbx, bytes("\r\n\r\n")));
  auto an = tap.sink.raised(AnomalyKind::rtsp_failure);
  ASSERT_EQ(an.size(), 1u);
  EXPECT_NE(std::string(an[0].detail).find("RTP over UDP"), std::string::npos) << an[0].detail;
  EXPECT_EQ(text(an[0].stream), kCameraUrl);
}

}  // namespace
}  // namespace wcstap
