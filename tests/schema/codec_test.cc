// schema/codec: every Event field survives Event -> FlatBuffers -> Event; the schema mirrors the C++ enums.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>

#include "codec.h"
#include "decode/decode.h"

namespace wcstap {
namespace {

Endpoint v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  Endpoint e;
  e.addr = {a, b, c, d};
  e.port = port;
  e.family = 4;
  return e;
}

Endpoint v6(uint16_t port) {
  Endpoint e;
  for (size_t i = 0; i < e.addr.size(); ++i) e.addr[i] = static_cast<uint8_t>(0x20 + i * 7);
  e.port = port;
  e.family = 6;
  return e;
}

// Builds `table` as the root of a finished buffer and gives back the verified root.
template <typename T>
const T* roundtrip_table(flatbuffers::FlatBufferBuilder& fbb, flatbuffers::Offset<T> table) {
  fbb.Finish(table);
  flatbuffers::Verifier v(fbb.GetBufferPointer(), fbb.GetSize());
  EXPECT_TRUE(v.VerifyBuffer<T>(nullptr));
  return flatbuffers::GetRoot<T>(fbb.GetBufferPointer());
}

AnomalyEvent sample_anomaly() {
  AnomalyEvent a;
  a.kind = AnomalyKind::dtls_incomplete;
  a.state = AnomalyState::Refreshed;
  a.severity = Severity::Critical;
  a.l4 = L4::Udp;
  a.src = v4(198, 51, 100, 10, 31286);
  a.dst = v6(56879);
  a.has_ssrc = true;
  a.session = 0xfeedface12345678ull;
  a.ssrc = 0xd4eccd4a;
  a.first_ts = 1767225606678554123ull;
  a.ts = 1767225619706794001ull;
  a.value = 13.02824;
  a.threshold = 3.0;
  std::snprintf(a.detail, sizeof a.detail, "151 RTP packets in 3.0 s (PT 111) with \"nothing\" back");
  std::snprintf(a.stream, sizeof a.stream, "stream-01");
  return a;
}

void expect_same(const AnomalyEvent& a, const AnomalyEvent& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.severity, b.severity);
  EXPECT_EQ(a.l4, b.l4);
  EXPECT_EQ(a.src, b.src);
  EXPECT_EQ(a.dst, b.dst);
  EXPECT_EQ(a.has_ssrc, b.has_ssrc);
  EXPECT_EQ(a.ssrc, b.ssrc);
  EXPECT_EQ(a.first_ts, b.first_ts);
  EXPECT_EQ(a.ts, b.ts);
  EXPECT_EQ(a.value, b.value);
  EXPECT_EQ(a.threshold, b.threshold);
  EXPECT_STREQ(a.detail, b.detail);
  EXPECT_EQ(a.session, b.session);
  EXPECT_STREQ(a.stream, b.stream);
}

TEST(Codec, AnomalyRoundTripsEveryField) {
  const AnomalyEvent in = sample_anomaly();
  flatbuffers::FlatBufferBuilder fbb;
  const auto* m = roundtrip_table(fbb, codec::encode(fbb, in, {3, 7, 5}));
  ASSERT_NE(m->origin(), nullptr);
  EXPECT_EQ(m->origin()->port_id(), 3);
  EXPECT_EQ(m->origin()->queue(), 7);
  EXPECT_EQ(m->origin()->worker(), 5);
  const auto out = codec::decode(*m);
  ASSERT_TRUE(out.has_value());
  expect_same(in, *out);
}

TEST(Codec, AnomalyEveryKindStateSeverityAndL4) {
  for (unsigned k = 0; k < kAnomalyKindCount; ++k) {
    for (auto state : {AnomalyState::Raised, AnomalyState::Refreshed, AnomalyState::Resolved}) {
      for (auto sev : {Severity::Info, Severity::Minor, Severity::Major, Severity::Critical}) {
        for (auto l4 : {L4::Other, L4::Icmp, L4::Tcp, L4::Udp, L4::Icmpv6}) {
          AnomalyEvent in = sample_anomaly();
          in.kind = static_cast<AnomalyKind>(k);
          in.state = state;
          in.severity = sev;
          in.l4 = l4;
          flatbuffers::FlatBufferBuilder fbb;
          const auto out = codec::decode(*roundtrip_table(fbb, codec::encode(fbb, in)));
          ASSERT_TRUE(out.has_value());
          expect_same(in, *out);
        }
      }
    }
  }
}

