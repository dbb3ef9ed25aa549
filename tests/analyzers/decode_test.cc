#include "decode/decode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <ostream>
#include <set>
#include <string>

#include "packet_builder.h"

namespace wcstap {
namespace {

using test::Frame;

struct Decoded {
  DecodeStatus status = DecodeStatus::NotIp;
  DecodedPacket pkt;
  DecodeError err = DecodeError::None;
};

Decoded decode(LinkType link, const Frame& f) {
  Decoded d;
  d.status = decode_packet(link, f, d.pkt, d.err);
  return d;
}

constexpr uint16_t kSrcPort = 5004;
constexpr uint16_t kDstPort = 31002;

Frame rtp_payload(size_t payload_size = 160) {
  return test::rtp({.seq = 7, .timestamp = 1000, .ssrc = 0x1a2b3c4d, .payload_size = payload_size});
}

Frame udp4(const Frame& payload, test::Ipv4Header h = {}) {
  return test::ipv4(h, test::udp(kSrcPort, kDstPort, payload));
}

Frame udp6(const Frame& payload, test::Ipv6Header h = {}) {
  return test::ipv6(h, test::udp(kSrcPort, kDstPort, payload));
}

// The payload span must point into the frame at `offset` and cover exactly `payload`.
void expect_payload_at(const Decoded& d, const Frame& frame, size_t offset, const Frame& payload) {
  EXPECT_EQ(d.pkt.l4_payload.data(), frame.data() + offset);
  ASSERT_EQ(d.pkt.l4_payload.size(), payload.size());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), d.pkt.l4_payload.begin()));
}

void expect_v4_udp(const Decoded& d) {
  ASSERT_EQ(d.status, DecodeStatus::Ok) << decode_error_name(d.err);
  EXPECT_EQ(d.pkt.ip_version, 4);
  EXPECT_EQ(d.pkt.l4, L4::Udp);
  EXPECT_EQ(d.pkt.ip_proto, 17);
  EXPECT_EQ(d.pkt.src, test::endpoint("10.0.0.1", kSrcPort));
  EXPECT_EQ(d.pkt.dst, test::endpoint("10.0.0.2", kDstPort));
  EXPECT_FALSE(d.pkt.fragment);
  EXPECT_FALSE(d.pkt.ip_options);
}

void expect_v6_udp(const Decoded& d) {
  ASSERT_EQ(d.status, DecodeStatus::Ok) << decode_error_name(d.err);
  EXPECT_EQ(d.pkt.ip_version, 6);
  EXPECT_EQ(d.pkt.l4, L4::Udp);
  EXPECT_EQ(d.pkt.ip_proto, 17);
  EXPECT_EQ(d.pkt.src, test::endpoint("2001:db8::1", kSrcPort));
  EXPECT_EQ(d.pkt.dst, test::endpoint("2001:db8::2", kDstPort));
  EXPECT_FALSE(d.pkt.fragment);
}

// ---- link types --------------------------------------------------------------------------------

TEST(Decode, EthernetIpv4Udp) {
  Frame payload = rtp_payload();
  Frame f = test::ethernet(test::kEtherIpv4, udp4(payload));
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v4_udp(d);
  EXPECT_EQ(d.pkt.vlan_tags, 0);
  EXPECT_EQ(d.pkt.ip_len, 20u + 8 + payload.size());
  expect_payload_at(d, f, 14 + 20 + 8, payload);
}

TEST(Decode, EthernetIpv6Udp) {
  Frame payload = rtp_payload();
  Frame f = test::ethernet(test::kEtherIpv6, udp6(payload));
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v6_udp(d);
  EXPECT_EQ(d.pkt.ip_len, 40u + 8 + payload.size());
  expect_payload_at(d, f, 14 + 40 + 8, payload);
}

TEST(Decode, LinuxSllIpv4Udp) {
  Frame payload = rtp_payload();
  Frame f = test::linux_sll(test::kEtherIpv4, udp4(payload));
  Decoded d = decode(LinkType::LinuxSll, f);
  expect_v4_udp(d);
  expect_payload_at(d, f, 16 + 20 + 8, payload);
}

TEST(Decode, LinuxSllIpv6Udp) {
  Frame payload = rtp_payload();
  Frame f = test::linux_sll(test::kEtherIpv6, udp6(payload));
  Decoded d = decode(LinkType::LinuxSll, f);
  expect_v6_udp(d);
  expect_payload_at(d, f, 16 + 40 + 8, payload);
}

TEST(Decode, LinuxSll2Ipv4Udp) {
  Frame payload = rtp_payload();
  Frame f = test::linux_sll2(test::kEtherIpv4, udp4(payload));
  Decoded d = decode(LinkType::LinuxSll2, f);
  expect_v4_udp(d);
  expect_payload_at(d, f, 20 + 20 + 8, payload);
}

