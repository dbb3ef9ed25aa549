// Deterministic randomness. Only std::mt19937_64 (fully specified by the
// standard) is used; the distributions are our own so that output does not
// depend on the standard library implementation.
#pragma once

#include <cstdint>
#include <random>

#include "bytes.h"

namespace wcsgen {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}

  std::uint64_t next() { return gen_(); }

  // Uniform integer in [0, n). The modulo bias is negligible for our ranges.
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : gen_() % n; }

  // Uniform integer in [lo, hi] (inclusive).
  std::int64_t range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  std::uint32_t u32() { return static_cast<std::uint32_t>(gen_() >> 32); }

  // Uniform double in [0, 1).
  double unit() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }

  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }

  bool chance(double p) { return unit() < p; }

  void fill(Bytes& b, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(gen_() >> 56));
  }

  Bytes bytes(std::size_t n) {
    Bytes b;
    b.reserve(n);
    fill(b, n);
    return b;
  }

  // An independent generator derived from this one (consumes one draw).
  Rng fork(std::uint64_t stream) { return Rng(gen_() ^ (stream * 0x9E3779B97F4A7C15ULL)); }

 private:
  std::mt19937_64 gen_;
};

}  // namespace wcsgen
