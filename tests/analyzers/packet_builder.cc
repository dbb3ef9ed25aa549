#include "packet_builder.h"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

namespace wcstap::test {

namespace {

void put8(Frame& f, uint8_t v) { f.push_back(v); }
void put16(Frame& f, uint16_t v) {
  f.push_back(static_cast<uint8_t>(v >> 8));
  f.push_back(static_cast<uint8_t>(v));
}
void put24(Frame& f, uint32_t v) {
  f.push_back(static_cast<uint8_t>(v >> 16));
  put16(f, static_cast<uint16_t>(v));
}
void put32(Frame& f, uint32_t v) {
  put16(f, static_cast<uint16_t>(v >> 16));
  put16(f, static_cast<uint16_t>(v));
}
void put64(Frame& f, uint64_t v) {
  put32(f, static_cast<uint32_t>(v >> 32));
  put32(f, static_cast<uint32_t>(v));
}
void append(Frame& f, const Frame& tail) { f.insert(f.end(), tail.begin(), tail.end()); }
void append(Frame& f, const uint8_t* p, size_t n) { f.insert(f.end(), p, p + n); }
void pad_to(Frame& f, size_t multiple) {
  while (f.size() % multiple != 0) f.push_back(0);
}

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t{p[i]} << 8 | p[i + 1];
  if (n & 1) sum += uint32_t{p[n - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// 16-bit type, 16-bit length of `value`, `value`: STUN attributes and TURN ChannelData alike.
Frame type_length_value(uint16_t type, const Frame& value) {
  Frame f;
  put16(f, type);
  put16(f, static_cast<uint16_t>(value.size()));
  append(f, value);
  return f;
}

Frame filler(size_t n, uint8_t start = 0) {
  Frame f(n);
  for (size_t i = 0; i < n; ++i) f[i] = static_cast<uint8_t>(start + i);
  return f;
}

Frame icmp_common(uint8_t type, uint8_t code, uint32_t rest, const Frame& body) {
  Frame f;
  put8(f, type);
  put8(f, code);
  put16(f, 0);
  put32(f, rest);
  append(f, body);
  return f;
}

// Hop-by-hop and destination options share one layout: next header, length in 8-byte units
// minus one, options (Pad1 = 0 bytes) up to the size.
Ipv6Ext options_header(uint8_t type, size_t size) {
  if (size < 8 || size % 8 != 0 || size > 2048) throw std::invalid_argument("IPv6 options header size");
  Ipv6Ext e{type, Frame(size, 0)};
  e.bytes[1] = static_cast<uint8_t>(size / 8 - 1);
  return e;
}

Frame rtcp_header(uint8_t count, uint8_t pt, size_t body_size) {
  // body_size counts everything after the 4-byte header and must keep the packet word-aligned.
  Frame f;
  put8(f, static_cast<uint8_t>(0x80 | (count & 0x1f)));
  put8(f, pt);
  put16(f, static_cast<uint16_t>((4 + body_size) / 4 - 1));
  return f;
}

void put_block(Frame& f, const ReportBlock& b) {
  put32(f, b.ssrc);
  put8(f, b.fraction_lost);
  put24(f, static_cast<uint32_t>(b.cumulative_lost) & 0xffffff);
  put32(f, b.ext_highest_seq);
  put32(f, b.jitter);
  put32(f, b.lsr);
  put32(f, b.dlsr);
}

}  // namespace

Ip4 ip4(const char* text) {
  Ip4 a{};
  if (inet_pton(AF_INET, text, a.data()) != 1) throw std::invalid_argument(text);
  return a;
}

Ip6 ip6(const char* text) {
  Ip6 a{};
  if (inet_pton(AF_INET6, text, a.data()) != 1) throw std::invalid_argument(text);
  return a;
}

Endpoint endpoint(const char* addr, uint16_t port) {
  Endpoint e;
  e.port = port;
  if (inet_pton(AF_INET, addr, e.addr.data()) == 1) {
    e.family = 4;
  } else if (inet_pton(AF_INET6, addr, e.addr.data()) == 1) {
    e.family = 6;
  } else {
    throw std::invalid_argument(addr);
  }
  return e;
}

Frame concat(const Frame& a, const Frame& b) {
  Frame f = a;
  append(f, b);
  return f;
}

Frame ethernet(uint16_t ethertype, const Frame& payload, const std::vector<VlanTag>& tags, size_t min_size) {
  static constexpr uint8_t kMacs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  Frame f;
  append(f, kMacs, sizeof kMacs);
  for (const auto& t : tags) {
    put16(f, t.tpid);
    put16(f, t.vid);
  }
  put16(f, ethertype);
  append(f, payload);
  if (f.size() < min_size) f.resize(min_size, 0);
  return f;
}

Frame pppoe_session(uint16_t ppp_protocol, const Frame& payload) {
  Frame f;
  put8(f, 0x11);    // version 1, type 1
  put8(f, 0x00);    // code: session data
  put16(f, 0x0001);  // session id
  put16(f, static_cast<uint16_t>(payload.size() + 2));
  put16(f, ppp_protocol);
  append(f, payload);
  return f;
}

Frame linux_sll(uint16_t protocol, const Frame& payload) {
  Frame f;
  put16(f, 0);       // packet type: to us
  put16(f, 1);       // ARPHRD_ETHER
  put16(f, 6);       // address length
  static constexpr uint8_t kAddr[8] = {0x02, 0, 0, 0, 0, 0x02, 0, 0};
  append(f, kAddr, sizeof kAddr);
  put16(f, protocol);
  append(f, payload);
  return f;
}

Frame linux_sll2(uint16_t protocol, const Frame& payload) {
  Frame f;
  put16(f, protocol);
  put16(f, 0);       // reserved
  put32(f, 2);       // interface index
  put16(f, 1);       // ARPHRD_ETHER
  put8(f, 0);        // packet type
  put8(f, 6);        // address length
  static constexpr uint8_t kAddr[8] = {0x02, 0, 0, 0, 0, 0x02, 0, 0};
  append(f, kAddr, sizeof kAddr);
  append(f, payload);
  return f;
}

Frame bsd_loopback(uint32_t family, const Frame& payload, ByteOrder order) {
  Frame f;
  if (order == ByteOrder::Big) {
    put32(f, family);
  } else {
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<uint8_t>(family >> (8 * i)));
  }
  append(f, payload);
  return f;
}

Frame ipv4(const Ipv4Header& h, const Frame& payload) {
  Frame opts = h.options;
  pad_to(opts, 4);
  size_t hlen = 20 + opts.size();
  Frame f;
  uint8_t version = h.version_override.value_or(4);
  uint8_t ihl = h.ihl_override.value_or(static_cast<uint8_t>(hlen / 4));
  put8(f, static_cast<uint8_t>(version << 4 | (ihl & 0x0f)));
  put8(f, 0);  // DSCP/ECN
  put16(f, h.total_length_override.value_or(static_cast<uint16_t>(hlen + payload.size())));
  put16(f, h.id);
  uint16_t frag = static_cast<uint16_t>((h.dont_fragment ? 0x4000 : 0) | (h.more_fragments ? 0x2000 : 0) |
                                        (h.fragment_offset & 0x1fff));
  put16(f, frag);
  put8(f, h.ttl);
  put8(f, h.proto);
  put16(f, 0);  // checksum, below
  append(f, h.src.data(), 4);
  append(f, h.dst.data(), 4);
  append(f, opts);
  uint16_t sum = checksum(f.data(), f.size());
  f[10] = static_cast<uint8_t>(sum >> 8);
  f[11] = static_cast<uint8_t>(sum);
  append(f, payload);
  return f;
}

Ipv6Ext ipv6_hop_by_hop(size_t size) { return options_header(kIpv6HopByHop, size); }
Ipv6Ext ipv6_destination_options(size_t size) { return options_header(kIpv6DestOptions, size); }

Ipv6Ext ipv6_routing(const std::vector<Ip6>& addresses) {
  Ipv6Ext e{kIpv6Routing, {}};
  put8(e.bytes, 0);  // next header, filled by ipv6()
  put8(e.bytes, static_cast<uint8_t>(addresses.size() * 2));
  put8(e.bytes, 0);  // routing type 0
  put8(e.bytes, static_cast<uint8_t>(addresses.size()));  // segments left
  put32(e.bytes, 0);
  for (const auto& a : addresses) append(e.bytes, a.data(), a.size());
  return e;
}

Ipv6Ext ipv6_fragment(uint16_t offset_units, bool more, uint32_t id) {
  Ipv6Ext e{kIpv6Fragment, {}};
  put8(e.bytes, 0);
  put8(e.bytes, 0);
  put16(e.bytes, static_cast<uint16_t>(offset_units << 3 | (more ? 1 : 0)));
  put32(e.bytes, id);
  return e;
}

Ipv6Ext ipv6_auth_header(size_t icv_size) {
  if (icv_size % 4 != 0) throw std::invalid_argument("AH ICV size");
  Ipv6Ext e{kIpv6Auth, {}};
  put8(e.bytes, 0);
  put8(e.bytes, static_cast<uint8_t>((12 + icv_size) / 4 - 2));
  put16(e.bytes, 0);
  put32(e.bytes, 0x100);  // SPI
  put32(e.bytes, 1);      // sequence
  append(e.bytes, filler(icv_size, 0xa0));
  return e;
}

Frame ipv6(const Ipv6Header& h, const Frame& payload) {
  Frame chain;
  for (size_t i = 0; i < h.ext.size(); ++i) {
    Frame b = h.ext[i].bytes;
    b[0] = i + 1 < h.ext.size() ? h.ext[i + 1].type : h.proto;
    append(chain, b);
  }
  append(chain, payload);
  Frame f;
  put32(f, uint32_t{h.version_override.value_or(6)} << 28);
  put16(f, h.payload_length_override.value_or(static_cast<uint16_t>(chain.size())));
  put8(f, h.ext.empty() ? h.proto : h.ext.front().type);
  put8(f, h.hop_limit);
  append(f, h.src.data(), 16);
  append(f, h.dst.data(), 16);
  append(f, chain);
  return f;
}

Frame udp(uint16_t src_port, uint16_t dst_port, const Frame& payload, std::optional<uint16_t> length_override) {
  Frame f;
  put16(f, src_port);
  put16(f, dst_port);
  put16(f, length_override.value_or(static_cast<uint16_t>(8 + payload.size())));
  put16(f, 0);
  append(f, payload);
  return f;
}

Frame tcp(const TcpHeader& h, const Frame& payload) {
  Frame opts = h.options;
  pad_to(opts, 4);
  Frame f;
  put16(f, h.src_port);
  put16(f, h.dst_port);
  put32(f, h.seq);
  put32(f, h.ack);
  uint8_t doff = h.data_offset_override.value_or(static_cast<uint8_t>((20 + opts.size()) / 4));
  put8(f, static_cast<uint8_t>(doff << 4));
  put8(f, h.flags);
  put16(f, h.window);
  put16(f, 0);  // checksum
  put16(f, 0);  // urgent pointer
  append(f, opts);
  append(f, payload);
  return f;
}

Frame icmp(uint8_t type, uint8_t code, uint32_t rest, const Frame& body) {
  return icmp_common(type, code, rest, body);
}

Frame icmpv6(uint8_t type, uint8_t code, uint32_t rest, const Frame& body) {
  return icmp_common(type, code, rest, body);
}

Frame rtp(const RtpPacket& p) {
  Frame f;
  put8(f, static_cast<uint8_t>(p.version << 6 | (p.padding ? 0x20 : 0) | (p.ext_profile ? 0x10 : 0) |
                               (p.csrcs.size() & 0x0f)));
  put8(f, static_cast<uint8_t>((p.marker ? 0x80 : 0) | (p.pt & 0x7f)));
  put16(f, p.seq);
  put32(f, p.timestamp);
  put32(f, p.ssrc);
  for (uint32_t c : p.csrcs) put32(f, c);
  if (p.ext_profile) {
    put16(f, *p.ext_profile);
    put16(f, static_cast<uint16_t>(p.ext_words.size()));
    for (uint32_t w : p.ext_words) put32(f, w);
  }
  append(f, filler(p.payload_size, static_cast<uint8_t>(p.seq)));
  return f;
}

Frame rtcp_sr(uint32_t sender_ssrc, const std::vector<ReportBlock>& blocks, uint64_t ntp, uint32_t rtp_ts,
              uint32_t packet_count, uint32_t octet_count) {
  Frame f = rtcp_header(static_cast<uint8_t>(blocks.size()), 200, 24 + 24 * blocks.size());
  put32(f, sender_ssrc);
  put64(f, ntp);
  put32(f, rtp_ts);
  put32(f, packet_count);
  put32(f, octet_count);
  for (const auto& b : blocks) put_block(f, b);
  return f;
}

Frame rtcp_rr(uint32_t sender_ssrc, const std::vector<ReportBlock>& blocks) {
  Frame f = rtcp_header(static_cast<uint8_t>(blocks.size()), 201, 4 + 24 * blocks.size());
  put32(f, sender_ssrc);
  for (const auto& b : blocks) put_block(f, b);
  return f;
}

Frame rtcp_sdes_cname(uint32_t ssrc, const std::string& cname) {
  Frame chunk;
  put32(chunk, ssrc);
  put8(chunk, 1);  // CNAME
  put8(chunk, static_cast<uint8_t>(cname.size()));
  append(chunk, reinterpret_cast<const uint8_t*>(cname.data()), cname.size());
  put8(chunk, 0);  // end of items
  pad_to(chunk, 4);
  Frame f = rtcp_header(1, 202, chunk.size());
  append(f, chunk);
  return f;
}

Frame rtcp_nack(uint32_t sender_ssrc, uint32_t media_ssrc, uint16_t pid, uint16_t blp) {
  Frame f = rtcp_header(1, 205, 12);
  put32(f, sender_ssrc);
  put32(f, media_ssrc);
  put16(f, pid);
  put16(f, blp);
  return f;
}

Frame rtcp_pli(uint32_t sender_ssrc, uint32_t media_ssrc) {
  Frame f = rtcp_header(1, 206, 8);
  put32(f, sender_ssrc);
  put32(f, media_ssrc);
  return f;
}

Frame rtcp_fir(uint32_t sender_ssrc, const std::vector<uint32_t>& media) {
  Frame f = rtcp_header(4, 206, 8 + 8 * media.size());
  put32(f, sender_ssrc);
  put32(f, 0);  // media source: unused, the FCI names the SSRCs
  uint8_t seq = 1;
  for (uint32_t m : media) {
    put32(f, m);
    put32(f, uint32_t{seq++} << 24);
  }
  return f;
}

Frame rtcp_remb(uint32_t sender_ssrc, uint32_t mantissa, uint8_t exp, const std::vector<uint32_t>& media) {
  Frame f = rtcp_header(15, 206, 16 + 4 * media.size());
  put32(f, sender_ssrc);
  put32(f, 0);
  for (char c : {'R', 'E', 'M', 'B'}) put8(f, static_cast<uint8_t>(c));
  put8(f, static_cast<uint8_t>(media.size()));
  put24(f, uint32_t{exp} << 18 | (mantissa & 0x3ffff));
  for (uint32_t m : media) put32(f, m);
  return f;
}

Frame rtcp_transport_cc(uint32_t sender_ssrc, uint32_t media_ssrc) {
  Frame f = rtcp_header(15, 205, 16);
  put32(f, sender_ssrc);
  put32(f, media_ssrc);
  put32(f, 0x00010000);  // base sequence 1, status count 0
  put32(f, 0);           // reference time 0, feedback packet count 0
  return f;
}

Frame rtcp_bye(const std::vector<uint32_t>& ssrcs) {
  Frame f = rtcp_header(static_cast<uint8_t>(ssrcs.size()), 203, 4 * ssrcs.size());
  for (uint32_t s : ssrcs) put32(f, s);
  return f;
}

Frame stun_binding_request(bool rfc5389, const Frame& attributes) {
  Frame f;
  put16(f, 0x0001);
  put16(f, static_cast<uint16_t>(attributes.size()));
  if (rfc5389) {
    put32(f, 0x2112A442);
    append(f, filler(12, 0x30));
  } else {
    append(f, filler(16, 0x30));
  }
  append(f, attributes);
  return f;
}

Frame stun_message(uint16_t type, uint8_t tid, const Frame& attributes) {
  Frame f;
  put16(f, type);
  put16(f, static_cast<uint16_t>(attributes.size()));
  put32(f, 0x2112A442);
  append(f, Frame(12, tid));
  append(f, attributes);
  return f;
}

Frame stun_attribute(uint16_t type, const Frame& value) {
  Frame f = type_length_value(type, value);
  pad_to(f, 4);
  return f;
}

Frame dtls_record(uint8_t content_type, uint16_t version, const Frame& fragment, uint16_t epoch, uint64_t seq) {
  Frame f;
  put8(f, content_type);
  put16(f, version);
  put16(f, epoch);
  put16(f, static_cast<uint16_t>(seq >> 32));
  put32(f, static_cast<uint32_t>(seq));
  put16(f, static_cast<uint16_t>(fragment.size()));
  append(f, fragment);
  return f;
}

Frame dtls_fragment(uint8_t msg_type, uint32_t length, uint16_t message_seq, uint32_t offset, const Frame& bytes) {
  Frame f;
  put8(f, msg_type);
  put8(f, static_cast<uint8_t>(length >> 16));
  put16(f, static_cast<uint16_t>(length));
  put16(f, message_seq);
  put8(f, static_cast<uint8_t>(offset >> 16));
  put16(f, static_cast<uint16_t>(offset));
  put8(f, static_cast<uint8_t>(bytes.size() >> 16));
  put16(f, static_cast<uint16_t>(bytes.size()));
  append(f, bytes);
  return f;
}

Frame from_hex(const std::string& hex) {
  Frame out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

Frame turn_channel_data(uint16_t channel, const Frame& data) { return type_length_value(channel, data); }

Frame zrtp_packet(uint16_t seq, uint32_t ssrc, size_t message_size) {
  Frame f;
  put16(f, 0x1000);
  put16(f, seq);
  put32(f, 0x5a525450);  // "ZRTP"
  put32(f, ssrc);
  append(f, filler(message_size));
  return f;
}

Frame eth_udp(const Endpoint& src, const Endpoint& dst, const Frame& payload) {
  Frame l4 = udp(src.port, dst.port, payload);
  if (src.family == 6) {
    Ipv6Header h;
    std::copy(src.addr.begin(), src.addr.end(), h.src.begin());
    std::copy(dst.addr.begin(), dst.addr.end(), h.dst.begin());
    return ethernet(kEtherIpv6, ipv6(h, l4));
  }
  Ipv4Header h;
  std::copy_n(src.addr.begin(), 4, h.src.begin());
  std::copy_n(dst.addr.begin(), 4, h.dst.begin());
  return ethernet(kEtherIpv4, ipv4(h, l4));
}

}  // namespace wcstap::test
