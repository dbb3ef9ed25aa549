#include "flow/table_memory.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>

namespace wcstap::table_memory {

namespace {
size_t rounded(size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }
std::atomic<size_t> g_mapped{0};  // tables are made at start (workers' pipelines), not per packet
}  // namespace

size_t mapped_bytes() { return g_mapped.load(std::memory_order_relaxed); }

void* map(size_t bytes) {
  const size_t size = rounded(bytes);
  // Map one huge page more than asked, then give back what lies before the first 2 MB boundary
  // and after the table: the kernel backs only aligned 2 MB ranges with huge pages.
  void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~uintptr_t{kHugePage - 1};
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + size + kHugePage;
  if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  void* p = reinterpret_cast<void*>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // advice: refused (no THP in this kernel), 4 KB pages do
  g_mapped.fetch_add(size, std::memory_order_relaxed);
  return p;
}

void unmap(void* p, size_t bytes) {
  munmap(p, rounded(bytes));
  g_mapped.fetch_sub(rounded(bytes), std::memory_order_relaxed);
}

}  // namespace wcstap::table_memory
