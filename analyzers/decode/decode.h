// L2-L4 decoding of one captured frame, bounds-checked. No allocation, no side effects.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "event.h"

namespace wcstap {

enum class LinkType : uint8_t { Ethernet, LinuxSll, LinuxSll2, RawIp, Null };
// Maps a pcap DLT/LINKTYPE number; nullopt for link types wcstap does not decode.
std::optional<LinkType> link_type_from_dlt(int dlt);
const char* link_type_name(LinkType l);

// Why a frame was dropped as invalid. Stable dotted names (decode_error_name) appear in summaries.
enum class DecodeError : uint8_t {
  None = 0,
  EthTruncated, VlanTruncated, PppoeTruncated, SllTruncated, Sll2Truncated, NullTruncated,
  NullBadFamily,
  Ipv4Truncated, Ipv4BadVersion, Ipv4BadHeaderLength, Ipv4BadTotalLength,
  Ipv6Truncated, Ipv6BadVersion, Ipv6ExtTruncated,
  UdpTruncated, UdpBadLength, TcpTruncated, TcpBadOffset, IcmpTruncated, Icmpv6Truncated,
  Count
};
constexpr unsigned kDecodeErrorCount = static_cast<unsigned>(DecodeError::Count);
const char* decode_error_name(DecodeError e);  // e.g. "ipv4.truncated"

enum class DecodeStatus : uint8_t { Ok, NotIp, Invalid };

struct DecodedPacket {
  uint8_t ip_version = 0;
  uint8_t vlan_tags = 0;
  L4 l4 = L4::Other;
  uint8_t ip_proto = 0;            // the final L4 protocol number
  Endpoint src, dst;               // ports 0 where the protocol has none
  bool fragment = false;           // part of a fragmented IP datagram
  bool first_fragment = false;     // ... and the one carrying the L4 header
  bool ip_options = false;         // IPv4 options present
  uint8_t tcp_flags = 0;
  uint32_t tcp_seq = 0;
  uint32_t tcp_ack = 0;
  uint16_t tcp_window = 0;         // as sent (unscaled): 0 is a zero window whatever the scale
  uint32_t tcp_payload_len = 0;    // TCP payload bytes on the wire (l4_payload may be cut by snaplen)
  uint8_t icmp_type = 0, icmp_code = 0;
  uint32_t ip_len = 0;             // IP total length (header + payload) per the header
  std::span<const uint8_t> l4_payload;   // UDP/TCP payload as captured; ICMP: bytes after the 8-byte header
};

// The datagram an ICMP/ICMPv6 error quotes (RFC 792 / 4443: its IP header and at least 8 bytes
// of what followed): its endpoints, ports included, and protocol. False when the quote is too short
// for that. No IPv6 extension headers are walked: a quote with one names its protocol only.
bool decode_icmp_quote(std::span<const uint8_t> quote, Endpoint& src, Endpoint& dst, uint8_t& proto);

// Decodes the frame. On Invalid, `err` names why. NotIp is not an error (ARP, STP, ...).
DecodeStatus decode_packet(LinkType link, std::span<const uint8_t> frame, DecodedPacket& out,
                           DecodeError& err);

}  // namespace wcstap
