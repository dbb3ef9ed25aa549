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
  Bytes packet;        // the whole packet, header included (length_words + 1 words)
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

// True when the report contents of the datagram can be read: the compound's packets fill it
// (plain RTCP; up to 7 stray bytes after them are tolerated), or they end in an SRTCP trailer (E flag + index, optional 4-byte MKI,
// 4- or 10-byte tag) whose E flag says the payload is not encrypted. SRTCP with encryption shows
// its first 8 bytes in clear and then ciphertext, which may well parse as report blocks: keyed by
// SDES or ZRTP there may have been no DTLS handshake on the 5-tuple to tell.
bool rtcp_in_clear(Bytes p);

// Feedback messages (RFC 4585 section 6.1): the media source SSRC they are about (0 when the packet
// is too short to carry one; FIR and REMB name their SSRCs in the FCI instead).
uint32_t feedback_media_ssrc(const RtcpHeader& h);
// Generic NACK (RTPFB FMT 1): the sequence numbers asked for, each FCI entry naming its PID and
// up to 16 more in its bitmask.
unsigned nack_sequence_count(const RtcpHeader& h);
// Full intra request (PSFB FMT 4, RFC 5104): calls f(ssrc) for each FCI entry.
template <class F>
void for_each_fir_ssrc(const RtcpHeader& h, F&& f) {
  if (h.pt != 206 || h.count != 4) return;
  for (size_t off = 12; off + 8 <= h.packet.size(); off += 8) f(be32(&h.packet[off]));
}
// Receiver estimated maximum bitrate (PSFB FMT 15 "REMB", draft-alvestrand-rmcat-remb): the
// estimate in bit/s, and f(ssrc) for each SSRC it applies to. False when it is not a REMB.
template <class F>
bool for_each_remb_ssrc(const RtcpHeader& h, double& bps, F&& f) {
  const Bytes p = h.packet;
  if (h.pt != 206 || h.count != 15 || p.size() < 20 || p[12] != 'R' || p[13] != 'E' || p[14] != 'M' || p[15] != 'B')
    return false;
  const unsigned n = p[16];
  const uint32_t mantissa = be24(&p[17]) & 0x3ffff;
  bps = static_cast<double>(mantissa) * static_cast<double>(uint64_t{1} << (p[17] >> 2));
  for (unsigned i = 0; i < n && 20 + 4 * (i + 1) <= p.size(); ++i) f(be32(&p[20 + 4 * i]));
  return true;
}
// Sender report (PT 200): the middle 32 bits of its NTP timestamp, the value a receiver echoes as
// LSR (RFC 3550 section 6.4.1). 0 when the packet is too short.
uint32_t sender_report_lsr(const RtcpHeader& h);
// BYE (PT 203): calls f(ssrc) for each SSRC/CSRC leaving.
template <class F>
void for_each_bye_ssrc(const RtcpHeader& h, F&& f) {
  if (h.pt != 203) return;
  for (unsigned i = 0; i < h.count && 4 + 4 * (i + 1) <= h.packet.size(); ++i) f(be32(&h.packet[4 + 4 * i]));
}

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
    RtcpHeader hdr{static_cast<uint8_t>(h[0] & 0x1f), h[1], be16(h + 2), be32(h + 4), p.subspan(off, len)};
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
