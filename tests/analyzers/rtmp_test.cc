// RTMP: the chunk stream reader and the AMF0 command reader, on both directions of
// wswiki__rtmp_sample.cap (tests/data/rtmp/, extracted with tshark) fed whole, byte by byte and in
// random splits, and on constructed chunk streams for what the capture does not show.
#include "rtmp/rtmp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "packet_builder.h"

namespace wcstap::rtmp {
namespace {

using test::Frame;
using test::from_hex;

// WCSTAP_RTMP_DATA: tests/data/rtmp, from meson. Lines starting with '#' are comments.
Frame load_stream(const std::string& name) {
  std::ifstream f(std::string(WCSTAP_RTMP_DATA) + "/" + name);
  std::string line, hex;
  while (std::getline(f, line))
    if (!line.empty() && line[0] != '#') hex += line;
  return from_hex(hex);
}
const Frame& client_stream() {
  static const Frame f = load_stream("wswiki__rtmp_sample.client.hex");
  return f;
}
const Frame& server_stream() {
  static const Frame f = load_stream("wswiki__rtmp_sample.server.hex");
  return f;
}

// An event with its body copied out of the reader: a transcript can be compared across feeds.
struct Seen {
  EventKind kind;
  uint8_t version;
  MessageHeader h;
  std::vector<uint8_t> body;
  bool truncated, dropped;
  uint32_t control_value;
  uint8_t limit_type;
  uint16_t user_event;
  uint32_t user_value2;
  bool operator==(const Seen& o) const {
    return kind == o.kind && version == o.version && h.csid == o.h.csid && h.timestamp == o.h.timestamp &&
           h.length == o.h.length && h.stream_id == o.h.stream_id && h.type == o.h.type && body == o.body &&
           truncated == o.truncated && dropped == o.dropped && control_value == o.control_value &&
           limit_type == o.limit_type && user_event == o.user_event && user_value2 == o.user_value2;
  }
};

Seen seen(const Event& e) {
  return Seen{e.kind,      e.version,        e.header,        {e.body.begin(), e.body.end()},
              e.truncated, e.body_dropped,  e.control_value, e.limit_type,
              e.user_event, e.user_value2};
}

void drain(ChunkReader& r, Bytes in, std::vector<Seen>& out) {
  Event ev;
  while (r.next(in, ev)) out.push_back(seen(ev));
  // Stopped or used up: a running reader must have taken every byte.
  if (r.stop() == Stop::None) {
    EXPECT_TRUE(in.empty());
  }
}

// Feeds `s` in pieces whose sizes `piece()` chooses.
template <class Piece>
std::vector<Seen> feed(ChunkReader& r, const Frame& s, Piece piece) {
  std::vector<Seen> out;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t n = std::min(s.size() - pos, std::max<size_t>(1, piece()));
    drain(r, Bytes(s.data() + pos, n), out);
    pos += n;
  }
  return out;
}
std::vector<Seen> feed_whole(const Frame& s, ChunkReader* keep = nullptr) {
  ChunkReader r;
  std::vector<Seen> out;
  drain(r, s, out);
  if (keep != nullptr) *keep = r;
  return out;
}

std::vector<Seen> messages(const std::vector<Seen>& all) {
  std::vector<Seen> m;
  for (const auto& s : all)
    if (s.kind == EventKind::Message) m.push_back(s);
  return m;
}

Command command(const Seen& s) {
  Command c;
  EXPECT_EQ(parse_command(s.h.type, s.body, c), AmfStatus::Ok);
  return c;
}

// ---- the capture -------------------------------------------------------------------------------

TEST(Rtmp, TestDataIsTheWholeCapture) {
  EXPECT_EQ(client_stream().size(), 3452u);  // tshark: 1460 + 77 + 1460 + 314 + 16 + 33 + 92
  EXPECT_EQ(server_stream().size(), 3496u);  // 1260 + 1460 + 353 + 59 + 145 + 41 + 178
}

TEST(Rtmp, HandshakeIsReportedPartByPart) {
  const auto all = feed_whole(client_stream());
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all[0].kind, EventKind::Version);
  EXPECT_EQ(all[0].version, kVersionPlain);
  EXPECT_EQ(all[1].kind, EventKind::Handshake1);
  EXPECT_EQ(all[2].kind, EventKind::Handshake2);
}

TEST(Rtmp, HandshakePartsEndAtTheirByteBoundaries) {
  const Frame& s = server_stream();
  ChunkReader r;
  std::vector<Seen> out;
  drain(r, Bytes(s.data(), 1), out);
  ASSERT_EQ(out.size(), 1u);  // S0 alone
  drain(r, Bytes(s.data() + 1, 1535), out);
  EXPECT_EQ(out.size(), 1u);  // S1 one byte short
  EXPECT_FALSE(r.handshake_done());
  drain(r, Bytes(s.data() + 1536, 1), out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].kind, EventKind::Handshake1);
  drain(r, Bytes(s.data() + 1537, 1536), out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].kind, EventKind::Handshake2);
  EXPECT_TRUE(r.handshake_done());
  EXPECT_EQ(r.stats().bytes, 3073u);
}

