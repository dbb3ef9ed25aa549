// STUN (RFC 5389) messages as used by ICE (RFC 8445) and consent freshness.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "bytes.h"
#include "net.h"
#include "rng.h"

namespace wcsgen::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::uint32_t kFingerprintXor = 0x5354554e;

inline constexpr std::uint16_t kBindingRequest = 0x0001;
inline constexpr std::uint16_t kBindingSuccess = 0x0101;

namespace attr {
inline constexpr std::uint16_t kXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kUsername = 0x0006;
inline constexpr std::uint16_t kMessageIntegrity = 0x0008;
inline constexpr std::uint16_t kPriority = 0x0024;
inline constexpr std::uint16_t kUseCandidate = 0x0025;
inline constexpr std::uint16_t kFingerprint = 0x8028;
inline constexpr std::uint16_t kIceControlled = 0x8029;
inline constexpr std::uint16_t kIceControlling = 0x802A;
}  // namespace attr

using TransactionId = std::array<std::uint8_t, 12>;

TransactionId new_transaction_id(Rng& rng);

// CRC-32 (ISO-HDLC, the one FINGERPRINT uses).
std::uint32_t crc32(ByteView data);

// Builds one message attribute by attribute; finish() appends
// MESSAGE-INTEGRITY (random: we do not know the ICE passwords) and a correct
// FINGERPRINT, and fixes the header length.
class MessageBuilder {
 public:
  MessageBuilder(std::uint16_t type, const TransactionId& tid);
  void add(std::uint16_t type, ByteView value);
  void add_string(std::uint16_t type, const std::string& s);
  void add_u32(std::uint16_t type, std::uint32_t v);
  void add_u64(std::uint16_t type, std::uint64_t v);
  void add_flag(std::uint16_t type);
  void add_xor_mapped_address(const Endpoint& ep);
  Bytes finish(Rng& rng);

 private:
  void fix_length(std::size_t extra);
  Bytes msg_;
};

struct IceRole {
  bool controlling = false;
  std::uint64_t tiebreaker = 0;
};

Bytes binding_request(const TransactionId& tid, const std::string& username, std::uint32_t priority,
                      const IceRole& role, bool use_candidate, Rng& rng);

// mapped: the transport address the request came from.
Bytes binding_success(const TransactionId& tid, const Endpoint& mapped, Rng& rng);

}  // namespace wcsgen::stun
