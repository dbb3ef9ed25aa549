#include "text/text_message.h"

#include <arpa/inet.h>

#include <cstring>

namespace wcstap {

namespace {

constexpr size_t kMaxMethodLen = 32;
constexpr uint64_t kMaxContentLength = uint64_t{1} << 40;  // far past anything real; no overflow later

bool is_tchar(uint8_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}
bool is_ws(uint8_t c) { return c == ' ' || c == '\t'; }
uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c; }

Bytes sub(Bytes b, size_t from, size_t to) { return b.subspan(from, to - from); }

struct Version {
  std::string_view text;
  TextProtocol protocol;
};
constexpr Version kVersions[] = {{"HTTP/1.1", TextProtocol::Http11},
                                 {"HTTP/1.0", TextProtocol::Http10},
                                 {"SIP/2.0", TextProtocol::Sip20},
                                 {"RTSP/1.0", TextProtocol::Rtsp10}};

bool parse_version(Bytes b, TextProtocol& p) {
  for (const auto& v : kVersions) {
    if (text::view(b) == v.text) {
      p = v.protocol;
      return true;
    }
  }
  return false;
}

// SIP's compact header names (RFC 3261 section 7.3.3 and 20).
struct Compact {
  char letter;
  std::string_view name;
};
constexpr Compact kCompact[] = {{'i', "call-id"}, {'f', "from"},           {'t', "to"},
                                {'v', "via"},     {'l', "content-length"}, {'c', "content-type"},
                                {'m', "contact"}, {'k', "supported"},      {'s', "subject"},
                                {'e', "content-encoding"}};

bool name_matches(const TextHead& h, Bytes name, std::string_view wanted) {
  if (text::iequals(name, wanted)) return true;
  if (h.protocol != TextProtocol::Sip20) return false;
  for (const auto& c : kCompact) {
    if (name.size() == 1 && lower(name[0]) == c.letter && text::iequals(Bytes(
            reinterpret_cast<const uint8_t*>(c.name.data()), c.name.size()), wanted))
      return true;
    if (wanted.size() == 1 && lower(static_cast<uint8_t>(wanted[0])) == c.letter && text::iequals(name, c.name))
      return true;
  }
  return false;
}

// The start line, without its line break.
bool parse_start_line(Bytes line, TextHead& h) {
  size_t sp = 0;
  while (sp < line.size() && line[sp] != ' ') ++sp;
  if (sp == 0 || sp == line.size()) return false;
  if (parse_version(line.first(sp), h.protocol)) {  // status line
    h.is_request = false;
    if (!has(line, sp + 1, 3)) return false;
    uint16_t code = 0;
    for (size_t i = sp + 1; i < sp + 4; ++i) {
      if (line[i] < '0' || line[i] > '9') return false;
      code = static_cast<uint16_t>(code * 10 + (line[i] - '0'));
    }
    if (code < 100) return false;
    h.status_code = code;
    const size_t rest = sp + 4;
    if (rest < line.size() && line[rest] != ' ') return false;  // a fourth digit
    h.reason = rest < line.size() ? text::trim(line.subspan(rest + 1)) : Bytes{};
    return true;
  }
  h.is_request = true;
  if (sp > kMaxMethodLen) return false;
  for (size_t i = 0; i < sp; ++i) {
    if (!is_tchar(line[i])) return false;
  }
  size_t last = line.size();
  while (last > 0 && line[last - 1] != ' ') --last;  // the version follows the last space
  if (last <= sp + 1) return false;                  // no URI between
  if (!parse_version(line.subspan(last), h.protocol)) return false;
  const Bytes uri = sub(line, sp + 1, last - 1);
  for (uint8_t c : uri) {
    if (c == ' ') return false;
  }
  h.method = line.first(sp);
  h.uri = uri;
  return true;
}

// What can be judged of a start line that has not ended yet: its first word is a method token or
// a version ("SIP/2.0"), and not too long to be either.
bool start_line_prefix_ok(Bytes part) {
  size_t i = 0;
  for (; i < part.size() && part[i] != ' '; ++i) {
    if (!is_tchar(part[i]) && part[i] != '/') return false;
  }
  return i <= kMaxMethodLen;
}

// Bytes that never appear in a head: controls other than HT (CR is handled by the caller).
bool is_bad_byte(uint8_t c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

bool contains_token(Bytes v, std::string_view token) {
  if (v.size() < token.size()) return false;
  for (size_t i = 0; i + token.size() <= v.size(); ++i) {
    if (text::iequals(v.subspan(i, token.size()), token)) return true;
  }
  return false;
}

class HeadBuilder {
 public:
  explicit HeadBuilder(TextHead& h) : h_(h) {}

  // A new header line (not a continuation).
  bool start(Bytes line) {
    if (!flush()) return false;
    size_t colon = 0;
    while (colon < line.size() && line[colon] != ':') ++colon;
    if (colon == line.size()) return false;
    size_t name_end = colon;
    while (name_end > 0 && is_ws(line[name_end - 1])) --name_end;  // SIP's HCOLON allows spaces
    if (name_end == 0) return false;
    for (size_t i = 0; i < name_end; ++i) {
      if (!is_tchar(line[i])) return false;
    }
    cur_.name = line.first(name_end);
    cur_.value = text::trim(line.subspan(colon + 1));
    open_ = true;
    return true;
  }

  // A line that starts with a space or a tab continues the previous header (obsolete folding).
  bool fold(Bytes line) {
    if (!open_) return false;
    const Bytes more = text::trim(line);
    if (more.empty()) return true;
    if (cur_.value.empty()) {
      cur_.value = more;
    } else {
      const uint8_t* begin = cur_.value.data();
      cur_.value = Bytes(begin, static_cast<size_t>(more.data() + more.size() - begin));
    }
    return true;
  }

  bool flush() {
    if (!open_) return true;
    open_ = false;
    if (name_matches(h_, cur_.name, "content-length")) {
      uint64_t n = 0;
      if (!text::parse_uint(cur_.value, kMaxContentLength, n)) return false;
      if (h_.has_content_length && h_.content_length != n) return false;  // a smuggling attempt or a bug
      h_.has_content_length = true;
      h_.content_length = n;
    } else if (h_.protocol != TextProtocol::Sip20 && text::iequals(cur_.name, "transfer-encoding") &&
               contains_token(cur_.value, "chunked")) {
      h_.chunked = true;
    }
    if (h_.header_count < kTextMaxHeaders) {
      h_.headers[h_.header_count++] = cur_;
    } else if (h_.headers_dropped < UINT16_MAX) {
      ++h_.headers_dropped;
    }
    return true;
  }

 private:
  TextHead& h_;
  TextHeader cur_{};
  bool open_ = false;
};

}  // namespace

TextStatus parse_text_head(Bytes buf, TextHead& h) {
  h = TextHead{};
  const size_t limit = buf.size() < kTextMaxHeadSize ? buf.size() : kTextMaxHeadSize;
  size_t pos = 0;
  while (pos < limit && (buf[pos] == '\r' || buf[pos] == '\n')) ++pos;
  h.leading = static_cast<uint16_t>(pos);
  HeadBuilder hb(h);
  bool first = true;
  while (true) {
    // One line: [pos, end) without its line break; `next` starts the following line.
    size_t i = pos, end = 0, next = 0;
    bool found = false;
    for (; i < limit; ++i) {
      const uint8_t c = buf[i];
      if (c == '\n') {
        end = i;
        next = i + 1;
        found = true;
        break;
      }
      if (c == '\r') {
        if (i + 1 >= limit) break;  // its LF has not arrived
        if (buf[i + 1] != '\n') return TextStatus::Invalid;
        end = i;
        next = i + 2;
        found = true;
        break;
      }
      if (is_bad_byte(c)) return TextStatus::Invalid;
    }
    if (!found) {
      if (first && !start_line_prefix_ok(sub(buf, pos, i))) return TextStatus::Invalid;
      return buf.size() >= kTextMaxHeadSize ? TextStatus::Invalid : TextStatus::Incomplete;
    }
    const Bytes line = sub(buf, pos, end);
    pos = next;
    if (first) {
      if (!parse_start_line(line, h)) return TextStatus::Invalid;
      first = false;
      continue;
    }
    if (line.empty()) break;
    if (is_ws(line[0]) ? !hb.fold(line) : !hb.start(line)) return TextStatus::Invalid;
  }
  if (!hb.flush()) return TextStatus::Invalid;
  h.head_len = pos;
  return TextStatus::Complete;
}

bool text_message_length(const TextHead& h, uint64_t& total) {
  const bool http = h.protocol == TextProtocol::Http10 || h.protocol == TextProtocol::Http11;
  if (http && h.chunked) return false;
  if (h.has_content_length) {
    total = h.head_len + h.content_length;
    return true;
  }
  if (http && !h.is_request && h.status_code >= 200 && h.status_code != 204 && h.status_code != 304)
    return false;  // the body runs to the end of the connection
  total = h.head_len;
  return true;
}

const TextHeader* find_header(const TextHead& h, std::string_view name, const TextHeader* after) {
  size_t i = after ? static_cast<size_t>(after - h.headers.data()) + 1 : 0;
  for (; i < h.header_count; ++i) {
    if (name_matches(h, h.headers[i].name, name)) return &h.headers[i];
  }
  return nullptr;
}

bool looks_like_text_message(Bytes buf) {
  static constexpr std::string_view kStarts[] = {
      // versions, for status lines
      "HTTP/1.1 ", "HTTP/1.0 ", "SIP/2.0 ", "RTSP/1.0 ",
      // HTTP
      "GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
      // SIP
      "INVITE ", "ACK ", "BYE ", "CANCEL ", "REGISTER ", "INFO ", "UPDATE ", "PRACK ", "SUBSCRIBE ",
      "NOTIFY ", "REFER ", "MESSAGE ", "PUBLISH ",
      // RTSP
      "DESCRIBE ", "ANNOUNCE ", "SETUP ", "PLAY ", "PAUSE ", "TEARDOWN ", "GET_PARAMETER ",
      "SET_PARAMETER ", "RECORD ", "REDIRECT "};
  const std::string_view v = text::view(buf);
  for (const auto s : kStarts) {
    if (v.starts_with(s)) return true;
  }
  return false;
}

const char* text_protocol_name(TextProtocol p) {
  switch (p) {
    case TextProtocol::Http10: return "HTTP/1.0";
    case TextProtocol::Http11: return "HTTP/1.1";
    case TextProtocol::Sip20: return "SIP/2.0";
    case TextProtocol::Rtsp10: return "RTSP/1.0";
  }
  return "?";
}

namespace text {

Bytes trim(Bytes b) {
  size_t from = 0, to = b.size();
  auto space = [](uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (from < to && space(b[from])) ++from;
  while (to > from && space(b[to - 1])) --to;
  return sub(b, from, to);
}

bool iequals(Bytes b, std::string_view s) {
  if (b.size() != s.size()) return false;
  for (size_t i = 0; i < b.size(); ++i) {
    if (lower(b[i]) != lower(static_cast<uint8_t>(s[i]))) return false;
  }
  return true;
}

bool istarts_with(Bytes b, std::string_view prefix) {
  return b.size() >= prefix.size() && iequals(b.first(prefix.size()), prefix);
}

bool parse_uint(Bytes b, uint64_t max, uint64_t& out) {
  if (b.empty() || b.size() > 20) return false;
  uint64_t n = 0;
  for (uint8_t c : b) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = c - '0';
    if (n > (max - d) / 10) return false;
    n = n * 10 + d;
  }
  out = n;
  return true;
}

Bytes split(Bytes& b, uint8_t sep) {
  size_t i = 0;
  while (i < b.size() && b[i] != sep) ++i;
  const Bytes head = b.first(i);
  b = i < b.size() ? b.subspan(i + 1) : Bytes{};
  return head;
}

bool find_param(Bytes params, std::string_view name, Bytes& value) {
  size_t pos = 0;
  while (pos <= params.size()) {
    // One parameter: up to the next ';' outside a quoted string.
    size_t end = pos;
    bool quoted = false;
    for (; end < params.size(); ++end) {
      const uint8_t c = params[end];
      if (c == '"') quoted = !quoted;
      else if (c == '\\' && quoted && end + 1 < params.size()) ++end;
      else if (c == ';' && !quoted) break;
    }
    Bytes p = sub(params, pos, end);
    Bytes pname = text::trim(split(p, '='));
    if (iequals(pname, name)) {
      value = text::trim(p);
      return true;
    }
    pos = end + 1;
  }
  return false;
}

bool parse_ip(Bytes b, Endpoint& out) {
  if (b.size() >= 2 && b.front() == '[' && b.back() == ']') b = b.subspan(1, b.size() - 2);
  char s[INET6_ADDRSTRLEN + 1];
  if (b.empty() || b.size() >= sizeof(s)) return false;
  std::memcpy(s, b.data(), b.size());
  s[b.size()] = 0;
  Endpoint e;
  if (inet_pton(AF_INET, s, e.addr.data()) == 1) {
    e.family = 4;
  } else if (inet_pton(AF_INET6, s, e.addr.data()) == 1) {
    e.family = 6;
  } else {
    return false;
  }
  out = e;
  return true;
}

}  // namespace text

TextStatus chunked_body_length(Bytes body, uint64_t& length) {
  size_t pos = 0;
  for (;;) {
    // chunk-size [; extensions] CRLF
    size_t eol = pos;
    while (eol < body.size() && body[eol] != '\n') ++eol;
    if (eol == body.size()) return eol - pos > 1024 ? TextStatus::Invalid : TextStatus::Incomplete;
    uint64_t size = 0;
    size_t digits = 0;
    for (size_t i = pos; i < eol; ++i, ++digits) {
      const uint8_t c = body[i];
      int v;
      if (c >= '0' && c <= '9') v = c - '0';
      else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
      else break;
      if (digits >= 15) return TextStatus::Invalid;
      size = size * 16 + static_cast<uint64_t>(v);
    }
    if (digits == 0) return TextStatus::Invalid;
    pos = eol + 1;
    if (size == 0) {
      // Trailer fields, then the blank line.
      for (;;) {
        size_t end = pos;
        while (end < body.size() && body[end] != '\n') ++end;
        if (end == body.size()) return TextStatus::Incomplete;
        const bool blank = end == pos || (end == pos + 1 && body[pos] == '\r');
        pos = end + 1;
        if (blank) {
          length = pos;
          return TextStatus::Complete;
        }
      }
    }
    // the data, then CRLF (or LF)
    if (size > body.size() - pos) return TextStatus::Incomplete;
    pos += size;
    if (pos < body.size() && body[pos] == '\r') ++pos;
    if (pos >= body.size()) return TextStatus::Incomplete;
    if (body[pos] != '\n') return TextStatus::Invalid;
    ++pos;
  }
}

}  // namespace wcstap
