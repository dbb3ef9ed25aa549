// WCS JSON messages: constructed after WCS.md and the WCS Web SDK's message shapes (no WCS capture
// is in the corpus), and the text the corpus WebSocket captures carry (not WCS: NotJson).
#include "wcs/wcs_message.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "packet_builder.h"
#include "websocket/websocket.h"

namespace wcstap {
namespace {

using test::Frame;
using test::from_hex;

// The text with the padding the parser reads past its end (as the WebSocket assembler leaves it).
struct Padded {
  explicit Padded(std::string_view s) : bytes(s.begin(), s.end()) {
    bytes.resize(s.size() + kWsMessagePadding, 0);
  }
  Bytes json() const { return Bytes(bytes.data(), bytes.size() - kWsMessagePadding); }
  std::vector<uint8_t> bytes;
};

WcsReadStatus read(WcsMessageReader& r, std::string_view s, WcsMessage& m) {
  const Padded p(s);
  return r.read(p.json(), m);
}

const std::string kSdpOfferJson =
    "v=0\\r\\no=- 1988962254 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\na=group:BUNDLE 0 1\\r\\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\nc=IN IP4 0.0.0.0\\r\\na=ice-ufrag:Kq8p\\r\\n"
    "a=fingerprint:sha-256 AB:CD:EF\\r\\na=rtpmap:111 opus/48000/2\\r\\n";
const std::string kSdpOffer =
    "v=0\r\no=- 1988962254 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:Kq8p\r\n"
    "a=fingerprint:sha-256 AB:CD:EF\r\na=rtpmap:111 opus/48000/2\r\n";

const std::string kPublish =
    R"({"message":"publishStream","data":[{"mediaSessionId":"4a8e6e40-1c8a-11ee-9b5e-3f1c1b1e8f21",)"
    R"("name":"stream-01","published":true,"hasVideo":true,"hasAudio":true,"status":"PENDING",)"
    R"("record":false,"width":0,"height":0,"bitrate":0,"minBitrate":0,"maxBitrate":0,"quality":0,)"
    R"("mediaProvider":"WebRTC","sdp":")" + kSdpOfferJson + R"(","custom":{"k":[1,{"x":null}]}}]})";

const std::string kSetRemoteSdp =
    R"({"message":"setRemoteSDP","data":[" 4a8e6e40-1c8a-11ee-9b5e-3f1c1b1e8f21 ",")" + kSdpOfferJson +
    R"(",{"audio":{"codecs":["opus"]}}]})";

const std::string kFailedByIce =
    R"({"message":"notifyStreamStatusEvent","data":[{"mediaSessionId":"4a8e6e40-1c8a-11ee-9b5e-3f1c1b1e8f21",)"
    R"("name":"stream-01","published":true,"status":"FAILED","info":"Failed by ICE timeout",)"
    R"("sdp":null,"audioCodec":"opus","videoCodec":"H264"}]})";

const std::string kFail =
    R"({"message":"fail","data":[{"apiMethod":"StreamStatusEvent","id":"4a8e6e40","info":"Stream name is already in use"}]})";

// The `connection` a client sends first, with every secret a Web SDK client may put in it.
const std::string kSecretToken = "f00dfeedcafe1234";
const std::string kSecretPassword = "hunter2-SIP";
const std::string kSecretLogin = "alice-sip-login";
const std::string kConnection =
    R"({"message":"connection","data":[{"appKey":"defaultApp","mediaProviders":["WebRTC","MSE"],)"
    R"("keepAlive":false,"authToken":")" + kSecretToken + R"(","clientVersion":"2.0.212",)"
    R"("sipLogin":")" + kSecretLogin + R"(","sipAuthenticationName":")" + kSecretLogin +
    R"(","sipPassword":")" + kSecretPassword + R"(","sipDomain":"pbx.example.com","sipPort":5060,)"
    R"("sipRegisterRequired":true,"urlServer":"ws://wcs.example.com:8080","custom":{}}]})";

