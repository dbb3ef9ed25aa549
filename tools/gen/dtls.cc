#include "dtls.h"

#include "tls_records.h"
#include "x509.h"

namespace wcsgen::dtls {

namespace {

constexpr std::uint16_t kCipherEcdheEcdsaAes128Gcm = 0xc02b;
constexpr std::uint16_t kSrtpAes128CmSha1_80 = 0x0001;
constexpr std::uint16_t kNamedCurveP256 = 0x0017;
constexpr std::uint16_t kSigEcdsaP256Sha256 = 0x0403;
constexpr std::int64_t kDay = 86400;

// One side's record layer: epoch and per-epoch record sequence numbers, and
// the handshake message_seq counter.
class RecordLayer {
 public:
  // One handshake message in one record (offset 0, unfragmented).
  void handshake(Bytes& out, std::uint8_t msg_type, ByteView body) {
    Bytes frag;
    put8(frag, msg_type);
    put24(frag, static_cast<std::uint32_t>(body.size()));
    put16(frag, message_seq_++);
    put24(frag, 0);
    put24(frag, static_cast<std::uint32_t>(body.size()));
    append(frag, body);
    record(out, tls::content::kHandshake, frag);
  }

  void change_cipher_spec(Bytes& out) {
    record(out, tls::content::kChangeCipherSpec, Bytes{0x01});
    ++epoch_;
    record_seq_ = 0;
  }

  // Finished under AES-128-GCM: explicit nonce (8) + encrypted 12+12 + tag (16).
  void encrypted_finished(Bytes& out, Rng& rng) {
    ++message_seq_;
    record(out, tls::content::kHandshake, rng.bytes(8 + 24 + 16));
  }

 private:
  void record(Bytes& out, std::uint8_t type, ByteView fragment) {
    put8(out, type);
    put16(out, tls::kVersionDtls12);
    put16(out, epoch_);
    put48(out, record_seq_++);
    put16(out, static_cast<std::uint16_t>(fragment.size()));
    append(out, fragment);
  }

  std::uint16_t epoch_ = 0;
  std::uint64_t record_seq_ = 0;
  std::uint16_t message_seq_ = 0;
};

Bytes use_srtp_ext(std::initializer_list<std::uint16_t> profiles) {
  Bytes b = tls::u16_list(profiles);
  put8(b, 0);  // empty MKI
  return b;
}

Bytes client_hello_body(Rng& rng) {
  Bytes b;
  put16(b, tls::kVersionDtls12);
  rng.fill(b, 32);  // random
  put8(b, 0);       // session id
  put8(b, 0);       // cookie
  append(b, tls::u16_list({0xc02b, 0xc02f, 0xc00a, 0xc014, 0xc009, 0xc013, 0x009c, 0x0035, 0x002f}));
  put8(b, 1);
  put8(b, 0);  // null compression
  Bytes exts;
  tls::add_extension(exts, tls::ext::kUseSrtp, use_srtp_ext({0x0007, kSrtpAes128CmSha1_80, 0x0002}));
  tls::add_extension(exts, tls::ext::kSupportedGroups, tls::supported_groups());
  tls::add_extension(exts, tls::ext::kEcPointFormats, tls::ec_point_formats());
  tls::add_extension(exts, tls::ext::kSignatureAlgorithms, tls::signature_algorithms());
  tls::add_extension(exts, tls::ext::kExtendedMasterSecret, {});
  tls::add_extension(exts, tls::ext::kRenegotiationInfo, tls::renegotiation_info_empty());
  put16(b, static_cast<std::uint16_t>(exts.size()));
  append(b, exts);
  return b;
}

Bytes server_hello_body(Rng& rng) {
  Bytes b;
  put16(b, tls::kVersionDtls12);
  rng.fill(b, 32);
  put8(b, 32);
  rng.fill(b, 32);  // session id
  put16(b, kCipherEcdheEcdsaAes128Gcm);
  put8(b, 0);
  Bytes exts;
  tls::add_extension(exts, tls::ext::kExtendedMasterSecret, {});
  tls::add_extension(exts, tls::ext::kRenegotiationInfo, tls::renegotiation_info_empty());
  tls::add_extension(exts, tls::ext::kEcPointFormats, tls::ec_point_formats());
  tls::add_extension(exts, tls::ext::kUseSrtp, use_srtp_ext({kSrtpAes128CmSha1_80}));
  put16(b, static_cast<std::uint16_t>(exts.size()));
  append(b, exts);
  return b;
}

Bytes certificate_body(Rng& rng, const std::string& cn, std::int64_t now) {
  const Bytes cert = x509::self_signed_ecdsa_cert(rng, cn, now - kDay, now + 30 * kDay);
  Bytes b;
  put24(b, static_cast<std::uint32_t>(cert.size() + 3));
  put24(b, static_cast<std::uint32_t>(cert.size()));
  append(b, cert);
  return b;
}

void put_signature(Bytes& b, Rng& rng) {
  const Bytes sig = x509::random_ecdsa_signature(rng);
  put16(b, kSigEcdsaP256Sha256);
  put16(b, static_cast<std::uint16_t>(sig.size()));
  append(b, sig);
}

Bytes server_key_exchange_body(Rng& rng) {
  Bytes b;
  put8(b, 3);  // named_curve
  put16(b, kNamedCurveP256);
  const Bytes point = x509::random_p256_point(rng);
  put8(b, static_cast<std::uint8_t>(point.size()));
  append(b, point);
  put_signature(b, rng);
  return b;
}

Bytes certificate_request_body() {
  Bytes b;
  put8(b, 2);
  put8(b, 0x40);  // ecdsa_sign
  put8(b, 0x01);  // rsa_sign
  append(b, tls::signature_algorithms());
  put16(b, 0);  // no certificate authorities
  return b;
}

Bytes client_key_exchange_body(Rng& rng) {
  const Bytes point = x509::random_p256_point(rng);
  Bytes b;
  put8(b, static_cast<std::uint8_t>(point.size()));
  append(b, point);
  return b;
}

Bytes certificate_verify_body(Rng& rng) {
  Bytes b;
  put_signature(b, rng);
  return b;
}

}  // namespace

Handshake build_handshake(Rng& rng, std::int64_t now_unix_s) {
  Handshake h;
  RecordLayer wcs;      // DTLS client
  RecordLayer browser;  // DTLS server

  wcs.handshake(h.client_hello, tls::hs::kClientHello, client_hello_body(rng));

  browser.handshake(h.server_flight, tls::hs::kServerHello, server_hello_body(rng));
  browser.handshake(h.server_flight, tls::hs::kCertificate, certificate_body(rng, "WebRTC", now_unix_s));
  browser.handshake(h.server_flight, tls::hs::kServerKeyExchange, server_key_exchange_body(rng));
  browser.handshake(h.server_flight, tls::hs::kCertificateRequest, certificate_request_body());
  browser.handshake(h.server_flight, tls::hs::kServerHelloDone, {});

  wcs.handshake(h.client_finish_flight, tls::hs::kCertificate, certificate_body(rng, "WCS", now_unix_s));
  wcs.handshake(h.client_finish_flight, tls::hs::kClientKeyExchange, client_key_exchange_body(rng));
  wcs.handshake(h.client_finish_flight, tls::hs::kCertificateVerify, certificate_verify_body(rng));
  wcs.change_cipher_spec(h.client_finish_flight);
  wcs.encrypted_finished(h.client_finish_flight, rng);

  browser.change_cipher_spec(h.server_finish_flight);
  browser.encrypted_finished(h.server_finish_flight, rng);
  return h;
}

}  // namespace wcsgen::dtls
