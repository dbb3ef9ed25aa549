#include "balance.h"

#include <algorithm>
#include <cstring>

namespace wcstap::dp {

namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }


// A 64-bit finaliser (xor-shift-multiply): every input bit reaches the low 32 bits.
uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

uint32_t fold(uint64_t x) { return static_cast<uint32_t>(x ^ (x >> 32)); }

// The two endpoints in a fixed order (address, then port), so a->b and b->a hash alike.
uint32_t hash_endpoints(const uint8_t* a, const uint8_t* b, size_t addr_len, uint32_t port_a, uint32_t port_b,
                        uint8_t proto) {
  int c = std::memcmp(a, b, addr_len);
  if (c > 0 || (c == 0 && port_a > port_b)) {
    std::swap(a, b);
    std::swap(port_a, port_b);
  }
  uint64_t h = mix(0x9e3779b97f4a7c15ull ^ proto ^ (uint64_t{port_a} << 8) ^ (uint64_t{port_b} << 24));
  for (size_t off = 0; off < addr_len; off += 4) {
    uint32_t wa, wb;
    std::memcpy(&wa, a + off, 4);
    std::memcpy(&wb, b + off, 4);
    h = mix(h ^ (uint64_t{wa} << 32 | wb));
  }
  return fold(h);
}

bool is_port_protocol(uint8_t proto) { return proto == 6 || proto == 17 || proto == 132; }

// A port as the 5-tuple hash takes it. UDP drops the lowest bit: RTP on an even port and its RTCP
// on the next one (RFC 3550 section 11) are one conversation, and the media analyzers read a
// stream's receiver reports and its packets together (one_way_media waits for those reports).
uint32_t balance_port(const uint8_t* p, uint8_t proto) { return proto == 17 ? be16(p) >> 1 : be16(p); }

}  // namespace

uint32_t balance_hash(std::span<const uint8_t> f, BalanceBy by) {
  size_t off = 12;
  if (f.size() < off + 2) return 0;
  uint16_t type = be16(&f[off]);
  for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8) && f.size() >= off + 6; ++tags) {
    off += 4;
    type = be16(&f[off]);
  }
  off += 2;
  const bool ports = by == BalanceBy::FiveTuple;
  if (type == 0x0800) {
    if (f.size() < off + 20) return 0;
    const uint8_t* ip = &f[off];
    const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
    const uint8_t proto = ip[9];
    const bool fragment = (be16(ip + 6) & 0x3fff) != 0;  // MF set or an offset: pieces meet by address
    if (ports && !fragment && is_port_protocol(proto) && ihl >= 20 && f.size() >= off + ihl + 4)
      return hash_endpoints(ip + 12, ip + 16, 4, balance_port(ip + ihl, proto), balance_port(ip + ihl + 2, proto),
                            proto);
    return hash_endpoints(ip + 12, ip + 16, 4, 0, 0, 0);
  }
  if (type == 0x86dd) {
    if (f.size() < off + 40) return 0;
    const uint8_t* ip = &f[off];
    const uint8_t next = ip[6];
    if (ports && is_port_protocol(next) && f.size() >= off + 44)
      return hash_endpoints(ip + 8, ip + 24, 16, balance_port(ip + 40, next), balance_port(ip + 42, next), next);
    return hash_endpoints(ip + 8, ip + 24, 16, 0, 0, 0);
  }
  return 0;
}

}  // namespace wcstap::dp
