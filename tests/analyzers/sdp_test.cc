// SDP parsing on the bodies of real SIP and RTSP messages from the corpus (hex as captured), and on
// constructed WebRTC (BUNDLE, ICE, DTLS fingerprint, SSRCs) and SDES-SRTP offers.
#include "sdp/sdp.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "output/format.h"
#include "packet_builder.h"

namespace wcstap {
namespace {

using test::Frame;
using test::from_hex;

// wswiki__sip-rtp-opus.pcap frame 1 (sipp's INVITE) and frame 4 (FreeSWITCH's 200 OK): the SDP bodies.
const std::string kOpusOffer =
    "763d300d0a6f3d2d20343220343220494e204950342031302e302e322e32300d0a733d2d0d0a633d494e204950342031"
    "302e302e322e32300d0a743d3020300d0a6d3d617564696f2036303030205254502f4156502039390d0a613d7274706d"
    "61703a3939206f7075732f34383030302f320d0a613d726563766f6e6c790d0a";
const std::string kOpusAnswer =
    "763d300d0a6f3d467265655357495443482031343830323331343732203134383032333134373320494e204950342031"
    "302e302e322e31350d0a733d467265655357495443480d0a633d494e204950342031302e302e322e31350d0a743d3020"
    "300d0a6d3d617564696f203234313936205254502f415650203939203130310d0a613d7274706d61703a3939206f7075"
    "732f34383030302f320d0a613d666d74703a393920757365696e62616e646665633d313b206d696e7074696d653d3130"
    "3b206d61787074696d653d34300d0a613d7274706d61703a3130312074656c6570686f6e652d6576656e742f38303030"
    "0d0a613d666d74703a31303120302d31360d0a613d73656e646f6e6c790d0a613d7074696d653a32300d0a";
// wswiki__sip-rtp-g711.pcap frame 4: the 200 OK's SDP.
const std::string kG711Answer =
    "763d300d0a6f3d467265655357495443482031343830313434303337203134383031343430333820494e204950342031"
    "302e302e322e31350d0a733d467265655357495443480d0a633d494e204950342031302e302e322e31350d0a743d3020"
    "300d0a6d3d617564696f203237393432205254502f4156502030203130310d0a613d7274706d61703a302050434d552f"
    "383030300d0a613d7274706d61703a3130312074656c6570686f6e652d6576656e742f383030300d0a613d666d74703a"
    "31303120302d31360d0a613d73656e646f6e6c790d0a613d7074696d653a32300d0a";
// wswiki__aaa.pcap frame 223 (INVITE) and frame 620 (183 early media with b=AS).
const std::string kAaaOffer =
    "763d300d0a6f3d5349505053203130353031353136352031303530313531363220494e20495034203139322e3136382e"
    "312e320d0a733d5349502063616c6c0d0a633d494e20495034203139322e3136382e312e320d0a743d3020300d0a6d3d"
    "617564696f203330303030205254502f41565020302038203937203220330d0a613d7274706d61703a302070636d752f"
    "383030300d0a613d7274706d61703a382070636d612f383030300d0a613d7274706d61703a393720694c42432f383030"
    "300d0a613d7274706d61703a3220473732362d33322f383030300d0a613d7274706d61703a332047534d2f383030300d"
    "0a613d666d74703a3937206d6f64653d32300d0a613d73656e64726563760d0a";
const std::string kAaaEarlyMedia =
    "763d300d0a6f3d63703130203131323034373130363131362031313230343731303631313620494e2049503420323132"
    "2e3234322e33332e37350d0a733d5349502043616c6c0d0a633d494e20495034203231322e3234322e33332e33360d0a"
    "743d3020300d0a6d3d617564696f203430333932205254502f415650203820300d0a623d41533a36340d0a613d727470"
    "6d61703a382050434d412f383030302f310d0a613d7274706d61703a302050434d552f383030302f310d0a613d707469"
    "6d653a32300d0a";
// ndpi__rtsp.pcap frame 53: the SDP of VLC's DESCRIBE answer (two sections, port 0, session-level recvonly).
const std::string kRtspDescribeSdp =
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
// wswiki__Asterisk_ZFONE_XLITE.pcap frame 15: X-Lite's offer with session-level ICE and two candidates.
const std::string kXliteOffer =
    "763d300d0a6f3d2d203132393330303434363336373732393233203120494e20495034203139322e3136382e31302e34"
    "310d0a733d436f756e7465725061746820582d4c69746520342e300d0a633d494e20495034203139322e3136382e3130"
    "2e34310d0a743d3020300d0a613d6963652d75667261673a3634663161300d0a613d6963652d7077643a366333613665"
    "33333266313932383764363838373536343733313337326563390d0a6d3d617564696f203634353038205254502f4156"
    "502031303720302038203130310d0a613d7274706d61703a31303720425633322f31363030300d0a613d7274706d6170"
    "3a3130312074656c6570686f6e652d6576656e742f383030300d0a613d666d74703a31303120302d31350d0a613d7365"
    "6e64726563760d0a613d63616e6469646174653a3120312055445020363539313336203139322e3136382e31302e3431"
    "2036343530382074797020686f73740d0a613d63616e6469646174653a3120322055445020363539313334203139322e"
    "3136382e31302e34312036343530392074797020686f73740d0a";

// A browser's WebRTC offer as WCS receives it in publishStream (constructed; addresses from
// documentation ranges, an mDNS host candidate, a TCP candidate, simulcast-less video with RTX).
constexpr std::string_view kWebRtcOffer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS stream1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1467250027 1 udp 2122260223 192.0.2.10 54321 typ host generation 0 network-id 1\r\n"
    "a=candidate:2999745851 1 udp 2122194687 3c1a8f2e-8b7f-4a35-9d0e-6a2f7f6b1c11.local 54322 typ host generation 0\r\n"
    "a=candidate:842163049 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 192.0.2.10 rport 54321 generation 0\r\n"
    "a=candidate:4233069003 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active generation 0\r\n"
    "a=candidate:3 1 udp 41885439 198.51.100.20 50000 typ relay raddr 203.0.113.7 rport 61000\r\n"
    "a=ice-ufrag:Tw5X\r\n"
    "a=ice-pwd:mGABTU55u6F2ZSUASW9b1fzq\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 5B:0C:3A:1E:7F:92:44:D0:8A:6B:11:C2:E5:39:70:AD:04:F8:66:1B:C9:2D:83:57:EE:10:A4:3F:96:7C:B1:28\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=sendonly\r\n"
    "a=msid:stream1 track-a\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6\r\n"
    "a=ssrc:3570614608 msid:stream1 track-a\r\n"
    "a=end-of-candidates\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:2500\r\n"
    "b=TIAS:2500000\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Tw5X\r\n"
    "a=ice-pwd:mGABTU55u6F2ZSUASW9b1fzq\r\n"
    "a=fingerprint:sha-256 5B:0C:3A:1E:7F:92:44:D0:8A:6B:11:C2:E5:39:70:AD:04:F8:66:1B:C9:2D:83:57:EE:10:A4:3F:96:7C:B1:28\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=sendonly\r\n"
    "a=msid:stream1 track-v\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=ssrc-group:FID 2231627014 632943048\r\n"
    "a=ssrc:2231627014 cname:4TOk42mSjXCkVIa6\r\n"
    "a=ssrc:2231627014 msid:stream1 track-v\r\n"
    "a=ssrc:632943048 cname:4TOk42mSjXCkVIa6\r\n"
    "a=ssrc:632943048 msid:stream1 track-v\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:2\r\n"
    "a=sctp-port:5000\r\n";

// A SIP offer with SDES-SRTP (RFC 4568): the first key is RFC 4568's own example, the second an
// AES-256 suite (46 bytes of key and salt), the third too long for any suite.
constexpr std::string_view kSdesOffer =
    "v=0\n"
    "o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\n"
    "s=SRTP call\n"
    "c=IN IP4 168.2.17.12\n"
    "t=2873397496 2873404696\n"
    "m=audio 49170 RTP/SAVP 0\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\n"
    "a=crypto:2 AES_256_CM_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ==|2^31\n"
    "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\n";

Frame text(std::string_view s) { return Frame(s.begin(), s.end()); }
std::string str(Bytes b) { return std::string(b.begin(), b.end()); }

TEST(Sdp, OpusOfferFromTheCorpus) {
  const Frame b = from_hex(kOpusOffer);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  EXPECT_EQ(str(s.origin_username), "-");
  EXPECT_EQ(s.session_id, 42u);
  EXPECT_EQ(s.session_version, 42u);
  ASSERT_TRUE(s.origin_address.is_ip);
  EXPECT_EQ(endpoint_to_string(s.origin_address.ip), "10.0.2.20:0");
  ASSERT_EQ(s.media_count, 1);
  const SdpMedia& m = s.media[0];
  EXPECT_EQ(m.type, SdpMediaType::Audio);
  EXPECT_EQ(m.port, 6000);
  EXPECT_EQ(str(m.proto), "RTP/AVP");
  ASSERT_EQ(m.pt_count, 1);
  EXPECT_EQ(m.pts[0], 99);
  ASSERT_EQ(m.rtpmap_count, 1);
  EXPECT_EQ(str(m.rtpmaps[0].encoding), "opus");
  EXPECT_EQ(m.rtpmaps[0].clock_rate, 48000u);
  EXPECT_EQ(m.rtpmaps[0].channels, 2);
  EXPECT_EQ(sdp_clock_rate(m, 99), 48000u);
  EXPECT_EQ(sdp_direction(s, m), SdpDirection::RecvOnly);
  EXPECT_FALSE(m.connection.present);  // the session's c= applies
  Endpoint e;
  ASSERT_TRUE(sdp_media_endpoint(s, m, e));
  EXPECT_EQ(endpoint_to_string(e), "10.0.2.20:6000");  // where sipp expects RTP (tshark: 10.0.2.20:6000)
  EXPECT_EQ(s.malformed_lines, 0);
}

TEST(Sdp, OpusAnswerFmtpAndTelephoneEvent) {
  const Frame b = from_hex(kOpusAnswer);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  EXPECT_EQ(s.session_id, 1480231472u);
  EXPECT_EQ(str(s.session_name), "FreeSWITCH");
  ASSERT_EQ(s.media_count, 1);
  const SdpMedia& m = s.media[0];
  EXPECT_EQ(m.port, 24196);
  EXPECT_EQ(m.pt_count, 2);
  EXPECT_EQ(m.rtpmap_count, 2);
  EXPECT_EQ(str(m.rtpmaps[1].encoding), "telephone-event");
  EXPECT_EQ(sdp_clock_rate(m, 101), 8000u);
  ASSERT_EQ(m.fmtp_count, 2);
  EXPECT_EQ(m.fmtps[0].pt, 99);
  EXPECT_EQ(str(m.fmtps[0].params), "useinbandfec=1; minptime=10; maxptime=40");
  EXPECT_EQ(str(m.fmtps[1].params), "0-16");
  EXPECT_EQ(sdp_direction(s, m), SdpDirection::SendOnly);
  Endpoint e;
  ASSERT_TRUE(sdp_media_endpoint(s, m, e));
  EXPECT_EQ(endpoint_to_string(e), "10.0.2.15:24196");
}

TEST(Sdp, StaticPayloadTypesNeedNoRtpmap) {
  const Frame b = from_hex(kG711Answer);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  const SdpMedia& m = s.media[0];
  EXPECT_EQ(m.port, 27942);
  EXPECT_EQ(sdp_clock_rate(m, 0), 8000u);    // rtpmap PCMU/8000
  EXPECT_EQ(sdp_clock_rate(m, 8), 8000u);    // PCMA, not mapped here: RFC 3551's table
  EXPECT_EQ(sdp_clock_rate(m, 9), 8000u);    // G.722's odd RTP clock
  EXPECT_EQ(sdp_clock_rate(m, 34), 90000u);  // H.263
  EXPECT_EQ(sdp_clock_rate(m, 96), 0u);      // dynamic and not mapped: unknown
}

TEST(Sdp, AaaOfferFromAnOldSoftphone) {
  const Frame b = from_hex(kAaaOffer);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  EXPECT_EQ(str(s.origin_username), "SIPPS");
  EXPECT_EQ(s.session_id, 105015165u);
  ASSERT_EQ(s.media_count, 1);
  const SdpMedia& m = s.media[0];
  EXPECT_EQ(m.port, 30000);
  ASSERT_EQ(m.pt_count, 5);
  EXPECT_EQ(m.pts[2], 97);
  EXPECT_EQ(m.rtpmap_count, 5);
  EXPECT_EQ(str(m.rtpmaps[2].encoding), "iLBC");
  EXPECT_EQ(str(m.rtpmaps[0].encoding), "pcmu");  // case as written
  ASSERT_EQ(m.fmtp_count, 1);
  EXPECT_EQ(str(m.fmtps[0].params), "mode=20");
  EXPECT_TRUE(m.has_direction);
  EXPECT_EQ(m.direction, SdpDirection::SendRecv);
}

TEST(Sdp, EarlyMediaWithBandwidthAndNoFinalLineBreak) {
  Frame b = from_hex(kAaaEarlyMedia);
  ASSERT_EQ(b.back(), '\n');
  b.resize(b.size() - 2);  // as a sender that omits the last CRLF would write it
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  EXPECT_EQ(s.session_id, 112047106116u);
  EXPECT_EQ(endpoint_to_string(s.origin_address.ip), "212.242.33.75:0");
  ASSERT_EQ(s.media_count, 1);
  const SdpMedia& m = s.media[0];
  EXPECT_EQ(m.bandwidth_as, 64u);
  EXPECT_EQ(m.rtpmaps[0].channels, 1);  // "PCMA/8000/1"
  Endpoint e;
  ASSERT_TRUE(sdp_media_endpoint(s, m, e));
  EXPECT_EQ(endpoint_to_string(e), "212.242.33.36:40392");  // c= differs from o=
}

TEST(Sdp, RtspDescribeAnswer) {
  const Frame b = from_hex(kRtspDescribeSdp);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  EXPECT_EQ(s.session_id, 16477882915028377644ull);  // needs all 64 bits
  EXPECT_FALSE(s.origin_address.is_ip);
  EXPECT_EQ(str(s.origin_address.text), "kali");
  EXPECT_EQ(s.direction, SdpDirection::RecvOnly);
  ASSERT_EQ(s.media_count, 2);
  const SdpMedia& v = s.media[0];
  const SdpMedia& a = s.media[1];
  EXPECT_EQ(v.type, SdpMediaType::Video);
  EXPECT_EQ(v.port, 0);
  EXPECT_EQ(str(v.rtpmaps[0].encoding), "H264");
  EXPECT_EQ(sdp_clock_rate(v, 96), 90000u);
  EXPECT_EQ(a.type, SdpMediaType::Audio);
  EXPECT_EQ(str(a.rtpmaps[0].encoding), "mpeg4-generic");
  EXPECT_EQ(sdp_clock_rate(a, 96), 44100u);  // the same PT, another section, another clock
  EXPECT_EQ(a.rtpmaps[0].channels, 2);
  EXPECT_FALSE(v.has_direction);
  EXPECT_EQ(sdp_direction(s, v), SdpDirection::RecvOnly);  // inherited from the session level
  EXPECT_EQ(s.malformed_lines, 0);  // b=RR:0 is left alone
}

TEST(Sdp, SessionLevelIceFromTheCorpus) {
  const Frame b = from_hex(kXliteOffer);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  EXPECT_EQ(str(s.ice_ufrag), "64f1a0");
  EXPECT_TRUE(s.has_ice_pwd);  // and its value is kept nowhere
  ASSERT_EQ(s.media_count, 1);
  const SdpMedia& m = s.media[0];
  EXPECT_TRUE(m.ice_ufrag.empty());
  EXPECT_EQ(str(sdp_ice_ufrag(s, m)), "64f1a0");
  ASSERT_EQ(m.candidate_count, 2);
  const IceCandidate& c = m.candidates[1];
  EXPECT_EQ(str(c.foundation), "1");
  EXPECT_EQ(c.component, 2);
  EXPECT_EQ(c.transport, IceTransport::Udp);  // written "UDP"
  EXPECT_EQ(c.priority, 659134u);
  ASSERT_TRUE(c.address.is_ip);
  EXPECT_EQ(endpoint_to_string(c.address.ip), "192.168.10.41:64509");
  EXPECT_EQ(c.type, IceCandidateType::Host);
  EXPECT_FALSE(c.related.present);
  EXPECT_EQ(sdp_clock_rate(m, 107), 16000u);  // BV32/16000
}

TEST(Sdp, WebRtcOfferBundleAndDtls) {
  const Frame b = text(kWebRtcOffer);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  EXPECT_EQ(str(s.bundle), "0 1 2");
  ASSERT_EQ(s.media_count, 3);
  const SdpMedia& a = s.media[0];
  EXPECT_EQ(str(a.proto), "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(a.port, 9);
  EXPECT_EQ(a.pt_count, 8);
  EXPECT_EQ(str(a.mid), "0");
  EXPECT_EQ(str(a.msid), "stream1 track-a");
  EXPECT_TRUE(a.rtcp_mux);
  ASSERT_TRUE(a.has_rtcp);
  EXPECT_EQ(a.rtcp_port, 9);
  EXPECT_EQ(endpoint_to_string(a.rtcp_address.ip), "0.0.0.0:9");
  EXPECT_EQ(str(a.ice_ufrag), "Tw5X");
  EXPECT_TRUE(a.has_ice_pwd);
  ASSERT_TRUE(a.fingerprint.present);
  EXPECT_EQ(str(a.fingerprint.hash), "sha-256");
  ASSERT_EQ(a.fingerprint.digest_len, 32);
  EXPECT_EQ(a.fingerprint.digest[0], 0x5b);
  EXPECT_EQ(a.fingerprint.digest[31], 0x28);
  EXPECT_EQ(sdp_fingerprint(s, a), &a.fingerprint);
  EXPECT_EQ(a.setup, SdpSetup::ActPass);
  EXPECT_EQ(sdp_direction(s, a), SdpDirection::SendOnly);
  ASSERT_EQ(a.ssrc_count, 1);  // two lines, one SSRC
  EXPECT_EQ(a.ssrcs[0].ssrc, 3570614608u);
  EXPECT_EQ(str(a.ssrcs[0].cname), "4TOk42mSjXCkVIa6");
  EXPECT_TRUE(a.end_of_candidates);
  EXPECT_EQ(sdp_clock_rate(a, 110), 48000u);
  EXPECT_EQ(sdp_clock_rate(a, 126), 8000u);
  EXPECT_EQ(s.malformed_lines, 0);

  const SdpMedia& v = s.media[1];
  EXPECT_EQ(v.type, SdpMediaType::Video);
  EXPECT_EQ(v.bandwidth_as, 2500u);
  EXPECT_EQ(v.bandwidth_tias, 2500000u);
  ASSERT_EQ(v.ssrc_count, 2);
  ASSERT_EQ(v.ssrc_group_count, 1);
  EXPECT_EQ(str(v.ssrc_groups[0].semantics), "FID");
  ASSERT_EQ(v.ssrc_groups[0].count, 2);
  EXPECT_EQ(v.ssrc_groups[0].ssrcs[0], 2231627014u);
  EXPECT_EQ(v.ssrc_groups[0].ssrcs[1], 632943048u);
  EXPECT_EQ(sdp_clock_rate(v, 97), 90000u);

  const SdpMedia& d = s.media[2];
  EXPECT_EQ(d.type, SdpMediaType::Application);
  EXPECT_EQ(d.pt_count, 0);  // "webrtc-datachannel" is not a payload type
  EXPECT_EQ(str(d.formats), "webrtc-datachannel");
  EXPECT_EQ(sdp_direction(s, d), SdpDirection::SendRecv);  // the default
  EXPECT_EQ(sdp_fingerprint(s, d), nullptr);
}

TEST(Sdp, WebRtcCandidates) {
  const Frame b = text(kWebRtcOffer);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  const SdpMedia& a = s.media[0];
  ASSERT_EQ(a.candidate_count, 5);
  const IceCandidate& host = a.candidates[0];
  EXPECT_EQ(str(host.foundation), "1467250027");
  EXPECT_EQ(host.priority, 2122260223u);
  EXPECT_EQ(endpoint_to_string(host.address.ip), "192.0.2.10:54321");
  EXPECT_EQ(host.type, IceCandidateType::Host);
  const IceCandidate& mdns = a.candidates[1];  // an obfuscated host: a name, not an address
  EXPECT_FALSE(mdns.address.is_ip);
  EXPECT_EQ(str(mdns.address.text), "3c1a8f2e-8b7f-4a35-9d0e-6a2f7f6b1c11.local");
  EXPECT_EQ(mdns.address.ip.port, 54322);
  const IceCandidate& srflx = a.candidates[2];
  EXPECT_EQ(srflx.type, IceCandidateType::Srflx);
  ASSERT_TRUE(srflx.related.is_ip);
  EXPECT_EQ(endpoint_to_string(srflx.related.ip), "192.0.2.10:54321");  // the private base behind the NAT
  const IceCandidate& tcp = a.candidates[3];
  EXPECT_EQ(tcp.transport, IceTransport::Tcp);
  EXPECT_EQ(tcp.tcptype, IceTcpType::Active);
  const IceCandidate& relay = a.candidates[4];
  EXPECT_EQ(relay.type, IceCandidateType::Relay);
  EXPECT_STREQ(ice_candidate_type_name(relay.type), "relay");
  EXPECT_EQ(endpoint_to_string(relay.related.ip), "203.0.113.7:61000");
}

TEST(Sdp, SdesKeysAreDecodedIntoTheSecretField) {
  const Frame b = text(kSdesOffer);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  ASSERT_EQ(s.media_count, 1);
  const SdpMedia& m = s.media[0];
  EXPECT_EQ(str(m.proto), "RTP/SAVP");
  ASSERT_EQ(m.crypto_count, 3);
  const SdpCrypto& c = m.cryptos[0];
  EXPECT_EQ(c.tag, 1u);
  EXPECT_EQ(str(c.suite), "AES_CM_128_HMAC_SHA1_80");
  ASSERT_TRUE(c.key_ok);
  ASSERT_EQ(c.secret_key_salt_len, 30);  // 16 bytes of key, 14 of salt
  // "PS1u" is 3d 2d 6e; "aVBR" is 69 50 51.
  EXPECT_EQ(c.secret_key_salt[0], 0x3d);
  EXPECT_EQ(c.secret_key_salt[1], 0x2d);
  EXPECT_EQ(c.secret_key_salt[2], 0x6e);
  EXPECT_EQ(c.secret_key_salt[29], 0x51);
  EXPECT_EQ(str(c.lifetime), "2^20");
  EXPECT_EQ(c.mki, 1u);
  EXPECT_EQ(c.mki_len, 32);
  const SdpCrypto& c256 = m.cryptos[1];
  ASSERT_TRUE(c256.key_ok);
  ASSERT_EQ(c256.secret_key_salt_len, 46);
  for (int i = 0; i < 46; ++i) EXPECT_EQ(c256.secret_key_salt[i], i);
  EXPECT_EQ(c256.mki_len, 0);
  EXPECT_FALSE(m.cryptos[2].key_ok);  // 48 bytes: more than any suite's key and salt
  EXPECT_EQ(m.cryptos[2].secret_key_salt_len, 0);
  Endpoint e;
  ASSERT_TRUE(sdp_media_endpoint(s, m, e));
  EXPECT_EQ(endpoint_to_string(e), "168.2.17.12:49170");
}

TEST(Sdp, CapacityIsCountedNotOverrun) {
  std::string sdp = "v=0\r\nm=audio 1 RTP/AVP";
  for (int pt = 0; pt < 40; ++pt) sdp += " " + std::to_string(pt);
  sdp += "\r\n";
  for (int i = 0; i < 20; ++i) sdp += "a=candidate:" + std::to_string(i) + " 1 udp 1 10.0.0.1 " + std::to_string(1000 + i) + " typ host\r\n";
  for (int i = 0; i < 20; ++i) sdp += "a=rtpmap:" + std::to_string(96 + i) + " x/90000\r\n";
  for (int i = 0; i < 20; ++i) sdp += "a=ssrc:" + std::to_string(i + 1) + " cname:c\r\n";
  for (int i = 0; i < 9; ++i) sdp += "m=video 2 RTP/AVP 96\r\na=mid:v" + std::to_string(i) + "\r\n";
  const Frame b = text(sdp);
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  ASSERT_EQ(s.media_count, kSdpMaxMedia);
  EXPECT_EQ(s.media_dropped, 10 - kSdpMaxMedia);
  const SdpMedia& m = s.media[0];
  EXPECT_EQ(m.pt_count, kSdpMaxFormats);
  EXPECT_EQ(m.formats_dropped, 40 - kSdpMaxFormats);
  EXPECT_EQ(m.candidate_count, kSdpMaxCandidates);
  EXPECT_EQ(m.candidates_dropped, 20 - kSdpMaxCandidates);
  EXPECT_EQ(m.rtpmap_count, kSdpMaxRtpmaps);
  EXPECT_EQ(m.rtpmaps_dropped, 20 - kSdpMaxRtpmaps);
  EXPECT_EQ(m.ssrc_count, kSdpMaxSsrcs);
  EXPECT_EQ(m.ssrcs_dropped, 20 - kSdpMaxSsrcs);
  EXPECT_EQ(str(s.media[7].mid), "v6");  // a dropped section's attributes do not leak into the last one
}

TEST(Sdp, MalformedLinesAreSkippedAndCounted) {
  const Frame b = text(
      "v=0\r\ngarbage\r\nc=IN IP4\r\nm=audio x RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"  // a rejected m= line...
      "m=audio 5004 RTP/AVP 0\r\na=rtpmap:abc PCMU/8000\r\na=fingerprint:sha-256 AB:C\r\na=setup:sideways\r\n"
      "a=candidate:1 1 udp 5 10.0.0.1 typ host\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 plain:xyz\r\n"
      "a=rtpmap:8 PCMA/8000\r\n");
  SdpSession s;
  ASSERT_TRUE(parse_sdp(b, s));
  EXPECT_EQ(s.malformed_lines, 8);
  ASSERT_EQ(s.media_count, 1);  // ...takes its attributes with it
  const SdpMedia& m = s.media[0];
  EXPECT_EQ(m.port, 5004);
  ASSERT_EQ(m.rtpmap_count, 1);
  EXPECT_EQ(m.rtpmaps[0].pt, 8);
  EXPECT_FALSE(m.fingerprint.present);
  EXPECT_EQ(m.setup, SdpSetup::None);
  EXPECT_EQ(m.candidate_count, 0);
  EXPECT_EQ(m.crypto_count, 0);
}

TEST(Sdp, NotSdp) {
  SdpSession s;
  EXPECT_FALSE(parse_sdp(Bytes{}, s));
  EXPECT_FALSE(parse_sdp(text("\r\n\r\n"), s));
  EXPECT_FALSE(parse_sdp(text("v=1\r\n"), s));
  EXPECT_FALSE(parse_sdp(text("{\"sdp\":\"v=0\"}"), s));
  EXPECT_FALSE(parse_sdp(text("o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n"), s));
  EXPECT_TRUE(parse_sdp(text("v=0"), s));  // the shortest SDP there is
  EXPECT_EQ(s.media_count, 0);
}

TEST(Sdp, FingerprintShapes) {
  SdpSession s;
  const Frame sha1 = text("v=0\na=fingerprint:SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\n");
  ASSERT_TRUE(parse_sdp(sha1, s));
  ASSERT_TRUE(s.fingerprint.present);  // session level
  EXPECT_EQ(s.fingerprint.digest_len, 20);
  EXPECT_EQ(s.fingerprint.digest[19], 0xab);
  const Frame bad = text("v=0\na=fingerprint:sha-256 AB:CD:\na=fingerprint:sha-256 ABCD\na=fingerprint:sha-256 G0\n");
  ASSERT_TRUE(parse_sdp(bad, s));
  EXPECT_FALSE(s.fingerprint.present);
  EXPECT_EQ(s.malformed_lines, 3);
}

TEST(Sdp, RobustAgainstTruncationAndNoise) {
  std::vector<Frame> samples = {from_hex(kOpusOffer), from_hex(kOpusAnswer), from_hex(kAaaOffer),
                                from_hex(kRtspDescribeSdp), from_hex(kXliteOffer), text(kWebRtcOffer),
                                text(kSdesOffer)};
  for (const Frame& f : samples) {
    for (size_t n = 0; n <= f.size(); ++n) {
      SdpSession s;
      EXPECT_EQ(parse_sdp(Bytes(f.data(), n), s), n >= 3) << n;  // "v=0" makes it SDP
      EXPECT_LE(s.media_count, kSdpMaxMedia);
    }
  }
  std::mt19937 rng(8866);
  size_t parsed = 0;
  for (int round = 0; round < 3000; ++round) {
    Frame b = samples[round % samples.size()];
    if (round % 4 == 0) {
      b.resize(rng() % 500);
      for (auto& c : b) c = static_cast<uint8_t>(rng());
    } else {
      for (int k = 0; k < 1 + round % 8; ++k) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    SdpSession s;
    if (parse_sdp(b, s)) ++parsed;
    ASSERT_LE(s.media_count, kSdpMaxMedia);
    for (uint8_t i = 0; i < s.media_count; ++i) {
      const SdpMedia& m = s.media[i];
      ASSERT_LE(m.pt_count, kSdpMaxFormats);
      ASSERT_LE(m.candidate_count, kSdpMaxCandidates);
      for (uint8_t c = 0; c < m.crypto_count; ++c) ASSERT_LE(m.cryptos[c].secret_key_salt_len, kSdpMaxCryptoKey);
      for (uint8_t k = 0; k < m.pt_count; ++k) ASSERT_LE(m.pts[k], 127);
    }
  }
  EXPECT_GT(parsed, 1000u);
}

}  // namespace
}  // namespace wcstap
