#include "rtp/rtp_stream.h"

namespace wcstap {

namespace {
// In-sequence packets that make a stream trusted (RFC 3550 A.1 uses 2; noise that merely starts
// with 0x80 rarely survives 3).
constexpr uint8_t kProbation = 3;
}  // namespace

void RtpStreamState::count(const RtpHeader& h, uint32_t len, Nanos ts) {
  if (packets == 0) {
    pt = h.pt;
    ext_first = ext_max = h.seq;
    first_ts = ts;
    probation = kProbation - 1;
  } else {
    // Distance from the highest sequence number so far, in the 16-bit circle: forward up to
    // half the space (wrapping on), backward otherwise (late or reordered packet).
    auto delta = static_cast<int16_t>(static_cast<uint16_t>(h.seq - static_cast<uint16_t>(ext_max)));
    int64_t ext = ext_max + delta;
    if (!confirmed) {
      if (delta == 1) {
        if (probation > 0) --probation;
      } else {
        probation = kProbation - 1;
      }
      if (probation == 0) confirmed = 1;
    }
    if (ext > ext_max) ext_max = ext;
  }
  ++packets;
  bytes += len;
  last_ts = ts;
}

RtpStreamTable::RtpStreamTable(uint32_t capacity) : pool_(capacity) {
  free_.reserve(capacity);
  for (uint32_t i = capacity; i > 0; --i) free_.push_back(i - 1);
}

uint32_t RtpStreamTable::alloc() {
  if (free_.empty()) return kNoIndex;
  uint32_t i = free_.back();
  free_.pop_back();
  pool_[i] = RtpStreamState{};
  ++in_use_;
  return i;
}

void RtpStreamTable::release(uint32_t i) {
  free_.push_back(i);
  --in_use_;
}

}  // namespace wcstap
