// RTP fixed header (RFC 3550 section 5.1): a pure parser, no side effects.
#pragma once

#include <cstdint>

#include "decode/bytes.h"

namespace wcstap {

struct RtpHeader {
  bool padding = false;
  bool extension = false;
  bool marker = false;
  uint8_t csrc_count = 0;
  uint8_t pt = 0;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  uint16_t header_len = 0;  // fixed header + CSRCs + extension
};

// False when the bytes cannot be an RTP packet (version, lengths). Inline: the RTP analyzer runs
// it on every packet, and its caller keeps the fields in registers.
inline bool parse_rtp(Bytes p, RtpHeader& out) {
  if (p.size() < 12 || (p[0] >> 6) != 2) return false;
  out.padding = p[0] & 0x20;
  out.extension = p[0] & 0x10;
  out.csrc_count = p[0] & 0x0f;
  out.marker = p[1] & 0x80;
  out.pt = p[1] & 0x7f;
  out.seq = be16(&p[2]);
  out.timestamp = be32(&p[4]);
  out.ssrc = be32(&p[8]);
  size_t len = 12 + size_t{out.csrc_count} * 4;
  if (out.extension) {
    if (!has(p, len, 4)) return false;
    len += 4 + size_t{be16(&p[len + 2])} * 4;
  }
  if (len > p.size()) return false;
  out.header_len = static_cast<uint16_t>(len);
  return true;
}

}  // namespace wcstap
