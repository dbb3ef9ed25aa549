// Memory for the fixed-size tables a packet's state lives in (flow records and buckets, RTP
// streams, the host evidence index...). Each is probed at random, a few times a packet: on 4 KB
// pages a probe is a page walk as well as a cache miss once the tables pass the TLB's reach (about
// 8 MB; 10k WebRTC sessions take about 40 MB). A table of 2 MB or more is mapped on its own,
// aligned to 2 MB and marked for transparent huge pages (MADV_HUGEPAGE: used when the kernel's
// setting is `always` or `madvise`; on `never`, or when the kernel has no huge page free, it stays
// on 4 KB pages and works the same). Smaller tables come from the heap.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace wcstap {

namespace table_memory {
constexpr size_t kHugePage = size_t{2} << 20;
void* map(size_t bytes);              // bytes >= kHugePage; throws std::bad_alloc
void unmap(void* p, size_t bytes);    // what map(bytes) returned
// Bytes the process has mapped for tables and not unmapped (each table rounded up to 2 MB): not
// in the heap's figures (mallinfo2).
size_t mapped_bytes();
}  // namespace table_memory

template <class T>
struct TableAllocator {
  using value_type = T;
  TableAllocator() = default;
  template <class U>
  TableAllocator(const TableAllocator<U>&) {}  // NOLINT: rebinding, as std::allocator
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes >= table_memory::kHugePage) return static_cast<T*>(table_memory::map(bytes));
    return static_cast<T*>(::operator new(bytes, std::align_val_t{alignof(T)}));
  }
  void deallocate(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes >= table_memory::kHugePage)
      table_memory::unmap(p, bytes);
    else
      ::operator delete(p, bytes, std::align_val_t{alignof(T)});
  }
  friend bool operator==(const TableAllocator&, const TableAllocator&) { return true; }
};

// A table sized once, at start: std::vector on TableAllocator.
// The tables' prefetch helpers are [[gnu::always_inline]]: GCC takes a function that does nothing
// but __builtin_prefetch for a pure one, and deletes a call to it that it did not inline (there
// is no result to use), so the prefetch silently never happens. It never did for the evidence
// refresh's three notes and RTCP key (Pipeline::Impl::prefetch(EvidenceNotes)) until this was
// found; the prefetches_kept test (tests/analyzers/prefetches_kept.py) checks the built code.
template <class T>
using TableVector = std::vector<T, TableAllocator<T>>;

}  // namespace wcstap
