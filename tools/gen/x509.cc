#include "x509.h"

#include <nettle/sha2.h>

#include <array>
#include <cstdio>
#include <ctime>

namespace wcsgen::x509 {

namespace {

namespace tag {
constexpr std::uint8_t kInteger = 0x02;
constexpr std::uint8_t kBitString = 0x03;
constexpr std::uint8_t kOid = 0x06;
constexpr std::uint8_t kUtf8String = 0x0c;
constexpr std::uint8_t kUtcTime = 0x17;
constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kSet = 0x31;
constexpr std::uint8_t kExplicit0 = 0xa0;
}  // namespace tag

// Encoded OID bodies.
const Bytes kOidEcdsaWithSha256{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
const Bytes kOidEcPublicKey{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
const Bytes kOidPrime256v1{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
const Bytes kOidCommonName{0x55, 0x04, 0x03};

Bytes tlv(std::uint8_t t, ByteView content) {
  Bytes b;
  put8(b, t);
  const std::size_t n = content.size();
  if (n < 0x80) {
    put8(b, static_cast<std::uint8_t>(n));
  } else if (n <= 0xff) {
    put8(b, 0x81);
    put8(b, static_cast<std::uint8_t>(n));
  } else {
    put8(b, 0x82);
    put16(b, static_cast<std::uint16_t>(n));
  }
  append(b, content);
  return b;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const auto& p : parts) append(b, p);
  return b;
}

// A positive DER INTEGER from `len` random bytes (no redundant leading zero).
Bytes random_positive_integer(Rng& rng, std::size_t len) {
  Bytes v = rng.bytes(len);
  if (v[0] == 0) v[0] = 1;
  if (v[0] & 0x80) v.insert(v.begin(), 0x00);
  return tlv(tag::kInteger, v);
}

Bytes utc_time(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%y%m%d%H%M%SZ", &tm);
  Bytes v;
  append(v, std::string_view(buf));
  return tlv(tag::kUtcTime, v);
}

Bytes name(const std::string& cn) {
  Bytes value(cn.begin(), cn.end());
  Bytes atv = tlv(tag::kSequence, concat({tlv(tag::kOid, kOidCommonName), tlv(tag::kUtf8String, value)}));
  return tlv(tag::kSequence, tlv(tag::kSet, atv));
}

Bytes ecdsa_sha256_alg() { return tlv(tag::kSequence, tlv(tag::kOid, kOidEcdsaWithSha256)); }

Bytes bit_string(ByteView content) {
  Bytes v{0x00};  // no unused bits
  append(v, content);
  return tlv(tag::kBitString, v);
}

}  // namespace

Bytes random_p256_point(Rng& rng) {
  Bytes p{0x04};
  rng.fill(p, 64);
  return p;
}

Bytes random_ecdsa_signature(Rng& rng) {
  return tlv(tag::kSequence, concat({random_positive_integer(rng, 32), random_positive_integer(rng, 32)}));
}

Bytes self_signed_ecdsa_cert(Rng& rng, const std::string& common_name, std::int64_t not_before_unix_s,
                             std::int64_t not_after_unix_s) {
  const Bytes version = tlv(tag::kExplicit0, tlv(tag::kInteger, Bytes{0x02}));
  const Bytes validity = tlv(tag::kSequence, concat({utc_time(not_before_unix_s), utc_time(not_after_unix_s)}));
  const Bytes spki_alg =
      tlv(tag::kSequence, concat({tlv(tag::kOid, kOidEcPublicKey), tlv(tag::kOid, kOidPrime256v1)}));
  const Bytes spki = tlv(tag::kSequence, concat({spki_alg, bit_string(random_p256_point(rng))}));
  const Bytes tbs = tlv(tag::kSequence, concat({version, random_positive_integer(rng, 8), ecdsa_sha256_alg(),
                                                name(common_name), validity, name(common_name), spki}));
  return tlv(tag::kSequence, concat({tbs, ecdsa_sha256_alg(), bit_string(random_ecdsa_signature(rng))}));
}

std::string sha256_fingerprint(ByteView der) {
  std::array<std::uint8_t, SHA256_DIGEST_SIZE> digest{};
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, der.size(), der.data());
  sha256_digest(&ctx, digest.size(), digest.data());
  std::string out;
  for (const std::uint8_t byte : digest) {
    char hex[4];
    std::snprintf(hex, sizeof hex, out.empty() ? "%02X" : ":%02X", byte);
    out += hex;
  }
  return out;
}

}  // namespace wcsgen::x509
