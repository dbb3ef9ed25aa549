// A per-worker flow table of fixed capacity, preallocated: a dense array of exactly `capacity`
// flow records that never move, found through a compact bucket array (open addressing, linear
// probing, backward-shift deletion); idle expiry driven by packet time with an incremental sweep;
// when full, a clock hand finds a flow that may make room for a new one.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "anomaly/anomaly_engine.h"
#include "dtls/dtls.h"
#include "flow/flow_key.h"
#include "flow/index_pool.h"

namespace wcstap {

// RTCP feedback one direction of a flow sends, by whole second of the flow (SRTCP shows only the
// first header of each datagram, so these count datagrams' first feedback message there).
struct FeedbackCounters {
  uint16_t nack = 0;       // RTPFB FMT 1 this second
  std::array<uint8_t, 16> pli{};  // PLI/FIR per second, a ring by second number
  AnomalySlot nack_storm, pli_storm;
};
// Whether a direction's feedback has anything for the second that completes next: with none
// counted and no storm open, judging it raises and clears nothing, and resetting it writes zeros
// over zeros.
inline bool feedback_pending(const FeedbackCounters& fb) {
  if (fb.nack != 0 || fb.nack_storm.open || fb.pli_storm.open) return true;
  for (uint8_t n : fb.pli)
    if (n != 0) return true;
  return false;
}

// STUN Binding transactions one direction of a flow starts (ICE checks and consent, or a client
// asking a STUN server), answered from the other.
struct StunRequests {
  uint32_t requests = 0;       // distinct transactions
  uint32_t retransmits = 0;    // a transaction's request seen again
  uint32_t answered = 0;       // success responses matched to them
  uint32_t errors = 0;         // error responses matched to them
  uint32_t unanswered = 0;     // distinct requests since the last success
  Nanos first_unanswered = 0;  // the first of those (0: none)
  Nanos last_success = 0;
  double rtt_sum_ms = 0, rtt_max_ms = 0;  // request to matched response, at the tap
  AnomalySlot no_response;
  AnomalySlot consent;         // ice_consent_lost
};

// A request waiting for its response (a small ring per flow: ICE paces its checks).
struct StunPending {
  std::array<uint8_t, 12> tid{};
  uint8_t dir = 0;
  uint8_t used = 0;
  uint8_t use_candidate = 0;  // the request nominated its pair
  Nanos ts = 0;
};

// A flow's DTLS handshake as it passes, in a pool of its own (only flows carrying DTLS hold one).
// `s` is indexed by flow direction here (FlowEvent's sides are set when it is reported).
struct DtlsFlow {
  DtlsSummary s;
  std::array<dtls::CertificateHasher, 2> cert;  // each direction's certificate, hashed as it passes
  std::array<int32_t, 2> max_message_seq{-1, -1};  // highest handshake message_seq each direction sent
  Nanos hellos_reached = 0;    // when the ClientHello count reached the threshold (0: not yet)
  std::array<bool, 2> ccs{};   // ChangeCipherSpec sent, per direction
  std::array<bool, 2> finished{};  // an encrypted handshake record (Finished) after it
  bool both_hello = false;     // the server sent a ClientHello too (both sides acting as client)
  std::array<bool, 2> fingerprint_checked{};  // the side's certificate was compared with the session's SDP
  AnomalySlot incomplete;      // dtls_incomplete
  AnomalySlot alert;           // dtls_fingerprint_mismatch (a fatal alert)
};

// STUN, TURN and ICE-TCP media over TCP, one direction: messages cut out of the byte stream as
// segments arrive in order (RFC 4571's 2-byte length frames for ICE-TCP; STUN and ChannelData
// back to back for TURN over TCP). No reassembly buffer: a message that runs past its segment is
// skipped, counted, and the next one read.
struct TcpFraming {
  uint32_t next_seq = 0;   // the byte expected next
  uint32_t skip = 0;       // bytes of a message that ran past the last segment
  bool seq_known = false;
  bool synced = false;     // at a message boundary
};
enum class TcpFramingMode : uint8_t { Unknown = 0, Rfc4571, TurnTcp, None };

// The media bookkeeping of a flow that carries RTP, RTCP or STUN, in a pool beside the flow table:
// the flow record, which every lookup and the sweep touch, stays small.
// Aligned on a cache line: an RTP packet reads the first line only (but when a second of feedback
// closes, or STUN, DTLS or an ICMP error is under way).
struct alignas(64) FlowMedia {
  // The first cache line: what every packet of the flow reads.
  uint8_t open_one_way = 0;      // streams of this flow with one_way_media open
  uint8_t fb_seconds = 0;        // completed seconds of feedback counted (saturating)
  uint8_t icmp_dir = 0;          // icmp_unreachable: the direction of the packet an ICMP error quoted
  bool dtls_watch = false;       // a DTLS handshake under way: judged on every packet
  TcpFramingMode tcp_mode = TcpFramingMode::Unknown;  // a TCP flow: how its STUN is framed
  uint8_t stun_waiting = 0;      // bit d: stun[d].unanswered != 0 (requests direction d started wait)
  uint8_t fb_active = 0;         // bit d: feedback[d] holds counts or an open storm: only then has a
                                 // completed second anything to judge or reset (feedback_pending)
  uint32_t dtls = kNoIndex;      // its DtlsFlow, once it carried DTLS
  uint32_t session = kNoIndex;   // the WebRTC session whose checks it carried
  uint32_t sig = kNoIndex;       // its signalling state (SignallingAnalyzer), when signalling took it
  std::array<uint16_t, 2> fb_media{};  // feedback: RTP packets each direction sent this second
  Nanos next_stall_check = 0;    // media_stall: the flow's streams are looked at from this time
  uint64_t fb_second = 0;        // the whole second of the flow the feedback counters are in
  AnomalySlot icmp_unreachable;  // an ICMP error quoted a packet of this flow
  std::array<FeedbackCounters, 2> feedback{};  // [direction that sent it]
  std::array<StunRequests, 2> stun{};          // [direction the requests travel]
  std::array<StunPending, 8> stun_pending{};
  uint8_t stun_pending_next = 0;
  TurnSummary turn;              // TURN methods the flow carried (a client with its relay)
  std::array<TcpFraming, 2> tcp{};
};
// The bytes of a FlowMedia every packet of its flow reads: its first line.
constexpr size_t kFlowMediaPacketBytes = offsetof(FlowMedia, feedback);
static_assert(kFlowMediaPacketBytes == 64, "what every packet reads of a flow's media state is one line");

// Not a class: a bit of FlowRecord::classes saying the flow was looked at for signalling already
// (by its ports when created, by its first payload after). Masked out of reports.
constexpr FlowClassMask kSignallingProbed = 1u << 31;
// Not a class either: the TCP flow began with a SYN (its streams' first bytes follow the handshake).
constexpr FlowClassMask kTcpOpenedBySyn = 1u << 30;

// Two cache lines, aligned on one: the key and the times in the first (every lookup compares the
// key), the counters and the flow's state indices in the second (eviction looks at these only).
struct alignas(64) FlowRecord {
  FlowKey key;
  uint64_t hash = 0;       // flow_hash(key); in a free record, the next free record
  Nanos first_ts = 0;
  Nanos last_ts = 0;
  std::array<Nanos, 2> last_dir_ts{};  // last packet per direction (0 = never)
  std::array<uint64_t, 2> packets{};
  std::array<uint64_t, 2> bytes{};
  FlowClassMask classes = 0;
  FlowClass port_class = FlowClass::Unknown;  // from the WCS port map
  uint8_t initiator = 0;   // direction of the first packet
  uint8_t used = 0;
  uint32_t rtp_head = kNoIndex;  // first RTP stream of this flow (RtpStreamTable index)
  uint32_t media = kNoIndex;     // its FlowMedia (index), once it carried RTP or RTCP
};
static_assert(sizeof(FlowRecord) == 128, "the flow record is on every packet's path: two cache lines at most");

// What a full table may do with a flow to make room for a new one (FlowTable::insert_evicting).
enum class Eviction : uint8_t {
  Keep,    // never
  Allow,   // when no flow the table would rather lose is near
  Prefer,  // first
};

class FlowTable {
 public:
  static constexpr uint32_t kMaxCapacity = 1u << 30;
  // Flows a full table looks at, per new flow, for one that may make room.
  static constexpr uint32_t kEvictScan = 8;

