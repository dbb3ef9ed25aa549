#include "flow/flow_table.h"

#include <bit>
#include <stdexcept>

namespace wcstap {

FlowTable::FlowTable(uint32_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("flow table capacity must be > 0");
  uint64_t buckets = std::bit_ceil(uint64_t{capacity} * 2);
  slots_.resize(buckets);
  seen_.resize(buckets);
  mask_ = static_cast<uint32_t>(buckets - 1);
}

FlowRecord* FlowTable::find(const FlowKey& key, uint64_t hash) {
  for (uint32_t i = static_cast<uint32_t>(hash) & mask_;; i = (i + 1) & mask_) {
    FlowRecord& r = slots_[i];
    if (!r.used) return nullptr;
    if (r.hash == hash && r.key == key) return &r;
  }
}

FlowRecord* FlowTable::find_or_insert(const FlowKey& key, uint64_t hash, bool& created) {
  created = false;
  for (uint32_t i = static_cast<uint32_t>(hash) & mask_;; i = (i + 1) & mask_) {
    FlowRecord& r = slots_[i];
    if (r.used) {
      if (r.hash == hash && r.key == key) return &r;
      continue;
    }
    if (size_ >= capacity_) return nullptr;  // load factor stays <= 1/2: probes stay short
    r = FlowRecord{};
    seen_[i] = 1;  // used; read the record until touch() says when it last saw a packet
    r.key = key;
    r.hash = hash;
    r.used = 1;
    ++size_;
    created = true;
    return &r;
  }
}

// Backward-shift deletion keeps every probe chain unbroken without tombstones.
void FlowTable::erase_at(uint32_t i) {
  uint32_t hole = i;
  for (uint32_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
    FlowRecord& r = slots_[j];
    if (!r.used) break;
    uint32_t home = static_cast<uint32_t>(r.hash) & mask_;
    // r may move into the hole if its home is not cyclically within (hole, j].
    bool home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!home_in_range) {
      slots_[hole] = r;
      seen_[hole] = seen_[j];
      hole = j;
    }
  }
  slots_[hole] = FlowRecord{};
  seen_[hole] = 0;
  --size_;
}

}  // namespace wcstap
