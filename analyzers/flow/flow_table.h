// A per-worker flow table of fixed capacity, preallocated: open addressing, linear probing,
// backward-shift deletion, idle expiry driven by packet time with an incremental sweep.
#pragma once

#include <algorithm>
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
  uint16_t media = 0;      // RTP packets this direction sent this second
  std::array<uint8_t, 16> pli{};  // PLI/FIR per second, a ring by second number
  AnomalySlot nack_storm, pli_storm;
};

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
struct FlowMedia {
  uint8_t open_one_way = 0;      // streams of this flow with one_way_media open
  uint8_t fb_seconds = 0;        // completed seconds of feedback counted (saturating)
  Nanos next_stall_check = 0;    // media_stall: the flow's streams are looked at from this time
  uint64_t fb_second = 0;        // the whole second of the flow the feedback counters are in
  std::array<FeedbackCounters, 2> feedback{};  // [direction that sent it]
  std::array<StunRequests, 2> stun{};          // [direction the requests travel]
  std::array<StunPending, 8> stun_pending{};
  uint8_t stun_pending_next = 0;
  AnomalySlot icmp_unreachable;  // an ICMP error quoted a packet of this flow
  uint8_t icmp_dir = 0;          // ... travelling in this direction
  uint32_t dtls = kNoIndex;      // its DtlsFlow, once it carried DTLS
  bool dtls_watch = false;       // ... with a handshake under way: judged on every packet
  uint32_t session = kNoIndex;   // the WebRTC session whose checks it carried
  TurnSummary turn;              // TURN methods the flow carried (a client with its relay)
  TcpFramingMode tcp_mode = TcpFramingMode::Unknown;  // a TCP flow: how its STUN is framed
  uint32_t sig = kNoIndex;       // its signalling state (SignallingAnalyzer), when signalling took it
  std::array<TcpFraming, 2> tcp{};
};

// Not a class: a bit of FlowRecord::classes saying the flow was looked at for signalling already
// (by its ports when created, by its first payload after). Masked out of reports.
constexpr FlowClassMask kSignallingProbed = 1u << 31;
// Not a class either: the TCP flow began with a SYN (its streams' first bytes follow the handshake).
constexpr FlowClassMask kTcpOpenedBySyn = 1u << 30;

struct FlowRecord {
  FlowKey key;
  uint64_t hash = 0;
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
static_assert(sizeof(FlowRecord) <= 128, "the flow record is on every packet's path: two cache lines at most");

class FlowTable {
 public:
  // capacity: the most flows held at once; the bucket array is the next power of two >= 2x that.
  explicit FlowTable(uint32_t capacity);

  // The record for `key`, created if absent (created = true). nullptr when the table is full.
  FlowRecord* find_or_insert(const FlowKey& key, uint64_t hash, bool& created);
  FlowRecord* find(const FlowKey& key, uint64_t hash);

  // A packet of the flow at `ts`: its last packet time, kept also where the sweep reads it.
  void touch(FlowRecord& r, Nanos ts) {
    if (ts > r.last_ts) r.last_ts = ts;
    seen_[static_cast<size_t>(&r - slots_.data())] = r.last_ts;
  }
  // The shortest idle timeout any record has: the sweep passes over a bucket whose touch() time
  // is younger than that without reading the record (8 bytes a bucket, not a record's 128).
  void set_shortest_timeout(Nanos t) { shortest_timeout_ = t; }

  // Visits up to `budget` buckets from the sweep cursor; calls expire(rec) for every record whose
  // last packet is older than its idle timeout, then removes it. Returns the records removed.
  template <class TimeoutOf, class OnExpire>
  uint32_t sweep(Nanos now, uint32_t budget, TimeoutOf&& timeout_of, OnExpire&& expire) {
    uint32_t removed = 0;
    for (uint32_t n = 0; n < budget && size_ > 0; ++n) {
      uint32_t i = cursor_;
      // An empty bucket, or a record touched within the shortest timeout: nothing to read.
      if (seen_[i] == 0 || elapsed(now, seen_[i]) <= shortest_timeout_) {
        cursor_ = (cursor_ + 1) & mask_;
        continue;
      }
      FlowRecord& r = slots_[i];
      if (r.used && elapsed(now, r.last_ts) > timeout_of(r)) {
        expire(r);
        erase_at(i);
        ++removed;
        // A record the backward shift moved into slot i is looked at next, not a lap later: a
        // cluster of idle flows goes in one pass.
        if (slots_[i].used) continue;
      }
      cursor_ = (cursor_ + 1) & mask_;
    }
    return removed;
  }

  template <class F>
  void for_each(F&& f) {
    for (auto& r : slots_)
      if (r.used) f(r);
  }

  void clear() {
    for (auto& r : slots_) r = FlowRecord{};
    std::fill(seen_.begin(), seen_.end(), 0);
    size_ = 0;
  }

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  size_t bucket_count() const { return slots_.size(); }

 private:
  void erase_at(uint32_t i);

  std::vector<FlowRecord> slots_;
  std::vector<Nanos> seen_;  // per bucket: the last touch() of its record; 0 empty, 1 not touched yet
  Nanos shortest_timeout_ = 0;
  uint32_t mask_ = 0;
  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
  uint32_t cursor_ = 0;
};

}  // namespace wcstap
