// Builds captured frames from parts, for tests: link header(ip(l4(payload))). Every builder returns
// the bytes of its layer followed by what it wraps. Fields a test does not set take plausible
// defaults; the *_override fields exist to build malformed headers on purpose.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "event.h"

namespace wcstap::test {

using Frame = std::vector<uint8_t>;
using Ip4 = std::array<uint8_t, 4>;
using Ip6 = std::array<uint8_t, 16>;

Ip4 ip4(const char* text);
Ip6 ip6(const char* text);
// An endpoint as the decoder reports it; the family follows the text ("10.0.0.1", "2001:db8::1").
Endpoint endpoint(const char* addr, uint16_t port);

Frame concat(const Frame& a, const Frame& b);

// ---- link layers -------------------------------------------------------------------------------

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint16_t kEtherQinQOld = 0x9100;
constexpr uint16_t kEtherPppoeDiscovery = 0x8863;
constexpr uint16_t kEtherPppoeSession = 0x8864;
constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;
constexpr uint16_t kPppLcp = 0xc021;

struct VlanTag {
  uint16_t tpid = kEtherVlan;  // 0x8100, or 0x88a8 / 0x9100 for the outer tag of QinQ
  uint16_t vid = 0;
};

// Ethernet II: 12 bytes of MAC addresses, the tags outermost first, the ethertype. `min_size`
// pads the frame with zeros up to that size (60: the Ethernet minimum without FCS).
Frame ethernet(uint16_t ethertype, const Frame& payload, const std::vector<VlanTag>& tags = {},
               size_t min_size = 0);
// PPPoE session header (6 bytes) and the PPP protocol (2): the body of ethertype 0x8864.
Frame pppoe_session(uint16_t ppp_protocol, const Frame& payload);
// Linux cooked capture v1 (16 bytes, protocol last) and v2 (20 bytes, protocol first).
Frame linux_sll(uint16_t protocol, const Frame& payload);
Frame linux_sll2(uint16_t protocol, const Frame& payload);

enum class ByteOrder { Little, Big };
// BSD loopback (DLT_NULL): the address family as a 4-byte word in the capturing host's order.
// AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).
Frame bsd_loopback(uint32_t family, const Frame& payload, ByteOrder order = ByteOrder::Little);

// ---- IP ----------------------------------------------------------------------------------------

constexpr uint8_t kIpProtoIcmp = 1;
constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;
constexpr uint8_t kIpProtoGre = 47;
constexpr uint8_t kIpProtoIcmpv6 = 58;

struct Ipv4Header {
  Ip4 src{10, 0, 0, 1};
  Ip4 dst{10, 0, 0, 2};
  uint8_t proto = kIpProtoUdp;
  uint8_t ttl = 64;
  uint16_t id = 1;
  std::vector<uint8_t> options{};  // zero-padded to a multiple of 4
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t fragment_offset = 0;  // in 8-byte units
  std::optional<uint8_t> version_override{};
  std::optional<uint8_t> ihl_override{};  // in 32-bit words
  std::optional<uint16_t> total_length_override{};
};
Frame ipv4(const Ipv4Header& h, const Frame& payload);  // with a correct header checksum

// An IPv6 extension header, complete except for its first byte (the next header), which ipv6()
// fills in when it chains the headers.
struct Ipv6Ext {
  uint8_t type = 0;
  Frame bytes{};
};
constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6Auth = 51;
constexpr uint8_t kIpv6DestOptions = 60;
// Hop-by-hop / destination options of `size` bytes (a multiple of 8), padded with Pad1 options.
Ipv6Ext ipv6_hop_by_hop(size_t size = 8);
Ipv6Ext ipv6_destination_options(size_t size = 8);
// A type 0 routing header listing `addresses`.
Ipv6Ext ipv6_routing(const std::vector<Ip6>& addresses);
Ipv6Ext ipv6_fragment(uint16_t offset_units, bool more, uint32_t id = 0x1234);
Ipv6Ext ipv6_auth_header(size_t icv_size = 12);

struct Ipv6Header {
  Ip6 src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Ip6 dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  uint8_t proto = kIpProtoUdp;  // the upper-layer protocol after the extension chain
  uint8_t hop_limit = 64;
  std::vector<Ipv6Ext> ext{};
  std::optional<uint8_t> version_override{};
  std::optional<uint16_t> payload_length_override{};
};
Frame ipv6(const Ipv6Header& h, const Frame& payload);

// ---- L4 ----------------------------------------------------------------------------------------

// UDP with checksum 0; the length covers the payload unless overridden.
Frame udp(uint16_t src_port, uint16_t dst_port, const Frame& payload,
          std::optional<uint16_t> length_override = std::nullopt);

constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpAck = 0x10;
struct TcpHeader {
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 1000, ack = 0;
  uint8_t flags = kTcpAck;
  uint16_t window = 65535;
  std::vector<uint8_t> options{};  // zero-padded to a multiple of 4
  std::optional<uint8_t> data_offset_override{};  // in 32-bit words
};
Frame tcp(const TcpHeader& h, const Frame& payload);

// ICMP / ICMPv6: type, code, checksum, 4 bytes of rest-of-header, then `body`.
Frame icmp(uint8_t type, uint8_t code, uint32_t rest, const Frame& body);
Frame icmpv6(uint8_t type, uint8_t code, uint32_t rest, const Frame& body);

// ---- media payloads ----------------------------------------------------------------------------

struct RtpPacket {
  uint8_t version = 2;
  bool padding = false;
  bool marker = false;
  uint8_t pt = 96;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::vector<uint32_t> csrcs{};
  std::optional<uint16_t> ext_profile{};  // a header extension when set (0xBEDE: one-byte form)
  std::vector<uint32_t> ext_words{};
  size_t payload_size = 160;  // filled with a counting pattern
};
Frame rtp(const RtpPacket& p);

struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;  // 24-bit two's complement on the wire
  uint32_t ext_highest_seq = 0;
  uint32_t jitter = 0;
  uint32_t lsr = 0;
  uint32_t dlsr = 0;
};
Frame rtcp_sr(uint32_t sender_ssrc, const std::vector<ReportBlock>& blocks, uint64_t ntp = 0xe9c4a1b200000000ull,
              uint32_t rtp_ts = 0, uint32_t packet_count = 0, uint32_t octet_count = 0);