TEST(Codec, AnomalyWithoutSsrcAndLongestDetail) {
  AnomalyEvent in = sample_anomaly();
  in.has_ssrc = false;
  in.ssrc = 0;
  std::memset(in.detail, 'x', sizeof in.detail - 1);
  in.detail[sizeof in.detail - 1] = '\0';
  flatbuffers::FlatBufferBuilder fbb;
  const auto out = codec::decode(*roundtrip_table(fbb, codec::encode(fbb, in)));
  ASSERT_TRUE(out.has_value());
  expect_same(in, *out);
  EXPECT_EQ(std::strlen(out->detail), sizeof in.detail - 1);
}

TEST(Codec, AnomalyDetailLongerThanTheRecordIsCut) {
  flatbuffers::FlatBufferBuilder fbb;
  const std::string long_detail(500, 'y');
  const auto detail = fbb.CreateString(long_detail);
  msg::AnomalyBuilder b(fbb);
  b.add_detail(detail);
  const auto out = codec::decode(*roundtrip_table(fbb, b.Finish()));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(std::string(out->detail), long_detail.substr(0, sizeof out->detail - 1));
}

TEST(Codec, AnomalyOfAnUnknownKindIsRefused) {
  flatbuffers::FlatBufferBuilder fbb;
  msg::AnomalyBuilder b(fbb);
  b.add_kind(static_cast<msg::AnomalyKind>(kAnomalyKindCount));  // from a newer tap
  EXPECT_FALSE(codec::decode(*roundtrip_table(fbb, b.Finish())).has_value());
}

TEST(Codec, AnomalyWithAnUnknownL4IsRefused) {
  flatbuffers::FlatBufferBuilder fbb;
  msg::AnomalyBuilder b(fbb);
  b.add_l4(static_cast<msg::L4>(2));
  EXPECT_FALSE(codec::decode(*roundtrip_table(fbb, b.Finish())).has_value());
}

