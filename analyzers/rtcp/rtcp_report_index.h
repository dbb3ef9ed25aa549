// When a host last sent an RTCP report block about an SSRC. Lets one_way_media see receiver reports
// that travel on another port (RTCP without rtcp-mux). A fixed-size cache: a full probe window
// replaces its oldest entry.
#pragma once

#include <cstdint>
#include <vector>

#include "event.h"

namespace wcstap {

class RtcpReportIndex {
 public:
  explicit RtcpReportIndex(uint32_t capacity_pow2 = 4096);
  void note(const Endpoint& reporter, uint32_t ssrc, Nanos ts);
  // Last time `reporter` (address only) reported on `ssrc`; 0 when never.
  Nanos last(const Endpoint& reporter, uint32_t ssrc) const;

 private:
  struct Entry {
    std::array<uint8_t, 16> addr{};
    uint32_t ssrc = 0;
    Nanos ts = 0;  // 0 = empty
  };
  static constexpr uint32_t kWindow = 8;
  uint32_t home(const Endpoint& e, uint32_t ssrc) const;
  std::vector<Entry> slots_;
  uint32_t mask_;
};

}  // namespace wcstap
