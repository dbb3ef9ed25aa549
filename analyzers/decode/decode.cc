#include "decode/decode.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "decode/bytes.h"

namespace wcstap {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint16_t kEtherQinQOld = 0x9100;
constexpr uint16_t kEtherPppoeSession = 0x8864;
constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;

struct Decoder {
  DecodedPacket& out;
  DecodeError& err;
  size_t l4_wire = 0;  // L4 bytes on the wire, per the IP header

  DecodeStatus invalid(DecodeError e) {
    err = e;
    return DecodeStatus::Invalid;
  }

  // L3 by ethertype, after any link header.
  DecodeStatus ethertype(uint16_t type, Bytes b) {
    switch (type) {
      case kEtherIpv4: return ipv4(b);
      case kEtherIpv6: return ipv6(b);
      default: return DecodeStatus::NotIp;
    }
  }

  DecodeStatus ethernet(Bytes b) {
    if (!has(b, 0, 14)) return invalid(DecodeError::EthTruncated);
    uint16_t type = be16(&b[12]);
    size_t off = 14;
    while (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) {
      if (!has(b, off, 4)) return invalid(DecodeError::VlanTruncated);
      ++out.vlan_tags;
      type = be16(&b[off + 2]);
      off += 4;
    }
    if (type == kEtherPppoeSession) {
      // PPPoE header (6) + PPP protocol (2); other PPP protocols (LCP, IPCP...) are not IP.
      if (!has(b, off, 8)) return invalid(DecodeError::PppoeTruncated);
      uint16_t ppp = be16(&b[off + 6]);
      off += 8;
      if (ppp == kPppIpv4) return ipv4(b.subspan(off));
      if (ppp == kPppIpv6) return ipv6(b.subspan(off));
      return DecodeStatus::NotIp;
    }
    return ethertype(type, b.subspan(off));
  }

  DecodeStatus sll(Bytes b) {
    if (!has(b, 0, 16)) return invalid(DecodeError::SllTruncated);
    return ethertype(be16(&b[14]), b.subspan(16));
  }

  DecodeStatus sll2(Bytes b) {
    if (!has(b, 0, 20)) return invalid(DecodeError::Sll2Truncated);
    return ethertype(be16(&b[0]), b.subspan(20));
  }

  DecodeStatus raw(Bytes b) {
    if (b.empty()) return invalid(DecodeError::Ipv4Truncated);
    switch (b[0] >> 4) {
      case 4: return ipv4(b);
      case 6: return ipv6(b);
      default: return invalid(DecodeError::Ipv4BadVersion);
    }
  }

  // BSD loopback: a 4-byte address family in the capturing host's byte order.
  DecodeStatus null_link(Bytes b) {
    if (!has(b, 0, 4)) return invalid(DecodeError::NullTruncated);
    uint32_t fam = le32(&b[0]);
    if (fam > 0xffff) fam = be32(&b[0]);
    Bytes rest = b.subspan(4);
    if (fam == 2) return ipv4(rest);
    if (fam == 10 || fam == 24 || fam == 28 || fam == 30) return ipv6(rest);
    return invalid(DecodeError::NullBadFamily);
  }

