#include "tls/tls.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <nettle/sha2.h>

#include <algorithm>
#include <cstring>

namespace wcstap::tls {

namespace {

constexpr uint16_t kExtServerName = 0, kExtAlpn = 16, kExtSupportedVersions = 43;
constexpr size_t kHandshakeHeader = 4;  // type, 24-bit length

// SHA-256("HelloRetryRequest") (RFC 8446 section 4.1.3): a ServerHello with this random is an HRR.
constexpr std::array<uint8_t, 32> kHrrRandom = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

using Cursor = ByteCursor;  // decode/bytes.h

std::string_view text(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// A host name as SNI carries it (RFC 6066: ASCII, no trailing dot required): printable only, so
// that a view can be logged after JSON escaping without carrying control bytes.
bool printable_host(Bytes b) {
  if (b.empty() || b.size() > 255) return false;
  return std::all_of(b.begin(), b.end(), [](uint8_t ch) { return ch > 0x20 && ch < 0x7f; });
}

// Order of versions, TLS 1.3 drafts ranked as 1.3.
uint16_t version_rank(uint16_t v) { return version_is_tls13(v) ? kTls13 : v; }

// The record header's bytes so far could still start a valid header.
bool header_prefix_ok(const uint8_t* h, size_t n) {
  if (n >= 1 && (h[0] < kChangeCipherSpec || h[0] > kHeartbeat)) return false;
  if (n >= 2 && h[1] != 3) return false;
  if (n >= 3 && h[2] > 4) return false;
  if (n >= 5 && be16(h + 3) > kMaxRecordBody) return false;
  return true;
}

bool known_handshake_type(uint8_t t) {
  switch (t) {
    case kHelloRequest: case kClientHello: case kServerHello: case 3 /* hello_verify_request */:
    case kNewSessionTicket: case kEndOfEarlyData: case 6 /* hello_retry_request (drafts) */:
    case kEncryptedExtensions: case kCertificate: case kServerKeyExchange: case kCertificateRequest:
    case kServerHelloDone: case kCertificateVerify: case kClientKeyExchange: case kFinished:
    case 21 /* certificate_url */: case kCertificateStatus: case 23 /* supplemental_data */:
    case kKeyUpdate: case 25 /* compressed_certificate */: case kMessageHash:
      return true;
    default:
      return false;
  }
}

// server_name (RFC 6066 section 3): a list of (type, name); the first host_name (type 0) counts.
void read_sni(Bytes ext, ClientHello& h) {
  h.has_sni = true;
  Cursor c{ext};
  Cursor list{c.vec16()};
  if (!c.ok || !c.at_end()) {
    h.sni_malformed = true;
    return;
  }
  while (list.ok && !list.at_end()) {
    const uint8_t type = list.u8();
    const Bytes name = list.vec16();
    if (!list.ok) break;
    if (type != 0) continue;
    if (printable_host(name)) h.sni = text(name);
    else h.sni_malformed = true;
    return;
  }
  h.sni_malformed = true;
}

// ALPN (RFC 7301): a list of non-empty 8-bit-length names.
bool read_alpn_list(Bytes ext, std::array<std::string_view, kListedAlpn>& out, uint8_t& count) {
  Cursor c{ext};
  Cursor list{c.vec16()};
  if (!c.ok || !c.at_end()) return false;
  while (list.ok && !list.at_end()) {
    const Bytes name = list.vec8();
    if (!list.ok || name.empty()) return false;
    if (count < kListedAlpn) out[count] = text(name);
    if (count < UINT8_MAX) ++count;
  }
  return list.ok;
}

void read_client_versions(Bytes ext, ClientHello& h) {
  Cursor c{ext};
  Cursor list{c.vec8()};
  if (!c.ok || list.b.size() % 2) return;
  h.has_supported_versions = true;
  uint16_t best = 0;
  while (!list.at_end()) {
    const uint16_t v = list.u16();
    if (is_grease(v)) {
      ++h.grease;
      continue;
    }
    if (version_rank(v) > version_rank(best)) best = v;
  }
  if (best) h.max_version = best;
}

// Copies `n` bytes of `s` into `out`, NUL-terminated, cut at a UTF-8 character boundary.
template <size_t N>
void copy_text(std::array<char, N>& out, const char* s, size_t n) {
  if (n >= N) {
    n = N - 1;
    while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xc0) == 0x80) --n;  // s[n] would start the cut
  }
  std::memcpy(out.data(), s, n);
  out[n] = '\0';
}

}  // namespace