TEST(Decode, LinuxSll2Ipv6Udp) {
  Frame payload = rtp_payload();
  Frame f = test::linux_sll2(test::kEtherIpv6, udp6(payload));
  Decoded d = decode(LinkType::LinuxSll2, f);
  expect_v6_udp(d);
  expect_payload_at(d, f, 20 + 40 + 8, payload);
}

TEST(Decode, LinuxSllNonIpProtocolIsNotIp) {
  Frame f = test::linux_sll(test::kEtherArp, Frame(28, 0));
  EXPECT_EQ(decode(LinkType::LinuxSll, f).status, DecodeStatus::NotIp);
}

TEST(Decode, RawIpv4Udp) {
  Frame payload = rtp_payload();
  Frame f = udp4(payload);
  Decoded d = decode(LinkType::RawIp, f);
  expect_v4_udp(d);
  expect_payload_at(d, f, 20 + 8, payload);
}

TEST(Decode, RawIpv6Udp) {
  Frame payload = rtp_payload();
  Frame f = udp6(payload);
  Decoded d = decode(LinkType::RawIp, f);
  expect_v6_udp(d);
  expect_payload_at(d, f, 40 + 8, payload);
}

struct LoopbackCase {
  const char* name;
  uint32_t family;
  test::ByteOrder order;
  uint8_t ip_version;
};

void PrintTo(const LoopbackCase& c, std::ostream* os) { *os << c.name; }

class DecodeBsdLoopback : public testing::TestWithParam<LoopbackCase> {};

TEST_P(DecodeBsdLoopback, DecodesFamily) {
  const LoopbackCase& c = GetParam();
  Frame payload = rtp_payload();
  Frame ip = c.ip_version == 4 ? udp4(payload) : udp6(payload);
  Frame f = test::bsd_loopback(c.family, ip, c.order);
  Decoded d = decode(LinkType::Null, f);
  if (c.ip_version == 4)
    expect_v4_udp(d);
  else
    expect_v6_udp(d);
  expect_payload_at(d, f, 4 + (c.ip_version == 4 ? 20 : 40) + 8, payload);
}

INSTANTIATE_TEST_SUITE_P(
    Decode, DecodeBsdLoopback,
    testing::Values(LoopbackCase{"LittleEndianAfInet", 2, test::ByteOrder::Little, 4},
                    LoopbackCase{"LittleEndianAfInet6_24", 24, test::ByteOrder::Little, 6},
                    LoopbackCase{"LittleEndianAfInet6_28", 28, test::ByteOrder::Little, 6},
                    LoopbackCase{"LittleEndianAfInet6_30", 30, test::ByteOrder::Little, 6},
                    LoopbackCase{"BigEndianAfInet", 2, test::ByteOrder::Big, 4},
                    LoopbackCase{"BigEndianAfInet6_24", 24, test::ByteOrder::Big, 6},
                    LoopbackCase{"BigEndianAfInet6_30", 30, test::ByteOrder::Big, 6}),
    [](const testing::TestParamInfo<LoopbackCase>& i) { return std::string(i.param.name); });

TEST(Decode, BsdLoopbackUnknownFamilyIsInvalid) {
  Frame f = test::bsd_loopback(7, udp4(rtp_payload()));
  Decoded d = decode(LinkType::Null, f);
  EXPECT_EQ(d.status, DecodeStatus::Invalid);
  EXPECT_EQ(d.err, DecodeError::NullBadFamily);
}

TEST(Decode, LinkTypeFromDlt) {
  EXPECT_EQ(link_type_from_dlt(1), LinkType::Ethernet);
  EXPECT_EQ(link_type_from_dlt(113), LinkType::LinuxSll);
  EXPECT_EQ(link_type_from_dlt(276), LinkType::LinuxSll2);
  for (int raw : {12, 14, 101, 228, 229}) EXPECT_EQ(link_type_from_dlt(raw), LinkType::RawIp) << raw;
  EXPECT_EQ(link_type_from_dlt(0), LinkType::Null);
  EXPECT_EQ(link_type_from_dlt(108), LinkType::Null);
  EXPECT_EQ(link_type_from_dlt(127), std::nullopt);  // 802.11 radiotap
  EXPECT_EQ(link_type_from_dlt(-1), std::nullopt);
}

TEST(Decode, LinkTypeNames) {
  EXPECT_STREQ(link_type_name(LinkType::Ethernet), "ethernet");
  EXPECT_STREQ(link_type_name(LinkType::LinuxSll), "linux-sll");
  EXPECT_STREQ(link_type_name(LinkType::LinuxSll2), "linux-sll2");
  EXPECT_STREQ(link_type_name(LinkType::RawIp), "raw-ip");
  EXPECT_STREQ(link_type_name(LinkType::Null), "null");
}

// ---- Ethernet encapsulations -------------------------------------------------------------------

TEST(Decode, Vlan8021QCounted) {
  Frame payload = rtp_payload();
  Frame f = test::ethernet(test::kEtherIpv4, udp4(payload), {{test::kEtherVlan, 100}});
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v4_udp(d);
  EXPECT_EQ(d.pkt.vlan_tags, 1);
  expect_payload_at(d, f, 18 + 20 + 8, payload);
}

