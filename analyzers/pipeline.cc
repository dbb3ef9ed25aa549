#include "pipeline.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "anomaly/anomaly_engine.h"
#include "classify/classify.h"
#include "decode/bytes.h"
#include "dtls/dtls.h"
#include "flow/flow_table.h"
#include "flow/id_table.h"
#include "media/emodel.h"
#include "media/host_evidence.h"
#include "media/keyframe.h"
#include "output/format.h"
#include "rtcp/rtcp_parser.h"
#include "rtcp/rtcp_ssrc_table.h"
#include "rtp/rtp_stream.h"
#include "session/media_expectations.h"
#include "session/tap_wide.h"
#include "signalling/signalling.h"
#include "srtp/srtp.h"
#include "stun/stun.h"

namespace wcstap {

namespace {

constexpr double to_seconds(Nanos ns) { return static_cast<double>(ns) / 1e9; }

// The classes signalling takes a flow for.
constexpr FlowClassMask kSignallingClasses = class_bit(FlowClass::Sip) | class_bit(FlowClass::Websocket) |
                                             class_bit(FlowClass::Http) | class_bit(FlowClass::Tls) |
                                             class_bit(FlowClass::Dns) | class_bit(FlowClass::Rtsp) |
                                             class_bit(FlowClass::Rtmp) | class_bit(FlowClass::Hls);

// A flow carries at most this many RTP streams (BUNDLE: audio, video, RTX, both ways). Noise that
// happens to start with an RTP-like byte would otherwise open a "stream" per datagram.
constexpr unsigned kMaxStreamsPerFlow = 16;

// How often a flow's streams are looked at for media_stall (packet time).
constexpr Nanos kStallCheckEvery = 200'000'000;

// How often a stream refreshes its entries in the host evidence index (and in the SDP
// expectations and the RTCP SSRC table): a sixth of one_way_media's window, so that media going
// back on other ports is never older there than that when a stream is judged; at most every 10 ms
// and at least every 500 ms. Each refresh is a few probes of tables of megabytes (cache misses):
// at 100 packets a second a stream, every 50th packet at the default 3 s window.
Nanos evidence_every(const Config& c) {
  return std::clamp<Nanos>(seconds(c.anomalies.one_way_media.min_duration_s) / 6, 10'000'000, 500'000'000);
}

// Streams followed under an SRTP key: any stream when the config gives keys (any may be under
// one); with SDES keys only, a few per key (audio or video, RTX, RTCP's own SSRC), at most all.
uint32_t srtp_pool_size(const Config& c, const SrtpConfig& keys) {
  if (!keys.keys.empty()) return c.flows.rtp_streams;
  return static_cast<uint32_t>(std::min<uint64_t>(c.flows.rtp_streams, uint64_t{4} * c.srtp.sdes_keys));
}

// Flows with media bookkeeping (FlowMedia): media, STUN, DTLS, signalling. DTLS handshakes and
// WebRTC sessions live on such flows only, and as many of them: WCS BUNDLEs a session's ICE, DTLS
// and media on one 5-tuple, so every media flow may carry a handshake and a session of its own.
uint32_t media_flows(const Config& c) { return std::min(c.flows.capacity, c.flows.media_flows); }

// The host evidence index notes about five things a stream (its SSRC from and to a host, RTCP
// about it, media between its hosts): four slots a stream, so that evidence of live streams is not
// pushed out by that of others (each stream asks its own on every packet).
uint32_t evidence_slots(const Config& c) {
  return static_cast<uint32_t>(std::clamp<uint64_t>(uint64_t{4} * c.flows.rtp_streams, 4096, uint64_t{1} << 26));
}

}  // namespace

// Every counter is a uint64_t (the dataplane also snapshots them word by word): add word by word,
// so a new counter cannot be forgotten here.
static_assert(std::has_unique_object_representations_v<PipelineCounters> &&
                  sizeof(PipelineCounters) % sizeof(uint64_t) == 0,
              "PipelineCounters must hold only uint64_t counters");
void PipelineCounters::add(const PipelineCounters& o) {
  constexpr size_t kWords = sizeof(PipelineCounters) / sizeof(uint64_t);
  uint64_t mine[kWords], theirs[kWords];
  std::memcpy(mine, this, sizeof mine);
  std::memcpy(theirs, &o, sizeof theirs);
  for (size_t i = 0; i < kWords; ++i) mine[i] += theirs[i];
  std::memcpy(static_cast<void*>(this), mine, sizeof mine);
}

std::span<const NamedCounter> named_counters() {
#define WCSTAP_COUNTER_ENTRY(name) NamedCounter{#name, &PipelineCounters::name},
  static constexpr NamedCounter kAll[] = {WCSTAP_NAMED_COUNTERS(WCSTAP_COUNTER_ENTRY)};
#undef WCSTAP_COUNTER_ENTRY
  return kAll;
}

struct Pipeline::Impl : EventSink, InterleavedMedia, SdesKeySink {
  Impl(const Config& c, EventSink& out, std::shared_ptr<const SignatureDatabase> signatures)
      : cfg(c),
        sink(out),
        flows(c.flows.capacity),
        streams(c.flows.rtp_streams),
        medias(media_flows(c)),
        dtls_flows(media_flows(c)),
        sessions(media_flows(c)),
        session_ids(media_flows(c)),
        srtp_keys(std::make_unique<SrtpKeyring>(c.srtp, c.srtp.sdes_keys)),
        srtp_streams(srtp_pool_size(c, c.srtp)),
        rtcp_ssrcs(c.flows.rtp_streams),
        evidence(evidence_slots(c)),
        engine(cfg.anomalies, *this),
        expectations(c.signalling.connections),
        signalling(cfg, engine, *this, ctr, *this, expectations, std::move(signatures),
                   c.srtp.sdes_keys != 0 ? this : nullptr),
        udp_idle(seconds(c.flows.udp_idle_timeout_s)),
        tcp_idle(seconds(c.flows.tcp_idle_timeout_s)),
        one_way_window(seconds(c.anomalies.one_way_media.min_duration_s)),
        evidence_period(evidence_every(c)),
        rtcp_wait(seconds(c.anomalies.one_way_media.rtcp_interval_s)) {
    flows.set_shortest_timeout(std::min(udp_idle, tcp_idle));
    video_codecs = c.srtp.video_codecs;
    keys_changed();
  }

  // Every event leaves through here: counted, anomalies named after their media, then handed on.
  void emit(const Event& ev) override {
    ++ctr.events;
    if (const auto* a = std::get_if<AnomalyEvent>(&ev)) {
      if (a->state == AnomalyState::Raised) {
        ++ctr.anomalies_raised;
        if (a->session != 0)
          if (const uint32_t i = session_ids.find(a->session); i != kNoIndex) ++sessions[i].ev.anomalies;
      }
      if (a->stream[0] == '\0') {
        if (const char* name = media_name(a->src, a->dst, a->session); name[0] != '\0') {
          Event named = ev;
          AnomalyEvent& n = std::get<AnomalyEvent>(named);
          std::snprintf(n.stream, sizeof n.stream, "%s", name);
          sink.emit(named);
          return;
        }
      }
    }
    sink.emit(ev);
  }
  // What signalling calls media between `a` and `b`: the WCS stream its WebRTC session carries,
  // else the name the SDP that named either end came under; "" when none.
  const char* media_name(const Endpoint& a, const Endpoint& b, uint64_t session) const {
    if (session != 0)
      if (const SessionExpectation* e = expectations.session(session); e != nullptr && e->stream[0] != '\0')
        return e->stream;
    return expectations.name(a, b);
  }

  // SDES keys from signalling's SDP (per SDP, never per packet): streams with no key look again.
  void sdes_keys(const SdpSession& sdp, Nanos ts, uint64_t source) override {
    const SdesOutcome o = srtp_keys->learn_sdp(sdp, source, ts);
    ctr.sdes_keys_learnt += o.learnt;
    ctr.sdes_keys_unsupported += o.unsupported;
    ctr.sdes_keys_bad += o.bad;
    ctr.sdes_keyring_full += o.full;
    if (o.changed()) ++srtp_gen;
    keys_changed();
  }
  void sdes_source_ended(uint64_t source, Nanos ts) override {
    srtp_keys->source_ended(source, ts);
    keys_changed();
  }

  // A stream's evidence refresh (rtp()): where its three notes in the host evidence index go and
  // where its RTCP key's sets are. A function of the packet alone (its endpoints and SSRC), so
  // look_ahead can work it out while the packets before it are analysed.
  struct EvidenceNotes {
    uint32_t peer = 0;  // the receiver's folded address, the Media note's tag
    uint32_t media = 0, from = 0, to = 0;
    RtcpSsrcTable::Sets rtcp{};
  };
  EvidenceNotes evidence_notes(const Endpoint& from, const Endpoint& to, uint32_t ssrc) const {
    EvidenceNotes n;
    n.peer = HostEvidenceIndex::fold(to);
    n.media = evidence.home(Evidence::Media, from, n.peer);
    n.from = evidence.home(Evidence::SsrcFrom, from, ssrc);
    n.to = evidence.home(Evidence::SsrcTo, to, ssrc);
    n.rtcp = rtcp_ssrcs.sets_of(from, ssrc);
    return n;
  }
  [[gnu::always_inline]] void prefetch(const EvidenceNotes& n) const {
    evidence.prefetch(n.media);
    evidence.prefetch(n.from);
    evidence.prefetch(n.to);
    rtcp_ssrcs.prefetch(n.rtcp);
  }

