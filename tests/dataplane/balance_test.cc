#include "balance.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <set>

#include "packet_builder.h"

namespace wcstap::dp {
namespace {

using test::Frame;

Frame udp4(const char* src, uint16_t sport, const char* dst, uint16_t dport, std::vector<test::VlanTag> tags = {}) {
  test::Ipv4Header h;
  h.src = test::ip4(src);
  h.dst = test::ip4(dst);
  return test::ethernet(test::kEtherIpv4, test::ipv4(h, test::udp(sport, dport, Frame(20, 0xab))), tags);
}

Frame udp6(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  test::Ipv6Header h;
  h.src = test::ip6(src);
  h.dst = test::ip6(dst);
  return test::ethernet(test::kEtherIpv6, test::ipv6(h, test::udp(sport, dport, Frame(20, 0xab))));
}

TEST(Balance, BothDirectionsOfAHostPairHashAlike) {
  for (BalanceBy by : {BalanceBy::HostPair, BalanceBy::FiveTuple}) {
    EXPECT_EQ(balance_hash(udp4("10.0.0.1", 5000, "192.168.1.9", 31000), by),
              balance_hash(udp4("192.168.1.9", 31000, "10.0.0.1", 5000), by));
    EXPECT_EQ(balance_hash(udp6("2001:db8::1", 5000, "2001:db8::ff", 31000), by),
              balance_hash(udp6("2001:db8::ff", 31000, "2001:db8::1", 5000), by));
  }
}

TEST(Balance, HostPairIgnoresPortsFiveTupleDoesNot) {
  const Frame a = udp4("10.0.0.1", 5000, "10.0.0.2", 31000);
  const Frame b = udp4("10.0.0.1", 8443, "10.0.0.2", 40000);
  EXPECT_EQ(balance_hash(a, BalanceBy::HostPair), balance_hash(b, BalanceBy::HostPair));
  EXPECT_NE(balance_hash(a, BalanceBy::FiveTuple), balance_hash(b, BalanceBy::FiveTuple));
}

TEST(Balance, FiveTupleKeepsRtpWithItsRtcpOnTheNextPorts) {
  // RTP 31804 -> 16630 and its RTCP 31805 -> 16631 (RFC 3550): one worker, either direction.
  const uint32_t rtp = balance_hash(udp4("198.51.100.10", 31804, "192.0.2.143", 16630), BalanceBy::FiveTuple);
  EXPECT_EQ(rtp, balance_hash(udp4("198.51.100.10", 31805, "192.0.2.143", 16631), BalanceBy::FiveTuple));
  EXPECT_EQ(rtp, balance_hash(udp4("192.0.2.143", 16631, "198.51.100.10", 31805), BalanceBy::FiveTuple));
  EXPECT_EQ(balance_hash(udp6("2001:db8::1", 5004, "2001:db8::2", 6000), BalanceBy::FiveTuple),
            balance_hash(udp6("2001:db8::2", 6001, "2001:db8::1", 5005), BalanceBy::FiveTuple));
  // ... but not the next pair of ports: another stream.
  EXPECT_NE(rtp, balance_hash(udp4("198.51.100.10", 31806, "192.0.2.143", 16632), BalanceBy::FiveTuple));
}

TEST(Balance, FiveTupleSpreadsOneHostPairsFlows) {
  // One client's 4,000 DNS queries, each from its own source port: each of 4 workers near a quarter.
  std::array<int, 4> per{};
  for (int i = 0; i < 4000; ++i)
    ++per[worker_of(balance_hash(udp4("198.51.100.10", static_cast<uint16_t>(20000 + 3 * i), "192.0.2.18", 53),
                                 BalanceBy::FiveTuple), 4)];
  for (int n : per) {
    EXPECT_GT(n, 900);
    EXPECT_LT(n, 1100);
  }
}

TEST(Balance, VlanTagsDoNotChangeTheHash) {
  const Frame plain = udp4("10.0.0.1", 5000, "10.0.0.2", 31000);
  const Frame tagged = udp4("10.0.0.2", 31000, "10.0.0.1", 5000, {{test::kEtherQinQ, 100}, {test::kEtherVlan, 7}});
  EXPECT_EQ(balance_hash(plain, BalanceBy::FiveTuple), balance_hash(tagged, BalanceBy::FiveTuple));
}

TEST(Balance, FragmentsMeetTheirFlowByAddress) {
  test::Ipv4Header h;
  h.src = test::ip4("10.0.0.1");
  h.dst = test::ip4("10.0.0.2");
  h.more_fragments = true;
  const Frame first = test::ethernet(test::kEtherIpv4, test::ipv4(h, test::udp(5000, 31000, Frame(64, 1))));
  h.more_fragments = false;
  h.fragment_offset = 9;
  const Frame rest = test::ethernet(test::kEtherIpv4, test::ipv4(h, Frame(30, 2)));
  EXPECT_EQ(balance_hash(first, BalanceBy::FiveTuple), balance_hash(rest, BalanceBy::FiveTuple));
}

TEST(Balance, NotIpAndTruncatedFramesHashToZero) {
  EXPECT_EQ(balance_hash(test::ethernet(test::kEtherArp, Frame(28, 0)), BalanceBy::HostPair), 0u);
  const Frame full = udp4("10.0.0.1", 5000, "10.0.0.2", 31000);
  for (size_t n : {0, 10, 13, 20, 33})
    EXPECT_EQ(balance_hash(std::span(full).first(n), BalanceBy::HostPair), 0u) << n;
  // Cut inside the UDP header: five_tuple falls back to the addresses.
  EXPECT_EQ(balance_hash(std::span(full).first(36), BalanceBy::FiveTuple),
            balance_hash(full, BalanceBy::HostPair));
}

TEST(Balance, SpreadsHostPairsEvenlyOverWorkers) {
  // 4,000 clients of one server: each of 4 workers gets close to a quarter.
  std::array<int, 4> per{};
  for (int i = 0; i < 4000; ++i) {
    char ip[32];
    std::snprintf(ip, sizeof ip, "100.%d.%d.%d", 64 + i / 65536, (i / 256) % 256, i % 256);
    ++per[worker_of(balance_hash(udp4(ip, 40000, "203.0.113.10", 31000), BalanceBy::HostPair), 4)];
  }
  for (int n : per) {
    EXPECT_GT(n, 900);
    EXPECT_LT(n, 1100);
  }
}

TEST(Balance, WorkerOfStaysInRange) {
  for (uint32_t n : {1u, 2u, 3u, 7u, 128u})
    for (uint32_t h : {0u, 1u, 0x7fffffffu, 0xffffffffu}) EXPECT_LT(worker_of(h, n), n);
}

}  // namespace
}  // namespace wcstap::dp
