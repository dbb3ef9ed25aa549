// TLS / DTLS record and handshake framing shared by the signalling (TLS over
// TCP) and media (DTLS over UDP) builders.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "bytes.h"

namespace wcsgen::tls {

namespace content {
inline constexpr std::uint8_t kChangeCipherSpec = 20;
inline constexpr std::uint8_t kAlert = 21;
inline constexpr std::uint8_t kHandshake = 22;
inline constexpr std::uint8_t kApplicationData = 23;
}  // namespace content

namespace hs {
inline constexpr std::uint8_t kClientHello = 1;
inline constexpr std::uint8_t kServerHello = 2;
inline constexpr std::uint8_t kCertificate = 11;
inline constexpr std::uint8_t kServerKeyExchange = 12;
inline constexpr std::uint8_t kCertificateRequest = 13;
inline constexpr std::uint8_t kServerHelloDone = 14;
inline constexpr std::uint8_t kCertificateVerify = 15;
inline constexpr std::uint8_t kClientKeyExchange = 16;
inline constexpr std::uint8_t kFinished = 20;
}  // namespace hs

namespace ext {
inline constexpr std::uint16_t kServerName = 0x0000;
inline constexpr std::uint16_t kSupportedGroups = 0x000a;
inline constexpr std::uint16_t kEcPointFormats = 0x000b;
inline constexpr std::uint16_t kSignatureAlgorithms = 0x000d;
inline constexpr std::uint16_t kUseSrtp = 0x000e;
inline constexpr std::uint16_t kAlpn = 0x0010;
inline constexpr std::uint16_t kExtendedMasterSecret = 0x0017;
inline constexpr std::uint16_t kSupportedVersions = 0x002b;
inline constexpr std::uint16_t kPskKeyExchangeModes = 0x002d;
inline constexpr std::uint16_t kKeyShare = 0x0033;
inline constexpr std::uint16_t kRenegotiationInfo = 0xff01;
}  // namespace ext

inline constexpr std::uint16_t kVersionTls12 = 0x0303;
inline constexpr std::uint16_t kVersionTls10 = 0x0301;
inline constexpr std::uint16_t kVersionDtls12 = 0xfefd;

// TLS record: type, version, length, fragment.
Bytes record(std::uint8_t type, std::uint16_t version, ByteView fragment);

// TLS handshake message: type, 24-bit length, body.
Bytes handshake(std::uint8_t msg_type, ByteView body);

// Appends one extension (type, 16-bit length, data) to `exts`.
void add_extension(Bytes& exts, std::uint16_t type, ByteView data);

// Extension bodies used by several hellos.
Bytes u16_list(std::initializer_list<std::uint16_t> values);  // 16-bit length + values
Bytes supported_groups();
Bytes signature_algorithms();
Bytes ec_point_formats();
Bytes renegotiation_info_empty();

}  // namespace wcsgen::tls
