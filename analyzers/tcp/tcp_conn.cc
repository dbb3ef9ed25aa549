#include "tcp/tcp_conn.h"

namespace wcstap::tcp {

const char* tcp_state_name(TcpState s) {
  switch (s) {
    case TcpState::None: return "none";
    case TcpState::SynSent: return "syn_sent";
    case TcpState::SynReceived: return "syn_received";
    case TcpState::Established: return "established";
    case TcpState::Closing: return "closing";
    case TcpState::Closed: return "closed";
    case TcpState::Reset: return "reset";
  }
  return "none";
}

namespace {

double ms_between(Nanos from, Nanos to) { return static_cast<double>(elapsed(to, from)) / 1e6; }

// The other side's ACK covers the sample this side has outstanding: one round trip measured.
void take_rtt_sample(TcpDirection& d, uint32_t ack, Nanos ts) {
  if (d.rtt_sent == 0 || !seq_le(d.rtt_end, ack)) return;
  const double ms = ms_between(d.rtt_sent, ts);
  ++d.rtt_samples;
  d.rtt_sum_ms += ms;
  if (ms > d.rtt_max_ms) d.rtt_max_ms = ms;
  d.rtt_sent = 0;
}

}  // namespace

TcpSegmentInfo track_segment(TcpConn& c, uint8_t dir, Nanos ts, uint8_t flags, uint32_t seq, uint32_t ack,
                             uint16_t window, uint32_t len) {
  TcpSegmentInfo info;
  TcpDirection& me = c.dir[dir];
  TcpDirection& peer = c.dir[dir ^ 1];
  const bool syn = flags & kSyn, has_ack = flags & kAck;

  if (flags & kRst) {
    // An RST out of the window would be ignored by the receiver; a tap cannot check that
    // reliably (it may have missed segments), so every RST counts.
    c.state = TcpState::Reset;
    c.rst_from = dir;
    c.rst_ts = ts;
    info.reset = true;
    return info;
  }

  if (syn && !has_ack) {
    // A SYN after a finished connection on the same 5-tuple starts it again.
    const bool again = c.syn_seen && c.client == dir && me.seq_known && seq == me.next_seq - 1 &&
                       c.state == TcpState::SynSent;
    if (!again) {
      c = TcpConn{};
      c.syn_seen = true;
      c.client = dir;
      c.syn_ts = ts;
      c.state = TcpState::SynSent;
    } else {
      info.syn_again = true;
    }
    if (c.syns < UINT8_MAX) ++c.syns;
    c.dir[dir].seq_known = true;
    c.dir[dir].next_seq = seq + 1;
    return info;
  }
  if (syn && has_ack) {
    if (c.state == TcpState::SynSent && dir != c.client) {
      c.state = TcpState::SynReceived;
      c.synack_ts = ts;
      c.syn_rtt_ms = ms_between(c.syn_ts, ts);
    } else if (!c.syn_seen) {
      c.client = dir ^ 1;  // the SYN was missed: the other side is the client
      c.state = TcpState::SynReceived;
      c.synack_ts = ts;
    }
    me.seq_known = true;
    me.next_seq = seq + 1;
    return info;
  }

  if (has_ack && c.state == TcpState::SynReceived && dir == c.client) {
    c.state = TcpState::Established;
    c.established_ts = ts;
    c.ack_rtt_ms = ms_between(c.synack_ts, ts);
    info.established = true;
  }
  if (has_ack) take_rtt_sample(peer, ack, ts);

  if (!syn && window == 0) {
    if (!me.zero_window) {
      me.zero_window = true;
      ++me.zero_windows;
      info.new_zero_window = true;
    }
  } else {
    me.zero_window = false;
  }

  if (len > 0) {
    ++me.segments;
    const uint32_t end = seq + len;
    if (!me.seq_known) {
      me.seq_known = true;
      me.next_seq = end;
      me.payload_bytes += len;
      me.rtt_end = end;
      me.rtt_sent = ts;
    } else if (seq_le(end, me.next_seq)) {
      // All of it sent before. A 1-byte segment just below the next byte is a keep-alive probe.
      const bool keepalive = len == 1 && seq == me.next_seq - 1;
      if (!keepalive) {
        ++me.retransmits;
        info.retransmission = true;
        me.rtt_sent = 0;
      }
    } else {
      if (seq_lt(seq, me.next_seq)) {  // part old, part new
        ++me.retransmits;
        info.retransmission = true;
        me.rtt_sent = 0;
        me.payload_bytes += end - me.next_seq;
      } else {
        if (seq != me.next_seq) {
          ++me.out_of_order;
          info.out_of_order = true;
        }
        me.payload_bytes += len;
        if (me.rtt_sent == 0 && !info.out_of_order) {
          me.rtt_end = end;
          me.rtt_sent = ts;
        }
      }
      me.next_seq = end;
    }
    // Data both ways with no handshake seen: a connection that was established before the capture.
    if (c.state == TcpState::None && peer.segments > 0) c.state = TcpState::Established;
  }

  if (flags & kFin) {
    if (!me.fin) {
      me.fin = true;
      c.fin_ts = ts;
      me.next_seq = (len > 0 ? seq + len : seq) + 1;
    }
    if (c.state != TcpState::Reset) c.state = peer.fin ? TcpState::Closed : TcpState::Closing;
  }
  return info;
}

}  // namespace wcstap::tcp