TEST(Codec, RtpStreamRoundTripsEveryField) {
  RtpStreamEvent in;
  in.src = v6(5004);
  in.dst = v4(10, 0, 0, 2, 31010);
  in.ssrc = 0xfedcba98;
  in.pt = 127;
  in.packets = 123456789012ull;
  in.bytes = 9876543210123ull;
  in.lost = -17;
  in.ext_seq_first = 65530;
  in.ext_seq_max = (5ull << 16) + 12;
  in.first_ts = 1700000000000001000ull;
  in.last_ts = 1700000099999999999ull;
  in.duplicates = 3;
  in.reordered = 4;
  in.max_delta_ms = 30.0664;
  in.mean_delta_ms = 20.0071;
  in.clock_rate = 90000;
  in.clock_source = ClockSource::Inferred;
  in.jitter_max_ms = 5.106;
  in.jitter_mean_ms = 1.006;
  in.bitrate_mean_kbps = 812.5;
  in.bitrate_min_kbps = 0;
  in.bitrate_max_kbps = 2400.25;
  in.frame_rate = 29.97;
  in.voice_codec = VoiceCodec::Opus;
  in.r_factor = 88.5;
  in.mos = 4.21;
  in.mos_min = 3.7;
  in.mos_windows = 12;
  in.pt_changes = 5;
  in.lost_after_repair = 6;
  in.rtx_packets = 7;
  in.rtx_for_ssrc = 0x1234;
  in.srtp_keyed = true;
  in.srtp = SrtpCounts{1000, 17, 3, 2};
  in.video_codec = VideoCodec::H264;
  in.keyframes = 9;
  in.keyframe_interval_mean_s = 2.5;
  in.keyframe_interval_max_s = 3.25;
  in.parameter_sets = 9;
  in.session = 0x0123456789abcdefull;
  std::snprintf(in.stream, sizeof in.stream, "a84b4c76e66710@192.0.2.10");
  flatbuffers::FlatBufferBuilder fbb;
  const auto out = codec::decode(*roundtrip_table(fbb, codec::encode(fbb, in, {1, 2})));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->duplicates, in.duplicates);
  EXPECT_EQ(out->reordered, in.reordered);
  EXPECT_EQ(out->max_delta_ms, in.max_delta_ms);
  EXPECT_EQ(out->mean_delta_ms, in.mean_delta_ms);
  EXPECT_EQ(out->clock_rate, in.clock_rate);
  EXPECT_EQ(out->clock_source, in.clock_source);
  EXPECT_EQ(out->jitter_max_ms, in.jitter_max_ms);
  EXPECT_EQ(out->jitter_mean_ms, in.jitter_mean_ms);
  EXPECT_EQ(out->bitrate_mean_kbps, in.bitrate_mean_kbps);
  EXPECT_EQ(out->bitrate_min_kbps, in.bitrate_min_kbps);
  EXPECT_EQ(out->bitrate_max_kbps, in.bitrate_max_kbps);
  EXPECT_EQ(out->frame_rate, in.frame_rate);
  EXPECT_EQ(out->voice_codec, in.voice_codec);
  EXPECT_EQ(out->r_factor, in.r_factor);
  EXPECT_EQ(out->mos, in.mos);
  EXPECT_EQ(out->mos_min, in.mos_min);
  EXPECT_EQ(out->mos_windows, in.mos_windows);
  EXPECT_EQ(out->pt_changes, in.pt_changes);
  EXPECT_EQ(out->lost_after_repair, in.lost_after_repair);
  EXPECT_EQ(out->rtx_packets, in.rtx_packets);
  EXPECT_EQ(out->rtx_for_ssrc, in.rtx_for_ssrc);
  EXPECT_TRUE(out->srtp_keyed);
  EXPECT_EQ(out->srtp.authenticated, in.srtp.authenticated);
  EXPECT_EQ(out->srtp.auth_failed, in.srtp.auth_failed);
  EXPECT_EQ(out->srtp.replayed, in.srtp.replayed);
  EXPECT_EQ(out->srtp.unreadable, in.srtp.unreadable);
  EXPECT_EQ(out->video_codec, in.video_codec);
  EXPECT_EQ(out->keyframes, in.keyframes);
  EXPECT_EQ(out->keyframe_interval_mean_s, in.keyframe_interval_mean_s);
  EXPECT_EQ(out->keyframe_interval_max_s, in.keyframe_interval_max_s);
  EXPECT_EQ(out->parameter_sets, in.parameter_sets);
  EXPECT_EQ(out->session, in.session);
  EXPECT_STREQ(out->stream, in.stream);
  EXPECT_EQ(out->src, in.src);
  EXPECT_EQ(out->dst, in.dst);
  EXPECT_EQ(out->ssrc, in.ssrc);
  EXPECT_EQ(out->pt, in.pt);
  EXPECT_EQ(out->packets, in.packets);
  EXPECT_EQ(out->bytes, in.bytes);
  EXPECT_EQ(out->lost, in.lost);
  EXPECT_EQ(out->ext_seq_first, in.ext_seq_first);
  EXPECT_EQ(out->ext_seq_max, in.ext_seq_max);
  EXPECT_EQ(out->first_ts, in.first_ts);
  EXPECT_EQ(out->last_ts, in.last_ts);
}

RtcpReport distinct_rtcp_report() {
  RtcpReport r;
  r.sr = 1;
  r.encrypted = 2;
  r.rr = 3;
  r.fraction_lost = 4;
  r.fraction_lost_max = 5;
  r.cumulative_lost = -6;
  r.jitter = 7;
  r.jitter_max = 8;
  r.rtt_samples = 9;
  r.rtt_last_ms = 10.5;
  r.rtt_min_ms = 11.5;
  r.rtt_max_ms = 12.5;
  r.rtt_mean_ms = 13.5;
  r.nack = 14;
  r.nack_seqs = 15;
  r.pli = 16;
  r.fir = 17;
  r.tcc = 18;
  r.remb = 19;
  r.remb_kbps = 20.5;
  r.sdes = 21;
  r.bye = 22;
  r.app = 23;
  return r;
}

void expect_same(const RtcpReport& a, const RtcpReport& b) {
  // Field by field: the struct has padding, and a new field must be added here and to the codec
  // (codec.cc checks the struct's size for that).
  EXPECT_EQ(a.sr, b.sr);
  EXPECT_EQ(a.encrypted, b.encrypted);
  EXPECT_EQ(a.rr, b.rr);
  EXPECT_EQ(a.fraction_lost, b.fraction_lost);
  EXPECT_EQ(a.fraction_lost_max, b.fraction_lost_max);
  EXPECT_EQ(a.cumulative_lost, b.cumulative_lost);
  EXPECT_EQ(a.jitter, b.jitter);
  EXPECT_EQ(a.jitter_max, b.jitter_max);
  EXPECT_EQ(a.rtt_samples, b.rtt_samples);
  EXPECT_EQ(a.rtt_last_ms, b.rtt_last_ms);
  EXPECT_EQ(a.rtt_min_ms, b.rtt_min_ms);
  EXPECT_EQ(a.rtt_max_ms, b.rtt_max_ms);
  EXPECT_EQ(a.rtt_mean_ms, b.rtt_mean_ms);
  EXPECT_EQ(a.nack, b.nack);
  EXPECT_EQ(a.nack_seqs, b.nack_seqs);
  EXPECT_EQ(a.pli, b.pli);
  EXPECT_EQ(a.fir, b.fir);
  EXPECT_EQ(a.tcc, b.tcc);
  EXPECT_EQ(a.remb, b.remb);
  EXPECT_EQ(a.remb_kbps, b.remb_kbps);
  EXPECT_EQ(a.sdes, b.sdes);
  EXPECT_EQ(a.bye, b.bye);
  EXPECT_EQ(a.app, b.app);
}

