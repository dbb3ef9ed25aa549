#include "sip/sip.h"

namespace wcstap {

namespace {

using text::iequals;
using text::trim;

constexpr text::MethodName<SipMethod> kMethods[] = {
    {"INVITE", SipMethod::Invite},     {"ACK", SipMethod::Ack},         {"BYE", SipMethod::Bye},
    {"CANCEL", SipMethod::Cancel},     {"REGISTER", SipMethod::Register}, {"OPTIONS", SipMethod::Options},
    {"INFO", SipMethod::Info},         {"UPDATE", SipMethod::Update},   {"PRACK", SipMethod::Prack},
    {"SUBSCRIBE", SipMethod::Subscribe}, {"NOTIFY", SipMethod::Notify}, {"REFER", SipMethod::Refer},
    {"MESSAGE", SipMethod::Message},   {"PUBLISH", SipMethod::Publish}};

// The end of the first comma-separated element of a header value (commas inside quotes or <>
// belong to the element).
size_t element_end(Bytes v) {
  bool quoted = false;
  int angle = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const uint8_t c = v[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      ++angle;
    } else if (c == '>') {
      if (angle > 0) --angle;
    } else if (c == ',' && angle == 0) {
      return i;
    }
  }
  return v.size();
}

unsigned count_elements(Bytes v) {
  unsigned n = 0;
  while (true) {
    const size_t e = element_end(v);
    if (!trim(v.first(e)).empty()) ++n;
    if (e >= v.size()) return n;
    v = v.subspan(e + 1);
  }
}

SipTransport transport_from(Bytes t) {
  if (t.empty()) return SipTransport::Unknown;
  if (iequals(t, "UDP")) return SipTransport::Udp;
  if (iequals(t, "TCP")) return SipTransport::Tcp;
  if (iequals(t, "TLS")) return SipTransport::Tls;
  if (iequals(t, "SCTP")) return SipTransport::Sctp;
  if (iequals(t, "WS")) return SipTransport::Ws;
  if (iequals(t, "WSS")) return SipTransport::Wss;
  return SipTransport::Other;
}

// "SIP / 2.0 / UDP host:port;branch=...": RFC 3261 allows spaces around the slashes.
bool parse_via(Bytes v, SipMessage& m) {
  v = trim(v.first(element_end(v)));
  const Bytes name = trim(text::split(v, '/'));
  const Bytes version = trim(text::split(v, '/'));
  if (!iequals(name, "SIP") || !iequals(version, "2.0")) return false;
  v = trim(v);
  size_t i = 0;
  while (i < v.size() && v[i] != ' ' && v[i] != '\t') ++i;
  m.via_transport = transport_from(v.first(i));
  Bytes rest = v.subspan(i);
  m.via_sent_by = trim(text::split(rest, ';'));
  Bytes branch;
  if (text::find_param(rest, "branch", branch)) m.via_branch = branch;
  return m.via_transport != SipTransport::Unknown && !m.via_sent_by.empty();
}

// The header parameters of a From/To value: after the closing '>' of a name-addr, else (an
// addr-spec, RFC 3261 section 20.10) after the URI's first ';'.
Bytes header_params(Bytes v) {
  bool quoted = false;
  for (size_t i = 0; i < v.size(); ++i) {
    const uint8_t c = v[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      size_t j = i + 1;
      while (j < v.size() && v[j] != '>') ++j;
      if (j >= v.size()) return {};
      Bytes after = v.subspan(j + 1);
      text::split(after, ';');
      return after;
    } else if (c == ';') {
      return v.subspan(i + 1);
    }
  }
  return {};
}

bool read_u32(const TextHeader* h, uint32_t& out) {
  uint64_t n = 0;
  if (!h || !text::parse_uint(h->value, UINT32_MAX, n)) return false;
  out = static_cast<uint32_t>(n);
  return true;
}

}  // namespace

SipMethod sip_method_from(Bytes token) { return text::method_from(kMethods, token, SipMethod::Other); }

TextStatus parse_sip(Bytes msg, SipMessage& m) {
  m = SipMessage{};
  const TextStatus st = parse_text_head_of(msg, TextProtocol::Sip20, m.head);
  if (st != TextStatus::Complete) return st;
  const TextHead& h = m.head;

  m.is_request = h.is_request;
  if (h.is_request) {
    m.method_text = h.method;
    m.method = sip_method_from(h.method);
    m.request_uri = h.uri;
  } else {
    m.status_code = h.status_code;
    m.reason = h.reason;
  }

  // Body first: a message cut short is reported before anything is read from it.
  const size_t avail = msg.size() - h.head_len;
  if (h.has_content_length) {
    if (h.content_length > avail) return TextStatus::Incomplete;
    m.body = msg.subspan(h.head_len, h.content_length);
    m.trailing = static_cast<uint32_t>(avail - h.content_length);
  } else {
    m.body = msg.subspan(h.head_len);
  }

  m.call_id = header_value(h, "call-id");

  bool cseq_ok = false;
  if (const TextHeader* c = find_header(h, "cseq")) {
    Bytes v = c->value;
    const Bytes num = text::split(v, ' ');
    uint64_t n = 0;
    if (text::parse_uint(num, UINT32_MAX, n)) {
      m.has_cseq = true;
      m.cseq = static_cast<uint32_t>(n);
      m.cseq_method_text = trim(v);
      m.cseq_method = sip_method_from(m.cseq_method_text);
      cseq_ok = !m.cseq_method_text.empty();
    }
  }

  const TextHeader* from = find_header(h, "from");
  const TextHeader* to = find_header(h, "to");
  Bytes tag;
  if (from && text::find_param(header_params(from->value), "tag", tag)) m.from_tag = tag;
  if (to && text::find_param(header_params(to->value), "tag", tag)) m.to_tag = tag;

  bool via_ok = false;
  unsigned vias = 0;
  for (const TextHeader* v = find_header(h, "via"); v; v = find_header(h, "via", v)) {
    if (vias == 0) via_ok = parse_via(v->value, m);
    vias += count_elements(v->value);
  }
  m.via_count = static_cast<uint8_t>(vias > 255 ? 255 : vias);

  m.has_contact = find_header(h, "contact") != nullptr;
  m.has_expires = read_u32(find_header(h, "expires"), m.expires);
  m.has_max_forwards = read_u32(find_header(h, "max-forwards"), m.max_forwards);
  Bytes ct = header_value(h, "content-type");
  m.content_type = trim(text::split(ct, ';'));
  m.body_is_sdp = iequals(m.content_type, "application/sdp");
  m.user_agent = header_value(h, "user-agent");
  m.server = header_value(h, "server");
  m.has_authorization = find_header(h, "authorization") != nullptr;
  m.has_proxy_authorization = find_header(h, "proxy-authorization") != nullptr;
  m.has_www_authenticate = find_header(h, "www-authenticate") != nullptr;
  m.has_proxy_authenticate = find_header(h, "proxy-authenticate") != nullptr;

  m.mandatory_present = !m.call_id.empty() && cseq_ok && from && to && via_ok;
  return TextStatus::Complete;
}

const char* sip_method_name(SipMethod m) { return text::method_name(kMethods, m); }

const char* sip_transport_name(SipTransport t) {
  switch (t) {
    case SipTransport::Unknown: return "unknown";
    case SipTransport::Udp: return "udp";
    case SipTransport::Tcp: return "tcp";
    case SipTransport::Tls: return "tls";
    case SipTransport::Sctp: return "sctp";
    case SipTransport::Ws: return "ws";
    case SipTransport::Wss: return "wss";
    case SipTransport::Other: return "other";
  }
  return "?";
}

}  // namespace wcstap