  // capacity: the most flows held at once (1 .. kMaxCapacity). Memory is about capacity x 148
  // bytes: the records (128), the sweep's last-seen times (8), and half as many buckets again as
  // records (8 each; the bucket array is never more than two thirds full, so probes stay short).
  explicit FlowTable(uint32_t capacity);

  // The record for `key`, created if absent (created = true). nullptr when absent and the table
  // is full (then insert_evicting() may make room). Records never move while they live.
  FlowRecord* find_or_insert(const FlowKey& key, uint64_t hash, bool& created) {
    const uint32_t sig = sig_of(hash);
    uint32_t b = home(hash);
    for (;; b = next(b)) {
      const Bucket& k = buckets_[b];
      if (k.record == kNoIndex) break;
      if (k.sig == sig && records_[k.record].key == key) {
        created = false;
        return &records_[k.record];
      }
    }
    return insert_at(b, key, hash, created);
  }
  FlowRecord* find(const FlowKey& key, uint64_t hash);
  // The record starts over as a new flow of its key (the old one ended: idle, not swept yet).
  void restart(FlowRecord& r);

  // A full table's record for `key` (absent: find_or_insert() said so) in place of another flow.
  // A clock hand goes on over the records from where it stopped last, through at most kEvictScan
  // of them, and stops after the first `rank(r)` says Eviction::Prefer; else the first it said
  // Allow goes. Under a steady flood of new flows the hand refills the records in the order it
  // empties them, so the oldest of the flows it may evict goes first. on_evict(r) is called on
  // the flow just before it goes; nullptr (and nothing evicted) when none of them may go.
  template <class Rank, class OnEvict>
  FlowRecord* insert_evicting(const FlowKey& key, uint64_t hash, Rank&& rank, OnEvict&& on_evict) {
    if (size_ < capacity_) return insert_new(key, hash);
    const uint32_t scan = std::min(kEvictScan, capacity_);
    for (uint32_t n = 0, i = hand_; n < scan; ++n, i = i + 1 == capacity_ ? 0 : i + 1)
      __builtin_prefetch(&records_[i].packets);  // the line rank() reads: the misses overlap
    uint32_t victim = kNoIndex, allowed = kNoIndex;
    for (uint32_t n = 0; n < scan && victim == kNoIndex; ++n) {
      const uint32_t i = hand_;
      hand_ = hand_ + 1 == capacity_ ? 0 : hand_ + 1;
      const Eviction e = rank(static_cast<const FlowRecord&>(records_[i]));
      if (e == Eviction::Prefer) victim = i;
      else if (e == Eviction::Allow && allowed == kNoIndex) allowed = i;
    }
    if (victim == kNoIndex) victim = allowed;
    if (victim == kNoIndex) return nullptr;
    on_evict(records_[victim]);
    erase(victim);
    return insert_new(key, hash);
  }