TEST(Codec, RtpStreamWithoutKeyHasNoSrtpAndAnUnknownCodecIsRefused) {
  RtpStreamEvent in;
  flatbuffers::FlatBufferBuilder fbb;
  const auto off = codec::encode(fbb, in);
  fbb.Finish(off);
  const auto* m = flatbuffers::GetRoot<msg::RtpStream>(fbb.GetBufferPointer());
  EXPECT_EQ(m->srtp(), nullptr);
  ASSERT_TRUE(codec::decode(*m).has_value());
  EXPECT_FALSE(codec::decode(*m)->srtp_keyed);
  flatbuffers::FlatBufferBuilder bad;
  msg::RtpStreamBuilder b(bad);
  b.add_video_codec(9);
  bad.Finish(b.Finish());
  EXPECT_FALSE(codec::decode(*flatbuffers::GetRoot<msg::RtpStream>(bad.GetBufferPointer())).has_value());
}

TEST(Codec, RtpStreamCarriesItsRtcpReport) {
  RtpStreamEvent in;
  in.rtcp = distinct_rtcp_report();
  flatbuffers::FlatBufferBuilder fbb;
  const auto out = codec::decode(*roundtrip_table(fbb, codec::encode(fbb, in)));
  ASSERT_TRUE(out.has_value());
  expect_same(out->rtcp, in.rtcp);
}

TEST(Codec, RtpStreamWithoutRtcpHasNoReportOnTheWire) {
  RtpStreamEvent in;
  flatbuffers::FlatBufferBuilder fbb;
  const auto* m = roundtrip_table(fbb, codec::encode(fbb, in));
  EXPECT_EQ(m->rtcp(), nullptr);
  EXPECT_FALSE(codec::decode(*m)->rtcp.any());
}

TEST(Codec, RtcpStreamRoundTripsEveryField) {
  RtcpStreamEvent in;
  in.src = v6(5005);
  in.dst = v4(10, 0, 0, 2, 31011);
  in.ssrc = 0x12345678;
  in.first_ts = 1700000000000001000ull;
  in.last_ts = 1700000099999999999ull;
  in.rtcp = distinct_rtcp_report();
  flatbuffers::FlatBufferBuilder fbb;
  const auto out = codec::decode(*roundtrip_table(fbb, codec::encode(fbb, in, {3, 4})));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->src, in.src);
  EXPECT_EQ(out->dst, in.dst);
  EXPECT_EQ(out->ssrc, in.ssrc);
  EXPECT_EQ(out->first_ts, in.first_ts);
  EXPECT_EQ(out->last_ts, in.last_ts);
  expect_same(out->rtcp, in.rtcp);
}

