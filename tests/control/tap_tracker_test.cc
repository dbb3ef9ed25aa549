// control/TapTracker: per-tap sequence gaps, restarts, goodbye bookkeeping.
#include <gtest/gtest.h>

#include "tap_tracker.h"

namespace wcstap::control {
namespace {

TEST(TapTracker, InOrderMessagesHaveNoGap) {
  TapTracker t;
  EXPECT_EQ(t.on_message("a", 0, true).missed, 0u);
  for (uint64_t s = 1; s < 10; ++s) EXPECT_EQ(t.on_message("a", s, false).missed, 0u);
  EXPECT_EQ(t.total_gaps(), 0u);
  EXPECT_TRUE(t.taps().at("a").hello);
}

TEST(TapTracker, CountsAGap) {
  TapTracker t;
  t.on_message("a", 0, true);
  t.on_message("a", 1, false);
  EXPECT_EQ(t.on_message("a", 5, false).missed, 3u);
  EXPECT_EQ(t.on_message("a", 6, false).missed, 0u);
  EXPECT_EQ(t.total_gaps(), 1u);
  EXPECT_EQ(t.total_missed(), 3u);
}

TEST(TapTracker, JoiningLateIsAGapFromZero) {
  TapTracker t;
  EXPECT_EQ(t.on_message("a", 7, false).missed, 7u);
  EXPECT_FALSE(t.taps().at("a").hello);
}

TEST(TapTracker, StaleSequenceIsFlaggedAndDoesNotMoveBack) {
  TapTracker t;
  t.on_message("a", 0, true);
  t.on_message("a", 1, false);
  const auto c = t.on_message("a", 1, false);
  EXPECT_TRUE(c.stale);
  EXPECT_EQ(t.on_message("a", 2, false).missed, 0u);
}

TEST(TapTracker, HelloAtZeroAgainIsARestart) {
  TapTracker t;
  t.on_message("a", 0, true);
  t.on_message("a", 1, false);
  t.on_goodbye("a");
  const auto c = t.on_message("a", 0, true);
  EXPECT_TRUE(c.restarted);
  EXPECT_FALSE(c.stale);
  EXPECT_FALSE(t.taps().at("a").goodbye);
  EXPECT_EQ(t.taps().at("a").restarts, 1u);
  EXPECT_EQ(t.on_message("a", 1, false).missed, 0u);
}

TEST(TapTracker, TapsAreTrackedApart) {
  TapTracker t;
  t.on_message("a", 0, true);
  t.on_message("b", 0, true);
  EXPECT_EQ(t.on_message("a", 1, false).missed, 0u);
  EXPECT_EQ(t.on_message("b", 1, false).missed, 0u);
}

TEST(TapTracker, AllSaidGoodbyeNeedsEveryTapHeard) {
  TapTracker t;
  EXPECT_FALSE(t.all_said_goodbye());
  t.on_message("a", 0, true);
  t.on_message("b", 0, true);
  t.on_message("a", 1, false);
  t.on_goodbye("a");
  EXPECT_FALSE(t.all_said_goodbye());
  t.on_message("b", 1, false);
  t.on_goodbye("b");
  EXPECT_TRUE(t.all_said_goodbye());
}

}  // namespace
}  // namespace wcstap::control