Status parse_record_header(Bytes b, RecordHeader& out) {
  const size_t n = std::min(b.size(), kRecordHeaderSize);
  if (!header_prefix_ok(b.data(), n)) return Status::Invalid;
  if (n < kRecordHeaderSize) return Status::Incomplete;
  out.type = b[0];
  out.version = be16(&b[1]);
  out.length = be16(&b[3]);
  return Status::Ok;
}

bool looks_like_tls(Bytes b) {
  RecordHeader h;
  if (parse_record_header(b, h) != Status::Ok || h.type != kHandshake) return false;
  if (b.size() < kRecordHeaderSize + 1 || b[5] != kClientHello) return false;
  // The ClientHello's own version, when it is there, is 3.x too (1.3 still writes 0x0303).
  if (b.size() >= kRecordHeaderSize + kHandshakeHeader + 2 && b[9] != 3) return false;
  // A ClientHello is at least version, random, three length bytes and one suite.
  if (b.size() >= kRecordHeaderSize + kHandshakeHeader && be24(&b[6]) < 2 + 32 + 1 + 2 + 2 + 1 + 1)
    return false;
  return true;
}

void RecordStream::feed(Bytes segment) {
  seg_ = segment;
  pos_ = 0;
}

Status RecordStream::next(RecordPiece& out) {
  if (invalid_) return Status::Invalid;
  if (!in_body_) {
    while (head_len_ < head_.size() && pos_ < seg_.size()) head_[head_len_++] = seg_[pos_++];
    const Status s = parse_record_header(Bytes(head_.data(), head_len_), cur_);
    if (s == Status::Invalid) {
      invalid_ = true;
      return s;
    }
    if (s == Status::Incomplete) return s;
    head_len_ = 0;
    body_done_ = 0;
    ++records_;
    if (cur_.length == 0) {  // allowed for application data before TLS 1.3: one empty piece
      out = RecordPiece{cur_, 0, {}};
      return Status::Ok;
    }
    in_body_ = true;
  }
  const size_t n = std::min<size_t>(seg_.size() - pos_, cur_.length - body_done_);
  if (n == 0) return Status::Incomplete;
  out = RecordPiece{cur_, body_done_, seg_.subspan(pos_, n)};
  pos_ += n;
  body_done_ = static_cast<uint16_t>(body_done_ + n);
  if (body_done_ == cur_.length) in_body_ = false;
  return Status::Ok;
}

void HandshakeAssembler::feed(Bytes handshake_bytes) {
  in_ = handshake_bytes;
  in_pos_ = 0;
}

void HandshakeAssembler::reset() {
  const uint32_t skipped = skipped_;
  *this = HandshakeAssembler{buf_};
  skipped_ = skipped;
}

Status HandshakeAssembler::next(HandshakeMessage& out) {
  if (invalid_) return Status::Invalid;
  if (head_len_ < head_.size()) {
    while (head_len_ < head_.size() && in_pos_ < in_.size()) head_[head_len_++] = in_[in_pos_++];
    if (head_len_ >= 1 && !known_handshake_type(head_[0])) {
      invalid_ = true;
      return Status::Invalid;
    }
    if (head_len_ < head_.size()) return Status::Incomplete;
    length_ = be24(&head_[1]);
    have_ = 0;
  }
  const size_t avail = in_.size() - in_pos_;
  if (have_ == 0 && avail >= length_) {  // whole in this piece: a view, no copy
    out = HandshakeMessage{head_[0], length_, in_.subspan(in_pos_, length_), false};
    in_pos_ += length_;
    head_len_ = 0;
    return Status::Ok;
  }
  const bool fits = length_ <= buf_.size();
  const size_t n = std::min<size_t>(avail, length_ - have_);
  if (fits && n > 0) std::memcpy(buf_.data() + have_, &in_[in_pos_], n);
  in_pos_ += n;
  have_ += static_cast<uint32_t>(n);
  if (have_ < length_) return Status::Incomplete;
  head_len_ = 0;
  if (fits) {
    out = HandshakeMessage{head_[0], length_, Bytes(buf_.data(), length_), false};
  } else {
    ++skipped_;
    out = HandshakeMessage{head_[0], length_, {}, true};
  }
  return Status::Ok;
}