  // A burst's lookups overlap their misses in two steps, each over the whole burst before the
  // next: the bucket a lookup of `hash` starts at, then (that bucket read) the record it names.
  [[gnu::always_inline]] void prefetch(uint64_t hash) const { __builtin_prefetch(&buckets_[home(hash)]); }
  [[gnu::always_inline]] void prefetch_record(uint64_t hash) const {
    const Bucket& b = buckets_[home(hash)];
    if (b.record == kNoIndex) return;
    __builtin_prefetch(&records_[b.record]);
    __builtin_prefetch(reinterpret_cast<const char*>(&records_[b.record]) + 64);
  }

  // A packet of the flow at `ts`: its last packet time, and, when that moves into another period
  // of about half the shortest idle timeout, where the sweep reads it (seen_). Its copy there is
  // at most a period old: the sweep reads a record that may be idle for longer than the shortest
  // timeout less a period, and judges it by its own last_ts. A flow with a packet a second, found
  // cold where flows are many, writes that line once in several packets rather than every one.
  void touch(FlowRecord& r, Nanos ts) {
    if (ts <= r.last_ts) return;
    const bool moved = (ts >> seen_shift_) != (r.last_ts >> seen_shift_);
    r.last_ts = ts;
    if (moved) seen_[index_of(r)] = ts;
  }
  // The shortest idle timeout any record has: the sweep passes over a record whose touch() time
  // is younger than that without reading the record (8 bytes a record, not its 128).
  void set_shortest_timeout(Nanos t) {
    shortest_timeout_ = t;
    seen_shift_ = t >= 4 ? static_cast<uint8_t>(std::bit_width(static_cast<uint64_t>(t / 2)) - 1) : 0;
  }

