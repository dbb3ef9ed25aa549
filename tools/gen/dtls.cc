#include "dtls.h"

#include <string>
#include <utility>

#include "tls_records.h"
#include "x509.h"

namespace wcsgen::dtls {

namespace {

constexpr std::uint16_t kCipherEcdheEcdsaAes128Gcm = 0xc02b;
constexpr std::uint16_t kSrtpAes128CmSha1_80 = 0x0001;
constexpr std::uint16_t kNamedCurveP256 = 0x0017;
constexpr std::uint16_t kSigEcdsaP256Sha256 = 0x0403;
constexpr std::int64_t kDay = 86400;

// One side's handshake messages as it builds them: the epoch they go out in
// and the handshake message_seq counter. Record sequence numbers are the
// RecordSender's, at send time.
class MessageWriter {
 public:
  // One handshake message in one record (offset 0, unfragmented).
  void handshake(Flight& out, std::uint8_t msg_type, ByteView body) {
    fragment(out, msg_type, body, 0, body.size());
    ++message_seq_;
  }

  // One handshake message cut in two fragments at `split`, one record each:
  // same message_seq and length, fragment_offset 0 and `split`. A reader has
  // to reassemble it, as with stacks that cut messages to a record size.
  void handshake_in_two(Flight& out, std::uint8_t msg_type, ByteView body, std::size_t split) {
    fragment(out, msg_type, body, 0, split);
    fragment(out, msg_type, body, split, body.size() - split);
    ++message_seq_;
  }

  void change_cipher_spec(Flight& out) {
    out.push_back({tls::content::kChangeCipherSpec, epoch_, Bytes{0x01}});
    ++epoch_;
  }

  // Finished under AES-128-GCM: explicit nonce (8) + encrypted 12+12 + tag (16).
  void encrypted_finished(Flight& out, Rng& rng) {
    ++message_seq_;
    out.push_back({tls::content::kHandshake, epoch_, rng.bytes(8 + 24 + 16)});
  }

 private:
  void fragment(Flight& out, std::uint8_t msg_type, ByteView body, std::size_t offset, std::size_t length) {
    Bytes frag;
    put8(frag, msg_type);
    put24(frag, static_cast<std::uint32_t>(body.size()));
    put16(frag, message_seq_);
    put24(frag, static_cast<std::uint32_t>(offset));
    put24(frag, static_cast<std::uint32_t>(length));
    append(frag, body.subspan(offset, length));
    out.push_back({tls::content::kHandshake, epoch_, std::move(frag)});
  }

  std::uint16_t epoch_ = 0;
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

Bytes certificate(Rng& rng, const std::string& cn, std::int64_t now) {
  return x509::self_signed_ecdsa_cert(rng, cn, now - kDay, now + 30 * kDay);
}

Bytes certificate_body(ByteView cert) {
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

// Flight 4's message bodies, built once: written as first sent and as resent.
struct ServerFlightBodies {
  Bytes hello;
  Bytes certificate;
  Bytes key_exchange;
};

// The browser's Certificate is cut in two fragments (in the same datagram) when first sent, so
// that a reader of the capture has to reassemble it; WCS's always goes whole. A retransmission
// carries it whole, as RFC 6347 4.2.3 allows (fragmentation may change between transmissions):
// Wireshark 4.0 takes a re-sent fragment of a message it has already reassembled for a
// reassembly error, and tshark is how these captures are checked.
void write_server_flight(MessageWriter& w, Flight& out, const ServerFlightBodies& b, bool fragment_certificate) {
  w.handshake(out, tls::hs::kServerHello, b.hello);
  if (fragment_certificate)
    w.handshake_in_two(out, tls::hs::kCertificate, b.certificate, b.certificate.size() / 2);
  else
    w.handshake(out, tls::hs::kCertificate, b.certificate);
  w.handshake(out, tls::hs::kServerKeyExchange, b.key_exchange);
  w.handshake(out, tls::hs::kCertificateRequest, certificate_request_body());
  w.handshake(out, tls::hs::kServerHelloDone, {});
}

}  // namespace

Bytes RecordSender::datagram(const Flight& flight) {
  Bytes out;
  for (const Record& r : flight) {
    put8(out, r.type);
    put16(out, tls::kVersionDtls12);
    put16(out, r.epoch);
    put48(out, next_seq_.at(r.epoch)++);
    put16(out, static_cast<std::uint16_t>(r.fragment.size()));
    append(out, r.fragment);
  }
  return out;
}

Bytes RecordSender::alert(std::uint8_t level, std::uint8_t description) {
  return datagram({Record{tls::content::kAlert, 0, Bytes{level, description}}});
}

Handshake build_handshake(Rng& rng, std::int64_t now_unix_s) {
  Handshake h;
  MessageWriter wcs;      // DTLS client
  MessageWriter browser;  // DTLS server

  wcs.handshake(h.client_hello, tls::hs::kClientHello, client_hello_body(rng));

  ServerFlightBodies server;
  server.hello = server_hello_body(rng);
  h.server_certificate = certificate(rng, "WebRTC", now_unix_s);
  server.certificate = certificate_body(h.server_certificate);
  server.key_exchange = server_key_exchange_body(rng);
  MessageWriter browser_resending = browser;  // a retransmission has the same message_seq numbers
  write_server_flight(browser, h.server_flight, server, true);
  write_server_flight(browser_resending, h.server_flight_resent, server, false);

  h.client_certificate = certificate(rng, "WCS", now_unix_s);
  wcs.handshake(h.client_finish_flight, tls::hs::kCertificate, certificate_body(h.client_certificate));
  wcs.handshake(h.client_finish_flight, tls::hs::kClientKeyExchange, client_key_exchange_body(rng));
  wcs.handshake(h.client_finish_flight, tls::hs::kCertificateVerify, certificate_verify_body(rng));
  wcs.change_cipher_spec(h.client_finish_flight);
  wcs.encrypted_finished(h.client_finish_flight, rng);

  browser.change_cipher_spec(h.server_finish_flight);
  browser.encrypted_finished(h.server_finish_flight, rng);
  return h;
}

}  // namespace wcsgen::dtls