Status DirectionReader::next(Item& out) {
  for (;;) {
    if (feeding_) {
      HandshakeMessage m;
      const Status s = hs_.next(m);
      if (s == Status::Ok) {
        out = Item{};
        out.kind = ItemKind::Handshake;
        out.record = last_record_;
        out.message = m;
        ServerHello sh;
        if (m.type == kServerHello && parse_server_hello(m.body, sh)) {
          version_ = sh.version;
          if (version_is_tls13(sh.version) && !sh.hello_retry_request) hello_13_ = true;
        }
        return s;
      }
      feeding_ = false;
      if (s == Status::Invalid && !undecodable_) {
        undecodable_ = true;
        out = Item{};
        out.kind = ItemKind::HandshakeUndecodable;
        out.record = last_record_;
        return Status::Ok;
      }
    }
    RecordPiece p;
    const Status s = rs_.next(p);
    if (s != Status::Ok) return s;
    last_record_ = p.header;
    out = Item{};
    out.record = p.header;
    switch (p.header.type) {
      case kHandshake:
        if (encrypted_) {
          if (!p.first()) continue;
          out.kind = ItemKind::EncryptedHandshake;
          return Status::Ok;
        }
        if (undecodable_) continue;
        hs_.feed(p.data);
        feeding_ = true;
        continue;
      case kChangeCipherSpec:
        if (!p.first()) continue;
        if (!version_is_tls13(version_)) {
          encrypted_ = true;
          hs_.reset();  // a message left half-read before it can never be finished in clear
        }
        out.kind = ItemKind::ChangeCipherSpec;
        return Status::Ok;
      case kAlert:
        if (encrypted_ || p.header.length != 2) {
          if (!p.first()) continue;
          out.kind = ItemKind::EncryptedAlert;
          return Status::Ok;
        }
        if (p.first()) alert_len_ = 0;
        for (uint8_t byte : p.data)
          if (alert_len_ < alert_.size()) alert_[alert_len_++] = byte;
        if (alert_len_ < alert_.size()) continue;  // the second byte is in the next segment
        out.kind = ItemKind::Alert;
        out.alert_level = alert_[0];
        out.alert_description = alert_[1];
        return Status::Ok;
      case kApplicationData:
        if (!p.first()) continue;
        out.kind = ItemKind::ApplicationData;
        return Status::Ok;
      default:  // kHeartbeat: parse_record_header admits nothing else
        if (!p.first()) continue;
        out.kind = ItemKind::Heartbeat;
        return Status::Ok;
    }
  }
}

bool parse_client_hello(Bytes body, ClientHello& h) {
  h = ClientHello{};
  Cursor c{body};
  h.legacy_version = h.max_version = c.u16();
  c.take(32);  // random
  const Bytes sid = c.vec8();
  const Bytes suites = c.vec16();
  const Bytes comp = c.vec8();
  if (!c.ok || sid.size() > 32 || suites.size() < 2 || suites.size() % 2 || comp.empty()) return false;
  h.session_id_len = static_cast<uint8_t>(sid.size());
  for (size_t i = 0; i < suites.size(); i += 2) {
    const uint16_t s = be16(&suites[i]);
    if (is_grease(s)) {
      ++h.grease;
      continue;
    }
    if (h.cipher_suite_count < kListedSuites) h.cipher_suites[h.cipher_suite_count] = s;
    ++h.cipher_suite_count;
  }
  h.compression_methods = static_cast<uint8_t>(comp.size());
  h.offers_compression = std::any_of(comp.begin(), comp.end(), [](uint8_t m) { return m != 0; });
  if (c.at_end()) return true;  // no extensions (SSL 3.0 style)
  Cursor ext{c.vec16()};
  if (!c.ok || !c.at_end()) return false;
  while (ext.ok && !ext.at_end()) {
    const uint16_t type = ext.u16();
    const Bytes data = ext.vec16();
    if (!ext.ok) break;
    if (is_grease(type)) {
      ++h.grease;
      continue;
    }
    ++h.extension_count;
    if (type == kExtServerName) read_sni(data, h);
    if (type == kExtAlpn && !read_alpn_list(data, h.alpn, h.alpn_count)) {
      h.alpn_count = 0;  // a malformed list names nothing
      h.alpn = {};
    }
    if (type == kExtSupportedVersions) read_client_versions(data, h);
  }
  return ext.ok;
}

