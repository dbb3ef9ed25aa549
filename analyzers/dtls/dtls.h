// DTLS (RFC 4347, 6347, 9147) as DTLS-SRTP (RFC 5764) uses it: what a tap reads without keys.
// The record layer, plaintext handshake fragments, the hellos' negotiation (version, cipher suite,
// use_srtp profile), alerts, and the SHA-256 of the certificate each side sends (DTLS 1.0/1.2:
// what an SDP a=fingerprint names), hashed as its fragments pass: no reassembly buffer.
// Pure parsers; no allocation.
#pragma once

#include <nettle/sha2.h>

#include <array>
#include <cstdint>
#include <string>

#include "decode/bytes.h"

namespace wcstap::dtls {

// Content types
constexpr uint8_t kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22, kApplicationData = 23,
                  kHeartbeat = 24, kTls12Cid = 25, kAck = 26;
// Handshake message types
constexpr uint8_t kClientHello = 1, kServerHello = 2, kHelloVerifyRequest = 3, kCertificate = 11,
                  kServerKeyExchange = 12, kCertificateRequest = 13, kServerHelloDone = 14,
                  kCertificateVerify = 15, kClientKeyExchange = 16, kFinished = 20;
// Versions on the wire
constexpr uint16_t kDtls10 = 0xfeff, kDtls12 = 0xfefd, kDtls13 = 0xfefc;
constexpr uint16_t kDtlsOpenSslPre098f = 0x0100;  // OpenSSL's DTLS 1.0 before 0.9.8f

struct Record {
  uint8_t type = 0;        // content type; kApplicationData for a DTLS 1.3 ciphertext
  bool unified = false;    // DTLS 1.3 ciphertext (unified header): the real content type is hidden
  uint16_t version = 0;    // 0 for a unified header
  uint16_t epoch = 0;      // a unified header carries only the epoch's low 2 bits
  uint64_t seq = 0;
  Bytes body;
};

// The records of one datagram, in order. next() is false at the end, or at a record that does not
// fit (malformed() then says so: what came before it stands).
class RecordReader {
 public:
  explicit RecordReader(Bytes datagram) : d_(datagram) {}
  bool next(Record& r);
  bool malformed() const { return malformed_; }

 private:
  Bytes d_;
  size_t pos_ = 0;
  bool malformed_ = false;
};

// One handshake fragment (a DTLS handshake header and its bytes): a message is `length` bytes,
// this fragment carries [offset, offset + data.size()).
struct Fragment {
  uint8_t msg_type = 0;
  uint32_t length = 0;
  uint16_t message_seq = 0;
  uint32_t offset = 0;
  Bytes data;
  bool whole() const { return offset == 0 && data.size() == length; }
};

// The fragments of a plaintext handshake record.
class FragmentReader {
 public:
  explicit FragmentReader(Bytes record_body) : d_(record_body) {}
  bool next(Fragment& f);
  bool malformed() const { return malformed_; }

 private:
  Bytes d_;
  size_t pos_ = 0;
  bool malformed_ = false;
};

// What a ClientHello offers or a ServerHello selects.
struct Hello {
  uint16_t legacy_version = 0;
  uint16_t version = 0;        // supported_versions: the ServerHello's choice (DTLS 1.3), else legacy
  uint16_t cipher_suite = 0;   // ServerHello: selected; ClientHello: the first offered
  uint16_t cipher_suites = 0;  // ClientHello: how many offered
  uint8_t cookie_len = 0;      // ClientHello: the HelloVerifyRequest cookie echoed (0: none)
  bool use_srtp = false;       // the use_srtp extension is present
  uint16_t srtp_profile = 0;   // ServerHello: selected; ClientHello: the first offered
  uint8_t srtp_profiles = 0;   // ClientHello: how many offered
};

// A whole ClientHello / ServerHello body (Fragment::whole()). False when it does not parse.
bool parse_client_hello(Bytes body, Hello& out);
bool parse_server_hello(Bytes body, Hello& out);

// SHA-256 of the first certificate of one Certificate message (the sender's own), fed its
// fragments in the order they pass. A fragment beyond a gap is ignored: DTLS retransmits whole
// flights, and the retransmission fills the gap. A Certificate with another message_seq starts over.
class CertificateHasher {
 public:
  void feed(const Fragment& f);
  bool done() const { return done_; }
  const std::array<uint8_t, 32>& digest() const { return digest_; }

 private:
  sha256_ctx ctx_{};
  std::array<uint8_t, 32> digest_{};
  std::array<uint8_t, 6> head_{};  // certificate_list length, first certificate's length
  uint32_t next_ = 0;              // message bytes consumed so far
  uint32_t cert_end_ = 0;          // message offset where the first certificate ends (0: not known)
  uint16_t message_seq_ = 0;
  bool started_ = false, done_ = false;
};

// "AB:CD:..." as SDP's a=fingerprint writes it.
std::string fingerprint_text(const std::array<uint8_t, 32>& d);

const char* alert_name(uint8_t description);     // "bad_certificate", ...; "other"
const char* srtp_profile_name(uint16_t profile);  // "SRTP_AES128_CM_HMAC_SHA1_80", ...; "other"
const char* version_name(uint16_t version);       // "1.0", "1.2", "1.3", "1.0-openssl-pre-0.9.8f"; "other"

}  // namespace wcstap::dtls
