// What RTCP says about each media SSRC, kept per (SSRC, address of the SSRC's sender): reports
// and feedback about a stream travel to its sender's address whatever the ports (rtcp-mux or an
// RTCP port of its own), so the RTP stream finds them by its own sender and SSRC.
// Fixed capacity, set-associative (4 ways) with two choices: a new key goes to the less loaded of
// its two sets, so few sets fill up (with one choice about 3.5 % of keys find their set full when
// the table is half full, 9 % at 70 %; with two, none and 0.2 %, in a simulation). An entry idle longer than
// the expiry is reused; when every way of both sets is busy the newcomer is refused and counted.
// Keys are (sender address, SSRC) pairs: every stream's sender and, under SRTCP, each receiver
// reporting from an SSRC of its own.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include "event.h"
#include "flow/table_memory.h"

namespace wcstap {

struct RtcpSsrcEntry {
  std::array<uint8_t, 16> addr{};  // the media sender's address
  uint32_t ssrc = 0;
  uint8_t reported = 0;  // handed out with an rtp_stream report: no rtcp_stream line of its own
  Nanos first_ts = 0, last_ts = 0;
  RtcpStreamEvent ev;    // endpoints and report as they stand
  double rtt_sum_ms = 0;
  // the sender's last reports as the tap saw them: LSR value and packet time (round-trip time)
  std::array<uint32_t, 4> sr_lsr{};
  std::array<Nanos, 4> sr_ts{};
  uint8_t sr_next = 0;

  // A sender report from the SSRC's sender, seen at ts.
  void note_sender_report(uint32_t lsr, Nanos ts);
  // A report block about the SSRC, seen at ts.
  void note_block(uint8_t fraction_lost, int32_t cumulative_lost, uint32_t jitter, uint32_t lsr, uint32_t dlsr,
                  Nanos ts);
};

class RtcpSsrcTable {
 public:
  explicit RtcpSsrcTable(uint32_t capacity);

  // Where a key may be: its two sets and its tag.
  struct Sets {
    uint32_t first, second;  // first slots of the key's two sets
    uint32_t tag;            // the key's tag (never 0)
  };
  Sets sets_of(const Endpoint& sender, uint32_t ssrc) const;
  RtcpSsrcEntry* find(const Endpoint& sender, uint32_t ssrc) { return find(sets_of(sender, ssrc), sender, ssrc); }
  // The same in steps, for a caller with other lookups to overlap: the key's sets (sets_of), their
  // tags fetched (prefetch), then the lookup there.
  [[gnu::always_inline]] void prefetch(const Sets& at) const {
    __builtin_prefetch(&tags_[at.first]);
    __builtin_prefetch(&tags_[at.second]);
  }
  RtcpSsrcEntry* find(const Sets& at, const Endpoint& sender, uint32_t ssrc);
  // The entry, created if absent; a way idle for longer than `idle` is reused after
  // on_evict(entry). nullptr when the set is full of live entries.
  template <class OnEvict>
  RtcpSsrcEntry* get(const Endpoint& sender, uint32_t ssrc, Nanos now, Nanos idle, OnEvict&& on_evict) {
    const Sets at = sets_of(sender, ssrc);
    RtcpSsrcEntry *free_a = nullptr, *free_b = nullptr;
    uint32_t used_a = 0, used_b = 0;
    if (RtcpSsrcEntry* e = probe(at.first, at.tag, sender, ssrc, now, idle, free_a, used_a)) return e;
    if (at.second != at.first)
      if (RtcpSsrcEntry* e = probe(at.second, at.tag, sender, ssrc, now, idle, free_b, used_b)) return e;
    // A free way of the less loaded set (the first on a tie), else an idle one (the first set's).
    const bool unused_a = free_a && !taken(*free_a), unused_b = free_b && !taken(*free_b);
    RtcpSsrcEntry* free = unused_a && (!unused_b || used_a <= used_b) ? free_a
                          : unused_b                                  ? free_b
                          : free_a                                    ? free_a
                                                                      : free_b;
    if (!free) return nullptr;
    const auto i = static_cast<uint32_t>(free - slots_.data());
    if (taken(*free)) {
      on_evict(*free);
    } else {
      ++in_use_;
      live_[i / 64] |= uint64_t{1} << (i % 64);
    }
    *free = RtcpSsrcEntry{};
    seen_[i] = now;
    tags_[i] = at.tag;
    free->addr = sender.addr;
    free->ssrc = ssrc;
    free->first_ts = now;
    free->ev.ssrc = ssrc;
    free->ev.first_ts = now;
    return free;
  }

  // RTCP or media about the entry at `ts`: its last activity, kept also where the sweep reads it.
  void touch(RtcpSsrcEntry& e, Nanos ts) {
    if (ts > e.last_ts) e.last_ts = ts;
    seen_[static_cast<size_t>(&e - slots_.data())] = e.last_ts;
  }

