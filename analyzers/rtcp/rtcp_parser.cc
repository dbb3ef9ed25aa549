#include "rtcp/rtcp_parser.h"

#include <bit>

namespace wcstap {

bool looks_like_rtcp(Bytes p) {
  if (p.size() < 8 || (p[0] >> 6) != 2 || p[1] < 192 || p[1] > 223) return false;
  return (size_t{be16(&p[2])} + 1) * 4 <= p.size();
}

bool rtcp_in_clear(Bytes p) {
  size_t off = 0;
  while (has(p, off, 8) && (p[off] >> 6) == 2 && p[off + 1] >= 192 && p[off + 1] <= 223) {
    const size_t len = (size_t{be16(&p[off + 2])} + 1) * 4;
    if (!has(p, off, len)) return false;
    off += len;
  }
  if (off == 0) return false;
  const size_t rest = p.size() - off;
  // Under 8 bytes cannot be an SRTCP trailer (index and the shortest tag): a sender's stray bytes
  // (SIP_CALL_RTP_G711's proxy adds 2), what follows the packets is read as tshark reads it.
  if (rest < 8) return true;
  return (rest == 8 || rest == 12 || rest == 14 || rest == 18) && (p[off] & 0x80) == 0;
}

uint32_t feedback_media_ssrc(const RtcpHeader& h) {
  return h.packet.size() >= 12 ? be32(&h.packet[8]) : 0;
}

unsigned nack_sequence_count(const RtcpHeader& h) {
  if (h.pt != 205 || h.count != 1) return 0;
  unsigned n = 0;
  for (size_t off = 12; off + 4 <= h.packet.size(); off += 4)
    n += 1 + static_cast<unsigned>(std::popcount(be16(&h.packet[off + 2])));
  return n;
}

uint32_t sender_report_lsr(const RtcpHeader& h) {
  return h.pt == 200 && h.packet.size() >= 16 ? be32(&h.packet[10]) : 0;
}

}  // namespace wcstap