TEST(Codec, FlowRoundTripsEveryFieldAndClass) {
  for (unsigned c = 0; c < static_cast<unsigned>(FlowClass::Count); ++c) {
    FlowEvent in;
    in.l4 = L4::Tcp;
    in.src = v4(203, 0, 113, 11, 56262);
    in.dst = v4(198, 51, 100, 10, 8443);
    in.cls = static_cast<FlowClass>(c);
    in.classes = class_bit(FlowClass::Rtp) | class_bit(FlowClass::Stun) | class_bit(static_cast<FlowClass>(c));
    in.packets = {26, 27};
    in.bytes = {7464, 9031};
    in.first_ts = 1767225600481463000ull;
    in.last_ts = 1767225620532597000ull;
    in.stun[0] = StunCounts{11, 3, 9, 1, 24.5, 61.25};
    in.stun[1] = StunCounts{7, 0, 7, 0, 20.0, 22.0};
    DtlsSummary& d = in.dtls;
    d.stage = static_cast<DtlsStage>(c % 8);
    d.client = 1;
    d.handshakes = 2;
    d.client_hellos = 3;
    d.hello_verify = true;
    d.version = 0xfefd;
    d.cipher_suite = 0xc02b;
    d.srtp_profile = 7;
    d.start_ts = 1767225601000000000ull;
    d.done_ts = 1767225601123000000ull;
    d.alert_level = 2;
    d.alert_description = 42;
    d.alert_from = 1;
    d.records = {12, 13};
    d.retransmits = {4, 5};
    d.encrypted_alerts = {1, 0};
    d.has_fingerprint = {false, true};
    for (uint8_t i = 0; i < 32; ++i) d.fingerprint[1][i] = i;
    TurnSummary& t = in.turn;
    t.allocate = {2, 1, 0};
    t.refresh = {3, 2, 1};
    t.permission = {4, 3, 1};
    t.channel_bind = {1, 1, 0};
    t.challenges = 1;
    t.last_error = 403;
    t.relayed = v4(198, 51, 100, 10, 49999);
    t.lifetime_s = 600;
    t.deallocated = true;
    t.send_indications = 22;
    t.data_indications = 15;
    t.channel_data = 18000;
    flatbuffers::FlatBufferBuilder fbb;
    const auto out = codec::decode(*roundtrip_table(fbb, codec::encode(fbb, in)));
    ASSERT_TRUE(out.has_value());
    for (unsigned d = 0; d < 2; ++d) {
      EXPECT_EQ(out->stun[d].requests, in.stun[d].requests);
      EXPECT_EQ(out->stun[d].retransmits, in.stun[d].retransmits);
      EXPECT_EQ(out->stun[d].answered, in.stun[d].answered);
      EXPECT_EQ(out->stun[d].errors, in.stun[d].errors);
      EXPECT_EQ(out->stun[d].rtt_mean_ms, in.stun[d].rtt_mean_ms);
      EXPECT_EQ(out->stun[d].rtt_max_ms, in.stun[d].rtt_max_ms);
    }
    EXPECT_EQ(out->l4, in.l4);
    EXPECT_EQ(out->src, in.src);
    EXPECT_EQ(out->dst, in.dst);
    EXPECT_EQ(out->cls, in.cls);
    EXPECT_EQ(out->classes, in.classes);
    EXPECT_EQ(out->packets, in.packets);
    EXPECT_EQ(out->bytes, in.bytes);
    EXPECT_EQ(out->first_ts, in.first_ts);
    EXPECT_EQ(out->last_ts, in.last_ts);
    const DtlsSummary& o = out->dtls;
    EXPECT_EQ(o.stage, d.stage);
    EXPECT_EQ(o.client, d.client);
    EXPECT_EQ(o.handshakes, d.handshakes);
    EXPECT_EQ(o.client_hellos, d.client_hellos);
    EXPECT_EQ(o.hello_verify, d.hello_verify);
    EXPECT_EQ(o.version, d.version);
    EXPECT_EQ(o.cipher_suite, d.cipher_suite);
    EXPECT_EQ(o.srtp_profile, d.srtp_profile);
    EXPECT_EQ(o.start_ts, d.start_ts);
    EXPECT_EQ(o.done_ts, d.done_ts);
    EXPECT_EQ(o.alert_level, d.alert_level);
    EXPECT_EQ(o.alert_description, d.alert_description);
    EXPECT_EQ(o.alert_from, d.alert_from);
    EXPECT_EQ(o.records, d.records);
    EXPECT_EQ(o.retransmits, d.retransmits);
    EXPECT_EQ(o.encrypted_alerts, d.encrypted_alerts);
    EXPECT_EQ(o.has_fingerprint, d.has_fingerprint);
    EXPECT_EQ(o.fingerprint, d.fingerprint);
    const TurnSummary& u = out->turn;
    EXPECT_EQ(u.allocate.requests, t.allocate.requests);
    EXPECT_EQ(u.allocate.successes, t.allocate.successes);
    EXPECT_EQ(u.refresh.errors, t.refresh.errors);
    EXPECT_EQ(u.permission.requests, t.permission.requests);
    EXPECT_EQ(u.permission.errors, t.permission.errors);
    EXPECT_EQ(u.channel_bind.successes, t.channel_bind.successes);
    EXPECT_EQ(u.challenges, t.challenges);
    EXPECT_EQ(u.last_error, t.last_error);
    EXPECT_EQ(u.relayed, t.relayed);
    EXPECT_EQ(u.lifetime_s, t.lifetime_s);
    EXPECT_EQ(u.deallocated, t.deallocated);
    EXPECT_EQ(u.send_indications, t.send_indications);
    EXPECT_EQ(u.data_indications, t.data_indications);
    EXPECT_EQ(u.channel_data, t.channel_data);
  }
}

