// Ethernet / IPv4 / UDP / TCP / ICMP frame builders.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "bytes.h"

namespace wcsgen {

struct Ipv4Addr {
  std::uint32_t v = 0;

  static constexpr Ipv4Addr of(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return Ipv4Addr{(std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d};
  }
  std::string str() const;
  auto operator<=>(const Ipv4Addr&) const = default;
};

struct Endpoint {
  Ipv4Addr ip;
  std::uint16_t port = 0;

  std::string str() const;  // "a.b.c.d:port"
  auto operator<=>(const Endpoint&) const = default;
};

using Mac = std::array<std::uint8_t, 6>;

inline constexpr std::uint8_t kIpProtoIcmp = 1;
inline constexpr std::uint8_t kIpProtoTcp = 6;
inline constexpr std::uint8_t kIpProtoUdp = 17;
inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;

namespace tcpflag {
inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;
}  // namespace tcpflag

struct TcpHeader {
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  Bytes options;  // must be a multiple of 4 bytes
};

struct Ipv4Header {
  Ipv4Addr src;
  Ipv4Addr dst;
  std::uint8_t proto = 0;
  std::uint8_t ttl = 64;
  std::uint16_t id = 0;
  bool dont_fragment = true;
};

// RFC 1071 one's-complement sum, folded and inverted.
std::uint16_t internet_checksum(ByteView data, std::uint32_t initial = 0);

// UDP header + payload, checksum computed over the IPv4 pseudo-header.
Bytes udp_datagram(const Endpoint& src, const Endpoint& dst, ByteView payload);

// TCP header (+ options) + payload, checksum computed over the pseudo-header.
Bytes tcp_segment(const Endpoint& src, const Endpoint& dst, const TcpHeader& h, ByteView payload);

// ICMP (RFC 792) type 3: destination unreachable.
inline constexpr std::uint8_t kIcmpDestUnreachable = 3;
inline constexpr std::uint8_t kIcmpPortUnreachable = 3;  // its code for a closed UDP port

// An ICMP error message: type, code, checksum, 4 unused bytes (zero), then `quote` (icmp_quote).
Bytes icmp_error(std::uint8_t type, std::uint8_t code, ByteView quote);

// What an ICMP error quotes of the IPv4 packet `ip_packet` (RFC 792): its header as the answering
// host received it, the TTL `hops` lower and the header checksum updated, as the routers on the
// way left it, then the first 8 bytes of its data (a UDP or TCP header's ports).
Bytes icmp_quote(ByteView ip_packet, std::uint8_t hops);

// IPv4 header (no options, correct header checksum) + transport bytes.
Bytes ipv4_packet(const Ipv4Header& h, ByteView transport);

// Ethernet II header + payload (no FCS).
Bytes ethernet_frame(const Mac& dst, const Mac& src, std::uint16_t ethertype, ByteView payload);

}  // namespace wcsgen
