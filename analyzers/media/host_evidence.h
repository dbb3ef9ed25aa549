// Signs of life between hosts that do not travel on the 5-tuple they vouch for:
//  - RTCP receiver and sender reports about an SSRC sent on a separate RTCP port;
//  - RTP sent from one host to another on ports other than the reverse of a stream's
//    (asymmetric RTP: A:4374 -> B:4376 while B:4376 -> A:4376).
// one_way_media consults it so that healthy send-only and asymmetric calls are not one-way.
// A fixed-size cache: a full probe window replaces its oldest entry; nothing is ever freed.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

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
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Entry) + regions_.capacity() * sizeof(Region); }
  // `from` did something about `tag`: an SSRC for reports, the peer's folded address for Media.
  void note(Evidence kind, const Endpoint& from, uint32_t tag, Nanos ts) { note_at(home(kind, from, tag), kind, from, tag, ts); }
  // The same in steps, for a caller with several notes to make: where each starts (home), its
  // lines fetched (prefetch), so that their misses overlap, then each note made there (note_at).
  uint32_t home(Evidence kind, const Endpoint& e, uint32_t tag) const;
  void prefetch(uint32_t home) const {
    __builtin_prefetch(&slots_[home]);
    __builtin_prefetch(&regions_[home >> kRegionShift]);
  }
  void note_at(uint32_t home, Evidence kind, const Endpoint& from, uint32_t tag, Nanos ts);
  Nanos last(Evidence kind, const Endpoint& from, uint32_t tag) const;  // 0 when never
  // last() for a question a caller asks on every packet (a stream's receiver reports): the answer
  // kept in `memo`, looked up again only when a note could have changed it: an entry added or
  // replaced, or a note of the question's kind moving an entry on, in the part of the index the
  // question's entry would be in. Notes of other kinds moving their own entries on (every stream's
  // media notes) leave it be. A memo serves one (kind, from, tag) only.
  struct Memo {
    uint64_t version = ~uint64_t{0};
    Nanos ts = 0;
    uint32_t home = 0;  // where the question's probe starts
    Evidence kind{};
  };
  // `ask()` gives the question's `from` and `tag` (a std::pair): called only when the memo is
  // stale, so a caller asking on every packet makes its endpoint only then.
  template <class Ask>
  Nanos last(Evidence kind, Memo& memo, Ask&& ask) const {
    if (!current(memo)) {
      const auto [from, tag] = ask();
      memo.home = home(kind, from, tag);
      memo.kind = kind;
      const Entry* e = find(memo.home, kind, from, tag);
      memo.ts = e ? e->ts : 0;
      memo.version = version(memo.home, kind);
    }
    return memo.ts;
  }
  Nanos last(Evidence kind, const Endpoint& from, uint32_t tag, Memo& memo) const {
    return last(kind, memo, [&] { return std::pair<const Endpoint&, uint32_t>{from, tag}; });
  }
  // Fetches the counters a memo's currency is read from (current(), last()), ahead of time, and the
  // line its question's probe starts at (read again when the memo is stale).
  void prefetch(const Memo& memo) const { prefetch(memo.home); }
  // The memo still holds the answer (memo.ts) without asking again.
  bool current(const Memo& memo) const { return memo.version == version(memo.home, memo.kind); }
  // The time between its last two notes (0 when fewer than two), to the millisecond: how often
  // `from` does it.
  Nanos last_gap(Evidence kind, const Endpoint& from, uint32_t tag) const;

  static uint32_t fold(const Endpoint& e);  // an address in 32 bits (IPv4: the address itself)

 private:
  // 32 bytes, two to a cache line: a probe that ends at its first or second slot reads one line.
  struct alignas(32) Entry {
    std::array<uint8_t, 16> addr{};
    uint32_t tag = 0;
    Evidence kind{};
    uint8_t gap_ms[3]{};  // between the last two notes, saturated at 2^24-1 ms (4.6 hours); 0 = none
    Nanos ts = 0;  // 0 = empty
  };
  static_assert(sizeof(Entry) == 32);
  const Entry* find(uint32_t home, Evidence kind, const Endpoint& from, uint32_t tag) const;
  static constexpr uint32_t kWindow = 8;
  static constexpr uint32_t kKinds = 7;  // Evidence values 0..6
  // Notes are counted by region of 2^kRegionShift slots: a memo is current while neither region its
  // probe window touches had an entry added or replaced, or an entry of its kind moved on. Notes
  // elsewhere (other streams, the entries a full index replaces) leave it be.
  static constexpr uint32_t kRegionShift = 6;
  struct alignas(32) Region {
    uint32_t added = 0;           // entries added or replaced
    uint32_t moved[kKinds] = {};  // entries of a kind whose time moved on
  };
  void added(uint32_t slot) { ++regions_[slot >> kRegionShift].added; }
  void moved(uint32_t slot, Evidence kind) { ++regions_[slot >> kRegionShift].moved[static_cast<uint8_t>(kind)]; }
  // The counters only grow (modulo 2^32): the sum changes when any does. A memo would be fooled
  // only by exactly 2^32 such notes in its regions between two of its questions.
  uint64_t version(uint32_t home, Evidence kind) const {
    const Region& a = regions_[home >> kRegionShift];
    const Region& b = regions_[((home + kWindow - 1) & mask_) >> kRegionShift];
    const uint8_t k = static_cast<uint8_t>(kind);
    return uint64_t{a.added} + a.moved[k] + b.added + b.moved[k];
  }
  TableVector<Entry> slots_;
  uint32_t mask_;
  std::vector<Region> regions_;
};

}  // namespace wcstap