  DecodeStatus ipv4(Bytes b) {
    if (!has(b, 0, 20)) return invalid(DecodeError::Ipv4Truncated);
    if ((b[0] >> 4) != 4) return invalid(DecodeError::Ipv4BadVersion);
    size_t ihl = size_t{b[0] & 0x0fu} * 4;
    if (ihl < 20) return invalid(DecodeError::Ipv4BadHeaderLength);
    if (!has(b, 0, ihl)) return invalid(DecodeError::Ipv4Truncated);
    size_t total = be16(&b[2]);
    // Captured on the sending host with segmentation offload, the length is still 0: what was
    // captured is the datagram.
    if (total == 0) total = b.size();
    if (total < ihl) return invalid(DecodeError::Ipv4BadTotalLength);
    out.ip_version = 4;
    out.ip_len = static_cast<uint32_t>(total);
    out.ip_options = ihl > 20;
    out.ip_proto = b[9];
    out.src.family = out.dst.family = 4;
    std::memcpy(out.src.addr.data(), &b[12], 4);
    std::memcpy(out.dst.addr.data(), &b[16], 4);
    uint16_t frag = be16(&b[6]);
    bool more = frag & 0x2000;
    uint16_t offset = frag & 0x1fff;
    out.fragment = more || offset != 0;
    out.first_fragment = out.fragment && offset == 0;
    // Ethernet padding beyond the datagram is not payload; a capture cut short (snaplen) keeps
    // what it has.
    Bytes payload = b.subspan(ihl, std::min(b.size(), total) - ihl);
    l4_wire = total - ihl;
    if (out.fragment && !out.first_fragment) {
      out.l4 = l4_of(out.ip_proto);
      return DecodeStatus::Ok;
    }
    return l4(out.ip_proto, payload);
  }

  DecodeStatus ipv6(Bytes b) {
    if (!has(b, 0, 40)) return invalid(DecodeError::Ipv6Truncated);
    if ((b[0] >> 4) != 6) return invalid(DecodeError::Ipv6BadVersion);
    size_t plen = be16(&b[4]);
    out.ip_version = 6;
    out.ip_len = static_cast<uint32_t>(40 + plen);
    out.src.family = out.dst.family = 6;
    std::memcpy(out.src.addr.data(), &b[8], 16);
    std::memcpy(out.dst.addr.data(), &b[24], 16);
    Bytes rest = b.subspan(40, std::min(b.size() - 40, plen));
    l4_wire = plen;
    uint8_t next = b[6];
    bool later_fragment = false;
    for (int guard = 0; guard < 16; ++guard) {
      size_t hlen;
      switch (next) {
        case 0: case 43: case 60:  // hop-by-hop, routing, destination options
          if (!has(rest, 0, 2)) return invalid(DecodeError::Ipv6ExtTruncated);
          hlen = (size_t{rest[1]} + 1) * 8;
          break;
        case 44: {  // fragment
          if (!has(rest, 0, 8)) return invalid(DecodeError::Ipv6ExtTruncated);
          uint16_t fo = be16(&rest[2]);
          out.fragment = true;
          out.first_fragment = (fo & 0xfff8) == 0;
          later_fragment = !out.first_fragment;
          hlen = 8;
          break;
        }
        case 51:  // authentication header
          if (!has(rest, 0, 2)) return invalid(DecodeError::Ipv6ExtTruncated);
          hlen = (size_t{rest[1]} + 2) * 4;
          break;
        default:
          hlen = 0;
      }
      if (hlen == 0) break;
      if (!has(rest, 0, hlen)) return invalid(DecodeError::Ipv6ExtTruncated);
      next = rest[0];
      rest = rest.subspan(hlen);
      l4_wire = l4_wire > hlen ? l4_wire - hlen : 0;
    }
    out.ip_proto = next;
    if (later_fragment) {
      out.l4 = l4_of(next);
      return DecodeStatus::Ok;
    }
    return l4(next, rest);
  }

  static L4 l4_of(uint8_t proto) {
    switch (proto) {
      case 1: return L4::Icmp;
      case 6: return L4::Tcp;
      case 17: return L4::Udp;
      case 58: return L4::Icmpv6;
      default: return L4::Other;
    }
  }