bool parse_server_hello(Bytes body, ServerHello& h) {
  h = ServerHello{};
  Cursor c{body};
  h.legacy_version = h.version = c.u16();
  const Bytes random = c.take(32);
  // TLS 1.3 drafts before 22 had neither a session id echo nor a compression method.
  const bool early_draft = (h.legacy_version & 0xff00) == 0x7f00 && (h.legacy_version & 0xff) < 22;
  if (!early_draft) {
    const Bytes sid = c.vec8();
    if (sid.size() > 32) return false;
    h.session_id_len = static_cast<uint8_t>(sid.size());
  }
  h.cipher_suite = c.u16();
  if (!early_draft) h.compression_method = c.u8();
  if (!c.ok) return false;
  h.hello_retry_request = std::equal(random.begin(), random.end(), kHrrRandom.begin());
  if (c.at_end()) return true;
  Cursor ext{c.vec16()};
  if (!c.ok || !c.at_end()) return false;
  while (ext.ok && !ext.at_end()) {
    const uint16_t type = ext.u16();
    const Bytes data = ext.vec16();
    if (!ext.ok) break;
    ++h.extension_count;
    if (type == kExtSupportedVersions && data.size() == 2) h.version = be16(&data[0]);
    if (type == kExtAlpn) {
      std::array<std::string_view, kListedAlpn> one{};
      uint8_t n = 0;
      if (read_alpn_list(data, one, n) && n == 1) {  // the server selects exactly one
        h.has_alpn = true;
        h.alpn = one[0];
      }
    }
  }
  return ext.ok;
}

namespace {

// The certificate_list's framing: the chain's length and the leaf's DER.
CertStatus walk_certificate_list(Bytes body, CertificateInfo& out) {
  out = CertificateInfo{};
  Cursor c{body};
  Cursor list{c.vec24()};
  if (!c.ok || !c.at_end()) return CertStatus::Malformed;
  while (!list.at_end()) {
    const Bytes der = list.vec24();
    if (!list.ok || der.empty()) return CertStatus::Malformed;
    if (out.chain_length == 0) out.leaf_der = der;
    if (out.chain_length < UINT16_MAX) ++out.chain_length;
  }
  return out.chain_length == 0 ? CertStatus::Empty : CertStatus::Ok;
}

// The leaf's names and validity, by GnuTLS.
CertStatus decode_leaf(CertificateInfo& out) {
  gnutls_x509_crt_t crt = nullptr;
  if (gnutls_x509_crt_init(&crt) < 0) return CertStatus::Undecodable;
  const gnutls_datum_t der{const_cast<unsigned char*>(out.leaf_der.data()),
                           static_cast<unsigned>(out.leaf_der.size())};
  CertStatus st = CertStatus::Undecodable;
  if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) >= 0) {
    st = CertStatus::Ok;
    gnutls_datum_t dn{};
    if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
      copy_text(out.subject, reinterpret_cast<const char*>(dn.data), dn.size);
      gnutls_free(dn.data);
    }
    dn = gnutls_datum_t{};
    if (gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) >= 0) {
      copy_text(out.issuer, reinterpret_cast<const char*>(dn.data), dn.size);
      gnutls_free(dn.data);
    }
    std::array<char, 1024> cn{};
    size_t cn_size = cn.size();
    if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn.data(), &cn_size) >= 0)
      copy_text(out.subject_cn, cn.data(), std::min(cn_size, cn.size()));
    const time_t nb = gnutls_x509_crt_get_activation_time(crt);
    const time_t na = gnutls_x509_crt_get_expiration_time(crt);
    if (nb == static_cast<time_t>(-1) || na == static_cast<time_t>(-1)) st = CertStatus::Undecodable;
    out.not_before = nb;
    out.not_after = na;
  }
  gnutls_x509_crt_deinit(crt);
  return st;
}

}  // namespace

