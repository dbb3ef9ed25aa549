#include "stun.h"

#include <nettle/hmac.h>
#include <nettle/md5.h>
#include <zlib.h>

namespace wcsgen::stun {

namespace {

constexpr std::size_t kHeaderLen = 20;
constexpr std::size_t kIntegrityAttrLen = 4 + SHA1_DIGEST_SIZE;
constexpr std::size_t kFingerprintAttrLen = 8;

}  // namespace

std::uint32_t crc32(ByteView data) {
  return static_cast<std::uint32_t>(::crc32(::crc32(0L, Z_NULL, 0), data.data(), static_cast<uInt>(data.size())));
}

Bytes long_term_key(const std::string& username, const std::string& realm, const std::string& password) {
  const std::string s = username + ":" + realm + ":" + password;
  md5_ctx ctx;
  md5_init(&ctx);
  md5_update(&ctx, s.size(), reinterpret_cast<const std::uint8_t*>(s.data()));
  Bytes key(MD5_DIGEST_SIZE);
  md5_digest(&ctx, key.size(), key.data());
  return key;
}

TransactionId new_transaction_id(Rng& rng) {
  TransactionId tid{};
  for (auto& b : tid) b = static_cast<std::uint8_t>(rng.next() >> 56);
  return tid;
}

MessageBuilder::MessageBuilder(std::uint16_t type, const TransactionId& tid) {
  put16(msg_, type);
  put16(msg_, 0);
  put32(msg_, kMagicCookie);
  append(msg_, tid);
}

void MessageBuilder::add(std::uint16_t type, ByteView value) {
  put16(msg_, type);
  put16(msg_, static_cast<std::uint16_t>(value.size()));
  append(msg_, value);
  while (msg_.size() % 4 != 0) put8(msg_, 0);
}

void MessageBuilder::add_string(std::uint16_t type, const std::string& s) {
  Bytes v(s.begin(), s.end());
  add(type, v);
}

void MessageBuilder::add_u32(std::uint16_t type, std::uint32_t v) {
  Bytes b;
  put32(b, v);
  add(type, b);
}

void MessageBuilder::add_u64(std::uint16_t type, std::uint64_t v) {
  Bytes b;
  put64(b, v);
  add(type, b);
}

void MessageBuilder::add_flag(std::uint16_t type) { add(type, {}); }

void MessageBuilder::add_xor_mapped_address(const Endpoint& ep) { add_xor_address(attr::kXorMappedAddress, ep); }

void MessageBuilder::add_xor_address(std::uint16_t type, const Endpoint& ep) {
  Bytes b;
  put8(b, 0);
  put8(b, 0x01);  // IPv4
  put16(b, static_cast<std::uint16_t>(ep.port ^ (kMagicCookie >> 16)));
  put32(b, ep.ip.v ^ kMagicCookie);
  add(type, b);
}

void MessageBuilder::add_error_code(int code, const std::string& reason) {
  Bytes b;
  put16(b, 0);
  put8(b, static_cast<std::uint8_t>(code / 100));  // the class
  put8(b, static_cast<std::uint8_t>(code % 100));  // the number
  append(b, reason);
  add(attr::kErrorCode, b);
}

void MessageBuilder::fix_length(std::size_t extra) {
  set16(msg_, 2, static_cast<std::uint16_t>(msg_.size() - kHeaderLen + extra));
}

Bytes MessageBuilder::finish(Rng& rng) {
  fix_length(kIntegrityAttrLen);
  add(attr::kMessageIntegrity, rng.bytes(SHA1_DIGEST_SIZE));
  return finish_fingerprint();
}

Bytes MessageBuilder::finish(ByteView key) {
  // MESSAGE-INTEGRITY covers the message before it, with the header's length counting itself.
  fix_length(kIntegrityAttrLen);
  hmac_sha1_ctx ctx;
  hmac_sha1_set_key(&ctx, key.size(), key.data());
  hmac_sha1_update(&ctx, msg_.size(), msg_.data());
  Bytes mac(SHA1_DIGEST_SIZE);
  hmac_sha1_digest(&ctx, mac.size(), mac.data());
  add(attr::kMessageIntegrity, mac);
  return finish_fingerprint();
}

Bytes MessageBuilder::finish_unauthenticated() { return finish_fingerprint(); }

Bytes MessageBuilder::finish_fingerprint() {
  // FINGERPRINT: CRC over everything before it, length counting it.
  fix_length(kFingerprintAttrLen);
  add_u32(attr::kFingerprint, crc32(msg_) ^ kFingerprintXor);
  return std::move(msg_);
}

Bytes binding_request(const TransactionId& tid, const std::string& username, std::uint32_t priority,
                      const IceRole& role, bool use_candidate, Rng& rng) {
  MessageBuilder m(kBindingRequest, tid);
  m.add_string(attr::kUsername, username);
  m.add_u64(role.controlling ? attr::kIceControlling : attr::kIceControlled, role.tiebreaker);
  m.add_u32(attr::kPriority, priority);
  if (use_candidate) m.add_flag(attr::kUseCandidate);
  return m.finish(rng);
}

Bytes binding_success(const TransactionId& tid, const Endpoint& mapped, Rng& rng) {
  MessageBuilder m(kBindingSuccess, tid);
  m.add_xor_mapped_address(mapped);
  return m.finish(rng);
}

}  // namespace wcsgen::stun
