#include "tap_tracker.h"

namespace wcstap::control {

TapTracker::Check TapTracker::on_message(std::string_view tap, uint64_t seq, bool is_hello) {
  Check c;
  auto it = taps_.find(tap);
  if (it == taps_.end()) it = taps_.emplace(std::string(tap), TapState{}).first;
  TapState& t = it->second;

  if (is_hello && seq == 0 && t.messages > 0) {
    // The tap started again: a new run, with its own sequence.
    c.restarted = true;
    const uint64_t restarts = t.restarts + 1, gaps = t.gaps, missed = t.missed;
    t = TapState{};
    t.restarts = restarts;
    t.gaps = gaps;
    t.missed = missed;
  }
  if (seq < t.next_seq) {
    c.stale = true;
  } else {
    if (seq > t.next_seq) {
      c.missed = seq - t.next_seq;
      ++t.gaps;
      t.missed += c.missed;
    }
    t.next_seq = seq + 1;
  }
  ++t.messages;
  if (is_hello) t.hello = true;
  return c;
}

void TapTracker::on_goodbye(std::string_view tap) {
  auto it = taps_.find(tap);
  if (it != taps_.end()) it->second.goodbye = true;
}

bool TapTracker::all_said_goodbye() const {
  if (taps_.empty()) return false;
  for (const auto& [name, t] : taps_)
    if (!t.goodbye) return false;
  return true;
}

uint64_t TapTracker::total_gaps() const {
  uint64_t n = 0;
  for (const auto& [name, t] : taps_) n += t.gaps;
  return n;
}

uint64_t TapTracker::total_missed() const {
  uint64_t n = 0;
  for (const auto& [name, t] : taps_) n += t.missed;
  return n;
}

}  // namespace wcstap::control