  DecodeStatus l4(uint8_t proto, Bytes b) {
    out.l4 = l4_of(proto);
    switch (out.l4) {
      case L4::Udp: {
        if (!has(b, 0, 8)) return invalid(DecodeError::UdpTruncated);
        size_t ulen = be16(&b[4]);
        if (ulen < 8 && !out.fragment) return invalid(DecodeError::UdpBadLength);
        out.src.port = be16(&b[0]);
        out.dst.port = be16(&b[2]);
        // A first fragment or a snaplen-cut capture carries less than the UDP length says.
        size_t avail = b.size() - 8;
        out.l4_payload = b.subspan(8, ulen >= 8 ? std::min(avail, ulen - 8) : avail);
        return DecodeStatus::Ok;
      }
      case L4::Tcp: {
        if (!has(b, 0, 20)) return invalid(DecodeError::TcpTruncated);
        size_t doff = static_cast<size_t>(b[12] >> 4) * 4;
        if (doff < 20) return invalid(DecodeError::TcpBadOffset);
        if (!has(b, 0, doff)) return invalid(DecodeError::TcpTruncated);
        out.src.port = be16(&b[0]);
        out.dst.port = be16(&b[2]);
        out.tcp_flags = b[13];
        out.tcp_seq = be32(&b[4]);
        out.tcp_ack = be32(&b[8]);
        out.tcp_window = be16(&b[14]);
        out.l4_payload = b.subspan(doff);
        // What the segment carried on the wire, which a capture's snaplen may have cut: sequence
        // numbers advance by this.
        out.tcp_payload_len = static_cast<uint32_t>(std::max(l4_wire, doff) - doff);
        return DecodeStatus::Ok;
      }
      case L4::Icmp:
      case L4::Icmpv6: {
        if (!has(b, 0, 8))
          return invalid(out.l4 == L4::Icmp ? DecodeError::IcmpTruncated : DecodeError::Icmpv6Truncated);
        out.icmp_type = b[0];
        out.icmp_code = b[1];
        out.l4_payload = b.subspan(8);
        return DecodeStatus::Ok;
      }
      case L4::Other:
        out.l4_payload = b;
        return DecodeStatus::Ok;
    }
    return DecodeStatus::Ok;
  }
};

}  // namespace

bool decode_icmp_quote(std::span<const uint8_t> q, Endpoint& src, Endpoint& dst, uint8_t& proto) {
  if (q.empty()) return false;
  src = dst = Endpoint{};
  size_t l4_at = 0;
  if ((q[0] >> 4) == 4) {
    l4_at = size_t{q[0] & 0x0fu} * 4;
    if (l4_at < 20 || !has(q, 0, 20)) return false;
    proto = q[9];
    src.family = dst.family = 4;
    std::copy(&q[12], &q[16], src.addr.begin());
    std::copy(&q[16], &q[20], dst.addr.begin());
  } else if ((q[0] >> 4) == 6) {
    l4_at = 40;
    if (!has(q, 0, 40)) return false;
    proto = q[6];
    src.family = dst.family = 6;
    std::copy(&q[8], &q[24], src.addr.begin());
    std::copy(&q[24], &q[40], dst.addr.begin());
  } else {
    return false;
  }
  if ((proto == 6 || proto == 17) && has(q, l4_at, 4)) {
    src.port = be16(&q[l4_at]);
    dst.port = be16(&q[l4_at + 2]);
  }
  return true;
}

std::optional<LinkType> link_type_from_dlt(int dlt) {
  switch (dlt) {
    case 1: return LinkType::Ethernet;         // EN10MB
    case 113: return LinkType::LinuxSll;       // LINUX_SLL
    case 276: return LinkType::LinuxSll2;      // LINUX_SLL2
    case 12: case 14: case 101: case 228: case 229: return LinkType::RawIp;  // RAW, IPV4, IPV6
    case 0: case 108: return LinkType::Null;   // NULL, LOOP
    default: return std::nullopt;
  }
}

const char* link_type_name(LinkType l) {
  switch (l) {
    case LinkType::Ethernet: return "ethernet";
    case LinkType::LinuxSll: return "linux-sll";
    case LinkType::LinuxSll2: return "linux-sll2";
    case LinkType::RawIp: return "raw-ip";
    case LinkType::Null: return "null";
  }
  return "unknown";
}

