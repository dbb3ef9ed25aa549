// A fixed-capacity map from a 64-bit id to a 32-bit index (open addressing, linear probing,
// backward-shift deletion): for state keyed by a hash (WebRTC sessions by their ICE ufrags),
// preallocated, nothing allocated per packet.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "flow/index_pool.h"

namespace wcstap {

class IdTable {
 public:
  // Room for `capacity` ids (the slot array is the next power of two >= 2x that).
  explicit IdTable(uint32_t capacity)
      : slots_(std::bit_ceil(std::max<uint32_t>(capacity, 8) * 2)), mask_(static_cast<uint32_t>(slots_.size() - 1)),
        capacity_(capacity) {}

  uint32_t find(uint64_t id) const {
    for (uint32_t i = home(id);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.index == kNoIndex) return kNoIndex;
      if (s.id == id) return s.index;
    }
  }
  // False when full (or id already present).
  bool insert(uint64_t id, uint32_t index) {
    if (size_ >= capacity_) return false;
    for (uint32_t i = home(id);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.index == kNoIndex) {
        s = Slot{id, index};
        ++size_;
        return true;
      }
      if (s.id == id) return false;
    }
  }
  void erase(uint64_t id) {
    uint32_t i = home(id);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].index == kNoIndex) return;
      if (slots_[i].id == id) break;
    }
    // Backward shift: pull later entries of the probe run into the hole when their home allows.
    for (uint32_t j = (i + 1) & mask_; slots_[j].index != kNoIndex; j = (j + 1) & mask_) {
      const uint32_t h = home(slots_[j].id);
      if (((j - h) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
  }
  uint32_t size() const { return size_; }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint64_t id = 0;
    uint32_t index = kNoIndex;
  };
  uint32_t home(uint64_t id) const { return static_cast<uint32_t>((id * 0x9e3779b97f4a7c15ull) >> 32) & mask_; }
  TableVector<Slot> slots_;
  uint32_t mask_;
  uint32_t capacity_;
  uint32_t size_ = 0;
};

}  // namespace wcstap