TEST(Decode, QinQCounted) {
  Frame payload = rtp_payload();
  Frame f = test::ethernet(test::kEtherIpv6, udp6(payload), {{test::kEtherQinQ, 10}, {test::kEtherVlan, 100}});
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v6_udp(d);
  EXPECT_EQ(d.pkt.vlan_tags, 2);
  expect_payload_at(d, f, 22 + 40 + 8, payload);
}

TEST(Decode, LegacyQinQTpidCounted) {
  Frame payload = rtp_payload();
  Frame f = test::ethernet(test::kEtherIpv4, udp4(payload), {{test::kEtherQinQOld, 10}, {test::kEtherVlan, 100}});
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v4_udp(d);
  EXPECT_EQ(d.pkt.vlan_tags, 2);
  expect_payload_at(d, f, 22 + 20 + 8, payload);
}

TEST(Decode, PppoeSessionIpv4) {
  Frame payload = rtp_payload();
  Frame f = test::ethernet(test::kEtherPppoeSession, test::pppoe_session(test::kPppIpv4, udp4(payload)));
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v4_udp(d);
  expect_payload_at(d, f, 14 + 8 + 20 + 8, payload);
}

TEST(Decode, PppoeSessionIpv6) {
  Frame payload = rtp_payload();
  Frame f = test::ethernet(test::kEtherPppoeSession, test::pppoe_session(test::kPppIpv6, udp6(payload)));
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v6_udp(d);
  expect_payload_at(d, f, 14 + 8 + 40 + 8, payload);
}

TEST(Decode, PppoeSessionLcpIsNotIp) {
  Frame f = test::ethernet(test::kEtherPppoeSession, test::pppoe_session(test::kPppLcp, Frame(14, 1)));
  EXPECT_EQ(decode(LinkType::Ethernet, f).status, DecodeStatus::NotIp);
}

TEST(Decode, PppoeDiscoveryIsNotIp) {
  Frame f = test::ethernet(test::kEtherPppoeDiscovery, Frame(20, 0), {}, 60);
  EXPECT_EQ(decode(LinkType::Ethernet, f).status, DecodeStatus::NotIp);
}

TEST(Decode, ArpIsNotIp) {
  Frame f = test::ethernet(test::kEtherArp, Frame(28, 0), {}, 60);
  Decoded d = decode(LinkType::Ethernet, f);
  EXPECT_EQ(d.status, DecodeStatus::NotIp);
  EXPECT_EQ(d.err, DecodeError::None);
}

TEST(Decode, EthernetPaddingTrimmedToUdpLength) {
  Frame payload{0xde, 0xad, 0xbe, 0xef};
  Frame f = test::ethernet(test::kEtherIpv4, udp4(payload), {}, 60);
  ASSERT_EQ(f.size(), 60u);
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v4_udp(d);
  EXPECT_EQ(d.pkt.ip_len, 32u);
  expect_payload_at(d, f, 42, payload);
}

TEST(Decode, Ipv6EthernetPaddingTrimmedToPayloadLength) {
  // IPv6 frames are never short enough to be padded by the NIC, but a trailer (e.g. an FCS
  // kept by the capture) must not become payload either.
  Frame payload{1, 2, 3};
  Frame f = test::ethernet(test::kEtherIpv6, udp6(payload));
  f.insert(f.end(), {0xaa, 0xbb, 0xcc, 0xdd});
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v6_udp(d);
  expect_payload_at(d, f, 14 + 40 + 8, payload);
}

TEST(Decode, UdpLengthBoundsPayloadInsideIpDatagram) {
  // The IP datagram carries 8 bytes more than the UDP length covers.
  Frame payload = rtp_payload(20);
  Frame inner = test::udp(kSrcPort, kDstPort, payload);
  inner.insert(inner.end(), 8, 0xee);
  Frame f = test::ethernet(test::kEtherIpv4, test::ipv4({}, inner));
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v4_udp(d);
  expect_payload_at(d, f, 42, payload);
}

// ---- IPv4 details ------------------------------------------------------------------------------

TEST(Decode, Ipv4OptionsFlagged) {
  Frame payload = rtp_payload();
  test::Ipv4Header h;
  h.options = {0x94, 0x04, 0x00, 0x00};  // router alert
  Frame f = test::ethernet(test::kEtherIpv4, udp4(payload, h));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_TRUE(d.pkt.ip_options);
  EXPECT_EQ(d.pkt.src.port, kSrcPort);
  EXPECT_EQ(d.pkt.dst.port, kDstPort);
  expect_payload_at(d, f, 14 + 24 + 8, payload);
}

TEST(Decode, Ipv4MaximalOptionsFlagged) {
  Frame payload = rtp_payload(4);
  test::Ipv4Header h;
  h.options.assign(40, 0x01);  // NOPs: IHL 15
  Frame f = test::ethernet(test::kEtherIpv4, udp4(payload, h));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_TRUE(d.pkt.ip_options);
  expect_payload_at(d, f, 14 + 60 + 8, payload);
}