TEST(Rtmp, ConnectCarriesAppAndTcUrl) {
  const auto m = messages(feed_whole(client_stream()));
  ASSERT_FALSE(m.empty());
  // tshark: fmt 0, csid 3, timestamp 1, body size 225, AMF0 command, stream 0
  EXPECT_EQ(m[0].h.csid, 3u);
  EXPECT_EQ(m[0].h.timestamp, 1u);
  EXPECT_EQ(m[0].h.length, 225u);
  EXPECT_EQ(m[0].h.type, kCommandAmf0);
  EXPECT_EQ(m[0].h.stream_id, 0u);
  EXPECT_EQ(m[0].body.size(), 225u);  // reassembled from a 128-byte chunk and a type 3 chunk
  const Command c = command(m[0]);
  EXPECT_EQ(c.name, "connect");
  EXPECT_EQ(c.kind, CommandKind::Connect);
  EXPECT_TRUE(c.has_transaction_id);
  EXPECT_EQ(c.transaction_id, 1.0);
  EXPECT_EQ(c.app, "StreamPlayer/");
  EXPECT_EQ(c.tc_url, "rtmp://fc432.streamedia.info/StreamPlayer/");
  EXPECT_EQ(c.values, 3);  // name, transaction id, command object (9 properties)
}

TEST(Rtmp, ClientMessagesMatchTshark) {
  const auto m = messages(feed_whole(client_stream()));
  ASSERT_EQ(m.size(), 5u);
  // frame 18: Window Acknowledgement Size 1310720, timestamp 16275007
  EXPECT_EQ(m[1].h.type, kWindowAckSize);
  EXPECT_EQ(m[1].h.csid, 2u);
  EXPECT_EQ(m[1].h.timestamp, 16275007u);
  EXPECT_EQ(m[1].control_value, 1310720u);
  // frame 20: createStream(2), a type 1 header: timestamp 1 + delta 0, stream id carried over
  EXPECT_EQ(m[2].h.timestamp, 1u);
  EXPECT_EQ(m[2].h.length, 25u);
  const Command cs = command(m[2]);
  EXPECT_EQ(cs.kind, CommandKind::CreateStream);
  EXPECT_EQ(cs.transaction_id, 2.0);
  // frame 23: play('rtmp://fc432.streamedia.info/StreamPlayer/') on csid 8, message stream 1
  EXPECT_EQ(m[3].h.csid, 8u);
  EXPECT_EQ(m[3].h.stream_id, 1u);
  EXPECT_EQ(m[3].h.length, 62u);
  const Command play = command(m[3]);
  EXPECT_EQ(play.kind, CommandKind::Play);
  EXPECT_EQ(play.transaction_id, 0.0);
  EXPECT_EQ(play.stream_name, "rtmp://fc432.streamedia.info/StreamPlayer/");
  // and Set Buffer Length: stream 1, 0 ms, type 1 header on csid 2
  EXPECT_EQ(m[4].h.type, kUserControl);
  EXPECT_EQ(m[4].h.timestamp, 16275007u);
  EXPECT_EQ(m[4].user_event, kSetBufferLength);
  EXPECT_EQ(m[4].control_value, 1u);
  EXPECT_EQ(m[4].user_value2, 0u);
}

TEST(Rtmp, ServerMessagesMatchTshark) {
  const auto m = messages(feed_whole(server_stream()));
  ASSERT_EQ(m.size(), 8u);
  EXPECT_EQ(m[0].h.type, kWindowAckSize);
  EXPECT_EQ(m[0].control_value, 1310720u);
  EXPECT_EQ(m[1].h.type, kSetPeerBandwidth);
  EXPECT_EQ(m[1].control_value, 1310720u);
  EXPECT_EQ(m[1].limit_type, 2);  // dynamic
  EXPECT_EQ(m[2].h.type, kUserControl);
  EXPECT_EQ(m[2].user_event, 8);  // tshark: unknown event 8, body size 14
  EXPECT_EQ(m[2].h.length, 14u);
  EXPECT_TRUE(m[2].truncated);  // longer than the kept head; nothing needs more
  EXPECT_EQ(m[3].user_event, kStreamBegin);
  EXPECT_EQ(m[3].control_value, 0u);
  const Command connected = command(m[4]);
  EXPECT_EQ(connected.kind, CommandKind::Result);
  EXPECT_EQ(connected.transaction_id, 1.0);
  EXPECT_EQ(connected.level, "status");
  EXPECT_EQ(connected.code, "NetConnection.Connect.Success");
  EXPECT_EQ(connected.description, "Connection succeeded.");
  const Command created = command(m[5]);
  EXPECT_EQ(created.kind, CommandKind::Result);
  EXPECT_EQ(created.transaction_id, 2.0);
  ASSERT_TRUE(created.has_number_arg);
  EXPECT_EQ(created.number_arg, 1.0);  // the new stream id
  EXPECT_TRUE(created.code.empty());
  EXPECT_EQ(m[6].user_event, kStreamBegin);
  EXPECT_EQ(m[6].control_value, 1u);
}