const char* decode_error_name(DecodeError e) {
  static constexpr std::array<const char*, kDecodeErrorCount> kNames{
      "none",
      "eth.truncated", "vlan.truncated", "pppoe.truncated", "sll.truncated", "sll2.truncated",
      "null.truncated", "null.bad_family",
      "ipv4.truncated", "ipv4.bad_version", "ipv4.bad_header_length", "ipv4.bad_total_length",
      "ipv6.truncated", "ipv6.bad_version", "ipv6.ext_truncated",
      "udp.truncated", "udp.bad_length", "tcp.truncated", "tcp.bad_offset", "icmp.truncated",
      "icmpv6.truncated"};
  auto i = static_cast<unsigned>(e);
  return i < kNames.size() ? kNames[i] : "unknown";
}

// `out = DecodedPacket{}` member by member: GCC clears the 88-byte aggregate with `rep stosq`,
// whose start-up took a tenth of the decode of a frame; single stores cost a few cycles.
static void clear_decoded(DecodedPacket& out) {
  static_assert(sizeof(DecodedPacket) == 88, "a member added to DecodedPacket must be cleared here too");
  out.ip_version = 0;
  out.vlan_tags = 0;
  out.l4 = L4::Other;
  out.ip_proto = 0;
  out.src = Endpoint{};
  out.dst = Endpoint{};
  out.fragment = out.first_fragment = out.ip_options = false;
  out.tcp_flags = 0;
  out.tcp_seq = out.tcp_ack = 0;
  out.tcp_window = 0;
  out.tcp_payload_len = 0;
  out.icmp_type = out.icmp_code = 0;
  out.ip_len = 0;
  out.l4_payload = {};
}

// The frame nearly every capture is made of: Ethernet, no VLAN tag, IPv4 without options or
// fragmentation, UDP. Decoded in one pass with the checks the general path makes on it (same
// result); false, with `out` untouched, when the frame is anything else or fails a check.
static bool decode_ethernet_ipv4_udp(Bytes b, DecodedPacket& out) {
  constexpr size_t kEth = 14, kIp = 20, kUdp = 8;
  if (b.size() < kEth + kIp + kUdp || be16(&b[12]) != kEtherIpv4 || b[kEth] != 0x45 || b[kEth + 9] != 17)
    return false;
  const size_t total = be16(&b[kEth + 2]);  // 0 (segmentation offload) takes the general path
  const size_t ulen = be16(&b[kEth + kIp + 4]);
  if ((be16(&b[kEth + 6]) & 0x3fff) != 0 || total < kIp + kUdp || ulen < kUdp) return false;
  const size_t avail = std::min(b.size() - kEth, total) - kIp - kUdp;
  clear_decoded(out);  // then what this frame sets
  out.ip_version = 4;
  out.l4 = L4::Udp;
  out.ip_proto = 17;
  std::memcpy(out.src.addr.data(), &b[kEth + 12], 4);
  std::memcpy(out.dst.addr.data(), &b[kEth + 16], 4);
  out.src.family = out.dst.family = 4;
  out.src.port = be16(&b[kEth + kIp]);
  out.dst.port = be16(&b[kEth + kIp + 2]);
  out.ip_len = static_cast<uint32_t>(total);
  out.l4_payload = b.subspan(kEth + kIp + kUdp, std::min(avail, ulen - kUdp));
  return true;
}

// Every other frame, through the general decoder. Out of line, so that the fast path needs no
// stack frame.
[[gnu::noinline]] static DecodeStatus decode_any(LinkType link, Bytes frame, DecodedPacket& out, DecodeError& err) {
  clear_decoded(out);
  Decoder d{out, err};
  switch (link) {
    case LinkType::Ethernet: return d.ethernet(frame);
    case LinkType::LinuxSll: return d.sll(frame);
    case LinkType::LinuxSll2: return d.sll2(frame);
    case LinkType::RawIp: return d.raw(frame);
    case LinkType::Null: return d.null_link(frame);
  }
  return DecodeStatus::NotIp;
}

DecodeStatus decode_packet(LinkType link, std::span<const uint8_t> frame, DecodedPacket& out,
                           DecodeError& err) {
  err = DecodeError::None;
  if (link == LinkType::Ethernet && decode_ethernet_ipv4_udp(frame, out)) [[likely]]
    return DecodeStatus::Ok;
  return decode_any(link, frame, out, err);
}

}  // namespace wcstap
