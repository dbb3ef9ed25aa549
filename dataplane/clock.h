// Wall-clock time from the TSC, for ports whose packets carry no timestamp of their own.
#pragma once

#include <cstdint>
#include <ctime>

#include <rte_cycles.h>

#include "event.h"

namespace wcstap::dp {

inline Nanos wall_clock_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000ull + static_cast<Nanos>(ts.tv_nsec);
}

// Anchored once at start-up: ns = base_ns + (tsc - base_tsc) / hz, without a syscall per burst.
class TscClock {
 public:
  TscClock() : hz_(rte_get_tsc_hz()), base_tsc_(rte_rdtsc()), base_ns_(wall_clock_ns()) {}
  Nanos at(uint64_t tsc) const {
    const uint64_t d = tsc - base_tsc_;
    return base_ns_ + (d / hz_) * 1'000'000'000ull + ((d % hz_) * 1'000'000'000ull) / hz_;
  }
  uint64_t hz() const { return hz_; }
  uint64_t cycles(double seconds) const { return static_cast<uint64_t>(seconds * static_cast<double>(hz_)); }

 private:
  uint64_t hz_, base_tsc_;
  Nanos base_ns_;
};

}  // namespace wcstap::dp