TEST(Rtmp, PlayFailedStatusSpansTwoChunks) {
  ChunkReader r;
  const auto m = messages(feed_whole(server_stream(), &r));
  ASSERT_EQ(m.size(), 8u);
  // frame 25: onStatus on csid 4, stream 1, 147 bytes: a 128-byte chunk, then "c4" and 19 more
  EXPECT_EQ(m[7].h.csid, 4u);
  EXPECT_EQ(m[7].h.stream_id, 1u);
  EXPECT_EQ(m[7].h.length, 147u);
  ASSERT_EQ(m[7].body.size(), 147u);
  const Command c = command(m[7]);
  EXPECT_EQ(c.kind, CommandKind::OnStatus);
  EXPECT_EQ(c.level, "error");
  EXPECT_EQ(c.code, "NetStream.Play.Failed");
  EXPECT_EQ(c.description, "Invalid tincan object name (stream ID: 1).");
  EXPECT_EQ(r.stats().chunks, 9u);
}

TEST(Rtmp, StatsOfBothDirections) {
  ChunkReader c, s;
  feed_whole(client_stream(), &c);
  feed_whole(server_stream(), &s);
  EXPECT_EQ(c.stop(), Stop::None);
  EXPECT_EQ(s.stop(), Stop::None);
  EXPECT_EQ(c.stats().bytes, 3452u);
  EXPECT_EQ(c.stats().messages, 5u);
  EXPECT_EQ(c.stats().command_messages, 3u);
  EXPECT_EQ(c.stats().chunks, 6u);  // connect takes two
  EXPECT_EQ(s.stats().bytes, 3496u);
  EXPECT_EQ(s.stats().messages, 8u);
  EXPECT_EQ(s.stats().command_messages, 3u);
  EXPECT_EQ(s.stats().audio_messages + s.stats().video_messages, 0u);
  EXPECT_EQ(c.chunk_size(), kDefaultChunkSize);
}

TEST(Rtmp, ByteByByteGivesTheSameTranscript) {
  for (const Frame* s : {&client_stream(), &server_stream()}) {
    const auto whole = feed_whole(*s);
    ChunkReader r;
    EXPECT_EQ(feed(r, *s, [] { return size_t{1}; }), whole);
  }
}

TEST(Rtmp, RandomSplitsGiveTheSameTranscript) {
  std::mt19937 rng(1935);
  for (const Frame* s : {&client_stream(), &server_stream()}) {
    const auto whole = feed_whole(*s);
    for (int run = 0; run < 200; ++run) {
      std::uniform_int_distribution<size_t> size(1, run % 2 ? 20 : 1600);
      ChunkReader r;
      ASSERT_EQ(feed(r, *s, [&] { return size(rng); }), whole) << run;
    }
  }
}

// ---- handshake versions ------------------------------------------------------------------------

TEST(Rtmp, EncryptedHandshakeIsRecognisedAndNotRead) {
  Frame s = client_stream();
  s[0] = kVersionEncrypted;
  ChunkReader r;
  const auto all = feed_whole(s, &r);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, EventKind::Version);
  EXPECT_EQ(all[0].version, 6);
  EXPECT_EQ(r.stop(), Stop::Encrypted);
  EXPECT_STREQ(stop_name(r.stop()), "rtmp.encrypted");
  Bytes more(s.data(), 10);
  Event ev;
  EXPECT_FALSE(r.next(more, ev));
}

TEST(Rtmp, HttpIsNotRtmp) {
  const std::string get = "GET / HTTP/1.1\r\n";
  ChunkReader r;
  std::vector<Seen> out;
  drain(r, Bytes(reinterpret_cast<const uint8_t*>(get.data()), get.size()), out);
  EXPECT_EQ(r.stop(), Stop::BadVersion);
  EXPECT_EQ(r.stats().bytes, 1u);
}

// ---- constructed chunk streams -----------------------------------------------------------------