  // A frame decoded ahead of its turn (decoding reads no state), with what its lookups will ask
  // for: the analysis of the packets before it may change the tables, so what was found in them
  // (flow, streams) is a hint to fetch memory by, never relied on. `notes` is relied on: it
  // depends on the packet's own bytes only.
  struct Staged {
    DecodedPacket pkt;
    DecodeStatus status = DecodeStatus::Invalid;
    DecodeError err = DecodeError::None;
    bool keyed = false;  // has a flow (not a later fragment)
    KeyedPacket kp;
    uint64_t hash = 0;
    uint32_t flow = kNoIndex;    // its flow record, as found ahead
    uint32_t stream = kNoIndex;  // an RTP stream of it to look at, as found ahead
    uint32_t stream_hit = kNoIndex;  // its own stream (SSRC and direction), as fetch_ahead found it
    // Where its stream's evidence refresh will note and look (look_ahead found one due): valid for
    // the RTP in this packet's own payload only.
    bool notes_ahead = false;
    EvidenceNotes notes;
  };
  std::array<Staged, Pipeline::kBurst> staged;
  const Staged* staged_now = nullptr;  // the staged packet being analysed
  // The flow table's erasures() when stage() looked the burst's flows up: while it holds, the
  // record each found is still its packet's flow (no key to compare again).
  uint64_t staged_erasures = 0;
  void stage(LinkType link, std::span<const Pipeline::Frame> burst);
  void stage_frame(LinkType link, Bytes frame, Staged& s);
  void fetch_ahead(Staged& s);
  void look_ahead(Staged& s, Nanos ts);
  void fetch_notes(Staged& s, uint32_t ssrc);
  // A packet staged ahead that may be RTP, and whether a stream is the one it belongs to (its
  // SSRC, its direction).
  static bool looks_rtp(const Staged& s) {
    const Bytes p = s.pkt.l4_payload;
    return s.pkt.l4 == L4::Udp && p.size() >= 12 && (p[0] & 0xc0) == 0x80;
  }
  static bool matches(const Staged& s, const RtpStreamState& st) {
    return st.ssrc == be32(s.pkt.l4_payload.data() + 8) && st.dir == s.kp.dir;
  }
  void analyse(Nanos ts, Bytes frame, const Staged& s);
  void udp(FlowRecord& f, uint8_t dir, Nanos ts, const DecodedPacket& pkt);
  void rtp(FlowRecord& f, uint8_t dir, Nanos ts, Bytes payload);
  uint32_t new_stream(FlowRecord& f, uint8_t dir, const RtpHeader& h, unsigned streams_of_flow);
  void rtcp(FlowRecord& f, uint8_t dir, Nanos ts, const DecodedPacket& pkt);
  void check_one_way(FlowRecord& f, RtpStreamState& s, Nanos now, bool media_packet);
  void judge_one_way(FlowRecord& f, RtpStreamState& s, Nanos now, Nanos back_media, Nanos rr);
  void check_packet_loss(const FlowRecord& f, RtpStreamState& s, Nanos now);
  void check_high_jitter(const FlowRecord& f, RtpStreamState& s, Nanos now);
  void check_stalls(FlowRecord& f, Nanos now);
  void check_bitrate_drop(const FlowRecord& f, RtpStreamState& s, Nanos now);
  void stun(FlowRecord& f, uint8_t dir, Nanos ts, Bytes payload, bool relayed = false);
  void icmp_error(const DecodedPacket& p, Nanos ts);
  void turn_channel_data(FlowRecord& f, uint8_t dir, Nanos ts, Bytes payload);
  void unwrap_relayed(FlowRecord& f, uint8_t dir, Nanos ts, Bytes inner);
  void tcp(FlowRecord& f, uint8_t dir, Nanos ts, const DecodedPacket& p);
  void framed(FlowRecord& f, uint8_t dir, Nanos ts, Bytes frame);
  void turn_method(TurnSummary& t, const StunMessage& m);
  void dtls(FlowRecord& f, uint8_t dir, Nanos ts, Bytes payload);
  void dtls_handshake(DtlsFlow& d, uint8_t dir, Nanos ts, const dtls::Fragment& g);
  void dtls_alert(const FlowRecord& f, DtlsFlow& d, uint8_t dir, Nanos ts, uint8_t level, uint8_t description);
  void check_dtls(const FlowRecord& f, Nanos now);
  void check_fingerprints(const FlowRecord& f, DtlsFlow& d, Nanos ts);
  void note_stun_response(const Endpoint& responder, double ms, Nanos ts);
  void check_ice_no_response(const FlowRecord& f, uint8_t dir, Nanos now, bool end_of_input = false);
  void check_ice_consent(const FlowRecord& f, uint8_t dir, Nanos now, bool end_of_input = false);
  // One direction of a flow, without an SSRC (STUN transactions, ICMP errors, RTCP feedback),
  // with the WebRTC session the flow belongs to.
  AnomalySubject direction_subject(const FlowRecord& f, uint8_t dir) const {
    AnomalySubject subj;
    subj.l4 = f.key.l4 == 6 ? L4::Tcp : L4::Udp;
    subj.src = key_endpoint(f.key, dir == 1);
    subj.dst = key_endpoint(f.key, dir == 0);
    if (f.media != kNoIndex && medias[f.media].session != kNoIndex) subj.session = sessions[medias[f.media].session].ev.id;
    return subj;
  }
  // WebRTC sessions: a flow joins the session its ICE checks name; the session is reported when
  // its last flow ends.
  struct Session {
    WebrtcSessionEvent ev;
    uint32_t open_flows = 0;
    bool selected_by_media = false;
  };
  void join_session(FlowRecord& f, Bytes username, Nanos ts, bool relayed);
  void session_connected(const Session& s, Nanos ts);
  void select_pair(Session& s, const FlowRecord& f, bool by_media);
  void leave_session(uint32_t index, Nanos last_ts);
  bool is_selected(const Session& s, const FlowRecord& f) const {
    const Endpoint a = key_endpoint(f.key, false), b = key_endpoint(f.key, true);
    return (s.ev.selected_src == a && s.ev.selected_dst == b) || (s.ev.selected_src == b && s.ev.selected_dst == a);
  }
  void note_retransmission(FlowRecord& f, RtpStreamState& s, const RtpHeader& h, Bytes payload);
  void srtp(const FlowRecord& f, RtpStreamState& s, const RtpHeader& h, Bytes packet, Nanos ts);
  void check_srtp_auth(const FlowRecord& f, RtpStreamState& s, SrtpStreamState& k, Nanos now);
  void account_quality(const FlowRecord& f, RtpStreamState& s);
  double network_delay_ms(const FlowRecord& f, const RtpStreamState& s);
  // media_stall's limit for a stream: audio (a known clock other than 90 kHz) or video/unknown.
  double stall_limit_s(const RtpStreamState& s) const {
    const bool audio = s.clock_rate != 0 && s.clock_rate != 90000;
    return audio ? cfg.anomalies.media_stall.audio_s : cfg.anomalies.media_stall.video_s;
  }
  void check_resets(const FlowRecord& f, RtpStreamState& s, bool just_confirmed, Nanos now);
  // Feedback is judged by whole seconds of the flow: when a packet opens a later second, the
  // seconds before it are complete. Inline: on nearly every media packet the second goes on.
  void feedback_second(FlowRecord& f, Nanos ts) {
    if (elapsed(ts, f.first_ts) / 1'000'000'000 > media(f).fb_second) feedback_next_second(f, ts);
  }
  void feedback_next_second(FlowRecord& f, Nanos ts);
  void check_feedback_storms(FlowRecord& f, Nanos now);
  void report_flow(FlowRecord& f, bool expired);
  void report_rtcp(RtcpSsrcEntry& e);
  AnomalySubject stream_subject(const FlowRecord& f, const RtpStreamState& s) const;
  // The flow's media bookkeeping: created with its first RTP or RTCP packet (udp()); every
  // analyzer below runs on such flows only.
  FlowMedia& media(const FlowRecord& f) { return medias[f.media]; }
  // A FlowMedia for a flow that needs one; kNoIndex (counted) when flows.media_flows are in use.
  uint32_t new_media() {
    const uint32_t i = medias.alloc();
    if (i == kNoIndex) ++ctr.flow_media_full;
    return i;
  }
  // When the table is full, which flow may make room for a new one: only a flow the tap follows
  // nothing in, seen one way (a flood's: first choice) or as a single packet each way (a SYN and
  // its SYN-ACK or RST, a request and its answer). Following nothing: no RTP stream past
  // probation (a random payload looks like RTP one time in four), and no media state beyond that:
  // no STUN transaction, DTLS handshake, WebRTC session, TURN, open ICMP error or signalling.
  // Nothing of it is left to close, and it goes unreported: its flow event would tell little, and
  // a flood must not become a flood of events. flows_evicted counts it.
  Eviction eviction_rank(const FlowRecord& r) const {
    if (r.media != kNoIndex) {
      const FlowMedia& m = medias[r.media];
      if (m.sig != kNoIndex || m.session != kNoIndex || m.dtls != kNoIndex || m.icmp_unreachable.open ||
          (m.stun[0].requests | m.stun[1].requests | m.stun[0].answered | m.stun[1].answered) != 0 || m.turn.any())
        return Eviction::Keep;
    }
    for (uint32_t i = r.rtp_head; i != kNoIndex; i = streams[i].next)
      if (streams[i].confirmed) return Eviction::Keep;
    if (r.packets[0] == 0 || r.packets[1] == 0) return Eviction::Prefer;
    return r.packets[0] + r.packets[1] <= 2 ? Eviction::Allow : Eviction::Keep;
  }
  // The new flow's record in place of such a flow (its streams on probation and media state go
  // with it); nullptr when none was near the clock hand.
  [[gnu::cold, gnu::noinline]] FlowRecord* make_room(const FlowKey& key, uint64_t hash) {
    return flows.insert_evicting(
        key, hash, [this](const FlowRecord& r) { return eviction_rank(r); },
        [this](FlowRecord& r) {
          for (uint32_t i = r.rtp_head; i != kNoIndex;) {
            const uint32_t next = streams[i].next;
            if (srtp_state(streams[i])) srtp_streams.release(streams[i].srtp);
            streams.release(i);
            i = next;
          }
          if (r.media != kNoIndex) medias.release(r.media);
          ++ctr.flows_evicted;
        });
  }

  const Config cfg;
  EventSink& sink;
  PipelineCounters ctr;
  FlowTable flows;
  RtpStreamTable streams;
  IndexPool<FlowMedia> medias;     // one per flow at most: flows.media_flows
  IndexPool<DtlsFlow> dtls_flows;  // flows carrying DTLS: one per media flow
  IndexPool<Session> sessions;     // WebRTC sessions: one per media flow (BUNDLE)
  IdTable session_ids;             // session id -> sessions index
  // relay_fallback_surge and stun_response_slow: judged over the whole tap, by this pipeline's judge
  // or (several dataplane workers) by one on the main lcore that every worker's facts go to.
  TapWideJudge judge{cfg, *this};
  TapFactSink* facts = &judge;
  std::unique_ptr<SrtpKeyring> srtp_keys;  // the SRTP keys the tap was given or learnt (SDES)
  // The keyring holds a key: read on every RTP and RTCP packet, set again wherever keys come or go.
  bool srtp_keyed = false;
  void keys_changed() { srtp_keyed = !srtp_keys->empty(); }
  // Bumped when keys are added (SDES) or replaced (set_srtp_keys): a stream with no key looks
  // again when its srtp_gen is behind. srtp_pool_gen: its value when the pool was made anew (a
  // stream's SrtpStreamState is of this pool when its srtp_gen is not older).
  uint32_t srtp_gen = 1;
  uint32_t srtp_pool_gen = 1;
  IndexPool<SrtpStreamState> srtp_streams;  // streams under one of them
  SrtpStreamState* srtp_state(const RtpStreamState& s) {
    return s.srtp != kNoIndex && static_cast<int32_t>(s.srtp_gen - srtp_pool_gen) >= 0 ? &srtp_streams[s.srtp] : nullptr;
  }
  std::array<VideoCodec, 128> video_codecs;  // by payload type, with the keys
  std::vector<uint8_t> clear;      // scratch: a decrypted packet
  RtcpSsrcTable rtcp_ssrcs;
  HostEvidenceIndex evidence;
  AnomalyEngine engine;
  MediaExpectations expectations;  // what SDP said about media to come
  SignallingAnalyzer signalling;
  // Signalling takes the flow when its ports or its first payload say so; then it sees every
  // packet of it. True when the packet was signalling's.
  bool signalling_packet(FlowRecord& f, uint8_t dir, Nanos ts, const DecodedPacket& p) {
    // Media flows pass here on every packet: looked at already and not taken, one test.
    if ((f.classes & (kSignallingProbed | kSignallingClasses)) == kSignallingProbed) return false;
    return signalling_flow_packet(f, dir, ts, p);
  }
  bool signalling_flow_packet(FlowRecord& f, uint8_t dir, Nanos ts, const DecodedPacket& p);
  // RTP/RTCP that signalling found inside its stream (RTSP interleaved): analysed on its flow.
  FlowRecord* signalling_flow = nullptr;
  void interleaved(uint8_t dir, Nanos ts, Bytes packet) override;
  Nanos udp_idle, tcp_idle, one_way_window, evidence_period, rtcp_wait;
  Nanos audio_stall = seconds(cfg.anomalies.media_stall.audio_s);  // silence before a talkspurt
  // RTCP about an SSRC outlives the media's flow idle timeout, so the stream's report finds it.
  Nanos rtcp_idle = 2 * udp_idle;
  Nanos last_ts = 0;  // the latest packet time seen
  Nanos swept_ts = 0;  // packet time of the last paced sweep
  uint64_t swept_packets = 0;  // packets counted at the last paced sweep
  double flow_sweep_credit = 0, rtcp_sweep_credit = 0;  // buckets / slots the paced sweep may visit
  Nanos prev_ts = 0;  // the previous packet's time
  // The starts of the last stretches with no packet at all for longer than udp_idle (a ring).
  std::array<Nanos, 32> blind_from{};
  uint32_t blind_next = 0;
  // How long the tap watched after a flow's last packet, up to `end`: until a blind stretch began.
  Nanos watched_until(const FlowRecord& f, Nanos end) const {
    Nanos until = end;
    for (Nanos b : blind_from)
      if (b != 0 && b >= f.last_ts && b < until) until = b;
    return until;
  }
  const DecodedPacket* current = nullptr;  // the packet being analysed
};

// Inline, as udp() is: called once a packet (stage(); process() for a frame at a time), a call
// costs its register saves and restores on every packet (with udp's, 33 instructions of 1,125 a
// packet on the media mix, by callgrind).
[[gnu::always_inline]] inline void Pipeline::Impl::stage_frame(LinkType link, Bytes frame, Staged& s) {
  s.status = decode_packet(link, frame, s.pkt, s.err);
  s.keyed = s.status == DecodeStatus::Ok && (!s.pkt.fragment || s.pkt.first_fragment);
  s.flow = s.stream = kNoIndex;
  s.notes_ahead = false;
  if (!s.keyed) return;
  make_flow_key(s.pkt.src, s.pkt.dst, s.pkt.ip_proto, s.kp);
  s.hash = flow_hash(s.kp.key);
}

// Two packets before its analysis, the stream's lines have come (fetch_ahead): what its periodic
// work reads through them is fetched in turn. On every packet, what check_one_way asks the host
// evidence index (the slot each of its memos reads); where they fall due, the evidence refresh's
// notes and RTCP key, and the part of the stream that closing a second reads (as much as its
// clock rate says it will). With a packet a second a stream (a million flows), each of these
// would otherwise be a miss waited for where it is used. Overlapped, they still cost the
// memory's throughput of random lines (about 13 ns a line on the 2-core VM: wcstap-memprobe).
// Inline (stage() is its one caller): the common case is a few tests, and a call would save
// registers for the rare one, which has a function of its own.
[[gnu::always_inline]] inline void Pipeline::Impl::look_ahead(Staged& s, Nanos ts) {
  if (s.stream_hit == kNoIndex) return;
  const RtpStreamState& st = streams[s.stream_hit];
  evidence.prefetch(st.receiver_report_memo);
  if (flows.record(s.flow).packets[st.dir ^ 1] == 0) evidence.prefetch(st.back_media_memo);
  if (!st.confirmed) return;
  if (elapsed(ts, st.noted_ts) >= evidence_period) fetch_notes(s, st.ssrc);
  if (st.closes_second(ts))
    streams.prefetch(s.stream_hit, rtp_stream_second_bytes(st.clock_rate), kRtpStreamPacketBytes);
}

[[gnu::noinline]] void Pipeline::Impl::fetch_notes(Staged& s, uint32_t ssrc) {
  s.notes = evidence_notes(s.pkt.src, s.pkt.dst, ssrc);
  s.notes_ahead = true;
  prefetch(s.notes);
}

// Stage by stage over the burst, so that each stage's memory fetches are under way while the rest
// of the burst is worked on: decode and hash (fetch the buckets), read the buckets (fetch the
// records), read the records (fetch the first RTP stream and the media state), then analyse each
// packet in order while the state of the packet a few places on is fetched.
void Pipeline::Impl::stage(LinkType link, std::span<const Pipeline::Frame> burst) {
  const size_t n = burst.size();
  // The headers first: Ethernet, IPv4, UDP and RTP take 54 bytes, one line where the frame starts
  // on one (an mbuf's data, after its 128 bytes of headroom).
  for (size_t i = 0; i < n; ++i) __builtin_prefetch(burst[i].bytes.data());
  for (size_t i = 0; i < n; ++i) {
    stage_frame(link, burst[i].bytes, staged[i]);
    if (staged[i].keyed) flows.prefetch(staged[i].hash);
  }
  for (size_t i = 0; i < n; ++i)
    if (staged[i].keyed) flows.prefetch_record(staged[i].hash);
  for (size_t i = 0; i < n; ++i) {
    Staged& s = staged[i];
    if (!s.keyed) continue;
    const FlowRecord* f = flows.find(s.kp.key, s.hash);
    if (f == nullptr) continue;
    s.flow = flows.index_of(*f);
    s.stream = f->rtp_head;
    streams.prefetch(s.stream, 64);  // its SSRC, direction and the next stream
  }
  staged_erasures = flows.erasures();
  // A flow's second stream (BUNDLE: audio and video on one 5-tuple) is found through the first:
  // fetch its first line too, once the first's has come, so that fetch_ahead does not wait on it.
  for (size_t i = 0; i < n; ++i) {
    const uint32_t head = staged[i].stream;
    if (head < streams.capacity() && looks_rtp(staged[i]) && !matches(staged[i], streams[head]))
      streams.prefetch(streams[head].next, 64);
  }
  constexpr size_t kAhead = 4;  // packets: time enough for a miss to be served
  for (size_t i = 0; i < n && i < kAhead; ++i) fetch_ahead(staged[i]);
  for (size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) fetch_ahead(staged[i + kAhead]);
    if (i + 2 < n) look_ahead(staged[i + 2], burst[i + 2].ts);
    staged_now = &staged[i];
    analyse(burst[i].ts, burst[i].bytes, staged[i]);
  }
  staged_now = nullptr;
}

// The state a packet of a known flow reads: its media bookkeeping and, for what looks like RTP,
// the per-packet part of its stream (found among the flow's first few by SSRC and direction).
void Pipeline::Impl::fetch_ahead(Staged& s) {
  s.stream_hit = kNoIndex;
  if (s.flow == kNoIndex) return;
  const FlowRecord& f = flows.record(s.flow);
  medias.prefetch(f.media, kFlowMediaPacketBytes);
  if (!looks_rtp(s)) return;
  uint32_t i = s.stream;
  for (unsigned n = 0; n < 4 && i < streams.capacity(); ++n, i = streams[i].next) {
    if (matches(s, streams[i])) {
      streams.prefetch(i, kRtpStreamPacketBytes);
      s.stream_hit = i;
      return;
    }
  }
}

void Pipeline::Impl::analyse(Nanos ts, Bytes frame, const Staged& s) {
  ++ctr.packets;
  ctr.bytes += frame.size();
  // Packet time stepping back over a second: the capture clock stepped (or files were merged).
  // Counted, not corrected: a streaming tap cannot tell which side of the step is the true clock
  // (sip-tls13's first packets lie 470 years ahead), and reported times must stay the capture's.
  // Intervals saturate at 0 (elapsed()), so a step never reads as years of silence.
  if (ts + 1'000'000'000 < prev_ts) ++ctr.clock_steps;
  // No packet at all for longer than a flow's idle timeout: the tap saw nothing then (captures
  // merged or cut, a mirror that stopped). Verdicts that wait for silence do not count it as such.
  if (prev_ts != 0 && elapsed(ts, prev_ts) > udp_idle) blind_from[blind_next++ % blind_from.size()] = prev_ts;
  prev_ts = ts;
  if (ts > last_ts) last_ts = ts;
  // Signalling's timeouts (a SYN, a query, a transaction unanswered) fall due by packet time: every
  // packet looks at the earliest (one comparison unless one is due).
  signalling.advance(last_ts);

  switch (s.status) {
    case DecodeStatus::Invalid:
      ++ctr.malformed;
      ++ctr.malformed_by_reason[static_cast<unsigned>(s.err)];
      return;
    case DecodeStatus::NotIp:
      ++ctr.non_ip;
      return;
    case DecodeStatus::Ok:
      break;
  }
  const DecodedPacket& pkt = s.pkt;
  if (pkt.fragment) {
    ++ctr.ip_fragments;
    if (!pkt.first_fragment) return;  // no ports: cannot be put in its flow without reassembly
  }
  current = &pkt;

  const KeyedPacket& kp = s.kp;
  const uint64_t hash = s.hash;
  bool created = false;
  // The record staging found is still this flow's unless a packet before it in the burst ended
  // the flow (freed: `used` 0) and maybe gave the record to another (another key): then look up.
  // With no record freed since staging (nearly always), that is known without reading the key.
  FlowRecord* f = nullptr;
  if (s.flow != kNoIndex) {
    FlowRecord& r = flows.record(s.flow);
    if (flows.erasures() == staged_erasures || (r.used && r.key == kp.key)) f = &r;
  }
  if (f == nullptr) f = flows.find_or_insert(kp.key, hash, created);
  if (f == nullptr) {  // full: a flow the tap follows nothing in may make room
    f = make_room(kp.key, hash);
    if (f == nullptr) {
      ++ctr.flow_table_full;
      return;
    }
    created = true;
  }
  uint8_t dir = kp.dir;
  // Idle past its timeout but not swept yet (the sweep is paced): it ended; this packet starts a
  // new flow on the same 5-tuple, as it would have after the sweep.
  if (!created && elapsed(ts, f->last_ts) > (kp.key.l4 == 6 ? tcp_idle : udp_idle)) {
    report_flow(*f, true);
    ++ctr.flows_expired;
    flows.restart(*f);
    created = true;
  }
  if (created) {
    ++ctr.flows_created;
    f->first_ts = ts;
    f->initiator = dir;
    if (pkt.l4 == L4::Udp || pkt.l4 == L4::Tcp)
      f->port_class = port_class(cfg.wcs, pkt.dst.port, pkt.src.port);
    if (pkt.l4 == L4::Tcp && (pkt.tcp_flags & 0x12) == 0x02) f->classes |= kTcpOpenedBySyn;
  }
  ++f->packets[dir];
  f->bytes[dir] += pkt.ip_len;
  flows.touch(*f, ts);
  f->last_dir_ts[dir] = ts;

  switch (pkt.l4) {
    case L4::Udp:
      udp(*f, dir, ts, pkt);
      break;
    case L4::Icmp:
    case L4::Icmpv6:
      f->classes |= class_bit(FlowClass::Icmp);
      icmp_error(pkt, ts);
      break;
    case L4::Tcp:
      if (f->port_class != FlowClass::Unknown) f->classes |= class_bit(f->port_class);
      if (signalling_packet(*f, dir, ts, pkt)) break;
      if (!pkt.l4_payload.empty()) tcp(*f, dir, ts, pkt);
      break;
    default:
      if (f->port_class != FlowClass::Unknown) f->classes |= class_bit(f->port_class);
      break;
  }

  if (f->media == kNoIndex) return;  // no media bookkeeping: nothing below to judge
  FlowMedia& m = media(*f);
  if (f->rtp_head != kNoIndex && ts >= m.next_stall_check) {
    m.next_stall_check = ts + kStallCheckEvery;
    check_stalls(*f, ts);
  }

  // Requests waiting for an answer are judged on every packet of the flow: the checks themselves
  // may have stopped while DTLS or media goes on.
  if (m.stun_waiting != 0) {
    for (uint8_t d = 0; d < 2; ++d) {
      const StunRequests& rq = m.stun[d];
      if (rq.unanswered == 0) continue;
      if (rq.answered == 0)
        check_ice_no_response(*f, d, ts);
      else
        check_ice_consent(*f, d, ts);
    }
  }

  // A handshake that should have finished is judged on every packet of its flow (ICE consent
  // checks go on while DTLS stalls).
  if (m.dtls_watch) check_dtls(*f, ts);

  // A packet back from where an ICMP error said it could not go: the way is open again.
  if (m.icmp_unreachable.open && dir != m.icmp_dir) {
    const uint8_t d = m.icmp_dir;
    engine.clear(m.icmp_unreachable, AnomalyKind::icmp_unreachable, direction_subject(*f, d), ts, 0, 1,
                 "traffic came back from the destination");
  }

  // A packet back on the 5-tuple may end a one-way condition on the other direction's streams.
  if (m.open_one_way != 0) {
    for (uint32_t i = f->rtp_head; i != kNoIndex; i = streams[i].next) {
      RtpStreamState& s = streams[i];
      if (s.dir != dir && s.one_way.open) check_one_way(*f, s, ts, false);
    }
  }
}

void Pipeline::Impl::interleaved(uint8_t dir, Nanos ts, Bytes packet) {
  if (signalling_flow == nullptr || signalling_flow->media == kNoIndex) return;
  FlowRecord& f = *signalling_flow;
  switch (classify_udp_payload(packet)) {
    case FlowClass::Rtp:
      feedback_second(f, ts);
      rtp(f, dir, ts, packet);
      break;
    case FlowClass::Rtcp:
      if (looks_like_rtcp(packet)) {
        DecodedPacket inner = *current;
        inner.l4_payload = packet;
        feedback_second(f, ts);
        rtcp(f, dir, ts, inner);
      }
      break;
    default:
      break;
  }
}

bool Pipeline::Impl::signalling_flow_packet(FlowRecord& f, uint8_t dir, Nanos ts, const DecodedPacket& p) {
  // Looked at already: the flow record's class bits say whether signalling took it.
  if (f.classes & kSignallingProbed) {
    if (!(f.classes & kSignallingClasses) || f.media == kNoIndex || media(f).sig == kNoIndex) return false;
    signalling_flow = &f;
    signalling.packet(media(f).sig, dir, ts, p);
    signalling_flow = nullptr;
    return true;
  }
  // Looked at when the flow starts (by its ports) and at its first payload (by its bytes).
  if (!p.l4_payload.empty()) f.classes |= kSignallingProbed;
  const FlowClass cls = signalling.recognise(p.l4, f.port_class, p.l4_payload);
  if (cls == FlowClass::Unknown) return false;
  f.classes |= kSignallingProbed;
  const bool had_media = f.media != kNoIndex;
  if (!had_media) f.media = new_media();
  if (f.media == kNoIndex) return false;
  const uint32_t conn = signalling.open(cls, p.l4, key_endpoint(f.key, false), key_endpoint(f.key, true), ts,
                                        (f.classes & kTcpOpenedBySyn) != 0);
  if (conn == kNoIndex) {
    if (!had_media) {  // an empty FlowMedia would hold the flow in the table for nothing
      medias.release(f.media);
      f.media = kNoIndex;
    }
    return false;
  }
  media(f).sig = conn;
  f.classes |= class_bit(cls);
  signalling_flow = &f;
  signalling.packet(conn, dir, ts, p);
  signalling_flow = nullptr;
  return true;
}

// Inline: analyse() is its one caller, on every UDP packet (see stage_frame()).
[[gnu::always_inline]] inline void Pipeline::Impl::udp(FlowRecord& f, uint8_t dir, Nanos ts, const DecodedPacket& p) {
  signalling.datagram(ts, p);  // the user's signatures (nothing to do without them)
  if (signalling_packet(f, dir, ts, p)) return;
  // A port the WCS map names for signalling (SIP, DNS, HTTP...) is that protocol, whatever its
  // first byte says.
  if (f.port_class != FlowClass::Unknown && !is_media_class(f.port_class)) {
    f.classes |= class_bit(f.port_class);
    return;
  }
  FlowClass c = classify_udp_payload(p.l4_payload);
  // A DTLS 1.3 ciphertext record (unified header, 001xxxxx) is DTLS on a flow whose handshake was seen.
  if (c == FlowClass::Unknown && !p.l4_payload.empty() && (p.l4_payload[0] & 0xe0) == 0x20 &&
      f.media != kNoIndex && media(f).dtls != kNoIndex)
    c = FlowClass::Dtls;
  if (c == FlowClass::Rtp || c == FlowClass::Rtcp || c == FlowClass::Stun || c == FlowClass::Turn ||
      c == FlowClass::Dtls) {
    if (f.media == kNoIndex) f.media = new_media();
    if (f.media == kNoIndex) c = FlowClass::Unknown;  // flows.media_flows in use: counted
  }
  switch (c) {
    case FlowClass::Rtp:
      // Well-known ports on both sides are services, not media.
      if (p.src.port < 1024 && p.dst.port < 1024) break;
      feedback_second(f, ts);
      rtp(f, dir, ts, p.l4_payload);
      return;
    case FlowClass::Rtcp:
      if (looks_like_rtcp(p.l4_payload)) {
        feedback_second(f, ts);
        rtcp(f, dir, ts, p);
        return;
      }
      break;
    case FlowClass::Stun:
      f.classes |= class_bit(c);
      stun(f, dir, ts, p.l4_payload);
      return;
    case FlowClass::Turn:
      f.classes |= class_bit(c);
      turn_channel_data(f, dir, ts, p.l4_payload);
      return;
    case FlowClass::Dtls:
      f.classes |= class_bit(c);
      dtls(f, dir, ts, p.l4_payload);
      return;
    case FlowClass::Unknown:
      break;
    default:
      f.classes |= class_bit(c);
      return;
  }
  if (f.port_class != FlowClass::Unknown) f.classes |= class_bit(f.port_class);
}

// STUN Binding transactions: requests matched to their responses by transaction id, per direction
// of the flow (the direction the requests travel).
void Pipeline::Impl::stun(FlowRecord& f, uint8_t dir, Nanos ts, Bytes payload, bool relayed) {
  StunMessage m;
  if (!parse_stun(payload, m)) {
    ++ctr.stun_malformed;
    return;
  }
  ++ctr.stun_messages;
  // TURN Send and Data indications relay ICE checks between the client and its peer: the checks
  // are judged on the client's flow with the relay, the Send direction being the client's.
  FlowMedia& fm = media(f);
  if (m.method != stun::kBinding) {
    if (relayed) return;
    turn_method(fm.turn, m);
    if (m.cls == StunClass::Indication && (m.method == stun::kSend || m.method == stun::kData) && m.has_data)
      unwrap_relayed(f, dir, ts, m.data);
    return;
  }
  std::array<uint8_t, 12> tid;
  std::copy(m.tid.begin() + 4, m.tid.end(), tid.begin());
  auto pending = [&](uint8_t requester) -> StunPending* {
    for (auto& p : fm.stun_pending)
      if (p.used && p.dir == requester && p.tid == tid) return &p;
    return nullptr;
  };
  if (m.cls == StunClass::Request) {
    StunRequests& rq = fm.stun[dir];
    if (m.has_username) join_session(f, m.username, ts, relayed);
    if (pending(dir)) {
      ++rq.retransmits;
    } else {
      StunPending& p = fm.stun_pending[fm.stun_pending_next];
      fm.stun_pending_next = static_cast<uint8_t>((fm.stun_pending_next + 1) % fm.stun_pending.size());
      p = StunPending{tid, dir, 1, static_cast<uint8_t>(m.use_candidate), ts};
      ++rq.requests;
      if (rq.unanswered++ == 0) {
        rq.first_unanswered = ts;
        fm.stun_waiting |= static_cast<uint8_t>(1u << dir);
      }
      if (fm.session != kNoIndex) ++sessions[fm.session].ev.checks;
    }
    check_ice_no_response(f, dir, ts);
    return;
  }
  if (m.cls != StunClass::Success && m.cls != StunClass::Error) return;
  const uint8_t requester = dir ^ 1;
  StunPending* p = pending(requester);
  if (!p) return;  // its request was not seen (or left the ring)
  p->used = 0;
  const bool nominated = p->use_candidate;
  if (fm.session != kNoIndex && relayed) sessions[fm.session].ev.relay = true;
  StunRequests& rq = fm.stun[requester];
  const double rtt_ms = to_seconds(elapsed(ts, p->ts)) * 1e3;
  if (m.cls == StunClass::Error) {
    ++rq.errors;
    return;
  }
  ++rq.answered;
  if (fm.session != kNoIndex) {
    Session& s = sessions[fm.session];
    ++s.ev.successes;
    if (nominated || s.ev.selected_src.family == 0) select_pair(s, f, false);
    if (s.ev.first_success_ts == 0) {
      s.ev.first_success_ts = ts;
      session_connected(s, ts);
    }
  }
  if (!relayed) {
    const Endpoint responder = key_endpoint(f.key, dir == 1);
    if (cfg.wcs.media_ports.contains(responder.port)) note_stun_response(responder, rtt_ms, ts);
  }
  rq.rtt_sum_ms += rtt_ms;
  rq.rtt_max_ms = std::max(rq.rtt_max_ms, rtt_ms);
  rq.unanswered = 0;
  rq.first_unanswered = 0;
  fm.stun_waiting &= static_cast<uint8_t>(~(1u << requester));
  rq.last_success = ts;
  if (rq.no_response.open)
    engine.clear(rq.no_response, AnomalyKind::ice_no_response, direction_subject(f, requester), ts, 0,
                 cfg.anomalies.ice_no_response.requests, "a Binding request was answered");
  if (rq.consent.open)
    engine.clear(rq.consent, AnomalyKind::ice_consent_lost, direction_subject(f, requester), ts, 0,
                 cfg.anomalies.ice_consent_lost.timeout_s, "consent answered again");
}

// stun_response_slow (ANOMALIES.md #33) is judged over all of a WCS host's clients (session/tap_wide.h).
void Pipeline::Impl::note_stun_response(const Endpoint& responder, double ms, Nanos ts) {
  TapFact f;
  f.kind = TapFact::Kind::StunResponse;
  f.responder = responder;
  f.responder.port = 0;
  f.ms = ms;
  f.ts = ts;
  facts->fact(f);
}

// icmp_unreachable (ANOMALIES.md #7): an ICMP/ICMPv6 destination unreachable (port, host, network,
// or administratively prohibited) quoting a packet of a flow the tap is watching: that flow's
// direction cannot get through. One open anomaly per flow, refreshed while the errors go on,
// resolved when the destination sends something back on the flow or the flow goes idle.
void Pipeline::Impl::icmp_error(const DecodedPacket& p, Nanos ts) {
  const bool v4 = p.l4 == L4::Icmp;
  if (p.icmp_type != (v4 ? 3 : 1)) return;  // destination unreachable
  Endpoint qsrc, qdst;
  uint8_t proto = 0;
  if (!decode_icmp_quote(p.l4_payload, qsrc, qdst, proto) || (proto != 17 && proto != 6)) return;
  KeyedPacket kp = make_flow_key(qsrc, qdst, proto);
  FlowRecord* q = flows.find(kp.key, flow_hash(kp.key));
  if (!q) return;  // not a flow the tap has seen
  if (q->media == kNoIndex) q->media = new_media();
  if (q->media == kNoIndex) return;
  FlowMedia& m = media(*q);
  m.icmp_dir = kp.dir;
  static constexpr const char* kV4[] = {"network", "host", "protocol", "port"};
  static constexpr const char* kV6[] = {"no route", "administratively prohibited", "beyond scope", "address",
                                        "port"};
  const char* why = v4 ? (p.icmp_code < 4 ? kV4[p.icmp_code]
                          : (p.icmp_code == 9 || p.icmp_code == 10 || p.icmp_code == 13) ? "administratively prohibited"
                                                                                          : "other")
                       : (p.icmp_code < 5 ? kV6[p.icmp_code] : "other");
  const std::string from = endpoint_to_string(p.src);
  engine.hold(m.icmp_unreachable, AnomalyKind::icmp_unreachable, direction_subject(*q, kp.dir), ts, ts, p.icmp_code, 1,
              [&](char* buf, size_t n) {
                std::snprintf(buf, n, "ICMP%s destination unreachable (%s, code %u) from %s for this flow's packets",
                              v4 ? "" : "v6", why, p.icmp_code, from.substr(0, from.rfind(':')).c_str());
              });
}

// ice_consent_lost (ANOMALIES.md #11): a direction whose checks were answered (ICE succeeded) gets
// no Binding success for timeout_s while min_unanswered requests since the last success, the first
// at least a second old (not merely in flight), went unanswered: consent freshness (RFC 7675) is
// failing. Consent checks come every 4-6 s, so the unanswered requests, not the gap alone, decide.
void Pipeline::Impl::check_ice_consent(const FlowRecord& f, uint8_t dir, Nanos now, bool end_of_input) {
  StunRequests& rq = media(f).stun[dir];
  const auto& th = cfg.anomalies.ice_consent_lost;
  if (rq.answered == 0 || rq.unanswered < th.min_unanswered) return;  // open: refreshed as it goes on
  if (elapsed(now, rq.first_unanswered) < 1'000'000'000) return;
  const Nanos due = rq.last_success + seconds(th.timeout_s);
  if (now <= due) return;
  const Nanos at = end_of_input ? due : now;  // judged when the flow ended: dated when it came true
  const double secs = to_seconds(elapsed(at, rq.last_success));
  engine.hold(rq.consent, AnomalyKind::ice_consent_lost, direction_subject(f, dir), rq.last_success, at, secs,
              th.timeout_s, [&](char* buf, size_t n) {
                std::snprintf(buf, n, "no STUN Binding success for %.1f s: %u consent checks since the last one unanswered",
                              secs, rq.unanswered);
              });
}

// TURN ChannelData (RFC 8656 section 12.4): a channel number, a length, what is relayed. ICE checks
// inside are judged like relayed indications.
// The framing a TCP stream's first bytes show: RFC 4571 (ICE-TCP, RFC 6544) puts a 2-byte length
// before each STUN/DTLS/RTP message; TURN over TCP sends STUN and ChannelData as they are.
static TcpFramingMode tcp_framing_of(Bytes p) {
  if (has(p, 0, 22) && p[2] <= 3 && be32(&p[6]) == kStunMagicCookie && be16(p.data()) >= 20) return TcpFramingMode::Rfc4571;
  if (has(p, 0, 20) && p[0] <= 3 && be32(&p[4]) == kStunMagicCookie) return TcpFramingMode::TurnTcp;
  return TcpFramingMode::None;
}

// STUN/TURN and ICE-TCP media on a TCP flow: recognised by its first message (a STUN message,
// framed or not); the flows of other TCP protocols are left alone (the signalling issue's).
void Pipeline::Impl::tcp(FlowRecord& f, uint8_t dir, Nanos ts, const DecodedPacket& p) {
  Bytes data = p.l4_payload;
  const bool known = f.media != kNoIndex && media(f).tcp_mode != TcpFramingMode::Unknown;
  const TcpFramingMode first = known ? media(f).tcp_mode : tcp_framing_of(data);
  if (first == TcpFramingMode::None && f.media == kNoIndex) return;  // not STUN: another protocol's
  if (f.media == kNoIndex) f.media = new_media();
  if (f.media == kNoIndex) return;
  FlowMedia& fm = media(f);
  fm.tcp_mode = first;  // decided by the flow's first bytes with data
  if (fm.tcp_mode == TcpFramingMode::None) return;
  TcpFraming& t = fm.tcp[dir];
  uint32_t seq = p.tcp_seq;
  if (t.seq_known) {
    const auto ahead = static_cast<int32_t>(seq - t.next_seq);
    if (ahead < 0) {  // a retransmission, wholly or partly of bytes already read
      if (static_cast<uint32_t>(-ahead) >= data.size()) return;
      data = data.subspan(static_cast<size_t>(-ahead));
      seq = t.next_seq;
    } else if (ahead > 0) {  // bytes missing: the next message boundary is unknown
      t.synced = false;
      t.skip = 0;
    }
  } else {
    t.synced = true;  // the stream's first bytes seen: a boundary
  }
  t.seq_known = true;
  t.next_seq = seq + static_cast<uint32_t>(data.size());
  size_t pos = std::min<size_t>(t.skip, data.size());
  t.skip -= static_cast<uint32_t>(pos);
  if (t.skip > 0) return;
  if (!t.synced) {
    if (tcp_framing_of(data.subspan(pos)) != fm.tcp_mode) return;  // not a boundary: wait for one
    t.synced = true;
  }
  while (pos < data.size()) {
    const Bytes rest = data.subspan(pos);
    size_t header = 0, length = 0;
    if (fm.tcp_mode == TcpFramingMode::Rfc4571) {
      if (rest.size() < 2) break;
      header = 2;
      length = be16(rest.data());
    } else if (rest.size() >= 4 && rest[0] <= 3) {  // STUN: its header says its length
      length = 20 + size_t{be16(&rest[2])};
    } else if (rest.size() >= 4 && rest[0] >= 0x40 && rest[0] <= 0x4f) {  // ChannelData, padded to 4 over TCP
      length = (4 + size_t{be16(&rest[2])} + 3) & ~size_t{3};
    } else {
      t.synced = false;  // not a message start: lost the thread
      ++ctr.tcp_frames_lost;
      return;
    }
    if (header + length > rest.size()) {  // runs into the next segment: not read
      t.skip = static_cast<uint32_t>(header + length - rest.size());
      ++ctr.tcp_frames_lost;
      return;
    }
    ++ctr.tcp_frames;
    framed(f, dir, ts, rest.subspan(header, length));
    pos += header + length;
  }
  if (pos < data.size()) t.synced = false;  // a length field cut by the segment's end
}

// One message out of a TCP stream: as if it had come in a datagram.
void Pipeline::Impl::framed(FlowRecord& f, uint8_t dir, Nanos ts, Bytes frame) {
  switch (classify_udp_payload(frame)) {
    case FlowClass::Stun:
      f.classes |= class_bit(FlowClass::Stun);
      stun(f, dir, ts, frame);
      break;
    case FlowClass::Turn:
      f.classes |= class_bit(FlowClass::Turn);
      turn_channel_data(f, dir, ts, frame);
      break;
    default:
      unwrap_relayed(f, dir, ts, frame);
      break;
  }
}

// A TURN method's request or answer (RFC 8656): counted per method, the allocation kept.
void Pipeline::Impl::turn_method(TurnSummary& t, const StunMessage& m) {
  if (m.cls == StunClass::Indication) {
    if (m.method == stun::kSend && t.send_indications < UINT32_MAX) ++t.send_indications;
    if (m.method == stun::kData && t.data_indications < UINT32_MAX) ++t.data_indications;
    return;
  }
  TurnMethodCounts* c = m.method == stun::kAllocate           ? &t.allocate
                        : m.method == stun::kRefresh          ? &t.refresh
                        : m.method == stun::kCreatePermission ? &t.permission
                        : m.method == stun::kChannelBind      ? &t.channel_bind
                                                              : nullptr;
  if (!c) return;
  auto bump = [](uint16_t& n) { n = n < UINT16_MAX ? n + 1 : n; };
  switch (m.cls) {
    case StunClass::Request:
      bump(c->requests);
      if (m.method == stun::kRefresh && m.has_lifetime && m.lifetime == 0) t.lifetime_s = 0;
      break;
    case StunClass::Success:
      bump(c->successes);
      if (m.method == stun::kAllocate && m.has_relayed) t.relayed = m.relayed;
      if (m.has_lifetime) t.lifetime_s = m.lifetime;
      if (m.method == stun::kRefresh && m.has_lifetime && m.lifetime == 0) t.deallocated = true;
      break;
    case StunClass::Error:
      // 401 and 438 are the long-term credential dance (a nonce asked for, or renewed), not failures.
      if (m.error_code == 401 || m.error_code == 438) {
        bump(t.challenges);
      } else {
        bump(c->errors);
        t.last_error = m.error_code;
      }
      break;
    case StunClass::Indication:
      break;
  }
}

void Pipeline::Impl::turn_channel_data(FlowRecord& f, uint8_t dir, Nanos ts, Bytes payload) {
  const size_t len = be16(&payload[2]);
  const Bytes inner = payload.subspan(4, std::min(len, payload.size() - 4));
  if (media(f).turn.channel_data < UINT32_MAX) ++media(f).turn.channel_data;
  unwrap_relayed(f, dir, ts, inner);
}

// What a TURN relay carries (ChannelData, Send/Data indications): ICE checks, DTLS and media,
// judged on the client's flow with the relay as if it were direct.
void Pipeline::Impl::unwrap_relayed(FlowRecord& f, uint8_t dir, Nanos ts, Bytes inner) {
  switch (classify_udp_payload(inner)) {
    case FlowClass::Stun:
      stun(f, dir, ts, inner, true);
      break;
    case FlowClass::Dtls:
      dtls(f, dir, ts, inner);
      break;
    case FlowClass::Rtp:
      feedback_second(f, ts);
      rtp(f, dir, ts, inner);
      break;
    case FlowClass::Rtcp:
      if (looks_like_rtcp(inner)) {
        DecodedPacket q = *current;  // the relay's datagram, its payload the relayed one
        q.l4_payload = inner;
        feedback_second(f, ts);
        rtcp(f, dir, ts, q);
      }
      break;
    default:
      break;
  }
}

// DTLS (RFC 6347, 9147) as DTLS-SRTP runs it: the handshake's progress per flow (who is client,
// which flights passed, version, cipher suite, SRTP profile, each side's certificate fingerprint),
// plaintext alerts, and what the handshake's end leaves visible. Records are read, never decrypted.
void Pipeline::Impl::dtls(FlowRecord& f, uint8_t dir, Nanos ts, Bytes payload) {
  FlowMedia& fm = media(f);
  if (fm.dtls == kNoIndex) fm.dtls = dtls_flows.alloc();
  if (fm.dtls == kNoIndex) {
    ++ctr.dtls_table_full;
    return;
  }
  DtlsFlow& d = dtls_flows[fm.dtls];
  DtlsSummary& s = d.s;
  f.classes |= class_bit(FlowClass::Dtls);  // also when relayed: its RTCP is SRTCP
  dtls::RecordReader records(payload);
  dtls::Record r;
  bool bad = false;
  while (records.next(r)) {
    ++ctr.dtls_records;
    ++s.records[dir];
    if (r.unified) {
      // DTLS 1.3 ciphertext: epoch 3 is the application traffic keys', the handshake is over.
      if (r.epoch == 3) d.finished[dir] = d.finished[dir ^ 1] = true;
      continue;
    }
    switch (r.type) {
      case dtls::kHandshake:
        if (r.epoch == 0) {
          dtls::FragmentReader fragments(r.body);
          dtls::Fragment g;
          while (fragments.next(g)) dtls_handshake(d, dir, ts, g);
          bad |= fragments.malformed();
        } else if (d.ccs[dir]) {
          d.finished[dir] = true;  // the first encrypted handshake message after ChangeCipherSpec
        }
        break;
      case dtls::kChangeCipherSpec:
        d.ccs[dir] = true;
        break;
      case dtls::kAlert:
        if (r.epoch == 0 && r.body.size() == 2)
          dtls_alert(f, d, dir, ts, r.body[0], r.body[1]);
        else if (s.encrypted_alerts[dir] < UINT16_MAX)
          ++s.encrypted_alerts[dir];
        break;
      default:
        break;
    }
  }
  if (bad || records.malformed()) ++ctr.dtls_malformed;
  check_fingerprints(f, d, ts);
  // Judged on every packet while a handshake is under way (or its anomaly open), not after.
  fm.dtls_watch = (s.start_ts != 0 && s.stage != DtlsStage::Done && s.stage != DtlsStage::Failed) ||
                  d.incomplete.open;
  if (s.stage == DtlsStage::Failed || s.stage == DtlsStage::Done) return;
  const uint8_t client = s.client, server = client ^ 1;
  if (s.stage == DtlsStage::None) {
    // The handshake began before the capture: its end may still show.
    if (d.finished[0] && d.finished[1]) s.stage = DtlsStage::Done;
    return;
  }
  if (d.finished[client] && d.finished[server]) {
    s.stage = DtlsStage::Done;
    s.done_ts = ts;
    fm.dtls_watch = false;
    char why[64];
    std::snprintf(why, sizeof why, "handshake finished after %.1f s", to_seconds(elapsed(ts, s.start_ts)));
    engine.clear(d.incomplete, AnomalyKind::dtls_incomplete, direction_subject(f, client), ts,
                 to_seconds(elapsed(ts, s.start_ts)), cfg.anomalies.dtls_incomplete.within_s, why);
    engine.clear(d.alert, AnomalyKind::dtls_fingerprint_mismatch, direction_subject(f, s.alert_from), ts, 0, 1,
                 "a later handshake finished");
  } else if (d.finished[client]) {
    s.stage = DtlsStage::ClientFinished;
  } else if (d.finished[server]) {
    s.stage = DtlsStage::ServerFinished;
  }
}

// dtls_fingerprint_mismatch (ANOMALIES.md #18), its SDP form: a certificate that passed whole on a
// flow of a session whose SDP offer and answer named their a=fingerprint, and matches neither.
void Pipeline::Impl::check_fingerprints(const FlowRecord& f, DtlsFlow& d, Nanos ts) {
  if (f.media == kNoIndex || media(f).session == kNoIndex) return;
  const SessionExpectation* e = expectations.session(sessions[media(f).session].ev.id);
  for (uint8_t dir = 0; dir < 2; ++dir) {
    if (!d.s.has_fingerprint[dir] || d.fingerprint_checked[dir] || e == nullptr || e->fingerprints == 0) continue;
    d.fingerprint_checked[dir] = true;
    bool match = false;
    for (uint8_t k = 0; k < e->fingerprints; ++k) match |= e->fingerprint[k] == d.s.fingerprint[dir];
    if (match) continue;
    const AnomalySubject subj = direction_subject(f, dir);
    engine.event(AnomalyKind::dtls_fingerprint_mismatch, subj, ts, 0, 1, [&](char* buf, size_t n) {
      std::snprintf(buf, n, "certificate SHA-256 %02X:%02X:%02X... matches no a=fingerprint in the SDP%s%.24s%s",
                    d.s.fingerprint[dir][0], d.s.fingerprint[dir][1], d.s.fingerprint[dir][2], e->stream[0] ? " (stream '" : "",
                    e->stream, e->stream[0] ? "')" : "");
    });
  }
}

// One plaintext handshake fragment of direction `dir`.
void Pipeline::Impl::dtls_handshake(DtlsFlow& d, uint8_t dir, Nanos ts, const dtls::Fragment& g) {
  DtlsSummary& s = d.s;
  if (g.msg_type == dtls::kClientHello && g.offset == 0) {
    if (s.stage == DtlsStage::None || s.stage == DtlsStage::Done || s.stage == DtlsStage::Failed) {
      // A new handshake: the flow's totals and open anomalies carry over, the rest starts again.
      DtlsFlow next;
      next.s.records = s.records;
      next.s.encrypted_alerts = s.encrypted_alerts;
      next.s.handshakes = static_cast<uint8_t>(std::min(s.handshakes + 1, 255));
      next.s.alert_level = s.alert_level;
      next.s.alert_description = s.alert_description;
      next.s.alert_from = s.alert_from;
      next.incomplete = d.incomplete;
      next.alert = d.alert;
      d = next;
      s.client = dir;
      s.start_ts = ts;
      s.stage = DtlsStage::ClientHello;
    }
    if (dir == s.client) {
      if (s.client_hellos < 255) ++s.client_hellos;
      const uint32_t need = cfg.anomalies.dtls_incomplete.client_hellos + (s.hello_verify ? 1 : 0);
      if (s.client_hellos >= need && d.hellos_reached == 0) d.hellos_reached = ts;
    } else {
      d.both_hello = true;  // both sides act as DTLS client: their a=setup roles conflict
    }
  }
  if (g.offset == 0) {
    if (g.message_seq <= d.max_message_seq[dir]) {
      if (s.retransmits[dir] < UINT16_MAX) ++s.retransmits[dir];
    } else {
      d.max_message_seq[dir] = g.message_seq;
    }
  }
  dtls::Hello h;
  switch (g.msg_type) {
    case dtls::kHelloVerifyRequest:
      s.hello_verify = true;
      if (s.stage == DtlsStage::ClientHello) s.stage = DtlsStage::HelloVerify;
      break;
    case dtls::kServerHello:
      if (s.stage == DtlsStage::None && g.offset == 0) {
        // Its ClientHello passed before the capture began (or on a path not mirrored): the
        // handshake is followed from here.
        s.client = dir ^ 1;
        s.start_ts = ts;
        s.stage = DtlsStage::ServerHello;
        s.handshakes = static_cast<uint8_t>(std::min(s.handshakes + 1, 255));
      }
      if (g.whole() && dtls::parse_server_hello(g.data, h)) {
        s.version = h.version;
        s.cipher_suite = h.cipher_suite;
        s.srtp_profile = h.srtp_profile;
      }
      if (s.stage == DtlsStage::ClientHello || s.stage == DtlsStage::HelloVerify) s.stage = DtlsStage::ServerHello;
      break;
    case dtls::kCertificate:
      d.cert[dir].feed(g);
      if (d.cert[dir].done() && !s.has_fingerprint[dir]) {
        s.has_fingerprint[dir] = true;
        s.fingerprint[dir] = d.cert[dir].digest();
      }
      break;
    default:
      break;
  }
}

// A plaintext alert (during the handshake). A fatal one ends the handshake: dtls_fingerprint_mismatch
// (ANOMALIES.md #18) in its form without the session's SDP, since a browser that finds the peer's
// certificate does not match a=fingerprint answers with one (bad_certificate, or handshake_failure).
void Pipeline::Impl::dtls_alert(const FlowRecord& f, DtlsFlow& d, uint8_t dir, Nanos ts, uint8_t level,
                                uint8_t description) {
  DtlsSummary& s = d.s;
  const DtlsStage at = s.stage;
  s.alert_level = level;
  s.alert_description = description;
  s.alert_from = dir;
  if (level != 2) return;
  s.stage = DtlsStage::Failed;
  engine.clear(d.incomplete, AnomalyKind::dtls_incomplete, direction_subject(f, s.client), ts, 0,
               cfg.anomalies.dtls_incomplete.within_s, "the handshake ended in a fatal alert");
  const char* from = at == DtlsStage::None ? "peer" : dir == s.client ? "client" : "server";
  engine.hold(d.alert, AnomalyKind::dtls_fingerprint_mismatch, direction_subject(f, dir), ts, ts, description, 1,
              [&](char* buf, size_t n) {
                std::snprintf(buf, n, "fatal DTLS alert %s (%u) from the DTLS %s, handshake at %s", dtls::alert_name(description),
                              description, from, dtls_stage_name(at));
              });
}

// dtls_incomplete (ANOMALIES.md #3): a handshake not finished `within_s` after its first ClientHello,
// or whose client sent `client_hellos` ClientHellos (one more after a HelloVerifyRequest) without
// finishing. Dated when it became true, however late it is judged (the flow's next packet, its
// end). A handshake a fatal alert ended is that alert's anomaly instead.
void Pipeline::Impl::check_dtls(const FlowRecord& f, Nanos now) {
  DtlsFlow& d = dtls_flows[media(f).dtls];
  const DtlsSummary& s = d.s;
  if (s.start_ts == 0 || s.stage == DtlsStage::Done || s.stage == DtlsStage::Failed) return;
  const auto& th = cfg.anomalies.dtls_incomplete;
  const Nanos due = s.start_ts + seconds(th.within_s);
  // The count is judged once the first ClientHello is min_age_s old: some clients resend every
  // 50 ms and finish well within a second.
  const Nanos by_count_at = d.hellos_reached ? std::max(d.hellos_reached, s.start_ts + seconds(th.min_age_s))
                                             : std::numeric_limits<Nanos>::max();
  if (!d.incomplete.open && now < std::min(by_count_at, due)) return;
  const bool by_count = by_count_at <= due;
  const Nanos at = d.incomplete.open ? now : std::min(by_count_at, due);
  const uint8_t need = static_cast<uint8_t>(th.client_hellos + (s.hello_verify ? 1 : 0));
  const double secs = to_seconds(elapsed(at, s.start_ts));
  engine.hold(d.incomplete, AnomalyKind::dtls_incomplete, direction_subject(f, s.client), s.start_ts, at,
              by_count ? s.client_hellos : secs, by_count ? need : th.within_s, [&](char* buf, size_t n) {
                const char* where = s.stage == DtlsStage::ClientHello      ? "no answer to ClientHello"
                                    : s.stage == DtlsStage::HelloVerify    ? "stopped at HelloVerifyRequest"
                                    : s.stage == DtlsStage::ServerHello    ? "no client Finished after server flight"
                                    : s.stage == DtlsStage::ClientFinished ? "no server Finished"
                                                                           : "no client Finished";
                std::snprintf(buf, n, "DTLS not finished %.1f s after %s: %s (%u ClientHellos%s)", secs,
                              s.client_hellos ? "ClientHello" : "ServerHello", where, s.client_hellos,
                              d.both_hello ? ", from both sides" : "");
              });
}

// ice_no_response (ANOMALIES.md #1): Binding requests one way of a flow that was never answered:
// `requests` distinct ones once the first is `min_age_s` old, or none answered `within_s` after the
// first. Judged on every packet of the flow. At the end of the input nothing more can come: two
// or more requests, the first `min_age_s` before the capture's last packet, are enough then. A
// flow answered once and then not any more is consent lost, not this.
void Pipeline::Impl::check_ice_no_response(const FlowRecord& f, uint8_t dir, Nanos now, bool end_of_input) {
  StunRequests& rq = media(f).stun[dir];
  const auto& th = cfg.anomalies.ice_no_response;
  // Open, it is refreshed as it goes on (the engine paces the refreshes).
  if (rq.answered != 0 || rq.unanswered == 0) return;
  Nanos age = elapsed(now, rq.first_unanswered);
  const bool by_count = rq.unanswered >= th.requests && age >= seconds(th.min_age_s);
  const bool by_time = age >= seconds(th.within_s);
  const bool at_end = end_of_input && rq.unanswered >= 2 && age >= seconds(th.min_age_s);
  if (!by_count && !by_time && !at_end) return;
  // Judged when the flow ends (idle, or the input ends), the verdict is dated when it became
  // true: 5 s after the first request, or (the end-of-input rule) the flow's last packet.
  Nanos at = now;
  if (end_of_input) {
    at = by_time ? std::min(now, rq.first_unanswered + seconds(th.within_s))
                 : std::max(f.last_ts, rq.first_unanswered + seconds(th.min_age_s));
    if (by_time) age = elapsed(at, rq.first_unanswered);
  }
  engine.hold(rq.no_response, AnomalyKind::ice_no_response, direction_subject(f, dir), rq.first_unanswered, at,
              by_count ? rq.unanswered : to_seconds(age), by_count ? th.requests : th.within_s,
              [&](char* buf, size_t n) {
                std::snprintf(buf, n, "%u STUN Binding requests (%u retransmissions) in %.1f s, none answered%s",
                              rq.unanswered, rq.retransmits, to_seconds(age),
                              by_count || by_time ? "" : " by the end of the input");
              });
}

void Pipeline::Impl::rtp(FlowRecord& f, uint8_t dir, Nanos ts, Bytes payload) {
  RtpHeader h;
  if (!parse_rtp(payload, h)) return;
  unsigned n = 0;
  uint32_t idx = f.rtp_head;
  for (; idx != kNoIndex; idx = streams[idx].next, ++n)
    if (streams[idx].ssrc == h.ssrc && streams[idx].dir == dir) break;
  if (idx == kNoIndex && (idx = new_stream(f, dir, h, n)) == kNoIndex) return;
  RtpStreamState& s = streams[idx];
  bool was_confirmed = s.confirmed;
  // A talkspurt after silence (RFC 3551: marker bit on its first packet): the sender suppresses silence.
  if (h.marker && s.packets != 0 && elapsed(ts, s.last_ts) > audio_stall) s.talkspurts = 1;
  s.count(h, static_cast<uint32_t>(payload.size()), ts);
  if (srtp_keyed) srtp(f, s, h, payload, ts);
  // RTX is told by what it carries, readable only without SRTP (no DTLS-SRTP on the 5-tuple); from
  // an RTX stream's first packet on (a repair naming a missing number is evidence enough).
  if ((s.rtx_for != 0 || s.packets < 16) && !(f.classes & class_bit(FlowClass::Dtls)))
    note_retransmission(f, s, h, payload);
  if (!s.confirmed) return;
  if (!was_confirmed && media(f).session != kNoIndex && !sessions[media(f).session].selected_by_media)
    select_pair(sessions[media(f).session], f, true);
  f.classes |= class_bit(FlowClass::Rtp);
  ctr.rtp_packets += was_confirmed ? 1 : s.packets;  // probation packets count once trusted
  if (media(f).fb_media[dir] < UINT16_MAX) ++media(f).fb_media[dir];
  if (s.reset || !was_confirmed) check_resets(f, s, !was_confirmed, ts);
  if (s.stall_open) {
    engine.clear(s.stall, AnomalyKind::media_stall, stream_subject(f, s), ts, 0, stall_limit_s(s), "media resumed");
    s.stall_open = s.stall.open;
  }
  if (s.second_closed) {
    check_packet_loss(f, s, ts);
    if (s.rtx_for == 0) check_high_jitter(f, s, ts);
    account_quality(f, s);
  }
  if (s.window_closed && s.rtx_for == 0) check_bitrate_drop(f, s, ts);
  if (!was_confirmed) s.since_back = static_cast<uint32_t>(s.packets - 1);  // ... and went one way
  if (elapsed(ts, s.noted_ts) >= evidence_period) {
    s.noted_ts = ts;
    const Endpoint from = key_endpoint(f.key, s.dir == 1), to = key_endpoint(f.key, s.dir == 0);
    // Three notes and an RTCP lookup in tables far bigger than the cache when streams are many:
    // their lines fetched a couple of packets ahead (look_ahead, for this packet's own RTP), else
    // here, together, so that the misses overlap instead of following one another.
    EvidenceNotes at;
    if (staged_now != nullptr && staged_now->notes_ahead && staged_now->pkt.l4_payload.data() == payload.data()) {
      at = staged_now->notes;
    } else {
      at = evidence_notes(from, to, s.ssrc);
      prefetch(at);
    }
    evidence.note_at(at.media, Evidence::Media, from, at.peer, ts);
    evidence.note_at(at.from, Evidence::SsrcFrom, from, s.ssrc, ts);
    evidence.note_at(at.to, Evidence::SsrcTo, to, s.ssrc, ts);
    expectations.saw_rtp(to, from, ts);  // signalling asks whether media reached where SDP said
    // RTCP about a stream lives as long as the stream: its report goes out with the stream's.
    if (RtcpSsrcEntry* e = rtcp_ssrcs.find(at.rtcp, from, s.ssrc)) rtcp_ssrcs.touch(*e, ts);
  }
  check_one_way(f, s, ts, true);
}

// A flow's new RTP stream (its first packet of this SSRC and direction), chained first on the flow:
// kNoIndex when the flow has its fill of streams or the pool is empty (counted). Out of line: it
// is rare, and inline its locals and calls made every packet's rtp() save and reserve for them
// (it once made rtp() align its frame to a cache line and reserve 960 bytes: IndexPool::alloc
// built the fresh record on the stack).
[[gnu::noinline]] uint32_t Pipeline::Impl::new_stream(FlowRecord& f, uint8_t dir, const RtpHeader& h,
                                                      unsigned streams_of_flow) {
  if (streams_of_flow >= kMaxStreamsPerFlow) {
    ++ctr.rtp_streams_over_flow_cap;
    return kNoIndex;
  }
  const uint32_t idx = streams.alloc();
  if (idx == kNoIndex) {
    ++ctr.rtp_stream_pool_full;
    return kNoIndex;
  }
  RtpStreamState& s = streams[idx];
  s.ssrc = h.ssrc;
  s.dir = dir;
  s.next = f.rtp_head;
  f.rtp_head = idx;
  // The clock rate the session's SDP gave this payload type, when signalling named the flow.
  if (const uint32_t rate = expectations.clock_rate(key_endpoint(f.key, dir == 1), key_endpoint(f.key, dir == 0), h.pt)) {
    s.clock_rate = rate;
    s.clock_source = ClockSource::Sdp;
    ++ctr.rtp_clock_from_sdp;
  }
  // ... and its name, as signalling gave it now (a later SDP may name the same address anew).
  const uint64_t session = f.media != kNoIndex && media(f).session != kNoIndex ? sessions[media(f).session].ev.id : 0;
  std::snprintf(s.stream, sizeof s.stream, "%s",
                media_name(key_endpoint(f.key, dir == 1), key_endpoint(f.key, dir == 0), session));
  return idx;
}

// SRTP of a stream whose key the tap holds (looked up on its first packet, and again when keys
// come or go): every packet authenticated and decrypted, the clear payload read for the video's
// keyframes.
void Pipeline::Impl::srtp(const FlowRecord& f, RtpStreamState& s, const RtpHeader& h, Bytes packet, Nanos ts) {
  SrtpStreamState* kp = srtp_state(s);
  if (kp == nullptr || !srtp_keys->current(kp->key, kp->key_gen)) {
    // Its first packet, keys added or replaced since it last looked, or its SDES key replaced
    // under it (a new SDP from its sender): look its key up.
    const bool withdrawn = kp != nullptr && kp->key != SrtpKeyring::kNone;
    if (!withdrawn && s.srtp_gen == srtp_gen) return;  // no key for it
    s.srtp_gen = srtp_gen;
    // A flow that ran DTLS has DTLS-SRTP's keys, whatever an SDP's a=crypto said.
    const int key = srtp_keys->find(h.ssrc, key_endpoint(f.key, s.dir == 1), key_endpoint(f.key, s.dir == 0),
                                    !(f.classes & class_bit(FlowClass::Dtls)));
    if (key == SrtpKeyring::kNone) {
      if (kp != nullptr) {  // its verdicts so far stand; no more are made
        kp->key = SrtpKeyring::kNone;
        engine.clear(kp->auth, AnomalyKind::srtp_auth_failure, stream_subject(f, s), ts, 0,
                     cfg.anomalies.srtp_auth_failure.pct, "SRTP key withdrawn");
      }
      return;
    }
    if (kp == nullptr) {
      s.srtp = srtp_streams.alloc();
      if (s.srtp == kNoIndex) {
        ++ctr.srtp_stream_pool_full;
        return;
      }
      kp = &srtp_streams[s.srtp];
      kp->codec = video_codecs[h.pt & 0x7f];
    }
    kp->key = key;
    kp->key_gen = srtp_keys->generation(key);
  }
  SrtpStreamState& k = *kp;
  const uint64_t second = static_cast<uint64_t>(elapsed(ts, s.first_ts) / 1'000'000'000);
  for (unsigned n = 0; k.second < second && n < SrtpStreamState::kSeconds; ++n) {
    const size_t i = ++k.second % SrtpStreamState::kSeconds;
    k.second_ok[i] = k.second_failed[i] = 0;
  }
  k.second = std::max(k.second, second);
  const size_t now = k.second % SrtpStreamState::kSeconds;
  switch (srtp_keys->unprotect_rtp(k.key, packet, clear)) {
    case SrtpVerdict::Ok: {
      ++k.counts.authenticated;
      ++ctr.srtp_authenticated;
      ++k.second_ok[now];
      if (k.codec == VideoCodec::None || clear.size() <= h.header_len) break;
      const Bytes payload = Bytes(clear).subspan(h.header_len);
      if (k.codec == VideoCodec::H264 && h264_has_parameter_sets(payload)) ++k.parameter_sets;
      // A keyframe is counted once, whatever the number of its packets or slices (one RTP timestamp).
      if (starts_keyframe(k.codec, payload) && (k.keyframes == 0 || h.timestamp != k.last_keyframe_rtp_ts)) {
        if (k.keyframes) {
          const double gap = to_seconds(elapsed(ts, k.last_keyframe));
          k.keyframe_gap_sum_s += gap;
          k.keyframe_gap_max_s = std::max(k.keyframe_gap_max_s, gap);
        }
        ++k.keyframes;
        k.last_keyframe_rtp_ts = h.timestamp;
        k.last_keyframe = ts;
      }
      break;
    }
    case SrtpVerdict::AuthFailed:
      ++k.counts.auth_failed;
      ++ctr.srtp_auth_failed;
      ++k.second_failed[now];
      break;
    case SrtpVerdict::Replayed:
      ++k.counts.replayed;
      break;
    case SrtpVerdict::Unreadable:
      ++k.counts.unreadable;
      break;
  }
  check_srtp_auth(f, s, k, ts);
}

// srtp_auth_failure (ANOMALIES.md #22): over the stream's last window_s whole seconds and the one
// being filled, more than pct % of its packets (min_packets at least) failed authentication with the
// key the tap holds. Resolved when the share falls to half the threshold.
void Pipeline::Impl::check_srtp_auth(const FlowRecord& f, RtpStreamState& s, SrtpStreamState& k, Nanos now) {
  const auto& th = cfg.anomalies.srtp_auth_failure;
  uint64_t ok = 0, failed = 0;
  for (uint64_t i = 0; i <= th.window_s && i <= k.second; ++i) {
    const size_t j = (k.second - i) % SrtpStreamState::kSeconds;
    ok += k.second_ok[j];
    failed += k.second_failed[j];
  }
  const uint64_t total = ok + failed;
  const double pct = total ? 100.0 * static_cast<double>(failed) / static_cast<double>(total) : 0;
  if (k.auth.open && pct <= th.pct / 2) {
    engine.clear(k.auth, AnomalyKind::srtp_auth_failure, stream_subject(f, s), now, pct, th.pct,
                 "authentication failures stopped");
    return;
  }
  if (!k.auth.open && (total < th.min_packets || pct <= th.pct)) return;
  engine.hold(k.auth, AnomalyKind::srtp_auth_failure, stream_subject(f, s), now, now, pct, th.pct, [&](char* buf, size_t n) {
    std::snprintf(buf, n, "%llu of %llu SRTP packets in %u s failed authentication (%.1f %%)%s",
                  static_cast<unsigned long long>(failed), static_cast<unsigned long long>(total), th.window_s + 1, pct,
                  ok == 0 ? ": a wrong key?" : "");
  });
}

void Pipeline::Impl::rtcp(FlowRecord& f, uint8_t dir, Nanos ts, const DecodedPacket& p) {
  f.classes |= class_bit(FlowClass::Rtcp);
  ++ctr.rtcp_packets;
  // After a DTLS handshake on the 5-tuple the keys are DTLS-SRTP's and RTCP is SRTCP: only the
  // first 8 bytes (header and sender SSRC) are in clear; what follows is ciphertext, however much
  // it looks like report blocks. Without a handshake seen (SDES or ZRTP keys, a capture started
  // mid-call) the datagram's own layout tells.
  bool srtcp = (f.classes & class_bit(FlowClass::Dtls)) || !rtcp_in_clear(p.l4_payload);
  // SRTCP whose sender's key the tap holds is authenticated and read in full.
  Bytes payload = p.l4_payload;
  if (srtcp && srtp_keyed && payload.size() >= 8) {
    const int key = srtp_keys->find(be32(&payload[4]), p.src, p.dst, !(f.classes & class_bit(FlowClass::Dtls)));
    if (key != SrtpKeyring::kNone) {
      if (srtp_keys->unprotect_rtcp(key, payload, clear) == SrtpVerdict::Ok) {
        ++ctr.srtcp_authenticated;
        payload = clear;
        srtcp = false;
      } else {
        ++ctr.srtcp_auth_failed;
      }
    }
  }
  FlowMedia& fm = media(f);
  // What the packet says about an SSRC sent from `sender` (the RTCP source for the sender's own
  // reports, the destination for reports and feedback about media it sent).
  auto about = [&](const Endpoint& sender, const Endpoint& peer, uint32_t ssrc) -> RtcpSsrcEntry* {
    RtcpSsrcEntry* e = rtcp_ssrcs.get(sender, ssrc, ts, rtcp_idle, [&](RtcpSsrcEntry& old) { report_rtcp(old); });
    if (!e) {
      ++ctr.rtcp_ssrc_table_full;
      return nullptr;
    }
    rtcp_ssrcs.touch(*e, ts);
    e->ev.last_ts = e->last_ts;
    e->ev.src = sender;
    e->ev.dst = peer;
    return e;
  };
  auto from_sender = [&](uint32_t ssrc) { return about(p.src, p.dst, ssrc); };
  auto to_sender = [&](uint32_t ssrc) { return about(p.dst, p.src, ssrc); };
  // Plain reports count as life from the receiver for an RTCP interval wherever they travel: on a
  // port of their own, or on the media 5-tuple (rtcp-mux) where they may be 5 s apart.
  walk_rtcp(
      payload,
      [&](const RtcpHeader& h) {
        FeedbackCounters& fb = fm.feedback[dir];
        if (h.pt == 205 && h.count == 1 && fb.nack < UINT16_MAX) {  // RTPFB generic NACK
          ++fb.nack;
          fm.fb_active |= static_cast<uint8_t>(1u << dir);
        }
        if (h.pt == 206 && (h.count == 1 || h.count == 4)) {  // PSFB PLI, FIR
          uint8_t& pli = fb.pli[fm.fb_second % fb.pli.size()];
          if (pli < UINT8_MAX) ++pli;
          fm.fb_active |= static_cast<uint8_t>(1u << dir);
        }
        if (h.pt == 200 || h.pt == 201) evidence.note(Evidence::SenderRtcp, p.src, h.sender_ssrc, ts);
        if (srtcp) {
          if (RtcpSsrcEntry* e = from_sender(h.sender_ssrc)) {
            ++e->ev.rtcp.encrypted;
            if (h.pt == 200) ++e->ev.rtcp.sr;
          }
          return false;
        }
        switch (h.pt) {
          case 200:
            // A sender running plain RTCP: its receiver's first report is worth waiting for.
            evidence.note(Evidence::SenderReport, p.src, h.sender_ssrc, ts);
            if (RtcpSsrcEntry* e = from_sender(h.sender_ssrc)) e->note_sender_report(sender_report_lsr(h), ts);
            break;
          case 202:  // SDES: the first chunk is the sender's
            if (RtcpSsrcEntry* e = from_sender(h.sender_ssrc)) ++e->ev.rtcp.sdes;
            break;
          case 203:
            for_each_bye_ssrc(h, [&](uint32_t ssrc) {
              if (RtcpSsrcEntry* e = from_sender(ssrc)) ++e->ev.rtcp.bye;
            });
            break;
          case 204:
            if (RtcpSsrcEntry* e = from_sender(h.sender_ssrc)) ++e->ev.rtcp.app;
            break;
          case 205:
            if (h.count == 1 || h.count == 15) {
              if (RtcpSsrcEntry* e = to_sender(feedback_media_ssrc(h))) {
                if (h.count == 1) {
                  ++e->ev.rtcp.nack;
                  e->ev.rtcp.nack_seqs += nack_sequence_count(h);
                } else {
                  ++e->ev.rtcp.tcc;
                }
              }
            }
            break;
          case 206: {
            double bps = 0;
            if (h.count == 1) {
              if (RtcpSsrcEntry* e = to_sender(feedback_media_ssrc(h))) ++e->ev.rtcp.pli;
            } else if (h.count == 4) {
              for_each_fir_ssrc(h, [&](uint32_t ssrc) {
                if (RtcpSsrcEntry* e = to_sender(ssrc)) ++e->ev.rtcp.fir;
              });
            } else {
              for_each_remb_ssrc(h, bps, [&](uint32_t ssrc) {
                if (RtcpSsrcEntry* e = to_sender(ssrc)) {
                  ++e->ev.rtcp.remb;
                  e->ev.rtcp.remb_kbps = bps / 1e3;
                }
              });
            }
            break;
          }
          default:
            break;
        }
        return true;
      },
      [&](const RtcpHeader& h, const RtcpReportBlock& b) {
        // A block about the reporter's own SSRC is not a reception report (seen from relays that
        // echo their own sender reports): it would vouch for nothing and skew the figures.
        if (b.ssrc == h.sender_ssrc) return;
        evidence.note(Evidence::ReceiverReport, p.src, b.ssrc, ts);
        if (RtcpSsrcEntry* e = to_sender(b.ssrc))
          e->note_block(b.fraction_lost, b.cumulative_lost, b.jitter, b.lsr, b.dlsr, ts);
      });
}

// RTCP about an SSRC that no rtp_stream report carried: a line of its own.
void Pipeline::Impl::report_rtcp(RtcpSsrcEntry& e) {
  if (e.reported) return;
  ++ctr.rtcp_streams;
  emit(e.ev);
}

// An RTX stream (RFC 4588: its own SSRC and payload type, the original sequence number first in
// its payload) in the same direction of the flow: a packet naming a sequence number that another
// stream is missing from its last 64 repairs that gap, and makes this the RTX stream of that one.
// Padding-only packets (bandwidth probes on the RTX SSRC) name nothing.
void Pipeline::Impl::note_retransmission(FlowRecord& f, RtpStreamState& s, const RtpHeader& h, Bytes payload) {
  size_t end = payload.size();
  if (h.padding && end > h.header_len) end -= std::min<size_t>(payload[end - 1], end - h.header_len);
  if (end < size_t{h.header_len} + 2) return;
  const uint16_t osn = be16(&payload[h.header_len]);
  for (uint32_t j = f.rtp_head; j != kNoIndex; j = streams[j].next) {
    RtpStreamState& m = streams[j];
    if (&m == &s || m.dir != s.dir || m.pt == h.pt || !m.confirmed || m.rtx_for != 0) continue;
    if (s.rtx_for != 0 && s.rtx_for != m.ssrc) continue;
    if (m.repair(osn)) {
      s.rtx_for = m.ssrc;
      ++s.rtx_packets;
      return;
    }
  }
}

// One-way network delay for the E-model: half the RTCP round trip of the stream, 0 when unknown.
double Pipeline::Impl::network_delay_ms(const FlowRecord& f, const RtpStreamState& s) {
  const RtcpSsrcEntry* e = rtcp_ssrcs.find(key_endpoint(f.key, s.dir == 1), s.ssrc);
  return e && e->ev.rtcp.rtt_samples ? e->ev.rtcp.rtt_last_ms / 2 : 0;
}

// Speech quality in 5 s windows of whole seconds (the loss ring's), the worst kept.
void Pipeline::Impl::account_quality(const FlowRecord& f, RtpStreamState& s) {
  const VoiceCodec codec = voice_codec(s.pt, s.clock_rate);
  if (codec == VoiceCodec::None) return;
  constexpr unsigned kWindow = 5;
  if (s.loss_second - s.q_second > RtpStreamState::kLossSeconds) s.q_second = s.loss_second - RtpStreamState::kLossSeconds;
  for (; s.q_second < s.loss_second; ++s.q_second) {
    const unsigned slot = s.q_second % RtpStreamState::kLossSeconds;
    s.q_expected += s.second_expected[slot];
    s.q_received += s.second_received[slot];
    s.q_jitter_sum += s.last_second_jitter * 1e3;
    if (++s.q_seconds < kWindow) continue;
    EModelInput in;
    in.loss_pct = s.q_expected > s.q_received ? 100.0 * (s.q_expected - s.q_received) / s.q_expected : 0;
    in.jitter_ms = s.q_jitter_sum / kWindow;
    in.packet_ms = s.mean_delta * 1e3;
    in.network_delay_ms = network_delay_ms(f, s);
    const double mos = emodel(codec, in).mos;
    s.mos_min = s.mos_windows ? std::min(s.mos_min, mos) : mos;
    ++s.mos_windows;
    s.q_expected = s.q_received = 0;
    s.q_seconds = 0;
    s.q_jitter_sum = 0;
  }
}

AnomalySubject Pipeline::Impl::stream_subject(const FlowRecord& f, const RtpStreamState& s) const {
  AnomalySubject subj = direction_subject(f, s.dir);  // with the flow's session
  subj.has_ssrc = true;
  subj.ssrc = s.ssrc;
  return subj;
}

// one_way_media (ANOMALIES.md #2): media one way for the window with enough packets, and nothing
// back: no packet on the 5-tuple (or, where the 5-tuple never carried anything back, no RTP from
// the receiving host to the sender on other ports: asymmetric RTP), and no RTCP receiver report
// about this SSRC from the receiving host on a separate RTCP port within an RTCP interval.
//
// Always inline (rtp() on every media packet): left to itself GCC calls it, and the call and its
// saved registers cost about a third of it.
[[gnu::always_inline]] inline void Pipeline::Impl::check_one_way(FlowRecord& f, RtpStreamState& s, Nanos now,
                                                                 bool media_packet) {
  const uint8_t back_dir = s.dir ^ 1;
  // The endpoints the questions to the host evidence name (a memo checks its slot against them).
  auto sender = [&] { return key_endpoint(f.key, s.dir == 1); };
  auto receiver = [&] { return key_endpoint(f.key, back_dir == 1); };
  const Nanos back_media =
      f.packets[back_dir] != 0
          ? f.last_dir_ts[back_dir]
          : evidence.last(Evidence::Media, s.back_media_memo,
                          [&] { return std::pair{receiver(), HostEvidenceIndex::fold(sender())}; });
  const Nanos rr =
      evidence.last(Evidence::ReceiverReport, s.receiver_report_memo, [&] { return std::pair{receiver(), s.ssrc}; });
  Nanos back = std::max(back_media, rr);
  if (back > s.back_ts) {
    s.back_ts = back;
    s.since_back = 0;
    if (s.one_way.open) {
      engine.clear(s.one_way, AnomalyKind::one_way_media, stream_subject(f, s), now, 0,
                   cfg.anomalies.one_way_media.min_duration_s, "traffic came back from the receiver");
      --media(f).open_one_way;
    }
  }
  if (!media_packet) return;
  ++s.since_back;
  if (s.since_back < cfg.anomalies.one_way_media.min_packets) return;
  if (elapsed(now, std::max(s.first_ts, back_media)) < one_way_window) return;
  judge_one_way(f, s, now, back_media, rr);
}

// check_one_way's verdict once the stream has gone one way long enough to be judged: out of line,
// so that the test before it stays small.
[[gnu::noinline]] void Pipeline::Impl::judge_one_way(FlowRecord& f, RtpStreamState& s, Nanos now, Nanos back_media,
                                                     Nanos rr) {
  auto sender = [&] { return key_endpoint(f.key, s.dir == 1); };
  auto receiver = [&] { return key_endpoint(f.key, s.dir == 0); };
  const auto& th = cfg.anomalies.one_way_media;
  if (rr != 0) {
    // A receiver's next report is due within its own pace (RFC 3550 randomises each interval to
    // 0.5-1.5 x its mean): three of its last intervals, between min_duration_s and rtcp_interval_s.
    const Nanos gap = evidence.last_gap(Evidence::ReceiverReport, receiver(), s.ssrc);
    const Nanos wait = gap ? std::clamp(3 * gap, one_way_window, rtcp_wait) : rtcp_wait;
    if (elapsed(now, rr) < wait) return;
  } else if (elapsed(now, s.first_ts) < rtcp_wait &&
             evidence.last(Evidence::SenderReport, s.sender_report_memo, [&] { return std::pair{sender(), s.ssrc}; }) != 0) {
    return;  // the sender runs RTCP on its own port: the first receiver report may still come
  }
  // Plain RTP (no WebRTC session, where RTCP and consent checks must come back) whose SDP agreed
  // on this direction only (the receiver said recvonly, the sender sendonly: a call on hold, an
  // announcement), and the receiver never spoke: still one way, but as agreed, so only `info`.
  const bool agreed = rr == 0 && back_media == 0 && media(f).session == kNoIndex &&
                      expectations.agreed_one_way(sender(), receiver());
  if (agreed && !s.agreed_one_way) {
    s.agreed_one_way = true;
    ++ctr.one_way_agreed_by_sdp;
  }
  Nanos start = std::max(s.first_ts, s.back_ts);
  // Open, refreshed lately and as severe: hold() would not emit. On every packet of a stream
  // that stays one way: its subject is not made for nothing.
  const std::optional<Severity> severity = agreed ? std::optional<Severity>(Severity::Info) : std::nullopt;
  if (engine.quiet(s.one_way, AnomalyKind::one_way_media, now, severity)) return;
  double secs = to_seconds(elapsed(now, start));
  const bool was_open = s.one_way.open;
  engine.hold(
      s.one_way, AnomalyKind::one_way_media, stream_subject(f, s), start, now, secs, th.min_duration_s,
      [&](char* buf, size_t n) {
        if (agreed)
          std::snprintf(buf, n, "%u RTP packets in %.1f s (PT %u), nothing back: one way as the SDP agreed "
                        "(sendonly/recvonly)", s.since_back, secs, s.pt);
        else
          std::snprintf(buf, n,
                        "%u RTP packets in %.1f s (PT %u) with nothing back: no packet on the "
                        "5-tuple, no RTCP report for this SSRC",
                        s.since_back, secs, s.pt);
      },
      severity);
  if (!was_open && s.one_way.open) ++media(f).open_one_way;
}

// packet_loss (ANOMALIES.md #5): sequence gaps over the last window_s whole seconds, judged as each
// second completes; above major_pct the configured severity, above critical_pct critical.
void Pipeline::Impl::check_packet_loss(const FlowRecord& f, RtpStreamState& s, Nanos now) {
  const auto& th = cfg.anomalies.packet_loss;
  if (s.closed_seconds < th.window_s) return;
  // No second of the window lost a packet: the loss is 0, under any threshold (major_pct > 0), so
  // there is nothing to raise, nor to clear unless it is open. A stream sending little (a packet a
  // second at a million flows) closes a second on every packet: this spares it the window's sums.
  const auto window_mask = static_cast<uint8_t>((1u << th.window_s) - 1);  // window_s: 1 to 8
  if ((s.lossy_seconds & window_mask) == 0 && !s.loss.open) return;
  uint64_t expected, received;
  Nanos first_lossy;
  s.loss_window(th.window_s, expected, received, first_lossy);
  if (expected < th.min_expected) return;
  const uint64_t lost = expected > received ? expected - received : 0;
  const double pct = 100.0 * static_cast<double>(lost) / static_cast<double>(expected);
  if (pct <= th.major_pct) {
    engine.clear(s.loss, AnomalyKind::packet_loss, stream_subject(f, s), now, pct, th.major_pct,
                 "loss back under the threshold");
    return;
  }
  const bool critical = pct > th.critical_pct;
  engine.hold(
      s.loss, AnomalyKind::packet_loss, stream_subject(f, s), first_lossy, now, pct,
      critical ? th.critical_pct : th.major_pct,
      [&](char* buf, size_t n) {
        std::snprintf(buf, n, "%llu of %llu packets lost in the last %u s (%.1f %%)",
                      static_cast<unsigned long long>(lost), static_cast<unsigned long long>(expected),
                      th.window_s, pct);
      },
      critical ? std::optional<Severity>(Severity::Critical) : std::nullopt);
}

// high_jitter (ANOMALIES.md #6): a completed second's mean RFC 3550 jitter above the audio or video
// threshold, sustain_s seconds in a row; resolved after clear_s seconds in a row under it.
void Pipeline::Impl::check_high_jitter(const FlowRecord& f, RtpStreamState& s, Nanos now) {
  if (s.clock_rate == 0) return;
  const auto& th = cfg.anomalies.high_jitter;
  const bool video = s.clock_rate == 90000;
  const double limit_ms = video ? th.video_ms : th.audio_ms;
  const double jitter_ms = s.last_second_jitter * 1e3;
  s.jitter_high_bits = static_cast<uint16_t>(s.jitter_high_bits << 1 | (jitter_ms > limit_ms ? 1 : 0));
  if (s.jitter_judged_seconds < 16) ++s.jitter_judged_seconds;
  const auto all = [&](uint32_t n, bool high) {
    const uint16_t mask = static_cast<uint16_t>((1u << n) - 1);
    return s.jitter_judged_seconds >= n && (s.jitter_high_bits & mask) == (high ? mask : 0);
  };
  if (all(th.sustain_s, true)) {
    const Nanos since = now - std::min(now, static_cast<Nanos>(th.sustain_s) * 1'000'000'000);
    engine.hold(s.high_jitter, AnomalyKind::high_jitter, stream_subject(f, s), since, now, jitter_ms, limit_ms,
                [&](char* buf, size_t n) {
                  std::snprintf(buf, n, "%s jitter %.1f ms over the last second, above %.0f ms for %u s",
                                video ? "video" : "audio", jitter_ms, limit_ms, th.sustain_s);
                });
  } else if (all(th.clear_s, false)) {
    engine.clear(s.high_jitter, AnomalyKind::high_jitter, stream_subject(f, s), now, jitter_ms, limit_ms,
                 "jitter back under the threshold");
  }
}

// bitrate_drop (ANOMALIES.md #15) on video (a 90 kHz clock: without SDP the tap cannot see what
// was negotiated), judged as each 1 s bitrate window completes: a fast EWMA (alpha 0.3) of the
// windows against the stream's own baseline (their mean over the first windows, then an EWMA over
// baseline_s of them), raised when it falls drop_pct under the baseline, or under min_kbps from a
// baseline above it. The baseline needs 10 windows first, and holds still while the drop is open
// so the drop cannot become its own baseline; it resolves when the rate comes back near the
// baseline (half the drop), or after baseline_s windows at the new level (which becomes the
// baseline). Silent windows are media_stall's, not this: only windows with packets count.
void Pipeline::Impl::check_bitrate_drop(const FlowRecord& f, RtpStreamState& s, Nanos now) {
  if (s.clock_rate != 90000) return;
  constexpr uint32_t kMinWindows = 10;
  constexpr double kAlpha = 0.3;
  const auto& th = cfg.anomalies.bitrate_drop;
  const double kbps = static_cast<double>(s.closed_window_bytes) * 8.0 / 1e3;
  const Nanos window_start = s.first_ts + s.closed_window_index * 1'000'000'000;
  s.br_fast_kbps = s.br_windows == 0 && !s.bitrate.open ? kbps : (1 - kAlpha) * s.br_fast_kbps + kAlpha * kbps;
  const double base = s.br_base_kbps;
  const double floor = base * (1 - th.drop_pct / 100);
  const bool floor_applies = base >= th.min_kbps;
  auto under = [&](double v) { return v < floor || (floor_applies && v < th.min_kbps); };
  if (under(kbps)) {
    if (s.br_low_since == 0) s.br_low_since = window_start;
  } else if (!s.bitrate.open) {
    s.br_low_since = 0;
  }
  const AnomalySubject subj = stream_subject(f, s);
  const double limit = std::max(floor, floor_applies ? th.min_kbps : 0.0);
  auto words = [&](char* buf, size_t n) {
    std::snprintf(buf, n, "video bitrate %.0f kbit/s (EWMA of 1 s windows) against a baseline of %.0f kbit/s",
                  s.br_fast_kbps, base);
  };
  if (s.bitrate.open) {
    ++s.br_open_windows;
    if (s.br_fast_kbps >= base * (1 - th.drop_pct / 200) && !(floor_applies && s.br_fast_kbps < th.min_kbps)) {
      engine.clear(s.bitrate, AnomalyKind::bitrate_drop, subj, now, s.br_fast_kbps, limit,
                   "bitrate back near its baseline");
      s.br_low_since = 0;
    } else if (s.br_open_windows >= th.baseline_s) {
      engine.clear(s.bitrate, AnomalyKind::bitrate_drop, subj, now, s.br_fast_kbps, limit,
                   "bitrate settled at a new level: the new baseline");
      s.br_base_kbps = s.br_fast_kbps;
      s.br_low_since = 0;
    } else {
      engine.hold(s.bitrate, AnomalyKind::bitrate_drop, subj, s.br_low_since, now, s.br_fast_kbps, limit, words);
    }
    return;
  }
  if (s.br_windows >= kMinWindows && under(s.br_fast_kbps)) {
    s.br_open_windows = 0;
    engine.hold(s.bitrate, AnomalyKind::bitrate_drop, subj, s.br_low_since ? s.br_low_since : window_start, now,
                s.br_fast_kbps, limit, words);
    return;
  }
  ++s.br_windows;
  s.br_base_kbps += (kbps - s.br_base_kbps) / std::min(s.br_windows, th.baseline_s);
}

// media_stall (ANOMALIES.md #4): a confirmed SSRC silent longer than its limit while its flow still
// carries traffic (this runs on the flow's packets). Not a stall:
//  - a stream replaced by another of the same payload type in the same direction (it ended);
//  - audio pausing (DTX, silence suppression): after comfort noise; from a sender that runs RTCP
//    and has sent some within an RTCP interval ("require no RTCP either"); on a stream without
//    RTCP known to resume talkspurts with the marker bit.
void Pipeline::Impl::check_stalls(FlowRecord& f, Nanos now) {
  auto replaced = [&](const RtpStreamState& s) {
    for (uint32_t j = f.rtp_head; j != kNoIndex; j = streams[j].next) {
      const RtpStreamState& o = streams[j];
      if (&o != &s && o.confirmed && o.dir == s.dir && o.pt == s.pt && o.last_ts > s.last_ts) return true;
    }
    return false;
  };
  for (uint32_t i = f.rtp_head; i != kNoIndex; i = streams[i].next) {
    RtpStreamState& s = streams[i];
    if (!s.confirmed || s.stall_open || s.rtx_for != 0) continue;  // RTX comes only when needed
    const bool audio = s.clock_rate != 0 && s.clock_rate != 90000;
    const double limit = stall_limit_s(s);
    const Nanos silent = elapsed(now, s.last_ts);
    if (silent <= seconds(limit) || replaced(s)) continue;
    // The same SSRC from the same sender or to the same receiver on another 5-tuple since: the
    // stream moved (ICE path switch), it did not stall.
    const Endpoint sender = key_endpoint(f.key, s.dir == 1), receiver = key_endpoint(f.key, s.dir == 0);
    if (std::max(evidence.last(Evidence::SsrcFrom, sender, s.ssrc), evidence.last(Evidence::SsrcTo, receiver, s.ssrc)) >
        s.last_ts)
      continue;
    if (audio) {
      if (s.last_pt == 13 || s.last_pt == 19) continue;
      const Nanos rtcp = evidence.last(Evidence::SenderRtcp, sender, s.ssrc);
      if (rtcp != 0 ? elapsed(now, rtcp) < rtcp_wait : s.talkspurts != 0) continue;
    }
    const double secs = to_seconds(silent);
    engine.hold(s.stall, AnomalyKind::media_stall, stream_subject(f, s), s.last_ts, now, secs, limit,
                [&](char* buf, size_t n) {
                  std::snprintf(buf, n, "%s SSRC silent for %.1f s while its flow carries other traffic",
                                audio ? "audio" : (s.clock_rate == 90000 ? "video" : "media"), secs);
                });
    s.stall_open = s.stall.open;
  }
}

// ssrc_collision_or_reset (ANOMALIES.md #35), one-shot events: a new SSRC taking over from one of
// the same payload type in the same direction that stopped within the last second (a sender or
// transcoder restart); a sequence jump beyond RFC 3550's bounds that the next packet confirms; a
// timestamp jump of more than 10 s against arrival time.
void Pipeline::Impl::check_resets(const FlowRecord& f, RtpStreamState& s, bool just_confirmed, Nanos now) {
  constexpr Nanos kTakeover = 1'000'000'000;
  const AnomalySubject subj = stream_subject(f, s);
  if (just_confirmed) {
    for (uint32_t j = f.rtp_head; j != kNoIndex; j = streams[j].next) {
      const RtpStreamState& o = streams[j];
      if (&o == &s || !o.confirmed || o.dir != s.dir || o.pt != s.pt) continue;
      if (o.last_ts >= s.first_ts || s.first_ts - o.last_ts > kTakeover) continue;
      engine.event(AnomalyKind::ssrc_collision_or_reset, subj, now, to_seconds(s.first_ts - o.last_ts), 1.0,
                   [&](char* buf, size_t n) {
                     std::snprintf(buf, n, "SSRC 0x%08x took over from 0x%08x (PT %u) %.0f ms after it stopped",
                                   s.ssrc, o.ssrc, s.pt, to_seconds(s.first_ts - o.last_ts) * 1e3);
                   });
      break;
    }
  }
  if (s.reset == 1) {
    engine.event(AnomalyKind::ssrc_collision_or_reset, subj, now, static_cast<double>(s.reset_value), 3000,
                 [&](char* buf, size_t n) {
                   std::snprintf(buf, n, "sequence numbers jumped by %lld and went on from there (sender restart?)",
                                 static_cast<long long>(s.reset_value));
                 });
  } else if (s.reset == 2) {
    engine.event(AnomalyKind::ssrc_collision_or_reset, subj, now, static_cast<double>(s.reset_value), 10,
                 [&](char* buf, size_t n) {
                   std::snprintf(buf, n, "RTP timestamps jumped by %lld s against arrival time",
                                 static_cast<long long>(s.reset_value));
                 });
  }
}

// A packet in a later second of the flow than the feedback counters': the seconds before it are
// complete.
void Pipeline::Impl::feedback_next_second(FlowRecord& f, Nanos ts) {
  FlowMedia& m = media(f);
  const uint64_t second = elapsed(ts, f.first_ts) / 1'000'000'000;
  // Most flows see no NACK or PLI in a second: their counters (lines of their own) stay unread.
  if (m.fb_active != 0) {
    check_feedback_storms(f, ts);
    for (uint64_t s = m.fb_second + 1; s <= second && s <= m.fb_second + 16; ++s)
      for (auto& fb : m.feedback) fb.pli[s % fb.pli.size()] = 0;
    for (auto& fb : m.feedback) fb.nack = 0;
    m.fb_active = static_cast<uint8_t>((feedback_pending(m.feedback[0]) ? 1 : 0) | (feedback_pending(m.feedback[1]) ? 2 : 0));
  }
  m.fb_media = {};
  if (m.fb_seconds < 255) m.fb_seconds = static_cast<uint8_t>(std::min<uint64_t>(255, m.fb_seconds + (second - m.fb_second)));
  m.fb_second = second;
}

// nack_storm and pli_storm (ANOMALIES.md #16, #17) on the second that just completed. Feedback
// travels against the media it is about: the anomaly names the media's direction.
void Pipeline::Impl::check_feedback_storms(FlowRecord& f, Nanos now) {
  const auto& th = cfg.anomalies.feedback;
  FlowMedia& m = media(f);
  for (uint8_t d = 0; d < 2; ++d) {
    FeedbackCounters& fb = m.feedback[d];
    const uint8_t media_dir = d ^ 1;
    const AnomalySubject subj = direction_subject(f, media_dir);
    const uint32_t media = m.fb_media[media_dir];
    const double pct = media ? 100.0 * fb.nack / media : 0;
    if (fb.nack > th.nack_per_s || (fb.nack >= th.nack_min && media && pct > th.nack_pct)) {
      const bool by_rate = fb.nack > th.nack_per_s;
      engine.hold(fb.nack_storm, AnomalyKind::nack_storm, subj, now - std::min<Nanos>(now, 1'000'000'000), now,
                  by_rate ? fb.nack : pct, by_rate ? th.nack_per_s : th.nack_pct, [&](char* buf, size_t n) {
                    std::snprintf(buf, n, "%u NACKs in a second for %u media packets (%.1f %%)", fb.nack, media, pct);
                  });
    } else {
      engine.clear(fb.nack_storm, AnomalyKind::nack_storm, subj, now, fb.nack, th.nack_per_s, "NACKs back to normal");
    }
    // pli_storm: every 2 s step of the last pli_sustain_s seconds above pli_per_2s
    const uint64_t last = m.fb_second;
    auto pair = [&](uint64_t k) {
      return static_cast<unsigned>(fb.pli[(last - 2 * k) % fb.pli.size()]) + fb.pli[(last - 2 * k - 1) % fb.pli.size()];
    };
    const uint32_t steps = th.pli_sustain_s / 2;
    bool sustained = uint32_t{m.fb_seconds} + 1 >= th.pli_sustain_s && last + 1 >= th.pli_sustain_s;
    unsigned total = 0;
    for (uint32_t k = 0; sustained && k < steps; ++k) {
      sustained = pair(k) > th.pli_per_2s;
      total += pair(k);
    }
    if (sustained) {
      engine.hold(fb.pli_storm, AnomalyKind::pli_storm, subj, now - std::min(now, seconds(th.pli_sustain_s)), now,
                  total / static_cast<double>(th.pli_sustain_s) * 2, th.pli_per_2s, [&](char* buf, size_t n) {
                    std::snprintf(buf, n, "%u PLI/FIR in the last %u s: the receiver keeps asking for keyframes",
                                  total, th.pli_sustain_s);
                  });
    } else if (last >= 1 && pair(0) <= th.pli_per_2s) {
      engine.clear(fb.pli_storm, AnomalyKind::pli_storm, subj, now, pair(0), th.pli_per_2s, "keyframe requests back to normal");
    }
  }
}

void Pipeline::Impl::report_flow(FlowRecord& f, bool expired) {
  for (uint32_t i = f.rtp_head; i != kNoIndex;) {
    RtpStreamState& s = streams[i];
    uint32_t next = s.next;
    if (s.confirmed) {
      if (expired) {
        engine.clear(s.one_way, AnomalyKind::one_way_media, stream_subject(f, s), f.last_ts, 0,
                     cfg.anomalies.one_way_media.min_duration_s, "media stopped (flow idle)");
        engine.clear(s.loss, AnomalyKind::packet_loss, stream_subject(f, s), f.last_ts, 0,
                     cfg.anomalies.packet_loss.major_pct, "media stopped (flow idle)");
        engine.clear(s.stall, AnomalyKind::media_stall, stream_subject(f, s), f.last_ts, 0, stall_limit_s(s),
                     "flow idle");
        s.stall_open = s.stall.open;
        engine.clear(s.high_jitter, AnomalyKind::high_jitter, stream_subject(f, s), f.last_ts, 0,
                     s.clock_rate == 90000 ? cfg.anomalies.high_jitter.video_ms : cfg.anomalies.high_jitter.audio_ms,
                     "media stopped (flow idle)");
        engine.clear(s.bitrate, AnomalyKind::bitrate_drop, stream_subject(f, s), f.last_ts, 0,
                     cfg.anomalies.bitrate_drop.min_kbps, "media stopped (flow idle)");
        if (SrtpStreamState* k = srtp_state(s))
          engine.clear(k->auth, AnomalyKind::srtp_auth_failure, stream_subject(f, s), f.last_ts, 0,
                       cfg.anomalies.srtp_auth_failure.pct, "media stopped (flow idle)");
      }
      RtpStreamEvent ev;
      ev.src = key_endpoint(f.key, s.dir == 1);
      ev.dst = key_endpoint(f.key, s.dir == 0);
      s.fill(ev);
      if (f.media != kNoIndex && media(f).session != kNoIndex) ev.session = sessions[media(f).session].ev.id;
      std::snprintf(ev.stream, sizeof ev.stream, "%s", s.stream[0] ? s.stream : media_name(ev.src, ev.dst, ev.session));
      if (const SrtpStreamState* kp = srtp_state(s)) {
        const SrtpStreamState& k = *kp;
        ev.srtp_keyed = true;
        ev.srtp = k.counts;
        ev.video_codec = k.codec;
        ev.keyframes = k.keyframes;
        ev.keyframe_interval_mean_s = k.keyframes > 1 ? k.keyframe_gap_sum_s / (k.keyframes - 1) : 0;
        ev.keyframe_interval_max_s = k.keyframe_gap_max_s;
        ev.parameter_sets = k.parameter_sets;
      }
      if (RtcpSsrcEntry* e = rtcp_ssrcs.find(ev.src, s.ssrc)) {
        ev.rtcp = e->ev.rtcp;
        e->reported = 1;
      }
      ev.voice_codec = voice_codec(s.pt, s.clock_rate);
      if (ev.voice_codec != VoiceCodec::None && s.rtx_for == 0) {
        const int64_t expected = s.ext_max - s.ext_first + 1;
        EModelInput in;
        in.loss_pct = ev.lost_after_repair > 0 && expected > 0 ? 100.0 * ev.lost_after_repair / expected : 0;
        in.jitter_ms = ev.jitter_mean_ms;
        in.packet_ms = ev.mean_delta_ms;
        in.network_delay_ms = ev.rtcp.rtt_samples ? ev.rtcp.rtt_mean_ms / 2 : 0;
        const EModelResult q = emodel(ev.voice_codec, in);
        ev.r_factor = q.r;
        ev.mos = q.mos;
      } else {
        ev.voice_codec = VoiceCodec::None;
      }
      ++ctr.rtp_streams;
      if (f.media != kNoIndex && media(f).session != kNoIndex) ++sessions[media(f).session].ev.rtp_streams;
      emit(ev);
    }
    if (srtp_state(s)) srtp_streams.release(s.srtp);
    streams.release(i);
    i = next;
  }
  f.rtp_head = kNoIndex;
  if (f.media != kNoIndex && expired) {
    for (uint8_t d = 0; d < 2; ++d) {
      // The flow ended with checks never answered, or consent failing: the verdict, then its end.
      check_ice_no_response(f, d, watched_until(f, f.last_ts + (f.key.l4 == 6 ? tcp_idle : udp_idle)), true);
      check_ice_consent(f, d, f.last_ts, true);
      engine.clear(media(f).stun[d].consent, AnomalyKind::ice_consent_lost, direction_subject(f, d), f.last_ts, 0,
                   cfg.anomalies.ice_consent_lost.timeout_s, "flow idle");
      if (media(f).icmp_dir == d)
        engine.clear(media(f).icmp_unreachable, AnomalyKind::icmp_unreachable, direction_subject(f, d), f.last_ts, 0,
                     1, "flow idle");
      engine.clear(media(f).stun[d].no_response, AnomalyKind::ice_no_response, direction_subject(f, d), f.last_ts, 0,
                   cfg.anomalies.ice_no_response.requests, "flow idle");
    }
    if (media(f).dtls != kNoIndex) {
      // The flow ended mid-handshake: the verdict (dated when it came true), then its end.
      // Judged as far as the tap watched after the flow's last packet: a flow that went quiet only
      // because the capture did (merged or cut files) says nothing about the handshake.
      check_dtls(f, watched_until(f, f.last_ts + (f.key.l4 == 6 ? tcp_idle : udp_idle)));
      DtlsFlow& d = dtls_flows[media(f).dtls];
      engine.clear(d.incomplete, AnomalyKind::dtls_incomplete, direction_subject(f, d.s.client), f.last_ts, 0,
                   cfg.anomalies.dtls_incomplete.within_s, "flow idle");
      engine.clear(d.alert, AnomalyKind::dtls_fingerprint_mismatch, direction_subject(f, d.s.alert_from), f.last_ts,
                   0, 1, "flow idle");
    }
  }

  uint32_t session = kNoIndex;  // the WebRTC session the flow belonged to
  FlowEvent fe;
  fe.l4 = static_cast<L4>(f.key.l4 == 1 || f.key.l4 == 6 || f.key.l4 == 17 || f.key.l4 == 58
                              ? f.key.l4 : 0);
  bool init_hi = f.initiator == 1;
  fe.src = key_endpoint(f.key, init_hi);
  fe.dst = key_endpoint(f.key, !init_hi);
  fe.classes = f.classes & ~(kSignallingProbed | kTcpOpenedBySyn);
  fe.cls = primary_class(fe.classes);
  fe.packets = {f.packets[f.initiator], f.packets[f.initiator ^ 1]};
  fe.bytes = {f.bytes[f.initiator], f.bytes[f.initiator ^ 1]};
  fe.first_ts = f.first_ts;
  fe.last_ts = f.last_ts;
  if (f.media != kNoIndex) {
    for (uint8_t i = 0; i < 2; ++i) {
      const StunRequests& rq = media(f).stun[i == 0 ? f.initiator : f.initiator ^ 1];
      fe.stun[i] = StunCounts{rq.requests, rq.retransmits, rq.answered, rq.errors,
                              rq.answered ? rq.rtt_sum_ms / rq.answered : 0, rq.rtt_max_ms};
    }
    fe.turn = media(f).turn;
    session = media(f).session;
    if (session != kNoIndex && media(f).dtls != kNoIndex) {
      // The session's DTLS: its selected pair's, else the furthest any of its flows got.
      Session& s = sessions[session];
      const DtlsSummary& d = dtls_flows[media(f).dtls].s;
      if (is_selected(s, f) || d.stage > s.ev.dtls) {
        s.ev.dtls = d.stage;
        s.ev.dtls_version = d.version;
        s.ev.srtp_profile = d.srtp_profile;
        s.ev.dtls_handshake_ms = d.done_ts ? to_seconds(elapsed(d.done_ts, d.start_ts)) * 1e3 : 0;
      }
    }
    if (media(f).dtls != kNoIndex) {
      // Per flow direction here, per side (src first) in the event.
      const DtlsSummary& s = dtls_flows[media(f).dtls].s;
      const uint8_t side[2] = {f.initiator, static_cast<uint8_t>(f.initiator ^ 1)};
      fe.dtls = s;
      fe.dtls.client = s.client == f.initiator ? 0 : 1;
      fe.dtls.alert_from = s.alert_from == f.initiator ? 0 : 1;
      for (uint8_t i = 0; i < 2; ++i) {
        fe.dtls.records[i] = s.records[side[i]];
        fe.dtls.retransmits[i] = s.retransmits[side[i]];
        fe.dtls.encrypted_alerts[i] = s.encrypted_alerts[side[i]];
        fe.dtls.has_fingerprint[i] = s.has_fingerprint[side[i]];
        fe.dtls.fingerprint[i] = s.fingerprint[side[i]];
      }
      dtls_flows.release(media(f).dtls);
    }
    if (media(f).sig != kNoIndex) signalling.close(media(f).sig, f.last_ts, expired);
    medias.release(f.media);
    f.media = kNoIndex;
  }
  emit(fe);
  if (session != kNoIndex) leave_session(session, f.last_ts);
}

// relay_fallback_surge (ANOMALIES.md #31) is judged over all of the tap's sessions (session/tap_wide.h),
// as each one connects (its first Binding success).
void Pipeline::Impl::session_connected(const Session& s, Nanos ts) {
  TapFact f;
  f.kind = TapFact::Kind::SessionConnected;
  // A TURN relay, or ICE-TCP (RFC 6544): the fallbacks when UDP cannot get through.
  f.relay = s.ev.relay || s.ev.selected_l4 == L4::Tcp;
  f.ts = ts;
  facts->fact(f);
}

// A flow joins the WebRTC session its ICE check names: USERNAME "remote:local" (RFC 8445 7.2.2),
// the pair sorted so both agents' checks name the same session. A flow whose checks change ufrags
// (an ICE restart on the same 5-tuple) moves to the new session.
void Pipeline::Impl::join_session(FlowRecord& f, Bytes username, Nanos ts, bool relayed) {
  const auto colon = std::find(username.begin(), username.end(), uint8_t{':'});
  if (colon == username.begin() || colon == username.end() || colon + 1 == username.end()) return;  // not ICE
  Bytes a(username.begin(), colon), b(colon + 1, username.end());
  if (std::lexicographical_compare(b.begin(), b.end(), a.begin(), a.end())) std::swap(a, b);  // the pair sorted
  const uint64_t id = webrtc_session_id(a, b);
  FlowMedia& fm = media(f);
  if (fm.session != kNoIndex) {
    if (sessions[fm.session].ev.id == id) {
      if (relayed) sessions[fm.session].ev.relay = true;
      return;
    }
    leave_session(fm.session, f.last_ts);
    fm.session = kNoIndex;
  }
  uint32_t i = session_ids.find(id);
  if (i == kNoIndex) {
    i = sessions.alloc();
    if (i == kNoIndex || !session_ids.insert(id, i)) {
      if (i != kNoIndex) sessions.release(i);
      ++ctr.session_table_full;
      return;
    }
    WebrtcSessionEvent& ev = sessions[i].ev;
    ev.id = id;
    ev.first_ts = ts;
    std::copy_n(a.begin(), std::min<size_t>(a.size(), ev.ufrag_a.size() - 1), ev.ufrag_a.begin());
    std::copy_n(b.begin(), std::min<size_t>(b.size(), ev.ufrag_b.size() - 1), ev.ufrag_b.begin());
  }
  Session& s = sessions[i];
  fm.session = i;
  ++s.open_flows;
  if (s.ev.flows < UINT8_MAX) ++s.ev.flows;
  if (relayed || (f.classes & class_bit(FlowClass::Turn))) s.ev.relay = true;
}

// The candidate pair a session uses: the first to carry media, else the last nominated (or, before
// any nomination, the first answered).
void Pipeline::Impl::select_pair(Session& s, const FlowRecord& f, bool by_media) {
  if (s.selected_by_media) return;
  s.selected_by_media = by_media;
  s.ev.selected_l4 = f.key.l4 == 6 ? L4::Tcp : L4::Udp;
  s.ev.selected_src = key_endpoint(f.key, f.initiator == 1);
  s.ev.selected_dst = key_endpoint(f.key, f.initiator == 0);
}

// One of a session's flows ended: the session is reported with its last.
void Pipeline::Impl::leave_session(uint32_t index, Nanos last_ts) {
  Session& s = sessions[index];
  s.ev.last_ts = std::max(s.ev.last_ts, last_ts);
  if (s.open_flows > 0 && --s.open_flows > 0) return;
  s.ev.ice = s.ev.successes ? IceState::Connected : s.ev.checks ? IceState::Failed : IceState::Checking;
  ++ctr.webrtc_sessions;
  const WebrtcSessionEvent ev = s.ev;
  session_ids.erase(ev.id);
  sessions.release(index);
  emit(ev);
}

Pipeline::Pipeline(const Config& cfg, EventSink& sink, std::shared_ptr<const SignatureDatabase> signatures)
    : impl_(std::make_unique<Impl>(cfg, sink, std::move(signatures))) {}
Pipeline::~Pipeline() = default;

void Pipeline::process(LinkType link, Nanos ts, std::span<const uint8_t> frame, uint32_t /*wire_len*/) {
  Impl::Staged& s = impl_->staged[0];
  impl_->stage_frame(link, frame, s);
  impl_->analyse(ts, frame, s);
}

void Pipeline::process_burst(LinkType link, std::span<const Frame> frames) {
  for (size_t at = 0; at < frames.size(); at += kBurst)
    impl_->stage(link, frames.subspan(at, std::min(kBurst, frames.size() - at)));
}

void Pipeline::advance(Nanos now, uint32_t budget) {
  Impl& m = *impl_;
  if (now > m.last_ts) m.last_ts = now;
  m.signalling.advance(m.last_ts);
  uint32_t flow_buckets = budget, rtcp_slots = budget;
  if (budget == kPaced) {
    // A lap of each table per second of packet time: the credit accrues with time, at most a lap.
    // While packets flow, no more than kSweepPerPacket buckets per packet since the last call, so
    // a capture replayed faster than real time (offline, benchmarks) pays per packet what a burst
    // budget would; on an idle link the time credit alone drives expiry.
    constexpr double kLapNs = 1e9;
    constexpr uint64_t kSweepPerPacket = 8;
    const double dt = m.swept_ts ? static_cast<double>(elapsed(m.last_ts, m.swept_ts)) : 0.0;
    m.swept_ts = std::max(m.swept_ts, m.last_ts);
    const uint64_t packets = m.ctr.packets - m.swept_packets;
    m.swept_packets = m.ctr.packets;
    const double cap = packets ? static_cast<double>(packets * kSweepPerPacket) : 1e18;
    // A table of `slots`: its credit grows with time (at most a lap); what is spent now is taken off.
    auto take = [&](double& credit, size_t slots) {
      credit = std::min(credit + dt * static_cast<double>(slots) / kLapNs, static_cast<double>(slots));
      const auto n = static_cast<uint32_t>(std::min(credit, cap));
      credit -= n;
      return n;
    };
    flow_buckets = take(m.flow_sweep_credit, m.flows.slot_count());
    rtcp_slots = take(m.rtcp_sweep_credit, m.rtcp_ssrcs.slot_count());
  }
  if (flow_buckets)
    m.ctr.flows_expired += m.flows.sweep(
        m.last_ts, flow_buckets,
        [&](const FlowRecord& r) { return r.key.l4 == 6 ? m.tcp_idle : m.udp_idle; },
        [&](FlowRecord& r) { m.report_flow(r, true); });
  if (rtcp_slots)
    m.rtcp_ssrcs.sweep(m.last_ts, m.rtcp_idle, rtcp_slots, [&](RtcpSsrcEntry& e) { m.report_rtcp(e); });
}

void Pipeline::finish() {
  Impl& m = *impl_;
  m.signalling.finish(m.last_ts);
  std::vector<FlowRecord*> open;
  open.reserve(m.flows.size());
  m.flows.for_each([&](FlowRecord& r) { open.push_back(&r); });
  // Reported in order of first packet, so the output reads like the capture.
  std::sort(open.begin(), open.end(), [](const FlowRecord* a, const FlowRecord* b) {
    return a->first_ts != b->first_ts ? a->first_ts < b->first_ts : a->hash < b->hash;
  });
  for (FlowRecord* r : open) {
    if (r->media == kNoIndex) continue;
    for (uint8_t d = 0; d < 2; ++d) {
      m.check_ice_no_response(*r, d, m.watched_until(*r, m.last_ts), true);
      m.check_ice_consent(*r, d, r->last_ts, true);
    }
    if (m.media(*r).dtls != kNoIndex) m.check_dtls(*r, m.watched_until(*r, m.last_ts));
  }
  for (FlowRecord* r : open) m.report_flow(*r, false);
  m.flows.clear();
  m.rtcp_ssrcs.drain([&](RtcpSsrcEntry& e) { m.report_rtcp(e); });
}

void Pipeline::hand_tap_facts_to(TapFactSink* sink) { impl_->facts = sink != nullptr ? sink : &impl_->judge; }

void Pipeline::media_may_be_elsewhere(bool elsewhere) { impl_->signalling.media_may_be_elsewhere(elsewhere); }

void Pipeline::set_srtp_keys(const SrtpConfig& keys) {
  Impl& m = *impl_;
  auto ring = std::make_unique<SrtpKeyring>(keys);  // throws before anything changes
  ring->adopt_sdes(*m.srtp_keys);                    // what SDP said still holds
  m.srtp_keys = std::move(ring);
  m.keys_changed();
  m.video_codecs = keys.video_codecs;
  m.srtp_pool_gen = ++m.srtp_gen;  // every stream's state under the old keys is let go with the old pool
  m.srtp_streams = IndexPool<SrtpStreamState>(srtp_pool_size(m.cfg, keys));
}

const PipelineCounters& Pipeline::counters() const { return impl_->ctr; }

Nanos Pipeline::last_packet_time() const { return impl_->last_ts; }

size_t Pipeline::flow_memory_bytes() const {
  const Impl& m = *impl_;
  return m.flows.memory_bytes() + m.medias.memory_bytes() + m.dtls_flows.memory_bytes() + m.sessions.memory_bytes() +
         m.session_ids.memory_bytes();
}

}  // namespace wcstap
