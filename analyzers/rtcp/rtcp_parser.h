// RTCP compound packets (RFC 3550 section 6): walks the packets of a datagram and hands out
// what a visitor asks for. Stops at the first packet whose header does not hold (SRTCP's
// encrypted part, trailing index and tag).
#pragma once

#include <cstdint>

#include "decode/bytes.h"

namespace wcstap {

struct RtcpHeader {
  uint8_t count = 0;   // RC / FMT / subtype
  uint8_t pt = 0;      // 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, 205 RTPFB, 206 PSFB
  uint16_t length_words = 0;
  uint32_t sender_ssrc = 0;
};

struct RtcpReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;
  uint32_t ext_highest_seq = 0;
  uint32_t jitter = 0;
  uint32_t lsr = 0;
  uint32_t dlsr = 0;
};

// True when the datagram starts with a well-formed RTCP header (version 2, PT 192..223, length
// within the datagram): the check used to classify a datagram as RTCP.
bool looks_like_rtcp(Bytes p);

// Calls on_packet(header) for each packet and on_block(header, block) for each SR/RR report block.
// on_packet returns false to stop after that header (SRTCP: the rest is ciphertext).
// Returns the number of packets walked.
template <class OnPacket, class OnBlock>
unsigned walk_rtcp(Bytes p, OnPacket&& on_packet, OnBlock&& on_block) {
  unsigned n = 0;
  size_t off = 0;
  while (has(p, off, 8)) {
    const uint8_t* h = &p[off];
    if ((h[0] >> 6) != 2 || h[1] < 192 || h[1] > 223) break;
    size_t len = (size_t{be16(h + 2)} + 1) * 4;
    if (!has(p, off, len)) break;
    RtcpHeader hdr{static_cast<uint8_t>(h[0] & 0x1f), h[1], be16(h + 2), be32(h + 4)};
    ++n;
    if (!on_packet(hdr)) break;
    if (hdr.pt == 200 || hdr.pt == 201) {
      size_t blocks_at = off + (hdr.pt == 200 ? 28 : 8);
      for (unsigned i = 0; i < hdr.count && blocks_at + 24 <= off + len; ++i, blocks_at += 24) {
        const uint8_t* b = &p[blocks_at];
        RtcpReportBlock blk;
        blk.ssrc = be32(b);
        blk.fraction_lost = b[4];
        uint32_t cum = be24(b + 5);
        blk.cumulative_lost = static_cast<int32_t>(cum & 0x800000 ? cum | 0xff000000u : cum);
        blk.ext_highest_seq = be32(b + 8);
        blk.jitter = be32(b + 12);
        blk.lsr = be32(b + 16);
        blk.dlsr = be32(b + 20);
        on_block(hdr, blk);
      }
    }
    off += len;
  }
  return n;
}

}  // namespace wcstap