TEST(Decode, Ipv4FirstFragmentFlaggedWithPorts) {
  // The first fragment of a 1000-byte UDP datagram: 96 bytes of it, the UDP length says 1008.
  Frame whole = test::udp(kSrcPort, kDstPort, rtp_payload(1000 - 12));
  Frame first(whole.begin(), whole.begin() + 104);
  test::Ipv4Header h;
  h.more_fragments = true;
  Frame f = test::ethernet(test::kEtherIpv4, test::ipv4(h, first));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_TRUE(d.pkt.fragment);
  EXPECT_TRUE(d.pkt.first_fragment);
  EXPECT_EQ(d.pkt.l4, L4::Udp);
  EXPECT_EQ(d.pkt.src.port, kSrcPort);
  EXPECT_EQ(d.pkt.dst.port, kDstPort);
  EXPECT_EQ(d.pkt.l4_payload.data(), f.data() + 42);
  EXPECT_EQ(d.pkt.l4_payload.size(), 96u);
}

TEST(Decode, Ipv4LaterFragmentFlaggedWithoutPorts) {
  test::Ipv4Header h;
  h.more_fragments = true;
  h.fragment_offset = 13;  // 104 bytes in
  Frame f = test::ethernet(test::kEtherIpv4, test::ipv4(h, Frame(104, 0x80)));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_TRUE(d.pkt.fragment);
  EXPECT_FALSE(d.pkt.first_fragment);
  EXPECT_EQ(d.pkt.l4, L4::Udp);
  EXPECT_EQ(d.pkt.ip_proto, 17);
  EXPECT_EQ(d.pkt.src.port, 0);
  EXPECT_EQ(d.pkt.dst.port, 0);
  EXPECT_EQ(d.pkt.src.family, 4);
  EXPECT_TRUE(d.pkt.l4_payload.empty());
}

TEST(Decode, Ipv4LastFragmentFlaggedWithoutPorts) {
  test::Ipv4Header h;
  h.fragment_offset = 13;  // MF clear: the last piece
  Frame f = test::ethernet(test::kEtherIpv4, test::ipv4(h, Frame(8, 0x80)));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_TRUE(d.pkt.fragment);
  EXPECT_FALSE(d.pkt.first_fragment);
  EXPECT_EQ(d.pkt.src.port, 0);
}

TEST(Decode, Ipv4ZeroTotalLengthTakesTheCapturedDatagram) {
  // Captured on the sending host with segmentation offload: the length field is still 0.
  Frame payload = rtp_payload(1400);
  Frame f = test::ethernet(test::kEtherIpv4, udp4(payload, {.total_length_override = 0}));
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v4_udp(d);
  EXPECT_EQ(d.pkt.ip_len, 20u + 8 + payload.size());
  expect_payload_at(d, f, 42, payload);
}

TEST(Decode, Ipv4DontFragmentIsNotAFragment) {
  test::Ipv4Header h;
  h.dont_fragment = true;
  Frame f = test::ethernet(test::kEtherIpv4, udp4(rtp_payload(), h));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_FALSE(d.pkt.fragment);
  EXPECT_FALSE(d.pkt.first_fragment);
}

// ---- IPv6 extension headers --------------------------------------------------------------------

TEST(Decode, Ipv6ExtensionChainWalked) {
  Frame payload = rtp_payload();
  test::Ipv6Header h;
  h.ext = {test::ipv6_hop_by_hop(8), test::ipv6_routing({test::ip6("2001:db8::9"), test::ip6("2001:db8::a")}),
           test::ipv6_destination_options(16)};
  Frame f = test::ethernet(test::kEtherIpv6, udp6(payload, h));
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v6_udp(d);
  expect_payload_at(d, f, 14 + 40 + 8 + 40 + 16 + 8, payload);
}

TEST(Decode, Ipv6AuthHeaderWalked) {
  Frame payload = rtp_payload();
  test::Ipv6Header h;
  h.ext = {test::ipv6_auth_header(12)};
  Frame f = test::ethernet(test::kEtherIpv6, udp6(payload, h));
  Decoded d = decode(LinkType::Ethernet, f);
  expect_v6_udp(d);
  expect_payload_at(d, f, 14 + 40 + 24 + 8, payload);
}

TEST(Decode, Ipv6FirstFragmentFlaggedWithPorts) {
  Frame whole = test::udp(kSrcPort, kDstPort, rtp_payload(1400));
  Frame first(whole.begin(), whole.begin() + 96);
  test::Ipv6Header h;
  h.ext = {test::ipv6_hop_by_hop(), test::ipv6_fragment(0, true)};
  Frame f = test::ethernet(test::kEtherIpv6, test::ipv6(h, first));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_TRUE(d.pkt.fragment);
  EXPECT_TRUE(d.pkt.first_fragment);
  EXPECT_EQ(d.pkt.ip_proto, 17);
  EXPECT_EQ(d.pkt.src.port, kSrcPort);
  EXPECT_EQ(d.pkt.dst.port, kDstPort);
  EXPECT_EQ(d.pkt.l4_payload.data(), f.data() + 14 + 40 + 8 + 8 + 8);
  EXPECT_EQ(d.pkt.l4_payload.size(), 88u);
}

