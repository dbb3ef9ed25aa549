#include "rtcp/rtcp_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "packet_builder.h"

namespace wcstap {
namespace {

using test::Frame;

struct Walked {
  unsigned count = 0;
  std::vector<RtcpHeader> packets;
  std::vector<std::pair<RtcpHeader, RtcpReportBlock>> blocks;
};

Walked walk(Bytes p) {
  Walked w;
  w.count = walk_rtcp(
      p,
      [&](const RtcpHeader& h) {
        w.packets.push_back(h);
        return true;
      },
      [&](const RtcpHeader& h, const RtcpReportBlock& b) { w.blocks.emplace_back(h, b); });
  return w;
}

const test::ReportBlock kBlockA{.ssrc = 0x1a2b3c4d,
                                .fraction_lost = 25,
                                .cumulative_lost = 1234,
                                .ext_highest_seq = 0x0001fffe,
                                .jitter = 321,
                                .lsr = 0xa1b2c3d4,
                                .dlsr = 0x00010000};
const test::ReportBlock kBlockB{.ssrc = 0x55667788,
                                .fraction_lost = 0,
                                .cumulative_lost = -3,  // duplicates: more received than expected
                                .ext_highest_seq = 70000,
                                .jitter = 7,
                                .lsr = 1,
                                .dlsr = 2};
const test::ReportBlock kBlockC{.ssrc = 0x99aabbcc, .fraction_lost = 255, .cumulative_lost = -8388608};

Frame compound() {
  return test::concat(test::concat(test::rtcp_sr(0x01020304, {kBlockA}), test::rtcp_rr(0x01020304, {kBlockB, kBlockC})),
                      test::rtcp_sdes_cname(0x01020304, "wcs@media"));
}

void expect_block(const RtcpReportBlock& got, const test::ReportBlock& want) {
  EXPECT_EQ(got.ssrc, want.ssrc);
  EXPECT_EQ(got.fraction_lost, want.fraction_lost);
  EXPECT_EQ(got.cumulative_lost, want.cumulative_lost);
  EXPECT_EQ(got.ext_highest_seq, want.ext_highest_seq);
  EXPECT_EQ(got.jitter, want.jitter);
  EXPECT_EQ(got.lsr, want.lsr);
  EXPECT_EQ(got.dlsr, want.dlsr);
}

TEST(Rtcp, CompoundPacketsWalked) {
  Frame f = compound();
  Walked w = walk(f);
  EXPECT_EQ(w.count, 3u);
  ASSERT_EQ(w.packets.size(), 3u);
  EXPECT_EQ(w.packets[0].pt, 200);
  EXPECT_EQ(w.packets[0].count, 1);
  EXPECT_EQ(w.packets[0].length_words, 12);
  EXPECT_EQ(w.packets[0].sender_ssrc, 0x01020304u);
  EXPECT_EQ(w.packets[1].pt, 201);
  EXPECT_EQ(w.packets[1].count, 2);
  EXPECT_EQ(w.packets[1].length_words, 13);
  EXPECT_EQ(w.packets[2].pt, 202);
  EXPECT_EQ(w.packets[2].count, 1);
}

TEST(Rtcp, ReportBlocksCarryEveryField) {
  Frame f = compound();
  Walked w = walk(f);
  ASSERT_EQ(w.blocks.size(), 3u);
  EXPECT_EQ(w.blocks[0].first.pt, 200);
  expect_block(w.blocks[0].second, kBlockA);
  EXPECT_EQ(w.blocks[1].first.pt, 201);
  expect_block(w.blocks[1].second, kBlockB);
  expect_block(w.blocks[2].second, kBlockC);
}

TEST(Rtcp, NegativeCumulativeLostSignExtended) {
  Frame f = test::rtcp_rr(1, {{.ssrc = 2, .cumulative_lost = -1}, {.ssrc = 3, .cumulative_lost = 0x7fffff}});
  Walked w = walk(f);
  ASSERT_EQ(w.blocks.size(), 2u);
  EXPECT_EQ(w.blocks[0].second.cumulative_lost, -1);
  EXPECT_EQ(w.blocks[1].second.cumulative_lost, 0x7fffff);
}

TEST(Rtcp, ReducedSizeFeedbackAlone) {
  Frame f = test::rtcp_nack(0x11111111, 0x22222222, 500, 0x0003);
  Walked w = walk(f);
  EXPECT_EQ(w.count, 1u);
  ASSERT_EQ(w.packets.size(), 1u);
  EXPECT_EQ(w.packets[0].pt, 205);
  EXPECT_EQ(w.packets[0].count, 1);
  EXPECT_EQ(w.packets[0].sender_ssrc, 0x11111111u);
  EXPECT_TRUE(w.blocks.empty());
}

TEST(Rtcp, ReportCountBeyondPacketLengthStopsAtPacketEnd) {
  // RC says 2 but the length covers one block: the second is not read from the next packet.
  Frame rr = test::rtcp_rr(1, {kBlockA});
  rr[0] = 0x82;
  Frame f = test::concat(rr, test::rtcp_sdes_cname(1, "x"));
  Walked w = walk(f);
  EXPECT_EQ(w.count, 2u);
  ASSERT_EQ(w.blocks.size(), 1u);
  expect_block(w.blocks[0].second, kBlockA);
}

TEST(Rtcp, TruncatedSecondPacketStopsTheWalk) {
  Frame f = compound();
  f.resize(test::rtcp_sr(1, {kBlockA}).size() + 20);  // the RR is cut inside its first block
  Walked w = walk(f);
  EXPECT_EQ(w.count, 1u);
  EXPECT_EQ(w.blocks.size(), 1u);
}

TEST(Rtcp, SrtcpTrailerStopsTheWalk) {
  // Unencrypted SRTCP: the compound, then E flag + index (4) and a 10-byte auth tag.
  for (uint32_t e_and_index : {0x00000001u, 0x80000001u, 0x800000c8u}) {
    Frame f = test::concat(test::rtcp_sr(1, {kBlockA}), test::rtcp_rr(1, {kBlockB}));
    for (int i = 3; i >= 0; --i) f.push_back(static_cast<uint8_t>(e_and_index >> (8 * i)));
    f.insert(f.end(), {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06});
    Walked w = walk(f);
    EXPECT_EQ(w.count, 2u) << std::hex << e_and_index;
    EXPECT_EQ(w.blocks.size(), 2u) << std::hex << e_and_index;
  }
}

TEST(Rtcp, EncryptedSrtcpWalksOnlyTheClearHeader) {
  // With encryption only the first 8 bytes are clear: the first header holds, the rest is noise.
  Frame f = test::concat(test::rtcp_sr(1, {}), test::rtcp_rr(1, {kBlockB}));
  for (size_t i = 8; i < f.size(); ++i) f[i] = static_cast<uint8_t>(0x3c ^ (i * 37));
  f.insert(f.end(), {0x80, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  Walked w = walk(f);
  EXPECT_EQ(w.count, 1u);
  ASSERT_EQ(w.packets.size(), 1u);
  EXPECT_EQ(w.packets[0].pt, 200);
}

TEST(Rtcp, BadVersionStopsTheWalk) {
  Frame rr = test::rtcp_rr(1, {kBlockB});
  rr[0] = static_cast<uint8_t>((rr[0] & 0x3f) | 0x40);  // version 1
  Frame f = test::concat(test::rtcp_sr(1, {}), rr);
  EXPECT_EQ(walk(f).count, 1u);
}

TEST(Rtcp, EveryPrefixOfACompoundIsSafe) {
  Frame f = compound();
  const size_t sr = test::rtcp_sr(1, {kBlockA}).size();
  const size_t rr = test::rtcp_rr(1, {kBlockB, kBlockC}).size();
  for (size_t n = 0; n <= f.size(); ++n) {
    auto buf = std::make_unique<uint8_t[]>(n == 0 ? 1 : n);
    std::copy(f.begin(), f.begin() + static_cast<long>(n), buf.get());
    Walked w = walk(Bytes(buf.get(), n));
    unsigned want = n < sr ? 0 : n < sr + rr ? 1 : n < f.size() ? 2 : 3;
    EXPECT_EQ(w.count, want) << n;
  }
}

// The first header of each packet of a datagram.
std::vector<RtcpHeader> headers(const Frame& f) {
  static Frame keep;  // the headers point into it
  keep = f;
  return walk(keep).packets;
}

TEST(Rtcp, NackCountsEveryAskedSequenceNumber) {
  // PID 500 and bits 0, 1 of the mask (501, 502): 3; then a second FCI entry: PID alone.
  Frame f = test::rtcp_nack(1, 2, 500, 0x0003);
  f[3] = 4;  // one more FCI word
  f.insert(f.end(), {0x02, 0x00, 0x00, 0x00});
  auto h = headers(f);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(nack_sequence_count(h[0]), 4u);
  EXPECT_EQ(feedback_media_ssrc(h[0]), 2u);
  EXPECT_EQ(nack_sequence_count(headers(test::rtcp_nack(1, 2, 9, 0xffff))[0]), 17u);
  EXPECT_EQ(nack_sequence_count(headers(test::rtcp_pli(1, 2))[0]), 0u);  // not a NACK
}

TEST(Rtcp, FirNamesEverySsrcOfItsFci) {
  auto h = headers(test::rtcp_fir(1, {0xaaaa, 0xbbbb}));
  std::vector<uint32_t> got;
  for_each_fir_ssrc(h[0], [&](uint32_t s) { got.push_back(s); });
  EXPECT_EQ(got, (std::vector<uint32_t>{0xaaaa, 0xbbbb}));
}

TEST(Rtcp, RembEstimateAndSsrcs) {
  auto h = headers(test::rtcp_remb(1, 0x3ffff, 4, {7, 8}));
  double bps = 0;
  std::vector<uint32_t> got;
  ASSERT_TRUE(for_each_remb_ssrc(h[0], bps, [&](uint32_t s) { got.push_back(s); }));
  EXPECT_DOUBLE_EQ(bps, 262143.0 * 16);
  EXPECT_EQ(got, (std::vector<uint32_t>{7, 8}));
  EXPECT_FALSE(for_each_remb_ssrc(headers(test::rtcp_pli(1, 2))[0], bps, [](uint32_t) {}));
  Frame not_remb = test::rtcp_remb(1, 1, 1, {7});
  not_remb[15] = 'X';
  EXPECT_FALSE(for_each_remb_ssrc(headers(not_remb)[0], bps, [](uint32_t) {}));
}

TEST(Rtcp, ByeListsItsSsrcs) {
  std::vector<uint32_t> got;
  for_each_bye_ssrc(headers(test::rtcp_bye({3, 4, 5}))[0], [&](uint32_t s) { got.push_back(s); });
  EXPECT_EQ(got, (std::vector<uint32_t>{3, 4, 5}));
}

TEST(Rtcp, SenderReportLsrIsTheMiddleOfTheNtpTimestamp) {
  auto h = headers(test::rtcp_sr(1, {}, 0x1122334455667788ull));
  EXPECT_EQ(sender_report_lsr(h[0]), 0x33445566u);
  EXPECT_EQ(sender_report_lsr(headers(test::rtcp_rr(1, {}))[0]), 0u);
}

TEST(Rtcp, InClearWhenPacketsFillTheDatagramOrTheSrtcpTrailerSaysUnencrypted) {
  Frame plain = compound();
  EXPECT_TRUE(rtcp_in_clear(plain));
  Frame srtcp = plain;
  srtcp.insert(srtcp.end(), {0x00, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});  // E = 0, 80-bit tag
  EXPECT_TRUE(rtcp_in_clear(srtcp));
  srtcp[plain.size()] = 0x80;  // E = 1: the trailer says the payload is encrypted
  EXPECT_FALSE(rtcp_in_clear(srtcp));
  // Encrypted: the first packet's length is clear, what follows is noise, then a trailer.
  Frame enc = plain;
  for (size_t i = 8; i < enc.size(); ++i) enc[i] = static_cast<uint8_t>(0x5a ^ (i * 29));
  enc.insert(enc.end(), {0x80, 0, 0, 7, 1, 2, 3, 4});
  EXPECT_FALSE(rtcp_in_clear(enc));
  Frame trailing = plain;
  trailing.insert(trailing.end(), {0, 0});  // stray bytes too few for an SRTCP trailer: plain
  EXPECT_TRUE(rtcp_in_clear(trailing));
  trailing.insert(trailing.end(), {0, 0, 0, 0, 0, 0, 0, 0, 0});  // 11: neither plain nor SRTCP
  EXPECT_FALSE(rtcp_in_clear(trailing));
}

TEST(Rtcp, LooksLikeRtcp) {
  EXPECT_TRUE(looks_like_rtcp(test::rtcp_rr(1, {})));
  EXPECT_TRUE(looks_like_rtcp(test::rtcp_sr(1, {kBlockA})));
  EXPECT_TRUE(looks_like_rtcp(compound()));
  EXPECT_TRUE(looks_like_rtcp(test::rtcp_nack(1, 2, 3, 4)));
}

TEST(Rtcp, LooksLikeRtcpRejectsShortPackets) {
  Frame f = test::rtcp_rr(1, {});
  f.pop_back();
  EXPECT_FALSE(looks_like_rtcp(f));
}

TEST(Rtcp, LooksLikeRtcpRejectsBadVersion) {
  Frame f = test::rtcp_rr(1, {});
  f[0] = 0x40;
  EXPECT_FALSE(looks_like_rtcp(f));
}

TEST(Rtcp, LooksLikeRtcpRejectsPayloadTypesOutsideRange) {
  Frame f = test::rtcp_rr(1, {});
  f[1] = 191;
  EXPECT_FALSE(looks_like_rtcp(f));
  f[1] = 224;
  EXPECT_FALSE(looks_like_rtcp(f));
  f[1] = 192;
  EXPECT_TRUE(looks_like_rtcp(f));
  f[1] = 223;
  EXPECT_TRUE(looks_like_rtcp(f));
}

TEST(Rtcp, LooksLikeRtcpRejectsLengthBeyondDatagram) {
  Frame f = test::rtcp_sr(1, {kBlockA});
  f.resize(f.size() - 4);
  EXPECT_FALSE(looks_like_rtcp(f));
}

TEST(Rtcp, VisitorStopsAfterAHeaderWhenAsked) {
  // SRTCP: only the first header is in clear; the walker must not read blocks or packets after it.
  test::Frame compound = test::rtcp_rr(0x01020304, {kBlockA});
  test::Frame sr = test::rtcp_sr(0x0a0b0c0d, {kBlockB});
  compound.insert(compound.end(), sr.begin(), sr.end());
  unsigned headers = 0, blocks = 0;
  unsigned n = walk_rtcp(
      compound,
      [&](const RtcpHeader&) {
        ++headers;
        return false;
      },
      [&](const RtcpHeader&, const RtcpReportBlock&) { ++blocks; });
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(headers, 1u);
  EXPECT_EQ(blocks, 0u);
}

}  // namespace
}  // namespace wcstap
