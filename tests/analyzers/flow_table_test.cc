#include "flow/flow_table.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
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

// A hash whose lookup starts at `bucket` of `t` (tests place keys to force collisions and runs
// that wrap around the end of the bucket array); `salt` (small) and `low` keep hashes apart.
uint64_t hash_at(const FlowTable& t, uint32_t bucket, uint32_t salt = 0, uint32_t low = 0) {
  const uint64_t first_sig = ((uint64_t{bucket} << 32) + t.bucket_count() - 1) / t.bucket_count();
  const uint64_t h = ((first_sig + salt) << 32) | low;
  EXPECT_EQ(t.home(h), bucket);
  return h;
}

// Sweeps whole laps until one removes nothing (a lap catches every idle flow, see
// SweepOneLapExpiresAClusterOfIdleFlows; this also proves nothing is left).
template <class OnExpire>
uint32_t sweep_until_quiet(FlowTable& t, Nanos now, OnExpire&& on_expire) {
  uint32_t total = 0;
  for (int laps = 0; laps < 100; ++laps) {
    uint32_t n = t.sweep(now, static_cast<uint32_t>(t.slot_count()), idle_udp, on_expire);
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

TEST(FlowTable, BucketsAreHalfAgainCapacityInWholeCacheLines) {
  EXPECT_EQ(FlowTable(4).bucket_count(), 8u);
  EXPECT_EQ(FlowTable(16).bucket_count(), 24u);
  EXPECT_EQ(FlowTable(1000).bucket_count(), 1504u);
  EXPECT_EQ(FlowTable(16).capacity(), 16u);
  EXPECT_EQ(FlowTable(16).slot_count(), 16u);
}

TEST(FlowTable, CapacityOutOfRangeRejected) {
  EXPECT_THROW(FlowTable(0), std::invalid_argument);
  EXPECT_THROW(FlowTable(FlowTable::kMaxCapacity + 1), std::invalid_argument);
}

TEST(FlowTable, RecordsStayPutWhileOthersComeAndGo) {
  FlowTable t(64);
  bool created;
  FlowRecord* keep = t.find_or_insert(key_n(1000), hash_at(t, 7), created);
  keep->last_ts = 100 * kSec;
  const uint32_t index = t.index_of(*keep);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(keep) % 64, 0u);  // two whole cache lines
  for (uint32_t round = 0; round < 5; ++round) {
    for (uint32_t i = 0; i < 40; ++i) t.find_or_insert(key_n(i), hash_at(t, 7, i + 1), created)->last_ts = kSec;
    EXPECT_EQ(sweep_until_quiet(t, 100 * kSec, [](const FlowRecord&) {}), 40u);
    EXPECT_EQ(t.find(key_n(1000), hash_at(t, 7)), keep);
    EXPECT_EQ(t.index_of(*keep), index);
  }
}

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
  // Every key with the same home; the even ones with the same hash too (the keys tell them apart).
  auto hash = [&](uint32_t i) { return hash_at(t, 5, i % 2 == 0 ? 0 : i, i); };
  for (uint32_t i = 0; i < 32; ++i) {
    FlowRecord* r = t.find_or_insert(key_n(i), hash(i), created);
    ASSERT_NE(r, nullptr);
    r->packets[0] = i;
  }
  for (uint32_t i = 0; i < 32; ++i) {
    FlowRecord* r = t.find(key_n(i), hash(i));
    ASSERT_NE(r, nullptr) << i;
    EXPECT_EQ(r->packets[0], i);
  }
}

// Keys crowd around the end of the bucket array so that probe chains wrap; every other one goes
// idle and is swept; those left must all be found through the shifted chains.
TEST(FlowTable, BackwardShiftEraseKeepsOtherKeysFindable) {
  FlowTable t(64);  // 96 buckets
  const auto n = static_cast<uint32_t>(t.bucket_count());
  bool created;
  std::map<uint32_t, uint64_t> hash_of;
  for (uint32_t i = 0; i < 60; ++i) {
    uint64_t h = hash_at(t, (n - 3 + i % 5) % n, i);  // homes 93, 94, 95, 0, 1
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
  const auto buckets = static_cast<uint32_t>(t.bucket_count());
  std::mt19937 rng(42);
  std::map<uint32_t, Nanos> live;  // key number -> last_ts
  // Homes on 13 buckets around the wrap; the key number in the low half.
  auto hash = [&](uint32_t n) { return hash_at(t, (buckets - 6 + n % 13) % buckets, n % 7, n); };
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
    sweep_until_quiet(t, now, [&](const FlowRecord& r) { expired.push_back(static_cast<uint32_t>(r.hash)); });
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
  EXPECT_EQ(t.sweep(now, static_cast<uint32_t>(t.slot_count()), idle_udp,
                    [&](const FlowRecord& r) { expired.push_back(r.key); }),
            1u);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], key_n(1));
  for (auto& f : flows)
    EXPECT_EQ(t.find(key_n(f.n), flow_hash(key_n(f.n))) == nullptr, f.expires) << f.n;
}

