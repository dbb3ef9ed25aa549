// Checked big-endian reads: the one place where wire byte order is converted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace wcstap {

using Bytes = std::span<const uint8_t>;

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t be24(const uint8_t* p) { return uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2]; }
inline uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint32_t le32(const uint8_t* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}

// True when `len` bytes starting at `off` lie inside `b`.
inline bool has(Bytes b, size_t off, size_t len) { return off <= b.size() && len <= b.size() - off; }

// A cursor over a message body (TLS/DTLS hellos and their vectors): every read is checked; a failed
// read fails the rest (`ok` false, reads give 0 or empty).
struct ByteCursor {
  Bytes b;
  size_t pos = 0;
  bool ok = true;
  bool need(size_t n) { return ok = ok && has(b, pos, n); }
  bool at_end() const { return pos == b.size(); }
  uint8_t u8() { return need(1) ? b[pos++] : 0; }
  uint16_t u16() {
    if (!need(2)) return 0;
    pos += 2;
    return be16(&b[pos - 2]);
  }
  uint32_t u24() {
    if (!need(3)) return 0;
    pos += 3;
    return be24(&b[pos - 3]);
  }
  Bytes take(size_t n) {
    if (!need(n)) return {};
    pos += n;
    return b.subspan(pos - n, n);
  }
  Bytes vec8() { return take(u8()); }
  Bytes vec16() { return take(u16()); }
  Bytes vec24() { return take(u24()); }
};

}  // namespace wcstap