  // Visits up to `budget` entries from the sweep cursor; on_expire(entry) for each idle longer
  // than `idle`, which is then freed. The table is nearly all free slots and the sweep runs on
  // every burst: it reads the bitmap of slots in use (64 slots a word), a slot's 8-byte activity
  // time only when it is in use, the entry only when it is due.
  template <class OnExpire>
  void sweep(Nanos now, Nanos idle, uint32_t budget, OnExpire&& on_expire) {
    if (in_use_ == 0) return;
    const auto size = static_cast<uint32_t>(slots_.size());  // a power of two
    uint32_t c = cursor_;
    while (budget > 0) {
      const uint32_t end = c + std::min(budget, size - c);  // up to the end of the lap
      budget -= end - c;
      for (uint32_t i = next_live(c, end); i < end; i = next_live(i + 1, end)) {
        RtcpSsrcEntry& e = slots_[i];
        if (seen_[i] != 0 && elapsed(now, seen_[i]) > idle && tags_[i] != 0 && elapsed(now, e.last_ts) > idle) {
          on_expire(e);
          e = RtcpSsrcEntry{};
          seen_[i] = 0;
          tags_[i] = 0;
          live_[i / 64] &= ~(uint64_t{1} << (i % 64));
          if (--in_use_ == 0) {  // nothing left: the cursor stops past the last one
            cursor_ = (i + 1) & slots_mask_;
            return;
          }
        }
      }
      c = end & slots_mask_;
    }
    cursor_ = c;
  }

  // Frees every entry, oldest first, after on_free(entry).
  template <class OnFree>
  void drain(OnFree&& on_free) {
    std::vector<RtcpSsrcEntry*> live;
    for (size_t i = 0; i < slots_.size(); ++i)
      if (tags_[i] != 0) live.push_back(&slots_[i]);
    std::sort(live.begin(), live.end(), [](const RtcpSsrcEntry* a, const RtcpSsrcEntry* b) {
      return a->first_ts != b->first_ts ? a->first_ts < b->first_ts : a->ssrc < b->ssrc;
    });
    for (RtcpSsrcEntry* e : live) {
      on_free(*e);
      *e = RtcpSsrcEntry{};
    }
    std::fill(seen_.begin(), seen_.end(), 0);
    std::fill(tags_.begin(), tags_.end(), 0);
    std::fill(live_.begin(), live_.end(), 0);
    in_use_ = 0;
  }

  uint32_t in_use() const { return in_use_; }
  size_t slot_count() const { return slots_.size(); }

 private:
  static constexpr uint32_t kWays = 4;
  // A slot is in use while it holds a tag.
  bool taken(const RtcpSsrcEntry& e) const { return tags_[static_cast<size_t>(&e - slots_.data())] != 0; }
  // A set is read through its tags (4 bytes a way, one line for the set) and an entry (280 bytes,
  // its own lines) only where the tag matches, or to take its place.
  RtcpSsrcEntry* match(uint32_t base, uint32_t tag, const Endpoint& sender, uint32_t ssrc) {
    for (uint32_t w = 0; w < kWays; ++w) {
      if (tags_[base + w] != tag) continue;
      RtcpSsrcEntry& e = slots_[base + w];
      if (e.ssrc == ssrc && same_address(e.addr, sender.addr)) return &e;
    }
    return nullptr;
  }
  // The key's entry in the set at `base`, else nullptr with `free` at the set's first free way,
  // else at an idle one (nullptr when there is neither), and `used` its ways in use.
  RtcpSsrcEntry* probe(uint32_t base, uint32_t tag, const Endpoint& sender, uint32_t ssrc, Nanos now, Nanos idle,
                       RtcpSsrcEntry*& free, uint32_t& used) {
    for (uint32_t w = 0; w < kWays; ++w) {
      const uint32_t i = base + w;
      RtcpSsrcEntry& e = slots_[i];
      if (tags_[i] == 0) {
        if (!free) free = &e;
        continue;
      }
      ++used;
      if (tags_[i] == tag && e.ssrc == ssrc && same_address(e.addr, sender.addr)) return &e;
      // seen_ is never older than the entry's last_ts: idle by it first, then by the entry.
      if (elapsed(now, seen_[i]) > idle && elapsed(now, e.last_ts) > idle && (!free || taken(*free))) free = &e;
    }
    return nullptr;
  }
  // The first slot in use in [from, end), else end.
  uint32_t next_live(uint32_t from, uint32_t end) const {
    while (from < end) {
      const uint64_t word = live_[from / 64] >> (from % 64);
      if (word != 0) return std::min(end, from + static_cast<uint32_t>(std::countr_zero(word)));
      from = (from | 63) + 1;
    }
    return end;
  }
  TableVector<RtcpSsrcEntry> slots_;
  TableVector<Nanos> seen_;  // per slot: its entry's last activity (0: free)
  TableVector<uint32_t> tags_;  // per slot: its key's tag (0: free)
  std::vector<uint64_t> live_;  // per slot a bit: in use
  uint32_t sets_mask_ = 0;
  uint32_t slots_mask_ = 0;
  uint32_t in_use_ = 0;
  uint32_t cursor_ = 0;
};

}  // namespace wcstap