  // Visits up to `budget` records from the sweep cursor (a lap is slot_count()); calls
  // expire(rec) for every record whose last packet is older than its idle timeout, then removes
  // it. Returns the records removed.
  template <class TimeoutOf, class OnExpire>
  uint32_t sweep(Nanos now, uint32_t budget, TimeoutOf&& timeout_of, OnExpire&& expire) {
    uint32_t removed = 0;
    // A record is read when it is in use (seen_ != 0) and was touched before now - the shortest
    // timeout: one unsigned comparison, seen_ - 1 < that - 1 (a free record's 0 wraps to the top).
    if (now <= shortest_timeout_ + 1) return 0;  // nothing can be that old
    const Nanos limit = now - shortest_timeout_ - 1;
    while (budget > 0 && size_ > 0) {
      const uint32_t end = cursor_ + std::min(budget, capacity_ - cursor_);  // no wrap inside
      for (uint32_t i = cursor_; i < end; ++i) {
        if (seen_[i] - 1 >= limit) continue;  // free, or touched within the shortest timeout
        FlowRecord& r = records_[i];
        if (elapsed(now, r.last_ts) > timeout_of(static_cast<const FlowRecord&>(r))) {
          expire(r);
          erase(i);
          ++removed;
        }
      }
      budget -= end - cursor_;
      cursor_ = end == capacity_ ? 0 : end;
    }
    return removed;
  }

  template <class F>
  void for_each(F&& f) {
    for (auto& r : records_)
      if (r.used) f(r);
  }

  void clear();

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  // Records freed so far (erased, or all at once by clear()). While it stays the same, a record
  // found for a key still holds that key: a caller that looked up ahead may skip the key's
  // comparison when it comes back to the record.
  uint64_t erasures() const { return erasures_; }
  const FlowRecord& record(uint32_t index) const { return records_[index]; }
  FlowRecord& record(uint32_t index) { return records_[index]; }
  // A record's place in the dense array: stable while the flow lives, below capacity().
  uint32_t index_of(const FlowRecord& r) const { return static_cast<uint32_t>(&r - records_.data()); }
  // What a lap of the sweep visits: every record.
  size_t slot_count() const { return capacity_; }
  size_t bucket_count() const { return buckets_.size(); }
  // The bucket a lookup of `hash` starts at.
  uint32_t home(uint64_t hash) const {
    return static_cast<uint32_t>((uint64_t{sig_of(hash)} * bucket_count_) >> 32);
  }
  // Bytes the table holds (the object, records, last-seen times and buckets).
  size_t memory_bytes() const {
    return sizeof(*this) + records_.capacity() * sizeof(FlowRecord) + seen_.capacity() * sizeof(Nanos) +
           buckets_.capacity() * sizeof(Bucket);
  }

 private:
  // A bucket names a record, with the top half of its hash: a probe compares keys only where
  // these agree, and the home bucket follows from it, so erasing reads no record to shift others.
  struct Bucket {
    uint32_t sig = 0;
    uint32_t record = kNoIndex;  // kNoIndex: empty
  };
  static uint32_t sig_of(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
  uint32_t next(uint32_t b) const { return b + 1 == bucket_count_ ? 0 : b + 1; }
  FlowRecord* insert_new(const FlowKey& key, uint64_t hash);
  // A new record for `key` whose probe ended at the empty bucket `b`; nullptr when full.
  FlowRecord* insert_at(uint32_t b, const FlowKey& key, uint64_t hash, bool& created);
  void erase(uint32_t record);

  TableVector<FlowRecord> records_;
  TableVector<Nanos> seen_;  // per record: its last touch() (within a period); 0 free, 1 not touched yet
  TableVector<Bucket> buckets_;
  Nanos shortest_timeout_ = 0;
  uint8_t seen_shift_ = 0;  // touch() writes seen_ when last_ts >> this changes
  uint32_t bucket_count_ = 0;
  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
  uint32_t free_ = kNoIndex;  // the first free record
  uint32_t cursor_ = 0;       // the sweep's next record
  uint32_t hand_ = 0;         // eviction's next record
  uint64_t erasures_ = 0;
};

}  // namespace wcstap