TEST(Decode, Ipv6LaterFragmentFlaggedWithoutPorts) {
  test::Ipv6Header h;
  h.ext = {test::ipv6_fragment(12, false)};
  Frame f = test::ethernet(test::kEtherIpv6, test::ipv6(h, Frame(64, 0x80)));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_TRUE(d.pkt.fragment);
  EXPECT_FALSE(d.pkt.first_fragment);
  EXPECT_EQ(d.pkt.l4, L4::Udp);
  EXPECT_EQ(d.pkt.ip_proto, 17);
  EXPECT_EQ(d.pkt.src.port, 0);
  EXPECT_EQ(d.pkt.dst.port, 0);
  EXPECT_TRUE(d.pkt.l4_payload.empty());
}

TEST(Decode, Ipv6ExtensionChainGuardStopsEndlessChains) {
  // 20 destination options headers: more than the walker follows; what remains is not UDP.
  test::Ipv6Header h;
  for (int i = 0; i < 20; ++i) h.ext.push_back(test::ipv6_destination_options());
  Frame f = test::ethernet(test::kEtherIpv6, udp6(rtp_payload(), h));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_EQ(d.pkt.l4, L4::Other);
  EXPECT_EQ(d.pkt.ip_proto, test::kIpv6DestOptions);
}

// ---- L4 ----------------------------------------------------------------------------------------

TEST(Decode, TcpPortsFlagsAndPayloadAfterOptions) {
  Frame payload{'G', 'E', 'T', ' ', '/'};
  test::TcpHeader t{.src_port = 50000, .dst_port = 8080, .flags = test::kTcpPsh | test::kTcpAck};
  t.options = {0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2};  // NOP NOP timestamps
  test::Ipv4Header h;
  h.proto = test::kIpProtoTcp;
  Frame f = test::ethernet(test::kEtherIpv4, test::ipv4(h, test::tcp(t, payload)), {}, 60);
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_EQ(d.pkt.l4, L4::Tcp);
  EXPECT_EQ(d.pkt.src.port, 50000);
  EXPECT_EQ(d.pkt.dst.port, 8080);
  EXPECT_EQ(d.pkt.tcp_flags, test::kTcpPsh | test::kTcpAck);
  expect_payload_at(d, f, 14 + 20 + 32, payload);
}

TEST(Decode, IcmpTypeCodeAndBody) {
  Frame quoted = udp4(rtp_payload(8));
  test::Ipv4Header h;
  h.proto = test::kIpProtoIcmp;
  Frame f = test::ethernet(test::kEtherIpv4, test::ipv4(h, test::icmp(3, 3, 0, quoted)));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_EQ(d.pkt.l4, L4::Icmp);
  EXPECT_EQ(d.pkt.icmp_type, 3);
  EXPECT_EQ(d.pkt.icmp_code, 3);
  EXPECT_EQ(d.pkt.src.port, 0);
  expect_payload_at(d, f, 14 + 20 + 8, quoted);
}

TEST(Decode, Icmpv6TypeCodeAndBody) {
  Frame quoted = udp6(rtp_payload(8));
  test::Ipv6Header h;
  h.proto = test::kIpProtoIcmpv6;
  Frame f = test::ethernet(test::kEtherIpv6, test::ipv6(h, test::icmpv6(1, 4, 0, quoted)));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_EQ(d.pkt.l4, L4::Icmpv6);
  EXPECT_EQ(d.pkt.icmp_type, 1);
  EXPECT_EQ(d.pkt.icmp_code, 4);
  expect_payload_at(d, f, 14 + 40 + 8, quoted);
}

TEST(Decode, OtherProtocolPayloadIsTheIpPayload) {
  Frame gre{0x00, 0x00, 0x08, 0x00, 1, 2, 3, 4};
  test::Ipv4Header h;
  h.proto = test::kIpProtoGre;
  Frame f = test::ethernet(test::kEtherIpv4, test::ipv4(h, gre));
  Decoded d = decode(LinkType::Ethernet, f);
  ASSERT_EQ(d.status, DecodeStatus::Ok);
  EXPECT_EQ(d.pkt.l4, L4::Other);
  EXPECT_EQ(d.pkt.ip_proto, test::kIpProtoGre);
  expect_payload_at(d, f, 34, gre);
}

