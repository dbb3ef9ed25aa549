#include "dns/dns.h"

#include <cstring>

namespace wcstap::dns {

namespace {

constexpr size_t kQuestionFixed = 4;  // qtype, qclass
constexpr size_t kRecordFixed = 10;   // type, class, ttl, rdlength

// Walks the name at `off`; writes its text into `out` when given (nullptr: validate and skip).
DnsError walk_labels(Bytes msg, size_t off, NameText* out, size_t& next) {
  size_t pos = off, wire = 0, text = 0;
  int hops = 0;
  bool jumped = false;
  for (;;) {
    if (pos >= msg.size()) return DnsError::NameTruncated;
    const uint8_t len = msg[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= msg.size()) return DnsError::NameTruncated;
      if (!jumped) next = pos + 2;
      jumped = true;
      if (++hops > kMaxPointerHops) return DnsError::NameLoop;
      pos = size_t{len & 0x3fu} << 8 | msg[pos + 1];
      if (pos >= msg.size()) return DnsError::NameBadPointer;
      continue;
    }
    if (len & 0xc0) return DnsError::LabelBadType;
    if (len == 0) break;
    if (!has(msg, pos + 1, len)) return DnsError::NameTruncated;
    wire += 1 + len;
    if (wire + 1 > kMaxName) return DnsError::NameTooLong;  // the root's byte must still fit
    if (out) {
      if (text) (*out)[text++] = '.';
      for (size_t i = 0; i < len; ++i) {
        const uint8_t ch = msg[pos + 1 + i];
        (*out)[text++] = ch > 0x20 && ch < 0x7f && ch != '.' ? static_cast<char>(ch) : '?';
      }
    }
    pos += 1 + len;
  }
  if (!jumped) next = pos + 1;
  if (out) {
    if (text == 0) (*out)[text++] = '.';
    (*out)[text] = '\0';  // text <= 253: 255 wire octets hold at most 253 characters
  }
  return DnsError::None;
}

// As walk_labels, leaving an empty text when the name does not parse.
DnsError walk_name(Bytes msg, size_t off, NameText* out, size_t& next) {
  const DnsError e = walk_labels(msg, off, out, next);
  if (e != DnsError::None && out) (*out)[0] = '\0';
  return e;
}

uint32_t ttl_value(uint32_t raw) { return raw > 0x7fffffff ? 0 : raw; }  // RFC 2181 section 8

enum class Section : uint8_t { Answer, Authority, Additional };

void note_record(Section s, uint16_t rtype, uint16_t rclass, uint32_t ttl, Bytes rdata, DnsMessage& m) {
  if (s == Section::Additional && rtype == type::kOpt) {
    m.edns = true;
    m.edns_udp_size = rclass;
    m.edns_rcode_high = static_cast<uint8_t>(ttl >> 24);
    m.edns_version = static_cast<uint8_t>(ttl >> 16);
    m.edns_do = ttl & 0x8000;
    return;
  }
  if (s != Section::Answer) return;
  const uint32_t t = ttl_value(ttl);
  if (!m.has_min_ttl || t < m.min_ttl) m.min_ttl = t;
  m.has_min_ttl = true;
  const bool a = rtype == type::kA && rdata.size() == 4;
  const bool aaaa = rtype == type::kAaaa && rdata.size() == 16;
  if (a) ++m.answers_a;
  if (aaaa) ++m.answers_aaaa;
  if (rtype == type::kCname) ++m.answers_cname;
  if ((a || aaaa) && !m.has_address) {
    m.has_address = true;
    m.address = Endpoint{};
    m.address.family = a ? 4 : 6;
    std::memcpy(m.address.addr.data(), rdata.data(), rdata.size());
  }
}

}  // namespace

DnsError read_name(Bytes msg, size_t off, NameText& out, size_t& next) {
  return walk_name(msg, off, &out, next);
}

