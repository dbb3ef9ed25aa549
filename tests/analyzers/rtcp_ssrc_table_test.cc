#include "rtcp/rtcp_ssrc_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "packet_builder.h"

namespace wcstap {
namespace {

constexpr Nanos kSec = 1'000'000'000;
constexpr Nanos kIdle = 60 * kSec;

// Entries for SSRCs 1..n from hosts 10.0.0.1.., last active at `ts`: how many found room (a set
// of the table holds 4).
uint32_t fill(RtcpSsrcTable& t, uint32_t n, Nanos ts) {
  uint32_t kept = 0;
  for (uint32_t ssrc = 1; ssrc <= n; ++ssrc) {
    const std::string host = "10.0." + std::to_string(ssrc / 200) + "." + std::to_string(ssrc % 200 + 1);
    if (t.get(test::endpoint(host.c_str(), 5000), ssrc, ts, kIdle, [](RtcpSsrcEntry&) {})) ++kept;
  }
  return kept;
}

TEST(RtcpSsrcTable, SweepOfALapExpiresEveryIdleEntryOnce) {
  RtcpSsrcTable t(1024);  // slots in many 64-slot words of the in-use bitmap
  const uint32_t kept = fill(t, 300, kSec);
  ASSERT_GT(kept, 250u);
  std::set<uint32_t> expired;
  t.sweep(kSec + kIdle + 1, kIdle, static_cast<uint32_t>(t.slot_count()),
          [&](RtcpSsrcEntry& e) { EXPECT_TRUE(expired.insert(e.ssrc).second) << e.ssrc; });
  EXPECT_EQ(expired.size(), kept);
  EXPECT_EQ(t.in_use(), 0u);
}

TEST(RtcpSsrcTable, SweepKeepsEntriesNotIdleLongEnough) {
  RtcpSsrcTable t(1024);
  const uint32_t kept = fill(t, 100, kSec);
  unsigned expired = 0;
  t.sweep(kSec + kIdle, kIdle, static_cast<uint32_t>(t.slot_count()), [&](RtcpSsrcEntry&) { ++expired; });
  EXPECT_EQ(expired, 0u);  // idle exactly `idle`: not longer
  EXPECT_EQ(t.in_use(), kept);
}

TEST(RtcpSsrcTable, SweepInSmallBudgetsCoversTheTableAcrossItsEnd) {
  RtcpSsrcTable t(1024);
  const uint32_t kept = fill(t, 300, kSec);
  std::set<uint32_t> expired;
  const auto slots = static_cast<uint32_t>(t.slot_count());
  // Budgets that do not divide the table: sweeps cross its end and wrap.
  t.sweep(kSec, kIdle, slots / 3, [](RtcpSsrcEntry&) {});  // nothing due yet: moves the cursor only
  for (uint32_t visited = 0; visited < slots; visited += 37)
    t.sweep(kSec + kIdle + 1, kIdle, 37, [&](RtcpSsrcEntry& e) { expired.insert(e.ssrc); });
  EXPECT_EQ(expired.size(), kept);
  EXPECT_EQ(t.in_use(), 0u);
}

TEST(RtcpSsrcTable, TouchedEntriesOutliveTheSweep) {
  RtcpSsrcTable t(64);  // as many slots as a bitmap word
  ASSERT_EQ(fill(t, 10, kSec), 10u);
  RtcpSsrcEntry* kept = t.find(test::endpoint("10.0.0.4", 5000), 3);
  ASSERT_NE(kept, nullptr);
  t.touch(*kept, 30 * kSec);
  unsigned expired = 0;
  t.sweep(kSec + kIdle + 1, kIdle, static_cast<uint32_t>(t.slot_count()), [&](RtcpSsrcEntry& e) {
    EXPECT_NE(e.ssrc, 3u);
    ++expired;
  });
  EXPECT_EQ(expired, 9u);
  EXPECT_EQ(t.in_use(), 1u);
  EXPECT_EQ(t.find(test::endpoint("10.0.0.4", 5000), 3), kept);
}

// With one choice of set, 4-way sets overflow long before the table is full (half full, about 3.5 %
// of the keys find their set busy; 70 % full, 9 %); with the less loaded of two sets, about none
// and 0.2 %. Every key kept is found again wherever it went.
TEST(RtcpSsrcTable, TwoChoicesFillTheTable) {
  RtcpSsrcTable t(1024);
  ASSERT_EQ(t.slot_count(), 1024u);
  EXPECT_EQ(fill(t, 512, kSec), 512u);
  EXPECT_GE(fill(t, 717, kSec), 712u);  // the same 512 again, and 205 more
  uint32_t found = 0;
  for (uint32_t ssrc = 1; ssrc <= 717; ++ssrc) {
    const std::string host = "10.0." + std::to_string(ssrc / 200) + "." + std::to_string(ssrc % 200 + 1);
    RtcpSsrcEntry* e = t.find(test::endpoint(host.c_str(), 5000), ssrc);
    if (e != nullptr) {
      EXPECT_EQ(e->ssrc, ssrc);
      // get() of a kept key gives the same entry, not a second one.
      EXPECT_EQ(t.get(test::endpoint(host.c_str(), 5000), ssrc, 2 * kSec, kIdle, [](RtcpSsrcEntry&) {}), e);
      ++found;
    }
  }
  EXPECT_EQ(found, t.in_use());
}

// A key that went to its second set (about half do: the less loaded one) is found there, not
// added again, once its first set has room: 160 keys in 256 slots, then half of them expire.
TEST(RtcpSsrcTable, AKeyInItsSecondSetStaysTheOneEntry) {
  RtcpSsrcTable t(256);
  ASSERT_EQ(fill(t, 160, kSec), 160u);
  auto host = [](uint32_t ssrc) {
    return test::endpoint(("10.0.0." + std::to_string(ssrc % 200 + 1)).c_str(), 5000);
  };
  for (uint32_t ssrc = 2; ssrc <= 160; ssrc += 2) t.touch(*t.find(host(ssrc), ssrc), kIdle);
  unsigned expired = 0;
  t.sweep(kSec + kIdle + 1, kIdle, static_cast<uint32_t>(t.slot_count()), [&](RtcpSsrcEntry& e) {
    EXPECT_EQ(e.ssrc % 2, 1u);
    ++expired;
  });
  EXPECT_EQ(expired, 80u);
  for (uint32_t ssrc = 2; ssrc <= 160; ssrc += 2) {
    RtcpSsrcEntry* e = t.find(host(ssrc), ssrc);
    ASSERT_NE(e, nullptr) << ssrc;
    EXPECT_EQ(t.get(host(ssrc), ssrc, kIdle + 2 * kSec, kIdle, [](RtcpSsrcEntry&) {}), e) << ssrc;
  }
  EXPECT_EQ(t.in_use(), 80u);
}

}  // namespace
}  // namespace wcstap