TEST(WcsMessage, PublishStreamWithSdp) {
  WcsMessageReader r;
  ASSERT_TRUE(r.ready());
  WcsMessage m;
  ASSERT_EQ(read(r, kPublish, m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::PublishStream);
  EXPECT_EQ(m.message.view(), "publishStream");
  EXPECT_EQ(m.media_session_id.view(), "4a8e6e40-1c8a-11ee-9b5e-3f1c1b1e8f21");
  EXPECT_EQ(m.stream_name.view(), "stream-01");
  EXPECT_EQ(m.status.view(), "PENDING");
  EXPECT_EQ(m.sdp, kSdpOffer);  // unescaped: real CRLFs
  EXPECT_FALSE(m.has_credentials);
  EXPECT_EQ(m.data_elements, 1u);
}

TEST(WcsMessage, SetRemoteSdpArrayForm) {
  WcsMessageReader r;
  WcsMessage m;
  ASSERT_EQ(read(r, kSetRemoteSdp, m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::SetRemoteSdp);
  EXPECT_EQ(m.media_session_id.view(), "4a8e6e40-1c8a-11ee-9b5e-3f1c1b1e8f21");  // trimmed, as the SDK does
  EXPECT_EQ(m.sdp, kSdpOffer);
  EXPECT_EQ(m.data_elements, 3u);
}

TEST(WcsMessage, DataBeforeMessageIsReadTheSame) {
  WcsMessageReader r;
  WcsMessage m;
  const std::string swapped = R"({"data":["abc",")" + kSdpOfferJson + R"("],"message":"setRemoteSDP"})";
  ASSERT_EQ(read(r, swapped, m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::SetRemoteSdp);
  EXPECT_EQ(m.media_session_id.view(), "abc");
  EXPECT_EQ(m.sdp, kSdpOffer);
}

TEST(WcsMessage, PositionalStringsMeanNothingForOtherMessages) {
  WcsMessageReader r;
  WcsMessage m;
  ASSERT_EQ(read(r, R"({"message":"notifyAudioCodec","data":["abc","def"]})", m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::Other);
  EXPECT_EQ(m.message.view(), "notifyAudioCodec");
  EXPECT_TRUE(m.media_session_id.empty());
  EXPECT_TRUE(m.sdp.empty());
}

TEST(WcsMessage, StreamFailedByIceTimeout) {
  WcsMessageReader r;
  WcsMessage m;
  ASSERT_EQ(read(r, kFailedByIce, m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::NotifyStreamStatusEvent);
  EXPECT_EQ(m.status.view(), "FAILED");
  EXPECT_EQ(m.info.view(), "Failed by ICE timeout");
  EXPECT_EQ(m.stream_name.view(), "stream-01");
  EXPECT_EQ(m.media_session_id.view(), "4a8e6e40-1c8a-11ee-9b5e-3f1c1b1e8f21");
  EXPECT_TRUE(m.sdp.empty());  // "sdp":null
}

TEST(WcsMessage, FailNamesTheStreamByItsId) {
  WcsMessageReader r;
  WcsMessage m;
  ASSERT_EQ(read(r, kFail, m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::Fail);
  EXPECT_EQ(m.api_method.view(), "StreamStatusEvent");
  EXPECT_EQ(m.media_session_id.view(), "4a8e6e40");
  EXPECT_EQ(m.info.view(), "Stream name is already in use");
}

TEST(WcsMessage, SipCallEvents) {
  WcsMessageReader r;
  struct Case {
    std::string json;
    WcsMessageName name;
    std::string status;
  };
  const std::vector<Case> cases = {
      {R"({"message":"call","data":[{"callId":"c-17","incoming":false,"status":"PENDING","callee":"1001","sdp":"v=0\r\n"}]})",
       WcsMessageName::Call, "PENDING"},
      {R"({"message":"ring","data":[{"callId":"c-17","status":"RING","sipStatus":180}]})", WcsMessageName::Ring, "RING"},
      {R"({"message":"talk","data":[{"callId":"c-17","status":"ESTABLISHED","sipStatus":200}]})", WcsMessageName::Talk,
       "ESTABLISHED"},
      {R"({"message":"finish","data":[{"callId":"c-17","status":"FINISH","sipStatus":200}]})", WcsMessageName::Finish,
       "FINISH"},
      {R"({"message":"busy","data":[{"callId":"c-17","status":"BUSY","sipStatus":486}]})", WcsMessageName::Busy, "BUSY"},
      {R"({"message":"hangup","data":[{"callId":"c-17"}]})", WcsMessageName::Hangup, ""},
  };
  for (const Case& c : cases) {
    WcsMessage m;
    ASSERT_EQ(read(r, c.json, m), WcsReadStatus::Ok) << c.json;
    EXPECT_EQ(m.name, c.name) << c.json;
    EXPECT_EQ(m.call_id.view(), "c-17");
    EXPECT_EQ(m.status.view(), c.status);
  }
  WcsMessage m;
  ASSERT_EQ(read(r, cases[0].json, m), WcsReadStatus::Ok);
  EXPECT_EQ(m.sdp, "v=0\r\n");
}

TEST(WcsMessage, PingAndPongBodies) {
  WcsMessageReader r;
  WcsMessage m;
  ASSERT_EQ(read(r, R"({"message":"ping","data":[null]})", m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::Ping);
  EXPECT_EQ(m.data_elements, 1u);
  ASSERT_EQ(read(r, R"({"message":"pong","data":[]})", m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::Pong);
  EXPECT_EQ(m.data_elements, 0u);
  ASSERT_EQ(read(r, R"({"message":"pong"})", m), WcsReadStatus::Ok);  // no data at all
}

TEST(WcsMessage, EveryListedNameRoundTrips) {
  for (uint8_t i = 0; i < static_cast<uint8_t>(WcsMessageName::Other); ++i) {
    const auto n = static_cast<WcsMessageName>(i);
    EXPECT_EQ(wcs_message_name_from(wcs_message_name(n)), n) << wcs_message_name(n);
  }
  EXPECT_STREQ(wcs_message_name(WcsMessageName::SetRemoteSdp), "setRemoteSDP");
  EXPECT_EQ(wcs_message_name_from("PublishStream"), WcsMessageName::Other);  // names are case-sensitive
}

// Every byte of a WcsMessage, and the text its views point at, must be free of the secrets.
void expect_no_secret(const WcsMessage& m, const std::string& secret) {
  const auto* raw = reinterpret_cast<const char*>(&m);
  EXPECT_EQ(std::string_view(raw, sizeof m).find(secret), std::string_view::npos) << secret;
  EXPECT_EQ(m.sdp.find(secret), std::string_view::npos) << secret;
}

TEST(WcsMessage, ConnectionCredentialsAreFlaggedNeverCopied) {
  WcsMessageReader r;
  WcsMessage m;
  ASSERT_EQ(read(r, kConnection, m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::Connection);
  EXPECT_EQ(m.app_key.view(), "defaultApp");
  EXPECT_TRUE(m.has_credentials);
  for (const std::string& secret : {kSecretToken, kSecretPassword, kSecretLogin}) {
    EXPECT_EQ(kConnection.find(secret) != std::string::npos, true);  // they are in the input
    expect_no_secret(m, secret);
  }
  for (std::string_view field : {m.message.view(), m.media_session_id.view(), m.stream_name.view(), m.status.view(),
                                 m.info.view(), m.call_id.view(), m.app_key.view(), m.api_method.view()}) {
    for (const std::string& secret : {kSecretToken, kSecretPassword, kSecretLogin})
      EXPECT_EQ(field.find(secret), std::string_view::npos);
  }
}

TEST(WcsMessage, GetUserDataEchoesTheTokenAndIsFlagged) {
  WcsMessageReader r;
  WcsMessage m;
  const std::string json = R"({"message":"getUserData","data":[{"appKey":"defaultApp","authToken":")" + kSecretToken +
                           R"(","sipPassword":")" + kSecretPassword + R"("}]})";
  ASSERT_EQ(read(r, json, m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::GetUserData);
  EXPECT_TRUE(m.has_credentials);
  expect_no_secret(m, kSecretToken);
  expect_no_secret(m, kSecretPassword);
}

TEST(WcsMessage, LongStringsAreCutOnACharacterBoundary) {
  WcsMessageReader r;
  WcsMessage m;
  // 127 ASCII bytes then "é" (2 bytes): 129 bytes do not fit 128, and the cut may not split the é
  const std::string info = std::string(127, 'x') + "\xc3\xa9" + "tail";
  ASSERT_EQ(read(r, R"({"message":"notifyStreamStatusEvent","data":[{"status":"FAILED","info":")" + info + R"("}]})", m),
            WcsReadStatus::Ok);
  EXPECT_TRUE(m.info.truncated);
  EXPECT_EQ(m.info.view(), std::string(127, 'x'));
  EXPECT_FALSE(m.status.truncated);
}

TEST(WcsMessage, EscapedStringsAreUnescaped) {
  WcsMessageReader r;
  WcsMessage m;
  ASSERT_EQ(read(r, R"({"message":"publishStream","data":[{"name":"a\"b\u00e9\/c"}]})", m), WcsReadStatus::Ok);
  EXPECT_EQ(m.stream_name.view(), "a\"b\xc3\xa9/c");
}

TEST(WcsMessage, JsonThatIsNotWcs) {
  WcsMessageReader r;
  WcsMessage m;
  for (std::string_view s : {R"({"foo":1})", R"({"message":5,"data":[]})", R"([1,2,{"message":"ping"}])",
                             R"("message")", "42", "true", "null", R"({})"}) {
    EXPECT_EQ(read(r, s, m), WcsReadStatus::NotWcs) << s;
    EXPECT_EQ(m.name, WcsMessageName::Other);
    EXPECT_TRUE(m.message.empty());
  }
}

TEST(WcsMessage, CorpusWebSocketTextIsNotJson) {
  // every text message of the corpus WebSocket captures (none of them is WCS, or JSON)
  WcsMessageReader r;
  WcsMessage m;
  for (std::string_view s : {"Hello Zeek!", "Hello there!", "Welcome, 192.168.43.1 !", "test message",
                             "21:33:52 ('192.168.43.1', 50999) say: test message", "hello websocket",
                             "21:34:53 ('192.168.43.1', 50999) say: hello websocket"}) {
    EXPECT_EQ(read(r, s, m), WcsReadStatus::NotJson) << s;
  }
  // and a tunnelled TLS record (zeek__websocket_wstunnel-https.pcap, frame 21, unmasked): binary
  const Frame tls = from_hex("170303001ab66eae2d5c404a7b92a2b3df3eaf56628f691025570d2206dc0a");
  EXPECT_EQ(read(r, std::string_view(reinterpret_cast<const char*>(tls.data()), tls.size()), m), WcsReadStatus::NotJson);
}

TEST(WcsMessage, MalformedJsonIsNotJson) {
  WcsMessageReader r;
  WcsMessage m;
  for (std::string_view s : {"", "   ", R"({"message":"ping","data":[)", R"({"message":"ping"} x)",
                             R"({"message":"ping"} {})", R"({"message":"ping"}})", R"("message" "x")",
                             R"({"message":"ping",})", R"({"message":"pi)", "{\"message\":\"pi\x01ng\"}",
                             R"({"message":"ping","data":[{"info":"\q"}]})", "{\"message\":\"p\xffing\"}"}) {
    EXPECT_EQ(read(r, s, m), WcsReadStatus::NotJson) << s;
  }
}

TEST(WcsMessage, LargerThanTheCapacityIsRefusedThenTheReaderGoesOn) {
  WcsMessageReader r(256);
  ASSERT_TRUE(r.ready());
  WcsMessage m;
  EXPECT_EQ(read(r, kPublish, m), WcsReadStatus::TooLarge);  // about 750 bytes
  EXPECT_EQ(read(r, kFail, m), WcsReadStatus::Ok);
  EXPECT_EQ(m.name, WcsMessageName::Fail);
}

TEST(WcsMessage, ThroughTheWebSocketAssembler) {
  // a client's masked text frame carrying notifyStreamStatusEvent, cut into three TCP segments
  const std::array<uint8_t, 4> mask = {0x12, 0x34, 0x56, 0x78};
  Frame frame = {0x81, static_cast<uint8_t>(0x80 | 126), static_cast<uint8_t>(kFailedByIce.size() >> 8),
                 static_cast<uint8_t>(kFailedByIce.size() & 0xff), mask[0], mask[1], mask[2], mask[3]};
  for (size_t i = 0; i < kFailedByIce.size(); ++i) frame.push_back(static_cast<uint8_t>(kFailedByIce[i] ^ mask[i % 4]));
  std::vector<uint8_t> buffer(64 * 1024 + kWsMessagePadding);
  WsMessageAssembler a(buffer);
  WcsMessageReader r;
  WsMessage ws;
  WcsMessage m;
  int messages = 0;
  for (auto [from, to] : {std::pair<size_t, size_t>{0, 3}, {3, 100}, {100, frame.size()}}) {
    Bytes in(frame.data() + from, to - from);
    while (a.next(in, ws) == WsMessageAssembler::Status::Message) {
      ++messages;
      ASSERT_EQ(ws.kind, WsMessageKind::Text);
      ASSERT_EQ(r.read(ws.payload, m), WcsReadStatus::Ok);
    }
  }
  EXPECT_EQ(messages, 1);
  EXPECT_EQ(m.info.view(), "Failed by ICE timeout");
}

// ---- robustness --------------------------------------------------------------------------------

const std::vector<std::string> kSamples = {kPublish, kSetRemoteSdp, kFailedByIce, kFail, kConnection,
                                           R"({"message":"ping","data":[null]})"};

TEST(WcsMessage, EveryTruncationIsNotJson) {
  WcsMessageReader r;
  for (const std::string& s : kSamples) {
    for (size_t n = 0; n < s.size(); ++n) {
      WcsMessage m;
      EXPECT_EQ(read(r, std::string_view(s).substr(0, n), m), WcsReadStatus::NotJson) << n << ": " << s.substr(0, n);
    }
  }
}

void check_sane(WcsMessageReader& r, const std::string& s) {
  WcsMessage m;
  const WcsReadStatus st = read(r, s, m);
  ASSERT_TRUE(st == WcsReadStatus::Ok || st == WcsReadStatus::NotJson || st == WcsReadStatus::NotWcs ||
              st == WcsReadStatus::TooLarge);
  ASSERT_LE(m.message.size, m.message.bytes.size());
  ASSERT_LE(m.info.size, m.info.bytes.size());
  ASSERT_LE(m.media_session_id.size, m.media_session_id.bytes.size());
  if (st != WcsReadStatus::Ok) {
    ASSERT_TRUE(m.message.empty());  // nothing half-read is left behind
    ASSERT_TRUE(m.sdp.empty());
  }
  if (!m.sdp.empty()) {
    ASSERT_LE(m.sdp.size(), s.size());
  }
}

TEST(WcsMessage, RandomAndBitFlippedInputIsSafe) {
  WcsMessageReader r(4096);
  std::mt19937 rng(8080);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 200, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    check_sane(r, s);
  }
  const std::string alphabet = "{}[]\",:\\ 0123456789.-eEtrufalsn";  // JSON's own bytes, to go deeper
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 100, ' ');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    check_sane(r, s);
  }
  for (const std::string& sample : kSamples) {
    for (int i = 0; i < 500; ++i) {
      std::string s = sample;
      for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips)
        s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
      check_sane(r, s);
    }
  }
}

}  // namespace
}  // namespace wcstap
