#include "classify/classify.h"

#include <array>

namespace wcstap {

FlowClass classify_udp_non_rtp(Bytes p) {
  if (p.empty()) return FlowClass::Unknown;
  uint8_t b0 = p[0];
  if (b0 <= 3) {
    // STUN: 20-byte header, length a multiple of 4 covering the rest; RFC 5389 magic cookie,
    // or an RFC 3489 message whose length matches exactly.
    if (p.size() < 20) return FlowClass::Unknown;
    uint16_t len = be16(&p[2]);
    if ((len & 3) != 0 || size_t{len} + 20 > p.size()) return FlowClass::Unknown;
    if (be32(&p[4]) == kStunMagicCookie) return FlowClass::Stun;
    uint16_t type = be16(&p[0]);
    bool classic = type == 0x0001 || type == 0x0101 || type == 0x0111 || type == 0x0002 ||
                   type == 0x0102 || type == 0x0112;
    return classic && size_t{len} + 20 == p.size() ? FlowClass::Stun : FlowClass::Unknown;
  }
  if (b0 >= 16 && b0 <= 19) {
    return p.size() >= 12 && be32(&p[4]) == 0x5a525450 ? FlowClass::Zrtp : FlowClass::Unknown;
  }
  if (b0 >= 20 && b0 <= 63) {
    // DTLS record: content type 20..25, version 0xfeff (1.0) / 0xfefd (1.2) / 0xfefc (1.3), or
    // 0x0100, OpenSSL's before 0.9.8f.
    if (p.size() < 13 || b0 > 25) return FlowClass::Unknown;
    const uint16_t v = be16(&p[1]);
    return v == 0xfeff || v == 0xfefd || v == 0xfefc || v == 0x0100 ? FlowClass::Dtls : FlowClass::Unknown;
  }
  if (b0 >= 64 && b0 <= 79) {
    // TURN ChannelData: channel 0x4000-0x4fff, length within the datagram.
    if (p.size() < 4) return FlowClass::Unknown;
    return size_t{be16(&p[2])} + 4 <= p.size() ? FlowClass::Turn : FlowClass::Unknown;
  }
  return FlowClass::Unknown;
}

FlowClass port_class(const WcsConfig& wcs, uint16_t port_a, uint16_t port_b) {
  FlowClass a = wcs.class_of_port(port_a);
  if (a != FlowClass::Unknown) return a;
  return wcs.class_of_port(port_b);
}

FlowClass primary_class(FlowClassMask classes) {
  static constexpr std::array kPriority{
      FlowClass::Rtp, FlowClass::Turn, FlowClass::Dtls, FlowClass::Stun, FlowClass::Rtcp,
      FlowClass::Zrtp, FlowClass::Sip, FlowClass::Rtsp, FlowClass::Rtmp, FlowClass::Websocket,
      FlowClass::Hls, FlowClass::Http, FlowClass::Tls, FlowClass::Dns, FlowClass::Icmp};
  for (FlowClass c : kPriority)
    if (classes & class_bit(c)) return c;
  return FlowClass::Unknown;
}

}  // namespace wcstap
