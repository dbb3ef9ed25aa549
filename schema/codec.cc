#include "codec.h"

#include <algorithm>
#include <cstring>

#include "decode/decode.h"

namespace wcstap::codec {

static_assert(static_cast<unsigned>(msg::AnomalyKind::MAX) + 1 == kAnomalyKindCount,
              "schema/wcstap.fbs AnomalyKind must mirror analyzers/anomaly/anomaly_kind.h");
static_assert(static_cast<unsigned>(msg::SignallingKind::MAX) == static_cast<unsigned>(SignallingKind::Dns),
              "schema/wcstap.fbs SignallingKind must mirror analyzers/event.h");
static_assert(static_cast<unsigned>(msg::FlowClass::MAX) + 1 ==
                  static_cast<unsigned>(FlowClass::Count),
              "schema/wcstap.fbs FlowClass must mirror analyzers/event.h");
static_assert(static_cast<unsigned>(msg::AnomalyState::MAX) ==
              static_cast<unsigned>(AnomalyState::Resolved));
static_assert(static_cast<unsigned>(msg::Severity::MAX) ==
              static_cast<unsigned>(Severity::Critical));
static_assert(static_cast<unsigned>(msg::ClockSource::MAX) == static_cast<unsigned>(ClockSource::Inferred),
              "schema ClockSource must mirror analyzers/event.h");
static_assert(static_cast<uint8_t>(msg::L4::Udp) == static_cast<uint8_t>(L4::Udp) &&
              static_cast<uint8_t>(msg::L4::Tcp) == static_cast<uint8_t>(L4::Tcp) &&
              static_cast<uint8_t>(msg::L4::Icmp) == static_cast<uint8_t>(L4::Icmp) &&
              static_cast<uint8_t>(msg::L4::Icmpv6) == static_cast<uint8_t>(L4::Icmpv6) &&
              static_cast<uint8_t>(msg::L4::Other) == static_cast<uint8_t>(L4::Other));

namespace {

template <typename To, typename From>
constexpr To cast_enum(From v) {
  return static_cast<To>(static_cast<std::underlying_type_t<From>>(v));
}

std::optional<L4> decode_l4(msg::L4 v) {
  switch (v) {
    case msg::L4::Other: return L4::Other;
    case msg::L4::Icmp: return L4::Icmp;
    case msg::L4::Tcp: return L4::Tcp;
    case msg::L4::Udp: return L4::Udp;
    case msg::L4::Icmpv6: return L4::Icmpv6;
  }
  return std::nullopt;
}

msg::Origin encode(Origin o) { return msg::Origin(o.port_id, o.queue, o.worker); }

Endpoint decode_ptr(const msg::Endpoint* e) { return e ? decode(*e) : Endpoint{}; }

// A NUL-terminated field as a string, or nothing when it is empty.
flatbuffers::Offset<flatbuffers::String> optional_string(flatbuffers::FlatBufferBuilder& fbb, const char* field,
                                                         size_t capacity) {
  const size_t n = strnlen(field, capacity);
  return n == 0 ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(field, n);
}

// A string into a fixed NUL-terminated field, cut to fit.
void copy_string(const flatbuffers::String* s, char* out, size_t capacity) {
  if (!s) return;
  const size_t n = std::min<size_t>(s->size(), capacity - 1);
  std::memcpy(out, s->data(), n);
  out[n] = '\0';
}

}  // namespace

std::string_view topic_of(msg::Body body) {
  switch (body) {
    case msg::Body::Anomaly: return kTopicAnomaly;
    case msg::Body::RtpStream: return kTopicRtpStream;
    case msg::Body::RtcpStream: return kTopicRtcpStream;
    case msg::Body::WebrtcSession: return kTopicWebrtcSession;
    case msg::Body::Signalling: return kTopicSignalling;
    case msg::Body::FlowStats: return kTopicFlow;
    case msg::Body::TapStats: return kTopicStats;
    case msg::Body::Hello: return kTopicHello;
    case msg::Body::Heartbeat: return kTopicHeartbeat;
    case msg::Body::Goodbye: return kTopicGoodbye;
    case msg::Body::NONE: break;
  }
  return {};
}

msg::Endpoint encode(const Endpoint& e) {
  return msg::Endpoint(flatbuffers::span<const uint8_t, 16>(e.addr.data(), e.addr.size()), e.port,
                       e.family);
}

Endpoint decode(const msg::Endpoint& e) {
  Endpoint out;
  const auto* a = e.addr();
  for (size_t i = 0; i < out.addr.size(); ++i) out.addr[i] = a->Get(static_cast<flatbuffers::uoffset_t>(i));
  out.port = e.port();
  out.family = e.family();
  return out;
}

flatbuffers::Offset<msg::Anomaly> encode(flatbuffers::FlatBufferBuilder& fbb, const AnomalyEvent& ev,
                                         Origin origin) {
  const size_t detail_len = strnlen(ev.detail, sizeof ev.detail);
  const auto detail = fbb.CreateString(ev.detail, detail_len);
  const auto stream = optional_string(fbb, ev.stream, sizeof ev.stream);
  const msg::Endpoint src = encode(ev.src), dst = encode(ev.dst);
  const msg::Origin org = encode(origin);
  msg::AnomalyBuilder b(fbb);
  b.add_kind(cast_enum<msg::AnomalyKind>(ev.kind));
  b.add_state(cast_enum<msg::AnomalyState>(ev.state));
  b.add_severity(cast_enum<msg::Severity>(ev.severity));
  b.add_l4(cast_enum<msg::L4>(ev.l4));
  b.add_src(&src);
  b.add_dst(&dst);
  b.add_has_ssrc(ev.has_ssrc);
  b.add_ssrc(ev.ssrc);
  b.add_first_ts(ev.first_ts);
  b.add_ts(ev.ts);
  b.add_value(ev.value);
  b.add_threshold(ev.threshold);
  b.add_detail(detail);
  b.add_origin(&org);
  b.add_session(ev.session);
  if (!stream.IsNull()) b.add_stream(stream);
  return b.Finish();
}

flatbuffers::Offset<msg::WebrtcSession> encode(flatbuffers::FlatBufferBuilder& fbb, const WebrtcSessionEvent& ev,
                                               Origin origin) {
  const auto ua = fbb.CreateString(ev.ufrag_a.data(), strnlen(ev.ufrag_a.data(), ev.ufrag_a.size()));
  const auto ub = fbb.CreateString(ev.ufrag_b.data(), strnlen(ev.ufrag_b.data(), ev.ufrag_b.size()));
  const msg::Endpoint src = encode(ev.selected_src), dst = encode(ev.selected_dst);
  const msg::Origin org = encode(origin);
  msg::WebrtcSessionBuilder b(fbb);
  b.add_id(ev.id);
  b.add_ufrag_a(ua);
  b.add_ufrag_b(ub);
  b.add_first_ts(ev.first_ts);
  b.add_last_ts(ev.last_ts);
  b.add_flows(ev.flows);
  b.add_relay(ev.relay);
  b.add_ice(cast_enum<msg::IceState>(ev.ice));
  b.add_checks(ev.checks);
  b.add_successes(ev.successes);
  b.add_first_success_ts(ev.first_success_ts);
  b.add_selected_l4(cast_enum<msg::L4>(ev.selected_l4));
  if (ev.selected_src.family) {
    b.add_selected_src(&src);
    b.add_selected_dst(&dst);
  }
  b.add_dtls(cast_enum<msg::DtlsStage>(ev.dtls));
  b.add_dtls_version(ev.dtls_version);
  b.add_srtp_profile(ev.srtp_profile);
  b.add_dtls_handshake_ms(ev.dtls_handshake_ms);
  b.add_rtp_streams(ev.rtp_streams);
  b.add_anomalies(ev.anomalies);
  b.add_origin(&org);
  return b.Finish();
}

namespace {

// A field added to RtcpReport must be added to encode_rtcp, decode_rtcp and the schema too.
static_assert(sizeof(RtcpReport) == 112, "RtcpReport changed: update the codec and this size");

flatbuffers::Offset<msg::RtcpReport> encode_rtcp(flatbuffers::FlatBufferBuilder& fbb, const RtcpReport& r) {
  msg::RtcpReportBuilder b(fbb);
  b.add_sr(r.sr);
  b.add_encrypted(r.encrypted);
  b.add_rr(r.rr);
  b.add_fraction_lost(r.fraction_lost);
  b.add_fraction_lost_max(r.fraction_lost_max);
  b.add_cumulative_lost(r.cumulative_lost);
  b.add_jitter(r.jitter);
  b.add_jitter_max(r.jitter_max);
  b.add_rtt_samples(r.rtt_samples);
  b.add_rtt_last_ms(r.rtt_last_ms);
  b.add_rtt_min_ms(r.rtt_min_ms);
  b.add_rtt_max_ms(r.rtt_max_ms);
  b.add_rtt_mean_ms(r.rtt_mean_ms);
  b.add_nack(r.nack);
  b.add_nack_seqs(r.nack_seqs);
  b.add_pli(r.pli);
  b.add_fir(r.fir);
  b.add_tcc(r.tcc);
  b.add_remb(r.remb);
  b.add_remb_kbps(r.remb_kbps);
  b.add_sdes(r.sdes);
  b.add_bye(r.bye);
  b.add_app(r.app);
  return b.Finish();
}

RtcpReport decode_rtcp(const msg::RtcpReport* m) {
  RtcpReport r;
  if (!m) return r;
  r.sr = m->sr();
  r.encrypted = m->encrypted();
  r.rr = m->rr();
  r.fraction_lost = m->fraction_lost();
  r.fraction_lost_max = m->fraction_lost_max();
  r.cumulative_lost = m->cumulative_lost();
  r.jitter = m->jitter();
  r.jitter_max = m->jitter_max();
  r.rtt_samples = m->rtt_samples();
  r.rtt_last_ms = m->rtt_last_ms();
  r.rtt_min_ms = m->rtt_min_ms();
  r.rtt_max_ms = m->rtt_max_ms();
  r.rtt_mean_ms = m->rtt_mean_ms();
  r.nack = m->nack();
  r.nack_seqs = m->nack_seqs();
  r.pli = m->pli();
  r.fir = m->fir();
  r.tcc = m->tcc();
  r.remb = m->remb();
  r.remb_kbps = m->remb_kbps();
  r.sdes = m->sdes();
  r.bye = m->bye();
  r.app = m->app();
  return r;
}

}  // namespace

flatbuffers::Offset<msg::RtcpStream> encode(flatbuffers::FlatBufferBuilder& fbb, const RtcpStreamEvent& ev,
                                            Origin origin) {
  const msg::Endpoint src = encode(ev.src), dst = encode(ev.dst);
  const msg::Origin org = encode(origin);
  const auto rtcp = encode_rtcp(fbb, ev.rtcp);
  msg::RtcpStreamBuilder b(fbb);
  b.add_src(&src);
  b.add_dst(&dst);
  b.add_ssrc(ev.ssrc);
  b.add_first_ts(ev.first_ts);
  b.add_last_ts(ev.last_ts);
  b.add_rtcp(rtcp);
  b.add_origin(&org);
  return b.Finish();
}

std::optional<RtcpStreamEvent> decode(const msg::RtcpStream& m) {
  RtcpStreamEvent ev;
  ev.src = decode_ptr(m.src());
  ev.dst = decode_ptr(m.dst());
  ev.ssrc = m.ssrc();
  ev.first_ts = m.first_ts();
  ev.last_ts = m.last_ts();
  ev.rtcp = decode_rtcp(m.rtcp());
  return ev;
}

flatbuffers::Offset<msg::RtpStream> encode(flatbuffers::FlatBufferBuilder& fbb,
                                           const RtpStreamEvent& ev, Origin origin) {
  const msg::Endpoint src = encode(ev.src), dst = encode(ev.dst);
  const msg::Origin org = encode(origin);
  const auto rtcp = ev.rtcp.any() ? encode_rtcp(fbb, ev.rtcp) : flatbuffers::Offset<msg::RtcpReport>();
  const auto srtp = ev.srtp_keyed ? msg::CreateSrtpCounts(fbb, ev.srtp.authenticated, ev.srtp.auth_failed,
                                                          ev.srtp.replayed, ev.srtp.unreadable)
                                  : flatbuffers::Offset<msg::SrtpCounts>();
  const auto stream = optional_string(fbb, ev.stream, sizeof ev.stream);
  msg::RtpStreamBuilder b(fbb);
  b.add_src(&src);
  b.add_dst(&dst);
  b.add_ssrc(ev.ssrc);
  b.add_pt(ev.pt);
  b.add_packets(ev.packets);
  b.add_bytes(ev.bytes);
  b.add_lost(ev.lost);
  b.add_ext_seq_first(ev.ext_seq_first);
  b.add_ext_seq_max(ev.ext_seq_max);
  b.add_first_ts(ev.first_ts);
  b.add_last_ts(ev.last_ts);
  b.add_origin(&org);
  b.add_duplicates(ev.duplicates);
  b.add_reordered(ev.reordered);
  b.add_max_delta_ms(ev.max_delta_ms);
  b.add_mean_delta_ms(ev.mean_delta_ms);
  b.add_clock_rate(ev.clock_rate);
  b.add_clock_source(static_cast<msg::ClockSource>(ev.clock_source));
  b.add_jitter_max_ms(ev.jitter_max_ms);
  b.add_jitter_mean_ms(ev.jitter_mean_ms);
  b.add_bitrate_mean_kbps(ev.bitrate_mean_kbps);
  b.add_bitrate_min_kbps(ev.bitrate_min_kbps);
  b.add_bitrate_max_kbps(ev.bitrate_max_kbps);
  b.add_frame_rate(ev.frame_rate);
  if (!rtcp.IsNull()) b.add_rtcp(rtcp);
  b.add_voice_codec(static_cast<uint8_t>(ev.voice_codec));
  b.add_r_factor(ev.r_factor);
  b.add_mos(ev.mos);
  b.add_mos_min(ev.mos_min);
  b.add_mos_windows(ev.mos_windows);
  b.add_pt_changes(ev.pt_changes);
  b.add_lost_after_repair(ev.lost_after_repair);
  b.add_rtx_packets(ev.rtx_packets);
  b.add_rtx_for_ssrc(ev.rtx_for_ssrc);
  if (ev.srtp_keyed) b.add_srtp(srtp);
  b.add_video_codec(static_cast<uint8_t>(ev.video_codec));
  b.add_keyframes(ev.keyframes);
  b.add_keyframe_interval_mean_s(ev.keyframe_interval_mean_s);
  b.add_keyframe_interval_max_s(ev.keyframe_interval_max_s);
  b.add_parameter_sets(ev.parameter_sets);
  b.add_session(ev.session);
  if (!stream.IsNull()) b.add_stream(stream);
  return b.Finish();
}

flatbuffers::Offset<msg::Flow> encode(flatbuffers::FlatBufferBuilder& fbb, const FlowEvent& ev,
                                      Origin origin) {
  const msg::Endpoint src = encode(ev.src), dst = encode(ev.dst);
  const msg::Origin org = encode(origin);
  const bool stun = ev.stun[0].requests || ev.stun[1].requests;
  auto counts = [&](const StunCounts& c) {
    return msg::CreateStunCounts(fbb, c.requests, c.retransmits, c.answered, c.errors, c.rtt_mean_ms, c.rtt_max_ms);
  };
  const auto fwd = stun ? counts(ev.stun[0]) : flatbuffers::Offset<msg::StunCounts>();
  const auto rev = stun ? counts(ev.stun[1]) : flatbuffers::Offset<msg::StunCounts>();
  const DtlsSummary& d = ev.dtls;
  const bool has_dtls = d.stage != DtlsStage::None || d.records[0] || d.records[1];
  flatbuffers::Offset<msg::DtlsInfo> dtls;
  if (has_dtls) {
    auto fp = [&](int i) {
      return d.has_fingerprint[i] ? fbb.CreateVector(d.fingerprint[i].data(), d.fingerprint[i].size())
                                  : flatbuffers::Offset<flatbuffers::Vector<uint8_t>>();
    };
    const auto fp_fwd = fp(0), fp_rev = fp(1);
    msg::DtlsInfoBuilder db(fbb);
    db.add_stage(cast_enum<msg::DtlsStage>(d.stage));
    db.add_client(d.client);
    db.add_handshakes(d.handshakes);
    db.add_client_hellos(d.client_hellos);
    db.add_hello_verify(d.hello_verify);
    db.add_version(d.version);
    db.add_cipher_suite(d.cipher_suite);
    db.add_srtp_profile(d.srtp_profile);
    db.add_start_ts(d.start_ts);
    db.add_done_ts(d.done_ts);
    db.add_alert_level(d.alert_level);
    db.add_alert_description(d.alert_description);
    db.add_alert_from(d.alert_from);
    db.add_records_fwd(d.records[0]);
    db.add_records_rev(d.records[1]);
    db.add_retransmits_fwd(d.retransmits[0]);
    db.add_retransmits_rev(d.retransmits[1]);
    db.add_encrypted_alerts_fwd(d.encrypted_alerts[0]);
    db.add_encrypted_alerts_rev(d.encrypted_alerts[1]);
    if (d.has_fingerprint[0]) db.add_fingerprint_fwd(fp_fwd);
    if (d.has_fingerprint[1]) db.add_fingerprint_rev(fp_rev);
    dtls = db.Finish();
  }
  flatbuffers::Offset<msg::TurnInfo> turn;
  if (ev.turn.any()) {
    const TurnSummary& t = ev.turn;
    auto counts = [&](const TurnMethodCounts& c) { return msg::CreateTurnMethodCounts(fbb, c.requests, c.successes, c.errors); };
    const auto alloc = counts(t.allocate), refresh = counts(t.refresh), perm = counts(t.permission),
               bind = counts(t.channel_bind);
    const msg::Endpoint relayed = encode(t.relayed);
    msg::TurnInfoBuilder tb(fbb);
    tb.add_allocate(alloc);
    tb.add_refresh(refresh);
    tb.add_permission(perm);
    tb.add_channel_bind(bind);
    tb.add_challenges(t.challenges);
    tb.add_last_error(t.last_error);
    if (t.relayed.family) tb.add_relayed(&relayed);
    tb.add_lifetime_s(t.lifetime_s);
    tb.add_deallocated(t.deallocated);
    tb.add_send_indications(t.send_indications);
    tb.add_data_indications(t.data_indications);
    tb.add_channel_data(t.channel_data);
    turn = tb.Finish();
  }
  msg::FlowBuilder b(fbb);
  b.add_l4(cast_enum<msg::L4>(ev.l4));
  b.add_src(&src);
  b.add_dst(&dst);
  b.add_cls(cast_enum<msg::FlowClass>(ev.cls));
  b.add_classes(ev.classes);
  b.add_packets_fwd(ev.packets[0]);
  b.add_packets_rev(ev.packets[1]);
  b.add_bytes_fwd(ev.bytes[0]);
  b.add_bytes_rev(ev.bytes[1]);
  b.add_first_ts(ev.first_ts);
  b.add_last_ts(ev.last_ts);
  b.add_origin(&org);
  if (stun) {
    b.add_stun_fwd(fwd);
    b.add_stun_rev(rev);
  }
  if (has_dtls) b.add_dtls(dtls);
  if (ev.turn.any()) b.add_turn(turn);
  return b.Finish();
}

flatbuffers::Offset<msg::PipelineStats> encode(flatbuffers::FlatBufferBuilder& fbb,
                                               const PipelineCounters& c) {
  std::vector<flatbuffers::Offset<msg::NamedCount>> reasons;
  for (unsigned i = 0; i < kDecodeErrorCount; ++i) {
    if (c.malformed_by_reason[i] == 0) continue;
    const auto name = fbb.CreateString(decode_error_name(static_cast<DecodeError>(i)));
    reasons.push_back(msg::CreateNamedCount(fbb, name, c.malformed_by_reason[i]));
  }
  const auto reasons_vec = fbb.CreateVector(reasons);
  std::vector<flatbuffers::Offset<msg::NamedCount>> named;
  for (const NamedCounter& n : named_counters())
    if (c.*n.member != 0) named.push_back(msg::CreateNamedCount(fbb, fbb.CreateString(n.name), c.*n.member));
  const auto named_vec = fbb.CreateVector(named);
  msg::PipelineStatsBuilder b(fbb);
  b.add_named(named_vec);
  b.add_packets(c.packets);
  b.add_bytes(c.bytes);
  b.add_malformed(c.malformed);
  b.add_malformed_by_reason(reasons_vec);
  b.add_non_ip(c.non_ip);
  b.add_ip_fragments(c.ip_fragments);
  b.add_flows_created(c.flows_created);
  b.add_flows_expired(c.flows_expired);
  b.add_flow_table_full(c.flow_table_full);
  b.add_rtp_packets(c.rtp_packets);
  b.add_rtcp_packets(c.rtcp_packets);
  b.add_rtp_streams(c.rtp_streams);
  b.add_rtp_stream_pool_full(c.rtp_stream_pool_full);
  b.add_rtp_streams_over_flow_cap(c.rtp_streams_over_flow_cap);
  b.add_rtcp_streams(c.rtcp_streams);
  b.add_rtcp_ssrc_table_full(c.rtcp_ssrc_table_full);
  b.add_stun_messages(c.stun_messages);
  b.add_stun_malformed(c.stun_malformed);
  b.add_dtls_records(c.dtls_records);
  b.add_dtls_malformed(c.dtls_malformed);
  b.add_dtls_table_full(c.dtls_table_full);
  b.add_srtp_authenticated(c.srtp_authenticated);
  b.add_srtp_auth_failed(c.srtp_auth_failed);
  b.add_srtcp_authenticated(c.srtcp_authenticated);
  b.add_srtcp_auth_failed(c.srtcp_auth_failed);
  b.add_srtp_stream_pool_full(c.srtp_stream_pool_full);
  b.add_webrtc_sessions(c.webrtc_sessions);
  b.add_tcp_frames(c.tcp_frames);
  b.add_tcp_frames_lost(c.tcp_frames_lost);
  b.add_session_table_full(c.session_table_full);
  b.add_clock_steps(c.clock_steps);
  b.add_anomalies_raised(c.anomalies_raised);
  b.add_events(c.events);
  return b.Finish();
}

std::optional<AnomalyEvent> decode(const msg::Anomaly& m) {
  if (m.kind() > msg::AnomalyKind::MAX || m.state() > msg::AnomalyState::MAX ||
      m.severity() > msg::Severity::MAX)
    return std::nullopt;
  const auto l4 = decode_l4(m.l4());
  if (!l4) return std::nullopt;
  AnomalyEvent ev;
  ev.kind = cast_enum<AnomalyKind>(m.kind());
  ev.state = cast_enum<AnomalyState>(m.state());
  ev.severity = cast_enum<Severity>(m.severity());
  ev.l4 = *l4;
  ev.src = decode_ptr(m.src());
  ev.dst = decode_ptr(m.dst());
  ev.has_ssrc = m.has_ssrc();
  ev.ssrc = m.ssrc();
  ev.first_ts = m.first_ts();
  ev.ts = m.ts();
  ev.value = m.value();
  ev.threshold = m.threshold();
  ev.session = m.session();
  copy_string(m.detail(), ev.detail, sizeof ev.detail);
  copy_string(m.stream(), ev.stream, sizeof ev.stream);
  return ev;
}

std::optional<RtpStreamEvent> decode(const msg::RtpStream& m) {
  if (m.clock_source() > msg::ClockSource::MAX) return std::nullopt;
  RtpStreamEvent ev;
  ev.src = decode_ptr(m.src());
  ev.dst = decode_ptr(m.dst());
  ev.ssrc = m.ssrc();
  ev.pt = m.pt();
  ev.packets = m.packets();
  ev.bytes = m.bytes();
  ev.lost = m.lost();
  ev.ext_seq_first = m.ext_seq_first();
  ev.ext_seq_max = m.ext_seq_max();
  ev.first_ts = m.first_ts();
  ev.last_ts = m.last_ts();
  ev.duplicates = m.duplicates();
  ev.reordered = m.reordered();
  ev.max_delta_ms = m.max_delta_ms();
  ev.mean_delta_ms = m.mean_delta_ms();
  ev.clock_rate = m.clock_rate();
  ev.clock_source = static_cast<ClockSource>(m.clock_source());
  ev.jitter_max_ms = m.jitter_max_ms();
  ev.jitter_mean_ms = m.jitter_mean_ms();
  ev.bitrate_mean_kbps = m.bitrate_mean_kbps();
  ev.bitrate_min_kbps = m.bitrate_min_kbps();
  ev.bitrate_max_kbps = m.bitrate_max_kbps();
  ev.frame_rate = m.frame_rate();
  ev.rtcp = decode_rtcp(m.rtcp());
  if (m.voice_codec() > static_cast<uint8_t>(VoiceCodec::Unknown)) return std::nullopt;
  ev.voice_codec = static_cast<VoiceCodec>(m.voice_codec());
  ev.r_factor = m.r_factor();
  ev.mos = m.mos();
  ev.mos_min = m.mos_min();
  ev.mos_windows = m.mos_windows();
  ev.pt_changes = m.pt_changes();
  ev.lost_after_repair = m.lost_after_repair();
  ev.rtx_packets = m.rtx_packets();
  ev.rtx_for_ssrc = m.rtx_for_ssrc();
  if (const msg::SrtpCounts* k = m.srtp()) {
    ev.srtp_keyed = true;
    ev.srtp = SrtpCounts{k->authenticated(), k->auth_failed(), k->replayed(), k->unreadable()};
  }
  if (m.video_codec() > static_cast<uint8_t>(VideoCodec::H264)) return std::nullopt;
  ev.video_codec = static_cast<VideoCodec>(m.video_codec());
  ev.keyframes = m.keyframes();
  ev.keyframe_interval_mean_s = m.keyframe_interval_mean_s();
  ev.keyframe_interval_max_s = m.keyframe_interval_max_s();
  ev.parameter_sets = m.parameter_sets();
  ev.session = m.session();
  copy_string(m.stream(), ev.stream, sizeof ev.stream);
  return ev;
}

std::optional<FlowEvent> decode(const msg::Flow& m) {
  if (m.cls() > msg::FlowClass::MAX) return std::nullopt;
  const auto l4 = decode_l4(m.l4());
  if (!l4) return std::nullopt;
  FlowEvent ev;
  ev.l4 = *l4;
  ev.src = decode_ptr(m.src());
  ev.dst = decode_ptr(m.dst());
  ev.cls = cast_enum<FlowClass>(m.cls());
  ev.classes = m.classes();
  ev.packets = {m.packets_fwd(), m.packets_rev()};
  ev.bytes = {m.bytes_fwd(), m.bytes_rev()};
  ev.first_ts = m.first_ts();
  ev.last_ts = m.last_ts();
  auto counts = [](const msg::StunCounts* c) {
    return c ? StunCounts{c->requests(), c->retransmits(), c->answered(), c->errors(), c->rtt_mean_ms(), c->rtt_max_ms()}
             : StunCounts{};
  };
  ev.stun = {counts(m.stun_fwd()), counts(m.stun_rev())};
  if (const msg::TurnInfo* t = m.turn()) {
    auto counts = [](const msg::TurnMethodCounts* c) {
      return c ? TurnMethodCounts{c->requests(), c->successes(), c->errors()} : TurnMethodCounts{};
    };
    TurnSummary& s = ev.turn;
    s.allocate = counts(t->allocate());
    s.refresh = counts(t->refresh());
    s.permission = counts(t->permission());
    s.channel_bind = counts(t->channel_bind());
    s.challenges = t->challenges();
    s.last_error = t->last_error();
    s.relayed = decode_ptr(t->relayed());
    s.lifetime_s = t->lifetime_s();
    s.deallocated = t->deallocated();
    s.send_indications = t->send_indications();
    s.data_indications = t->data_indications();
    s.channel_data = t->channel_data();
  }
  if (const msg::DtlsInfo* d = m.dtls()) {
    if (d->stage() > msg::DtlsStage::MAX || d->client() > 1 || d->alert_from() > 1) return std::nullopt;
    DtlsSummary& s = ev.dtls;
    s.stage = cast_enum<DtlsStage>(d->stage());
    s.client = d->client();
    s.handshakes = d->handshakes();
    s.client_hellos = d->client_hellos();
    s.hello_verify = d->hello_verify();
    s.version = d->version();
    s.cipher_suite = d->cipher_suite();
    s.srtp_profile = d->srtp_profile();
    s.start_ts = d->start_ts();
    s.done_ts = d->done_ts();
    s.alert_level = d->alert_level();
    s.alert_description = d->alert_description();
    s.alert_from = d->alert_from();
    s.records = {d->records_fwd(), d->records_rev()};
    s.retransmits = {d->retransmits_fwd(), d->retransmits_rev()};
    s.encrypted_alerts = {d->encrypted_alerts_fwd(), d->encrypted_alerts_rev()};
    const flatbuffers::Vector<uint8_t>* fps[2] = {d->fingerprint_fwd(), d->fingerprint_rev()};
    for (int i = 0; i < 2; ++i) {
      if (!fps[i]) continue;
      if (fps[i]->size() != s.fingerprint[i].size()) return std::nullopt;
      s.has_fingerprint[i] = true;
      std::copy(fps[i]->begin(), fps[i]->end(), s.fingerprint[i].begin());
    }
  }
  return ev;
}

std::optional<WebrtcSessionEvent> decode(const msg::WebrtcSession& m) {
  if (m.ice() > msg::IceState::MAX || m.dtls() > msg::DtlsStage::MAX) return std::nullopt;
  const auto l4 = decode_l4(m.selected_l4());
  if (!l4) return std::nullopt;
  WebrtcSessionEvent ev;
  ev.id = m.id();
  copy_string(m.ufrag_a(), ev.ufrag_a.data(), ev.ufrag_a.size());
  copy_string(m.ufrag_b(), ev.ufrag_b.data(), ev.ufrag_b.size());
  ev.first_ts = m.first_ts();
  ev.last_ts = m.last_ts();
  ev.flows = m.flows();
  ev.relay = m.relay();
  ev.ice = cast_enum<IceState>(m.ice());
  ev.checks = m.checks();
  ev.successes = m.successes();
  ev.first_success_ts = m.first_success_ts();
  ev.selected_l4 = *l4;
  ev.selected_src = decode_ptr(m.selected_src());
  ev.selected_dst = decode_ptr(m.selected_dst());
  ev.dtls = cast_enum<DtlsStage>(m.dtls());
  ev.dtls_version = m.dtls_version();
  ev.srtp_profile = m.srtp_profile();
  ev.dtls_handshake_ms = m.dtls_handshake_ms();
  ev.rtp_streams = m.rtp_streams();
  ev.anomalies = m.anomalies();
  return ev;
}

flatbuffers::Offset<msg::Signalling> encode(flatbuffers::FlatBufferBuilder& fbb, const SignallingEvent& ev,
                                            Origin origin) {
  const auto text = [&](const char* f, size_t n) { return fbb.CreateString(f, strnlen(f, n)); };
  const auto id = text(ev.id, sizeof ev.id), name = text(ev.name, sizeof ev.name),
             state = text(ev.state, sizeof ev.state), detail = text(ev.detail, sizeof ev.detail);
  const msg::Endpoint client = encode(ev.client), server = encode(ev.server);
  const msg::Origin org = encode(origin);
  msg::SignallingBuilder b(fbb);
  b.add_kind(cast_enum<msg::SignallingKind>(ev.kind));
  b.add_protocol(cast_enum<msg::FlowClass>(ev.protocol));
  b.add_l4(cast_enum<msg::L4>(ev.l4));
  b.add_client(&client);
  b.add_server(&server);
  b.add_first_ts(ev.first_ts);
  b.add_last_ts(ev.last_ts);
  b.add_id(id);
  b.add_name(name);
  b.add_state(state);
  b.add_detail(detail);
  b.add_status(ev.status);
  b.add_tls_version(ev.tls_version);
  b.add_requests(ev.requests);
  b.add_responses(ev.responses);
  b.add_errors(ev.errors);
  b.add_retransmits(ev.retransmits);
  b.add_pings(ev.pings);
  b.add_pongs(ev.pongs);
  b.add_setup_ms(ev.setup_ms);
  b.add_max_ms(ev.max_ms);
  b.add_session(ev.session);
  b.add_origin(&org);
  return b.Finish();
}

std::optional<SignallingEvent> decode(const msg::Signalling& m) {
  if (m.kind() > msg::SignallingKind::MAX || m.protocol() > msg::FlowClass::MAX) return std::nullopt;
  const auto l4 = decode_l4(m.l4());
  if (!l4) return std::nullopt;
  SignallingEvent ev;
  ev.kind = cast_enum<SignallingKind>(m.kind());
  ev.protocol = cast_enum<FlowClass>(m.protocol());
  ev.l4 = *l4;
  ev.client = decode_ptr(m.client());
  ev.server = decode_ptr(m.server());
  ev.first_ts = m.first_ts();
  ev.last_ts = m.last_ts();
  copy_string(m.id(), ev.id, sizeof ev.id);
  copy_string(m.name(), ev.name, sizeof ev.name);
  copy_string(m.state(), ev.state, sizeof ev.state);
  copy_string(m.detail(), ev.detail, sizeof ev.detail);
  ev.status = m.status();
  ev.tls_version = m.tls_version();
  ev.requests = m.requests();
  ev.responses = m.responses();
  ev.errors = m.errors();
  ev.retransmits = m.retransmits();
  ev.pings = m.pings();
  ev.pongs = m.pongs();
  ev.setup_ms = m.setup_ms();
  ev.max_ms = m.max_ms();
  ev.session = m.session();
  return ev;
}

PipelineCounters decode(const msg::PipelineStats& m) {
  PipelineCounters c;
  c.packets = m.packets();
  c.bytes = m.bytes();
  c.malformed = m.malformed();
  if (const auto* reasons = m.malformed_by_reason()) {
    for (const auto* r : *reasons) {
      if (!r || !r->name()) continue;
      const std::string_view name = r->name()->string_view();
      for (unsigned i = 0; i < kDecodeErrorCount; ++i) {
        if (name == decode_error_name(static_cast<DecodeError>(i))) {
          c.malformed_by_reason[i] += r->count();
          break;
        }
      }
    }
  }
  if (const auto* named = m.named()) {
    for (const auto* r : *named) {
      if (!r || !r->name()) continue;
      for (const NamedCounter& n : named_counters())
        if (r->name()->string_view() == n.name) c.*n.member += r->count();
    }
  }
  c.non_ip = m.non_ip();
  c.ip_fragments = m.ip_fragments();
  c.flows_created = m.flows_created();
  c.flows_expired = m.flows_expired();
  c.flow_table_full = m.flow_table_full();
  c.rtp_packets = m.rtp_packets();
  c.rtcp_packets = m.rtcp_packets();
  c.rtp_streams = m.rtp_streams();
  c.rtp_stream_pool_full = m.rtp_stream_pool_full();
  c.rtp_streams_over_flow_cap = m.rtp_streams_over_flow_cap();
  c.clock_steps = m.clock_steps();
  c.rtcp_streams = m.rtcp_streams();
  c.rtcp_ssrc_table_full = m.rtcp_ssrc_table_full();
  c.stun_messages = m.stun_messages();
  c.stun_malformed = m.stun_malformed();
  c.dtls_records = m.dtls_records();
  c.dtls_malformed = m.dtls_malformed();
  c.dtls_table_full = m.dtls_table_full();
  c.srtp_authenticated = m.srtp_authenticated();
  c.srtp_auth_failed = m.srtp_auth_failed();
  c.srtcp_authenticated = m.srtcp_authenticated();
  c.srtcp_auth_failed = m.srtcp_auth_failed();
  c.srtp_stream_pool_full = m.srtp_stream_pool_full();
  c.webrtc_sessions = m.webrtc_sessions();
  c.tcp_frames = m.tcp_frames();
  c.tcp_frames_lost = m.tcp_frames_lost();
  c.session_table_full = m.session_table_full();
  c.anomalies_raised = m.anomalies_raised();
  c.events = m.events();
  return c;
}

void finish_envelope(flatbuffers::FlatBufferBuilder& fbb, std::string_view tap_id, uint64_t seq,
                     uint64_t time_ns, msg::Body type, flatbuffers::Offset<void> body) {
  const auto tap = fbb.CreateString(tap_id.data(), tap_id.size());
  msg::EnvelopeBuilder b(fbb);
  b.add_tap_id(tap);
  b.add_seq(seq);
  b.add_time_ns(time_ns);
  b.add_body_type(type);
  b.add_body(body);
  msg::FinishEnvelopeBuffer(fbb, b.Finish());
}

const msg::Envelope* verify_envelope(const void* data, size_t size) {
  if (data == nullptr || size < sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength)
    return nullptr;
  const auto* bytes = static_cast<const uint8_t*>(data);
  flatbuffers::Verifier verifier(bytes, size);
  if (!msg::VerifyEnvelopeBuffer(verifier)) return nullptr;
  return msg::GetEnvelope(bytes);
}

}  // namespace wcstap::codec