TEST(FlowTable, SweepOneLapExpiresAClusterOfIdleFlows) {
  // Eight records all homed on bucket 3: each erase shifts the run back; one lap of the records
  // takes them all, and the table takes as many again.
  FlowTable t(16);
  bool created;
  for (uint32_t i = 0; i < 8; ++i) t.find_or_insert(key_n(i), hash_at(t, 3, i), created)->last_ts = kSec;
  EXPECT_EQ(t.sweep(100 * kSec, static_cast<uint32_t>(t.slot_count()), idle_udp, [](const FlowRecord&) {}), 8u);
  EXPECT_EQ(t.size(), 0u);
  for (uint32_t i = 0; i < 16; ++i) {
    ASSERT_NE(t.find_or_insert(key_n(100 + i), hash_at(t, 3, i), created), nullptr);
    EXPECT_TRUE(created);
  }
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

TEST(FlowTable, SweepBudgetBoundsRecordsVisited) {
  FlowTable t(16);
  bool created;
  Nanos now = 100 * kSec;
  // Records 0..9 busy, record 10 idle: the sweep starts at record 0.
  for (uint32_t i = 0; i < 11; ++i) {
    FlowRecord* r = t.find_or_insert(key_n(i), flow_hash(key_n(i)), created);
    t.touch(*r, i < 10 ? now : kSec);
  }
  FlowRecord* idle = t.find(key_n(10), flow_hash(key_n(10)));
  ASSERT_EQ(t.index_of(*idle), 10u);
  auto nop = [](const FlowRecord&) {};
  EXPECT_EQ(t.sweep(now, 10, idle_udp, nop), 0u);  // records 0..9
  EXPECT_EQ(t.size(), 11u);
  EXPECT_EQ(t.sweep(now, 1, idle_udp, nop), 1u);   // record 10
  EXPECT_EQ(t.size(), 10u);
}

TEST(FlowTable, SweepJudgesByTheLastPacketNotItsOwnCopy) {
  // touch() writes the sweep's copy of a flow's time only now and then; a flow with a packet a
  // second for 20 s is idle from its last packet on, not from a packet its copy may still hold.
  FlowTable t(16);
  t.set_shortest_timeout(kUdpIdle);
  bool created;
  FlowRecord* r = t.find_or_insert(key_n(1), flow_hash(key_n(1)), created);
  const Nanos start = 1000 * kSec + 123;
  for (Nanos s = 0; s <= 20; ++s) t.touch(*r, start + s * kSec);
  const Nanos last = start + 20 * kSec;
  auto nop = [](const FlowRecord&) {};
  EXPECT_EQ(t.sweep(last + kUdpIdle, 16, idle_udp, nop), 0u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.sweep(last + kUdpIdle + 1, 16, idle_udp, nop), 1u);
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

// erasures() moves whenever a record is freed (sweep, eviction, clear), and only then: a lookup made
// before relies on its record while it stays put (the pipeline's bursts).
TEST(FlowTable, ErasuresCountFreedRecordsOnly) {
  FlowTable t(2);
  bool created;
  const uint64_t e0 = t.erasures();
  FlowRecord* a = t.find_or_insert(key_n(1), flow_hash(key_n(1)), created);
  a->last_ts = kSec;
  t.find_or_insert(key_n(2), flow_hash(key_n(2)), created)->last_ts = 100 * kSec;
  t.find_or_insert(key_n(1), flow_hash(key_n(1)), created);
  t.restart(*a);  // the same key starts over in its record
  t.touch(*a, 2 * kSec);
  EXPECT_EQ(t.erasures(), e0);
  EXPECT_EQ(t.sweep(100 * kSec, 2, idle_udp, [](const FlowRecord&) {}), 1u);
  EXPECT_EQ(t.erasures(), e0 + 1);
  t.find_or_insert(key_n(3), flow_hash(key_n(3)), created);  // the table is full again
  EXPECT_NE(t.insert_evicting(key_n(4), flow_hash(key_n(4)), [](const FlowRecord&) { return Eviction::Allow; },
                              [](FlowRecord&) {}),
            nullptr);
  EXPECT_EQ(t.erasures(), e0 + 2);
  t.clear();
  EXPECT_EQ(t.erasures(), e0 + 3);
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


// ---- eviction ----------------------------------------------------------------------------------

uint32_t number_of(const FlowRecord& r) { return r.key.lo_port - 1000u; }  // key_n's n (n < 60000)

// A table of `capacity` filled with flows 0..capacity-1, in that order.
void fill(FlowTable& t) {
  bool created;
  for (uint32_t i = 0; i < t.capacity(); ++i) ASSERT_NE(t.find_or_insert(key_n(i), flow_hash(key_n(i)), created), nullptr);
}

TEST(FlowTableEviction, NewFlowsTakeThePlaceOfTheOldestEvictableFlowsInTurn) {
  FlowTable t(32);
  fill(t);
  const std::set<uint32_t> keep = {0, 3, 4, 17};
  auto rank = [&](const FlowRecord& r) { return keep.count(number_of(r)) ? Eviction::Keep : Eviction::Prefer; };
  std::vector<uint32_t> evicted;
  for (uint32_t i = 100; i < 140; ++i) {
    bool created;
    ASSERT_EQ(t.find_or_insert(key_n(i), flow_hash(key_n(i)), created), nullptr);  // full
    FlowRecord* r = t.insert_evicting(key_n(i), flow_hash(key_n(i)), rank,
                                      [&](FlowRecord& v) { evicted.push_back(number_of(v)); });
    ASSERT_NE(r, nullptr) << i;
    EXPECT_EQ(r->key, key_n(i));
    EXPECT_EQ(t.find(key_n(i), flow_hash(key_n(i))), r);
    EXPECT_EQ(t.size(), 32u);
  }
  // The 28 evictable flows first, in the order they came, then the new ones in theirs.
  std::vector<uint32_t> expected;
  for (uint32_t i = 0; i < 32; ++i)
    if (!keep.count(i)) expected.push_back(i);
  for (uint32_t i = 100; i < 112; ++i) expected.push_back(i);
  EXPECT_EQ(evicted, expected);
  for (uint32_t n : keep) EXPECT_NE(t.find(key_n(n), flow_hash(key_n(n))), nullptr) << n;
  for (uint32_t i = 112; i < 140; ++i) EXPECT_NE(t.find(key_n(i), flow_hash(key_n(i))), nullptr) << i;
  for (uint32_t n : expected) EXPECT_EQ(t.find(key_n(n), flow_hash(key_n(n))), nullptr) << n;
}

TEST(FlowTableEviction, RefusedWhenNoFlowNearTheHandMayGo) {
  FlowTable t(32);
  fill(t);
  unsigned looked = 0, evictions = 0;
  auto rank = [&](const FlowRecord& r) {
    ++looked;
    return number_of(r) == 20 ? Eviction::Prefer : Eviction::Keep;
  };
  auto count = [&](FlowRecord&) { ++evictions; };
  // The hand looks at records 0-7, then 8-15: no room; then 16-23, where flow 20 may go.
  EXPECT_EQ(t.insert_evicting(key_n(100), flow_hash(key_n(100)), rank, count), nullptr);
  EXPECT_EQ(looked, FlowTable::kEvictScan);
  EXPECT_EQ(t.insert_evicting(key_n(100), flow_hash(key_n(100)), rank, count), nullptr);
  EXPECT_EQ(looked, 2 * FlowTable::kEvictScan);
  EXPECT_EQ(evictions, 0u);
  EXPECT_EQ(t.size(), 32u);
  EXPECT_EQ(t.find(key_n(100), flow_hash(key_n(100))), nullptr);
  for (uint32_t i = 0; i < 32; ++i) EXPECT_NE(t.find(key_n(i), flow_hash(key_n(i))), nullptr) << i;
  EXPECT_NE(t.insert_evicting(key_n(100), flow_hash(key_n(100)), rank, count), nullptr);
  EXPECT_EQ(looked, 2 * FlowTable::kEvictScan + 5);  // stopped at the flow that went
  EXPECT_EQ(evictions, 1u);
  EXPECT_EQ(t.find(key_n(20), flow_hash(key_n(20))), nullptr);
}

TEST(FlowTableEviction, APreferredFlowGoesBeforeAnAllowedOne) {
  FlowTable t(32);
  fill(t);
  auto rank = [](const FlowRecord& r) {
    switch (number_of(r)) {
      case 1: case 10: return Eviction::Allow;
      case 5: return Eviction::Prefer;
      default: return Eviction::Keep;
    }
  };
  std::vector<uint32_t> evicted;
  auto note = [&](FlowRecord& v) { evicted.push_back(number_of(v)); };
  ASSERT_NE(t.insert_evicting(key_n(100), flow_hash(key_n(100)), rank, note), nullptr);  // 0-5: 5 over 1
  ASSERT_NE(t.insert_evicting(key_n(101), flow_hash(key_n(101)), rank, note), nullptr);  // 6-13: only 10
  EXPECT_EQ(t.insert_evicting(key_n(102), flow_hash(key_n(102)), rank, note), nullptr);  // 14-21: none
  EXPECT_EQ(evicted, (std::vector<uint32_t>{5, 10}));
  EXPECT_NE(t.find(key_n(1), flow_hash(key_n(1))), nullptr);
}

TEST(FlowTableEviction, ATableWithRoomEvictsNothing) {
  FlowTable t(8);
  unsigned asked = 0;
  FlowRecord* r = t.insert_evicting(key_n(1), flow_hash(key_n(1)), [&](const FlowRecord&) { ++asked; return Eviction::Prefer; },
                                    [](FlowRecord&) { ADD_FAILURE() << "evicted with room left"; });
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(asked, 0u);
  EXPECT_EQ(t.size(), 1u);
}

// ---- four million flows ------------------------------------------------------------------------

FlowKey key_4m(uint32_t n) {
  FlowKey k;
  k.family = 4;
  k.l4 = n % 2 ? 17 : 6;
  k.lo_addr = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
               static_cast<uint8_t>(n)};
  k.hi_addr = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  k.lo_port = static_cast<uint16_t>(1024 + n % 50000);
  k.hi_port = 443;
  return k;
}

// What configs/wcstap.yaml states for flows.capacity: the table holds 148 bytes a flow.
constexpr size_t kTableBytesPerFlow = 148;

TEST(FlowTable, HoldsFourMillionFlowsInTheStatedMemory) {
  constexpr uint32_t kFlows = 4'194'304;
  FlowTable t(kFlows);
  EXPECT_LE(t.memory_bytes(), size_t{kFlows} * kTableBytesPerFlow + 4096);
  const Nanos then = 5 * kSec;
  bool created;
  for (uint32_t n = 0; n < kFlows; ++n) {
    const FlowKey k = key_4m(n);
    FlowRecord* r = t.find_or_insert(k, flow_hash(k), created);
    ASSERT_NE(r, nullptr) << n;
    ASSERT_TRUE(created) << n;
    r->packets[0] = n;
    t.touch(*r, then);
  }
  EXPECT_EQ(t.size(), kFlows);
  for (uint32_t n = 0; n < kFlows; ++n) {
    const FlowKey k = key_4m(n);
    FlowRecord* r = t.find(k, flow_hash(k));
    ASSERT_NE(r, nullptr) << n;
    ASSERT_EQ(r->packets[0], n);
  }
  // One more: no room; none may go, then the oldest may.
  const FlowKey extra = key_4m(kFlows);
  EXPECT_EQ(t.find_or_insert(extra, flow_hash(extra), created), nullptr);
  EXPECT_EQ(t.insert_evicting(extra, flow_hash(extra), [](const FlowRecord&) { return Eviction::Keep; },
                              [](FlowRecord&) {}),
            nullptr);
  std::vector<uint64_t> evicted;
  FlowRecord* r = t.insert_evicting(extra, flow_hash(extra), [](const FlowRecord&) { return Eviction::Prefer; },
                                    [&](FlowRecord& v) { evicted.push_back(v.packets[0]); });
  ASSERT_NE(r, nullptr);
  t.touch(*r, then);
  EXPECT_EQ(evicted, std::vector<uint64_t>{FlowTable::kEvictScan});  // the hand passed 0-7 refusing
  EXPECT_EQ(t.find(key_4m(FlowTable::kEvictScan), flow_hash(key_4m(FlowTable::kEvictScan))), nullptr);
  EXPECT_EQ(t.size(), kFlows);
  // Idle: a lap of the sweep at the timeout takes none, a lap just after it takes them all.
  t.set_shortest_timeout(kUdpIdle);
  EXPECT_EQ(t.sweep(then + kUdpIdle, kFlows, idle_udp, [](const FlowRecord&) {}), 0u);
  uint64_t expired = 0;
  EXPECT_EQ(t.sweep(then + kUdpIdle + 1, kFlows, idle_udp, [&](const FlowRecord&) { ++expired; }), kFlows);
  EXPECT_EQ(expired, kFlows);
  EXPECT_EQ(t.size(), 0u);
  for (uint32_t n = 0; n < kFlows; n += 4099) EXPECT_EQ(t.find(key_4m(n), flow_hash(key_4m(n))), nullptr) << n;
  EXPECT_EQ(t.find(extra, flow_hash(extra)), nullptr);
}

}  // namespace
}  // namespace wcstap