TEST(Codec, FlowWithoutDtlsHasNone) {
  FlowEvent in;
  in.src = v4(203, 0, 113, 11, 56262);
  in.dst = v4(198, 51, 100, 10, 31002);
  flatbuffers::FlatBufferBuilder fbb;
  const auto off = codec::encode(fbb, in);
  fbb.Finish(off);
  EXPECT_EQ(flatbuffers::GetRoot<msg::Flow>(fbb.GetBufferPointer())->dtls(), nullptr);
  const auto out = codec::decode(*flatbuffers::GetRoot<msg::Flow>(fbb.GetBufferPointer()));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->dtls.stage, DtlsStage::None);
  EXPECT_FALSE(out->dtls.has_fingerprint[0] || out->dtls.has_fingerprint[1]);
}

TEST(Codec, FlowWithAShortFingerprintIsRefused) {
  flatbuffers::FlatBufferBuilder fbb;
  const std::array<uint8_t, 20> sha1{};
  const auto fp = fbb.CreateVector(sha1.data(), sha1.size());
  msg::DtlsInfoBuilder db(fbb);
  db.add_fingerprint_fwd(fp);
  const auto dtls = db.Finish();
  msg::FlowBuilder b(fbb);
  b.add_dtls(dtls);
  fbb.Finish(b.Finish());
  EXPECT_FALSE(codec::decode(*flatbuffers::GetRoot<msg::Flow>(fbb.GetBufferPointer())).has_value());
}

TEST(Codec, SignallingRoundTripsEveryField) {
  SignallingEvent in;
  in.kind = SignallingKind::SipDialog;
  in.protocol = FlowClass::Sip;
  in.l4 = L4::Udp;
  in.client = v4(10, 0, 0, 5, 30010);
  in.server = v4(192, 0, 2, 1, 5060);
  in.first_ts = 1767225600000000001ull;
  in.last_ts = 1767225632000000002ull;
  const std::string id(71, 'c'), name = "INVITE", state = "failed", detail = "Busy Here";
  std::copy(id.begin(), id.end(), in.id);
  std::copy(name.begin(), name.end(), in.name);
  std::copy(state.begin(), state.end(), in.state);
  std::copy(detail.begin(), detail.end(), in.detail);
  in.status = 486;
  in.tls_version = 0x0303;
  in.requests = 4;
  in.responses = 3;
  in.errors = 1;
  in.retransmits = 2;
  in.pings = 7;
  in.pongs = 6;
  in.setup_ms = 123.25;
  in.max_ms = 456.5;
  in.session = 0xfedcba9876543210ull;
  flatbuffers::FlatBufferBuilder fbb;
  const auto out = codec::decode(*roundtrip_table(fbb, codec::encode(fbb, in, {1, 2})));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->kind, in.kind);
  EXPECT_EQ(out->protocol, in.protocol);
  EXPECT_EQ(out->l4, in.l4);
  EXPECT_EQ(out->client, in.client);
  EXPECT_EQ(out->server, in.server);
  EXPECT_EQ(out->first_ts, in.first_ts);
  EXPECT_EQ(out->last_ts, in.last_ts);
  EXPECT_STREQ(out->id, in.id);
  EXPECT_STREQ(out->name, in.name);
  EXPECT_STREQ(out->state, in.state);
  EXPECT_STREQ(out->detail, in.detail);
  EXPECT_EQ(out->status, in.status);
  EXPECT_EQ(out->tls_version, in.tls_version);
  EXPECT_EQ(out->requests, in.requests);
  EXPECT_EQ(out->responses, in.responses);
  EXPECT_EQ(out->errors, in.errors);
  EXPECT_EQ(out->retransmits, in.retransmits);
  EXPECT_EQ(out->pings, in.pings);
  EXPECT_EQ(out->pongs, in.pongs);
  EXPECT_EQ(out->setup_ms, in.setup_ms);
  EXPECT_EQ(out->max_ms, in.max_ms);
  EXPECT_EQ(out->session, in.session);
  EXPECT_EQ(codec::topic_of(msg::Body::Signalling), "signalling");
}

