#include "tcp/reassembly.h"

#include <algorithm>

namespace wcstap::tcp {

Reassembler::Reassembler(uint32_t window_bytes, uint64_t total_bytes, Nanos gap_timeout)
    : window_bytes_(std::max<uint32_t>(window_bytes, 1)),
      gap_timeout_(gap_timeout),
      mem_(new uint8_t[std::max<uint64_t>(total_bytes / window_bytes_, 1) * window_bytes_]),
      pool_(static_cast<uint32_t>(std::max<uint64_t>(total_bytes / window_bytes_, 1))) {}

void Reassembler::drop_all(StreamCursor& c, uint32_t seq) {
  ctr_.gap_bytes += c.filled;
  for (uint8_t i = 0; i < c.nheld; ++i) ctr_.gap_bytes += c.held[i].to - c.held[i].from;
  if (c.window != kNoIndex) free_window(c.window);
  c.window = kNoIndex;
  c.base = seq;
  c.filled = 0;
  c.skip = 0;
  c.nheld = 0;
  c.gap_since = 0;
}

// Held ranges that now touch the contiguous bytes join them; ranges stay sorted and disjoint.
void Reassembler::merge_held(StreamCursor& c) {
  uint8_t keep = 0;
  for (uint8_t i = 0; i < c.nheld; ++i) {
    const auto r = c.held[i];
    if (r.from <= c.filled) {
      c.filled = std::max(c.filled, r.to);
    } else {
      c.held[keep++] = r;
    }
  }
  c.nheld = keep;
}

// Out-of-order bytes at offset `off` from base: copied into the window and recorded as a range
// (merged with the ranges they touch). False when they do not fit or too many ranges are open.
bool Reassembler::hold(StreamCursor& c, uint32_t off, Bytes data) {
  const uint64_t end = uint64_t{off} + data.size();
  if (end > window_bytes_) return false;
  if (c.window == kNoIndex) c.window = take_window();
  if (c.window == kNoIndex) {
    ctr_.no_window += data.size();
    return false;
  }
  StreamCursor::Range r{off, static_cast<uint32_t>(end)};
  // Merge with every range it overlaps or touches.
  std::array<StreamCursor::Range, 4> out{};
  uint8_t n = 0;
  for (uint8_t i = 0; i < c.nheld; ++i) {
    const auto h = c.held[i];
    if (h.to < r.from || h.from > r.to) {
      out[n++] = h;
    } else {
      r.from = std::min(r.from, h.from);
      r.to = std::max(r.to, h.to);
    }
  }
  if (n == out.size()) return false;
  std::memcpy(buf(c.window) + off, data.data(), data.size());
  // Insert in order of offset (at most four ranges).
  uint8_t at = n;
  while (at > 0 && out[at - 1].from > r.from) {
    out[at] = out[at - 1];
    --at;
  }
  out[at] = r;
  ++n;
  c.held = out;
  c.nheld = n;
  ctr_.buffered += data.size();
  return true;
}

}  // namespace wcstap::tcp
