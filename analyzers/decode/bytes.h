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

}  // namespace wcstap
