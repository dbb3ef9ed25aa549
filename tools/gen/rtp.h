// RTP (RFC 3550) and RTCP wire formats, in clear: WebRTC sessions have them protected by
// libsrtp (srtp_session.h) when the capture is complete (Capture::protect_srtp).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "bytes.h"

namespace wcsgen {

struct RtpHeader {
  std::uint8_t pt = 0;
  bool marker = false;
  std::uint16_t seq = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
};

// 12-byte RTP header (no CSRC, no extension) + payload.
Bytes rtp_packet(const RtpHeader& h, ByteView payload);

namespace rtcp {

inline constexpr std::uint8_t kSenderReport = 200;
inline constexpr std::uint8_t kReceiverReport = 201;
inline constexpr std::uint8_t kSdes = 202;

struct ReportBlock {
  std::uint32_t ssrc = 0;
  std::uint8_t fraction_lost = 0;
  std::uint32_t cumulative_lost = 0;  // 24 bits
  std::uint32_t extended_highest_seq = 0;
  std::uint32_t jitter = 0;  // timestamp units
  std::uint32_t lsr = 0;     // middle 32 bits of the last SR's NTP time
  std::uint32_t dlsr = 0;    // 1/65536 s since that SR
};

struct SenderInfo {
  std::uint64_t ntp = 0;
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
};

// 64-bit NTP timestamp for a Unix time in microseconds.
std::uint64_t ntp_from_unix_us(std::int64_t t_us);

Bytes sender_report(std::uint32_t ssrc, const SenderInfo& si, std::span<const ReportBlock> blocks);
Bytes receiver_report(std::uint32_t ssrc, std::span<const ReportBlock> blocks);
Bytes sdes_cname(std::uint32_t ssrc, const std::string& cname);

}  // namespace rtcp
}  // namespace wcsgen
