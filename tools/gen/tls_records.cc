#include "tls_records.h"

namespace wcsgen::tls {

Bytes record(std::uint8_t type, std::uint16_t version, ByteView fragment) {
  Bytes b;
  put8(b, type);
  put16(b, version);
  put16(b, static_cast<std::uint16_t>(fragment.size()));
  append(b, fragment);
  return b;
}

Bytes handshake(std::uint8_t msg_type, ByteView body) {
  Bytes b;
  b.reserve(4 + body.size());  // also keeps GCC 12's -Wstringop-overflow false positive away at -O3
  put8(b, msg_type);
  put24(b, static_cast<std::uint32_t>(body.size()));
  append(b, body);
  return b;
}

void add_extension(Bytes& exts, std::uint16_t type, ByteView data) {
  put16(exts, type);
  put16(exts, static_cast<std::uint16_t>(data.size()));
  append(exts, data);
}

Bytes u16_list(std::initializer_list<std::uint16_t> values) {
  Bytes b;
  put16(b, static_cast<std::uint16_t>(values.size() * 2));
  for (auto v : values) put16(b, v);
  return b;
}

Bytes supported_groups() { return u16_list({0x001d, 0x0017, 0x0018}); }  // x25519, P-256, P-384

Bytes signature_algorithms() {
  // ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256, ecdsa_secp384r1_sha384,
  // rsa_pss_rsae_sha384, rsa_pkcs1_sha384, rsa_pss_rsae_sha512, rsa_pkcs1_sha512
  return u16_list({0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601});
}

Bytes ec_point_formats() { return Bytes{0x01, 0x00}; }  // uncompressed

Bytes renegotiation_info_empty() { return Bytes{0x00}; }

}  // namespace wcsgen::tls
