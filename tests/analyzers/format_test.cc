// The JSON lines are a contract (wcstap-analyze and wcstap-control print them, scripts read them):
// field names, order and formats are checked exactly.
#include "output/format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "packet_builder.h"

namespace wcstap {
namespace {

constexpr Nanos kSec = 1'000'000'000;
constexpr Nanos kT0 = 1'767'225'600 * kSec;  // 2026-01-01 00:00:00 UTC

AnomalyEvent one_way_event() {
  AnomalyEvent a;
  a.kind = AnomalyKind::one_way_media;
  a.state = AnomalyState::Raised;
  a.severity = Severity::Critical;
  a.l4 = L4::Udp;
  a.src = test::endpoint("10.0.0.1", 5004);
  a.dst = test::endpoint("10.0.0.2", 31002);
  a.has_ssrc = true;
  a.ssrc = 0x1a2b3c4d;
  a.first_ts = kT0;
  a.ts = kT0 + 3'123'456'789;  // printed to the microsecond
  a.value = 3.5;
  a.threshold = 3;
  std::snprintf(a.detail, sizeof a.detail, "151 RTP packets in 3.1 s");
  return a;
}

TEST(Format, EndpointToString) {
  EXPECT_EQ(endpoint_to_string(test::endpoint("10.0.0.1", 5004)), "10.0.0.1:5004");
  EXPECT_EQ(endpoint_to_string(test::endpoint("2001:db8::1", 5004)), "[2001:db8::1]:5004");
  EXPECT_EQ(endpoint_to_string(test::endpoint("::ffff:10.0.0.1", 53)), "[::ffff:10.0.0.1]:53");
}

TEST(Format, AnomalyJsonLine) {
  EXPECT_EQ(event_to_json(one_way_event()),
            R"({"type":"anomaly","kind":"one_way_media","state":"raised","severity":"critical","proto":"udp",)"
            R"("src":"10.0.0.1:5004","dst":"10.0.0.2:31002","ssrc":"0x1a2b3c4d","ts":1767225603.123456,)"
            R"("first_ts":1767225600.0,"value":3.5,"threshold":3.0,"detail":"151 RTP packets in 3.1 s"})");
}

TEST(Format, LiveEventNamesItsTapPortAndQueueAfterTheContractFields) {
  EventSource src{"tap-a", 1, 3, 2};
  std::string with = event_to_json(Event{one_way_event()}, &src);
  std::string without = event_to_json(Event{one_way_event()});
  // the contract's fields unchanged, the source appended
  EXPECT_EQ(with, without.substr(0, without.size() - 1) + R"(,"tap":"tap-a","port":1,"queue":3,"worker":2})");
  std::string text = event_to_text(Event{one_way_event()}, &src);
  EXPECT_EQ(text.rfind("[tap-a port 1] ", 0), 0u) << text;
}

TEST(Format, TapWideEventNamesItsTapAlone) {
  // Judged on the main lcore for the whole tap (tap_overload): no port, queue or worker to name.
  EventSource src{"tap-a", 0xFFFF, 0xFFFF, 0xFFFF, true};
  std::string with = event_to_json(Event{one_way_event()}, &src);
  std::string without = event_to_json(Event{one_way_event()});
  EXPECT_EQ(with, without.substr(0, without.size() - 1) + R"(,"tap":"tap-a"})");
  std::string text = event_to_text(Event{one_way_event()}, &src);
  EXPECT_EQ(text.rfind("[tap-a] ", 0), 0u) << text;
}

TEST(Format, SummaryLabelledWithWhatItIsAbout) {
  PipelineCounters c;
  c.packets = 7;
  std::string j = summary_to_json(c, {"file", "a \"b\".pcap"});
  EXPECT_NE(j.find(R"("file":"a \"b\".pcap"})"), std::string::npos) << j;
  EXPECT_EQ(summary_to_json(c).find("file"), std::string::npos);
}

TEST(Format, AnomalyStatesAndSeverities) {
  AnomalyEvent a = one_way_event();
  a.state = AnomalyState::Refreshed;
  a.severity = Severity::Minor;
  std::string j = event_to_json(a);
  EXPECT_NE(j.find(R"("state":"refreshed","severity":"minor")"), std::string::npos) << j;
  a.state = AnomalyState::Resolved;
  a.severity = Severity::Info;
  j = event_to_json(a);
  EXPECT_NE(j.find(R"("state":"resolved","severity":"info")"), std::string::npos) << j;
}

TEST(Format, AnomalyWithoutSsrcHasNoSsrcField) {
  AnomalyEvent a = one_way_event();
  a.has_ssrc = false;
  std::string j = event_to_json(a);
  EXPECT_EQ(j.find("ssrc"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("dst":"10.0.0.2:31002","ts":)"), std::string::npos) << j;
}

TEST(Format, AnomalyIpv6EndpointsBracketed) {
  AnomalyEvent a = one_way_event();
  a.src = test::endpoint("2001:db8::1", 5004);
  a.dst = test::endpoint("2001:db8::2", 31002);
  std::string j = event_to_json(a);
  EXPECT_NE(j.find(R"("src":"[2001:db8::1]:5004","dst":"[2001:db8::2]:31002")"), std::string::npos) << j;
}

TEST(Format, IcmpEndpointsHaveNoPorts) {
  AnomalyEvent a = one_way_event();
  a.kind = AnomalyKind::icmp_unreachable;
  a.l4 = L4::Icmp;
  a.src.port = a.dst.port = 0;
  a.has_ssrc = false;
  std::string j = event_to_json(a);
  EXPECT_NE(j.find(R"("kind":"icmp_unreachable")"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("proto":"icmp","src":"10.0.0.1","dst":"10.0.0.2")"), std::string::npos) << j;
}

TEST(Format, DetailEscaped) {
  AnomalyEvent a = one_way_event();
  std::snprintf(a.detail, sizeof a.detail, "say \"hi\"\n");
  std::string j = event_to_json(a);
  EXPECT_NE(j.find(R"("detail":"say \"hi\"\n"})"), std::string::npos) << j;
  EXPECT_EQ(j.find('\n'), std::string::npos);  // one line
}

TEST(Format, RtpStreamJsonLine) {
  RtpStreamEvent r;
  r.src = test::endpoint("10.0.0.1", 5004);
  r.dst = test::endpoint("10.0.0.2", 31002);
  r.ssrc = 0x0000abcd;
  r.pt = 111;
  r.packets = 250;
  r.bytes = 43000;
  r.lost = -1;
  r.ext_seq_first = 65000;
  r.ext_seq_max = 65248;
  r.first_ts = kT0;
  r.last_ts = kT0 + 4'980'000'000;
  EXPECT_EQ(event_to_json(r),
            R"({"type":"rtp_stream","src":"10.0.0.1:5004","dst":"10.0.0.2:31002","ssrc":"0x0000abcd","pt":111,)"
            R"("packets":250,"bytes":43000,"lost":-1,"ext_seq_first":65000,"ext_seq_max":65248,)"
            R"("first_ts":1767225600.0,"last_ts":1767225604.98,"duplicates":0,"reordered":0,)"
            R"("max_delta_ms":0.0,"mean_delta_ms":0.0,"clock_rate":0,"clock_source":"none",)"
            R"("jitter_max_ms":null,"jitter_mean_ms":null,"bitrate_kbps":{"mean":0.0,"min":0.0,"max":0.0},)"
            R"("pt_changes":0,"lost_after_repair":0,"mos":null,"rtcp":null})");
}

TEST(Format, RtpStreamTimingFieldsToTheMicrosecond) {
  RtpStreamEvent r;
  r.src = test::endpoint("10.0.0.1", 5004);
  r.dst = test::endpoint("10.0.0.2", 31002);
  r.duplicates = 2;
  r.reordered = 3;
  r.max_delta_ms = 30.0664999;
  r.mean_delta_ms = 20.0071234;
  r.clock_rate = 8000;
  r.clock_source = ClockSource::Static;
  r.jitter_max_ms = 0.8354;
  r.jitter_mean_ms = 0.2012;
  r.bitrate_mean_kbps = 64.0004;
  r.bitrate_min_kbps = 0;
  r.bitrate_max_kbps = 70.5;
  r.frame_rate = 29.966;
  std::string j = event_to_json(r);
  EXPECT_NE(j.find(R"("duplicates":2,"reordered":3,"max_delta_ms":30.066,"mean_delta_ms":20.007,)"
                   R"("clock_rate":8000,"clock_source":"static","jitter_max_ms":0.835,"jitter_mean_ms":0.201,)"
                   R"("bitrate_kbps":{"mean":64.0,"min":0.0,"max":70.5},"frame_rate":29.97,"pt_changes":0,)"),
            std::string::npos) << j;
}

TEST(Format, RtpStreamCarriesWhatRtcpReportedBesideWhatTheTapMeasured) {
  RtpStreamEvent r;
  r.src = test::endpoint("10.0.0.1", 5004);
  r.dst = test::endpoint("10.0.0.2", 31002);
  r.clock_rate = 8000;
  r.rtcp.sr = 3;
  r.rtcp.rr = 4;
  r.rtcp.fraction_lost = 64;
  r.rtcp.fraction_lost_max = 128;
  r.rtcp.cumulative_lost = -2;
  r.rtcp.jitter = 80;
  r.rtcp.jitter_max = 160;
  r.rtcp.rtt_samples = 2;
  r.rtcp.rtt_last_ms = 41.0;
  r.rtcp.rtt_min_ms = 39.5;
  r.rtcp.rtt_mean_ms = 40.25;
  r.rtcp.rtt_max_ms = 41.0;
  r.rtcp.nack = 2;
  r.rtcp.nack_seqs = 5;
  r.rtcp.pli = 1;
  r.rtcp.remb = 1;
  r.rtcp.remb_kbps = 1200;
  std::string j = event_to_json(r);
  EXPECT_NE(j.find(R"("rtcp":{"sr":3,"rr":4,"fraction_lost_pct":25.0,"fraction_lost_max_pct":50.0,)"
                   R"("cumulative_lost":-2,"jitter":80,"jitter_ms":10.0,"jitter_max_ms":20.0,)"
                   R"("rtt_ms":{"last":41.0,"min":39.5,"mean":40.25,"max":41.0,"samples":2},)"
                   R"("nack":2,"nack_seqs":5,"pli":1,"fir":0,"remb_kbps":1200.0,"sdes":0,"bye":0}})"),
            std::string::npos)
      << j;
  std::string t = event_to_text(r);
  EXPECT_NE(t.find("rtcp: 3 SR, 4 RR (loss 25.0 %, cumulative -2, jitter 10.00 ms), RTT 40.2 ms (39.5-41.0), "
                   "2 NACK (5 seqs), 1 PLI, REMB 1200 kbit/s"),
            std::string::npos)
      << t;
}

TEST(Format, SpeechStreamCarriesItsMosAndRepairs) {
  RtpStreamEvent r;
  r.lost = 7;
  r.lost_after_repair = 2;
  r.pt_changes = 3;
  r.voice_codec = VoiceCodec::G711;
  r.mos = 4.3456;
  r.r_factor = 91.04;
  r.mos_min = 3.912;
  r.mos_windows = 4;
  std::string j = event_to_json(r);
  EXPECT_NE(j.find(R"("pt_changes":3,"lost_after_repair":2,"mos":{"mos":4.35,"r_factor":91.0,"codec":"g711",)"
                   R"("min_5s":3.91,"windows_5s":4},"rtcp":null})"),
            std::string::npos)
      << j;
  std::string t = event_to_text(r);
  EXPECT_NE(t.find("; MOS 4.35 (R 91, g711, worst 5 s 3.91); lost after RTX repair 2; 3 PT changes"),
            std::string::npos)
      << t;
  RtpStreamEvent rtx;
  rtx.rtx_for_ssrc = 0xabc;
  rtx.rtx_packets = 9;
  EXPECT_NE(event_to_json(rtx).find(R"("rtx":{"for_ssrc":"0x00000abc","repairs":9},"mos":null)"), std::string::npos)
      << event_to_json(rtx);
}

TEST(Format, RtcpStreamLineHasNoJitterInMillisecondsWithoutAClock) {
  RtcpStreamEvent r;
  r.src = test::endpoint("10.0.0.1", 5005);
  r.dst = test::endpoint("10.0.0.2", 31003);
  r.ssrc = 0xabcd;
  r.rtcp.rr = 1;
  r.rtcp.jitter = 80;
  std::string j = event_to_json(r);
  EXPECT_NE(j.find(R"({"type":"rtcp_stream","src":"10.0.0.1:5005","dst":"10.0.0.2:31003","ssrc":"0x0000abcd",)"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find(R"("jitter":80,"jitter_ms":null,)"), std::string::npos) << j;
  EXPECT_EQ(event_to_text(r).find('\n'), std::string::npos);
}

TEST(Format, FlowWithStunCarriesItsTransactionsPerDirection) {
  FlowEvent f;
  f.src = test::endpoint("10.0.0.2", 31002);
  f.dst = test::endpoint("10.0.0.1", 5004);
  f.stun[0] = StunCounts{5, 2, 4, 1, 20.25, 41.0};
  f.stun[1] = StunCounts{3, 0, 0, 0, 0, 0};
  EXPECT_NE(event_to_json(f).find(
                R"("stun":[{"requests":5,"retransmits":2,"answered":4,"errors":1,"rtt_ms":{"mean":20.25,"max":41.0}},)"
                R"({"requests":3,"retransmits":0,"answered":0,"errors":0,"rtt_ms":null}])"),
            std::string::npos)
      << event_to_json(f);
}

TEST(Format, FlowWithDtlsNamesClientServerFingerprintsAndAlert) {
  FlowEvent f;
  f.src = test::endpoint("198.51.100.10", 31002);  // WCS, the DTLS client
  f.dst = test::endpoint("203.0.113.7", 50000);
  DtlsSummary& d = f.dtls;
  d.stage = DtlsStage::Failed;
  d.client = 0;
  d.client_hellos = 1;
  d.version = 0xfefd;
  d.srtp_profile = 0x0001;
  d.start_ts = kT0;
  d.alert_level = 2;
  d.alert_description = 42;
  d.alert_from = 1;
  d.records = {4, 5};
  d.has_fingerprint = {true, false};
  d.fingerprint[0].fill(0xab);
  const std::string j = event_to_json(f);
  EXPECT_NE(j.find(R"("dtls":{"stage":"failed","client":"198.51.100.10:31002","server":"203.0.113.7:50000",)"),
            std::string::npos) << j;
  EXPECT_NE(j.find(R"("handshake_ms":null,"version":"1.2","srtp_profile":"SRTP_AES128_CM_HMAC_SHA1_80",)"),
            std::string::npos) << j;
  EXPECT_NE(j.find(R"("fingerprints":["AB:AB:)"), std::string::npos) << j;
  EXPECT_NE(j.find(R"(:AB",null],"alert":{"level":"fatal","description":"bad_certificate","code":42,"from":"203.0.113.7:50000"}})"),
            std::string::npos) << j;
  const std::string t = event_to_text(f);
  EXPECT_NE(t.find("dtls 1.2 failed (fatal alert bad_certificate)"), std::string::npos) << t;
}

TEST(Format, FlowJsonLine) {
  FlowEvent f;
  f.l4 = L4::Udp;
  f.src = test::endpoint("10.0.0.2", 31002);
  f.dst = test::endpoint("10.0.0.1", 5004);
  f.cls = FlowClass::Rtp;
  f.classes = class_bit(FlowClass::Rtp) | class_bit(FlowClass::Stun) | class_bit(FlowClass::Dtls);
  f.packets = {10, 7};
  f.bytes = {1400, 1680};
  f.first_ts = kT0;
  f.last_ts = kT0 + 320'000'000;
  EXPECT_EQ(event_to_json(f),
            R"({"type":"flow","proto":"udp","src":"10.0.0.2:31002","dst":"10.0.0.1:5004","class":"rtp",)"
            R"("classes":["rtp","stun","dtls"],"packets":[10,7],"bytes":[1400,1680],)"
            R"("first_ts":1767225600.0,"last_ts":1767225600.32})");
}

TEST(Format, FlowWithoutClassesHasEmptyList) {
  FlowEvent f;
  f.l4 = L4::Tcp;
  f.src = test::endpoint("10.0.0.2", 50000);
  f.dst = test::endpoint("10.0.0.1", 8080);
  std::string j = event_to_json(f);
  EXPECT_NE(j.find(R"("proto":"tcp","src":"10.0.0.2:50000","dst":"10.0.0.1:8080","class":"unknown","classes":[])"),
            std::string::npos)
      << j;
}

TEST(Format, SummaryJsonLine) {
  PipelineCounters c;
  c.packets = 1000;
  c.bytes = 200000;
  c.malformed = 3;
  c.malformed_by_reason[static_cast<unsigned>(DecodeError::EthTruncated)] = 1;
  c.malformed_by_reason[static_cast<unsigned>(DecodeError::UdpTruncated)] = 2;
  c.non_ip = 4;
  c.ip_fragments = 5;
  c.flows_created = 6;
  c.flows_expired = 2;
  c.flow_table_full = 1;
  c.rtp_packets = 900;
  c.rtcp_packets = 9;
  c.rtp_streams = 2;
  c.rtp_stream_pool_full = 0;
  c.anomalies_raised = 1;
  c.events = 9;
  EXPECT_EQ(summary_to_json(c),
            R"({"type":"summary","packets":1000,"bytes":200000,"malformed":3,)"
            R"("malformed_by_reason":{"eth.truncated":1,"udp.truncated":2},"non_ip":4,"ip_fragments":5,)"
            R"("flows":6,"flows_expired":2,"flow_table_full":1,"rtp_packets":900,"rtcp_packets":9,)"
            R"("rtp_streams":2,"rtp_stream_pool_full":0,"rtp_streams_over_flow_cap":0,"anomalies":1,"events":9,"stun_messages":0,"stun_malformed":0,"dtls_records":0,"dtls_malformed":0,"dtls_table_full":0,"srtp_authenticated":0,"srtp_auth_failed":0,"srtcp_authenticated":0,"srtcp_auth_failed":0,"srtp_stream_pool_full":0,"tcp_frames":0,"tcp_frames_lost":0,"webrtc_sessions":0,"session_table_full":0,"rtcp_streams":0,"rtcp_ssrc_table_full":0,"clock_steps":0,)"
      R"("flows_evicted":0,"flow_media_full":0,)"
      R"("signalling_connections":0,"signalling_reports":0,"signalling_table_full":0,"signalling_deadlines_dropped":0,)"
      R"("tcp_retransmissions":0,"tcp_stream_bytes":0,"tcp_stream_gaps":0,"tcp_stream_gap_bytes":0,)"
      R"("tcp_stream_no_memory":0,"tcp_stream_too_long":0,"sip_messages":0,"sip_malformed":0,)"
      R"("http_messages":0,"http_malformed":0,"ws_messages":0,"ws_malformed":0,"ws_too_long":0,"wcs_messages":0,)"
      R"("tls_handshakes":0,"tls_malformed":0,"dns_messages":0,"dns_malformed":0,)"
      R"("rtsp_messages":0,"rtsp_malformed":0,"rtsp_interleaved":0,"rtmp_messages":0,"rtmp_malformed":0,)"
      R"("sdp_bodies":0,"sdp_malformed":0,"rtp_clock_from_sdp":0,)"
      R"("signature_matches":0,"signature_repeats":0,"signature_stream_restarts":0,"one_way_agreed_by_sdp":0,)"
      R"("sdes_keys_learnt":0,"sdes_keys_unsupported":0,"sdes_keys_bad":0,"sdes_keyring_full":0})");
}

TEST(Format, SummaryWithoutMalformedHasEmptyReasons) {
  std::string j = summary_to_json(PipelineCounters{});
  EXPECT_NE(j.find(R"("malformed":0,"malformed_by_reason":{},)"), std::string::npos) << j;
}

TEST(Format, TextLinesAreSingleLinesNamingTheEvent) {
  std::string a = event_to_text(one_way_event());
  EXPECT_EQ(a.find('\n'), std::string::npos) << a;
  EXPECT_NE(a.find("one_way_media"), std::string::npos) << a;
  EXPECT_NE(a.find("10.0.0.1:5004 -> 10.0.0.2:31002"), std::string::npos) << a;
  EXPECT_NE(a.find("2026-01-01 00:00:03.123456Z"), std::string::npos) << a;
  EXPECT_NE(a.find("ssrc 0x1a2b3c4d"), std::string::npos) << a;
}

TEST(Format, SummaryTextListsMalformedReasons) {
  PipelineCounters c;
  c.malformed = 2;
  c.malformed_by_reason[static_cast<unsigned>(DecodeError::Ipv6ExtTruncated)] = 2;
  std::string t = summary_to_text(c);
  EXPECT_NE(t.find("malformed ipv6.ext_truncated: 2"), std::string::npos) << t;
}

TEST(Format, Names) {
  EXPECT_STREQ(l4_name(L4::Udp), "udp");
  EXPECT_STREQ(l4_name(L4::Tcp), "tcp");
  EXPECT_STREQ(l4_name(L4::Icmp), "icmp");
  EXPECT_STREQ(l4_name(L4::Icmpv6), "icmpv6");
  EXPECT_STREQ(l4_name(L4::Other), "other");
  EXPECT_STREQ(flow_class_name(FlowClass::Unknown), "unknown");
  EXPECT_STREQ(flow_class_name(FlowClass::Websocket), "websocket");
  EXPECT_STREQ(flow_class_name(FlowClass::Icmp), "icmp");
  EXPECT_STREQ(flow_class_name(FlowClass::Count), "unknown");
}

}  // namespace
}  // namespace wcstap