Frame rtcp_rr(uint32_t sender_ssrc, const std::vector<ReportBlock>& blocks);
Frame rtcp_sdes_cname(uint32_t ssrc, const std::string& cname);
// A generic NACK (RTPFB FMT 1): sent alone, it is a reduced-size RTCP packet (RFC 5506).
Frame rtcp_nack(uint32_t sender_ssrc, uint32_t media_ssrc, uint16_t pid, uint16_t blp);
// PSFB (RFC 4585/5104): picture loss indication; full intra request naming `media` in its FCI;
// REMB (mantissa * 2^exp bit/s) naming `media`. RTPFB FMT 15: transport-cc (one empty chunk).
Frame rtcp_pli(uint32_t sender_ssrc, uint32_t media_ssrc);
Frame rtcp_fir(uint32_t sender_ssrc, const std::vector<uint32_t>& media);
Frame rtcp_remb(uint32_t sender_ssrc, uint32_t mantissa, uint8_t exp, const std::vector<uint32_t>& media);
Frame rtcp_transport_cc(uint32_t sender_ssrc, uint32_t media_ssrc);
Frame rtcp_bye(const std::vector<uint32_t>& ssrcs);

// A STUN Binding Request. RFC 5389 form (magic cookie + 12-byte transaction id) unless `rfc5389`
// is false: then RFC 3489 form (16-byte transaction id). `attributes` are appended as given and
// counted in the length field.
Frame stun_binding_request(bool rfc5389 = true, const Frame& attributes = {});
// An RFC 5389 STUN message of `type` (0x0001 Binding request, 0x0101 success, 0x0111 error,
// 0x0016 Send indication...) whose transaction id is 12 bytes of `tid`, with `attributes` as given.
Frame stun_message(uint16_t type, uint8_t tid, const Frame& attributes = {});
// One STUN attribute: type, length, value, padded to 4 bytes.
Frame stun_attribute(uint16_t type, const Frame& value);
// A DTLS record header (13 bytes) and the fragment.
Frame dtls_record(uint8_t content_type, uint16_t version, const Frame& fragment, uint16_t epoch = 0,
                  uint64_t seq = 0);
// A DTLS handshake fragment: header (type, length, message_seq, offset, fragment length) and bytes.
Frame dtls_fragment(uint8_t msg_type, uint32_t length, uint16_t message_seq, uint32_t offset, const Frame& bytes);
// Bytes from hex text ("16feff..."), as tshark prints a payload.
Frame from_hex(const std::string& hex);
// TURN ChannelData (RFC 8656 section 12.4): channel, length of `data`, `data`.
Frame turn_channel_data(uint16_t channel, const Frame& data);
// A ZRTP packet header (RFC 6189): 0x10, sequence number, the magic cookie "ZRTP", source id.
Frame zrtp_packet(uint16_t seq, uint32_t ssrc, size_t message_size = 16);

// ---- whole frames ------------------------------------------------------------------------------

// Ethernet + IPv4/IPv6 (by the endpoints' family) + UDP + payload.
Frame eth_udp(const Endpoint& src, const Endpoint& dst, const Frame& payload);

}  // namespace wcstap::test
