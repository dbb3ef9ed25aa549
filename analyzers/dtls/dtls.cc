#include "dtls/dtls.h"

#include <algorithm>

#include "tls/tls.h"

namespace wcstap::dtls {

namespace {

constexpr size_t kRecordHeader = 13;     // type, version, epoch, sequence number (48 bits), length
constexpr size_t kHandshakeHeader = 12;  // type, length, message_seq, fragment offset and length
constexpr uint16_t kExtUseSrtp = 14, kExtSupportedVersions = 43;

uint64_t be48(const uint8_t* p) { return uint64_t{be16(p)} << 32 | be32(p + 2); }

using Cursor = ByteCursor;  // decode/bytes.h

// use_srtp (RFC 5764 section 4.1.1): a list of 2-byte profiles, then an MKI.
void read_use_srtp(Bytes ext, Hello& h) {
  Cursor c{ext};
  const Bytes profiles = c.vec16();
  if (!c.ok || profiles.size() < 2) return;
  h.use_srtp = true;
  h.srtp_profile = be16(&profiles[0]);
  h.srtp_profiles = static_cast<uint8_t>(std::min<size_t>(profiles.size() / 2, 255));
}

// The extensions block, when present: the ones a tap reports.
bool read_extensions(Cursor& c, Hello& h, bool server) {
  if (c.pos == c.b.size()) return c.ok;  // no extensions
  Cursor ext{c.vec16()};
  if (!c.ok) return false;
  while (ext.ok && ext.pos < ext.b.size()) {
    const uint16_t type = ext.u16();
    const Bytes data = ext.vec16();
    if (!ext.ok) break;
    if (type == kExtUseSrtp) read_use_srtp(data, h);
    if (type == kExtSupportedVersions && server && data.size() == 2) h.version = be16(&data[0]);
  }
  return ext.ok;
}

}  // namespace

bool RecordReader::next(Record& r) {
  if (malformed_ || pos_ >= d_.size()) return false;
  const uint8_t b0 = d_[pos_];
  r = Record{};
  if (b0 >= kChangeCipherSpec && b0 <= kAck) {
    if (!has(d_, pos_, kRecordHeader) || (d_[pos_ + 1] != 0xfe && be16(&d_[pos_ + 1]) != kDtlsOpenSslPre098f)) {
      malformed_ = true;
      return false;
    }
    const uint8_t* h = &d_[pos_];
    const size_t len = be16(h + 11);
    if (!has(d_, pos_ + kRecordHeader, len)) {
      malformed_ = true;
      return false;
    }
    r.type = b0;
    r.version = be16(h + 1);
    r.epoch = be16(h + 3);
    r.seq = be48(h + 5);
    r.body = d_.subspan(pos_ + kRecordHeader, len);
    pos_ += kRecordHeader + len;
    return true;
  }
  if ((b0 & 0xe0) == 0x20) {
    // DTLS 1.3 unified header (RFC 9147 section 4): 001CSLEE. A connection id's length is not on
    // the wire: such a record is taken to fill the datagram.
    const bool cid = b0 & 0x10, seq16 = b0 & 0x08, has_len = b0 & 0x04;
    size_t p = pos_ + 1;
    const size_t seq_len = seq16 ? 2 : 1;
    if (!cid) {
      if (!has(d_, p, seq_len + (has_len ? 2 : 0))) {
        malformed_ = true;
        return false;
      }
      r.seq = seq16 ? be16(&d_[p]) : d_[p];
      p += seq_len;
    }
    size_t len = d_.size() - p;
    if (has_len && !cid) {
      len = be16(&d_[p]);
      p += 2;
      if (!has(d_, p, len)) {
        malformed_ = true;
        return false;
      }
    }
    r.type = kApplicationData;
    r.unified = true;
    r.epoch = b0 & 3;
    r.body = d_.subspan(p, len);
    pos_ = p + len;
    return true;
  }
  malformed_ = true;
  return false;
}

bool FragmentReader::next(Fragment& f) {
  if (malformed_ || pos_ >= d_.size()) return false;
  if (!has(d_, pos_, kHandshakeHeader)) {
    malformed_ = true;
    return false;
  }
  const uint8_t* h = &d_[pos_];
  f.msg_type = h[0];
  f.length = be24(h + 1);
  f.message_seq = be16(h + 4);
  f.offset = be24(h + 6);
  const uint32_t frag_len = be24(h + 9);
  if (!has(d_, pos_ + kHandshakeHeader, frag_len) || uint64_t{f.offset} + frag_len > f.length) {
    malformed_ = true;
    return false;
  }
  f.data = d_.subspan(pos_ + kHandshakeHeader, frag_len);
  pos_ += kHandshakeHeader + frag_len;
  return true;
}

// Both hellos open with a version, 32 random bytes and a session id.
Cursor hello_body(Bytes body, Hello& h) {
  h = Hello{};
  Cursor c{body};
  h.legacy_version = h.version = c.u16();
  c.take(32);  // random
  c.vec8();    // session id
  return c;
}

bool parse_client_hello(Bytes body, Hello& h) {
  Cursor c = hello_body(body, h);
  h.cookie_len = static_cast<uint8_t>(c.vec8().size());
  const Bytes suites = c.vec16();
  c.vec8();  // compression methods
  if (!c.ok || suites.size() < 2 || suites.size() % 2) return false;
  h.cipher_suite = be16(&suites[0]);
  h.cipher_suites = static_cast<uint16_t>(suites.size() / 2);
  return read_extensions(c, h, false);
}

bool parse_server_hello(Bytes body, Hello& h) {
  Cursor c = hello_body(body, h);
  h.cipher_suite = c.u16();
  c.u8();  // compression method
  return c.ok && read_extensions(c, h, true);
}

void CertificateHasher::feed(const Fragment& f) {
  if (started_ && f.message_seq != message_seq_) *this = CertificateHasher{};
  if (done_) return;
  if (!started_) {
    started_ = true;
    message_seq_ = f.message_seq;
    sha256_init(&ctx_);
  }
  const uint32_t end = f.offset + static_cast<uint32_t>(f.data.size());
  if (f.offset > next_ || end <= next_) return;  // beyond a gap, or nothing new
  for (uint32_t pos = next_; pos < end;) {
    const uint8_t* p = &f.data[pos - f.offset];
    if (pos < head_.size()) {
      head_[pos] = *p;
      if (++pos == head_.size()) {
        cert_end_ = static_cast<uint32_t>(head_.size()) + be24(&head_[3]);
        if (cert_end_ > f.length || cert_end_ == head_.size()) {  // does not fit, or empty: no certificate
          next_ = UINT32_MAX;  // nothing more to hash in this message
          return;
        }
      }
      continue;
    }
    const uint32_t upto = std::min(end, cert_end_);
    sha256_update(&ctx_, upto - pos, p);
    pos = upto;
    if (pos == cert_end_) {
      sha256_digest(&ctx_, digest_.size(), digest_.data());
      done_ = true;
      return;
    }
  }
  next_ = end;
}

std::string fingerprint_text(const std::array<uint8_t, 32>& d) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  s.reserve(d.size() * 3);
  for (uint8_t b : d) {
    if (!s.empty()) s.push_back(':');
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

// DTLS uses TLS's alert registry (RFC 6347 section 4.1).
const char* alert_name(uint8_t d) { return tls::alert_name(d); }

const char* srtp_profile_name(uint16_t p) {
  switch (p) {
    case 0x0001: return "SRTP_AES128_CM_HMAC_SHA1_80";
    case 0x0002: return "SRTP_AES128_CM_HMAC_SHA1_32";
    case 0x0005: return "SRTP_NULL_HMAC_SHA1_80";
    case 0x0006: return "SRTP_NULL_HMAC_SHA1_32";
    case 0x0007: return "SRTP_AEAD_AES_128_GCM";
    case 0x0008: return "SRTP_AEAD_AES_256_GCM";
    default: return "other";
  }
}

const char* version_name(uint16_t v) {
  switch (v) {
    case kDtls10: return "1.0";
    case kDtls12: return "1.2";
    case kDtls13: return "1.3";
    case kDtlsOpenSslPre098f: return "1.0-openssl-pre-0.9.8f";
    default: return "other";
  }
}

}  // namespace wcstap::dtls
