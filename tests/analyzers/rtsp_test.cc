// RTSP parsing on a LibVLC <-> VLC session from the corpus (ndpi__rtsp.pcap, hex of the TCP
// payloads), and the interleaved frames that share a TCP stream with the messages.
#include "rtsp/rtsp.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "packet_builder.h"
#include "sdp/sdp.h"

namespace wcstap {
namespace {

using test::Frame;
using test::from_hex;

// ndpi__rtsp.pcap, first connection (10.1.1.10:52472 -> 10.2.2.2:8554), frames 25/33 (OPTIONS),
// 37/45+53 (DESCRIBE; the answer's head and its 695-byte SDP in two segments), 57/65 and 69
// (SETUP of both tracks), 81/89 (PLAY); frame 1: a keep-alive GET_PARAMETER of an earlier session.
const std::string kOptions =
    "4f5054494f4e5320727473703a2f2f31302e322e322e323a383535342f20525453502f312e300d0a435365713a20320d"
    "0a557365722d4167656e743a204c6962564c432f332e302e313620284c4956453535352053747265616d696e67204d65"
    "6469612076323031362e31312e3238290d0a0d0a";
const std::string kOptionsOk =
    "525453502f312e3020323030204f4b0d0a5365727665723a20564c432f332e302e31320d0a436f6e74656e742d4c656e"
    "6774683a20300d0a437365713a20320d0a5075626c69633a2044455343524942452c53455455502c54454152444f574e"
    "2c504c41592c50415553452c4745545f504152414d455445520d0a0d0a";
const std::string kDescribe =
    "444553435249424520727473703a2f2f31302e322e322e323a383535342f20525453502f312e300d0a435365713a2033"
    "0d0a557365722d4167656e743a204c6962564c432f332e302e313620284c4956453535352053747265616d696e67204d"
    "656469612076323031362e31312e3238290d0a4163636570743a206170706c69636174696f6e2f7364700d0a0d0a";
const std::string kDescribeOkHead =
    "525453502f312e3020323030204f4b0d0a5365727665723a20564c432f332e302e31320d0a446174653a205468752c20"
    "3239204a756c20323032312031343a30313a323520474d540d0a436f6e74656e742d547970653a206170706c69636174"
    "696f6e2f7364700d0a436f6e74656e742d426173653a20727473703a2f2f31302e322e322e323a383535342f0d0a436f"
    "6e74656e742d4c656e6774683a203639350d0a43616368652d436f6e74726f6c3a206e6f2d63616368650d0a43736571"
    "3a20330d0a0d0a";
const std::string kDescribeOkBody =
    "763d300d0a6f3d2d20313634373738383239313530323833373736343420313634373738383239313530323833373736"
    "343420494e20495034206b616c690d0a733d556e6e616d65640d0a693d4e2f410d0a633d494e2049503420302e302e30"
    "2e300d0a743d3020300d0a613d746f6f6c3a766c6320332e302e31320d0a613d726563766f6e6c790d0a613d74797065"
    "3a62726f6164636173740d0a613d636861727365743a5554462d380d0a613d636f6e74726f6c3a727473703a2f2f3130"
    "2e322e322e323a383535342f0d0a6d3d766964656f2030205254502f4156502039360d0a623d52523a300d0a613d7274"
    "706d61703a393620483236342f39303030300d0a613d666d74703a3936207061636b6574697a6174696f6e2d6d6f6465"
    "3d313b70726f66696c652d6c6576656c2d69643d3464343031663b7370726f702d706172616d657465722d736574733d"
    "5a303141482b69414b414c64674c554241514641414144365141417534415047444553412c614f767649413d3d3b0d0a"
    "613d636f6e74726f6c3a727473703a2f2f31302e322e322e323a383535342f747261636b49443d300d0a6d3d61756469"
    "6f2030205254502f4156502039360d0a623d52523a300d0a613d7274706d61703a3936206d706567342d67656e657269"
    "632f34343130302f320d0a613d666d74703a39362073747265616d747970653d353b2070726f66696c652d6c6576656c"
    "2d69643d31353b206d6f64653d4141432d6862723b20636f6e6669673d31323130303030303030303030303030303030"
    "303030303030303030303030303b2053697a654c656e6774683d31333b20496e6465784c656e6774683d333b20496e64"
    "657844656c74614c656e6774683d333b2050726f66696c653d313b0d0a613d636f6e74726f6c3a727473703a2f2f3130"
    "2e322e322e323a383535342f747261636b49443d310d0a";
const std::string kSetup =
    "534554555020727473703a2f2f31302e322e322e323a383535342f747261636b49443d3020525453502f312e300d0a43"
    "5365713a20340d0a557365722d4167656e743a204c6962564c432f332e302e313620284c495645353535205374726561"
    "6d696e67204d656469612076323031362e31312e3238290d0a5472616e73706f72743a205254502f4156503b756e6963"
    "6173743b636c69656e745f706f72743d35353636342d35353636350d0a0d0a";
const std::string kSetupOk =
    "525453502f312e3020323030204f4b0d0a5365727665723a20564c432f332e302e31320d0a446174653a205468752c20"
    "3239204a756c20323032312031343a30313a323520474d540d0a5472616e73706f72743a205254502f4156502f554450"
    "3b756e69636173743b636c69656e745f706f72743d35353636342d35353636353b7365727665725f706f72743d353835"
    "34372d35383534383b737372633d42313936344234383b6d6f64653d706c61790d0a53657373696f6e3a203863333065"
    "31303231393166343964313b74696d656f75743d36300d0a436f6e74656e742d4c656e6774683a20300d0a4361636865"
    "2d436f6e74726f6c3a206e6f2d63616368650d0a437365713a20340d0a0d0a";
const std::string kSetupTrack1 =
    "534554555020727473703a2f2f31302e322e322e323a383535342f747261636b49443d3120525453502f312e300d0a43"
    "5365713a20350d0a557365722d4167656e743a204c6962564c432f332e302e313620284c495645353535205374726561"
    "6d696e67204d656469612076323031362e31312e3238290d0a5472616e73706f72743a205254502f4156503b756e6963"
    "6173743b636c69656e745f706f72743d35353636362d35353636370d0a53657373696f6e3a2038633330653130323139"
    "3166343964310d0a0d0a";
const std::string kPlay =
    "504c415920727473703a2f2f31302e322e322e323a383535342f20525453502f312e300d0a435365713a20360d0a5573"
    "65722d4167656e743a204c6962564c432f332e302e313620284c4956453535352053747265616d696e67204d65646961"
    "2076323031362e31312e3238290d0a53657373696f6e3a20386333306531303231393166343964310d0a52616e67653a"
    "206e70743d302e3030302d0d0a0d0a";
const std::string kPlayOk =
    "525453502f312e3020323030204f4b0d0a5365727665723a20564c432f332e302e31320d0a446174653a205468752c20"
    "3239204a756c20323032312031343a30313a323520474d540d0a5254502d496e666f3a2075726c3d727473703a2f2f31"
    "302e322e322e323a383535342f747261636b49443d303b7365713d33333735313b72747074696d653d32383938353731"
    "3132312c2075726c3d727473703a2f2f31302e322e322e323a383535342f747261636b49443d313b7365713d35393135"
    "353b72747074696d653d333433383933343437380d0a52616e67653a206e70743d3131392e3731303831352d0d0a5365"
    "7373696f6e3a20386333306531303231393166343964313b74696d656f75743d36300d0a436f6e74656e742d4c656e67"
    "74683a20300d0a43616368652d436f6e74726f6c3a206e6f2d63616368650d0a437365713a20360d0a0d0a";
const std::string kGetParameter =
    "4745545f504152414d4554455220727473703a2f2f31302e322e322e323a383535342f20525453502f312e300d0a4353"
    "65713a20370d0a557365722d4167656e743a204c6962564c432f332e302e313620284c4956453535352053747265616d"
    "696e67204d656469612076323031362e31312e3238290d0a53657373696f6e3a20363630666334633063366164343361"
    "310d0a0d0a";

Frame text(std::string_view s) { return Frame(s.begin(), s.end()); }
std::string str(Bytes b) { return std::string(b.begin(), b.end()); }

TEST(Rtsp, OptionsRequestAndAnswer) {
  const Frame q = from_hex(kOptions), a = from_hex(kOptionsOk);
  RtspMessage m;
  ASSERT_EQ(parse_rtsp(q, m), TextStatus::Complete);
  EXPECT_TRUE(m.is_request);
  EXPECT_EQ(m.method, RtspMethod::Options);
  EXPECT_EQ(str(m.uri), "rtsp://10.2.2.2:8554/");
  ASSERT_TRUE(m.has_cseq);
  EXPECT_EQ(m.cseq, 2u);
  EXPECT_TRUE(m.body.empty());
  ASSERT_EQ(parse_rtsp(a, m), TextStatus::Complete);
  EXPECT_FALSE(m.is_request);
  EXPECT_EQ(m.status_code, 200);
  EXPECT_EQ(str(m.reason), "OK");
  EXPECT_EQ(m.cseq, 2u);  // "Cseq: 2": pairs with the request
  EXPECT_TRUE(m.session_id.empty());
  EXPECT_FALSE(m.transport.present);
}

TEST(Rtsp, DescribeAnswerWaitsForItsBody) {
  const Frame head = from_hex(kDescribeOkHead), body = from_hex(kDescribeOkBody);
  ASSERT_EQ(body.size(), 695u);
  RtspMessage m;
  EXPECT_EQ(parse_rtsp(head, m), TextStatus::Incomplete);  // Content-Length: 695, none of it yet
  const Frame whole = test::concat(head, body);
  EXPECT_EQ(parse_rtsp(Bytes(whole.data(), whole.size() - 1), m), TextStatus::Incomplete);
  ASSERT_EQ(parse_rtsp(whole, m), TextStatus::Complete);
  EXPECT_EQ(m.cseq, 3u);
  EXPECT_EQ(str(m.content_base), "rtsp://10.2.2.2:8554/");
  EXPECT_TRUE(m.body_is_sdp);
  ASSERT_EQ(m.body.size(), 695u);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(m.body, s));
  ASSERT_EQ(s.media_count, 2);
  EXPECT_EQ(sdp_clock_rate(s.media[0], 96), 90000u);  // H264
  EXPECT_EQ(sdp_clock_rate(s.media[1], 96), 44100u);  // AAC
}

TEST(Rtsp, DescribeRequest) {
  const Frame b = from_hex(kDescribe);
  RtspMessage m;
  ASSERT_EQ(parse_rtsp(b, m), TextStatus::Complete);
  EXPECT_EQ(m.method, RtspMethod::Describe);
  EXPECT_EQ(m.cseq, 3u);
  EXPECT_EQ(str(find_header(m.head, "accept")->value), "application/sdp");
}

TEST(Rtsp, SetupOffersUdpPorts) {
  const Frame b = from_hex(kSetup);
  RtspMessage m;
  ASSERT_EQ(parse_rtsp(b, m), TextStatus::Complete);
  EXPECT_EQ(m.method, RtspMethod::Setup);
  EXPECT_EQ(str(m.uri), "rtsp://10.2.2.2:8554/trackID=0");
  const RtspTransport& t = m.transport;
  ASSERT_TRUE(t.present);
  EXPECT_EQ(str(t.spec), "RTP/AVP");
  EXPECT_FALSE(t.tcp);
  EXPECT_TRUE(t.unicast);
  EXPECT_FALSE(t.multicast);
  ASSERT_TRUE(t.has_client_port);
  EXPECT_EQ(t.client_port[0], 55664);
  EXPECT_EQ(t.client_port[1], 55665);
  EXPECT_FALSE(t.has_server_port);
  EXPECT_FALSE(t.has_interleaved);
  EXPECT_FALSE(t.malformed);
  EXPECT_TRUE(m.session_id.empty());  // the first SETUP opens the session
}

TEST(Rtsp, SetupAnswerNamesSessionPortsAndSsrc) {
  const Frame b = from_hex(kSetupOk);
  RtspMessage m;
  ASSERT_EQ(parse_rtsp(b, m), TextStatus::Complete);
  EXPECT_EQ(m.cseq, 4u);
  EXPECT_EQ(str(m.session_id), "8c30e102191f49d1");
  ASSERT_TRUE(m.has_session_timeout);
  EXPECT_EQ(m.session_timeout, 60u);
  const RtspTransport& t = m.transport;
  EXPECT_EQ(str(t.spec), "RTP/AVP/UDP");
  EXPECT_FALSE(t.tcp);
  EXPECT_EQ(t.client_port[0], 55664);
  ASSERT_TRUE(t.has_server_port);
  EXPECT_EQ(t.server_port[0], 58547);  // tshark: rtsp.transport server_port=58547-58548
  EXPECT_EQ(t.server_port[1], 58548);
  ASSERT_TRUE(t.has_ssrc);
  EXPECT_EQ(t.ssrc, 0xB1964B48u);
  EXPECT_EQ(str(t.mode), "play");
}

TEST(Rtsp, LaterRequestsCarryTheSession) {
  RtspMessage m;
  const Frame setup = from_hex(kSetupTrack1);
  ASSERT_EQ(parse_rtsp(setup, m), TextStatus::Complete);
  EXPECT_EQ(str(m.session_id), "8c30e102191f49d1");
  EXPECT_FALSE(m.has_session_timeout);
  EXPECT_EQ(m.transport.client_port[0], 55666);
  const Frame play = from_hex(kPlay);
  ASSERT_EQ(parse_rtsp(play, m), TextStatus::Complete);
  EXPECT_EQ(m.method, RtspMethod::Play);
  EXPECT_EQ(m.cseq, 6u);
  EXPECT_EQ(str(m.session_id), "8c30e102191f49d1");
  const Frame ok = from_hex(kPlayOk);
  ASSERT_EQ(parse_rtsp(ok, m), TextStatus::Complete);
  EXPECT_EQ(m.status_code, 200);
  EXPECT_EQ(m.cseq, 6u);
  EXPECT_EQ(m.session_timeout, 60u);
  const Frame keepalive = from_hex(kGetParameter);
  ASSERT_EQ(parse_rtsp(keepalive, m), TextStatus::Complete);
  EXPECT_EQ(m.method, RtspMethod::GetParameter);
  EXPECT_EQ(m.cseq, 7u);
  EXPECT_EQ(str(m.session_id), "660fc4c0c6ad43a1");
}

TEST(Rtsp, InterleavedTransport) {
  const Frame b = text(
      "RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 12345678; timeout = 30\r\n"
      "Transport: RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=0a0b0c0d;mode=\"PLAY\",RTP/AVP;unicast\r\n\r\n");
  RtspMessage m;
  ASSERT_EQ(parse_rtsp(b, m), TextStatus::Complete);
  EXPECT_EQ(str(m.session_id), "12345678");
  EXPECT_EQ(m.session_timeout, 30u);
  const RtspTransport& t = m.transport;
  EXPECT_TRUE(t.tcp);
  ASSERT_TRUE(t.has_interleaved);
  EXPECT_EQ(t.interleaved[0], 2);
  EXPECT_EQ(t.interleaved[1], 3);
  EXPECT_EQ(t.ssrc, 0x0a0b0c0du);
  EXPECT_EQ(str(t.mode), "PLAY");
  EXPECT_FALSE(t.has_client_port);
}

TEST(Rtsp, SinglePortAndBadTransportValues) {
  RtspMessage m;
  const Frame one = text("SETUP rtsp://c/t RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP;multicast;client_port=5000;destination=232.1.1.1\r\n\r\n");
  ASSERT_EQ(parse_rtsp(one, m), TextStatus::Complete);
  EXPECT_TRUE(m.transport.multicast);
  EXPECT_EQ(m.transport.client_port[0], 5000);
  EXPECT_EQ(m.transport.client_port[1], 5001);  // RTCP next to RTP
  EXPECT_EQ(str(m.transport.destination), "232.1.1.1");
  const Frame bad = text("SETUP rtsp://c/t RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;interleaved=0-300;ssrc=xyz\r\n\r\n");
  ASSERT_EQ(parse_rtsp(bad, m), TextStatus::Complete);  // the message stands; the transport is noted
  EXPECT_TRUE(m.transport.malformed);
  EXPECT_FALSE(m.transport.has_interleaved);
  EXPECT_FALSE(m.transport.has_ssrc);
}

TEST(Rtsp, CredentialsAreFlaggedNotExposed) {
  RtspMessage m;
  const Frame q = text("DESCRIBE rtsp://admin:12345@192.0.2.9:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 3\r\n"
                       "Authorization: Basic YWRtaW46MTIzNDU=\r\n\r\n");
  ASSERT_EQ(parse_rtsp(q, m), TextStatus::Complete);
  EXPECT_TRUE(m.uri_has_userinfo);
  EXPECT_TRUE(m.has_authorization);
  const Frame plain = from_hex(kDescribe);
  ASSERT_EQ(parse_rtsp(plain, m), TextStatus::Complete);
  EXPECT_FALSE(m.uri_has_userinfo);
  EXPECT_FALSE(m.has_authorization);
  const Frame at_in_path = text("PLAY rtsp://cam/a@b RTSP/1.0\r\nCSeq: 4\r\n\r\n");
  ASSERT_EQ(parse_rtsp(at_in_path, m), TextStatus::Complete);
  EXPECT_FALSE(m.uri_has_userinfo);  // an '@' in the path is not userinfo
  const Frame challenge = text("RTSP/1.0 401 Unauthorized\r\nCSeq: 3\r\nWWW-Authenticate: Digest realm=\"cam\", nonce=\"n\"\r\n\r\n");
  ASSERT_EQ(parse_rtsp(challenge, m), TextStatus::Complete);
  EXPECT_TRUE(m.has_www_authenticate);
  EXPECT_EQ(m.status_code, 401);
}

TEST(Rtsp, ErrorStatus) {
  const Frame b = text("RTSP/1.0 454 Session Not Found\r\nCSeq: 9\r\n\r\n");
  RtspMessage m;
  ASSERT_EQ(parse_rtsp(b, m), TextStatus::Complete);
  EXPECT_EQ(m.status_code, 454);
  EXPECT_EQ(str(m.reason), "Session Not Found");
}

TEST(Rtsp, OtherProtocolsAreInvalid) {
  RtspMessage m;
  EXPECT_EQ(parse_rtsp(text("OPTIONS sip:a SIP/2.0\r\n\r\n"), m), TextStatus::Invalid);
  EXPECT_EQ(parse_rtsp(text("HTTP/1.1 200 OK\r\n\r\n"), m), TextStatus::Invalid);
  EXPECT_EQ(parse_rtsp(from_hex("240000108000"), m), TextStatus::Invalid);  // an interleaved frame
}

TEST(RtspInterleaved, FrameIsCutOut) {
  // '$', channel 0, 12 bytes: an RTP header (V=2, PT 96).
  const Frame b = from_hex("2400000c8060e4d2000000000b1964b4" "ff");
  RtspInterleavedFrame f;
  ASSERT_EQ(parse_rtsp_interleaved(b, f), TextStatus::Complete);
  EXPECT_EQ(f.channel, 0);
  EXPECT_EQ(f.length, 12);
  EXPECT_EQ(f.frame_len(), 16u);
  ASSERT_EQ(f.data.size(), 12u);
  EXPECT_EQ(f.data[0], 0x80);
  for (size_t n = 0; n < 16; ++n) {
    EXPECT_EQ(parse_rtsp_interleaved(Bytes(b.data(), n), f), TextStatus::Incomplete) << n;
  }
  EXPECT_EQ(parse_rtsp_interleaved(from_hex("52545350"), f), TextStatus::Invalid);  // "RTSP"
  const Frame empty = from_hex("24010000");
  ASSERT_EQ(parse_rtsp_interleaved(empty, f), TextStatus::Complete);
  EXPECT_EQ(f.channel, 1);
  EXPECT_EQ(f.frame_len(), 4u);
}

TEST(RtspInterleaved, StreamOfFramesAndMessagesIsCut) {
  // What a camera sends after PLAY over TCP: RTP on channel 0, RTCP on 1, an answer in between.
  Frame stream = from_hex("2400000c8060e4d2000000000b1964b4");
  stream = test::concat(stream, from_hex(kPlayOk));
  stream = test::concat(stream, from_hex("2401001c80c80006b1964b48e4d2e4d2" "00000000000000000000000000000000"));
  stream = test::concat(stream, from_hex("2400000c8060e4d3000000a00b1964b4"));
  std::vector<std::string> parts;
  Bytes rest(stream);
  while (!rest.empty()) {
    if (rest[0] == '$') {
      RtspInterleavedFrame f;
      ASSERT_EQ(parse_rtsp_interleaved(rest, f), TextStatus::Complete);
      parts.push_back("ch" + std::to_string(f.channel));
      rest = rest.subspan(f.frame_len());
    } else {
      RtspMessage m;
      ASSERT_EQ(parse_rtsp(rest, m), TextStatus::Complete);
      uint64_t total = 0;
      ASSERT_TRUE(text_message_length(m.head, total));
      parts.push_back(std::to_string(m.status_code));
      rest = rest.subspan(total);
    }
  }
  EXPECT_EQ(parts, (std::vector<std::string>{"ch0", "200", "ch1", "ch0"}));
}

TEST(Rtsp, MethodNames) {
  const char* names[] = {"OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN",
                         "GET_PARAMETER", "SET_PARAMETER", "ANNOUNCE", "RECORD"};
  for (const char* n : names) {
    const RtspMethod m = rtsp_method_from(text(n));
    EXPECT_NE(m, RtspMethod::Other) << n;
    EXPECT_STREQ(rtsp_method_name(m), n);
  }
  EXPECT_EQ(rtsp_method_from(text("REDIRECT")), RtspMethod::Other);
  EXPECT_STREQ(rtsp_method_name(RtspMethod::Other), "other");
}

TEST(Rtsp, RobustAgainstTruncationAndNoise) {
  std::vector<Frame> samples = {from_hex(kOptions), from_hex(kOptionsOk), from_hex(kSetup), from_hex(kSetupOk),
                                from_hex(kPlay), from_hex(kPlayOk),
                                test::concat(from_hex(kDescribeOkHead), from_hex(kDescribeOkBody))};
  for (const Frame& s : samples) {
    for (size_t n = 0; n < s.size(); ++n) {
      RtspMessage m;
      EXPECT_EQ(parse_rtsp(Bytes(s.data(), n), m), TextStatus::Incomplete) << n;
    }
  }
  std::mt19937 rng(2326);
  size_t complete = 0;
  for (int round = 0; round < 4000; ++round) {
    Frame b = samples[round % samples.size()];
    if (round % 4 == 0) {
      b.resize(rng() % 300);
      for (auto& c : b) c = static_cast<uint8_t>(rng());
      if (round % 8 == 0 && !b.empty()) b[0] = '$';
    } else {
      for (int k = 0; k < 1 + round % 5; ++k) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    RtspMessage m;
    const TextStatus st = parse_rtsp(b, m);
    ASSERT_TRUE(st == TextStatus::Complete || st == TextStatus::Incomplete || st == TextStatus::Invalid);
    if (st == TextStatus::Complete) {
      ++complete;
      EXPECT_TRUE(m.body.empty() || m.body.data() + m.body.size() <= b.data() + b.size());
    }
    RtspInterleavedFrame f;
    const TextStatus fs = parse_rtsp_interleaved(b, f);
    if (fs == TextStatus::Complete) {
      EXPECT_LE(f.frame_len(), b.size());
    }
  }
  EXPECT_GT(complete, 100u);
}

}  // namespace
}  // namespace wcstap
