// The device RSS path, as far as it can be tested without a NIC that has RSS (no virtual device
// here spreads by RSS): the key the dataplane gives the device makes the Toeplitz hash, as DPDK
// computes it in software (rte_softrss, the hash RSS NICs implement), the same for both directions
// of every flow, for IPv4 and IPv6, addresses alone and with ports; which hash types each balance
// asks for; and when plan_queues chooses RSS over the software balance.
#include "port.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include <rte_ethdev.h>
#include <rte_thash.h>

namespace wcstap::dp {
namespace {

// One flow's tuple as a NIC feeds it to the Toeplitz hash, 32-bit words in host order: source
// address, destination address, then the ports (source in the high half), as rte_ipv4_tuple and
// rte_ipv6_tuple lay them out.
struct Tuple {
  std::vector<uint32_t> src, dst;  // 1 word (IPv4) or 4 (IPv6)
  uint16_t sport = 0, dport = 0;

  std::vector<uint32_t> words(bool with_ports) const {
    std::vector<uint32_t> w(src);
    w.insert(w.end(), dst.begin(), dst.end());
    if (with_ports) w.push_back(uint32_t{sport} << 16 | dport);
    return w;
  }
  Tuple reversed() const { return {dst, src, dport, sport}; }
};

uint32_t toeplitz(const Tuple& t, bool with_ports, const std::vector<uint8_t>& key) {
  std::vector<uint32_t> w = t.words(with_ports);
  return rte_softrss(w.data(), static_cast<uint32_t>(w.size()), key.data());
}

std::vector<Tuple> random_tuples(unsigned address_words, size_t n) {
  std::mt19937 rng(42);
  std::vector<Tuple> out(n);
  for (auto& t : out) {
    for (unsigned i = 0; i < address_words; ++i) {
      t.src.push_back(rng());
      t.dst.push_back(rng());
    }
    t.sport = static_cast<uint16_t>(rng());
    t.dport = static_cast<uint16_t>(rng());
  }
  return out;
}

// How many of the tuples hash differently one way and the other under `key`.
size_t asymmetric(const std::vector<Tuple>& tuples, bool with_ports, const std::vector<uint8_t>& key) {
  size_t n = 0;
  for (const auto& t : tuples) n += toeplitz(t, with_ports, key) != toeplitz(t.reversed(), with_ports, key);
  return n;
}

// The key of Microsoft's RSS specification, many NICs' default: a public test vector, not
// symmetric. The control that shows the test can tell.
const std::vector<uint8_t> kDefaultKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

TEST(Rss, KeyIsTheSymmetricPatternAtTheDevicesLength) {
  for (size_t len : {40u, 52u}) {
    const auto key = symmetric_rss_key(len);
    ASSERT_EQ(key.size(), len);
    for (size_t i = 0; i < len; ++i) EXPECT_EQ(key[i], i % 2 == 0 ? 0x6d : 0x5a) << i;
  }
}

TEST(Rss, BothDirectionsOfEveryFlowHashAlike) {
  for (size_t len : {40u, 52u}) {  // most NICs take 40 bytes; i40e, ice and others 52
    const auto key = symmetric_rss_key(len);
    for (unsigned words : {1u, 4u}) {  // IPv4, IPv6 (the 40-byte key covers an IPv6 4-tuple's 36)
      const auto tuples = random_tuples(words, 20000);
      for (bool with_ports : {false, true})
        EXPECT_EQ(asymmetric(tuples, with_ports, key), 0u)
            << "key " << len << " B, IPv" << (words == 1 ? 4 : 6) << (with_ports ? " with ports" : " addresses");
    }
  }
}

TEST(Rss, TheTestTellsAnAsymmetricKey) {
  for (unsigned words : {1u, 4u}) {
    const auto tuples = random_tuples(words, 2000);
    EXPECT_GT(asymmetric(tuples, true, kDefaultKey), 1990u);
    EXPECT_GT(asymmetric(tuples, false, kDefaultKey), 1990u);
  }
}

// The device picks the queue from the hash's low bits through its redirection table; with the
// default table (entry i holds queue i mod n), both directions land in the same queue, and the
// queues share the flows about evenly.
TEST(Rss, FlowsSpreadEvenlyOverTheQueues) {
  const auto key = symmetric_rss_key(40);
  const auto tuples = random_tuples(1, 40000);
  for (uint32_t queues : {2u, 4u}) {
    std::vector<size_t> per(queues);
    for (const auto& t : tuples) {
      const uint32_t h = toeplitz(t, true, key);
      const uint32_t q = (h % 128) % queues;
      ASSERT_EQ(q, (toeplitz(t.reversed(), true, key) % 128) % queues);
      ++per[q];
    }
    for (size_t n : per) EXPECT_NEAR(static_cast<double>(n), 40000.0 / queues, 40000.0 / queues * 0.05);
  }
}

TEST(Rss, HashTypesOfEachBalance) {
  EXPECT_EQ(rss_types(BalanceBy::HostPair) & (RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP), 0u);
  EXPECT_EQ(rss_types(BalanceBy::HostPair) & RTE_ETH_RSS_IP, RTE_ETH_RSS_IP);
  EXPECT_EQ(rss_types(BalanceBy::FiveTuple) & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP),
            RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
}

Port port(const char* name, const char* driver, uint16_t rx_queues, uint64_t rss) {
  Port p;
  p.name = name;
  p.driver = driver;
  p.max_rx_queues = rx_queues;
  p.max_tx_queues = rx_queues;
  p.rss_offloads = rss;
  return p;
}

DataplaneConfig workers(uint16_t n, BalanceBy by = BalanceBy::HostPair) {
  DataplaneConfig c;
  c.workers = n;
  c.balance = by;
  return c;
}

TEST(Rss, PlanChoosesRssWhenEveryPortHasItAndTheQueues) {
  const uint64_t full = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP;
  const std::vector<Port> nics = {port("0000:01:00.0", "net_ice", 64, full), port("0000:01:00.1", "net_ice", 64, full)};
  QueuePlan p = plan_queues(nics, workers(4));
  EXPECT_TRUE(p.rss);
  EXPECT_TRUE(p.why.empty());
  EXPECT_TRUE(plan_queues(nics, workers(4, BalanceBy::FiveTuple)).rss);

  // One worker: no spreading at all.
  p = plan_queues(nics, workers(1));
  EXPECT_FALSE(p.rss);

  // A port without RSS sends every port to the software balance, and says which.
  p = plan_queues({nics[0], port("net_pcap0", "net_pcap", 16, 0)}, workers(2));
  EXPECT_FALSE(p.rss);
  EXPECT_EQ(p.why, "port net_pcap0 (net_pcap) has no RSS");

  // Too few queues for the workers.
  p = plan_queues({nics[0], port("0000:02:00.0", "net_e1000_igb", 2, full)}, workers(4));
  EXPECT_FALSE(p.rss);
  EXPECT_EQ(p.why, "port 0000:02:00.0 (net_e1000_igb) has 2 RX queue(s) for 4 workers");

  // RSS over UDP/TCP ports alone cannot balance by host pair.
  const std::vector<Port> l4_only = {port("0000:03:00.0", "x", 8, RTE_ETH_RSS_NONFRAG_IPV4_UDP)};
  EXPECT_FALSE(plan_queues(l4_only, workers(2)).rss);
}

}  // namespace
}  // namespace wcstap::dp
