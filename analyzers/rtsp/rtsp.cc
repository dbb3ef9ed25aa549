#include "rtsp/rtsp.h"

namespace wcstap {

namespace {

using text::iequals;
using text::trim;

constexpr text::MethodName<RtspMethod> kMethods[] = {
    {"OPTIONS", RtspMethod::Options},   {"DESCRIBE", RtspMethod::Describe},
    {"SETUP", RtspMethod::Setup},       {"PLAY", RtspMethod::Play},
    {"PAUSE", RtspMethod::Pause},       {"TEARDOWN", RtspMethod::Teardown},
    {"GET_PARAMETER", RtspMethod::GetParameter}, {"SET_PARAMETER", RtspMethod::SetParameter},
    {"ANNOUNCE", RtspMethod::Announce}, {"RECORD", RtspMethod::Record}};

template <typename T>
bool read_num(Bytes b, uint64_t max, T& out) {
  uint64_t n = 0;
  if (!text::parse_uint(trim(b), max, n)) return false;
  out = static_cast<T>(n);
  return true;
}

// "a-b" or "a" (then b = a + 1, the RTCP port or channel next to RTP's).
template <typename T>
bool read_pair(Bytes v, uint64_t max, T out[2]) {
  const Bytes first = text::split(v, '-');
  if (!read_num(first, max, out[0])) return false;
  if (v.empty()) {
    out[1] = static_cast<T>(out[0] < max ? out[0] + 1 : out[0]);
    return true;
  }
  return read_num(v, max, out[1]);
}

bool read_hex32(Bytes b, uint32_t& out) {
  b = trim(b);
  if (b.empty() || b.size() > 8) return false;
  uint32_t n = 0;
  for (uint8_t c : b) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return false;
    n = n << 4 | static_cast<uint32_t>(d);
  }
  out = n;
  return true;
}

// "RTP/AVP/UDP;unicast;client_port=55664-55665;server_port=58547-58548;ssrc=B1964B48;mode=play"
// False when a parameter it knows is malformed.
bool parse_transport(Bytes v, RtspTransport& t) {
  t = RtspTransport{};
  t.present = true;
  v = trim(text::split(v, ','));  // the first alternative
  Bytes params = v;
  t.spec = trim(text::split(params, ';'));
  t.tcp = iequals(t.spec, "RTP/AVP/TCP") || iequals(t.spec, "RTP/SAVP/TCP");
  Bytes value;
  t.unicast = text::find_param(params, "unicast", value);
  t.multicast = text::find_param(params, "multicast", value);
  bool ok = !t.spec.empty();
  if (text::find_param(params, "client_port", value)) ok &= t.has_client_port = read_pair(value, 65535, t.client_port);
  if (text::find_param(params, "server_port", value)) ok &= t.has_server_port = read_pair(value, 65535, t.server_port);
  if (text::find_param(params, "interleaved", value)) ok &= t.has_interleaved = read_pair(value, 255, t.interleaved);
  if (text::find_param(params, "ssrc", value)) ok &= t.has_ssrc = read_hex32(value, t.ssrc);
  if (text::find_param(params, "destination", value)) t.destination = value;
  if (text::find_param(params, "source", value)) t.source = value;
  if (text::find_param(params, "mode", value)) {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.subspan(1, value.size() - 2);
    t.mode = value;
  }
  return ok;
}

// "rtsp://user:pass@host/...": an '@' in the authority (before the path).
bool has_userinfo(Bytes uri) {
  const std::string_view u = text::view(uri);
  const size_t scheme = u.find("://");
  if (scheme == std::string_view::npos) return false;
  const std::string_view authority = u.substr(scheme + 3, u.find('/', scheme + 3) - (scheme + 3));
  return authority.find('@') != std::string_view::npos;
}

}  // namespace

RtspMethod rtsp_method_from(Bytes token) { return text::method_from(kMethods, token, RtspMethod::Other); }

TextStatus parse_rtsp(Bytes msg, RtspMessage& m) {
  m = RtspMessage{};
  const TextStatus st = parse_text_head_of(msg, TextProtocol::Rtsp10, m.head);
  if (st != TextStatus::Complete) return st;
  const TextHead& h = m.head;
  m.is_request = h.is_request;
  if (h.is_request) {
    m.method_text = h.method;
    m.method = rtsp_method_from(h.method);
    m.uri = h.uri;
    m.uri_has_userinfo = has_userinfo(h.uri);
  } else {
    m.status_code = h.status_code;
    m.reason = h.reason;
  }
  if (h.has_content_length) {
    if (h.content_length > msg.size() - h.head_len) return TextStatus::Incomplete;
    m.body = msg.subspan(h.head_len, h.content_length);
  }
  if (const TextHeader* c = find_header(h, "cseq")) m.has_cseq = read_num(c->value, UINT32_MAX, m.cseq);
  if (const TextHeader* s = find_header(h, "session")) {
    Bytes v = s->value;
    m.session_id = trim(text::split(v, ';'));
    Bytes timeout;
    if (text::find_param(v, "timeout", timeout))
      m.has_session_timeout = read_num(timeout, UINT32_MAX, m.session_timeout);
  }
  if (const TextHeader* t = find_header(h, "transport")) m.transport.malformed = !parse_transport(t->value, m.transport);
  m.has_authorization = find_header(h, "authorization") != nullptr;
  m.has_www_authenticate = find_header(h, "www-authenticate") != nullptr;
  m.content_base = header_value(h, "content-base");
  Bytes ct = header_value(h, "content-type");
  m.content_type = trim(text::split(ct, ';'));
  m.body_is_sdp = iequals(m.content_type, "application/sdp");
  return TextStatus::Complete;
}

TextStatus parse_rtsp_interleaved(Bytes buf, RtspInterleavedFrame& f) {
  f = RtspInterleavedFrame{};
  if (buf.empty()) return TextStatus::Incomplete;
  if (buf[0] != '$') return TextStatus::Invalid;
  if (buf.size() < 4) return TextStatus::Incomplete;
  f.channel = buf[1];
  f.length = be16(&buf[2]);
  if (!has(buf, 4, f.length)) return TextStatus::Incomplete;
  f.data = buf.subspan(4, f.length);
  return TextStatus::Complete;
}

const char* rtsp_method_name(RtspMethod m) { return text::method_name(kMethods, m); }

}  // namespace wcstap