TEST(Decode, SnaplenCutUdpPayloadAccepted) {
  Frame payload = rtp_payload(1200);
  Frame f = test::ethernet(test::kEtherIpv4, udp4(payload));
  Frame cut(f.begin(), f.begin() + 96);  // tcpdump -s 96
  Decoded d = decode(LinkType::Ethernet, cut);
  expect_v4_udp(d);
  EXPECT_EQ(d.pkt.ip_len, 20u + 8 + payload.size());  // what the header says, not what was kept
  EXPECT_EQ(d.pkt.l4_payload.data(), cut.data() + 42);
  EXPECT_EQ(d.pkt.l4_payload.size(), 96u - 42);
}

TEST(Decode, OutputResetBetweenFrames) {
  // The pipeline reuses one DecodedPacket: nothing may leak from one frame into the next.
  test::Ipv6Header h6;
  h6.ext = {test::ipv6_fragment(0, true)};
  Frame first = test::ethernet(test::kEtherIpv6, udp6(rtp_payload(), h6), {{test::kEtherVlan, 5}});
  Frame second = test::ethernet(test::kEtherIpv4, udp4(rtp_payload()));
  DecodedPacket pkt;
  DecodeError err;
  ASSERT_EQ(decode_packet(LinkType::Ethernet, first, pkt, err), DecodeStatus::Ok);
  ASSERT_TRUE(pkt.fragment);
  ASSERT_EQ(decode_packet(LinkType::Ethernet, second, pkt, err), DecodeStatus::Ok);
  EXPECT_FALSE(pkt.fragment);
  EXPECT_FALSE(pkt.first_fragment);
  EXPECT_EQ(pkt.vlan_tags, 0);
  EXPECT_EQ(pkt.ip_version, 4);
  EXPECT_EQ(pkt.src, test::endpoint("10.0.0.1", kSrcPort));
}

// ---- every DecodeError, by name ----------------------------------------------------------------

struct MalformedCase {
  DecodeError expected;
  LinkType link;
  Frame frame;
};

Frame with_byte(Frame f, size_t at, uint8_t v) {
  f.at(at) = v;
  return f;
}

std::vector<MalformedCase> malformed_cases() {
  Frame v4 = udp4(rtp_payload());
  Frame v6 = udp6(rtp_payload());
  test::Ipv4Header tcp_h;
  tcp_h.proto = test::kIpProtoTcp;
  test::Ipv4Header icmp_h;
  icmp_h.proto = test::kIpProtoIcmp;
  test::Ipv6Header icmp6_h;
  icmp6_h.proto = test::kIpProtoIcmpv6;
  test::Ipv6Header hbh_h;
  hbh_h.ext = {test::ipv6_hop_by_hop(16)};
  Frame hbh = test::ipv6(hbh_h, test::udp(1, 2, {}));
  hbh.resize(40 + 8);  // the options header says 16 bytes, the datagram holds 8

  std::vector<MalformedCase> cases;
  auto eth = [](uint16_t type, const Frame& p) { return test::ethernet(type, p); };
  cases.push_back({DecodeError::EthTruncated, LinkType::Ethernet, Frame(13, 0)});
  cases.push_back({DecodeError::VlanTruncated, LinkType::Ethernet, eth(test::kEtherVlan, {0x00, 0x64})});
  cases.push_back({DecodeError::PppoeTruncated, LinkType::Ethernet, eth(test::kEtherPppoeSession, {0x11, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00})});
  cases.push_back({DecodeError::SllTruncated, LinkType::LinuxSll, Frame(15, 0)});
  cases.push_back({DecodeError::Sll2Truncated, LinkType::LinuxSll2, Frame(19, 0)});
  cases.push_back({DecodeError::NullTruncated, LinkType::Null, {2, 0, 0}});
  cases.push_back({DecodeError::NullBadFamily, LinkType::Null, test::bsd_loopback(17, v4)});
  cases.push_back({DecodeError::Ipv4Truncated, LinkType::Ethernet, eth(test::kEtherIpv4, Frame(v4.begin(), v4.begin() + 19))});
  cases.push_back({DecodeError::Ipv4BadVersion, LinkType::Ethernet, eth(test::kEtherIpv4, with_byte(v4, 0, 0x55))});
  cases.push_back({DecodeError::Ipv4BadHeaderLength, LinkType::Ethernet, eth(test::kEtherIpv4, with_byte(v4, 0, 0x44))});
  cases.push_back({DecodeError::Ipv4BadTotalLength, LinkType::Ethernet, eth(test::kEtherIpv4, udp4({}, {.total_length_override = 19}))});
  cases.push_back({DecodeError::Ipv6Truncated, LinkType::Ethernet, eth(test::kEtherIpv6, Frame(v6.begin(), v6.begin() + 39))});
  cases.push_back({DecodeError::Ipv6BadVersion, LinkType::Ethernet, eth(test::kEtherIpv6, with_byte(v6, 0, 0x40))});
  cases.push_back({DecodeError::Ipv6ExtTruncated, LinkType::Ethernet, eth(test::kEtherIpv6, hbh)});
  cases.push_back({DecodeError::UdpTruncated, LinkType::Ethernet, eth(test::kEtherIpv4, test::ipv4({}, Frame(7, 0)))});
  cases.push_back({DecodeError::UdpBadLength, LinkType::Ethernet, eth(test::kEtherIpv4, test::ipv4({}, test::udp(1, 2, {}, 7)))});
  cases.push_back({DecodeError::TcpTruncated, LinkType::Ethernet, eth(test::kEtherIpv4, test::ipv4(tcp_h, Frame(19, 0)))});
  cases.push_back({DecodeError::TcpBadOffset, LinkType::Ethernet,
                   eth(test::kEtherIpv4, test::ipv4(tcp_h, test::tcp({.src_port = 1, .dst_port = 2, .data_offset_override = 4}, {})))});
  cases.push_back({DecodeError::IcmpTruncated, LinkType::Ethernet, eth(test::kEtherIpv4, test::ipv4(icmp_h, Frame(7, 0)))});
  cases.push_back({DecodeError::Icmpv6Truncated, LinkType::Ethernet, eth(test::kEtherIpv6, test::ipv6(icmp6_h, Frame(7, 0)))});
  return cases;
}