Frame after_handshake() {
  Frame f(1 + 2 * kHandshakePart, 0);
  f[0] = kVersionPlain;
  return f;
}
void put(Frame& f, std::initializer_list<uint8_t> b) { f.insert(f.end(), b); }
void put24(Frame& f, uint32_t v) { put(f, {uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}); }
void put32(Frame& f, uint32_t v) { put(f, {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}); }
void basic(Frame& f, uint8_t fmt, uint32_t csid) {
  if (csid < 64) {
    put(f, {uint8_t(fmt << 6 | csid)});
  } else if (csid < 320) {
    put(f, {uint8_t(fmt << 6), uint8_t(csid - 64)});
  } else {
    put(f, {uint8_t(fmt << 6 | 1), uint8_t((csid - 64) & 0xff), uint8_t((csid - 64) >> 8)});
  }
}
void header0(Frame& f, uint32_t csid, uint32_t ts, uint32_t len, uint8_t type, uint32_t stream) {
  basic(f, 0, csid);
  put24(f, ts >= 0xffffff ? 0xffffff : ts);
  put24(f, len);
  put(f, {type, uint8_t(stream), uint8_t(stream >> 8), uint8_t(stream >> 16), uint8_t(stream >> 24)});
  if (ts >= 0xffffff) put32(f, ts);
}
void bytes(Frame& f, const Frame& b, size_t from, size_t n) { f.insert(f.end(), b.begin() + from, b.begin() + from + n); }
void set_chunk_size(Frame& f, uint32_t size) {
  header0(f, 2, 0, 4, kSetChunkSize, 0);
  put32(f, size);
}
// An AMF0 command: name, transaction id, null, then `args` as strings.
Frame amf_command(const std::string& name, double tid, const std::vector<std::string>& args) {
  Frame b;
  auto str = [&](const std::string& s) {
    put(b, {0x02, uint8_t(s.size() >> 8), uint8_t(s.size())});
    for (char c : s) b.push_back(uint8_t(c));
  };
  str(name);
  put(b, {0x00});
  const auto bits = std::bit_cast<uint64_t>(tid);
  for (int i = 7; i >= 0; --i) b.push_back(uint8_t(bits >> (8 * i)));
  put(b, {0x05});
  for (const auto& a : args) str(a);
  return b;
}
Frame filler(size_t n) {
  Frame b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 7 + 1);
  return b;
}

TEST(Rtmp, SetChunkSizeChangesHowTheSenderSplits) {
  Frame s = after_handshake();
  set_chunk_size(s, 4096);
  const Frame body = amf_command("publish", 5, {"stream1", "live"});
  const Frame big = filler(1000);
  header0(s, 8, 0, uint32_t(big.size()), kDataAmf0, 1);  // 1000 bytes in one chunk now
  bytes(s, big, 0, big.size());
  header0(s, 8, 0, uint32_t(body.size()), kCommandAmf0, 1);
  bytes(s, body, 0, body.size());
  ChunkReader r;
  const auto m = messages(feed_whole(s, &r));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].control_value, 4096u);
  EXPECT_EQ(r.chunk_size(), 4096u);
  EXPECT_EQ(m[1].body, big);
  const Command c = command(m[2]);
  EXPECT_EQ(c.kind, CommandKind::Publish);
  EXPECT_EQ(c.stream_name, "stream1");
  EXPECT_EQ(c.publish_type, "live");
  EXPECT_EQ(r.stats().chunks, 3u);
  EXPECT_EQ(r.stats().data_messages, 1u);
}

TEST(Rtmp, ExtendedTimestampAlsoPrecedesContinuationChunks) {
  Frame s = after_handshake();
  const Frame body = filler(200);
  header0(s, 3, 0x01020304, 200, kCommandAmf0, 0);
  bytes(s, body, 0, 128);
  basic(s, 3, 3);
  put32(s, 0x01020304);  // the type 3 chunk repeats it
  bytes(s, body, 128, 72);
  ChunkReader r;
  const auto m = messages(feed_whole(s, &r));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].h.timestamp, 0x01020304u);
  EXPECT_EQ(m[0].body, body);
  EXPECT_EQ(r.stop(), Stop::None);
}

TEST(Rtmp, TypeThreeMessagesAddTheLastDelta) {
  Frame s = after_handshake();
  header0(s, 4, 100, 4, kAudio, 1);
  put32(s, 0xaf01aaaa);
  basic(s, 2, 4);
  put24(s, 20);
  put32(s, 0xaf01bbbb);
  basic(s, 3, 4);
  put32(s, 0xaf01cccc);
  ChunkReader r;
  const auto m = messages(feed_whole(s, &r));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].h.timestamp, 100u);
  EXPECT_EQ(m[1].h.timestamp, 120u);
  EXPECT_EQ(m[2].h.timestamp, 140u);
  EXPECT_TRUE(m[2].body.empty());  // audio is counted, not kept
  EXPECT_EQ(r.stats().audio_messages, 3u);
  EXPECT_EQ(r.stats().audio_bytes, 12u);
}

TEST(Rtmp, VideoIsCountedAcrossChunks) {
  Frame s = after_handshake();
  const Frame frame = filler(300);
  header0(s, 6, 0, 300, kVideo, 1);
  bytes(s, frame, 0, 128);
  basic(s, 3, 6);
  bytes(s, frame, 128, 128);
  basic(s, 3, 6);
  bytes(s, frame, 256, 44);
  ChunkReader r;
  const auto m = messages(feed_whole(s, &r));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].h.length, 300u);
  EXPECT_EQ(r.stats().video_messages, 1u);
  EXPECT_EQ(r.stats().video_bytes, 300u);
  EXPECT_EQ(r.stats().chunks, 3u);
}