CertStatus parse_certificate(Bytes body, CertificateInfo& out) {
  const CertStatus st = walk_certificate_list(body, out);
  return st == CertStatus::Ok ? decode_leaf(out) : st;
}

CertStatus CertificateCache::parse(Bytes body, CertificateInfo& out) {
  const CertStatus st = walk_certificate_list(body, out);
  if (st != CertStatus::Ok) return st;
  std::array<uint8_t, 32> digest;
  sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, out.leaf_der.size(), out.leaf_der.data());
  sha256_digest(&ctx, digest.size(), digest.data());
  for (const Entry& e : entries_)
    if (e.used && e.digest == digest) {
      ++hits_;
      const Bytes der = out.leaf_der;
      const uint16_t chain = out.chain_length;
      out = e.info;
      out.leaf_der = der;
      out.chain_length = chain;
      return e.status;
    }
  Entry& e = entries_[next_];
  next_ = (next_ + 1) % entries_.size();
  e.status = decode_leaf(out);
  e.used = true;
  e.digest = digest;
  e.info = out;
  e.info.leaf_der = {};
  return e.status;
}

int64_t days_to_expiry(const CertificateInfo& cert, int64_t now) {
  const int64_t s = cert.not_after - now;
  return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

const char* alert_name(uint8_t d) {
  switch (d) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 21: return "decryption_failed";
    case 22: return "record_overflow";
    case 30: return "decompression_failure";
    case 40: return "handshake_failure";
    case 41: return "no_certificate";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 60: return "export_restriction";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return "other";
  }
}

const char* alert_level_name(uint8_t level) {
  switch (level) {
    case 1: return "warning";
    case 2: return "fatal";
    default: return "other";
  }
}

const char* version_name(uint16_t v) {
  switch (v) {
    case kSsl30: return "SSL 3.0";
    case kTls10: return "TLS 1.0";
    case kTls11: return "TLS 1.1";
    case kTls12: return "TLS 1.2";
    case kTls13: return "TLS 1.3";
    default: return version_is_tls13(v) ? "TLS 1.3 draft" : "other";
  }
}

const char* handshake_name(uint8_t t) {
  switch (t) {
    case kHelloRequest: return "hello_request";
    case kClientHello: return "client_hello";
    case kServerHello: return "server_hello";
    case kNewSessionTicket: return "new_session_ticket";
    case kEndOfEarlyData: return "end_of_early_data";
    case kEncryptedExtensions: return "encrypted_extensions";
    case kCertificate: return "certificate";
    case kServerKeyExchange: return "server_key_exchange";
    case kCertificateRequest: return "certificate_request";
    case kServerHelloDone: return "server_hello_done";
    case kCertificateVerify: return "certificate_verify";
    case kClientKeyExchange: return "client_key_exchange";
    case kFinished: return "finished";
    case kCertificateStatus: return "certificate_status";
    case kKeyUpdate: return "key_update";
    default: return "other";
  }
}

const char* item_kind_name(ItemKind k) {
  switch (k) {
    case ItemKind::Handshake: return "handshake";
    case ItemKind::ChangeCipherSpec: return "change_cipher_spec";
    case ItemKind::Alert: return "alert";
    case ItemKind::EncryptedAlert: return "encrypted_alert";
    case ItemKind::EncryptedHandshake: return "encrypted_handshake";
    case ItemKind::ApplicationData: return "application_data";
    case ItemKind::Heartbeat: return "heartbeat";
    case ItemKind::HandshakeUndecodable: return "handshake_undecodable";
  }
  return "?";
}

}  // namespace wcstap::tls
