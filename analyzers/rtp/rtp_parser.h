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

// False when the bytes cannot be an RTP packet (version, lengths).
bool parse_rtp(Bytes p, RtpHeader& out);

}  // namespace wcstap