DnsError parse_dns(Bytes p, DnsMessage& m) {
  m = DnsMessage{};
  if (p.size() < kHeaderSize) return DnsError::ShortHeader;
  m.id = be16(&p[0]);
  const uint8_t f1 = p[2], f2 = p[3];
  m.qr = f1 & 0x80;
  m.opcode = (f1 >> 3) & 0xf;
  m.aa = f1 & 0x04;
  m.tc = f1 & 0x02;
  m.rd = f1 & 0x01;
  m.ra = f2 & 0x80;
  m.rcode = f2 & 0xf;
  m.qdcount = be16(&p[4]);
  m.ancount = be16(&p[6]);
  m.nscount = be16(&p[8]);
  m.arcount = be16(&p[10]);

  size_t pos = kHeaderSize;
  for (uint16_t i = 0; i < m.qdcount; ++i) {
    size_t next = 0;
    const DnsError e = walk_name(p, pos, i == 0 ? &m.qname : nullptr, next);
    if (e != DnsError::None) return e;
    if (!has(p, next, kQuestionFixed)) return DnsError::RecordTruncated;
    if (i == 0) {
      m.has_question = true;
      m.qtype = be16(&p[next]);
      m.qclass = be16(&p[next + 2]);
    }
    pos = next + kQuestionFixed;
  }
  const struct {
    Section s;
    uint16_t count;
  } sections[] = {{Section::Answer, m.ancount}, {Section::Authority, m.nscount},
                  {Section::Additional, m.arcount}};
  for (const auto& sec : sections) {
    for (uint16_t i = 0; i < sec.count; ++i) {
      size_t next = 0;
      const DnsError e = walk_name(p, pos, nullptr, next);
      if (e != DnsError::None) return e;
      if (!has(p, next, kRecordFixed)) return DnsError::RecordTruncated;
      const uint8_t* r = &p[next];
      const uint16_t rdlen = be16(r + 8);
      if (!has(p, next + kRecordFixed, rdlen)) return DnsError::RecordTruncated;
      note_record(sec.s, be16(r), be16(r + 2), be32(r + 4), p.subspan(next + kRecordFixed, rdlen), m);
      pos = next + kRecordFixed + rdlen;
    }
  }
  return DnsError::None;
}

FrameStatus tcp_frame(Bytes stream, Bytes& message, size_t& consumed) {
  if (stream.size() < 2) return FrameStatus::Incomplete;
  const size_t len = be16(stream.data());
  if (len < kHeaderSize) return FrameStatus::Invalid;
  if (!has(stream, 2, len)) return FrameStatus::Incomplete;
  message = stream.subspan(2, len);
  consumed = 2 + len;
  return FrameStatus::Ok;
}

const char* rcode_name(uint16_t r) {
  switch (r) {
    case rcode::kNoError: return "NOERROR";
    case rcode::kFormErr: return "FORMERR";
    case rcode::kServFail: return "SERVFAIL";
    case rcode::kNxDomain: return "NXDOMAIN";
    case rcode::kNotImp: return "NOTIMP";
    case rcode::kRefused: return "REFUSED";
    case 6: return "YXDOMAIN";
    case 7: return "YXRRSET";
    case 8: return "NXRRSET";
    case 9: return "NOTAUTH";
    case 10: return "NOTZONE";
    case 16: return "BADVERS";
    default: return "other";
  }
}

const char* qtype_name(uint16_t t) {
  switch (t) {
    case type::kA: return "A";
    case type::kNs: return "NS";
    case type::kCname: return "CNAME";
    case type::kSoa: return "SOA";
    case type::kPtr: return "PTR";
    case type::kMx: return "MX";
    case type::kTxt: return "TXT";
    case type::kAaaa: return "AAAA";
    case type::kSrv: return "SRV";
    case type::kNaptr: return "NAPTR";
    case type::kOpt: return "OPT";
    case type::kDs: return "DS";
    case type::kRrsig: return "RRSIG";
    case type::kDnskey: return "DNSKEY";
    case type::kSvcb: return "SVCB";
    case type::kHttps: return "HTTPS";
    case type::kAny: return "ANY";
    default: return "other";
  }
}

const char* error_name(DnsError e) {
  switch (e) {
    case DnsError::None: return "none";
    case DnsError::ShortHeader: return "short_header";
    case DnsError::NameTruncated: return "name_truncated";
    case DnsError::NameBadPointer: return "name_bad_pointer";
    case DnsError::NameLoop: return "name_loop";
    case DnsError::NameTooLong: return "name_too_long";
    case DnsError::LabelBadType: return "label_bad_type";
    case DnsError::RecordTruncated: return "record_truncated";
  }
  return "?";
}

}  // namespace wcstap::dns
