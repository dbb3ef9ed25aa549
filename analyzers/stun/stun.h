// STUN messages (RFC 5389/8489; RFC 3489's classic form recognised) as ICE and TURN use them: the
// header, and the attributes a tap needs. A pure parser: no state, no allocation.
#pragma once

#include <array>
#include <cstdint>

#include "decode/bytes.h"
#include "event.h"

namespace wcstap {

enum class StunClass : uint8_t { Request = 0, Indication = 1, Success = 2, Error = 3 };

namespace stun {
constexpr uint16_t kBinding = 0x001;
// TURN (RFC 8656)
constexpr uint16_t kAllocate = 0x003, kRefresh = 0x004, kSend = 0x006, kData = 0x007,
                   kCreatePermission = 0x008, kChannelBind = 0x009;
}  // namespace stun

struct StunMessage {
  uint16_t method = 0;
  StunClass cls = StunClass::Request;
  uint16_t length = 0;          // of the attributes
  bool rfc5389 = false;         // magic cookie present (else RFC 3489)
  std::array<uint8_t, 16> tid{};  // cookie + 96-bit id (RFC 5389), or RFC 3489's 128-bit id
  // attributes (has_* false when absent)
  bool has_username = false;
  Bytes username;               // ICE: "remote-ufrag:local-ufrag" (never printed: it names a peer)
  bool has_mapped = false;      // XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS
  Endpoint mapped;
  bool has_priority = false;
  uint32_t priority = 0;
  bool use_candidate = false;
  bool ice_controlling = false, ice_controlled = false;
  uint16_t error_code = 0;      // 300-699, 0 when absent
  bool has_integrity = false;   // MESSAGE-INTEGRITY (HMAC-SHA1) present; not verifiable without the password
  bool has_fingerprint = false;
  bool fingerprint_ok = false;  // CRC-32 of the message before it, XOR 0x5354554e, matches
  uint16_t channel = 0;         // TURN CHANNEL-NUMBER
  uint32_t lifetime = 0;        // TURN LIFETIME (s)
  bool has_lifetime = false;
  bool has_peer = false;        // TURN XOR-PEER-ADDRESS (the first)
  Endpoint peer;
  bool has_relayed = false;     // TURN XOR-RELAYED-ADDRESS (an Allocate success: the relay's address)
  Endpoint relayed;
  bool has_data = false;        // TURN DATA: what a Send/Data indication relays
  Bytes data;
  uint16_t attributes = 0;      // attributes walked
};

// False when `p` is not a whole, well-formed STUN message (header, lengths, attribute walk).
bool parse_stun(Bytes p, StunMessage& out);

const char* stun_method_name(uint16_t method);  // "binding", "allocate", ...; "other"
const char* stun_class_name(StunClass c);       // "request", "indication", "success", "error"

}  // namespace wcstap