std::string test_name_of(DecodeError e) {
  std::string n = decode_error_name(e);
  std::replace(n.begin(), n.end(), '.', '_');
  return n;
}

void PrintTo(const MalformedCase& c, std::ostream* os) { *os << decode_error_name(c.expected); }

class DecodeMalformed : public testing::TestWithParam<MalformedCase> {};

TEST_P(DecodeMalformed, ReportsNamedError) {
  const MalformedCase& c = GetParam();
  Decoded d = decode(c.link, c.frame);
  EXPECT_EQ(d.status, DecodeStatus::Invalid);
  EXPECT_EQ(d.err, c.expected) << "got " << decode_error_name(d.err) << ", want " << decode_error_name(c.expected);
}

INSTANTIATE_TEST_SUITE_P(Decode, DecodeMalformed, testing::ValuesIn(malformed_cases()),
                         [](const testing::TestParamInfo<MalformedCase>& i) { return test_name_of(i.param.expected); });

TEST(Decode, EveryDecodeErrorHasAMalformedCase) {
  std::set<DecodeError> covered;
  for (const auto& c : malformed_cases()) covered.insert(c.expected);
  for (unsigned i = 1; i < kDecodeErrorCount; ++i)
    EXPECT_TRUE(covered.count(static_cast<DecodeError>(i))) << decode_error_name(static_cast<DecodeError>(i));
}

TEST(Decode, RawIpUnknownVersionIsInvalid) {
  Decoded d = decode(LinkType::RawIp, Frame{0x50, 0, 0, 20});
  EXPECT_EQ(d.status, DecodeStatus::Invalid);
  EXPECT_EQ(d.err, DecodeError::Ipv4BadVersion);
}

TEST(Decode, RawIpEmptyFrameIsInvalid) {
  Decoded d = decode(LinkType::RawIp, Frame{});
  EXPECT_EQ(d.status, DecodeStatus::Invalid);
  EXPECT_EQ(d.err, DecodeError::Ipv4Truncated);
}