TEST(Rtmp, TwoAndThreeByteBasicHeaders) {
  Frame s = after_handshake();
  const Frame body = amf_command("play", 0, {"cam"});
  header0(s, 264, 0, uint32_t(body.size()), kCommandAmf0, 1);  // 2-byte form
  bytes(s, body, 0, body.size());
  header0(s, 65599, 0, uint32_t(body.size()), kCommandAmf0, 1);  // 3-byte form, the largest id
  bytes(s, body, 0, body.size());
  const auto m = messages(feed_whole(s));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].h.csid, 264u);
  EXPECT_EQ(m[1].h.csid, 65599u);
  EXPECT_EQ(command(m[1]).stream_name, "cam");
}

TEST(Rtmp, ZeroLengthMessage) {
  Frame s = after_handshake();
  header0(s, 5, 7, 0, kDataAmf0, 1);
  header0(s, 5, 8, 0, kVideo, 1);
  const auto m = messages(feed_whole(s));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_TRUE(m[0].body.empty());
  EXPECT_FALSE(m[0].truncated);
  EXPECT_EQ(m[1].h.timestamp, 8u);
}

TEST(Rtmp, LongDataMessageIsTruncatedAndFlagged) {
  Frame s = after_handshake();
  set_chunk_size(s, 65536);
  const Frame meta = filler(5000);
  header0(s, 5, 0, 5000, kDataAmf0, 1);
  bytes(s, meta, 0, meta.size());
  const Frame body = amf_command("FCPublish", 3, {"s"});
  header0(s, 3, 0, uint32_t(body.size()), kCommandAmf0, 0);
  bytes(s, body, 0, body.size());
  ChunkReader r;
  const auto m = messages(feed_whole(s, &r));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_TRUE(m[1].truncated);
  ASSERT_EQ(m[1].body.size(), kMaxBody);
  EXPECT_TRUE(std::equal(m[1].body.begin(), m[1].body.end(), meta.begin()));
  EXPECT_EQ(r.stats().truncated_bodies, 1u);
  EXPECT_EQ(command(m[2]).kind, CommandKind::FcPublish);  // the stream goes on in step
}

TEST(Rtmp, InterleavedCommandLosesItsBodyNotItsPlace) {
  Frame s = after_handshake();
  const Frame first = amf_command("connect", 1, {std::string(150, 'a')});
  const Frame second = amf_command("createStream", 2, {});
  header0(s, 3, 0, uint32_t(first.size()), kCommandAmf0, 0);
  bytes(s, first, 0, 128);
  header0(s, 5, 0, uint32_t(second.size()), kCommandAmf0, 0);  // while csid 3 is mid-message
  bytes(s, second, 0, second.size());
  basic(s, 3, 3);
  bytes(s, first, 128, first.size() - 128);
  ChunkReader r;
  const auto m = messages(feed_whole(s, &r));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].h.csid, 5u);
  EXPECT_TRUE(m[0].dropped);
  EXPECT_TRUE(m[0].body.empty());
  EXPECT_EQ(m[1].h.csid, 3u);
  EXPECT_EQ(m[1].body, first);
  EXPECT_EQ(r.stats().dropped_bodies, 1u);
}

TEST(Rtmp, AbortDropsThePartialMessage) {
  Frame s = after_handshake();
  const Frame big = filler(200);
  header0(s, 3, 0, 200, kCommandAmf0, 0);
  bytes(s, big, 0, 128);
  header0(s, 2, 0, 4, kAbort, 0);
  put32(s, 3);
  const Frame body = amf_command("deleteStream", 4, {});
  header0(s, 3, 0, uint32_t(body.size()), kCommandAmf0, 0);
  bytes(s, body, 0, body.size());
  ChunkReader r;
  const auto m = messages(feed_whole(s, &r));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].h.type, kAbort);
  EXPECT_EQ(m[0].control_value, 3u);
  EXPECT_EQ(command(m[1]).kind, CommandKind::DeleteStream);
  EXPECT_EQ(r.stats().aborted_messages, 1u);
  EXPECT_EQ(r.stats().abandoned_messages, 0u);
}

TEST(Rtmp, NewHeaderMidMessageAbandonsIt) {
  Frame s = after_handshake();
  const Frame big = filler(200);
  header0(s, 3, 0, 200, kCommandAmf0, 0);
  bytes(s, big, 0, 128);
  const Frame body = amf_command("closeStream", 0, {});
  header0(s, 3, 0, uint32_t(body.size()), kCommandAmf0, 0);
  bytes(s, body, 0, body.size());
  ChunkReader r;
  const auto m = messages(feed_whole(s, &r));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(command(m[0]).kind, CommandKind::CloseStream);
  EXPECT_EQ(r.stats().abandoned_messages, 1u);
}

