// A structurally valid DER X.509 v3 certificate shaped like the self-signed
// ECDSA P-256 certificates browsers and media servers use for DTLS-SRTP.
// Key and signature are random bytes (nothing verifies them here).
#pragma once

#include <cstdint>
#include <string>

#include "bytes.h"
#include "rng.h"

namespace wcsgen::x509 {

Bytes self_signed_ecdsa_cert(Rng& rng, const std::string& common_name, std::int64_t not_before_unix_s,
                             std::int64_t not_after_unix_s);

// DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) with random r, s.
Bytes random_ecdsa_signature(Rng& rng);

// Uncompressed P-256 point (0x04 || X || Y) with random coordinates.
Bytes random_p256_point(Rng& rng);

// The SHA-256 fingerprint of a DER certificate as SDP's a=fingerprint writes
// it (RFC 8122): uppercase hex bytes joined by ':'.
std::string sha256_fingerprint(ByteView der);

}  // namespace wcsgen::x509
