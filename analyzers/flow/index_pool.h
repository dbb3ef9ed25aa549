// A fixed pool of records addressed by 32-bit index (flow records chain into it: RTP streams,
// a flow's media bookkeeping). Preallocated; alloc() hands out a fresh record or kNoIndex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "flow/table_memory.h"

namespace wcstap {

constexpr uint32_t kNoIndex = 0xffffffffu;

template <class T>
class IndexPool {
 public:
  explicit IndexPool(uint32_t capacity) : pool_(capacity), capacity_(capacity) {
    free_.reserve(capacity);
    for (uint32_t i = capacity; i > 0; --i) free_.push_back(i - 1);
  }
  // A fresh record, or kNoIndex when the pool is exhausted.
  uint32_t alloc() {
    if (free_.empty()) return kNoIndex;
    const uint32_t i = free_.back();
    free_.pop_back();
    // Made in place where it can be: assigning T{} builds the record on the caller's stack first
    // (704 cache-line-aligned bytes for an RTP stream) and copies it over.
    if constexpr (std::is_trivially_destructible_v<T>)
      std::construct_at(&pool_[i]);
    else
      pool_[i] = T{};
    ++in_use_;
    return i;
  }
  void release(uint32_t i) {
    free_.push_back(i);
    --in_use_;
  }
  T& operator[](uint32_t i) { return pool_[i]; }
  const T& operator[](uint32_t i) const { return pool_[i]; }
  uint32_t in_use() const { return in_use_; }
  // Kept apart from the vector's size, which is a subtraction and a division by sizeof(T) each
  // time: the bound of every prefetch of a record.
  uint32_t capacity() const { return capacity_; }
  // Fetches bytes [from, bytes) of record i ahead of its use. An index read ahead of its turn may be
  // stale or kNoIndex: out of range, nothing is fetched.
  [[gnu::always_inline]] void prefetch(uint32_t i, size_t bytes = sizeof(T), size_t from = 0) const {
    if (i >= capacity_) return;
    const char* p = reinterpret_cast<const char*>(&pool_[i]);
    for (size_t o = from; o < bytes; o += 64) __builtin_prefetch(p + o);
    __builtin_prefetch(p + bytes - 1);  // records are not line-aligned: the line the last byte is on
  }
  // Bytes held: the records and the free list.
  size_t memory_bytes() const { return pool_.capacity() * sizeof(T) + free_.capacity() * sizeof(uint32_t); }

 private:
  TableVector<T> pool_;
  std::vector<uint32_t> free_;
  uint32_t capacity_ = 0;
  uint32_t in_use_ = 0;
};

}  // namespace wcstap
