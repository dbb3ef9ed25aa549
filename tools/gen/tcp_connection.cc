#include "tcp_connection.h"

#include <algorithm>

namespace wcsgen {

namespace {
constexpr std::size_t kMss = 1460;
constexpr std::uint16_t kWindow = 64240;
constexpr std::int64_t kSegmentGapUs = 15;  // back-to-back segments of one write

Bytes syn_options() {
  // MSS 1460, NOP, NOP, SACK permitted.
  return Bytes{0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02};
}
}  // namespace

TcpConnection::TcpConnection(Capture& cap, const Endpoint& client, const Endpoint& server, std::int64_t rtt_us,
                             Rng& rng, Side local)
    : cap_(cap), rng_(rng), rtt_us_(rtt_us), local_(local) {
  client_.self = client;
  server_.self = server;
  client_.isn = client_.nxt = rng.u32();
  server_.isn = server_.nxt = rng.u32();
}

std::uint32_t TcpConnection::ack_value(Side from, std::int64_t t_us) const {
  // What `from` has received of the peer's stream by tap time t_us.
  const Dir& peer = from == Side::kClient ? server_ : client_;
  const std::int64_t horizon = from != local_ ? t_us - rtt_us_ : t_us;
  std::uint32_t v = peer.isn;
  for (const auto& [t, nxt] : peer.sent)
    if (t <= horizon) v = nxt;
  return v;
}

void TcpConnection::segment(Side from, std::int64_t t_us, std::uint8_t flags, ByteView payload, Content content) {
  Dir& d = dir(from);
  TcpHeader h;
  h.seq = d.nxt;
  h.flags = flags;
  h.window = kWindow;
  if (flags & tcpflag::kSyn) h.options = syn_options();
  if (flags & tcpflag::kAck) {
    h.ack = ack_value(from, t_us);
    d.last_ack = h.ack;
    d.acked_anything = true;
  }
  d.nxt += static_cast<std::uint32_t>(payload.size());
  if (flags & (tcpflag::kSyn | tcpflag::kFin)) d.nxt += 1;
  d.sent.emplace_back(t_us, d.nxt);
  cap_.add_tcp(t_us, d.self, from == Side::kClient ? server_.self : client_.self, h, content,
               Bytes(payload.begin(), payload.end()));
}

std::int64_t TcpConnection::open(std::int64_t t_us) {
  segment(Side::kClient, t_us, tcpflag::kSyn, {}, Content::kTcpControl);
  if (local_ == Side::kClient) {  // the SYN-ACK comes back an RTT later; the ACK leaves at once
    const std::int64_t t_synack = t_us + rtt_us_ + rng_.range(50, 400);
    segment(Side::kServer, t_synack, tcpflag::kSyn | tcpflag::kAck, {}, Content::kTcpControl);
    const std::int64_t t_ack = t_synack + rng_.range(40, 150);
    segment(Side::kClient, t_ack, tcpflag::kAck, {}, Content::kTcpControl);
    return t_ack;
  }
  const std::int64_t t_synack = t_us + rng_.range(40, 150);
  segment(Side::kServer, t_synack, tcpflag::kSyn | tcpflag::kAck, {}, Content::kTcpControl);
  const std::int64_t t_ack = t_synack + rtt_us_ + rng_.range(50, 400);
  segment(Side::kClient, t_ack, tcpflag::kAck, {}, Content::kTcpControl);
  return t_ack;
}

void TcpConnection::queue_send(Side from, std::int64_t t_us, Bytes data, Content content) {
  queue_.emplace(t_us, Event{from, false, std::move(data), content});
}

std::int64_t TcpConnection::send_now(Side from, std::int64_t t_us, ByteView data, Content content) {
  std::int64_t t = t_us;
  for (std::size_t off = 0; off < data.size(); off += kMss) {
    const std::size_t n = std::min(kMss, data.size() - off);
    const bool last = off + n == data.size();
    segment(from, t, static_cast<std::uint8_t>(tcpflag::kAck | (last ? tcpflag::kPsh : 0)), data.subspan(off, n),
            content);
    if (!last) t += kSegmentGapUs + rng_.range(0, 10);
  }
  return t;
}

std::int64_t TcpConnection::ack_delay(Side receiver) {
  // The server's ACK leaves shortly after the data reached the tap; the
  // client's ACK reaches the tap one RTT after the data left.
  return receiver == local_ ? rng_.range(30, 300) : rtt_us_ + rng_.range(100, 1500);
}

void TcpConnection::run() {
  while (!queue_.empty()) {
    auto node = queue_.extract(queue_.begin());
    const std::int64_t t = node.key();
    Event& ev = node.mapped();
    if (ev.is_ack) {
      Dir& d = dir(ev.from);
      if (!d.acked_anything || ack_value(ev.from, t) != d.last_ack)
        segment(ev.from, t, tcpflag::kAck, {}, Content::kTcpControl);
      continue;
    }
    const std::int64_t t_last = send_now(ev.from, t, ev.data, ev.content);
    const Side receiver = ev.from == Side::kClient ? Side::kServer : Side::kClient;
    queue_.emplace(t_last + ack_delay(receiver), Event{receiver, true, {}, Content::kTcpControl});
  }
}

std::int64_t TcpConnection::close(Side first, std::int64_t t_us) {
  run();
  const Side second = first == Side::kClient ? Side::kServer : Side::kClient;
  const std::uint8_t fin_ack = tcpflag::kFin | tcpflag::kAck;
  // A FIN never precedes a segment its sender already sent (e.g. a delayed ACK).
  auto after_last = [this](Side s, std::int64_t t) {
    const Dir& d = dir(s);
    return d.sent.empty() ? t : std::max(t, d.sent.back().first + rng_.range(20, 100));
  };
  const std::int64_t t1 = after_last(first, t_us);
  segment(first, t1, fin_ack, {}, Content::kTcpControl);
  // The second FIN: immediately from the tapped host, or one RTT later from the remote one.
  const std::int64_t t2 =
      after_last(second, t1 + (second == local_ ? rng_.range(50, 300) : rtt_us_ + rng_.range(100, 800)));
  segment(second, t2, fin_ack, {}, Content::kTcpControl);
  const std::int64_t t3 = t2 + (first == local_ ? rng_.range(30, 200) : rtt_us_ + rng_.range(100, 800));
  segment(first, t3, tcpflag::kAck, {}, Content::kTcpControl);
  return t3;
}

}  // namespace wcsgen
