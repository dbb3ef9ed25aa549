// Classification of a UDP payload by its first bytes (RFC 7983 demultiplexing) and of a flow by
// the WCS port map.
#pragma once

#include "config/config.h"
#include "decode/bytes.h"
#include "event.h"

namespace wcstap {

constexpr uint32_t kStunMagicCookie = 0x2112A442;

// STUN, DTLS, TURN ChannelData, ZRTP, RTP or RTCP by first bytes; Unknown otherwise.
// RTP and RTCP are candidates only: the RTP analyzer confirms a stream before it is trusted.
FlowClass classify_udp_payload(Bytes p);

// True for classes that belong to the media path (may share a 5-tuple with RTP).
bool is_media_class(FlowClass c);

// The class by port map of a flow between two ports: the server-side (mapped) port wins.
FlowClass port_class(const WcsConfig& wcs, uint16_t port_a, uint16_t port_b);

// The most telling class among those seen on a flow.
FlowClass primary_class(FlowClassMask classes);

}  // namespace wcstap
