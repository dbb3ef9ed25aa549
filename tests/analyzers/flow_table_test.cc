#include "flow/flow_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <stdexcept>
#include <vector>

#include "flow/flow_key.h"
#include "packet_builder.h"

namespace wcstap {
namespace {

constexpr Nanos kSec = 1'000'000'000;
constexpr Nanos kUdpIdle = 30 * kSec;

// A distinct key per n (ports vary); its hash is chosen by the test, to force collisions.
FlowKey key_n(uint32_t n) {
  return make_flow_key(test::endpoint("10.0.0.1", static_cast<uint16_t>(1000 + n % 60000)),
                       test::endpoint("10.0.0.2", static_cast<uint16_t>(2000 + n / 60000)), 17)
      .key;
}

auto idle_udp = [](const FlowRecord&) { return kUdpIdle; };

// Sweeps whole laps until one removes nothing (a lap catches every idle flow, see
// SweepOneLapExpiresAClusterOfIdleFlows; this also proves nothing is left).
template <class OnExpire>
uint32_t sweep_until_quiet(FlowTable& t, Nanos now, OnExpire&& on_expire) {
  uint32_t total = 0;
  for (int laps = 0; laps < 100; ++laps) {
    uint32_t n = t.sweep(now, static_cast<uint32_t>(t.bucket_count()), idle_udp, on_expire);
    total += n;
    if (n == 0) return total;
  }
  ADD_FAILURE() << "sweep never settled";
  return total;
}

TEST(FlowKey, BothDirectionsMapToOneKeyWithOppositeDir) {
  Endpoint a = test::endpoint("10.0.0.1", 5004), b = test::endpoint("10.0.0.2", 31002);
  KeyedPacket ab = make_flow_key(a, b, 17);
  KeyedPacket ba = make_flow_key(b, a, 17);
  EXPECT_EQ(ab.key, ba.key);
  EXPECT_EQ(ab.dir, 0);
  EXPECT_EQ(ba.dir, 1);
  EXPECT_EQ(flow_hash(ab.key), flow_hash(ba.key));
}

TEST(FlowKey, SameAddressOrdersByPort) {
  Endpoint hi = test::endpoint("10.0.0.1", 6000), lo = test::endpoint("10.0.0.1", 5000);
  KeyedPacket k = make_flow_key(hi, lo, 17);
  EXPECT_EQ(k.dir, 1);
  EXPECT_EQ(k.key.lo_port, 5000);
  EXPECT_EQ(k.key.hi_port, 6000);
  EXPECT_EQ(make_flow_key(lo, hi, 17).key, k.key);
}

TEST(FlowKey, ProtocolIsPartOfTheKey) {
  Endpoint a = test::endpoint("10.0.0.1", 3478), b = test::endpoint("10.0.0.2", 50000);
  EXPECT_NE(make_flow_key(a, b, 17).key, make_flow_key(a, b, 6).key);
}

TEST(FlowKey, KeyEndpointsGiveBackBothSides) {
  Endpoint a = test::endpoint("2001:db8::2", 31002), b = test::endpoint("2001:db8::1", 5004);
  KeyedPacket k = make_flow_key(a, b, 17);
  EXPECT_EQ(k.dir, 1);  // a sorts high
  EXPECT_EQ(key_endpoint(k.key, false), b);
  EXPECT_EQ(key_endpoint(k.key, true), a);
  EXPECT_EQ(k.key.family, 6);
}

TEST(FlowTable, FindOrInsertCreatesOnce) {
  FlowTable t(16);
  FlowKey k = key_n(1);
  bool created = false;
  FlowRecord* r = t.find_or_insert(k, flow_hash(k), created);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(created);
  EXPECT_EQ(r->key, k);
  r->packets[0] = 7;
  FlowRecord* again = t.find_or_insert(k, flow_hash(k), created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again, r);
  EXPECT_EQ(again->packets[0], 7u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.find(k, flow_hash(k)), r);
}

TEST(FlowTable, FindUnknownKeyIsNull) {
  FlowTable t(16);
  bool created;
  t.find_or_insert(key_n(1), flow_hash(key_n(1)), created);
  EXPECT_EQ(t.find(key_n(2), flow_hash(key_n(2))), nullptr);
}

TEST(FlowTable, BucketsArePowerOfTwoAtLeastTwiceCapacity) {
  EXPECT_EQ(FlowTable(4).bucket_count(), 8u);
  EXPECT_EQ(FlowTable(5).bucket_count(), 16u);
  EXPECT_EQ(FlowTable(16).capacity(), 16u);
}

TEST(FlowTable, ZeroCapacityRejected) { EXPECT_THROW(FlowTable(0), std::invalid_argument); }

TEST(FlowTable, CapacityEnforced) {
  FlowTable t(4);
  bool created;
  for (uint32_t i = 0; i < 4; ++i) ASSERT_NE(t.find_or_insert(key_n(i), flow_hash(key_n(i)), created), nullptr);
  EXPECT_EQ(t.find_or_insert(key_n(4), flow_hash(key_n(4)), created), nullptr);
  EXPECT_FALSE(created);
  EXPECT_EQ(t.size(), 4u);
  // A full table still finds what it holds.
  FlowRecord* r = t.find_or_insert(key_n(2), flow_hash(key_n(2)), created);
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(created);
  EXPECT_EQ(r->key, key_n(2));
}

TEST(FlowTable, CollidingKeysAllFindable) {
  FlowTable t(32);
  bool created;
  for (uint32_t i = 0; i < 32; ++i) {
    FlowRecord* r = t.find_or_insert(key_n(i), 5 + (uint64_t{i} << 32), created);
    ASSERT_NE(r, nullptr);
    r->packets[0] = i;
  }
  for (uint32_t i = 0; i < 32; ++i) {
    FlowRecord* r = t.find(key_n(i), 5 + (uint64_t{i} << 32));
    ASSERT_NE(r, nullptr) << i;
    EXPECT_EQ(r->packets[0], i);
  }
}

// Keys crowd around the end of the bucket array so that probe chains wrap; every other one goes
// idle and is swept; those left must all be found through the shifted chains.
TEST(FlowTable, BackwardShiftEraseKeepsOtherKeysFindable) {
  FlowTable t(64);  // 128 buckets
  const uint32_t mask = static_cast<uint32_t>(t.bucket_count() - 1);
  bool created;
  std::map<uint32_t, uint64_t> hash_of;
  for (uint32_t i = 0; i < 60; ++i) {
    uint64_t h = (uint64_t{i + 1} << 32) | ((mask - 2 + i % 5) & mask);  // homes 125, 126, 127, 0, 1
    hash_of[i] = h;
    FlowRecord* r = t.find_or_insert(key_n(i), h, created);
    ASSERT_NE(r, nullptr);
    r->packets[0] = i;
    r->last_ts = (i % 2 == 1 ? 1 : 100) * kSec;
  }
  std::vector<uint64_t> expired;
  uint32_t removed =
      sweep_until_quiet(t, 100 * kSec, [&](const FlowRecord& r) { expired.push_back(r.packets[0]); });
  EXPECT_EQ(removed, 30u);
  EXPECT_EQ(expired.size(), 30u);
  EXPECT_EQ(t.size(), 30u);
  for (uint64_t e : expired) EXPECT_EQ(e % 2, 1u) << e;
  for (uint32_t i = 0; i < 60; ++i) {
    FlowRecord* r = t.find(key_n(i), hash_of[i]);
    if (i % 2 == 1) {
      EXPECT_EQ(r, nullptr) << i;
    } else {
      ASSERT_NE(r, nullptr) << i;
      EXPECT_EQ(r->packets[0], i);
    }
  }
}

// Random inserts and expiries against a model; homes confined to a few buckets near the wrap.
TEST(FlowTable, ChurnMatchesModel) {
  FlowTable t(256);
  const uint32_t mask = static_cast<uint32_t>(t.bucket_count() - 1);
  std::mt19937 rng(42);
  std::map<uint32_t, Nanos> live;  // key number -> last_ts
  auto hash = [&](uint32_t n) { return (uint64_t{n} << 32) | ((mask - 6 + n % 13) & mask); };
  uint32_t next = 0;
  Nanos now = 100 * kSec;
  for (int round = 0; round < 50; ++round) {
    bool created;
    while (live.size() < 200) {
      uint32_t n = next++;
      FlowRecord* r = t.find_or_insert(key_n(n), hash(n), created);
      ASSERT_NE(r, nullptr);
      ASSERT_TRUE(created);
      r->last_ts = now - (rng() % 2 ? 0 : kUdpIdle + kSec);
      live[n] = r->last_ts;
    }
    std::vector<uint32_t> expired;
    sweep_until_quiet(t, now, [&](const FlowRecord& r) { expired.push_back(static_cast<uint32_t>(r.hash >> 32)); });
    for (uint32_t n : expired) {
      ASSERT_EQ(live.count(n), 1u) << n;
      EXPECT_LT(live[n] + kUdpIdle, now);
      live.erase(n);
    }
    for (auto [n, ts] : live) {
      EXPECT_GE(ts + kUdpIdle, now) << "idle flow " << n << " left behind";
      FlowRecord* r = t.find(key_n(n), hash(n));
      ASSERT_NE(r, nullptr) << "round " << round << " key " << n;
      EXPECT_EQ(r->last_ts, ts);
    }
    ASSERT_EQ(t.size(), live.size());
    for (auto& [n, ts] : live) {  // age everything: some of it expires next round
      FlowRecord* r = t.find(key_n(n), hash(n));
      r->last_ts = ts = (rng() % 3 == 0) ? now - kUdpIdle - kSec : now;
    }
  }
}

TEST(FlowTable, SweepExpiresOnlyIdleFlowsByPacketTime) {
  FlowTable t(16);
  bool created;
  Nanos now = 1000 * kSec;
  struct { uint32_t n; Nanos last; bool expires; } flows[] = {
      {1, now - kUdpIdle - 1, true},   // idle just past the timeout
      {2, now - kUdpIdle, false},      // exactly the timeout: not yet
      {3, now - kSec, false},
      {4, now + kSec, false},          // a packet stamped after `now` (reordered capture)
  };
  for (auto& f : flows) t.find_or_insert(key_n(f.n), flow_hash(key_n(f.n)), created)->last_ts = f.last;
  std::vector<FlowKey> expired;
  EXPECT_EQ(t.sweep(now, static_cast<uint32_t>(t.bucket_count()), idle_udp,
                    [&](const FlowRecord& r) { expired.push_back(r.key); }),
            1u);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], key_n(1));
  for (auto& f : flows)
    EXPECT_EQ(t.find(key_n(f.n), flow_hash(key_n(f.n))) == nullptr, f.expires) << f.n;
}

