#include "signalling/signalling.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "flow/index_pool.h"
#include "pipeline.h"
#include "tcp/reassembly.h"
#include "tcp/tcp_conn.h"

namespace wcstap {

namespace {

constexpr Nanos seconds(double s) { return static_cast<Nanos>(s * 1e9); }

// Copies text into a fixed field, truncating; always NUL-terminated.
template <size_t N>
void set_text(char (&field)[N], std::string_view v) {
  const size_t n = std::min(v.size(), N - 1);
  std::memcpy(field, v.data(), n);
  field[n] = '\0';
}

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

// One signalling flow: its TCP connection and byte streams, and what its protocol said.
struct Conn {
  uint32_t gen = 0;             // bumped when the record is reused: stale deadlines are ignored
  FlowClass protocol = FlowClass::Unknown;
  L4 l4 = L4::Tcp;
  std::array<Endpoint, 2> ep{};  // [0] the flow key's lo side, [1] hi
  uint8_t client = 0;           // the direction the client sends in
  bool client_known = false;
  Nanos first_ts = 0, last_ts = 0;
  tcp::TcpConn tcp;
  std::array<tcp::StreamCursor, 2> stream{};
  SignallingEvent ev;           // the connection record being built
  AnomalySlot connect_failed;   // ws_connect_failed
  bool reported = false;
};

struct SignallingAnalyzer::Impl {
  Impl(const Config& c, AnomalyEngine& e, EventSink& s, PipelineCounters& k)
      : cfg(c),
        engine(e),
        sink(s),
        ctr(k),
        conns(c.signalling.connections),
        reasm(c.signalling.window_kb * 1024, uint64_t{c.signalling.memory_mb} << 20,
              static_cast<Nanos>(c.signalling.gap_timeout_ms) * 1'000'000) {
    deadlines.reserve(size_t{c.signalling.connections} * 2);
  }

  // A check due at a packet time, for a connection (while its generation is unchanged).
  enum class Due : uint8_t { SynAnswer };
  struct Deadline {
    Nanos at;
    uint32_t conn, gen;
    Due what;
    bool operator>(const Deadline& o) const { return at > o.at; }
  };
  void schedule(uint32_t conn, Nanos at, Due what) {
    if (deadlines.size() >= deadlines.capacity()) {  // the heap never grows past its start size
      ++ctr.signalling_deadlines_dropped;
      return;
    }
    deadlines.push_back(Deadline{at, conn, conns[conn].gen, what});
    std::push_heap(deadlines.begin(), deadlines.end(), std::greater<>{});
  }

  AnomalySubject client_subject(const Conn& c) const {
    AnomalySubject s;
    s.l4 = c.l4;
    s.src = c.ep[c.client];
    s.dst = c.ep[c.client ^ 1];
    return s;
  }

  void tcp_segment(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const DecodedPacket& p);
  void due(uint32_t index, Due what, Nanos now);
  void check_syn(Conn& c, Nanos now);
  void report(Conn& c);
  // The client side once the connection shows it: the SYN's sender, else the first packet's.
  void learn_client(Conn& c, uint8_t dir) {
    if (c.client_known) return;
    c.client = dir;
    c.client_known = true;
  }

