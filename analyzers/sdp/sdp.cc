#include "sdp/sdp.h"

#include <algorithm>

#include "text/text_message.h"

namespace wcstap {

namespace {

using text::iequals;
using text::trim;

bool is_space(uint8_t c) { return c == ' ' || c == '\t'; }

// The next space-separated word of `rest` (empty at the end).
Bytes word(Bytes& rest) {
  size_t i = 0;
  while (i < rest.size() && is_space(rest[i])) ++i;
  size_t j = i;
  while (j < rest.size() && !is_space(rest[j])) ++j;
  const Bytes w = rest.subspan(i, j - i);
  rest = rest.subspan(j);
  return w;
}

template <typename T>
bool read_num(Bytes b, uint64_t max, T& out) {
  uint64_t n = 0;
  if (!text::parse_uint(b, max, n)) return false;
  out = static_cast<T>(n);
  return true;
}

// "IN IP4 192.0.2.1" (an IP4 multicast address may carry "/ttl", an IP6 one "/count").
bool read_address(Bytes& rest, SdpAddress& out) {
  const Bytes net = word(rest), type = word(rest);
  Bytes addr = word(rest);
  if (!iequals(net, "IN") || (!iequals(type, "IP4") && !iequals(type, "IP6")) || addr.empty()) return false;
  addr = text::split(addr, '/');
  out = SdpAddress{};
  out.present = true;
  out.text = addr;
  out.is_ip = text::parse_ip(addr, out.ip);
  return true;
}

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "sha-256 AB:CD:..." (RFC 8122).
bool read_fingerprint(Bytes v, SdpFingerprint& out) {
  SdpFingerprint f;
  f.hash = word(v);
  const Bytes hex = word(v);
  if (f.hash.empty() || hex.empty()) return false;
  size_t i = 0;
  while (i < hex.size()) {
    if (!has(hex, i, 2) || f.digest_len >= f.digest.size()) return false;
    const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    f.digest[f.digest_len++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
    if (i < hex.size()) {
      if (hex[i] != ':') return false;
      ++i;
      if (i == hex.size()) return false;  // a trailing colon
    }
  }
  f.present = true;
  out = f;
  return true;
}

int base64_value(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 (padding optional) into `out`; false when it is not base64 or does not fit.
bool base64_decode(Bytes in, uint8_t* out, size_t cap, uint8_t& len) {
  while (!in.empty() && in.back() == '=') in = in.first(in.size() - 1);
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (uint8_t c : in) {
    const int v = base64_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n >= cap) return false;
      out[n++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  len = static_cast<uint8_t>(n);
  return true;
}

// "1 AES_CM_128_HMAC_SHA1_80 inline:<key||salt>[|lifetime][|MKI:len][;inline:...] [session params]"
bool read_crypto(Bytes v, SdpCrypto& out) {
  SdpCrypto c;
  if (!read_num(word(v), 999999999, c.tag)) return false;
  c.suite = word(v);
  Bytes keys = word(v);
  Bytes key = text::split(keys, ';');  // the first key-param only
  if (c.suite.empty() || !text::istarts_with(key, "inline:")) return false;
  for (; !keys.empty() && c.key_params < UINT8_MAX; text::split(keys, ';')) ++c.key_params;
  c.session_params = trim(v);
  key = key.subspan(7);
  const Bytes material = text::split(key, '|');
  c.key_ok = base64_decode(material, c.secret_key_salt.data(), c.secret_key_salt.size(), c.secret_key_salt_len);
  if (!c.key_ok) c.secret_key_salt_len = 0;
  // What follows: lifetime then MKI; a lone field with a colon is the MKI (RFC 4568 section 9.2).
  while (!key.empty()) {
    Bytes field = text::split(key, '|');
    if (field.empty()) return false;
    if (std::find(field.begin(), field.end(), ':') != field.end()) {
      const Bytes value = text::split(field, ':');
      if (!read_num(value, UINT32_MAX, c.mki) || !read_num(field, 128, c.mki_len)) return false;
    } else {
      c.lifetime = field;
    }
  }
  out = c;
  return true;
}

// "<foundation> <component> <transport> <priority> <address> <port> typ <type> [raddr a] [rport p] [tcptype t] ..."
bool read_candidate(Bytes v, IceCandidate& out) {
  IceCandidate c;
  c.foundation = word(v);
  if (c.foundation.empty() || !read_num(word(v), 255, c.component)) return false;
  const Bytes transport = word(v);
  c.transport = iequals(transport, "udp") ? IceTransport::Udp
                : iequals(transport, "tcp") ? IceTransport::Tcp
                                            : IceTransport::Other;
  if (!read_num(word(v), UINT32_MAX, c.priority)) return false;
  const Bytes addr = word(v);
  uint16_t port = 0;
  if (addr.empty() || !read_num(word(v), 65535, port)) return false;
  c.address.present = true;
  c.address.text = addr;
  c.address.is_ip = text::parse_ip(addr, c.address.ip);
  c.address.ip.port = port;
  if (!iequals(word(v), "typ")) return false;
  const Bytes type = word(v);
  c.type = iequals(type, "host")    ? IceCandidateType::Host
           : iequals(type, "srflx") ? IceCandidateType::Srflx
           : iequals(type, "prflx") ? IceCandidateType::Prflx
           : iequals(type, "relay") ? IceCandidateType::Relay
                                    : IceCandidateType::Other;
  // Extension pairs in any order.
  while (true) {
    const Bytes name = word(v), value = word(v);
    if (name.empty()) break;
    if (iequals(name, "raddr")) {
      c.related.present = true;
      c.related.text = value;
      c.related.is_ip = text::parse_ip(value, c.related.ip);
    } else if (iequals(name, "rport")) {
      read_num(value, 65535, c.related.ip.port);
    } else if (iequals(name, "tcptype")) {
      c.tcptype = iequals(value, "active")    ? IceTcpType::Active
                  : iequals(value, "passive") ? IceTcpType::Passive
                  : iequals(value, "so")      ? IceTcpType::So
                                              : IceTcpType::None;
    }
  }
  out = c;
  return true;
}

bool read_direction(Bytes name, SdpDirection& d) {
  if (iequals(name, "sendrecv")) d = SdpDirection::SendRecv;
  else if (iequals(name, "sendonly")) d = SdpDirection::SendOnly;
  else if (iequals(name, "recvonly")) d = SdpDirection::RecvOnly;
  else if (iequals(name, "inactive")) d = SdpDirection::Inactive;
  else return false;
  return true;
}

bool read_setup(Bytes v, SdpSetup& s) {
  v = trim(v);
  if (iequals(v, "active")) s = SdpSetup::Active;
  else if (iequals(v, "passive")) s = SdpSetup::Passive;
  else if (iequals(v, "actpass")) s = SdpSetup::ActPass;
  else if (iequals(v, "holdconn")) s = SdpSetup::HoldConn;
  else return false;
  return true;
}

template <typename Count>
void count_drop(Count& c) {
  if (c < static_cast<Count>(~Count{})) ++c;
}

// "m=<media> <port>[/<count>] <proto> <fmt> ..."
bool read_media_line(Bytes v, SdpMedia& m) {
  m.type_text = word(v);
  m.type = iequals(m.type_text, "audio")         ? SdpMediaType::Audio
           : iequals(m.type_text, "video")       ? SdpMediaType::Video
           : iequals(m.type_text, "application") ? SdpMediaType::Application
                                                 : SdpMediaType::Other;
  Bytes port = word(v);
  const Bytes p = text::split(port, '/');
  if (m.type_text.empty() || !read_num(p, 65535, m.port)) return false;
  if (!port.empty() && !read_num(port, 65535, m.port_count)) return false;
  m.proto = word(v);
  if (m.proto.empty()) return false;
  m.formats = trim(v);
  for (Bytes f = word(v); !f.empty(); f = word(v)) {
    uint8_t pt = 0;
    if (!read_num(f, 127, pt)) continue;  // not an RTP payload type ("webrtc-datachannel")
    if (m.pt_count < m.pts.size()) m.pts[m.pt_count++] = pt;
    else count_drop(m.formats_dropped);
  }
  return true;
}

// b=AS:<kbit/s> or b=TIAS:<bit/s>; other modifiers (CT, RR, RS) are left alone.
bool read_bandwidth(Bytes v, uint32_t& as, uint32_t& tias) {
  const Bytes type = trim(text::split(v, ':'));
  if (iequals(type, "AS")) return read_num(trim(v), UINT32_MAX, as);
  if (iequals(type, "TIAS")) return read_num(trim(v), UINT32_MAX, tias);
  return true;
}

// One a= line in a media section. False when a known attribute does not parse.
bool media_attribute(Bytes name, Bytes v, SdpMedia& m) {
  if (iequals(name, "rtpmap")) {
    SdpRtpmap r;
    Bytes enc = trim(v);
    if (!read_num(word(enc), 127, r.pt)) return false;
    enc = trim(enc);
    r.encoding = text::split(enc, '/');
    const Bytes rate = text::split(enc, '/');
    if (r.encoding.empty() || !read_num(rate, UINT32_MAX, r.clock_rate)) return false;
    if (!enc.empty() && !read_num(enc, 255, r.channels)) return false;
    if (m.rtpmap_count < m.rtpmaps.size()) m.rtpmaps[m.rtpmap_count++] = r;
    else count_drop(m.rtpmaps_dropped);
  } else if (iequals(name, "fmtp")) {
    SdpFmtp f;
    if (!read_num(word(v), 127, f.pt)) return false;
    f.params = trim(v);
    if (m.fmtp_count < m.fmtps.size()) m.fmtps[m.fmtp_count++] = f;
    else count_drop(m.fmtps_dropped);
  } else if (iequals(name, "ssrc")) {
    uint32_t ssrc = 0;
    if (!read_num(word(v), UINT32_MAX, ssrc)) return false;
    Bytes attr = trim(v);
    const Bytes aname = text::split(attr, ':');
    SdpSsrc* e = nullptr;
    for (uint8_t i = 0; i < m.ssrc_count; ++i) {
      if (m.ssrcs[i].ssrc == ssrc) e = &m.ssrcs[i];
    }
    if (!e) {
      if (m.ssrc_count >= m.ssrcs.size()) {
        count_drop(m.ssrcs_dropped);
        return true;
      }
      e = &m.ssrcs[m.ssrc_count++];
      e->ssrc = ssrc;
    }
    if (iequals(aname, "cname")) e->cname = trim(attr);
  } else if (iequals(name, "ssrc-group")) {
    SdpSsrcGroup g;
    g.semantics = word(v);
    if (g.semantics.empty()) return false;
    for (Bytes s = word(v); !s.empty(); s = word(v)) {
      uint32_t ssrc = 0;
      if (!read_num(s, UINT32_MAX, ssrc)) return false;
      if (g.count < g.ssrcs.size()) g.ssrcs[g.count++] = ssrc;
    }
    if (m.ssrc_group_count < m.ssrc_groups.size()) m.ssrc_groups[m.ssrc_group_count++] = g;
    else count_drop(m.ssrc_groups_dropped);
  } else if (iequals(name, "candidate")) {
    IceCandidate c;
    if (!read_candidate(v, c)) return false;
    if (m.candidate_count < m.candidates.size()) m.candidates[m.candidate_count++] = c;
    else count_drop(m.candidates_dropped);
  } else if (iequals(name, "end-of-candidates")) {
    m.end_of_candidates = true;
  } else if (iequals(name, "mid")) {
    m.mid = trim(v);
  } else if (iequals(name, "msid")) {
    m.msid = trim(v);
  } else if (iequals(name, "rtcp-mux")) {
    m.rtcp_mux = true;
  } else if (iequals(name, "rtcp")) {
    if (!read_num(word(v), 65535, m.rtcp_port)) return false;
    m.has_rtcp = true;
    if (!trim(v).empty() && read_address(v, m.rtcp_address)) m.rtcp_address.ip.port = m.rtcp_port;
  } else if (iequals(name, "crypto")) {
    SdpCrypto c;
    if (!read_crypto(v, c)) return false;
    if (m.crypto_count < m.cryptos.size()) m.cryptos[m.crypto_count++] = c;
    else count_drop(m.cryptos_dropped);
  }
  return true;
}

// Attributes both levels know (the session level's apply to every section that names none).
struct Common {
  SdpDirection* direction;
  bool* has_direction;
  Bytes* ice_ufrag;
  bool* has_ice_pwd;
  SdpFingerprint* fingerprint;
  SdpSetup* setup;
};

// True when `name` is one of them; `ok` false when its value did not parse.
bool common_attribute(Bytes name, Bytes v, const Common& c, bool& ok) {
  ok = true;
  SdpDirection d;
  if (read_direction(name, d)) {
    *c.direction = d;
    if (c.has_direction) *c.has_direction = true;
  } else if (iequals(name, "ice-ufrag")) {
    *c.ice_ufrag = trim(v);
  } else if (iequals(name, "ice-pwd")) {
    *c.has_ice_pwd = true;  // the value is a secret: not kept
  } else if (iequals(name, "fingerprint")) {
    ok = read_fingerprint(v, *c.fingerprint);
  } else if (iequals(name, "setup")) {
    ok = read_setup(v, *c.setup);
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool parse_sdp(Bytes body, SdpSession& s) {
  s = SdpSession{};
  bool seen_version = false;
  bool in_media = false;  // past the first m= line (the section may have been dropped)
  SdpMedia* m = nullptr;  // the current section, null at session level or when dropped
  Bytes rest = body;
  while (!rest.empty()) {
    Bytes line = text::split(rest, '\n');
    if (!line.empty() && line.back() == '\r') line = line.first(line.size() - 1);
    if (line.empty()) continue;
    if (!seen_version) {
      if (text::view(trim(line)) != "v=0") return false;
      seen_version = true;
      continue;
    }
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      count_drop(s.malformed_lines);
      continue;
    }
    const uint8_t type = line[0];
    Bytes v = line.subspan(2);
    bool ok = true;
    switch (type) {
      case 'o':
        if (!in_media) {
          s.origin_username = word(v);
          ok = read_num(word(v), UINT64_MAX, s.session_id) && read_num(word(v), UINT64_MAX, s.session_version) &&
               read_address(v, s.origin_address);
        }
        break;
      case 's':
        if (!in_media) s.session_name = v;
        break;
      case 'c':
        if (!in_media) ok = read_address(v, s.connection);
        else if (m) ok = read_address(v, m->connection);
        break;
      case 'b':
        if (!in_media) ok = read_bandwidth(v, s.bandwidth_as, s.bandwidth_tias);
        else if (m) ok = read_bandwidth(v, m->bandwidth_as, m->bandwidth_tias);
        break;
      case 'm':
        in_media = true;
        m = nullptr;
        if (s.media_count >= s.media.size()) {
          count_drop(s.media_dropped);
          break;
        }
        m = &s.media[s.media_count];
        if (read_media_line(v, *m)) {
          ++s.media_count;
        } else {
          *m = SdpMedia{};
          m = nullptr;
          ok = false;
        }
        break;
      case 'a': {
        if (in_media && !m) break;  // a dropped section's attributes
        Bytes name = v;
        const Bytes n = trim(text::split(name, ':'));
        const Bytes value = name;  // what follows the first ':' (empty for a flag)
        if (m) {
          const Common c{&m->direction, &m->has_direction, &m->ice_ufrag, &m->has_ice_pwd, &m->fingerprint,
                         &m->setup};
          if (!common_attribute(n, value, c, ok)) ok = media_attribute(n, value, *m);
        } else {
          const Common c{&s.direction, nullptr, &s.ice_ufrag, &s.has_ice_pwd, &s.fingerprint, &s.setup};
          if (!common_attribute(n, value, c, ok)) {
            if (iequals(n, "group")) {
              Bytes g = value;
              if (iequals(word(g), "BUNDLE")) s.bundle = trim(g);
            } else if (iequals(n, "ice-lite")) {
              s.ice_lite = true;
            }
          }
        }
        break;
      }
      default:
        break;  // v (again), i, u, e, p, t, r, z, k: nothing a tap needs
    }
    if (!ok) count_drop(s.malformed_lines);
  }
  return seen_version;
}

uint32_t sdp_clock_rate(const SdpMedia& m, uint8_t pt) {
  for (uint8_t i = 0; i < m.rtpmap_count; ++i) {
    if (m.rtpmaps[i].pt == pt) return m.rtpmaps[i].clock_rate;
  }
  // RFC 3551 section 6: the static payload types.
  switch (pt) {
    case 0: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 13: case 15: case 18:
      return 8000;  // G.722's RTP clock is 8000 though it samples at 16000 (RFC 3551 4.5.2)
    case 6: return 16000;
    case 10: case 11: return 44100;
    case 16: return 11025;
    case 17: return 22050;
    case 14: case 25: case 26: case 28: case 31: case 32: case 33: case 34: return 90000;
    default: return 0;
  }
}

SdpDirection sdp_direction(const SdpSession& s, const SdpMedia& m) {
  return m.has_direction ? m.direction : s.direction;
}

bool sdp_media_endpoint(const SdpSession& s, const SdpMedia& m, Endpoint& out) {
  const SdpAddress& a = m.connection.present ? m.connection : s.connection;
  if (!a.is_ip) return false;
  out = a.ip;
  out.port = m.port;
  return true;
}

const SdpFingerprint* sdp_fingerprint(const SdpSession& s, const SdpMedia& m) {
  if (m.fingerprint.present) return &m.fingerprint;
  return s.fingerprint.present ? &s.fingerprint : nullptr;
}

Bytes sdp_ice_ufrag(const SdpSession& s, const SdpMedia& m) {
  return m.ice_ufrag.empty() ? s.ice_ufrag : m.ice_ufrag;
}

SdpSetup sdp_setup(const SdpSession& s, const SdpMedia& m) {
  return m.setup != SdpSetup::None ? m.setup : s.setup;
}

const char* sdp_direction_name(SdpDirection d) {
  switch (d) {
    case SdpDirection::SendRecv: return "sendrecv";
    case SdpDirection::SendOnly: return "sendonly";
    case SdpDirection::RecvOnly: return "recvonly";
    case SdpDirection::Inactive: return "inactive";
  }
  return "?";
}

const char* sdp_media_type_name(SdpMediaType t) {
  switch (t) {
    case SdpMediaType::Audio: return "audio";
    case SdpMediaType::Video: return "video";
    case SdpMediaType::Application: return "application";
    case SdpMediaType::Other: return "other";
  }
  return "?";
}

const char* ice_candidate_type_name(IceCandidateType t) {
  switch (t) {
    case IceCandidateType::Host: return "host";
    case IceCandidateType::Srflx: return "srflx";
    case IceCandidateType::Prflx: return "prflx";
    case IceCandidateType::Relay: return "relay";
    case IceCandidateType::Other: return "other";
  }
  return "?";
}

}  // namespace wcstap
