// Bounded in-order reassembly of TCP byte streams, one direction at a time, for the protocols that
// read payload (HTTP, WebSocket, SIP, RTSP, RTMP, TLS, DNS over TCP).
//
// A consumer sees the stream as a window of contiguous, unconsumed bytes and says how many it has
// used: it reads whole messages and leaves a partial one for later. Nothing is copied while segments
// come in order and the consumer takes all of a segment (the usual case for signalling); otherwise
// the bytes wait in a window buffer taken from a pool that is preallocated at start (per-direction
// size and total memory from the config). Out-of-order segments wait there too, until the gap
// before them fills, or until the stream gives up on it: the gap outlives its timeout, more
// segments wait than are tracked, or the window is full. What is given up is counted and the
// consumer is told (a gap), so it can resynchronise on the next message start.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#include "decode/bytes.h"
#include "event.h"
#include "flow/index_pool.h"
#include "tcp/tcp_conn.h"

namespace wcstap::tcp {

// One direction's reassembly state (a few dozen bytes: it lives in per-flow records).
struct StreamCursor {
  struct Range {
    uint32_t from = 0, to = 0;  // offsets from `base`, held out of order
  };
  uint32_t base = 0;           // sequence number of the first byte not yet consumed
  uint32_t filled = 0;         // contiguous bytes from `base` held in the window
  uint32_t skip = 0;           // bytes the consumer passes over unread as they arrive
  uint32_t window = kNoIndex;  // the window buffer, while bytes wait
  Nanos gap_since = 0;         // when out-of-order bytes began to wait (0: none wait)
  std::array<Range, 4> held{};
  uint8_t nheld = 0;
  bool started = false;        // `base` is set
};

struct ReassemblyCounters {
  uint64_t bytes = 0;            // bytes handed to consumers
  uint64_t buffered = 0;         // ... of which waited in a window
  uint64_t gaps = 0;             // gaps given up on (consumers told to resynchronise)
  uint64_t gap_bytes = 0;        // bytes never seen, or dropped with them
  uint64_t out_of_order = 0;     // segments that waited for a gap to fill
  uint64_t no_window = 0;        // bytes that had to wait but found no free window (memory cap)
  uint64_t window_full = 0;      // a message longer than the window: given up
  uint64_t skipped = 0;          // bytes consumers passed over unread
};

class Reassembler {
 public:
  // `window_bytes` per direction that needs to hold bytes; `total_bytes` across all of them.
  Reassembler(uint32_t window_bytes, uint64_t total_bytes, Nanos gap_timeout);

  // The stream starts after a SYN with this sequence number: its first data byte is isn + 1.
  static void start(StreamCursor& c, uint32_t isn) {
    c = StreamCursor{};
    c.base = isn + 1;
    c.started = true;
  }

  // One segment with payload: `data` as captured, `wire_len` its length on the wire (a capture's
  // snaplen may have cut it). `consume(Bytes) -> size_t` is offered the contiguous unconsumed
  // bytes and returns how many it used; a value past the end asks for that many more bytes to be
  // passed over unread as they come. `gap()` tells it bytes were lost before what it is offered
  // next (also when the stream's beginning was not seen).
  template <class Consume, class Gap>
  void segment(StreamCursor& c, Nanos ts, uint32_t seq, Bytes data, uint32_t wire_len, Consume&& consume, Gap&& gap);

  // Gives back the window (the flow ended).
  void release(StreamCursor& c) {
    if (c.window != kNoIndex) free_window(c.window);
    c.window = kNoIndex;
    c.filled = 0;
    c.nheld = 0;
  }

  const ReassemblyCounters& counters() const { return ctr_; }
  uint32_t window_bytes() const { return window_bytes_; }
  uint32_t windows_in_use() const { return pool_.in_use(); }