TEST(FlowTable, SweepOneLapExpiresAClusterOfIdleFlows) {
  // Eight records all homed on bucket 3: each erase shifts the next back into the bucket just
  // visited, which the sweep looks at again rather than a lap later.
  FlowTable t(16);
  bool created;
  for (uint32_t i = 0; i < 8; ++i) t.find_or_insert(key_n(i), 3, created)->last_ts = kSec;
  EXPECT_EQ(t.sweep(100 * kSec, static_cast<uint32_t>(t.bucket_count()), idle_udp, [](const FlowRecord&) {}), 8u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(FlowTable, SweepTimeoutChosenPerRecord) {
  FlowTable t(16);
  bool created;
  FlowKey udp = make_flow_key(test::endpoint("10.0.0.1", 1), test::endpoint("10.0.0.2", 2), 17).key;
  FlowKey tcp = make_flow_key(test::endpoint("10.0.0.1", 1), test::endpoint("10.0.0.2", 2), 6).key;
  Nanos now = 1000 * kSec;
  t.find_or_insert(udp, flow_hash(udp), created)->last_ts = now - 60 * kSec;
  t.find_or_insert(tcp, flow_hash(tcp), created)->last_ts = now - 60 * kSec;
  t.sweep(now, 32, [](const FlowRecord& r) { return r.key.l4 == 6 ? 300 * kSec : kUdpIdle; },
          [](const FlowRecord&) {});
  EXPECT_EQ(t.find(udp, flow_hash(udp)), nullptr);
  EXPECT_NE(t.find(tcp, flow_hash(tcp)), nullptr);
}

TEST(FlowTable, SweepBudgetBoundsBucketsVisited) {
  FlowTable t(8);  // 16 buckets; the record sits in bucket 10
  bool created;
  t.find_or_insert(key_n(1), 10, created)->last_ts = kSec;
  Nanos now = 100 * kSec;
  auto nop = [](const FlowRecord&) {};
  EXPECT_EQ(t.sweep(now, 10, idle_udp, nop), 0u);  // buckets 0..9
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.sweep(now, 1, idle_udp, nop), 1u);   // bucket 10
  EXPECT_EQ(t.size(), 0u);
}

TEST(FlowTable, ForEachVisitsEveryRecord) {
  FlowTable t(16);
  bool created;
  for (uint32_t i = 0; i < 10; ++i) t.find_or_insert(key_n(i), flow_hash(key_n(i)), created)->packets[1] = i;
  uint64_t sum = 0;
  unsigned n = 0;
  t.for_each([&](FlowRecord& r) {
    sum += r.packets[1];
    ++n;
  });
  EXPECT_EQ(n, 10u);
  EXPECT_EQ(sum, 45u);
}

TEST(FlowTable, ClearEmptiesTheTable) {
  FlowTable t(4);
  bool created;
  for (uint32_t i = 0; i < 4; ++i) t.find_or_insert(key_n(i), flow_hash(key_n(i)), created);
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.find(key_n(0), flow_hash(key_n(0))), nullptr);
  unsigned n = 0;
  t.for_each([&](FlowRecord&) { ++n; });
  EXPECT_EQ(n, 0u);
  for (uint32_t i = 10; i < 14; ++i) {
    ASSERT_NE(t.find_or_insert(key_n(i), flow_hash(key_n(i)), created), nullptr);
    EXPECT_TRUE(created);
  }
}

}  // namespace
}  // namespace wcstap
