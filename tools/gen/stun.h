// STUN (RFC 5389) messages as used by ICE (RFC 8445) and consent freshness, and the TURN
// (RFC 8656) ones a browser exchanges with its relay (turn_client.h).
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

// TURN methods; a response's type is the method with the class bits of success or error.
inline constexpr std::uint16_t kAllocate = 0x0003;
inline constexpr std::uint16_t kRefresh = 0x0004;
inline constexpr std::uint16_t kCreatePermission = 0x0008;
inline constexpr std::uint16_t kChannelBind = 0x0009;
inline constexpr std::uint16_t kSuccessClass = 0x0100;
inline constexpr std::uint16_t kErrorClass = 0x0110;

namespace attr {
inline constexpr std::uint16_t kXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kUsername = 0x0006;
inline constexpr std::uint16_t kMessageIntegrity = 0x0008;
inline constexpr std::uint16_t kPriority = 0x0024;
inline constexpr std::uint16_t kUseCandidate = 0x0025;
inline constexpr std::uint16_t kFingerprint = 0x8028;
inline constexpr std::uint16_t kIceControlled = 0x8029;
inline constexpr std::uint16_t kIceControlling = 0x802A;
inline constexpr std::uint16_t kErrorCode = 0x0009;
inline constexpr std::uint16_t kChannelNumber = 0x000C;
inline constexpr std::uint16_t kLifetime = 0x000D;
inline constexpr std::uint16_t kXorPeerAddress = 0x0012;
inline constexpr std::uint16_t kRealm = 0x0014;
inline constexpr std::uint16_t kNonce = 0x0015;
inline constexpr std::uint16_t kXorRelayedAddress = 0x0016;
inline constexpr std::uint16_t kRequestedTransport = 0x0019;
inline constexpr std::uint16_t kSoftware = 0x8022;
}  // namespace attr

using TransactionId = std::array<std::uint8_t, 12>;

TransactionId new_transaction_id(Rng& rng);

// CRC-32 (ISO-HDLC, the one FINGERPRINT uses).
std::uint32_t crc32(ByteView data);

// The long-term credential key (RFC 5389 15.4): MD5(username ":" realm ":" password), the
// strings plain ASCII (what SASLprep leaves as they are).
Bytes long_term_key(const std::string& username, const std::string& realm, const std::string& password);

// Builds one message attribute by attribute; a finish() appends MESSAGE-INTEGRITY (or not) and a
// correct FINGERPRINT, and fixes the header length.
class MessageBuilder {
 public:
  MessageBuilder(std::uint16_t type, const TransactionId& tid);
  void add(std::uint16_t type, ByteView value);
  void add_string(std::uint16_t type, const std::string& s);
  void add_u32(std::uint16_t type, std::uint32_t v);
  void add_u64(std::uint16_t type, std::uint64_t v);
  void add_flag(std::uint16_t type);
  void add_xor_mapped_address(const Endpoint& ep);
  void add_xor_address(std::uint16_t type, const Endpoint& ep);  // XOR-MAPPED/-PEER/-RELAYED-ADDRESS
  // An ERROR-CODE: e.g. 401 "Unauthorized".
  void add_error_code(int code, const std::string& reason);
  // MESSAGE-INTEGRITY random: we do not know the ICE passwords.
  Bytes finish(Rng& rng);
  // MESSAGE-INTEGRITY the HMAC-SHA1 of the message with `key` (long_term_key), as TURN's are.
  Bytes finish(ByteView key);
  // No MESSAGE-INTEGRITY: a request before its credentials, or the challenge answering it.
  Bytes finish_unauthenticated();

 private:
  void fix_length(std::size_t extra);
  Bytes finish_fingerprint();
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
