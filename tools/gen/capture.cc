#include "capture.h"

#include <algorithm>
#include <stdexcept>

#include "packet_writer.h"
#include "srtp_session.h"
#include "turn_client.h"

namespace wcsgen {

namespace {
std::uint16_t initial_ip_id(Ipv4Addr a) { return static_cast<std::uint16_t>((a.v * 2654435761u) >> 16); }

// How many routers a remote host's packets cross to the tap: how far their TTL is below the
// smallest usual initial TTL (64, 128, 255) at or above it, as passive OS fingerprinting counts.
// The way to that host is taken to be as long.
std::uint8_t hops_from_ttl(std::uint8_t ttl) {
  const int initial = ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
  return static_cast<std::uint8_t>(initial - ttl);
}

// The datagrams that ICMP errors quote (by Packet::order), their quotes empty until written.
std::map<std::uint64_t, Bytes> quoted_datagrams(const std::vector<Packet>& packets) {
  std::map<std::uint64_t, Bytes> quotes;
  for (const Packet& p : packets)
    if (p.proto == kIpProtoIcmp) quotes.try_emplace(p.icmp.quoted);
  return quotes;
}
}  // namespace

void Capture::add_udp(std::int64_t t_us, const Endpoint& src, const Endpoint& dst, Content c, Bytes payload) {
  Packet p;
  p.t_us = t_us;
  p.order = next_order_++;
  p.src = src;
  p.dst = dst;
  p.proto = kIpProtoUdp;
  p.content = c;
  p.payload = std::move(payload);
  packets_.push_back(std::move(p));
}

void Capture::add_tcp(std::int64_t t_us, const Endpoint& src, const Endpoint& dst, const TcpHeader& h, Content c,
                      Bytes payload) {
  Packet p;
  p.t_us = t_us;
  p.order = next_order_++;
  p.src = src;
  p.dst = dst;
  p.proto = kIpProtoTcp;
  p.tcp = h;
  p.content = c;
  p.payload = std::move(payload);
  packets_.push_back(std::move(p));
}

void Capture::add_icmp_unreachable(std::int64_t t_us, const Packet& datagram, std::uint8_t code) {
  Packet p;
  p.t_us = t_us;
  p.order = next_order_++;
  p.src = Endpoint{datagram.dst.ip, 0};
  p.dst = Endpoint{datagram.src.ip, 0};
  p.proto = kIpProtoIcmp;
  p.icmp = IcmpError{kIcmpDestUnreachable, code, datagram.order};
  p.content = Content::kIcmp;
  packets_.push_back(std::move(p));
}

std::uint32_t sender_ssrc(const Packet& p) {
  const std::size_t at = p.content == Content::kRtcp ? 4 : 8;
  if (p.payload.size() < at + 4) throw std::logic_error("SRTP packet too short for its SSRC");
  return get32(p.payload, at);
}

void Capture::add_srtp(std::int64_t t_us, const Endpoint& src, const Endpoint& dst, Content c, Bytes plain) {
  if (srtp_protected_) throw std::logic_error("SRTP packet added after protect_srtp()");
  add_udp(t_us, src, dst, c, std::move(plain));
  packets_.back().srtp = Srtp::kPending;
}

void Capture::add_srtp_key(std::uint32_t ssrc, Bytes master) {
  for (const SrtpKey& k : srtp_keys_)
    if (k.ssrc == ssrc || k.master == master) throw std::logic_error("SRTP SSRC or master key given twice");
  srtp_keys_.push_back(SrtpKey{ssrc, std::move(master), {}});
}

void Capture::add_sdes_key(std::uint32_t ssrc, Bytes master, Bytes announced) {
  if (announced.empty()) throw std::logic_error("an SDES key without the key its SDP announced");
  add_srtp_key(ssrc, std::move(master));
  srtp_keys_.back().announced = std::move(announced);
}

const SrtpKey* Capture::srtp_key(std::uint32_t ssrc) const {
  for (const SrtpKey& k : srtp_keys_)
    if (k.ssrc == ssrc) return &k;
  return nullptr;
}

void Capture::protect_srtp() {
  sort();
  std::map<std::uint32_t, SrtpSession> senders;
  for (Packet& p : packets_) {
    if (p.srtp != Srtp::kPending) continue;
    const std::uint32_t ssrc = sender_ssrc(p);
    auto it = senders.find(ssrc);
    if (it == senders.end()) {
      const SrtpKey* key = srtp_key(ssrc);
      if (key == nullptr) throw std::logic_error("SRTP packet from an SSRC without a master key");
      it = senders.try_emplace(ssrc, ssrc, key->master).first;
    }
    if (p.content == Content::kRtcp)
      it->second.protect_rtcp(p.payload);
    else
      it->second.protect_rtp(p.payload);
    p.srtp = Srtp::kProtected;
  }
  srtp_protected_ = true;
}

void Capture::relay_turn() {
  for (Packet& p : packets_) {
    if (p.proto != kIpProtoUdp) continue;
    for (const TurnChannel& c : turn_channels_) {
      if (p.src == c.client && p.dst == c.peer) {
        p.dst = c.server;
      } else if (p.src == c.peer && p.dst == c.client) {
        p.src = c.server;
      } else {
        continue;
      }
      p.turn_channel = c.number;
      break;
    }
  }
}

std::size_t Capture::drop_if(const std::function<bool(const Packet&)>& pred) {
  const auto before = packets_.size();
  std::erase_if(packets_, pred);
  return before - packets_.size();
}

std::vector<Packet*> Capture::matching(const std::function<bool(const Packet&)>& pred) {
  std::vector<Packet*> out;
  for (Packet& p : packets_)
    if (pred(p)) out.push_back(&p);
  std::stable_sort(out.begin(), out.end(), [](const Packet* a, const Packet* b) {
    return a->t_us != b->t_us ? a->t_us < b->t_us : a->order < b->order;
  });
  return out;
}

void Capture::sort() {
  std::sort(packets_.begin(), packets_.end(), [](const Packet& a, const Packet& b) {
    return a.t_us != b.t_us ? a.t_us < b.t_us : a.order < b.order;
  });
}

std::uint8_t Capture::remote_ttl(Ipv4Addr host) const {
  auto it = ttl_.find(host);
  return it == ttl_.end() ? kDefaultRemoteTtl : it->second;
}

std::uint64_t Capture::write_pcap(const std::string& path) const {
  PcapWriter writer(path);
  std::map<Ipv4Addr, std::uint16_t> ip_id;
  std::map<std::uint64_t, Bytes> quotes = quoted_datagrams(packets_);
  for (const Packet& p : packets_) {
    const bool outgoing = p.src.ip == local_;
    Ipv4Header ip;
    ip.src = p.src.ip;
    ip.dst = p.dst.ip;
    ip.proto = p.proto;
    ip.ttl = outgoing ? kLocalTtl : remote_ttl(p.src.ip);
    auto [it, fresh] = ip_id.try_emplace(p.src.ip, initial_ip_id(p.src.ip));
    ip.id = it->second++;
    (void)fresh;
    Bytes packet;
    if (p.proto == kIpProtoIcmp) {
      const Bytes& quote = quotes.at(p.icmp.quoted);
      if (quote.empty()) throw std::logic_error("ICMP error written before the datagram it quotes, or without it");
      ip.dont_fragment = false;  // as Linux sends its ICMP errors
      packet = ipv4_packet(ip, icmp_error(p.icmp.type, p.icmp.code, quote));
    } else {
      const Bytes relayed = p.turn_channel != 0 ? turn_channel_data(p.turn_channel, p.payload) : Bytes{};
      const ByteView payload = p.turn_channel != 0 ? ByteView(relayed) : ByteView(p.payload);
      const Bytes l4 = p.proto == kIpProtoTcp ? tcp_segment(p.src, p.dst, p.tcp, payload)
                                              : udp_datagram(p.src, p.dst, payload);
      packet = ipv4_packet(ip, l4);
      // Quoted as it reached its destination: across as many routers as that host's packets cross.
      if (auto q = quotes.find(p.order); q != quotes.end())
        q->second = icmp_quote(packet, p.dst.ip == local_ ? 0 : hops_from_ttl(remote_ttl(p.dst.ip)));
    }
    const Bytes frame = ethernet_frame(outgoing ? kGatewayMac : kServerMac, outgoing ? kServerMac : kGatewayMac,
                                       kEtherTypeIpv4, packet);
    writer.write(p.t_us, frame);
  }
  writer.close();
  return writer.frames();
}

}  // namespace wcsgen
