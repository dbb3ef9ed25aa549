#include "media/host_evidence.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 7, memo), 0u);  // never noted: its empty slot
  idx.note(Evidence::ReceiverReport, b, 7, 6 * kSec);              // ... filled by its entry
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 7, memo), 6 * kSec);
  idx.note(Evidence::ReceiverReport, b, 7, 8 * kSec);  // moved on in place
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 7, memo), 8 * kSec);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 8, memo), 0u) << "a memo serves one question";
}

TEST(HostEvidence, MemoSeesItsEmptySlotTakenByAnother) {
  // The question's probe ended at an empty slot; another entry takes that slot, and the question's
  // own entry goes after it.
  HostEvidenceIndex idx(8);  // one probe window covers the whole index
  Endpoint b = test::endpoint("10.0.0.2", 1);
  HostEvidenceIndex::Memo memo;
  for (uint32_t tag = 1; tag <= 3; ++tag) idx.note(Evidence::Media, b, tag, tag * kSec);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), 0u);
  for (uint32_t tag = 4; tag <= 6; ++tag) idx.note(Evidence::Media, b, tag, tag * kSec);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), 0u);
  idx.note(Evidence::ReceiverReport, b, 1, 9 * kSec);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), 9 * kSec);
}

TEST(HostEvidence, MemoSeesItsEntryReplacedByAnAddressOfTheSameFold) {
  // Two IPv6 hosts whose 32-bit folds are equal: the memo's slot comes to hold the other's report
  // about the same SSRC, which only the whole address tells apart.
  HostEvidenceIndex idx(8);
  Endpoint b = test::endpoint("2001:db8:1::1", 1), c = test::endpoint("2001:db8::1:1", 1);
  ASSERT_EQ(HostEvidenceIndex::fold(b), HostEvidenceIndex::fold(c));
  idx.note(Evidence::ReceiverReport, b, 7, kSec);
  for (uint32_t tag = 2; tag <= 8; ++tag) idx.note(Evidence::Media, b, tag, tag * kSec);
  HostEvidenceIndex::Memo memo;
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 7, memo), kSec);
  idx.note(Evidence::ReceiverReport, c, 7, 20 * kSec);  // the oldest, b's report, makes room
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 7, memo), 0u);
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, c, 7), 20 * kSec);
}

TEST(HostEvidence, MemosAnswerAsLastDoes) {
  // A small index under many notes (entries added, moved on and replaced, by hosts whose folds
  // collide too): after every note, every memo's answer is last()'s.
  HostEvidenceIndex idx(64);
  std::vector<Endpoint> hosts;
  for (int i = 0; i < 6; ++i) hosts.push_back(test::endpoint(("10.0.0." + std::to_string(i + 1)).c_str(), 5000));
  hosts.push_back(test::endpoint("2001:db8:1::1", 1));
  hosts.push_back(test::endpoint("2001:db8::1:1", 1));
  const Evidence kinds[] = {Evidence::ReceiverReport, Evidence::SenderReport, Evidence::Media};
  struct Question {
    Evidence kind;
    size_t host;
    uint32_t tag;
    HostEvidenceIndex::Memo memo;
  };
  std::vector<Question> questions;
  for (Evidence k : kinds)
    for (size_t h = 0; h < hosts.size(); ++h)
      for (uint32_t tag = 1; tag <= 6; ++tag) questions.push_back({k, h, tag, {}});
  uint64_t x = 12345;
  auto rnd = [&](uint64_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % n;
  };
  unsigned nonzero = 0;
  for (Nanos t = 1; t <= 3000; ++t) {
    const Question& q = questions[rnd(questions.size())];
    idx.note(q.kind, hosts[q.host], q.tag, t * kSec);
    for (Question& a : questions) {
      const Nanos want = idx.last(a.kind, hosts[a.host], a.tag);
      ASSERT_EQ(idx.last(a.kind, hosts[a.host], a.tag, a.memo), want) << "after note " << t;
      nonzero += want != 0;
    }
  }
  // 144 questions on 64 slots: many answered, many not (replaced or never noted).
  EXPECT_GT(nonzero, 3000u * 144 / 4);
  EXPECT_LT(nonzero, 3000u * 144 / 2);
}

TEST(HostEvidence, NoteAtTimeZeroIsKept) {
  HostEvidenceIndex idx;
  Endpoint b = test::endpoint("10.0.0.2", 31003);
  idx.note(Evidence::ReceiverReport, b, 7, 0);
  EXPECT_NE(idx.last(Evidence::ReceiverReport, b, 7), 0u);
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
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), kSec);
  idx.note(Evidence::Media, b, 100, 100 * kSec);  // the oldest, the report, makes room
  EXPECT_EQ(idx.last(Evidence::ReceiverReport, b, 1, memo), 0u);
}

TEST(HostEvidence, FoldIpv4IsTheAddress) {
  Endpoint a = test::endpoint("10.0.0.1", 1), b = test::endpoint("10.0.0.2", 1);
  EXPECT_NE(HostEvidenceIndex::fold(a), HostEvidenceIndex::fold(b));
  EXPECT_EQ(HostEvidenceIndex::fold(a), HostEvidenceIndex::fold(test::endpoint("10.0.0.1", 2)));
}

}  // namespace
}  // namespace wcstap
