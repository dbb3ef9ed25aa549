#include "media/host_evidence.h"

#include <algorithm>
#include <bit>

namespace wcstap {

HostEvidenceIndex::HostEvidenceIndex(uint32_t capacity)
    : slots_(std::bit_ceil(capacity)),
      mask_(std::bit_ceil(capacity) - 1) {}

namespace {
constexpr Nanos kMs = 1'000'000;
constexpr uint32_t kMaxGapMs = (1u << 24) - 1;
}  // namespace

void HostEvidenceIndex::note_at(uint32_t i, Evidence kind, const Endpoint& from, uint32_t tag, Nanos ts) {
  ts = std::max<Nanos>(ts, 1);  // 0 marks an empty slot: a note at time 0 would vanish
  uint32_t oldest = i;
  for (uint32_t n = 0; n < kWindow; ++n) {
    const uint32_t j = (i + n) & mask_;
    Entry& e = slots_[j];
    if (e.ts == 0) {
      e = Entry{from.addr, tag, kind, {}, ts};
      return;
    }
    if (e.holds(kind, from, tag)) {
      if (ts > e.ts) {
        const uint32_t gap = static_cast<uint32_t>(std::clamp<Nanos>((ts - e.ts) / kMs, 1, kMaxGapMs));
        e.gap_ms[0] = static_cast<uint8_t>(gap);
        e.gap_ms[1] = static_cast<uint8_t>(gap >> 8);
        e.gap_ms[2] = static_cast<uint8_t>(gap >> 16);
        e.ts = ts;
      }
      return;
    }
    if (e.ts < slots_[oldest].ts) oldest = j;
  }
  slots_[oldest] = Entry{from.addr, tag, kind, {}, ts};
}

uint32_t HostEvidenceIndex::stop(uint32_t home, Evidence kind, const Endpoint& from, uint32_t tag) const {
  for (uint32_t n = 0; n < kWindow; ++n) {
    const uint32_t j = (home + n) & mask_;
    const Entry& e = slots_[j];
    if (e.ts == 0 || e.holds(kind, from, tag)) return j;
  }
  return kFull;
}

const HostEvidenceIndex::Entry* HostEvidenceIndex::find(uint32_t home, Evidence kind, const Endpoint& from,
                                                        uint32_t tag) const {
  const uint32_t j = stop(home, kind, from, tag);
  return j != kFull && slots_[j].ts != 0 ? &slots_[j] : nullptr;
}

Nanos HostEvidenceIndex::probe(Evidence kind, const Endpoint& from, uint32_t tag, Memo& memo) const {
  const uint32_t j = stop(memo.home, kind, from, tag);
  if (j == kFull) {
    memo.state = kUnasked;  // any slot of the window may be replaced by the question's entry: probe again
    return 0;
  }
  memo.at = j;
  memo.state = slots_[j].ts == 0 ? kEmpty : kEntry;
  return slots_[j].ts;
}

Nanos HostEvidenceIndex::last(Evidence kind, const Endpoint& from, uint32_t tag) const {
  const Entry* e = find(home(kind, from, tag), kind, from, tag);
  return e ? e->ts : 0;
}

Nanos HostEvidenceIndex::last_gap(Evidence kind, const Endpoint& from, uint32_t tag) const {
  const Entry* e = find(home(kind, from, tag), kind, from, tag);
  if (e == nullptr) return 0;
  return Nanos{e->gap_ms[0] | uint32_t{e->gap_ms[1]} << 8 | uint32_t{e->gap_ms[2]} << 16} * kMs;
}

}  // namespace wcstap