 private:
  struct Slot {};  // the pool hands out window numbers only
  uint8_t* buf(uint32_t w) { return mem_.get() + static_cast<size_t>(w) * window_bytes_; }
  uint32_t take_window() { return pool_.alloc(); }
  void free_window(uint32_t w) { pool_.release(w); }
  // Offers the window's contiguous bytes to the consumer until it stops using them.
  // Both return true when bytes had to be dropped (the consumer is then told of a gap).
  template <class Consume>
  bool drain(StreamCursor& c, Consume&& consume);
  template <class Consume>
  bool offer_direct(StreamCursor& c, Bytes data, Consume&& consume);
  // Everything waiting is dropped (counted as lost); the stream goes on from `seq`.
  void drop_all(StreamCursor& c, uint32_t seq);
  void merge_held(StreamCursor& c);
  bool hold(StreamCursor& c, uint32_t off, Bytes data);

  uint32_t window_bytes_;
  Nanos gap_timeout_;
  std::unique_ptr<uint8_t[]> mem_;  // default-initialised: pages are committed as windows are used
  IndexPool<Slot> pool_;
  ReassemblyCounters ctr_;
};

// ---- implementation (templates) ---------------------------------------------------------------

template <class Consume>
bool Reassembler::offer_direct(StreamCursor& c, Bytes data, Consume&& consume) {
  // Bytes the consumer asked to pass over.
  if (c.skip > 0) {
    const uint32_t n = std::min<uint32_t>(c.skip, static_cast<uint32_t>(data.size()));
    c.skip -= n;
    c.base += n;
    ctr_.skipped += n;
    data = data.subspan(n);
  }
  while (!data.empty()) {
    const size_t used = consume(data);
    if (used == 0) break;
    if (used >= data.size()) {
      ctr_.bytes += data.size();
      c.base += static_cast<uint32_t>(data.size());
      const size_t more = used - data.size();
      c.skip = static_cast<uint32_t>(std::min<size_t>(more, UINT32_MAX));
      data = {};
      break;
    }
    ctr_.bytes += used;
    c.base += static_cast<uint32_t>(used);
    data = data.subspan(used);
  }
  if (data.empty()) return false;
  // A partial message: it waits in a window for the rest.
  if (data.size() >= window_bytes_) {  // a message longer than a window: it cannot be read
    ++ctr_.window_full;
    ctr_.gap_bytes += data.size();
    c.base += static_cast<uint32_t>(data.size());
    return true;
  }
  if (c.window == kNoIndex) c.window = take_window();
  if (c.window == kNoIndex) {
    ctr_.no_window += data.size();
    ctr_.gap_bytes += data.size();
    c.base += static_cast<uint32_t>(data.size());
    return true;
  }
  std::memcpy(buf(c.window), data.data(), data.size());
  c.filled = static_cast<uint32_t>(data.size());
  ctr_.buffered += data.size();
  return false;
}

template <class Consume>
bool Reassembler::drain(StreamCursor& c, Consume&& consume) {
  uint8_t* b = buf(c.window);
  uint32_t pos = 0;
  if (c.skip > 0) {
    pos = std::min(c.skip, c.filled);
    c.skip -= pos;
    ctr_.skipped += pos;
  }
  while (pos < c.filled) {
    const size_t avail = c.filled - pos;
    const size_t used = consume(Bytes(b + pos, avail));
    if (used == 0) break;
    if (used >= avail) {
      ctr_.bytes += avail;
      c.skip = static_cast<uint32_t>(std::min<size_t>(used - avail, UINT32_MAX));
      pos = c.filled;
      break;
    }
    ctr_.bytes += used;
    pos += static_cast<uint32_t>(used);
  }
  // Skipping: bytes held past the point the consumer skips to cannot be placed (skip > 0 holds no
  // window): they count as lost, and the stream picks them up again as a gap.
  if (c.skip > 0 && c.nheld > 0) {
    for (uint8_t i = 0; i < c.nheld; ++i) ctr_.gap_bytes += c.held[i].to - c.held[i].from;
    c.nheld = 0;
    c.gap_since = 0;
  }
  if (pos == 0) {
    if (c.filled == window_bytes_) {  // full and nothing used: a message longer than the window
      ++ctr_.window_full;
      drop_all(c, c.base + c.filled);
      return true;
    }
    return false;
  }
  // Move what is left (a partial message, and held ranges) to the front.
  uint32_t end = c.filled;
  for (uint8_t i = 0; i < c.nheld; ++i) end = std::max(end, c.held[i].to);
  std::memmove(b, b + pos, end - pos);
  c.base += pos;
  c.filled -= pos;
  for (uint8_t i = 0; i < c.nheld; ++i) {
    c.held[i].from -= pos;
    c.held[i].to -= pos;
  }
  if (c.filled == 0 && c.nheld == 0) {
    free_window(c.window);
    c.window = kNoIndex;
  }
  return false;
}

template <class Consume, class Gap>
void Reassembler::segment(StreamCursor& c, Nanos ts, uint32_t seq, Bytes data, uint32_t wire_len, Consume&& consume,
                          Gap&& gap) {
  if (wire_len < data.size()) wire_len = static_cast<uint32_t>(data.size());
  if (!c.started) {
    c.started = true;
    c.base = seq;
    gap();  // the beginning of the stream was not seen
  }
  const uint32_t next = c.base + c.filled;  // bytes to skip have not arrived: they start here too
  int32_t rel = static_cast<int32_t>(seq - next);
  // Retransmitted bytes, wholly or partly already in hand.
  if (rel < 0) {
    if (static_cast<uint32_t>(-rel) >= wire_len) return;
    const uint32_t cut = static_cast<uint32_t>(-rel);
    data = data.subspan(std::min<size_t>(cut, data.size()));
    wire_len -= cut;
    seq = next;
    rel = 0;
  }
  // A gap waiting too long, or this segment past what can be tracked: give up on the gap and go
  // on from the first bytes held after it.
  if (c.nheld > 0 && (elapsed(ts, c.gap_since) > gap_timeout_ || (rel > 0 && c.nheld == c.held.size()))) {
    ++ctr_.gaps;
    ctr_.gap_bytes += c.held[0].from - c.filled;
    ctr_.gap_bytes += c.filled;  // a partial message before the gap: its end will never come
    uint8_t* b = buf(c.window);
    const uint32_t shift = c.held[0].from;
    uint32_t end = 0;
    for (uint8_t i = 0; i < c.nheld; ++i) end = std::max(end, c.held[i].to);
    std::memmove(b, b + shift, end - shift);
    for (uint8_t i = 0; i < c.nheld; ++i) {
      c.held[i].from -= shift;
      c.held[i].to -= shift;
    }
    c.base += shift;
    c.filled = 0;
    merge_held(c);
    c.gap_since = c.nheld > 0 ? ts : 0;
    gap();
    if (drain(c, consume)) gap();
    segment(c, ts, seq, data, wire_len, consume, gap);
    return;
  }
  if (rel > 0) {
    ++ctr_.out_of_order;
    // Bytes being skipped cannot be told from a gap's: no waiting then. A segment the capture cut
    // short would leave a hole of its own.
    if (c.skip > 0 || data.size() < wire_len || !hold(c, c.filled + static_cast<uint32_t>(rel), data)) {
      ++ctr_.gaps;
      ctr_.gap_bytes += static_cast<uint32_t>(rel);
      drop_all(c, seq);
      gap();
      segment(c, ts, seq, data, wire_len, consume, gap);
      return;
    }
    if (c.gap_since == 0) c.gap_since = ts;
    return;
  }
  // In order.
  if (c.window == kNoIndex) {
    if (offer_direct(c, data, consume)) gap();
  } else if (c.filled + data.size() > window_bytes_) {
    ++ctr_.window_full;
    ctr_.gap_bytes += data.size();
    drop_all(c, seq + static_cast<uint32_t>(data.size()));
    gap();
  } else {
    std::memcpy(buf(c.window) + c.filled, data.data(), data.size());
    ctr_.buffered += data.size();
    c.filled += static_cast<uint32_t>(data.size());
    merge_held(c);
    if (c.nheld == 0) c.gap_since = 0;
    if (drain(c, consume)) gap();
  }
  // Bytes the capture cut off the end of the segment: a gap.
  if (data.size() < wire_len) {
    const uint32_t missing = wire_len - static_cast<uint32_t>(data.size());
    ++ctr_.gaps;
    ctr_.gap_bytes += missing;
    drop_all(c, c.base + c.filled + missing);
    gap();
  }
}

}  // namespace wcstap::tcp
