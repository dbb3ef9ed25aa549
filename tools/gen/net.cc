#include "net.h"

#include <cstdio>
#include <stdexcept>

namespace wcsgen {

std::string Ipv4Addr::str() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", (v >> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
  return buf;
}

std::string Endpoint::str() const { return ip.str() + ":" + std::to_string(port); }

namespace {

std::uint32_t sum16(ByteView data, std::uint32_t acc) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) acc += static_cast<std::uint32_t>((data[i] << 8) | data[i + 1]);
  if (i < data.size()) acc += static_cast<std::uint32_t>(data[i] << 8);
  return acc;
}

std::uint32_t pseudo_header_sum(Ipv4Addr src, Ipv4Addr dst, std::uint8_t proto, std::size_t len) {
  std::uint32_t acc = 0;
  acc += src.v >> 16;
  acc += src.v & 0xffff;
  acc += dst.v >> 16;
  acc += dst.v & 0xffff;
  acc += proto;
  acc += static_cast<std::uint32_t>(len);
  return acc;
}

}  // namespace

std::uint16_t internet_checksum(ByteView data, std::uint32_t initial) {
  std::uint32_t acc = sum16(data, initial);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc);
}

Bytes udp_datagram(const Endpoint& src, const Endpoint& dst, ByteView payload) {
  const std::size_t len = 8 + payload.size();
  if (len > 0xffff) throw std::length_error("UDP datagram too large");
  Bytes b;
  b.reserve(len);
  put16(b, src.port);
  put16(b, dst.port);
  put16(b, static_cast<std::uint16_t>(len));
  put16(b, 0);
  append(b, payload);
  std::uint16_t sum = internet_checksum(b, pseudo_header_sum(src.ip, dst.ip, kIpProtoUdp, len));
  set16(b, 6, sum == 0 ? 0xffff : sum);
  return b;
}

Bytes tcp_segment(const Endpoint& src, const Endpoint& dst, const TcpHeader& h, ByteView payload) {
  if (h.options.size() % 4 != 0 || h.options.size() > 40) throw std::invalid_argument("bad TCP options");
  const std::size_t hdr_len = 20 + h.options.size();
  Bytes b;
  b.reserve(hdr_len + payload.size());
  put16(b, src.port);
  put16(b, dst.port);
  put32(b, h.seq);
  put32(b, h.ack);
  put8(b, static_cast<std::uint8_t>((hdr_len / 4) << 4));
  put8(b, h.flags);
  put16(b, h.window);
  put16(b, 0);  // checksum
  put16(b, 0);  // urgent pointer
  append(b, h.options);
  append(b, payload);
  set16(b, 16, internet_checksum(b, pseudo_header_sum(src.ip, dst.ip, kIpProtoTcp, b.size())));
  return b;
}

Bytes icmp_error(std::uint8_t type, std::uint8_t code, ByteView quote) {
  Bytes b;
  b.reserve(8 + quote.size());
  put8(b, type);
  put8(b, code);
  put16(b, 0);  // checksum
  put32(b, 0);  // unused (the next-hop MTU only for "fragmentation needed")
  append(b, quote);
  set16(b, 2, internet_checksum(b));  // over the message alone: ICMP has no pseudo-header
  return b;
}

Bytes icmp_quote(ByteView ip_packet, std::uint8_t hops) {
  constexpr std::size_t kHeaderLen = 20, kDataLen = 8;
  if (ip_packet.size() < kHeaderLen + kDataLen || (ip_packet[0] & 0x0f) != 5)
    throw std::invalid_argument("ICMP quote of a short IPv4 packet or one with options");
  Bytes b(ip_packet.begin(), ip_packet.begin() + kHeaderLen + kDataLen);
  if (b[8] <= hops) throw std::invalid_argument("ICMP quote of a packet whose TTL runs out on the way");
  b[8] = static_cast<std::uint8_t>(b[8] - hops);
  set16(b, 10, 0);
  set16(b, 10, internet_checksum(ByteView(b.data(), kHeaderLen)));
  return b;
}

Bytes ipv4_packet(const Ipv4Header& h, ByteView transport) {
  const std::size_t total = 20 + transport.size();
  if (total > 0xffff) throw std::length_error("IPv4 packet too large");
  Bytes b;
  b.reserve(total);
  put8(b, 0x45);  // version 4, IHL 5
  put8(b, 0);     // DSCP/ECN
  put16(b, static_cast<std::uint16_t>(total));
  put16(b, h.id);
  put16(b, h.dont_fragment ? 0x4000 : 0);
  put8(b, h.ttl);
  put8(b, h.proto);
  put16(b, 0);  // checksum
  put32(b, h.src.v);
  put32(b, h.dst.v);
  set16(b, 10, internet_checksum(ByteView(b.data(), 20)));
  append(b, transport);
  return b;
}

Bytes ethernet_frame(const Mac& dst, const Mac& src, std::uint16_t ethertype, ByteView payload) {
  Bytes b;
  b.reserve(14 + payload.size());
  append(b, dst);
  append(b, src);
  put16(b, ethertype);
  append(b, payload);
  return b;
}

}  // namespace wcsgen