TEST(Decode, ErrorNamesAreDottedAndUnique) {
  std::set<std::string> seen;
  for (unsigned i = 1; i < kDecodeErrorCount; ++i) {
    std::string n = decode_error_name(static_cast<DecodeError>(i));
    auto dot = n.find('.');
    ASSERT_NE(dot, std::string::npos) << n;
    EXPECT_GT(dot, 0u) << n;
    EXPECT_LT(dot + 1, n.size()) << n;
    EXPECT_EQ(n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._"), std::string::npos) << n;
    EXPECT_TRUE(seen.insert(n).second) << "duplicate " << n;
  }
  EXPECT_STREQ(decode_error_name(DecodeError::None), "none");
  EXPECT_STREQ(decode_error_name(DecodeError::Count), "unknown");
}

TEST(Decode, ErrorNamesOfTheContract) {
  EXPECT_STREQ(decode_error_name(DecodeError::EthTruncated), "eth.truncated");
  EXPECT_STREQ(decode_error_name(DecodeError::Ipv4Truncated), "ipv4.truncated");
  EXPECT_STREQ(decode_error_name(DecodeError::Ipv6ExtTruncated), "ipv6.ext_truncated");
  EXPECT_STREQ(decode_error_name(DecodeError::UdpBadLength), "udp.bad_length");
  EXPECT_STREQ(decode_error_name(DecodeError::Icmpv6Truncated), "icmpv6.truncated");
}

// ---- truncation at every length ----------------------------------------------------------------

struct TruncationCase {
  const char* name;
  LinkType link;
  Frame frame;
  size_t headers_end;  // where the L4 payload starts: Ok from here on
};

std::vector<TruncationCase> truncation_cases() {
  Frame payload = rtp_payload(24);
  test::Ipv4Header opt_h;
  opt_h.options = {0x94, 0x04, 0x00, 0x00};
  test::Ipv6Header ext_h;
  ext_h.ext = {test::ipv6_hop_by_hop(8), test::ipv6_routing({test::ip6("2001:db8::9")}),
               test::ipv6_fragment(0, false), test::ipv6_destination_options(8)};
  test::Ipv4Header tcp_h;
  tcp_h.proto = test::kIpProtoTcp;
  test::TcpHeader t{.src_port = 50000, .dst_port = 8443};
  t.options = {0x02, 0x04, 0x05, 0xb4};
  test::Ipv4Header icmp_h;
  icmp_h.proto = test::kIpProtoIcmp;
  test::Ipv6Header icmp6_h;
  icmp6_h.proto = test::kIpProtoIcmpv6;

  std::vector<TruncationCase> c;
  c.push_back({"EthernetIpv4", LinkType::Ethernet, test::ethernet(test::kEtherIpv4, udp4(payload)), 42});
  c.push_back({"EthernetVlanIpv4Options", LinkType::Ethernet,
               test::ethernet(test::kEtherIpv4, udp4(payload, opt_h), {{test::kEtherVlan, 7}}), 18 + 24 + 8});
  c.push_back({"EthernetQinQIpv6Extensions", LinkType::Ethernet,
               test::ethernet(test::kEtherIpv6, udp6(payload, ext_h), {{test::kEtherQinQ, 1}, {test::kEtherVlan, 2}}),
               22 + 40 + 8 + 24 + 8 + 8 + 8});
  c.push_back({"EthernetPppoeIpv4", LinkType::Ethernet,
               test::ethernet(test::kEtherPppoeSession, test::pppoe_session(test::kPppIpv4, udp4(payload))), 14 + 8 + 28});
  c.push_back({"EthernetIpv4Tcp", LinkType::Ethernet,
               test::ethernet(test::kEtherIpv4, test::ipv4(tcp_h, test::tcp(t, payload))), 14 + 20 + 24});
  c.push_back({"EthernetIpv6Icmpv6", LinkType::Ethernet,
               test::ethernet(test::kEtherIpv6, test::ipv6(icmp6_h, test::icmpv6(1, 4, 0, payload))), 14 + 40 + 8});
  c.push_back({"LinuxSllIpv4", LinkType::LinuxSll, test::linux_sll(test::kEtherIpv4, udp4(payload)), 16 + 28});
  c.push_back({"LinuxSll2Ipv6", LinkType::LinuxSll2, test::linux_sll2(test::kEtherIpv6, udp6(payload)), 20 + 48});
  c.push_back({"RawIpv4Icmp", LinkType::RawIp, test::ipv4(icmp_h, test::icmp(3, 3, 0, payload)), 28});
  c.push_back({"RawIpv6", LinkType::RawIp, udp6(payload), 48});
  c.push_back({"NullIpv4", LinkType::Null, test::bsd_loopback(2, udp4(payload)), 4 + 28});
  c.push_back({"NullIpv6BigEndian", LinkType::Null, test::bsd_loopback(30, udp6(payload), test::ByteOrder::Big), 4 + 48});
  return c;
}

void PrintTo(const TruncationCase& c, std::ostream* os) { *os << c.name; }

class DecodeTruncated : public testing::TestWithParam<TruncationCase> {};

// Each prefix is copied into a buffer of exactly its size, so that a read past the end is a heap
// overflow the sanitizers see.
TEST_P(DecodeTruncated, EveryPrefixIsOkOnlyWithWholeHeaders) {
  const TruncationCase& c = GetParam();
  ASSERT_GT(c.frame.size(), c.headers_end);
  {
    Decoded whole = decode(c.link, c.frame);
    ASSERT_EQ(whole.status, DecodeStatus::Ok) << decode_error_name(whole.err);
    ASSERT_EQ(whole.pkt.l4_payload.data(), c.frame.data() + c.headers_end) << "headers_end of the case is wrong";
    ASSERT_EQ(whole.pkt.l4_payload.size(), c.frame.size() - c.headers_end);
  }
  for (size_t n = 0; n <= c.frame.size(); ++n) {
    auto buf = std::make_unique<uint8_t[]>(n == 0 ? 1 : n);
    std::memcpy(buf.get(), c.frame.data(), n);
    DecodedPacket pkt;
    DecodeError err = DecodeError::None;
    DecodeStatus st = decode_packet(c.link, std::span<const uint8_t>(buf.get(), n), pkt, err);
    if (n < c.headers_end) {
      EXPECT_EQ(st, DecodeStatus::Invalid) << "prefix " << n;
      EXPECT_NE(err, DecodeError::None) << "prefix " << n;
    } else {
      ASSERT_EQ(st, DecodeStatus::Ok) << "prefix " << n << ": " << decode_error_name(err);
      EXPECT_EQ(pkt.l4_payload.data(), buf.get() + c.headers_end) << "prefix " << n;
      EXPECT_EQ(pkt.l4_payload.size(), n - c.headers_end) << "prefix " << n;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Decode, DecodeTruncated, testing::ValuesIn(truncation_cases()),
                         [](const testing::TestParamInfo<TruncationCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace wcstap