TEST(Rtmp, ContinuationWithoutAFirstHeaderStops) {
  Frame s = after_handshake();
  basic(s, 1, 5);
  put24(s, 0);
  put24(s, 4);
  put(s, {kAudio});
  ChunkReader r;
  feed_whole(s, &r);
  EXPECT_EQ(r.stop(), Stop::ChunkWithoutHeader);
  EXPECT_STREQ(stop_name(r.stop()), "rtmp.chunk_without_header");
}

TEST(Rtmp, SeventeenChunkStreamsAreOneTooMany) {
  Frame s = after_handshake();
  for (uint32_t csid = 3; csid < 3 + kChunkStreams + 1; ++csid) {
    header0(s, csid, 0, 4, kAudio, 1);
    put32(s, 0);
  }
  ChunkReader r;
  const auto m = messages(feed_whole(s, &r));
  EXPECT_EQ(m.size(), kChunkStreams);
  EXPECT_EQ(r.stop(), Stop::TooManyChunkStreams);
  EXPECT_EQ(r.stats().chunk_stream_overflows, 1u);
}

TEST(Rtmp, ChunkSizeZeroOrWithTheTopBitStops) {
  for (uint32_t bad : {0u, 0x80000000u}) {
    Frame s = after_handshake();
    set_chunk_size(s, bad);
    ChunkReader r;
    const auto m = messages(feed_whole(s, &r));
    ASSERT_EQ(m.size(), 1u);  // the message is still reported
    EXPECT_EQ(r.stop(), Stop::BadChunkSize) << bad;
    EXPECT_EQ(r.chunk_size(), kDefaultChunkSize);
  }
}

TEST(Rtmp, ShortControlMessageStops) {
  Frame s = after_handshake();
  header0(s, 2, 0, 2, kWindowAckSize, 0);
  put(s, {0x00, 0x01});
  ChunkReader r;
  feed_whole(s, &r);
  EXPECT_EQ(r.stop(), Stop::BadControlMessage);
}

// ---- AMF0 --------------------------------------------------------------------------------------

