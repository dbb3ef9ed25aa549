// TCP connection tracking and bounded reassembly, driven segment by segment.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tcp/reassembly.h"
#include "tcp/tcp_conn.h"

namespace wcstap::tcp {
namespace {

constexpr Nanos ms(uint64_t n) { return n * 1'000'000; }

TEST(TcpConn, HandshakeTimesAndState) {
  TcpConn c;
  track_segment(c, 0, ms(1000), kSyn, 100, 0, 64240, 0);
  EXPECT_EQ(c.state, TcpState::SynSent);
  track_segment(c, 1, ms(1030), kSyn | kAck, 900, 101, 65160, 0);
  EXPECT_EQ(c.state, TcpState::SynReceived);
  const auto info = track_segment(c, 0, ms(1032), kAck, 101, 901, 502, 0);
  EXPECT_TRUE(info.established);
  EXPECT_EQ(c.state, TcpState::Established);
  EXPECT_EQ(c.client, 0);
  EXPECT_DOUBLE_EQ(c.syn_rtt_ms, 30);
  EXPECT_DOUBLE_EQ(c.ack_rtt_ms, 2);
}

TEST(TcpConn, SynSentAgainIsCountedNotRestarted) {
  TcpConn c;
  track_segment(c, 1, ms(0), kSyn, 5000, 0, 1000, 0);
  const auto again = track_segment(c, 1, ms(1000), kSyn, 5000, 0, 1000, 0);
  EXPECT_TRUE(again.syn_again);
  EXPECT_EQ(c.syns, 2);
  EXPECT_EQ(c.client, 1);
  EXPECT_EQ(c.syn_ts, ms(0));
  // A different initial sequence number is a new connection attempt.
  track_segment(c, 1, ms(9000), kSyn, 7000, 0, 1000, 0);
  EXPECT_EQ(c.syns, 1);
  EXPECT_EQ(c.syn_ts, ms(9000));
}

TEST(TcpConn, ResetEndsIt) {
  TcpConn c;
  track_segment(c, 0, ms(0), kSyn, 1, 0, 100, 0);
  const auto r = track_segment(c, 1, ms(1), kRst | kAck, 0, 2, 0, 0);
  EXPECT_TRUE(r.reset);
  EXPECT_EQ(c.state, TcpState::Reset);
  EXPECT_EQ(c.rst_from, 1);
}

TEST(TcpConn, RetransmissionsOutOfOrderAndKeepalives) {
  TcpConn c;
  track_segment(c, 0, ms(0), kSyn, 0, 0, 100, 0);
  track_segment(c, 1, ms(1), kSyn | kAck, 0, 1, 100, 0);
  track_segment(c, 0, ms(2), kAck, 1, 1, 100, 0);
  EXPECT_FALSE(track_segment(c, 0, ms(3), kAck, 1, 1, 100, 100).retransmission);
  EXPECT_TRUE(track_segment(c, 0, ms(4), kAck, 1, 1, 100, 100).retransmission);     // same bytes
  EXPECT_TRUE(track_segment(c, 0, ms(5), kAck, 301, 1, 100, 100).out_of_order);     // 101..300 missing
  EXPECT_TRUE(track_segment(c, 0, ms(6), kAck, 101, 1, 100, 200).retransmission);   // the hole, sent late
  EXPECT_FALSE(track_segment(c, 0, ms(7), kAck, 400, 1, 100, 1).retransmission);    // keep-alive probe
  EXPECT_EQ(c.dir[0].retransmits, 2u);
  EXPECT_EQ(c.dir[0].out_of_order, 1u);
  EXPECT_EQ(c.dir[0].payload_bytes, 200u);
}

TEST(TcpConn, ZeroWindowCountedOncePerEpisode) {
  TcpConn c;
  track_segment(c, 1, ms(0), kAck, 10, 10, 0, 0);
  track_segment(c, 1, ms(1), kAck, 10, 10, 0, 0);
  track_segment(c, 1, ms(2), kAck, 10, 10, 500, 0);
  track_segment(c, 1, ms(3), kAck, 10, 10, 0, 0);
  EXPECT_EQ(c.dir[1].zero_windows, 2u);
}

TEST(TcpConn, RoundTripFromDataToItsAck) {
  TcpConn c;
  track_segment(c, 0, ms(1000 + 0), kAck | kPsh, 1, 1, 100, 50);
  track_segment(c, 1, ms(1000 + 40), kAck, 1, 30, 100, 0);   // acknowledges part: no sample
  EXPECT_EQ(c.dir[0].rtt_samples, 0u);
  track_segment(c, 1, ms(1000 + 45), kAck, 1, 51, 100, 0);
  EXPECT_EQ(c.dir[0].rtt_samples, 1u);
  EXPECT_DOUBLE_EQ(c.dir[0].rtt_max_ms, 45);
  // Karn: a retransmitted segment gives no sample.
  track_segment(c, 0, ms(1000 + 100), kAck, 51, 1, 100, 10);
  track_segment(c, 0, ms(1000 + 200), kAck, 51, 1, 100, 10);
  track_segment(c, 1, ms(1000 + 210), kAck, 1, 61, 100, 0);
  EXPECT_EQ(c.dir[0].rtt_samples, 1u);
}

TEST(TcpConn, DataBothWaysWithoutHandshakeIsEstablished) {
  TcpConn c;
  track_segment(c, 0, ms(0), kAck, 1000, 1, 100, 10);
  EXPECT_EQ(c.state, TcpState::None);
  track_segment(c, 1, ms(1), kAck, 1, 1010, 100, 10);
  EXPECT_EQ(c.state, TcpState::Established);
}

TEST(TcpConn, FinsCloseIt) {
  TcpConn c;
  track_segment(c, 0, ms(0), kAck | kFin, 1, 1, 100, 0);
  EXPECT_EQ(c.state, TcpState::Closing);
  track_segment(c, 1, ms(1), kAck | kFin, 1, 2, 100, 0);
  EXPECT_EQ(c.state, TcpState::Closed);
}

// ---- reassembly --------------------------------------------------------------------------------

Bytes bytes_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// A consumer of newline-terminated messages: takes whole lines, leaves a partial one.
struct Lines {
  std::vector<std::string> got;
  int gaps = 0;
  size_t operator()(Bytes b) {
    size_t used = 0;
    for (size_t i = 0; i < b.size(); ++i) {
      if (b[i] == '\n') {
        got.emplace_back(reinterpret_cast<const char*>(b.data()) + used, i - used);
        used = i + 1;
      }
    }
    return used;
  }
};

struct Feed {
  Reassembler r{64, 64 * 8, ms(500)};
  StreamCursor c;
  Lines lines;
  void seg(Nanos ts, uint32_t seq, const std::string& s, uint32_t wire = 0) {
    r.segment(c, ts, seq, bytes_of(s), wire ? wire : static_cast<uint32_t>(s.size()), lines, [&] { ++lines.gaps; });
  }
};

TEST(Reassembly, InOrderWholeMessagesNeedNoWindow) {
  Feed f;
  Reassembler::start(f.c, 99);
  f.seg(0, 100, "one\ntwo\n");
  f.seg(0, 108, "three\n");
  EXPECT_EQ(f.lines.got, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(f.lines.gaps, 0);
  EXPECT_EQ(f.r.counters().buffered, 0u);
  EXPECT_EQ(f.r.windows_in_use(), 0u);
}

TEST(Reassembly, MessageSplitAcrossSegmentsWaitsInAWindow) {
  Feed f;
  Reassembler::start(f.c, 0);
  f.seg(0, 1, "hel");
  EXPECT_TRUE(f.lines.got.empty());
  EXPECT_EQ(f.r.windows_in_use(), 1u);
  f.seg(0, 4, "lo\nwor");
  f.seg(0, 10, "ld\n");
  EXPECT_EQ(f.lines.got, (std::vector<std::string>{"hello", "world"}));
  EXPECT_EQ(f.r.windows_in_use(), 0u);  // given back once nothing waits
}

TEST(Reassembly, OutOfOrderSegmentsWaitForTheGap) {
  Feed f;
  Reassembler::start(f.c, 0);
  f.seg(0, 6, "c\nd\n");    // bytes 6..9 before 1..5
  f.seg(0, 4, "b\n");
  EXPECT_TRUE(f.lines.got.empty());
  f.seg(0, 1, "a\nx");      // fills the gap; "xb" then completes
  EXPECT_EQ(f.lines.got, (std::vector<std::string>{"a", "xb", "c", "d"}));
  EXPECT_EQ(f.lines.gaps, 0);
  EXPECT_EQ(f.r.counters().out_of_order, 2u);
}

TEST(Reassembly, RetransmissionsAreNotDeliveredTwice) {
  Feed f;
  Reassembler::start(f.c, 0);
  f.seg(0, 1, "ab\n");
  f.seg(0, 1, "ab\n");
  f.seg(0, 2, "b\ncd\n");  // overlaps: only "cd\n" is new
  EXPECT_EQ(f.lines.got, (std::vector<std::string>{"ab", "cd"}));
}

TEST(Reassembly, AGapThatNeverFillsIsGivenUpAfterItsTimeout) {
  Feed f;
  Reassembler::start(f.c, 0);
  f.seg(ms(0), 1, "par");
  f.seg(ms(10), 10, "late\n");       // 4..9 never come
  f.seg(ms(600), 15, "next\n");      // past the 500 ms gap timeout
  EXPECT_EQ(f.lines.gaps, 1);
  EXPECT_EQ(f.lines.got, (std::vector<std::string>{"late", "next"}));
  EXPECT_EQ(f.r.counters().gaps, 1u);
  EXPECT_EQ(f.r.counters().gap_bytes, 6u + 3u);  // the hole, and "par" whose line never ended
}

TEST(Reassembly, TooManyHolesGiveUpTheFirst) {
  Feed f;
  Reassembler::start(f.c, 0);
  for (uint32_t i = 0; i < 5; ++i) f.seg(0, 10 + i * 4, "x" + std::to_string(i) + "\n");  // 4 ranges + 1
  // The fifth range did not fit: the gap before the first held range was given up.
  EXPECT_EQ(f.lines.gaps, 1);
  EXPECT_FALSE(f.lines.got.empty());
}

TEST(Reassembly, MidStreamStartIsAGap) {
  Feed f;
  f.seg(0, 5000, "tail of something\nfresh\n");
  EXPECT_EQ(f.lines.gaps, 1);
  EXPECT_EQ(f.lines.got.size(), 2u);
}

TEST(Reassembly, MessageLongerThanTheWindowIsDroppedAndCounted) {
  Feed f;
  Reassembler::start(f.c, 0);
  uint32_t seq = 1;
  for (int i = 0; i < 5; ++i) {  // 80 bytes with no newline: the 64-byte window fills
    f.seg(0, seq, std::string(16, 'z'));
    seq += 16;
  }
  f.seg(0, seq, "\nok\n");
  EXPECT_GE(f.r.counters().window_full, 1u);
  EXPECT_GE(f.lines.gaps, 1);
  EXPECT_EQ(f.lines.got.back(), "ok");
}

TEST(Reassembly, SnaplenCutSegmentIsAGapForTheRest) {
  Feed f;
  Reassembler::start(f.c, 0);
  f.seg(0, 1, "ab\ncd", 10);  // 5 of 10 bytes captured
  f.seg(0, 11, "ef\n");
  EXPECT_EQ(f.lines.gaps, 1);
  EXPECT_EQ(f.lines.got, (std::vector<std::string>{"ab", "ef"}));
}

TEST(Reassembly, ConsumerCanSkipBytesItWillNotRead) {
  Reassembler r{64, 512, ms(500)};
  StreamCursor c;
  Reassembler::start(c, 0);
  std::vector<std::string> frames;
  // Length-prefixed frames: "N:" then N bytes. Frames over 6 bytes are skipped, not read.
  auto consume = [&](Bytes b) -> size_t {
    if (b.size() < 2) return 0;
    const size_t n = b[0] - '0';
    if (n > 6) return 2 + n;  // asks to pass over it
    if (b.size() < 2 + n) return 0;
    frames.emplace_back(reinterpret_cast<const char*>(b.data()) + 2, n);
    return 2 + n;
  };
  auto gap = [] {};
  const std::string s = "3:abc9:123456789" "2:ok";
  r.segment(c, 0, 1, bytes_of(s.substr(0, 8)), 8, consume, gap);
  r.segment(c, 0, 9, bytes_of(s.substr(8)), static_cast<uint32_t>(s.size() - 8), consume, gap);
  EXPECT_EQ(frames, (std::vector<std::string>{"abc", "ok"}));
  EXPECT_EQ(r.counters().skipped, 8u);  // the part of the skipped frame's body that came later
}

TEST(Reassembly, NoFreeWindowDropsAndCounts) {
  Reassembler r{64, 64, ms(500)};  // one window in all
  StreamCursor a, b;
  Lines la, lb;
  Reassembler::start(a, 0);
  Reassembler::start(b, 0);
  r.segment(a, 0, 1, bytes_of("partial"), 7, la, [] {});
  int gaps = 0;
  r.segment(b, 0, 1, bytes_of("also partial"), 12, lb, [&] { ++gaps; });
  EXPECT_EQ(gaps, 1);
  EXPECT_EQ(r.counters().no_window, 12u);
}

// The same stream cut into random segments, delivered in random order with duplicates, gives the
// same messages as delivered whole, while the holes fit the window.
TEST(Reassembly, RandomSplitsAndReorderingGiveTheSameMessages) {
  std::mt19937 rng(7);
  std::string stream;
  for (int i = 0; i < 200; ++i) stream += "message " + std::to_string(i * 7919 % 1000) + "\n";
  for (int round = 0; round < 50; ++round) {
    Reassembler r{4096, 4096 * 4, ms(10'000)};
    StreamCursor c;
    Reassembler::start(c, 41);
    Lines lines;
    struct Seg {
      uint32_t off, len;
    };
    std::vector<Seg> segs;
    for (uint32_t off = 0; off < stream.size();) {
      const uint32_t len = std::min<uint32_t>(1 + rng() % 40, static_cast<uint32_t>(stream.size()) - off);
      segs.push_back({off, len});
      off += len;
    }
    // Swap neighbours now and then, and send some twice.
    for (size_t i = 0; i + 1 < segs.size(); ++i)
      if (rng() % 4 == 0) std::swap(segs[i], segs[i + 1]);
    for (const auto& s : segs) {
      const Bytes b = bytes_of(stream).subspan(s.off, s.len);
      r.segment(c, 0, 42 + s.off, b, s.len, lines, [&] { ++lines.gaps; });
      if (rng() % 5 == 0) r.segment(c, 0, 42 + s.off, b, s.len, lines, [&] { ++lines.gaps; });
    }
    ASSERT_EQ(lines.gaps, 0) << "round " << round;
    ASSERT_EQ(lines.got.size(), 200u) << "round " << round;
    EXPECT_EQ(lines.got[199], "message " + std::to_string(199 * 7919 % 1000));
    EXPECT_EQ(r.windows_in_use(), 0u);
  }
}

}  // namespace
}  // namespace wcstap::tcp
