#include "stun/stun.h"

#include <zlib.h>

#include <cstring>

namespace wcstap {

namespace {

constexpr uint32_t kMagicCookie = 0x2112a442;
constexpr uint32_t kFingerprintXor = 0x5354554e;

namespace attr {
constexpr uint16_t kMappedAddress = 0x0001, kUsername = 0x0006, kMessageIntegrity = 0x0008,
                   kErrorCode = 0x0009, kChannelNumber = 0x000c, kLifetime = 0x000d,
                   kXorPeerAddress = 0x0012, kData = 0x0013, kXorRelayedAddress = 0x0016, kXorMappedAddress = 0x0020, kPriority = 0x0024, kUseCandidate = 0x0025,
                   kFingerprint = 0x8028, kIceControlled = 0x8029, kIceControlling = 0x802a;
}  // namespace attr

// (XOR-)MAPPED-ADDRESS: family, port, address; XORed with the cookie (and the transaction id).
bool read_address(Bytes v, bool xored, const std::array<uint8_t, 16>& tid, Endpoint& out) {
  if (v.size() < 8) return false;
  const uint8_t family = v[1];
  const size_t len = family == 1 ? 4 : family == 2 ? 16 : 0;
  if (len == 0 || v.size() < 4 + len) return false;
  out = Endpoint{};
  out.family = family == 1 ? 4 : 6;
  out.port = be16(&v[2]);
  for (size_t i = 0; i < len; ++i) out.addr[i] = v[4 + i];
  if (xored) {
    out.port ^= static_cast<uint16_t>(kMagicCookie >> 16);
    for (size_t i = 0; i < len; ++i) out.addr[i] ^= tid[i];  // cookie then transaction id
  }
  return true;
}

}  // namespace

bool parse_stun(Bytes p, StunMessage& m) {
  if (p.size() < 20) return false;
  const uint16_t type = be16(&p[0]);
  if (type & 0xc000) return false;
  m = StunMessage{};
  m.length = be16(&p[2]);
  if ((m.length & 3) != 0 || size_t{m.length} + 20 != p.size()) return false;
  m.rfc5389 = be32(&p[4]) == kMagicCookie;
  std::memcpy(m.tid.data(), &p[4], 16);
  // Method bits M0-M11 around the class bits C0 (bit 4) and C1 (bit 8).
  m.method = static_cast<uint16_t>((type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2));
  m.cls = static_cast<StunClass>(((type >> 4) & 1) | ((type >> 7) & 2));
  size_t off = 20;
  while (off < p.size()) {
    if (!has(p, off, 4)) return false;
    const uint16_t t = be16(&p[off]), len = be16(&p[off + 2]);
    const size_t padded = (size_t{len} + 3) & ~size_t{3};
    if (!has(p, off + 4, padded)) return false;
    const Bytes v = p.subspan(off + 4, len);
    ++m.attributes;
    switch (t) {
      case attr::kUsername:
        m.has_username = true;
        m.username = v;
        break;
      case attr::kXorMappedAddress:
        m.has_mapped = read_address(v, true, m.tid, m.mapped) || m.has_mapped;
        break;
      case attr::kXorPeerAddress:
        if (!m.has_peer) m.has_peer = read_address(v, true, m.tid, m.peer);
        break;
      case attr::kXorRelayedAddress:
        if (!m.has_relayed) m.has_relayed = read_address(v, true, m.tid, m.relayed);
        break;
      case attr::kData:
        m.has_data = true;
        m.data = v;
        break;
      case attr::kMappedAddress:
        if (!m.has_mapped) m.has_mapped = read_address(v, false, m.tid, m.mapped);
        break;
      case attr::kPriority:
        if (len == 4) {
          m.has_priority = true;
          m.priority = be32(v.data());
        }
        break;
      case attr::kUseCandidate:
        m.use_candidate = true;
        break;
      case attr::kIceControlling:
        m.ice_controlling = true;
        break;
      case attr::kIceControlled:
        m.ice_controlled = true;
        break;
      case attr::kErrorCode:
        if (len >= 4) m.error_code = static_cast<uint16_t>((v[2] & 7) * 100 + v[3]);
        break;
      case attr::kMessageIntegrity:
        m.has_integrity = true;
        break;
      case attr::kChannelNumber:
        if (len >= 2) m.channel = be16(v.data());
        break;
      case attr::kLifetime:
        if (len == 4) {
          m.has_lifetime = true;
          m.lifetime = be32(v.data());
        }
        break;
      case attr::kFingerprint:
        m.has_fingerprint = true;
        if (len == 4) {
          const uLong crc = crc32(crc32(0L, Z_NULL, 0), p.data(), static_cast<uInt>(off));
          m.fingerprint_ok = (static_cast<uint32_t>(crc) ^ kFingerprintXor) == be32(v.data());
        }
        break;
      default:
        break;
    }
    off += 4 + padded;
  }
  return true;
}

const char* stun_method_name(uint16_t method) {
  switch (method) {
    case stun::kBinding: return "binding";
    case stun::kAllocate: return "allocate";
    case stun::kRefresh: return "refresh";
    case stun::kSend: return "send";
    case stun::kData: return "data";
    case stun::kCreatePermission: return "create_permission";
    case stun::kChannelBind: return "channel_bind";
    default: return "other";
  }
}

const char* stun_class_name(StunClass c) {
  switch (c) {
    case StunClass::Request: return "request";
    case StunClass::Indication: return "indication";
    case StunClass::Success: return "success";
    case StunClass::Error: return "error";
  }
  return "?";
}

}  // namespace wcstap