Frame key(const std::string& s) {
  Frame b{uint8_t(s.size() >> 8), uint8_t(s.size())};
  for (char c : s) b.push_back(uint8_t(c));
  return b;
}
Frame amf_str(const std::string& s) {
  Frame b = key(s);
  b.insert(b.begin(), 0x02);
  return b;
}
Frame cat(std::initializer_list<Frame> parts) {
  Frame b;
  for (const auto& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}
const Frame kNumberOne = {0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0};
const Frame kEnd = {0x00, 0x00, 0x09};

TEST(RtmpAmf, ConnectRejectedError) {
  const Frame b = cat({amf_str("_error"), kNumberOne, {0x05}, {0x03}, key("level"), amf_str("error"), key("code"),
                       amf_str("NetConnection.Connect.Rejected"), key("description"), amf_str("[ AccessManager.Reject ]"),
                       kEnd});
  Command c;
  ASSERT_EQ(parse_command(kCommandAmf0, b, c), AmfStatus::Ok);
  EXPECT_EQ(c.kind, CommandKind::Error);
  EXPECT_EQ(c.level, "error");
  EXPECT_EQ(c.code, "NetConnection.Connect.Rejected");
  EXPECT_EQ(c.description, "[ AccessManager.Reject ]");
}

TEST(RtmpAmf, PublishBadNameStatus) {
  const Frame b = cat({amf_str("onStatus"), {0x00, 0, 0, 0, 0, 0, 0, 0, 0}, {0x05}, {0x03}, key("level"),
                       amf_str("error"), key("code"), amf_str("NetStream.Publish.BadName"), kEnd});
  Command c;
  ASSERT_EQ(parse_command(kCommandAmf0, b, c), AmfStatus::Ok);
  EXPECT_EQ(c.code, "NetStream.Publish.BadName");
  EXPECT_TRUE(c.description.empty());
}

TEST(RtmpAmf, EveryTypeIsWalked) {
  const Frame b = cat({amf_str("publish"), kNumberOne, {0x05},
                       {0x01, 0x01},                                      // boolean
                       {0x0c, 0, 0, 0, 3, 'a', 'b', 'c'},                 // long string
                       {0x06},                                            // undefined
                       {0x08, 0, 0, 0, 1}, key("k"), {0x00, 0, 0, 0, 0, 0, 0, 0, 0}, kEnd,  // ECMA array
                       {0x0a, 0, 0, 0, 2, 0x05, 0x01, 0x00},              // strict array [null, false]
                       {0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},              // date
                       {0x07, 0, 1},                                      // reference
                       {0x10, 0, 1, 'T'}, key("x"), {0x05}, kEnd,         // typed object
                       {0x0f, 0, 0, 0, 1, '<'},                           // XML document
                       {0x0d},                                            // unsupported
                       amf_str("live")});
  Command c;
  ASSERT_EQ(parse_command(kCommandAmf0, b, c), AmfStatus::Ok);
  EXPECT_EQ(c.values, 14);
  EXPECT_EQ(c.stream_name, "abc");  // a long string is a string
  EXPECT_EQ(c.publish_type, "live");  // XML text is not a string argument
}

TEST(RtmpAmf, SetDataFrameNamesItsHandler) {
  const Frame b = cat({amf_str("@setDataFrame"), amf_str("onMetaData"), {0x08, 0, 0, 0, 1}, key("width"),
                       {0x00, 0x40, 0x94, 0, 0, 0, 0, 0, 0}, kEnd});
  Command c;
  ASSERT_EQ(parse_command(kDataAmf0, b, c), AmfStatus::Ok);
  EXPECT_EQ(c.kind, CommandKind::SetDataFrame);
  EXPECT_FALSE(c.has_transaction_id);  // data messages carry none
  EXPECT_EQ(c.stream_name, "onMetaData");
  EXPECT_EQ(c.values, 3);
}

TEST(RtmpAmf, Names) {
  EXPECT_EQ(command_kind("_result"), CommandKind::Result);
  EXPECT_EQ(command_kind("Connect"), CommandKind::Other);  // names are case-sensitive
  EXPECT_STREQ(command_kind_name(CommandKind::OnStatus), "onStatus");
  EXPECT_STREQ(command_kind_name(CommandKind::Other), "other");
  EXPECT_STREQ(message_type_name(kCommandAmf0), "command_amf0");
  EXPECT_STREQ(message_type_name(7), "other");
  EXPECT_STREQ(stop_name(Stop::TooManyChunkStreams), "rtmp.too_many_chunk_streams");
}

TEST(RtmpAmf, Amf3CommandSkipsItsLeadingZero) {
  const Frame b = cat({{0x00}, amf_command("play", 0, {"s1"})});
  Command c;
  ASSERT_EQ(parse_command(kCommandAmf3, b, c), AmfStatus::Ok);
  EXPECT_EQ(c.kind, CommandKind::Play);
  EXPECT_EQ(c.stream_name, "s1");
  EXPECT_EQ(parse_command(kCommandAmf0, b, c), AmfStatus::Invalid);  // a number first: no name
}

TEST(RtmpAmf, QueryStringCanBeStripped) {
  const Frame b = amf_command("publish", 5, {"stream1?token=secret", "live"});
  Command c;
  ASSERT_EQ(parse_command(kCommandAmf0, b, c), AmfStatus::Ok);
  EXPECT_EQ(c.stream_name, "stream1?token=secret");
  EXPECT_EQ(without_query(c.stream_name), "stream1");
  EXPECT_EQ(without_query("rtmp://h/live"), "rtmp://h/live");
}

TEST(RtmpAmf, NestingPastTheLimitIsTooDeep) {
  Frame b = cat({amf_str("x"), kNumberOne});
  for (int i = 0; i < 40; ++i) b.insert(b.end(), {0x03, 0x00, 0x01, 'k'});
  b.push_back(0x05);
  for (int i = 0; i < 40; ++i) b.insert(b.end(), kEnd.begin(), kEnd.end());
  Command c;
  EXPECT_EQ(parse_command(kCommandAmf0, b, c), AmfStatus::TooDeep);
  EXPECT_EQ(c.name, "x");  // what came first stands
  EXPECT_STREQ(amf_status_name(AmfStatus::TooDeep), "too_deep");
}

TEST(RtmpAmf, StrictArrayNestingIsLimitedToo) {
  Frame b = amf_str("x");
  for (int i = 0; i < 40; ++i) b.insert(b.end(), {0x0a, 0, 0, 0, 1});
  b.push_back(0x05);
  Command c;
  EXPECT_EQ(parse_command(kCommandAmf0, b, c), AmfStatus::TooDeep);
}

TEST(RtmpAmf, BadLengthsAreTruncated) {
  Command c;
  EXPECT_EQ(parse_command(kCommandAmf0, Frame{0x02, 0x00, 0x10, 'a'}, c), AmfStatus::Truncated);
  const Frame huge_array = cat({amf_str("x"), {0x0a, 0xff, 0xff, 0xff, 0xff, 0x05}});
  EXPECT_EQ(parse_command(kCommandAmf0, huge_array, c), AmfStatus::Truncated);
  const Frame long_string = cat({amf_str("x"), {0x0c, 0xff, 0xff, 0xff, 0xff, 'a'}});
  EXPECT_EQ(parse_command(kCommandAmf0, long_string, c), AmfStatus::Truncated);
}

TEST(RtmpAmf, BadMarkersAreInvalidOrUnsupported) {
  Command c;
  EXPECT_EQ(parse_command(kCommandAmf0, cat({amf_str("x"), {0x04}}), c), AmfStatus::Invalid);  // movieclip
  EXPECT_EQ(parse_command(kCommandAmf0, cat({amf_str("x"), {0x09}}), c), AmfStatus::Invalid);  // stray end
  EXPECT_EQ(parse_command(kCommandAmf0, cat({amf_str("x"), {0x42}}), c), AmfStatus::Invalid);
  EXPECT_EQ(parse_command(kCommandAmf0, cat({amf_str("x"), {0x11, 0x01}}), c), AmfStatus::Unsupported);
  EXPECT_EQ(parse_command(kCommandAmf0, Frame{}, c), AmfStatus::Truncated);
}

// ---- robustness --------------------------------------------------------------------------------

bool sane(Stop s) { return s >= Stop::None && s <= Stop::BadControlMessage; }

TEST(RtmpRobustness, EveryPrefixOfTheCaptureIsReadWithoutError) {
  for (const Frame* s : {&client_stream(), &server_stream()}) {
    const size_t total = messages(feed_whole(*s)).size();
    for (size_t n = 0; n <= s->size(); ++n) {
      ChunkReader r;
      std::vector<Seen> out;
      drain(r, Bytes(s->data(), n), out);
      ASSERT_EQ(r.stop(), Stop::None) << n;  // a prefix is only incomplete, never invalid
      ASSERT_LE(messages(out).size(), total);
      ASSERT_EQ(r.stats().bytes, n);
    }
  }
}

TEST(RtmpRobustness, EveryPrefixOfEveryCommandIsTruncatedOrOk) {
  for (const Frame* s : {&client_stream(), &server_stream()}) {
    for (const auto& m : messages(feed_whole(*s))) {
      if (m.h.type != kCommandAmf0) continue;
      for (size_t n = 0; n < m.body.size(); ++n) {
        Command c;
        const AmfStatus st = parse_command(m.h.type, Bytes(m.body.data(), n), c);
        ASSERT_TRUE(st == AmfStatus::Truncated || st == AmfStatus::Ok) << n;
      }
    }
  }
}

TEST(RtmpRobustness, BitFlippedStreamsAreSafe) {
  std::mt19937 rng(20120101);
  for (const Frame* s : {&client_stream(), &server_stream()}) {
    for (int run = 0; run < 1500; ++run) {
      Frame f = *s;
      std::uniform_int_distribution<size_t> at(3073, f.size() - 1);  // in the chunk stream
      for (int k = 0; k < 1 + run % 4; ++k) f[at(rng)] ^= uint8_t(1u << (rng() % 8));
      ChunkReader r;
      std::uniform_int_distribution<size_t> size(1, 300);
      for (const auto& e : feed(r, f, [&] { return size(rng); })) {
        ASSERT_LE(e.body.size(), kMaxBody);
        if (e.kind == EventKind::Message && !e.body.empty()) {
          Command c;
          const AmfStatus st = parse_command(e.h.type, e.body, c);
          ASSERT_LE(static_cast<int>(st), static_cast<int>(AmfStatus::Unsupported));
        }
      }
      ASSERT_TRUE(sane(r.stop()));
    }
  }
}

TEST(RtmpRobustness, RandomBytesAfterAHandshakeAreSafe) {
  std::mt19937 rng(65599);
  int stopped = 0;
  for (int run = 0; run < 3000; ++run) {
    Frame f = after_handshake();
    std::uniform_int_distribution<size_t> len(0, 2000);
    const size_t n = len(rng);
    for (size_t i = 0; i < n; ++i) f.push_back(uint8_t(rng()));
    ChunkReader r;
    std::uniform_int_distribution<size_t> size(1, 700);
    const auto all = feed(r, f, [&] { return size(rng); });
    ASSERT_GE(all.size(), 3u);  // the handshake
    for (const auto& e : all) ASSERT_LE(e.body.size(), kMaxBody);
    ASSERT_TRUE(sane(r.stop()));
    stopped += r.stop() != Stop::None;
  }
  EXPECT_GT(stopped, 0);  // random bytes do trip the checks
}

TEST(RtmpRobustness, RandomAmfBodiesAreSafe) {
  std::mt19937 rng(3);
  int ok = 0;
  for (int run = 0; run < 5000; ++run) {
    Frame b = amf_str("onStatus");
    std::uniform_int_distribution<size_t> len(0, 64);
    const size_t n = len(rng);
    for (size_t i = 0; i < n; ++i) b.push_back(uint8_t(rng() % 20));  // mostly valid markers
    Command c;
    const AmfStatus st = parse_command(kCommandAmf0, b, c);
    ASSERT_LE(static_cast<int>(st), static_cast<int>(AmfStatus::Unsupported));
    ASSERT_EQ(c.name, "onStatus");
    ok += st == AmfStatus::Ok;
  }
  EXPECT_GT(ok, 0);
}

}  // namespace
}  // namespace wcstap::rtmp
