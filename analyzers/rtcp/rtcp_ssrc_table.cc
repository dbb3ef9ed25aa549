#include "rtcp/rtcp_ssrc_table.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace wcstap {

void RtcpSsrcEntry::note_sender_report(uint32_t lsr, Nanos ts) {
  ++ev.rtcp.sr;
  sr_lsr[sr_next] = lsr;
  sr_ts[sr_next] = ts;
  sr_next = static_cast<uint8_t>((sr_next + 1) % sr_lsr.size());
}

// Round-trip time as the tap sees it (RFC 3550 section 6.4.1, with the tap's clock standing in
// for the sender's): from the sender report passing the tap to the report block echoing it passing
// the tap, less the receiver's delay since that report (DLSR). With the tap beside the sender (a
// mirror port of WCS) this is the sender's round trip to that receiver; it needs no clock sync.
void RtcpSsrcEntry::note_block(uint8_t fraction_lost, int32_t cumulative_lost, uint32_t jitter, uint32_t lsr,
                               uint32_t dlsr, Nanos ts) {
  RtcpReport& r = ev.rtcp;
  ++r.rr;
  r.fraction_lost = fraction_lost;
  r.fraction_lost_max = std::max(r.fraction_lost_max, fraction_lost);
  r.cumulative_lost = cumulative_lost;
  r.jitter = jitter;
  r.jitter_max = std::max(r.jitter_max, jitter);
  if (lsr == 0) return;  // no sender report received yet
  for (size_t i = 0; i < sr_lsr.size(); ++i) {
    if (sr_ts[i] == 0 || sr_lsr[i] != lsr) continue;
    const double rtt_ms = static_cast<double>(elapsed(ts, sr_ts[i])) / 1e6 - dlsr / 65.536;
    // Under a millisecond below zero is rounding (DLSR's 15 us units, capture stamps); more is a
    // report that did not come through this tap the way its sender report did: no sample.
    if (rtt_ms < -1.0) return;
    const double v = std::max(0.0, rtt_ms);
    r.rtt_last_ms = v;
    r.rtt_min_ms = r.rtt_samples ? std::min(r.rtt_min_ms, v) : v;
    r.rtt_max_ms = std::max(r.rtt_max_ms, v);
    rtt_sum_ms += v;
    ++r.rtt_samples;
    r.rtt_mean_ms = rtt_sum_ms / r.rtt_samples;
    return;
  }
}

RtcpSsrcTable::RtcpSsrcTable(uint32_t capacity) {
  const uint32_t sets = std::bit_ceil(std::max<uint32_t>(1, (capacity + kWays - 1) / kWays));
  slots_.resize(size_t{sets} * kWays);
  seen_.resize(slots_.size());
  tags_.resize(slots_.size());
  live_.resize((slots_.size() + 63) / 64);
  slots_mask_ = static_cast<uint32_t>(slots_.size() - 1);
  sets_mask_ = sets - 1;
}

RtcpSsrcTable::Sets RtcpSsrcTable::sets_of(const Endpoint& sender, uint32_t ssrc) const {
  uint64_t a, b;
  std::memcpy(&a, sender.addr.data(), 8);
  std::memcpy(&b, sender.addr.data() + 8, 8);
  uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull) ^ ssrc) * 0xff51afd7ed558ccdull;
  h ^= h >> 32;
  // The second set from the hash's other bits, mixed again: independent of the first.
  const uint64_t h2 = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull;
  return {(static_cast<uint32_t>(h) & sets_mask_) * kWays, (static_cast<uint32_t>(h2 >> 32) & sets_mask_) * kWays,
          static_cast<uint32_t>(h2) | 1};
}

RtcpSsrcEntry* RtcpSsrcTable::find(const Sets& at, const Endpoint& sender, uint32_t ssrc) {
  if (RtcpSsrcEntry* e = match(at.first, at.tag, sender, ssrc)) return e;
  return at.second != at.first ? match(at.second, at.tag, sender, ssrc) : nullptr;
}

}  // namespace wcstap
