// Per-SSRC RTP stream state (one per source, destination and SSRC, like Wireshark's stream key)
// in a fixed pool; the streams of a flow are chained from the flow record.
#pragma once

#include <cstdint>
#include <vector>

#include "anomaly/anomaly_engine.h"
#include "flow/flow_table.h"
#include "rtp/rtp_parser.h"

namespace wcstap {

struct RtpStreamState {
  uint32_t ssrc = 0;
  uint32_t next = kNoIndex;  // next stream of the same flow
  uint8_t dir = 0;           // flow direction the stream travels
  uint8_t pt = 0;            // payload type of the first packet
  uint8_t confirmed = 0;     // passed probation: trusted as RTP
  uint8_t probation = 0;     // in-sequence packets still needed
  int64_t ext_first = 0;     // extended sequence number of the first packet
  int64_t ext_max = 0;       // highest extended sequence number
  uint64_t packets = 0;
  uint64_t bytes = 0;
  Nanos first_ts = 0;
  Nanos last_ts = 0;
  // one_way_media: the last sign of life from the receiving side, packets sent since then
  Nanos back_ts = 0;
  uint32_t since_back = 0;
  Nanos noted_ts = 0;  // last entry in the host evidence index
  AnomalySlot one_way;

  // Counts a packet: extended sequence number across wrap (and reordering), probation.
  void count(const RtpHeader& h, uint32_t len, Nanos ts);
  int64_t lost() const { return (ext_max - ext_first + 1) - static_cast<int64_t>(packets); }
};

class RtpStreamTable {
 public:
  explicit RtpStreamTable(uint32_t capacity);
  // A fresh record, or kNoIndex when the pool is exhausted.
  uint32_t alloc();
  void release(uint32_t i);
  RtpStreamState& operator[](uint32_t i) { return pool_[i]; }
  uint32_t in_use() const { return in_use_; }

 private:
  std::vector<RtpStreamState> pool_;
  std::vector<uint32_t> free_;
  uint32_t in_use_ = 0;
};

}  // namespace wcstap
