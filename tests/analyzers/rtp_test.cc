#include <gtest/gtest.h>

#include <initializer_list>

#include "packet_builder.h"
#include "rtp/rtp_parser.h"
#include "rtp/rtp_stream.h"

namespace wcstap {
namespace {

using test::Frame;

constexpr Nanos kMs = 1'000'000;

// ---- parse_rtp ---------------------------------------------------------------------------------

TEST(RtpParser, FixedHeaderFields) {
  Frame f = test::rtp({.marker = true, .pt = 111, .seq = 0xabcd, .timestamp = 0x01020304, .ssrc = 0x1a2b3c4d});
  RtpHeader h;
  ASSERT_TRUE(parse_rtp(f, h));
  EXPECT_TRUE(h.marker);
  EXPECT_FALSE(h.padding);
  EXPECT_FALSE(h.extension);
  EXPECT_EQ(h.pt, 111);
  EXPECT_EQ(h.seq, 0xabcd);
  EXPECT_EQ(h.timestamp, 0x01020304u);
  EXPECT_EQ(h.ssrc, 0x1a2b3c4du);
  EXPECT_EQ(h.csrc_count, 0);
  EXPECT_EQ(h.header_len, 12);
}

TEST(RtpParser, PaddingFlag) {
  RtpHeader h;
  ASSERT_TRUE(parse_rtp(test::rtp({.padding = true, .ssrc = 1}), h));
  EXPECT_TRUE(h.padding);
}

TEST(RtpParser, CsrcsCountInHeaderLength) {
  Frame f = test::rtp({.ssrc = 1, .csrcs = {0x11111111, 0x22222222, 0x33333333}});
  RtpHeader h;
  ASSERT_TRUE(parse_rtp(f, h));
  EXPECT_EQ(h.csrc_count, 3);
  EXPECT_EQ(h.header_len, 12 + 12);
}

TEST(RtpParser, ExtensionCountsInHeaderLength) {
  Frame f = test::rtp({.ssrc = 1, .ext_profile = 0xbede, .ext_words = {0x10ff0000, 0x22000000}});
  RtpHeader h;
  ASSERT_TRUE(parse_rtp(f, h));
  EXPECT_TRUE(h.extension);
  EXPECT_EQ(h.header_len, 12 + 4 + 8);
}

TEST(RtpParser, CsrcsAndExtensionTogether) {
  Frame f = test::rtp({.ssrc = 1, .csrcs = {7, 8}, .ext_profile = 0x1000, .ext_words = {1}});
  RtpHeader h;
  ASSERT_TRUE(parse_rtp(f, h));
  EXPECT_EQ(h.header_len, 12 + 8 + 4 + 4);
}

TEST(RtpParser, EmptyExtensionAndNoPayload) {
  Frame f = test::rtp({.ssrc = 1, .ext_profile = 0xbede, .payload_size = 0});
  RtpHeader h;
  ASSERT_TRUE(parse_rtp(f, h));
  EXPECT_EQ(h.header_len, 16);
  EXPECT_EQ(h.header_len, f.size());
}

TEST(RtpParser, RejectsBadVersion) {
  RtpHeader h;
  for (uint8_t v : {0, 1, 3}) EXPECT_FALSE(parse_rtp(test::rtp({.version = v, .ssrc = 1}), h)) << int{v};
}

TEST(RtpParser, RejectsShorterThanFixedHeader) {
  Frame f = test::rtp({.ssrc = 1, .payload_size = 0});
  f.pop_back();
  RtpHeader h;
  EXPECT_FALSE(parse_rtp(f, h));
}

TEST(RtpParser, RejectsCsrcsBeyondPacket) {
  Frame f = test::rtp({.ssrc = 1, .csrcs = {1, 2}, .payload_size = 0});
  f.resize(f.size() - 1);
  RtpHeader h;
  EXPECT_FALSE(parse_rtp(f, h));
}

TEST(RtpParser, RejectsTruncatedExtensionHeader) {
  Frame f = test::rtp({.ssrc = 1, .ext_profile = 0xbede, .payload_size = 0});
  f.resize(14);  // the extension bit is set, its 4-byte header is cut
  RtpHeader h;
  EXPECT_FALSE(parse_rtp(f, h));
}

TEST(RtpParser, RejectsExtensionLongerThanPacket) {
  Frame f = test::rtp({.ssrc = 1, .ext_profile = 0xbede, .ext_words = {1, 2, 3}, .payload_size = 0});
  f.resize(f.size() - 4);
  RtpHeader h;
  EXPECT_FALSE(parse_rtp(f, h));
}

TEST(RtpParser, EveryPrefixOfAPacketIsSafe) {
  Frame f = test::rtp({.ssrc = 1, .csrcs = {1}, .ext_profile = 0xbede, .ext_words = {1, 2}, .payload_size = 4});
  for (size_t n = 0; n <= f.size(); ++n) {
    Frame prefix(f.begin(), f.begin() + static_cast<long>(n));
    RtpHeader h;
    EXPECT_EQ(parse_rtp(prefix, h), n >= 12 + 4 + 4 + 8) << n;
  }
}

// ---- RtpStreamState ----------------------------------------------------------------------------

RtpStreamState stream_of(std::initializer_list<uint16_t> seqs) {
  RtpStreamState s;
  Nanos ts = 1000 * kMs;
  for (uint16_t seq : seqs) {
    RtpHeader h;
    h.seq = seq;
    h.pt = 111;
    h.ssrc = 0x1a2b3c4d;
    s.count(h, 172, ts);
    ts += 20 * kMs;
  }
  return s;
}

TEST(RtpStream, FirstPacketStartsTheStream) {
  RtpStreamState s = stream_of({4242});
  EXPECT_EQ(s.packets, 1u);
  EXPECT_EQ(s.bytes, 172u);
  EXPECT_EQ(s.pt, 111);
  EXPECT_EQ(s.ext_first, 4242);
  EXPECT_EQ(s.ext_max, 4242);
  EXPECT_EQ(s.first_ts, 1000 * kMs);
  EXPECT_EQ(s.last_ts, 1000 * kMs);
  EXPECT_FALSE(s.confirmed);
  EXPECT_EQ(s.lost(), 0);
}

// closes_second() (what the pipeline's look-ahead asks two packets early) says what count() then
// does: packets 0.2 to 3.3 s apart, on second boundaries and around them, and a silence of seconds.
TEST(RtpStream, ClosesSecondForetellsCount) {
  RtpStreamState s;
  const Nanos gaps_ms[] = {0, 200, 799, 1, 999, 1, 1000, 3300, 250, 250, 250, 250, 2000, 1};
  Nanos ts = 1000 * kMs;
  unsigned closed = 0;
  uint16_t seq = 100;
  for (Nanos gap : gaps_ms) {
    ts += gap * kMs;
    RtpHeader h;
    h.seq = seq++;
    h.pt = 111;
    h.ssrc = 7;
    const bool foretold = s.closes_second(ts);
    s.count(h, 172, ts);
    EXPECT_EQ(foretold, s.second_closed) << "at " << (ts - 1000 * kMs) / kMs << " ms";
    closed += s.second_closed;
  }
  EXPECT_GE(closed, 5u);
}

// lossy_seconds (what packet_loss reads to skip the window's sums) says which of the ring's seconds
// lost packets, as loss_window() finds them: a stream of 50 packets a second losing some in random
// seconds, with silences of 2 to 12 s (longer than the ring), checked after every packet for every
// window of 1 to 8 s.
TEST(RtpStream, LossySecondsAgreeWithTheLossWindow) {
  RtpStreamState s;
  uint64_t rng = 12345;
  auto next = [&] { return rng = rng * 6364136223846793005ull + 1442695040888963407ull, rng >> 33; };
  Nanos ts = 1000 * kMs;
  uint16_t seq = 60000;  // wraps on the way
  unsigned checked = 0, lossy = 0;
  for (int second = 0; second < 120; ++second) {
    const bool loses = next() % 3 == 0;
    if (next() % 10 == 0) ts += (2000 + next() % 10000) * kMs;  // a silence
    for (int k = 0; k < 50; ++k, ts += 20 * kMs) {
      const bool drop = loses && next() % 5 == 0;
      const uint16_t this_seq = seq++;
      if (drop) continue;
      RtpHeader h;
      h.seq = this_seq;
      h.pt = 111;
      h.ssrc = 9;
      s.count(h, 172, ts);
      for (unsigned w = 1; w <= RtpStreamState::kLossSeconds && w <= s.closed_seconds; ++w) {
        uint64_t expected, received;
        Nanos first_lossy;
        s.loss_window(w, expected, received, first_lossy);
        const bool bits = (s.lossy_seconds & ((1u << w) - 1)) != 0;
        ASSERT_EQ(bits, first_lossy != 0) << "second " << second << ", window " << w;
        ++checked;
        lossy += bits;
      }
    }
  }
  EXPECT_GT(checked, 10000u);
  EXPECT_GT(lossy, 1000u);
  EXPECT_LT(lossy, checked - 1000);
}

TEST(RtpStream, TwoInSequencePacketsAreStillOnProbation) { EXPECT_FALSE(stream_of({10, 11}).confirmed); }

TEST(RtpStream, ThreeInSequencePacketsConfirm) {
  RtpStreamState s = stream_of({10, 11, 12});
  EXPECT_TRUE(s.confirmed);
  EXPECT_EQ(s.last_ts, 1040 * kMs);
}

TEST(RtpStream, GapDuringProbationRestartsIt) {
  EXPECT_FALSE(stream_of({10, 11, 13, 14}).confirmed);
  EXPECT_TRUE(stream_of({10, 11, 13, 14, 15}).confirmed);
}

TEST(RtpStream, RepeatedSequenceNumbersDoNotConfirm) { EXPECT_FALSE(stream_of({10, 10, 10, 10}).confirmed); }

TEST(RtpStream, ExtendedSequenceAcrossWrap) {
  RtpStreamState s = stream_of({65533, 65534, 65535, 0, 1, 2});
  EXPECT_EQ(s.ext_first, 65533);
  EXPECT_EQ(s.ext_max, 65536 + 2);
  EXPECT_EQ(s.lost(), 0);
  EXPECT_TRUE(s.confirmed);
}

TEST(RtpStream, ExtendedSequenceAcrossSeveralWraps) {
  RtpStreamState s;
  RtpHeader h;
  uint16_t seq = 65000;
  for (int i = 0; i < 3 * 65536 + 10; ++i) {
    h.seq = seq++;
    s.count(h, 100, 1);
  }
  EXPECT_EQ(s.ext_first, 65000);
  EXPECT_EQ(s.ext_max, 65000 + 3 * 65536 + 9);
  EXPECT_EQ(s.lost(), 0);
}

TEST(RtpStream, LostCountsGaps) {
  RtpStreamState s = stream_of({1, 2, 3, 5, 6, 9});
  // expected = 9 - 1 + 1 = 9, received 6
  EXPECT_EQ(s.lost(), 3);
}

TEST(RtpStream, LostCountsGapsAcrossWrap) {
  RtpStreamState s = stream_of({65534, 65535, 1, 2});
  EXPECT_EQ(s.ext_max, 65536 + 2);
  EXPECT_EQ(s.lost(), 1);
}

TEST(RtpStream, DuplicatesMakeLostNegative) {
  RtpStreamState s = stream_of({1, 2, 3, 3, 4, 4});
  EXPECT_EQ(s.packets, 6u);
  EXPECT_EQ(s.ext_max, 4);
  EXPECT_EQ(s.lost(), -2);
}

TEST(RtpStream, ReorderingDoesNotMoveMaxBackwards) {
  RtpStreamState s = stream_of({1, 2, 3, 5, 4, 6});
  EXPECT_EQ(s.ext_max, 6);
  EXPECT_EQ(s.lost(), 0);
}

TEST(RtpStream, ReorderingAcrossWrapDoesNotMoveMaxBackwards) {
  RtpStreamState s = stream_of({65533, 65534, 0, 65535, 1});
  EXPECT_EQ(s.ext_max, 65536 + 1);
  EXPECT_EQ(s.lost(), 0);
}

TEST(RtpStream, LatePacketAfterWrapStaysInPreviousCycle) {
  RtpStreamState s = stream_of({65530, 65531, 65532, 0, 1});
  EXPECT_EQ(s.ext_max, 65537);
  RtpHeader h;
  h.seq = 65533;  // late, from before the wrap
  s.count(h, 172, 2000 * kMs);
  EXPECT_EQ(s.ext_max, 65537);
  EXPECT_EQ(s.lost(), 65537 - 65530 + 1 - 6);
}

TEST(RtpStream, BytesAndLastTimeAccumulate) {
  RtpStreamState s = stream_of({1, 2, 3, 4});
  EXPECT_EQ(s.bytes, 4u * 172);
  EXPECT_EQ(s.first_ts, 1000 * kMs);
  EXPECT_EQ(s.last_ts, 1060 * kMs);
}

// ---- duplicates, reordering, timing --------------------------------------------------------------

struct TimedPacket {
  uint16_t seq;
  uint32_t rtp_ts;
  double at_ms;
  uint8_t pt = 0;
  bool marker = false;
};

RtpStreamEvent timed_stream(std::initializer_list<TimedPacket> pkts) {
  RtpStreamState s;
  for (const auto& p : pkts) {
    RtpHeader h;
    h.seq = p.seq;
    h.timestamp = p.rtp_ts;
    h.pt = p.pt;
    h.marker = p.marker;
    s.count(h, 172, static_cast<Nanos>(p.at_ms * 1e6));
  }
  RtpStreamEvent ev;
  s.fill(ev);
  return ev;
}

TEST(RtpStream, DuplicatesAndReorderedAreTellApart) {
  RtpStreamState s = stream_of({1, 2, 4, 3, 3, 4, 5});
  RtpStreamEvent ev;
  s.fill(ev);
  EXPECT_EQ(ev.reordered, 1u);   // 3 after 4
  EXPECT_EQ(ev.duplicates, 2u);  // 3 and 4 again
  EXPECT_EQ(ev.lost, -2);        // Wireshark's count: duplicates make it negative
}

TEST(RtpStream, StaticPayloadTypeGivesTheClockRate) {
  RtpStreamEvent ev = timed_stream({{1, 0, 0}, {2, 160, 20}});
  EXPECT_EQ(ev.clock_rate, 8000u);
  EXPECT_EQ(ev.clock_source, ClockSource::Static);
  ev = timed_stream({{1, 0, 0, 111}, {2, 960, 20, 111}});
  EXPECT_EQ(ev.clock_rate, 0u);
  EXPECT_EQ(ev.clock_source, ClockSource::None);
  EXPECT_EQ(static_clock_rate(34), 90000u);
  EXPECT_EQ(static_clock_rate(9), 8000u);  // G.722's RTP clock is 8000 (RFC 3551)
}

TEST(RtpStream, PerfectPacingHasNoJitterAndItsDelta) {
  RtpStreamEvent ev = timed_stream({{1, 0, 0}, {2, 160, 20}, {3, 320, 40}, {4, 480, 60}});
  EXPECT_DOUBLE_EQ(ev.jitter_max_ms, 0);
  EXPECT_DOUBLE_EQ(ev.max_delta_ms, 20);
  EXPECT_NEAR(ev.mean_delta_ms, 20, 1e-9);
}

TEST(RtpStream, OneLatePacketGivesASixteenthOfItsLateness) {
  // RFC 3550: J += (|D| - J) / 16. Packet 3 arrives 8 ms late: D = 8 ms, J = 0.5 ms. Packet 4 is on
  // time again, 12 ms after packet 3 for 20 ms of media: |D| = 8 ms, J = 0.5 + (8 - 0.5) / 16.
  RtpStreamEvent ev = timed_stream({{1, 0, 0}, {2, 160, 20}, {3, 320, 48}, {4, 480, 60}});
  EXPECT_NEAR(ev.jitter_max_ms, 0.5 + 7.5 / 16, 1e-9);
  EXPECT_DOUBLE_EQ(ev.max_delta_ms, 28);
}

TEST(RtpStream, MarkerPacketsAreLeftOutOfTheStatistics) {
  // A talkspurt starting after 500 ms of silence: its marker packet's gap is not a delay.
  RtpStreamEvent ev = timed_stream({{1, 0, 0}, {2, 160, 20}, {3, 4160, 520, 0, true}, {4, 4320, 540}});
  EXPECT_DOUBLE_EQ(ev.max_delta_ms, 20);
  EXPECT_DOUBLE_EQ(ev.jitter_max_ms, 0);
}

TEST(RtpStream, TelephoneEventsLikeWireshark) {
  // PCMU with an RFC 4733 event (dynamic PT 101, clock unknown) in between. As in tshark 4.0 (and so
  // matching it on SIP_DTMF2.cap): the event packets give no jitter sample and their frozen timestamp
  // never becomes the reference, but their arrival does. The first audio after the event is 20 ms
  // after the last event packet for 60 ms of media since the last audio: D = -40 ms, J = 40/16.
  RtpStreamEvent ev = timed_stream({{1, 0, 0}, {2, 160, 20}, {3, 320, 40, 101, true}, {4, 320, 60, 101},
                                    {5, 640, 80}, {6, 800, 100}});
  EXPECT_NEAR(ev.jitter_max_ms, 40.0 / 16, 1e-9);
  EXPECT_DOUBLE_EQ(ev.max_delta_ms, 20);
}

TEST(RtpStream, ComfortNoiseAndThePacketAfterItAreLeftOut) {
  RtpStreamEvent ev = timed_stream({{1, 0, 0}, {2, 160, 20}, {3, 320, 40, 13}, {4, 8000, 1000}, {5, 8160, 1020}});
  EXPECT_DOUBLE_EQ(ev.max_delta_ms, 20);
}

TEST(RtpStream, NearestClockRateWithinFivePercent) {
  EXPECT_EQ(nearest_clock_rate(8000), 8000u);
  EXPECT_EQ(nearest_clock_rate(47000), 48000u);
  EXPECT_EQ(nearest_clock_rate(91500), 90000u);
  EXPECT_EQ(nearest_clock_rate(16300), 16000u);
  EXPECT_EQ(nearest_clock_rate(60000), 0u);  // between rates: no guess
  EXPECT_EQ(nearest_clock_rate(0), 0u);
}

// A dynamic-PT stream: `per_packet` timestamp ticks every `every_ms`, for `seconds`.
RtpStreamEvent dynamic_stream(uint32_t per_packet, double every_ms, double seconds, uint8_t pt = 111) {
  RtpStreamState s;
  uint32_t rtp_ts = 0x7ffffff0;  // wraps the 32-bit timestamp on the way
  for (uint16_t i = 0; i * every_ms < seconds * 1000; ++i, rtp_ts += per_packet) {
    RtpHeader h;
    h.seq = static_cast<uint16_t>(60000 + i);
    h.timestamp = rtp_ts;
    h.pt = pt;
    s.count(h, 100, static_cast<Nanos>((1000 + i * every_ms) * 1e6));
  }
  RtpStreamEvent ev;
  s.fill(ev);
  return ev;
}

TEST(RtpStream, InfersOpusAndVideoClocksFromTimestampPace) {
  RtpStreamEvent opus = dynamic_stream(960, 20, 5);
  EXPECT_EQ(opus.clock_rate, 48000u);
  EXPECT_EQ(opus.clock_source, ClockSource::Inferred);
  EXPECT_NEAR(opus.jitter_max_ms, 0, 1e-6);  // perfectly paced: no jitter once the clock is known
  RtpStreamEvent video = dynamic_stream(3000, 1000.0 / 30, 5, 96);
  EXPECT_EQ(video.clock_rate, 90000u);
  RtpStreamEvent wideband = dynamic_stream(320, 20, 5, 100);
  EXPECT_EQ(wideband.clock_rate, 16000u);
}

TEST(RtpStream, NoClockInferredTooEarlyOrFromFrozenTimestamps) {
  EXPECT_EQ(dynamic_stream(960, 20, 1.5).clock_rate, 0u);   // under 2 s
  EXPECT_EQ(dynamic_stream(0, 20, 5).clock_rate, 0u);       // timestamps do not move
  EXPECT_EQ(dynamic_stream(1200, 20, 5).clock_rate, 0u);    // 60 kHz is no standard rate
  EXPECT_EQ(dynamic_stream(1200, 20, 5).clock_source, ClockSource::None);
}

TEST(RtpStream, BitrateInOneSecondWindowsWithASilentSecondAtZero) {
  // 100 bytes every 20 ms (40 kbit/s) for 2 s, silent from 2 s to 3.5 s, then 1 s more.
  RtpStreamState s;
  uint16_t seq = 0;
  auto send = [&](double at_ms) {
    RtpHeader h;
    h.seq = seq++;
    h.pt = 0;
    s.count(h, 100, static_cast<Nanos>(at_ms * 1e6));
  };
  for (double t = 0; t < 2000; t += 20) send(t);
  for (double t = 3500; t <= 4500; t += 20) send(t);
  RtpStreamEvent ev;
  s.fill(ev);
  EXPECT_DOUBLE_EQ(ev.bitrate_max_kbps, 40);
  EXPECT_DOUBLE_EQ(ev.bitrate_min_kbps, 0);  // the window 2-3 s carried nothing
  EXPECT_NEAR(ev.bitrate_mean_kbps, (151.0 * 100 * 8 / 1000) / 4.5, 1e-9);
  EXPECT_EQ(ev.frame_rate, 0);  // audio
}

TEST(RtpStream, VideoFrameRateFromMarkerBits) {
  // 90 kHz video, 25 frames per second of 3 packets each, the last with the marker bit, for 4 s.
  RtpStreamState s;
  uint16_t seq = 0;
  for (int frame = 0; frame <= 100; ++frame) {
    for (int k = 0; k < 3; ++k) {
      RtpHeader h;
      h.seq = seq++;
      h.pt = 34;  // H263: static, 90 kHz
      h.timestamp = static_cast<uint32_t>(frame * 3600);
      h.marker = k == 2;
      s.count(h, 1000, static_cast<Nanos>((frame * 40 + k) * 1e6));
    }
  }
  RtpStreamEvent ev;
  s.fill(ev);
  EXPECT_NEAR(ev.frame_rate, 101 / 4.002, 1e-6);
}

TEST(RtpStreamTable, AllocUntilFullThenRelease) {
  RtpStreamTable t(3);
  uint32_t a = t.alloc(), b = t.alloc(), c = t.alloc();
  EXPECT_NE(a, kNoIndex);
  EXPECT_NE(b, kNoIndex);
  EXPECT_NE(c, kNoIndex);
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
  EXPECT_EQ(t.alloc(), kNoIndex);
  EXPECT_EQ(t.in_use(), 3u);
  t[b].packets = 99;
  t.release(b);
  EXPECT_EQ(t.in_use(), 2u);
  uint32_t again = t.alloc();
  EXPECT_EQ(again, b);
  EXPECT_EQ(t[again].packets, 0u);  // handed out fresh
}

}  // namespace
}  // namespace wcstap
