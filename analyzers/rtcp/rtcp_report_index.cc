#include "rtcp/rtcp_report_index.h"

#include <bit>
#include <cstring>

namespace wcstap {

RtcpReportIndex::RtcpReportIndex(uint32_t capacity_pow2)
    : slots_(std::bit_ceil(capacity_pow2)), mask_(std::bit_ceil(capacity_pow2) - 1) {}

uint32_t RtcpReportIndex::home(const Endpoint& e, uint32_t ssrc) const {
  uint64_t a, b;
  std::memcpy(&a, e.addr.data(), 8);
  std::memcpy(&b, e.addr.data() + 8, 8);
  uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b + 0xff51afd7ed558ccdull) ^ (uint64_t{ssrc} << 17);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return static_cast<uint32_t>(h >> 32) & mask_;
}

void RtcpReportIndex::note(const Endpoint& reporter, uint32_t ssrc, Nanos ts) {
  uint32_t i = home(reporter, ssrc);
  Entry* oldest = &slots_[i];
  for (uint32_t n = 0; n < kWindow; ++n) {
    Entry& e = slots_[(i + n) & mask_];
    if (e.ts == 0 || (e.ssrc == ssrc && e.addr == reporter.addr)) {
      e = Entry{reporter.addr, ssrc, ts};
      return;
    }
    if (e.ts < oldest->ts) oldest = &e;
  }
  *oldest = Entry{reporter.addr, ssrc, ts};
}

Nanos RtcpReportIndex::last(const Endpoint& reporter, uint32_t ssrc) const {
  uint32_t i = home(reporter, ssrc);
  for (uint32_t n = 0; n < kWindow; ++n) {
    const Entry& e = slots_[(i + n) & mask_];
    if (e.ts == 0) return 0;
    if (e.ssrc == ssrc && e.addr == reporter.addr) return e.ts;
  }
  return 0;
}

}  // namespace wcstap
