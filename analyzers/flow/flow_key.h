// A bidirectional flow key: both directions of a 5-tuple map to the same key.
#pragma once

#include <array>
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

inline KeyedPacket make_flow_key(const Endpoint& src, const Endpoint& dst, uint8_t ip_proto) {
  KeyedPacket k;
  const int c = compare_addresses(src.addr, dst.addr);
  bool src_is_lo = c < 0 || (c == 0 && src.port <= dst.port);
  const Endpoint& lo = src_is_lo ? src : dst;
  const Endpoint& hi = src_is_lo ? dst : src;
  k.key.lo_addr = lo.addr;
  k.key.hi_addr = hi.addr;
  k.key.lo_port = lo.port;
  k.key.hi_port = hi.port;
  k.key.l4 = ip_proto;
  k.key.family = src.family;
  k.dir = src_is_lo ? 0 : 1;
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
