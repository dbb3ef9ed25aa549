// DNS messages (RFC 1035, EDNS RFC 6891) as a tap needs them to time and judge WCS's lookups of
// its backend hosts: the header, the first question, what the answers resolve to, and over TCP
// the 2-byte length framing. A pure parser: no state, no allocation.
#pragma once

#include <array>
#include <cstdint>

#include "decode/bytes.h"
#include "event.h"

namespace wcstap::dns {

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxName = 255;  // octets on the wire, length bytes and root included (RFC 1035 2.3.4)
constexpr size_t kMaxLabel = 63;

namespace type {
constexpr uint16_t kA = 1, kNs = 2, kCname = 5, kSoa = 6, kPtr = 12, kMx = 15, kTxt = 16, kAaaa = 28,
                   kSrv = 33, kNaptr = 35, kOpt = 41, kDs = 43, kRrsig = 46, kDnskey = 48, kSvcb = 64,
                   kHttps = 65, kAny = 255;
}  // namespace type

namespace rcode {
constexpr uint8_t kNoError = 0, kFormErr = 1, kServFail = 2, kNxDomain = 3, kNotImp = 4, kRefused = 5;
}  // namespace rcode

// Why a message did not parse. What was read before the fault stays in the DnsMessage: a header
// that parsed still tells the id and rcode, which is enough to match a query with its answer.
enum class DnsError : uint8_t {
  None = 0,
  ShortHeader,     // fewer than 12 bytes
  NameTruncated,   // a name runs past the end of the message
  NameBadPointer,  // a compression pointer at or past the end of the message
  NameLoop,        // compression pointers followed more than kMaxPointerHops times
  NameTooLong,     // over 255 octets once expanded
  LabelBadType,    // a label type 0x40 / 0x80 (extended, obsolete)
  RecordTruncated, // a question or record's fixed part or RDATA runs past the end
};

// A name as text: labels joined by dots, "." for the root. Bytes outside printable ASCII, and a
// dot inside a label, are written '?': a name is for logs and matching, not for round trips.
using NameText = std::array<char, 256>;

struct DnsMessage {
  uint16_t id = 0;
  bool qr = false;  // a response
  uint8_t opcode = 0;
  bool aa = false, tc = false, rd = false, ra = false;
  uint8_t rcode = 0;  // the header's 4 bits; with EDNS the full code is rcode_full()
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

  bool has_question = false;  // the first question
  NameText qname{};
  uint16_t qtype = 0, qclass = 0;

  // The answer section walked
  uint16_t answers_a = 0, answers_aaaa = 0, answers_cname = 0;
  bool has_address = false;  // the first A/AAAA in the answers (port 0)
  Endpoint address;
  bool has_min_ttl = false;
  uint32_t min_ttl = 0;      // the smallest TTL in the answer section

  // EDNS (an OPT record in the additional section)
  bool edns = false;
  uint16_t edns_udp_size = 0;
  uint8_t edns_version = 0;
  uint8_t edns_rcode_high = 0;  // the upper 8 bits of the 12-bit rcode
  bool edns_do = false;         // DNSSEC OK

  uint16_t rcode_full() const { return static_cast<uint16_t>(edns_rcode_high << 4 | rcode); }
};

constexpr int kMaxPointerHops = 32;

// The whole message in `p` (a UDP payload, or one TCP-framed message). DnsError::None when every
// section parsed as its count says.
DnsError parse_dns(Bytes p, DnsMessage& out);

// The name at `off` in message `msg`, following compression pointers; `next` gets the offset
// right after the name where it was written (after the first pointer, if any).
DnsError read_name(Bytes msg, size_t off, NameText& out, size_t& next);

// DNS over TCP (RFC 1035 4.2.2, RFC 7766): each message is preceded by its 2-byte length.
// `stream` starts at a length prefix. Ok: `message` is the first message and `consumed` its size
// with the prefix; Incomplete: more bytes are needed; Invalid: a length below a DNS header's.
enum class FrameStatus : uint8_t { Ok, Incomplete, Invalid };
FrameStatus tcp_frame(Bytes stream, Bytes& message, size_t& consumed);

const char* rcode_name(uint16_t rcode);  // "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", ...; "other"
const char* qtype_name(uint16_t qtype);  // "A", "AAAA", "CNAME", ...; "other"
const char* error_name(DnsError e);      // "short_header", ...; "none"

}  // namespace wcstap::dns
