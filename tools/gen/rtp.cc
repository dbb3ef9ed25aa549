#include "rtp.h"

#include <stdexcept>

namespace wcsgen {

Bytes rtp_packet(const RtpHeader& h, ByteView payload) {
  Bytes b;
  b.reserve(12 + payload.size());
  put8(b, 0x80);  // V=2, no padding, no extension, CC=0
  put8(b, static_cast<std::uint8_t>((h.marker ? 0x80 : 0) | (h.pt & 0x7f)));
  put16(b, h.seq);
  put32(b, h.timestamp);
  put32(b, h.ssrc);
  append(b, payload);
  return b;
}

namespace rtcp {

namespace {

constexpr std::uint64_t kNtpUnixOffset = 2208988800ULL;

void put_header(Bytes& b, std::uint8_t count, std::uint8_t pt) {
  if (count > 31) throw std::invalid_argument("too many RTCP report blocks");
  put8(b, static_cast<std::uint8_t>(0x80 | count));
  put8(b, pt);
  put16(b, 0);  // length, fixed by finish()
}

void finish(Bytes& b) {
  while (b.size() % 4 != 0) put8(b, 0);
  set16(b, 2, static_cast<std::uint16_t>(b.size() / 4 - 1));
}

void put_blocks(Bytes& b, std::span<const ReportBlock> blocks) {
  for (const auto& rb : blocks) {
    put32(b, rb.ssrc);
    put8(b, rb.fraction_lost);
    put24(b, rb.cumulative_lost & 0xffffff);
    put32(b, rb.extended_highest_seq);
    put32(b, rb.jitter);
    put32(b, rb.lsr);
    put32(b, rb.dlsr);
  }
}

}  // namespace

std::uint64_t ntp_from_unix_us(std::int64_t t_us) {
  const std::uint64_t secs = static_cast<std::uint64_t>(t_us / 1000000) + kNtpUnixOffset;
  const std::uint64_t frac = (static_cast<std::uint64_t>(t_us % 1000000) << 32) / 1000000;
  return (secs << 32) | frac;
}

Bytes sender_report(std::uint32_t ssrc, const SenderInfo& si, std::span<const ReportBlock> blocks) {
  Bytes b;
  put_header(b, static_cast<std::uint8_t>(blocks.size()), kSenderReport);
  put32(b, ssrc);
  put64(b, si.ntp);
  put32(b, si.rtp_timestamp);
  put32(b, si.packet_count);
  put32(b, si.octet_count);
  put_blocks(b, blocks);
  finish(b);
  return b;
}

Bytes receiver_report(std::uint32_t ssrc, std::span<const ReportBlock> blocks) {
  Bytes b;
  put_header(b, static_cast<std::uint8_t>(blocks.size()), kReceiverReport);
  put32(b, ssrc);
  put_blocks(b, blocks);
  finish(b);
  return b;
}

Bytes sdes_cname(std::uint32_t ssrc, const std::string& cname) {
  Bytes b;
  put_header(b, 1, kSdes);
  put32(b, ssrc);
  put8(b, 1);  // CNAME
  put8(b, static_cast<std::uint8_t>(cname.size()));
  append(b, std::string_view(cname));
  put8(b, 0);  // end of items; finish() pads with more zeros
  finish(b);
  return b;
}

}  // namespace rtcp
}  // namespace wcsgen
