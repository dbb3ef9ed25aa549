// Big-endian byte buffer helpers shared by every wire-format builder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace wcsgen {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline void put8(Bytes& b, std::uint8_t v) { b.push_back(v); }

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

inline void put24(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 16));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}

inline void put48(Bytes& b, std::uint64_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 32));
  put32(b, static_cast<std::uint32_t>(v));
}

inline void put64(Bytes& b, std::uint64_t v) {
  put32(b, static_cast<std::uint32_t>(v >> 32));
  put32(b, static_cast<std::uint32_t>(v));
}

inline void append(Bytes& b, ByteView s) { b.insert(b.end(), s.begin(), s.end()); }

inline void append(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

inline void set16(Bytes& b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}

inline void set24(Bytes& b, std::size_t off, std::uint32_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 16);
  b[off + 1] = static_cast<std::uint8_t>(v >> 8);
  b[off + 2] = static_cast<std::uint8_t>(v);
}

inline std::uint16_t get16(ByteView b, std::size_t off) {
  return static_cast<std::uint16_t>((b[off] << 8) | b[off + 1]);
}

inline std::uint32_t get32(ByteView b, std::size_t off) {
  return (static_cast<std::uint32_t>(b[off]) << 24) | (static_cast<std::uint32_t>(b[off + 1]) << 16) |
         (static_cast<std::uint32_t>(b[off + 2]) << 8) | static_cast<std::uint32_t>(b[off + 3]);
}

// A length-prefixed vector (TLS style): begin_vec reserves `width` bytes for
// the length and returns their offset; end_vec fills in the size written since.
inline std::size_t begin_vec(Bytes& b, int width) {
  std::size_t at = b.size();
  b.insert(b.end(), static_cast<std::size_t>(width), 0);
  return at;
}

inline void end_vec(Bytes& b, std::size_t at, int width) {
  std::size_t len = b.size() - at - static_cast<std::size_t>(width);
  for (int i = 0; i < width; ++i)
    b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(len >> (8 * (width - 1 - i)));
}

}  // namespace wcsgen