TEST(Codec, WebrtcSessionRoundTripsEveryField) {
  WebrtcSessionEvent in;
  in.id = 0x0123456789abcdefull;
  const std::string a = "aaaa", b(32, 'z');
  std::copy(a.begin(), a.end(), in.ufrag_a.begin());
  std::copy(b.begin(), b.end(), in.ufrag_b.begin());
  in.first_ts = 1767225600000000001ull;
  in.last_ts = 1767225620000000002ull;
  in.flows = 3;
  in.relay = true;
  in.ice = IceState::Connected;
  in.checks = 21;
  in.successes = 19;
  in.first_success_ts = 1767225600100000000ull;
  in.selected_l4 = L4::Udp;
  in.selected_src = v4(203, 0, 113, 7, 50000);
  in.selected_dst = v4(198, 51, 100, 10, 31002);
  in.dtls = DtlsStage::Done;
  in.dtls_version = 0xfefd;
  in.srtp_profile = 7;
  in.dtls_handshake_ms = 85.5;
  in.rtp_streams = 4;
  in.anomalies = 2;
  flatbuffers::FlatBufferBuilder fbb;
  const auto out = codec::decode(*roundtrip_table(fbb, codec::encode(fbb, in, {1, 2})));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->id, in.id);
  EXPECT_EQ(out->ufrag_a, in.ufrag_a);
  EXPECT_EQ(out->ufrag_b, in.ufrag_b);
  EXPECT_EQ(out->first_ts, in.first_ts);
  EXPECT_EQ(out->last_ts, in.last_ts);
  EXPECT_EQ(out->flows, in.flows);
  EXPECT_EQ(out->relay, in.relay);
  EXPECT_EQ(out->ice, in.ice);
  EXPECT_EQ(out->checks, in.checks);
  EXPECT_EQ(out->successes, in.successes);
  EXPECT_EQ(out->first_success_ts, in.first_success_ts);
  EXPECT_EQ(out->selected_src, in.selected_src);
  EXPECT_EQ(out->selected_dst, in.selected_dst);
  EXPECT_EQ(out->dtls, in.dtls);
  EXPECT_EQ(out->dtls_version, in.dtls_version);
  EXPECT_EQ(out->srtp_profile, in.srtp_profile);
  EXPECT_EQ(out->dtls_handshake_ms, in.dtls_handshake_ms);
  EXPECT_EQ(out->rtp_streams, in.rtp_streams);
  EXPECT_EQ(out->anomalies, in.anomalies);
  EXPECT_EQ(codec::topic_of(msg::Body::WebrtcSession), "webrtc_session");
}

TEST(Codec, FlowOfAnUnknownClassIsRefused) {
  flatbuffers::FlatBufferBuilder fbb;
  msg::FlowBuilder b(fbb);
  b.add_cls(static_cast<msg::FlowClass>(static_cast<unsigned>(FlowClass::Count)));
  EXPECT_FALSE(codec::decode(*roundtrip_table(fbb, b.Finish())).has_value());
}

TEST(Codec, PipelineCountersRoundTripEveryField) {
  PipelineCounters in;
  uint64_t v = 1;
  // Every counter a distinct value (the struct is all uint64_t words).
  uint64_t words[sizeof(PipelineCounters) / sizeof(uint64_t)];
  for (auto& w : words) w = v++ * 1000003;
  std::memcpy(&in, words, sizeof in);
  in.malformed_by_reason[static_cast<unsigned>(DecodeError::None)] = 0;  // never a reason on the wire
  flatbuffers::FlatBufferBuilder fbb;
  const auto out = codec::decode(*roundtrip_table(fbb, codec::encode(fbb, in)));
  EXPECT_EQ(std::memcmp(&in, &out, sizeof in), 0);
  EXPECT_EQ(out.packets, in.packets);
  EXPECT_EQ(out.malformed_by_reason, in.malformed_by_reason);
  EXPECT_EQ(out.events, in.events);
}

TEST(Codec, PipelineCountersSkipUnknownReasons) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<msg::NamedCount>> reasons{
      msg::CreateNamedCount(fbb, fbb.CreateString("no.such.reason"), 5),
      msg::CreateNamedCount(fbb, fbb.CreateString(decode_error_name(DecodeError::UdpTruncated)), 3)};
  const auto vec = fbb.CreateVector(reasons);
  msg::PipelineStatsBuilder b(fbb);
  b.add_malformed(8);
  b.add_malformed_by_reason(vec);
  const auto out = codec::decode(*roundtrip_table(fbb, b.Finish()));
  EXPECT_EQ(out.malformed, 8u);
  EXPECT_EQ(out.malformed_by_reason[static_cast<unsigned>(DecodeError::UdpTruncated)], 3u);
}

