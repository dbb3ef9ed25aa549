#include "media/host_evidence.h"

#include <gtest/gtest.h>

#include "packet_builder.h"

namespace wcstap {
namespace {

constexpr Nanos kSec = 1'000'000'000;

TEST(HostEvidence, NeverSeenIsZero) {
  HostEvidenceIndex idx;
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, test::endpoint("10.0.0.2", 31003), 7), 0u);
}

TEST(HostEvidence, LastNoteWins) {
  HostEvidenceIndex idx;
  Endpoint b = test::endpoint("10.0.0.2", 31003);
  idx.note(Evidence::ReceiverReport, b, 0x1a2b3c4d, 5 * kSec);
  idx.note(Evidence::ReceiverReport, b, 0x1a2b3c4d, 10 * kSec);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 0x1a2b3c4d), 10 * kSec);
}

TEST(HostEvidence, GapIsBetweenTheLastTwoNotes) {
  HostEvidenceIndex idx;
  Endpoint b = test::endpoint("10.0.0.2", 31003);
  idx.note(Evidence::ReceiverReport, b, 7, 5 * kSec);
  EXPECT_EQ(idx.last_gap(Evidence::ReceiverReport, b, 7), 0u);  // one note: no pace yet
  idx.note(Evidence::ReceiverReport, b, 7, 6 * kSec);
  idx.note(Evidence::ReceiverReport, b, 7, 6 * kSec);  // the same moment again changes nothing
  EXPECT_EQ(idx.last_gap(Evidence::ReceiverReport, b, 7), kSec);
  idx.note(Evidence::ReceiverReport, b, 7, 8 * kSec);
  EXPECT_EQ(idx.last_gap(Evidence::ReceiverReport, b, 7), 2 * kSec);
  EXPECT_EQ(idx.last_gap(Evidence::SenderReport, b, 7), 0u);
}

TEST(HostEvidence, KeyedByHostNotPort) {
  HostEvidenceIndex idx;
  idx.note(Evidence::ReceiverReport, test::endpoint("10.0.0.2", 31003), 9, 5 * kSec);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, test::endpoint("10.0.0.2", 31002), 9), 5 * kSec);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, test::endpoint("10.0.0.3", 31003), 9), 0u);
}

TEST(HostEvidence, KindAndTagKeptApart) {
  HostEvidenceIndex idx;
  Endpoint b = test::endpoint("2001:db8::2", 31003);
  idx.note(Evidence::SenderReport, b, 9, 5 * kSec);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 9), 0u);
  EXPECT_EQ(idx.last(Evidence::SenderReport, b, 10), 0u);
  EXPECT_EQ(idx.last(Evidence::SenderReport, b, 9), 5 * kSec);
}

TEST(HostEvidence, FullWindowReplacesOldest) {
  HostEvidenceIndex idx(8);  // one probe window covers the whole index
  Endpoint b = test::endpoint("10.0.0.2", 1);
  for (uint32_t tag = 1; tag <= 8; ++tag) idx.note(Evidence::ReceiverReport, b, tag, tag * kSec);
  idx.note(Evidence::ReceiverReport, b, 100, 100 * kSec);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1), 0u);  // the oldest went
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 100), 100 * kSec);
  for (uint32_t tag = 2; tag <= 8; ++tag) EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, tag), tag * kSec) << tag;
}

TEST(HostEvidence, MemoFollowsNotesOfItsOwnEntry) {
  HostEvidenceIndex idx;
  Endpoint b = test::endpoint("10.0.0.2", 31003);
  HostEvidenceIndex::Memo memo;
  EXPECT_FALSE(idx.current(memo));  // never asked
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 7, memo), 0u);
  EXPECT_TRUE(idx.current(memo));
  idx.note(Evidence::ReceiverReport, b, 7, 6 * kSec);
  EXPECT_FALSE(idx.current(memo));
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 7, memo), 6 * kSec);
  idx.note(Evidence::ReceiverReport, b, 7, 6 * kSec);  // the same moment again changes nothing
  EXPECT_TRUE(idx.current(memo));
}

