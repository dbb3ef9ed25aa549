// wcstap-memprobe: what a random cache line costs on this machine, in tables mapped as the
// pipeline maps its own (table_memory: 2 MB aligned, transparent huge pages).
//
// Beyond the caches, a flow-scale mix is bound by this: at 1M flows each packet reads and writes
// about 30 lines of its flow's, its stream's and the evidence index's state at random. Prefetching
// overlaps those misses, but only as far as the core and the memory behind it serve misses in
// parallel. Two figures per table size:
//   serial:  ns per line when each read waits for the last (a pointer chase): the latency;
//   batched: ns per line when `batch` lines are fetched together, then read (as the pipeline fetches
//            a packet's lines ahead): the best over batches of 4 to 32. Its inverse is the number of
//            random lines a second the machine serves one core.
// Usage: wcstap-memprobe [--mb N]... [--lines N]   (default 64 and 2048 MB; 2M lines read each)
// Prints one JSON object a size.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

#include "flow/table_memory.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kLine = 64;
volatile uint64_t g_sink;  // what the loops read goes here, so they are not optimised away

double ns_since(Clock::time_point t0, size_t n) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
}

// A random cycle through `lines` lines: each holds the index of the next.
double serial_ns(uint64_t* table, size_t lines, size_t reads, std::mt19937_64& rng) {
  std::vector<uint64_t> order(lines);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t i = 0; i < lines; ++i) table[order[i] * (kLine / 8)] = order[(i + 1) % lines];
  uint64_t at = order[0];
  const auto t0 = Clock::now();
  for (size_t i = 0; i < reads; ++i) at = table[at * (kLine / 8)];
  const double ns = ns_since(t0, reads);
  g_sink = at;
  return ns;
}

// Batches of `batch` random lines: all fetched, then all read (and written, as the pipeline's
// state is).
double batched_ns(uint64_t* table, size_t reads, unsigned batch, const std::vector<uint32_t>& idx) {
  uint64_t sum = 0;
  const size_t batches = reads / batch;
  const auto t0 = Clock::now();
  for (size_t b = 0; b < batches; ++b) {
    const uint32_t* at = &idx[(b * batch) % (idx.size() - batch)];
    for (unsigned k = 0; k < batch; ++k) __builtin_prefetch(&table[size_t{at[k]} * (kLine / 8)]);
    for (unsigned k = 0; k < batch; ++k) sum += ++table[size_t{at[k]} * (kLine / 8) + 1];
  }
  const double ns = ns_since(t0, batches * batch);
  g_sink = sum;
  return ns;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wcstap-memprobe: ns per random cache line, serial and batched, in huge-page tables"};
  std::vector<size_t> sizes;
  size_t reads = 2'000'000;
  app.add_option("--mb", sizes, "table sizes in MB (repeatable; default 64 and 2048)")->check(CLI::Range(1, 1 << 20));
  app.add_option("--lines", reads, "random lines read per figure")->check(CLI::Range(10'000, 1'000'000'000));
  CLI11_PARSE(app, argc, argv);
  if (sizes.empty()) sizes = {64, 2048};
  std::mt19937_64 rng(1);
  for (size_t mb : sizes) {
    const size_t bytes = mb << 20;
    uint64_t* table;
    try {
      table = static_cast<uint64_t*>(wcstap::table_memory::map(std::max(bytes, wcstap::table_memory::kHugePage)));
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "wcstap-memprobe: cannot map %zu MB\n", mb);
      return 1;
    }
    const size_t lines = bytes / kLine;
    for (size_t i = 0; i < bytes / 8; i += 512) table[i] = 0;  // backed before timing
    const double serial = serial_ns(table, lines, std::min(reads, lines * 4), rng);
    std::vector<uint32_t> idx(std::min<size_t>(reads, 1 << 24) + 64);
    for (auto& x : idx) x = static_cast<uint32_t>(rng() % lines);
    double best = 1e9;
    unsigned best_batch = 0;
    for (unsigned batch : {4u, 8u, 16u, 32u}) {
      const double ns = batched_ns(table, reads, batch, idx);
      if (ns < best) best = ns, best_batch = batch;
    }
    std::printf("{\"mb\":%zu,\"serial_ns_per_line\":%.1f,\"batched_ns_per_line\":%.1f,\"batch\":%u,"
                "\"lines_per_us\":%.1f}\n",
                mb, serial, best, best_batch, 1e3 / best);
    std::fflush(stdout);
    wcstap::table_memory::unmap(table, std::max(bytes, wcstap::table_memory::kHugePage));
  }
  return 0;
}
