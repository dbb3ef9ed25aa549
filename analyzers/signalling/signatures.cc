// The user's signatures (config `signatures:`) on the traffic: datagrams of UDP flows whose ports
// a signature names (block mode), and the byte streams of the TCP connections signalling follows
// (streaming mode, so a pattern split across segments still matches). A match is a
// signature_match event with the signature's own severity; its detail names the signature, never
// the bytes that matched (they may be a secret).
#include "signalling/signalling_impl.h"

namespace wcstap::sig {

void Engine::signature_hit(uint32_t id, L4 l4, const Endpoint& src, const Endpoint& dst, Nanos ts) {
  if (id < kFirstUserSignatureId) return;  // the built-ins recognise protocols: not events
  const Signature* sg = signatures->find(id);
  if (sg == nullptr) return;
  // Once per (flow direction, signature) per refresh interval.
  uint64_t key = fnv1a(Bytes(src.addr.data(), 16), id);
  key = fnv1a(Bytes(dst.addr.data(), 16), key ^ (uint64_t{src.port} << 16 | dst.port));
  auto& seen = signature_seen[key % signature_seen.size()];
  if (seen.first == key && elapsed(ts, seen.second) < seconds(cfg.anomalies.refresh_interval_s)) {
    ++ctr.signature_repeats;
    return;
  }
  seen = {key, ts};
  ++ctr.signature_matches;
  AnomalySubject s;
  s.l4 = l4;
  s.src = src;
  s.dst = dst;
  AnomalySlot once;
  engine.hold(once, AnomalyKind::signature_match, s, ts, ts, id, 0,
              [&](char* b, size_t n) { std::snprintf(b, n, "signature %u '%.80s' matched", id, sg->name.c_str()); },
              sg->severity);
  engine.clear(once, AnomalyKind::signature_match, s, ts, id, 0, "event");
}

void Engine::signature_datagram(const DecodedPacket& p, Nanos ts) {
  signatures->scan_block(p.l4_payload, p.src.port, p.dst.port,
                         [&](uint32_t id, uint64_t) { signature_hit(id, p.l4, p.src, p.dst, ts); });
}

// In-order bytes as they come: a retransmission was scanned already; after a hole the stream
// starts over (a match across the hole is lost, counted).
void Engine::signature_segment(Conn& c, uint8_t dir, Nanos ts, const DecodedPacket& p, const tcp::TcpSegmentInfo& info) {
  if (info.retransmission || c.sig_refused[dir]) return;
  SignatureStream& st = c.sig_stream[dir];
  const Endpoint& src = c.ep[dir];
  const Endpoint& dst = c.ep[dir ^ 1];
  const auto hit = [&](uint32_t id, uint64_t) { signature_hit(id, L4::Tcp, src, dst, ts); };
  if (!st.valid()) {
    st = signatures->open_stream();
    if (!st.valid()) {
      c.sig_refused[dir] = true;
      return;
    }
  } else if (info.out_of_order) {
    ++ctr.signature_stream_restarts;
    signatures->restart_stream(st, hit);
  }
  signatures->scan_stream(st, p.l4_payload, src.port, dst.port, hit);
}

void Engine::signature_close(Conn& c, Nanos ts) {
  for (uint8_t dir = 0; dir < 2; ++dir) {
    if (!c.sig_stream[dir].valid()) continue;
    const Endpoint& src = c.ep[dir];
    const Endpoint& dst = c.ep[dir ^ 1];
    signatures->close_stream(c.sig_stream[dir], [&](uint32_t id, uint64_t) { signature_hit(id, L4::Tcp, src, dst, ts); });
  }
}

}  // namespace wcstap::sig
