// A bidirectional flow key: both directions of a 5-tuple map to the same key.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "event.h"

namespace wcstap {

struct FlowKey {
  // Canonical order: (lo_addr, lo_port) sorts before (hi_addr, hi_port).
  std::array<uint8_t, 16> lo_addr{}, hi_addr{};
  uint16_t lo_port = 0, hi_port = 0;
  uint8_t l4 = 0;      // IP protocol number
  uint8_t family = 0;  // 4 or 6
  uint8_t pad[2]{};
  // Five 8-byte words compared (the defaulted member-wise compare becomes a call to memcmp).
  bool operator==(const FlowKey& o) const {
    uint64_t a[5], b[5];
    std::memcpy(a, this, sizeof a);
    std::memcpy(b, &o, sizeof b);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4])) == 0;
  }
};
static_assert(sizeof(FlowKey) == 40 && std::has_unique_object_representations_v<FlowKey>,
              "compared as five words: no padding bits");

// -1, 0 or 1 as memcmp orders two 16-byte addresses (bytes in order), as two big-endian words.
inline int compare_addresses(const std::array<uint8_t, 16>& x, const std::array<uint8_t, 16>& y) {
  uint64_t a[2], b[2];
  std::memcpy(a, x.data(), 16);
  std::memcpy(b, y.data(), 16);
  for (int i = 0; i < 2; ++i) {
    const uint64_t p = __builtin_bswap64(a[i]), q = __builtin_bswap64(b[i]);
    if (p != q) return p < q ? -1 : 1;
  }
  return 0;
}

// Which way a packet went relative to its key: 0 = lo -> hi, 1 = hi -> lo.
struct KeyedPacket {
  FlowKey key;
  uint8_t dir = 0;
};

// The key of a packet from `src` to `dst`, written into `out` as five 8-byte words made in
// registers: reading back narrower stores with wider loads (an IPv4 address decoding has just
// stored as 4 bytes, ports as 2) waits for them to reach the cache, and flow_hash() reads the key
// as those five words right after.
inline void make_flow_key(const Endpoint& src, const Endpoint& dst, uint8_t ip_proto, KeyedPacket& out) {
  uint64_t w[5];
  bool src_is_lo;
  if (src.family == 4) {  // the first 4 bytes, the rest zero
    uint32_t a, b;
    std::memcpy(&a, src.addr.data(), 4);
    std::memcpy(&b, dst.addr.data(), 4);
    const uint32_t x = __builtin_bswap32(a), y = __builtin_bswap32(b);  // ordered as memcmp orders bytes
    src_is_lo = x < y || (x == y && src.port <= dst.port);
    w[0] = src_is_lo ? a : b;
    w[2] = src_is_lo ? b : a;
    w[1] = w[3] = 0;
  } else {
    const int c = compare_addresses(src.addr, dst.addr);
    src_is_lo = c < 0 || (c == 0 && src.port <= dst.port);
    std::memcpy(&w[0], (src_is_lo ? src : dst).addr.data(), 16);
    std::memcpy(&w[2], (src_is_lo ? dst : src).addr.data(), 16);
  }
  const uint16_t lo_port = src_is_lo ? src.port : dst.port, hi_port = src_is_lo ? dst.port : src.port;
  // lo_port, hi_port, l4, family and the zero padding, as FlowKey lays them out (little-endian).
  static_assert(std::endian::native == std::endian::little);
  static_assert(offsetof(FlowKey, lo_port) == 32 && offsetof(FlowKey, hi_port) == 34 && offsetof(FlowKey, l4) == 36 &&
                offsetof(FlowKey, family) == 37);
  w[4] = uint64_t{lo_port} | uint64_t{hi_port} << 16 | uint64_t{ip_proto} << 32 | uint64_t{src.family} << 40;
  std::memcpy(static_cast<void*>(&out.key), w, sizeof w);
  out.dir = src_is_lo ? 0 : 1;
}

inline KeyedPacket make_flow_key(const Endpoint& src, const Endpoint& dst, uint8_t ip_proto) {
  KeyedPacket k;
  make_flow_key(src, dst, ip_proto, k);
  return k;
}

inline Endpoint key_endpoint(const FlowKey& k, bool hi) {
  Endpoint e;
  e.addr = hi ? k.hi_addr : k.lo_addr;
  e.port = hi ? k.hi_port : k.lo_port;
  e.family = k.family;
  return e;
}

// Symmetric by construction (the key is canonical). Each key word times its own odd constant,
// summed: five independent multiplies that run side by side (a chain of rounds costs each
// round's latency in turn). The table reads the top bits (FlowTable::home).
inline uint64_t flow_hash(const FlowKey& k) {
  uint64_t w[5];
  std::memcpy(w, &k, sizeof(w));
  const uint64_t h = w[0] * 0x9e3779b97f4a7c15ull + w[1] * 0xc2b2ae3d27d4eb4full + w[2] * 0xff51afd7ed558ccdull +
                     w[3] * 0xc4ceb9fe1a85ec53ull + (w[4] ^ 0x27d4eb2f165667c5ull) * 0x94d049bb133111ebull;
  // Sums of products of regular keys (consecutive addresses or ports) fall on a lattice: folded and
  // multiplied once more, the top bits depend on all of them.
  return (h ^ (h >> 32)) * 0xbf58476d1ce4e5b9ull;
}

}  // namespace wcstap
