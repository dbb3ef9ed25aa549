#include "flow/flow_table.h"

#include <stdexcept>

namespace wcstap {

FlowTable::FlowTable(uint32_t capacity) : capacity_(capacity) {
  if (capacity == 0 || capacity > kMaxCapacity)
    throw std::invalid_argument("flow table capacity must be 1 .. 2^30");
  // Half as many buckets again as records, whole cache lines of them: at most two thirds full.
  const uint64_t buckets = (uint64_t{capacity} + capacity / 2 + 7) & ~uint64_t{7};
  bucket_count_ = static_cast<uint32_t>(buckets);
  records_.resize(capacity);
  seen_.resize(capacity);
  buckets_.resize(buckets);
  clear();
}

void FlowTable::clear() {
  // Handed out in index order: a fresh table fills from record 0, where the clock hand starts.
  for (uint32_t i = 0; i < capacity_; ++i) {
    records_[i] = FlowRecord{};
    records_[i].hash = i + 1 < capacity_ ? i + 1 : kNoIndex;
  }
  std::fill(seen_.begin(), seen_.end(), 0);
  std::fill(buckets_.begin(), buckets_.end(), Bucket{});
  free_ = 0;
  size_ = 0;
  cursor_ = 0;
  hand_ = 0;
  ++erasures_;
}

FlowRecord* FlowTable::find(const FlowKey& key, uint64_t hash) {
  const uint32_t sig = sig_of(hash);
  for (uint32_t b = home(hash);; b = next(b)) {
    const Bucket& k = buckets_[b];
    if (k.record == kNoIndex) return nullptr;
    if (k.sig == sig && records_[k.record].key == key) return &records_[k.record];
  }
}

FlowRecord* FlowTable::insert_at(uint32_t b, const FlowKey& key, uint64_t hash, bool& created) {
  created = false;
  if (size_ >= capacity_) return nullptr;
  // The first empty bucket of the probe is where the key goes.
  const uint32_t i = free_;
  FlowRecord& r = records_[i];
  free_ = static_cast<uint32_t>(r.hash);
  r = FlowRecord{};
  r.key = key;
  r.hash = hash;
  r.used = 1;
  seen_[i] = 1;  // used; the sweep reads the record until touch() says when it last saw a packet
  buckets_[b] = Bucket{sig_of(hash), i};
  ++size_;
  created = true;
  return &r;
}

void FlowTable::restart(FlowRecord& r) {
  const FlowKey key = r.key;
  const uint64_t hash = r.hash;
  r = FlowRecord{};
  r.key = key;
  r.hash = hash;
  r.used = 1;
}

FlowRecord* FlowTable::insert_new(const FlowKey& key, uint64_t hash) {
  bool created;
  return find_or_insert(key, hash, created);
}

// The record's bucket goes; backward shift keeps every probe run unbroken without tombstones.
void FlowTable::erase(uint32_t record) {
  FlowRecord& r = records_[record];
  uint32_t hole = home(r.hash);
  while (buckets_[hole].record != record) hole = next(hole);
  for (uint32_t j = next(hole); buckets_[j].record != kNoIndex; j = next(j)) {
    // The entry at j may fill the hole when its home is not cyclically within (hole, j].
    const uint32_t h = home(uint64_t{buckets_[j].sig} << 32);
    const uint32_t from_home = j >= h ? j - h : j + bucket_count_ - h;
    const uint32_t from_hole = j >= hole ? j - hole : j + bucket_count_ - hole;
    if (from_home >= from_hole) {
      buckets_[hole] = buckets_[j];
      hole = j;
    }
  }
  buckets_[hole] = Bucket{};
  r.used = 0;
  r.hash = free_;
  free_ = record;
  seen_[record] = 0;
  --size_;
  ++erasures_;
}

}  // namespace wcstap