TEST(HostEvidence, MemoStandsWhileOtherStreamsNote) {
  // Notes about other streams (here 200 SSRCs of another host, every kind) land all over the
  // index: only those near the memo's entry make it ask again, and the answer stays right.
  HostEvidenceIndex idx;
  Endpoint b = test::endpoint("10.0.0.2", 31003), c = test::endpoint("10.0.0.3", 40000);
  idx.note(Evidence::ReceiverReport, b, 7, 2 * kSec);
  HostEvidenceIndex::Memo memo;
  ASSERT_EQ(idx.last(Evidence::ReceiverReport, b, 7, memo), 2 * kSec);
  unsigned stood = 0, notes = 0;
  for (uint32_t ssrc = 1000; ssrc < 1200; ++ssrc) {
    for (Evidence k : {Evidence::ReceiverReport, Evidence::SenderReport, Evidence::SsrcFrom}) {
      idx.note(k, c, ssrc, 3 * kSec);
      ++notes;
      stood += idx.current(memo);
      EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 7, memo), 2 * kSec);
    }
  }
  // 4096 slots in 64 regions: a note lands in the memo's one or two regions about 1 time in 32.
  EXPECT_GT(stood, notes * 9 / 10);
  EXPECT_LT(stood, notes);  // ... and some did: the memo does see notes near it
}

TEST(HostEvidence, MemoStandsWhileOtherKindsMoveOn) {
  // Every stream notes its media every 100 ms, moving its entries on: a receiver-report memo in
  // the same region only asks again for entries added or replaced, or reports moving on.
  HostEvidenceIndex idx(8);  // one probe window covers the whole index
  Endpoint b = test::endpoint("10.0.0.2", 1);
  idx.note(Evidence::ReceiverReport, b, 1, kSec);
  for (uint32_t tag = 2; tag <= 4; ++tag) idx.note(Evidence::Media, b, tag, kSec);
  idx.note(Evidence::ReceiverReport, b, 5, kSec);
  HostEvidenceIndex::Memo memo;
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), kSec);
  for (Nanos t = 2 * kSec; t < 4 * kSec; t += kSec / 10)
    for (uint32_t tag = 2; tag <= 4; ++tag) idx.note(Evidence::Media, b, tag, t);
  EXPECT_TRUE(idx.current(memo));
  idx.note(Evidence::ReceiverReport, b, 5, 5 * kSec);  // another report moved on: asked again
  EXPECT_FALSE(idx.current(memo));
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), kSec);
  idx.note(Evidence::Media, b, 6, 6 * kSec);  // a new entry: asked again
  EXPECT_FALSE(idx.current(memo));
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), kSec);
  idx.note(Evidence::ReceiverReport, b, 1, 7 * kSec);  // its own
  EXPECT_FALSE(idx.current(memo));
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), 7 * kSec);
}

TEST(HostEvidence, GapIsToTheMillisecond) {
  HostEvidenceIndex idx;
  Endpoint b = test::endpoint("10.0.0.2", 31003);
  idx.note(Evidence::ReceiverReport, b, 7, 5 * kSec);
  idx.note(Evidence::ReceiverReport, b, 7, 5 * kSec + 1'234'567'890);
  EXPECT_EQ(idx.last_gap(Evidence::ReceiverReport, b, 7), 1'234'000'000u);
  idx.note(Evidence::ReceiverReport, b, 7, 5 * kSec + 1'234'600'000);  // under a millisecond: one
  EXPECT_EQ(idx.last_gap(Evidence::ReceiverReport, b, 7), 1'000'000u);
  idx.note(Evidence::ReceiverReport, b, 7, 6 * 3600 * kSec);  // hours: saturated, not wrapped
  EXPECT_EQ(idx.last_gap(Evidence::ReceiverReport, b, 7), Nanos{(1u << 24) - 1} * 1'000'000);
}

TEST(HostEvidence, MemoSeesItsEntryReplacedByAnotherKind) {
  HostEvidenceIndex idx(8);  // one probe window covers the whole index
  Endpoint b = test::endpoint("10.0.0.2", 1);
  idx.note(Evidence::ReceiverReport, b, 1, kSec);
  HostEvidenceIndex::Memo memo;
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), kSec);
  for (uint32_t tag = 2; tag <= 8; ++tag) idx.note(Evidence::Media, b, tag, tag * kSec);
  EXPECT_FALSE(idx.current(memo));  // filled free slots near it: asked again, same answer
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), kSec);
  idx.note(Evidence::Media, b, 100, 100 * kSec);  // the oldest, the report, makes room
  EXPECT_FALSE(idx.current(memo));
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), 0u);
}

TEST(HostEvidence, FoldIpv4IsTheAddress) {
  Endpoint a = test::endpoint("10.0.0.1", 1), b = test::endpoint("10.0.0.2", 1);
  EXPECT_NE(HostEvidenceIndex::fold(a), HostEvidenceIndex::fold(b));
  EXPECT_EQ(HostEvidenceIndex::fold(a), HostEvidenceIndex::fold(test::endpoint("10.0.0.1", 2)));
}

}  // namespace
}  // namespace wcstap
