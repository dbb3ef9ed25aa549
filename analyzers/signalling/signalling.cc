#include "signalling/signalling.h"

#include "signalling/signalling_impl.h"
#include "text/text_message.h"

namespace wcstap {

using namespace sig;

namespace {

bool is_signalling_class(FlowClass c) {
  switch (c) {
    case FlowClass::Sip: case FlowClass::Websocket: case FlowClass::Http: case FlowClass::Tls:
    case FlowClass::Dns: case FlowClass::Rtsp: case FlowClass::Rtmp: case FlowClass::Hls:
      return true;
    default:
      return false;
  }
}

}  // namespace

// The anomaly a failed TCP connect is, by protocol: WebSocket signalling, RTSP, RTMP.
std::optional<AnomalyKind> sig::connect_kind(FlowClass c) {
  switch (c) {
    case FlowClass::Websocket: return AnomalyKind::ws_connect_failed;
    case FlowClass::Rtsp: return AnomalyKind::rtsp_failure;
    case FlowClass::Rtmp: return AnomalyKind::rtmp_failure;
    default: return std::nullopt;
  }
}

struct SignallingAnalyzer::Impl : Engine {
  using Engine::Engine;
};

Engine::Engine(const Config& c, AnomalyEngine& e, EventSink& s, PipelineCounters& k,
               std::shared_ptr<const SignatureDatabase> db)
    : cfg(c),
      engine(e),
      sink(s),
      ctr(k),
      conns(c.signalling.connections),
      dialogs(c.signalling.connections),
      dialog_ids(c.signalling.connections),
      reasm(c.signalling.window_kb * 1024, uint64_t{c.signalling.memory_mb} << 20,
            static_cast<Nanos>(c.signalling.gap_timeout_ms) * 1'000'000),
      wcs_streams(c.signalling.connections),
      wcs_ids(c.signalling.connections),
      wcs(64 * 1024),
      unmasked(64 * 1024 + kWsMessagePadding),
      tls_states(std::max<uint32_t>(c.signalling.connections / 8, 16)),
      tls_buffers(std::max<uint32_t>(c.signalling.connections / 8, 16) * 2),
      tls_memory(new uint8_t[size_t{std::max<uint32_t>(c.signalling.connections / 8, 16)} * 2 * kTlsBuffer]),
      dns(c.signalling.connections),
      dns_ids(c.signalling.connections),
      media_sessions(std::max<uint32_t>(c.signalling.connections / 16, 16)),
      playlists(std::max<uint32_t>(c.signalling.connections / 16, 16)),
      playlist_ids(std::max<uint32_t>(c.signalling.connections / 16, 16)),
      dialog_idle(seconds(c.flows.tcp_idle_timeout_s)) {
  deadlines.reserve(size_t{c.signalling.connections} * 4);
  if (!db) db = SignatureDatabase::compile(c.signatures);
  signatures = std::make_unique<SignatureEngine>(std::move(db), c.signalling.connections);
  user_signatures = !c.signatures.empty();
  signature_ports.assign(65536, false);
  for (const Signature& sg : c.signatures) {
    if (sg.ports.empty()) signature_any_port = true;
    for (const PortRange& r : sg.ports)
      for (uint32_t port = r.from; port <= r.to; ++port) signature_ports[port] = true;
  }
}

SignallingAnalyzer::SignallingAnalyzer(const Config& cfg, AnomalyEngine& engine, EventSink& sink, PipelineCounters& ctr,
                                       InterleavedMedia& media, MediaExpectations& expectations,
                                       std::shared_ptr<const SignatureDatabase> signatures, SdesKeySink* keys)
    : impl_(std::make_unique<Impl>(cfg, engine, sink, ctr, std::move(signatures))) {
  impl_->media = &media;
  impl_->expectations = &expectations;
  impl_->sdes = keys;
  impl_->next_due = &next_due_;
  user_signatures_ = impl_->user_signatures;
}
SignallingAnalyzer::~SignallingAnalyzer() = default;

void SignallingAnalyzer::media_may_be_elsewhere(bool elsewhere) { impl_->media_elsewhere = elsewhere; }

FlowClass SignallingAnalyzer::recognise(L4 l4, FlowClass port_class, Bytes payload) const {
  if (l4 != L4::Tcp && l4 != L4::Udp) return FlowClass::Unknown;
  if (is_signalling_class(port_class)) return port_class;
  if (payload.empty()) return FlowClass::Unknown;
  // A protocol by its first bytes on any port (the built-in Hyperscan patterns, anchored): SIP
  // where the map names no SIP port (WCS's own 30000-31000, a PBX elsewhere), HTTP (REST hooks to
  // a backend, players), RTSP (cameras on 8554...), TLS (HTTPS to a backend), RTMP.
  FlowClass found = FlowClass::Unknown;
  impl_->signatures->scan_block(payload, 0, 0, [&](uint32_t id, uint64_t) {
    if (id >= kFirstUserSignatureId || found != FlowClass::Unknown) return;
    switch (builtin_signature(id).protocol) {
      case SignatureProtocol::SipRequest:
      case SignatureProtocol::SipStatus: found = FlowClass::Sip; break;
      case SignatureProtocol::HttpRequest:
      case SignatureProtocol::HttpStatus:
      case SignatureProtocol::WebsocketUpgrade: found = l4 == L4::Tcp ? FlowClass::Http : found; break;
      case SignatureProtocol::RtspRequest:
      case SignatureProtocol::RtspStatus: found = l4 == L4::Tcp ? FlowClass::Rtsp : found; break;
      case SignatureProtocol::TlsClientHello: found = l4 == L4::Tcp ? FlowClass::Tls : found; break;
      // C0+C1 comes as 1537 bytes; fewer first bytes are not taken for it (the pattern is short).
      case SignatureProtocol::RtmpHandshake:
        found = l4 == L4::Tcp && payload.size() >= 1 + rtmp::kHandshakePart ? FlowClass::Rtmp : found;
        break;
      default: break;
    }
  });
  return found;
}

void SignallingAnalyzer::datagram_slow(Nanos ts, const DecodedPacket& p) {
  Impl& m = *impl_;
  if (p.l4_payload.empty()) return;
  if (!m.signature_any_port && !m.signature_ports[p.src.port] && !m.signature_ports[p.dst.port]) return;
  m.signature_datagram(p, ts);
}

uint32_t SignallingAnalyzer::open(FlowClass cls, L4 l4, const Endpoint& lo, const Endpoint& hi, Nanos ts,
                                  bool after_handshake) {
  Impl& m = *impl_;
  const uint32_t i = m.conns.alloc();
  if (i == kNoIndex) {
    ++m.ctr.signalling_table_full;
    return kNoIndex;
  }
  Conn& c = m.conns[i];
  c.gen = m.next_gen++;
  c.protocol = cls;
  c.l4 = l4;
  c.ep = {lo, hi};
  c.first_ts = c.last_ts = ts;
  c.after_handshake = after_handshake;
  ++m.ctr.signalling_connections;
  return i;
}

void SignallingAnalyzer::packet(uint32_t conn, uint8_t dir, Nanos ts, const DecodedPacket& p) {
  Impl& m = *impl_;
  Conn& c = m.conns[conn];
  if (ts > c.last_ts) c.last_ts = ts;
  if (c.l4 == L4::Tcp) {
    m.tcp_segment(conn, c, dir, ts, p);
    return;
  }
  Engine::learn_client(c, dir);
  if (p.l4_payload.empty()) return;
  if (c.protocol == FlowClass::Sip) m.sip_message(L4::Udp, p.src, p.dst, ts, p.l4_payload);
  if (c.protocol == FlowClass::Dns) m.dns_message(L4::Udp, p.src, p.dst, ts, p.l4_payload);
}

void Engine::tcp_segment(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const DecodedPacket& p) {
  const auto info = tcp::track_segment(c.tcp, dir, ts, p.tcp_flags, p.tcp_seq, p.tcp_ack, p.tcp_window,
                                       p.tcp_payload_len);
  const bool syn = p.tcp_flags & tcp::kSyn, ack = p.tcp_flags & tcp::kAck;
  if (syn && !ack) {
    c.client = dir;  // a SYN names the client, whatever came before
    c.client_known = true;
    tcp::Reassembler::start(c.stream[dir], p.tcp_seq);
    // The first SYN of an attempt (not one sent again) starts the wait for an answer.
    if (!info.syn_again) {
      c.refused = false;  // a new attempt may be refused again
      schedule(index, c.gen, ts + seconds(cfg.anomalies.ws_connect_failed.syn_timeout_s), Due::SynAnswer);
    }
  } else if (syn && ack) {
    learn_client(c, dir ^ 1);
    tcp::Reassembler::start(c.stream[dir], p.tcp_seq);
  } else {
    learn_client(c, dir);
  }
  if (info.retransmission) ++ctr.tcp_retransmissions;
  if (info.reset && connect_kind(c.protocol) && c.tcp.syn_seen && c.tcp.established_ts == 0 && !c.refused) {
    c.refused = true;
    // Refused (RST to the SYN) or reset before the handshake completed.
    engine.event(*connect_kind(c.protocol), client_subject(c), ts, 1, 1, [&](char* b, size_t n) {
      std::snprintf(b, n, "connection %s by the %s", c.tcp.syn_seen && c.tcp.synack_ts == 0 ? "refused" : "reset",
                    dir == c.client ? "client" : "server");
    });
  }
  if (user_signatures && !p.l4_payload.empty()) signature_segment(c, dir, ts, p, info);
  // The segment's payload first (a close frame often rides with the FIN), then its end.
  if (p.tcp_payload_len > 0 || !p.l4_payload.empty()) stream_segment(index, c, dir, ts, p);
  if (info.reset || (p.tcp_flags & tcp::kFin)) {
    ws_connection_end(c, dir, ts, info.reset);
    if (c.tls) tls_end(c, ts, info.reset);
  }
}

void Engine::stream_segment(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const DecodedPacket& p) {
  const bool syn = p.tcp_flags & tcp::kSyn, ack = p.tcp_flags & tcp::kAck;
  if (c.lost[dir]) return;
  // Taken at its first payload after a handshake the pipeline saw: both streams start here (this
  // packet's first byte, and the byte its ACK expects next).
  if (c.after_handshake) {
    c.after_handshake = false;
    if (!c.stream[dir].started) tcp::Reassembler::start(c.stream[dir], p.tcp_seq - 1);
    if (ack && !c.stream[dir ^ 1].started) tcp::Reassembler::start(c.stream[dir ^ 1], p.tcp_ack - 1);
  }
  const tcp::ReassemblyCounters before = reasm.counters();
  reasm.segment(
      c.stream[dir], ts, p.tcp_seq + (syn ? 1 : 0), p.l4_payload, p.tcp_payload_len,
      [&](Bytes b) { return stream_bytes(index, c, dir, ts, b); }, [&] { stream_gap(c, dir); });
  const tcp::ReassemblyCounters& after = reasm.counters();
  ctr.tcp_stream_bytes += after.bytes - before.bytes;
  ctr.tcp_stream_gaps += after.gaps - before.gaps;
  ctr.tcp_stream_gap_bytes += after.gap_bytes - before.gap_bytes;
  ctr.tcp_stream_no_memory += after.no_window - before.no_window;
  ctr.tcp_stream_too_long += after.window_full - before.window_full;
}

size_t Engine::stream_bytes(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b) {
  // TLS where the port map says ws/http (wss, https): only its handshake is readable.
  if (!c.tls_checked) {
    c.tls_checked = true;
    if (c.protocol == FlowClass::Tls || (b.size() >= 3 && b[0] == 0x16 && b[1] == 0x03)) c.tls = true;
  }
  if (c.tls) return tls_stream(c, dir, ts, b);
  switch (c.protocol) {
    case FlowClass::Dns: return dns_stream(c, dir, ts, b);
    case FlowClass::Rtsp: return rtsp_stream(index, c, dir, ts, b);
    case FlowClass::Rtmp: return rtmp_stream(index, c, dir, ts, b);
    case FlowClass::Sip: return sip_stream(c, dir, ts, b);
    case FlowClass::Websocket:
    case FlowClass::Http:
    case FlowClass::Hls:
      return http_stream(index, c, dir, ts, b);
    default: return b.size();  // not read (yet): passed over
  }
}

// Bytes were lost before what comes next (or the stream's start was not seen): parsers of
// self-delimiting text messages find the next start line; WebSocket frames cannot be found again.
void Engine::stream_gap(Conn& c, uint8_t dir) {
  if (c.ws[dir]) c.lost[dir] = true;
  c.body_to_end[dir] = false;
}

void Engine::check_syn(Conn& c, Nanos now) {
  const auto kind = connect_kind(c.protocol);
  if (!kind || c.tcp.state != tcp::TcpState::SynSent) return;
  const double s = static_cast<double>(elapsed(now, c.tcp.syn_ts)) / 1e9;
  if (s < cfg.anomalies.ws_connect_failed.syn_timeout_s) return;
  engine.hold(c.connect_failed, *kind, client_subject(c), c.tcp.syn_ts, now, s,
              cfg.anomalies.ws_connect_failed.syn_timeout_s, [&](char* b, size_t n) {
                std::snprintf(b, n, "SYN unanswered for %.1f s (%u sent)", s, c.tcp.syns);
              });
}

void Engine::due(const Deadline& d, Nanos now) {
  switch (d.what) {
    case Due::SynAnswer:
      if (conns[d.index].gen == d.gen && !conns[d.index].reported) check_syn(conns[d.index], now);
      break;
    case Due::SipTransaction:
      if (dialogs[d.index].gen == d.gen && dialogs[d.index].live) sip_check_transaction(d.index, now);
      break;
    case Due::SipRtp:
      if (dialogs[d.index].gen == d.gen && dialogs[d.index].live) sip_check_rtp(d.index, now);
      break;
    case Due::SipIdle:
      if (dialogs[d.index].gen == d.gen && dialogs[d.index].live) sip_idle(d.index, now);
      break;
    case Due::RestHook:
      if (conns[d.index].gen == d.gen && !conns[d.index].reported) check_hook(conns[d.index], now);
      break;
    case Due::DnsAnswer:
      if (dns[d.index].gen == d.gen && dns[d.index].live) dns_check(d.index, d.slot, now);
      break;
    case Due::DnsIdle:
      if (dns[d.index].gen == d.gen && dns[d.index].live) dns_idle(d.index, now);
      break;
    case Due::RtspRtp:
      if (conns[d.index].gen == d.gen && !conns[d.index].reported) rtsp_check_rtp(conns[d.index], now);
      break;
    case Due::RtmpHandshake:
    case Due::RtmpMedia:
      if (conns[d.index].gen == d.gen && !conns[d.index].reported) rtmp_check(conns[d.index], d.what, now);
      break;
    case Due::WcsAnswer:
      if (wcs_streams[d.index].gen == d.gen && wcs_streams[d.index].live) wcs_check_answer(d.index, now);
      break;
  }
}

void Engine::advance(Nanos now) {
  while (!deadlines.empty() && deadlines.front().at <= now) {
    std::pop_heap(deadlines.begin(), deadlines.end(), std::greater<>{});
    const Deadline d = deadlines.back();
    deadlines.pop_back();
    due(d, d.at);
  }
}

void SignallingAnalyzer::advance_slow(Nanos now) {
  impl_->advance(now);
  next_due_ = impl_->deadlines.empty() ? ~Nanos{0} : impl_->deadlines.front().at;
}

void SignallingAnalyzer::finish(Nanos now) {
  Impl& m = *impl_;
  advance_slow(now);
  for (uint32_t i = 0; i < m.cfg.signalling.connections; ++i) {
    if (m.dialogs[i].live) m.sip_report(i);
    if (m.dns[i].live) m.dns_report(i);
  }
}

static const char* connection_end(const tcp::TcpConn& t) {
  switch (t.state) {
    case tcp::TcpState::SynSent: return "unanswered";
    case tcp::TcpState::Reset: return t.established_ts == 0 && t.syn_seen ? "refused" : "reset";
    case tcp::TcpState::Closed: return "closed";
    case tcp::TcpState::Closing: return "closing";
    case tcp::TcpState::SynReceived: return "half_open";
    case tcp::TcpState::Established:
    case tcp::TcpState::None: break;
  }
  return "open";
}

void Engine::report(Conn& c) {
  SignallingEvent& ev = c.ev;
  ev.kind = SignallingKind::Connection;
  ev.protocol = c.protocol;
  ev.l4 = c.l4;
  ev.client = c.ep[c.client];
  ev.server = c.ep[c.client ^ 1];
  ev.first_ts = c.first_ts;
  ev.last_ts = c.last_ts;
  if (c.l4 == L4::Tcp) {
    set_text(ev.state, connection_end(c.tcp));
    ev.setup_ms = c.tcp.syn_rtt_ms + c.tcp.ack_rtt_ms;
    ev.retransmits = c.tcp.dir[0].retransmits + c.tcp.dir[1].retransmits;
  }
  ++ctr.signalling_reports;
  sink.emit(ev);
}

void SignallingAnalyzer::close(uint32_t conn, Nanos last_ts, bool /*expired*/) {
  Impl& m = *impl_;
  Conn& c = m.conns[conn];
  if (last_ts > c.last_ts) c.last_ts = last_ts;
  // A SYN sent again until the client gave up: judged on its own packets (advance() judged the
  // deadline if packet time reached it).
  if (c.l4 == L4::Tcp && c.tcp.state == tcp::TcpState::SynSent) m.check_syn(c, c.last_ts);
  if (const auto kind = connect_kind(c.protocol))
    m.engine.clear(c.connect_failed, *kind, m.client_subject(c), c.last_ts, 0,
                   m.cfg.anomalies.ws_connect_failed.syn_timeout_s, "connection ended");
  m.media_release(c);
  if (c.protocol == FlowClass::Rtsp) m.sdes_ended(c.gen, c.last_ts);  // its SDPs' source (rtsp_message)
  m.check_hook(c, c.last_ts);
  m.signature_close(c, c.last_ts);
  if (c.tls) m.tls_end(c, c.last_ts, c.tcp.state == tcp::TcpState::Reset);
  m.wcs_close_all(c, c.last_ts);
  // SIP over UDP: the dialogs outlive their flows; the flow itself is no record of its own.
  if (c.l4 == L4::Tcp) m.report(c);
  c.reported = true;
  m.reasm.release(c.stream[0]);
  m.reasm.release(c.stream[1]);
  m.conns.release(conn);
}

}  // namespace wcstap