TEST(Codec, EnvelopeRoundTrip) {
  const AnomalyEvent in = sample_anomaly();
  flatbuffers::FlatBufferBuilder fbb;
  const auto body = codec::encode(fbb, in);
  codec::finish_envelope(fbb, "tap-7", 42, 1767225619706794001ull, msg::Body::Anomaly, body.Union());
  const msg::Envelope* env = codec::verify_envelope(fbb.GetBufferPointer(), fbb.GetSize());
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(env->tap_id()->string_view(), "tap-7");
  EXPECT_EQ(env->seq(), 42u);
  EXPECT_EQ(env->time_ns(), 1767225619706794001ull);
  ASSERT_EQ(env->body_type(), msg::Body::Anomaly);
  const auto out = codec::decode(*env->body_as_Anomaly());
  ASSERT_TRUE(out.has_value());
  expect_same(in, *out);
  EXPECT_EQ(codec::topic_of(env->body_type()), "anomaly");
}

TEST(Codec, VerifyRejectsGarbageAndTruncation) {
  EXPECT_EQ(codec::verify_envelope(nullptr, 0), nullptr);
  const uint8_t garbage[64] = {1, 2, 3, 4, 'W', 'C', 'S', 'T'};
  EXPECT_EQ(codec::verify_envelope(garbage, sizeof garbage), nullptr);

  flatbuffers::FlatBufferBuilder fbb;
  const auto body = msg::CreateHeartbeat(fbb, 5);
  codec::finish_envelope(fbb, "t", 1, 2, msg::Body::Heartbeat, body.Union());
  EXPECT_NE(codec::verify_envelope(fbb.GetBufferPointer(), fbb.GetSize()), nullptr);
  EXPECT_EQ(codec::verify_envelope(fbb.GetBufferPointer(), fbb.GetSize() / 2), nullptr);
}

TEST(Codec, TopicPerBody) {
  EXPECT_EQ(codec::topic_of(msg::Body::Anomaly), "anomaly");
  EXPECT_EQ(codec::topic_of(msg::Body::RtpStream), "rtp_stream");
  EXPECT_EQ(codec::topic_of(msg::Body::RtcpStream), "rtcp_stream");
  EXPECT_EQ(codec::topic_of(msg::Body::FlowStats), "flow");
  EXPECT_EQ(codec::topic_of(msg::Body::TapStats), "stats");
  EXPECT_EQ(codec::topic_of(msg::Body::Hello), "hello");
  EXPECT_EQ(codec::topic_of(msg::Body::Heartbeat), "heartbeat");
  EXPECT_EQ(codec::topic_of(msg::Body::Goodbye), "goodbye");
  EXPECT_EQ(codec::topic_of(msg::Body::NONE), "");
}

TEST(Schema, AnomalyKindNamesMirrorTheCatalogue) {
  for (unsigned k = 0; k < kAnomalyKindCount; ++k)
    EXPECT_EQ(std::string_view(msg::EnumNameAnomalyKind(static_cast<msg::AnomalyKind>(k))),
              anomaly_kind_name(static_cast<AnomalyKind>(k)))
        << "kind " << k;
}

TEST(Schema, StateAndSeverityNamesMirrorTheCpp) {
  for (unsigned s = 0; s <= static_cast<unsigned>(AnomalyState::Resolved); ++s) {
    std::string fb = msg::EnumNameAnomalyState(static_cast<msg::AnomalyState>(s));
    for (auto& c : fb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(fb, anomaly_state_name(static_cast<AnomalyState>(s)));
  }
  for (unsigned s = 0; s <= static_cast<unsigned>(Severity::Critical); ++s) {
    std::string fb = msg::EnumNameSeverity(static_cast<msg::Severity>(s));
    for (auto& c : fb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(fb, severity_name(static_cast<Severity>(s)));
  }
}

TEST(Schema, FlowClassNamesMirrorTheCpp) {
  for (unsigned c = 0; c < static_cast<unsigned>(FlowClass::Count); ++c) {
    std::string fb = msg::EnumNameFlowClass(static_cast<msg::FlowClass>(c));
    for (auto& ch : fb) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(fb, flow_class_name(static_cast<FlowClass>(c))) << "class " << c;
  }
}

}  // namespace
}  // namespace wcstap
