// Signs of life between hosts that do not travel on the 5-tuple they vouch for:
//  - RTCP receiver and sender reports about an SSRC sent on a separate RTCP port;
//  - RTP sent from one host to another on ports other than the reverse of a stream's
//    (asymmetric RTP: A:4374 -> B:4376 while B:4376 -> A:4376).
// one_way_media consults it so that healthy send-only and asymmetric calls are not one-way.
// A fixed-size cache: a full probe window replaces its oldest entry; nothing is ever freed.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "event.h"
#include "flow/table_memory.h"

namespace wcstap {

// ReceiverReport and SenderReport: plain RTCP (report blocks readable). SenderRtcp: any RTCP,
// SRTCP included, whose sender SSRC (always in clear) is the tag: the sender is alive.
// SsrcFrom / SsrcTo: RTP of an SSRC (the tag) sent from / to a host, on whatever 5-tuple (an ICE
// path switch moves a stream to another one).
enum class Evidence : uint8_t {
  ReceiverReport = 1, SenderReport = 2, Media = 3, SenderRtcp = 4, SsrcFrom = 5, SsrcTo = 6
};

class HostEvidenceIndex {
 public:
  // capacity: slots (rounded up to a power of two); a full probe window replaces its oldest entry.
  explicit HostEvidenceIndex(uint32_t capacity = 4096);
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Entry); }
  // `from` did something about `tag`: an SSRC for reports, the peer's folded address for Media.
  void note(Evidence kind, const Endpoint& from, uint32_t tag, Nanos ts) { note_at(home(kind, from, tag), kind, from, tag, ts); }
  // The same in steps, for a caller with several notes to make: where each starts (home), its
  // lines fetched (prefetch), so that their misses overlap, then each note made there (note_at).
  // Inline: an evidence refresh asks for three at once (a call each cost about as much as the hash).
  uint32_t home(Evidence kind, const Endpoint& e, uint32_t tag) const {
    uint64_t a, b;
    std::memcpy(&a, e.addr.data(), 8);
    std::memcpy(&b, e.addr.data() + 8, 8);
    uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b + 0xff51afd7ed558ccdull) ^ (uint64_t{tag} << 17) ^
                 static_cast<uint64_t>(kind);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return static_cast<uint32_t>(h >> 32) & mask_;
  }
  [[gnu::always_inline]] void prefetch(uint32_t home) const { __builtin_prefetch(&slots_[home]); }
  void note_at(uint32_t home, Evidence kind, const Endpoint& from, uint32_t tag, Nanos ts);
  Nanos last(Evidence kind, const Endpoint& from, uint32_t tag) const;  // 0 when never
  // last() for a question a caller asks on every packet (a stream's receiver reports): the memo
  // keeps the one slot that answered it, and the next question reads that slot alone while it
  // still answers: the question's own entry (its time read there: notes move it on in place), or
  // the empty slot its probe ended at, still empty. Entries never move and slots never empty
  // again, so the answer is exactly last()'s: an entry stays in its slot until a full probe window
  // replaces it, a question's entry is added at the first empty slot of its window, and no other
  // copy of it can be made while it is there. Else (replaced, filled, or a full window) the window
  // is probed again. One line a question where flows are many, whatever other streams note. A
  // memo serves one (kind, from, tag) only.
  static constexpr uint8_t kUnasked = 0, kEntry = 1, kEmpty = 2;  // what a memo's slot holds
  struct Memo {
    uint32_t home = 0;         // where the question's probe starts
    uint32_t at = 0;           // the slot that answered
    uint8_t state = kUnasked;  // what `at` holds: kUnasked (probe), kEntry or kEmpty
  };
  // `ask()` gives the question's `from` and `tag` (a std::pair).
  template <class Ask>
  Nanos last(Evidence kind, Memo& memo, Ask&& ask) const {
    const auto [from, tag] = ask();
    const Entry& e = slots_[memo.at];
    if (memo.state == kEntry) {
      if (e.holds(kind, from, tag)) return e.ts;
    } else if (memo.state == kEmpty) {
      if (e.ts == 0) return 0;
    } else {
      memo.home = home(kind, from, tag);
    }
    return probe(kind, from, tag, memo);
  }
  Nanos last(Evidence kind, const Endpoint& from, uint32_t tag, Memo& memo) const {
    return last(kind, memo, [&] { return std::pair<const Endpoint&, uint32_t>{from, tag}; });
  }
  // Fetches the line the memo's next question reads.
  [[gnu::always_inline]] void prefetch(const Memo& memo) const { prefetch(memo.state == kUnasked ? memo.home : memo.at); }
  // The time between its last two notes (0 when fewer than two), to the millisecond: how often
  // `from` does it.
  Nanos last_gap(Evidence kind, const Endpoint& from, uint32_t tag) const;

  // An address in 32 bits (IPv4: the address itself). Inline: a one-way memo's question asks it on
  // every packet.
  static uint32_t fold(const Endpoint& e) {
    uint32_t w[4];
    std::memcpy(w, e.addr.data(), 16);
    return e.family == 6 ? w[0] ^ w[1] ^ w[2] ^ w[3] : w[0];
  }

 private:
  // 32 bytes, two to a cache line: a probe that ends at its first or second slot reads one line.
  struct alignas(32) Entry {
    std::array<uint8_t, 16> addr{};
    uint32_t tag = 0;
    Evidence kind{};
    uint8_t gap_ms[3]{};  // between the last two notes, saturated at 2^24-1 ms (4.6 hours); 0 = none
    Nanos ts = 0;  // 0 = empty
    bool holds(Evidence k, const Endpoint& from, uint32_t t) const {
      return tag == t && kind == k && same_address(addr, from.addr);
    }
  };
  static_assert(sizeof(Entry) == 32);
  // Where a probe from `home` stops: the slot of the (kind, from, tag) entry, or the empty slot that
  // ends the probe (no such entry); kFull when the window holds neither.
  static constexpr uint32_t kFull = ~uint32_t{0};
  uint32_t stop(uint32_t home, Evidence kind, const Endpoint& from, uint32_t tag) const;
  const Entry* find(uint32_t home, Evidence kind, const Endpoint& from, uint32_t tag) const;
  // The probe behind a memo: its answer, and the slot that gave it kept in `memo`.
  Nanos probe(Evidence kind, const Endpoint& from, uint32_t tag, Memo& memo) const;
  static constexpr uint32_t kWindow = 8;
  TableVector<Entry> slots_;
  uint32_t mask_;
};

}  // namespace wcstap
