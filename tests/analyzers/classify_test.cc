#include "classify/classify.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "packet_builder.h"

namespace wcstap {
namespace {

using test::Frame;

FlowClass classify(const Frame& f) { return classify_udp_payload(f); }

Frame priority_attribute() { return {0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff}; }

// ---- STUN (first byte 0..3) --------------------------------------------------------------------

TEST(Classify, StunBindingRequestWithMagicCookie) {
  EXPECT_EQ(classify(test::stun_binding_request()), FlowClass::Stun);
  EXPECT_EQ(classify(test::stun_binding_request(true, priority_attribute())), FlowClass::Stun);
}

TEST(Classify, StunSuccessResponseWithMagicCookie) {
  Frame f = test::stun_binding_request(true, priority_attribute());
  f[0] = 0x01;  // 0x0101 Binding Success Response
  EXPECT_EQ(classify(f), FlowClass::Stun);
}

TEST(Classify, StunShorterThanItsHeaderIsUnknown) {
  Frame f = test::stun_binding_request();
  f.pop_back();
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

TEST(Classify, StunLengthNotMultipleOfFourIsUnknown) {
  Frame f = test::stun_binding_request(true, {0, 0x24, 0, 2, 1, 2});
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

TEST(Classify, StunLengthBeyondDatagramIsUnknown) {
  Frame f = test::stun_binding_request(true, priority_attribute());
  f.resize(f.size() - 4);
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

TEST(Classify, ClassicStunByExactLength) {
  EXPECT_EQ(classify(test::stun_binding_request(false, priority_attribute())), FlowClass::Stun);
  EXPECT_EQ(classify(test::stun_binding_request(false)), FlowClass::Stun);
}

TEST(Classify, ClassicStunResponseAndErrorTypes) {
  for (uint8_t lo : {0x01, 0x11}) {
    Frame f = test::stun_binding_request(false, priority_attribute());
    f[0] = 0x01;
    f[1] = lo;
    EXPECT_EQ(classify(f), FlowClass::Stun) << int{lo};
  }
}

TEST(Classify, ClassicStunWithTrailingBytesIsUnknown) {
  Frame f = test::stun_binding_request(false, priority_attribute());
  f.insert(f.end(), {0, 0, 0, 0});  // the length field no longer covers the datagram
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

TEST(Classify, ClassicStunUnknownMessageTypeIsUnknown) {
  Frame f = test::stun_binding_request(false, priority_attribute());
  f[1] = 0x03;
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

// ---- ZRTP (16..19) -----------------------------------------------------------------------------

TEST(Classify, ZrtpByMagicCookie) { EXPECT_EQ(classify(test::zrtp_packet(1, 0x11223344)), FlowClass::Zrtp); }

TEST(Classify, ZrtpWithoutMagicCookieIsUnknown) {
  Frame f = test::zrtp_packet(1, 0x11223344);
  f[7] = 0x51;  // "ZRTQ"
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

TEST(Classify, ZrtpShorterThanHeaderIsUnknown) {
  Frame f = test::zrtp_packet(1, 0x11223344, 0);
  f.pop_back();
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

// ---- DTLS (20..63) -----------------------------------------------------------------------------

TEST(Classify, Dtls10Handshake) { EXPECT_EQ(classify(test::dtls_record(22, 0xfeff, Frame(60, 1))), FlowClass::Dtls); }

TEST(Classify, Dtls12Handshake) { EXPECT_EQ(classify(test::dtls_record(22, 0xfefd, Frame(60, 1))), FlowClass::Dtls); }

TEST(Classify, Dtls12OtherContentTypes) {
  for (uint8_t ct : {20, 21, 23, 24, 25})
    EXPECT_EQ(classify(test::dtls_record(ct, 0xfefd, Frame(16, 1), 1, 5)), FlowClass::Dtls) << int{ct};
}

TEST(Classify, Dtls13CiphertextVersion) { EXPECT_EQ(classify(test::dtls_record(23, 0xfefc, Frame(30, 1))), FlowClass::Dtls); }

TEST(Classify, TlsRecordIsNotDtls) {
  Frame tls{0x16, 0x03, 0x03, 0x00, 0x30};
  tls.resize(53, 0);
  EXPECT_EQ(classify(tls), FlowClass::Unknown);
}

TEST(Classify, DtlsUnknownContentTypeIsUnknown) {
  EXPECT_EQ(classify(test::dtls_record(26, 0xfefd, Frame(16, 1))), FlowClass::Unknown);
  EXPECT_EQ(classify(test::dtls_record(63, 0xfefd, Frame(16, 1))), FlowClass::Unknown);
}

TEST(Classify, DtlsUnknownVersionIsUnknown) {
  EXPECT_EQ(classify(test::dtls_record(22, 0xfefe, Frame(16, 1))), FlowClass::Unknown);
  EXPECT_EQ(classify(test::dtls_record(22, 0xfdfd, Frame(16, 1))), FlowClass::Unknown);
}

TEST(Classify, DtlsShorterThanRecordHeaderIsUnknown) {
  Frame f = test::dtls_record(22, 0xfefd, {});
  f.pop_back();
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

// ---- TURN ChannelData (64..79) -----------------------------------------------------------------

TEST(Classify, TurnChannelData) {
  EXPECT_EQ(classify(test::turn_channel_data(0x4000, test::rtp({.ssrc = 1}))), FlowClass::Turn);
  EXPECT_EQ(classify(test::turn_channel_data(0x4ffe, Frame(3, 1))), FlowClass::Turn);
}

TEST(Classify, TurnChannelDataPaddedToFourBytes) {
  Frame f = test::turn_channel_data(0x4001, Frame(3, 1));
  f.push_back(0);
  EXPECT_EQ(classify(f), FlowClass::Turn);
}

TEST(Classify, TurnChannelDataLengthBeyondDatagramIsUnknown) {
  Frame f = test::turn_channel_data(0x4000, Frame(100, 1));
  f.resize(f.size() - 1);
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

TEST(Classify, TurnChannelDataShorterThanHeaderIsUnknown) {
  EXPECT_EQ(classify(Frame{0x40, 0x00, 0x00}), FlowClass::Unknown);
}

// ---- RTP / RTCP (128..191) ---------------------------------------------------------------------

TEST(Classify, Rtp) {
  EXPECT_EQ(classify(test::rtp({.pt = 111, .seq = 1, .ssrc = 1})), FlowClass::Rtp);
  EXPECT_EQ(classify(test::rtp({.pt = 0, .seq = 1, .ssrc = 1, .payload_size = 0})), FlowClass::Rtp);
}

TEST(Classify, RtpWithMarkerOutsideRtcpRangeIsRtp) {
  // Marker + PT 96 makes the second byte 224, marker + PT 63 makes 191: both just outside 192..223.
  EXPECT_EQ(classify(test::rtp({.marker = true, .pt = 96, .ssrc = 1})), FlowClass::Rtp);
  EXPECT_EQ(classify(test::rtp({.marker = true, .pt = 63, .ssrc = 1})), FlowClass::Rtp);
}

TEST(Classify, RtpShorterThanFixedHeaderIsUnknown) {
  Frame f = test::rtp({.ssrc = 1, .payload_size = 0});
  f.pop_back();
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

TEST(Classify, RtcpSecondByte200To204) {
  for (uint8_t pt = 200; pt <= 204; ++pt) {
    Frame f{0x80, pt, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
    EXPECT_EQ(classify(f), FlowClass::Rtcp) << int{pt};
  }
  EXPECT_EQ(classify(test::rtcp_rr(0x11223344, {{.ssrc = 0x55667788}})), FlowClass::Rtcp);
  EXPECT_EQ(classify(test::rtcp_sr(0x11223344, {})), FlowClass::Rtcp);
}

TEST(Classify, RtcpFeedbackIsRtcp) {
  EXPECT_EQ(classify(test::rtcp_nack(1, 2, 100, 0)), FlowClass::Rtcp);
  Frame pli{0x81, 206, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
  EXPECT_EQ(classify(pli), FlowClass::Rtcp);
}

TEST(Classify, RtcpShorterThanItsHeaderIsUnknown) {
  EXPECT_EQ(classify(Frame{0x80, 201, 0x00, 0x01, 0x11, 0x22, 0x33}), FlowClass::Unknown);
}

// ---- outside RFC 7983's ranges -----------------------------------------------------------------

TEST(Classify, EmptyIsUnknown) { EXPECT_EQ(classify(Frame{}), FlowClass::Unknown); }

TEST(Classify, UnassignedFirstBytesAreUnknown) {
  for (int b0 = 0; b0 < 256; ++b0) {
    bool assigned = b0 <= 3 || (b0 >= 16 && b0 <= 79) || (b0 >= 128 && b0 <= 191);
    if (assigned) continue;
    Frame f(64, 0);
    f[0] = static_cast<uint8_t>(b0);
    f[1] = 0xfe;
    f[2] = 0xfd;
    EXPECT_EQ(classify(f), FlowClass::Unknown) << b0;
  }
}

TEST(Classify, DtlsRangeByteWithStunLayoutIsNotStun) {
  Frame f = test::stun_binding_request();
  f[0] = 0x04;  // just above STUN's range
  EXPECT_EQ(classify(f), FlowClass::Unknown);
}

// ---- port map and class priority ---------------------------------------------------------------

TEST(Classify, PortClassDefaults) {
  const WcsConfig wcs = default_config().wcs;
  const uint16_t client = 50123;
  EXPECT_EQ(port_class(wcs, 8080, client), FlowClass::Websocket);
  EXPECT_EQ(port_class(wcs, 8443, client), FlowClass::Websocket);
  EXPECT_EQ(port_class(wcs, 8081, client), FlowClass::Http);
  EXPECT_EQ(port_class(wcs, 8444, client), FlowClass::Tls);
  EXPECT_EQ(port_class(wcs, 8082, client), FlowClass::Hls);
  EXPECT_EQ(port_class(wcs, 8445, client), FlowClass::Tls);
  EXPECT_EQ(port_class(wcs, 1935, client), FlowClass::Rtmp);
  EXPECT_EQ(port_class(wcs, 554, client), FlowClass::Rtsp);
  EXPECT_EQ(port_class(wcs, 5060, client), FlowClass::Sip);
  EXPECT_EQ(port_class(wcs, 3478, client), FlowClass::Stun);
  EXPECT_EQ(port_class(wcs, 53, client), FlowClass::Dns);
}

TEST(Classify, PortClassEitherSide) {
  const WcsConfig wcs = default_config().wcs;
  EXPECT_EQ(port_class(wcs, 50123, 8443), FlowClass::Websocket);
  EXPECT_EQ(port_class(wcs, 53000, 53), FlowClass::Dns);
}

TEST(Classify, PortClassFirstMappedPortWins) {
  const WcsConfig wcs = default_config().wcs;
  EXPECT_EQ(port_class(wcs, 5060, 53), FlowClass::Sip);
  EXPECT_EQ(port_class(wcs, 53, 5060), FlowClass::Dns);
}

TEST(Classify, MediaPortsAreNotInThePortMap) {
  const WcsConfig wcs = default_config().wcs;
  EXPECT_EQ(port_class(wcs, 31002, 5004), FlowClass::Unknown);
  EXPECT_EQ(port_class(wcs, 31001, 32000), FlowClass::Unknown);
}

TEST(Classify, PrimaryClassPrefersMedia) {
  auto mask = [](std::initializer_list<FlowClass> cs) {
    FlowClassMask m = 0;
    for (FlowClass c : cs) m |= class_bit(c);
    return m;
  };
  EXPECT_EQ(primary_class(mask({FlowClass::Stun, FlowClass::Dtls, FlowClass::Rtp, FlowClass::Rtcp})), FlowClass::Rtp);
  EXPECT_EQ(primary_class(mask({FlowClass::Stun, FlowClass::Dtls})), FlowClass::Dtls);
  EXPECT_EQ(primary_class(mask({FlowClass::Stun, FlowClass::Turn})), FlowClass::Turn);
  EXPECT_EQ(primary_class(mask({FlowClass::Websocket, FlowClass::Http})), FlowClass::Websocket);
  EXPECT_EQ(primary_class(mask({FlowClass::Icmp})), FlowClass::Icmp);
  EXPECT_EQ(primary_class(0), FlowClass::Unknown);
}

TEST(Classify, MediaClasses) {
  for (FlowClass c : {FlowClass::Rtp, FlowClass::Rtcp, FlowClass::Stun, FlowClass::Dtls, FlowClass::Turn, FlowClass::Zrtp})
    EXPECT_TRUE(is_media_class(c)) << flow_class_name(c);
  for (FlowClass c : {FlowClass::Unknown, FlowClass::Sip, FlowClass::Dns, FlowClass::Websocket, FlowClass::Http, FlowClass::Tls})
    EXPECT_FALSE(is_media_class(c)) << flow_class_name(c);
}

}  // namespace
}  // namespace wcstap