  const Config& cfg;
  AnomalyEngine& engine;
  EventSink& sink;
  PipelineCounters& ctr;
  IndexPool<Conn> conns;
  uint32_t next_gen = 1;
  tcp::Reassembler reasm;
  std::vector<Deadline> deadlines;  // a min-heap by time
};

SignallingAnalyzer::SignallingAnalyzer(const Config& cfg, AnomalyEngine& engine, EventSink& sink, PipelineCounters& ctr)
    : impl_(std::make_unique<Impl>(cfg, engine, sink, ctr)) {}
SignallingAnalyzer::~SignallingAnalyzer() = default;

FlowClass SignallingAnalyzer::recognise(L4 l4, FlowClass port_class, Bytes /*payload*/) const {
  if (l4 != L4::Tcp && l4 != L4::Udp) return FlowClass::Unknown;
  if (is_signalling_class(port_class)) return port_class;
  return FlowClass::Unknown;
}

uint32_t SignallingAnalyzer::open(FlowClass cls, L4 l4, const Endpoint& lo, const Endpoint& hi, Nanos ts) {
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
  ++m.ctr.signalling_connections;
  return i;
}

void SignallingAnalyzer::packet(uint32_t conn, uint8_t dir, Nanos ts, const DecodedPacket& p) {
  Impl& m = *impl_;
  Conn& c = m.conns[conn];
  if (ts > c.last_ts) c.last_ts = ts;
  if (c.l4 == L4::Tcp) m.tcp_segment(conn, c, dir, ts, p);
}

void SignallingAnalyzer::Impl::tcp_segment(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const DecodedPacket& p) {
  const bool syn_before = c.tcp.syn_seen;
  const auto info = tcp::track_segment(c.tcp, dir, ts, p.tcp_flags, p.tcp_seq, p.tcp_ack, p.tcp_window,
                                       p.tcp_payload_len);
  if ((p.tcp_flags & tcp::kSyn) && !(p.tcp_flags & tcp::kAck)) {
    learn_client(c, dir);
    c.client = dir;  // a SYN names the client, whatever came before
    tcp::Reassembler::start(c.stream[dir], p.tcp_seq);
    if (!syn_before || c.tcp.syns == 1) schedule(index, ts + seconds(cfg.anomalies.ws_connect_failed.syn_timeout_s), Due::SynAnswer);
  } else if ((p.tcp_flags & tcp::kSyn) && (p.tcp_flags & tcp::kAck)) {
    learn_client(c, dir ^ 1);
    tcp::Reassembler::start(c.stream[dir], p.tcp_seq);
  } else {
    learn_client(c, dir);
  }
  if (info.retransmission) ++ctr.tcp_retransmissions;
  if (info.reset && c.protocol == FlowClass::Websocket && engine.enabled(AnomalyKind::ws_connect_failed) &&
      c.tcp.established_ts == 0) {
    // Refused (RST to the SYN) or reset before the handshake completed.
    const Conn& cc = c;
    engine.event(AnomalyKind::ws_connect_failed, client_subject(cc), ts, 1, 1, [&](char* b, size_t n) {
      std::snprintf(b, n, "connection %s by the %s", c.tcp.syn_seen && c.tcp.synack_ts == 0 ? "refused" : "reset",
                    dir == c.client ? "client" : "server");
    });
  }
}

void SignallingAnalyzer::Impl::check_syn(Conn& c, Nanos now) {
  if (c.protocol != FlowClass::Websocket || c.tcp.state != tcp::TcpState::SynSent) return;
  const double s = static_cast<double>(elapsed(now, c.tcp.syn_ts)) / 1e9;
  if (s < cfg.anomalies.ws_connect_failed.syn_timeout_s) return;
  engine.hold(c.connect_failed, AnomalyKind::ws_connect_failed, client_subject(c), c.tcp.syn_ts, now, s,
              cfg.anomalies.ws_connect_failed.syn_timeout_s, [&](char* b, size_t n) {
                std::snprintf(b, n, "SYN unanswered for %.1f s (%u sent)", s, c.tcp.syns);
              });
}

void SignallingAnalyzer::Impl::due(uint32_t index, Due what, Nanos now) {
  Conn& c = conns[index];
  switch (what) {
    case Due::SynAnswer: check_syn(c, now); break;
  }
}

void SignallingAnalyzer::advance(Nanos now) {
  Impl& m = *impl_;
  while (!m.deadlines.empty() && m.deadlines.front().at <= now) {
    std::pop_heap(m.deadlines.begin(), m.deadlines.end(), std::greater<>{});
    const Impl::Deadline d = m.deadlines.back();
    m.deadlines.pop_back();
    if (m.conns[d.conn].gen == d.gen && !m.conns[d.conn].reported) m.due(d.conn, d.what, d.at);
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

void SignallingAnalyzer::Impl::report(Conn& c) {
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

void SignallingAnalyzer::close(uint32_t conn, Nanos last_ts, bool expired) {
  Impl& m = *impl_;
  Conn& c = m.conns[conn];
  if (last_ts > c.last_ts) c.last_ts = last_ts;
  // A SYN sent again until the client gave up: judged on its own packets (advance() judged the
  // deadline if packet time reached it).
  (void)expired;
  if (c.l4 == L4::Tcp && c.tcp.state == tcp::TcpState::SynSent) m.check_syn(c, c.last_ts);
  m.engine.clear(c.connect_failed, AnomalyKind::ws_connect_failed, m.client_subject(c), c.last_ts, 0,
                 m.cfg.anomalies.ws_connect_failed.syn_timeout_s, "connection ended");
  m.report(c);
  c.reported = true;
  m.reasm.release(c.stream[0]);
  m.reasm.release(c.stream[1]);
  m.conns.release(conn);
}

}  // namespace wcstap
