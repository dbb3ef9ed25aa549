// Classification of a UDP payload by its first bytes (RFC 7983 demultiplexing) and of a flow by
// the WCS port map.
#pragma once

#include "config/config.h"
#include "decode/bytes.h"
#include "event.h"

namespace wcstap {

constexpr uint32_t kStunMagicCookie = 0x2112A442;

// STUN, DTLS, TURN ChannelData or ZRTP by first bytes (RFC 7983's other ranges); Unknown otherwise.
FlowClass classify_udp_non_rtp(Bytes p);

// STUN, DTLS, TURN ChannelData, ZRTP, RTP or RTCP by first bytes; Unknown otherwise.
// RTP and RTCP are candidates only: the RTP analyzer confirms a stream before it is trusted.
// Inline, RTP and RTCP first (version 2: 128..191): nearly every datagram of a media mix is one.
// The other ranges do not overlap it, so the order changes no answer.
inline FlowClass classify_udp_payload(Bytes p) {
  if (p.empty()) return FlowClass::Unknown;
  if ((p[0] & 0xc0) == 0x80) {
    if (p.size() >= 8 && p[1] >= 192 && p[1] <= 223) return FlowClass::Rtcp;
    return p.size() >= 12 ? FlowClass::Rtp : FlowClass::Unknown;
  }
  return classify_udp_non_rtp(p);
}

// True for classes that belong to the media path (may share a 5-tuple with RTP). Inline: asked
// of every datagram on a mapped port.
constexpr bool is_media_class(FlowClass c) {
  return c == FlowClass::Rtp || c == FlowClass::Rtcp || c == FlowClass::Stun || c == FlowClass::Dtls ||
         c == FlowClass::Turn || c == FlowClass::Zrtp;
}

// The class by port map of a flow between two ports: the server-side (mapped) port wins.
FlowClass port_class(const WcsConfig& wcs, uint16_t port_a, uint16_t port_b);

// The most telling class among those seen on a flow.
FlowClass primary_class(FlowClassMask classes);

}  // namespace wcstap
