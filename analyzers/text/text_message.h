// The head of an HTTP/1.x, SIP/2.0 or RTSP/1.0 message: the start line and the header fields, as
// all three protocols share them (RFC 9112 section 2, RFC 3261 section 7, RFC 2326 section 4).
// One parser serves the three, so a TCP stream can be cut into messages the same way whatever it
// carries. Pure: the result points into the input (spans), fixed capacity, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "decode/bytes.h"
#include "event.h"

namespace wcstap {

// Incomplete (wait for more bytes of the stream) is kept apart from Invalid (stop following it).
enum class TextStatus : uint8_t { Complete, Incomplete, Invalid };

enum class TextProtocol : uint8_t { Http10, Http11, Sip20, Rtsp10 };

// Header values can carry credentials (Authorization, Proxy-Authorization, Cookie, SIP Digest
// responses): an analyzer lifts out what it needs and never dumps the headers wholesale.
struct TextHeader {
  Bytes name;   // as written (case kept)
  Bytes value;  // trimmed; a folded value spans its continuation lines, line breaks included
};

constexpr size_t kTextMaxHeaders = 48;
// A head still open after this many bytes is not one a sane peer sends: it is Invalid, so a
// stream buffer never grows without bound.
constexpr size_t kTextMaxHeadSize = 16 * 1024;

struct TextHead {
  TextProtocol protocol = TextProtocol::Http11;
  bool is_request = false;
  Bytes method, uri;         // request line
  uint16_t status_code = 0;  // status line (100-999)
  Bytes reason;              // may be empty
  std::array<TextHeader, kTextMaxHeaders> headers{};
  uint8_t header_count = 0;
  uint16_t headers_dropped = 0;  // beyond kTextMaxHeaders: counted, not an error
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;      // Transfer-Encoding names chunked (HTTP): the length is not known ahead
  uint16_t leading = 0;      // CR/LF bytes skipped before the start line (SIP keep-alives, RFC 5626)
  size_t head_len = 0;       // from the start of the buffer through the blank line
};

// Parses the head at the start of `buf`. Complete when the blank line that ends the head is there;
// Incomplete when it has not arrived and nothing seen so far is wrong; Invalid otherwise (a start
// line of none of the four versions, a header line without a colon, control bytes, two different
// Content-Length values, a head over kTextMaxHeadSize).
TextStatus parse_text_head(Bytes buf, TextHead& out);

// Total length of the message (head + body) when the head alone tells it: Content-Length when
// present; no body for an RTSP or SIP message without one (RFC 2326 section 12.14 makes it
// mandatory with a body; a SIP stream must carry it), for an HTTP request without it, and for an
// HTTP 1xx/204/304 answer. False for chunked HTTP and an HTTP answer that ends when the connection
// closes. (A SIP datagram without Content-Length has the rest of the datagram as body: the SIP
// parser handles that itself.)
bool text_message_length(const TextHead& h, uint64_t& total);

// A chunked body (RFC 9112 section 7.1) at the start of `body`: Complete with its whole length
// (chunks, the last chunk, trailers and the closing blank line), Incomplete, or Invalid.
TextStatus chunked_body_length(Bytes body, uint64_t& length);

// The head of a message that must be of `protocol` (the SIP and RTSP parsers): parse_text_head's
// answer, Invalid when the message is another protocol's.
inline TextStatus parse_text_head_of(Bytes msg, TextProtocol protocol, TextHead& h) {
  const TextStatus st = parse_text_head(msg, h);
  return st == TextStatus::Complete && h.protocol != protocol ? TextStatus::Invalid : st;
}

// The first header named `name`, case-insensitively; for SIP the compact form and the long one
// (RFC 3261 section 7.3.3: i, f, t, v, l, c, m, k, s, e) find each other. `after` continues a
// search past an earlier result (headers that repeat: Via). Null when absent.
const TextHeader* find_header(const TextHead& h, std::string_view name, const TextHeader* after = nullptr);
// The first such header's value; empty when absent.
inline Bytes header_value(const TextHead& h, std::string_view name) {
  const TextHeader* v = find_header(h, name);
  return v ? v->value : Bytes{};
}

// A cheap probe on a flow's first bytes: a start line of a known method followed by a space, or a
// status line of a known version.
bool looks_like_text_message(Bytes buf);

const char* text_protocol_name(TextProtocol p);  // "HTTP/1.0", "HTTP/1.1", "SIP/2.0", "RTSP/1.0"

// Small text helpers shared by the SIP, SDP and RTSP parsers.
namespace text {

inline std::string_view view(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
Bytes trim(Bytes b);  // spaces, tabs, CR, LF at both ends
bool iequals(Bytes b, std::string_view s);
bool istarts_with(Bytes b, std::string_view prefix);
// Decimal digits only (no sign, no spaces), no overflow of `max`.
bool parse_uint(Bytes b, uint64_t max, uint64_t& out);
// Cuts `b` at the first `sep`: `head` before it, `b` keeps what follows (empty when none).
Bytes split(Bytes& b, uint8_t sep);
// Looks for `;name` or `;name=value` in a parameter list (the part after the first `;`, or a
// whole list); names compare case-insensitively. `value` is empty for a flag parameter.
bool find_param(Bytes params, std::string_view name, Bytes& value);
// An IPv4 or IPv6 literal (IPv6 possibly in brackets) into `out` (port left 0).
bool parse_ip(Bytes b, Endpoint& out);

// A protocol's method names (NUL-terminated literals), read both ways.
template <class Method>
struct MethodName {
  std::string_view text;
  Method method;
};
template <class Method, size_t N>
Method method_from(const MethodName<Method> (&table)[N], Bytes token, Method other) {
  for (const auto& m : table)
    if (view(token) == m.text) return m.method;
  return other;
}
template <class Method, size_t N>
const char* method_name(const MethodName<Method> (&table)[N], Method method) {
  for (const auto& m : table)
    if (m.method == method) return m.text.data();
  return "other";
}

}  // namespace text

}  // namespace wcstap
