// What the control process knows of each tap it hears: lifecycle and per-tap sequence numbers,
// so a lost message (high-water mark, slow joiner, restart) is seen and counted.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace wcstap::control {

struct TapState {
  bool hello = false;     // its Hello was received
  bool goodbye = false;   // its Goodbye was received
  uint64_t next_seq = 0;  // the sequence number expected next
  uint64_t messages = 0;
  uint64_t gaps = 0;      // how many times messages were missing
  uint64_t missed = 0;    // how many messages were missing in all
  uint64_t restarts = 0;
};

class TapTracker {
 public:
  struct Check {
    uint64_t missed = 0;     // messages missing right before this one (0: in order)
    bool restarted = false;  // a Hello with sequence 0 from a tap already heard
    bool stale = false;      // a sequence number already passed (duplicate, reordered)
  };

  Check on_message(std::string_view tap, uint64_t seq, bool is_hello);
  void on_goodbye(std::string_view tap);

  // At least one tap was heard, and every tap heard has said Goodbye.
  bool all_said_goodbye() const;
  const std::map<std::string, TapState, std::less<>>& taps() const { return taps_; }
  uint64_t total_gaps() const;
  uint64_t total_missed() const;

 private:
  std::map<std::string, TapState, std::less<>> taps_;
};

}  // namespace wcstap::control
