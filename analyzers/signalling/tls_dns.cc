// TLS on signalling and HTTPS ports (what a tap reads without keys: hellos, the TLS 1.2 server
// certificate, plaintext alerts) -> tls_failure for an alert, a handshake that ends before both
// sides encrypt, or a certificate close to expiry. DNS: queries matched to answers per client and
// server -> dns_failure for NXDOMAIN/SERVFAIL/REFUSED, no answer, or a slow answer.
#include "signalling/signalling_impl.h"

namespace wcstap::sig {

size_t Engine::tls_stream(Conn& c, uint8_t dir, Nanos ts, Bytes b) {
  if (c.tls_done) return b.size();
  if (c.tls_state == kNoIndex) {
    c.tls_state = tls_states.alloc();
    if (c.tls_state == kNoIndex) {
      ++ctr.signalling_table_full;
      c.tls_done = true;  // not followed
      return b.size();
    }
  }
  TlsState& t = tls_states[c.tls_state];
  if (!t.reader[dir]) {
    const uint32_t slot = tls_buffers.alloc();
    if (slot == kNoIndex) {
      ++ctr.tcp_stream_no_memory;
      c.lost[dir] = true;
      return b.size();
    }
    t.buffer[dir] = slot;
    t.reader[dir].emplace(std::span<uint8_t>(tls_memory.get() + size_t{slot} * kTlsBuffer, kTlsBuffer));
  }
  tls::DirectionReader& r = *t.reader[dir];
  r.feed(b);
  tls::Item it;
  for (;;) {
    const tls::Status st = r.next(it);
    if (st == tls::Status::Incomplete) break;
    if (st == tls::Status::Invalid) {
      ++ctr.tls_malformed;
      c.lost[dir] = true;
      break;
    }
    tls_item(c, t, dir, ts, it);
    if (c.tls_state == kNoIndex) return b.size();  // released: the handshake is over
  }
  return b.size();
}

void Engine::tls_item(Conn& c, TlsState& t, uint8_t dir, Nanos ts, const tls::Item& it) {
  const auto fail = [&](Nanos at, auto&& words) {
    t.failed = true;
    ++c.ev.errors;
    engine.event(AnomalyKind::tls_failure, client_subject(c), at, 1, 1, words);
  };
  switch (it.kind) {
    case tls::ItemKind::Handshake:
      if (it.message.skipped) break;
      if (it.message.type == tls::kClientHello) {
        tls::ClientHello ch;
        if (tls::parse_client_hello(it.message.body, ch)) {
          t.client_hello = c.tls_client_hello = true;
          ++ctr.tls_handshakes;
          if (ch.has_sni && !ch.sni.empty()) set_text(c.ev.id, ch.sni);
        }
      } else if (it.message.type == tls::kServerHello) {
        tls::ServerHello sh;
        if (tls::parse_server_hello(it.message.body, sh) && !sh.hello_retry_request) {
          t.server_hello = true;
          c.ev.tls_version = sh.version;
          if (t.reader[dir ^ 1]) t.reader[dir ^ 1]->set_version(sh.version);
        }
      } else if (it.message.type == tls::kCertificate && dir != c.client) {
        tls::CertificateInfo cert;
        if (certificates.parse(it.message.body, cert) == tls::CertStatus::Ok) {
          set_text(c.ev.detail, cert.subject_cn.data());
          const int64_t now_s = static_cast<int64_t>(ts / 1'000'000'000);
          const int64_t days = tls::days_to_expiry(cert, now_s);
          if (days < static_cast<int64_t>(cfg.anomalies.tls_failure.expiry_days)) {
            fail(ts, [&](char* w, size_t n) {
              if (days < 0)
                std::snprintf(w, n, "server certificate CN=%.40s expired %lld days ago", cert.subject_cn.data(),
                              static_cast<long long>(-days));
              else
                std::snprintf(w, n, "server certificate CN=%.40s expires in %lld days", cert.subject_cn.data(),
                              static_cast<long long>(days));
            });
          }
        }
      }
      break;
    case tls::ItemKind::Alert:
      fail(ts, [&](char* w, size_t n) {
        std::snprintf(w, n, "%s alert %s (%u) from the %s", tls::alert_level_name(it.alert_level),
                      tls::alert_name(it.alert_description), it.alert_description, dir == c.client ? "client" : "server");
      });
      break;
    case tls::ItemKind::ChangeCipherSpec:
    case tls::ItemKind::EncryptedHandshake:
    case tls::ItemKind::ApplicationData:
    case tls::ItemKind::EncryptedAlert:
      break;
    default:
      break;
  }
  for (uint8_t d = 0; d < 2; ++d)
    if (t.reader[d] && t.reader[d]->plaintext_over()) t.encrypted[d] = true;
  if (t.encrypted[0] && t.encrypted[1]) {
    c.tls_done = true;
    tls_release(c);
  }
}

void Engine::tls_release(Conn& c) {
  if (c.tls_state == kNoIndex) return;
  TlsState& t = tls_states[c.tls_state];
  for (uint8_t d = 0; d < 2; ++d)
    if (t.buffer[d] != kNoIndex) tls_buffers.release(t.buffer[d]);
  tls_states.release(c.tls_state);
  c.tls_state = kNoIndex;
}

// The connection ends (FIN, RST, idle) with a handshake begun and not over: aborted.
void Engine::tls_end(Conn& c, Nanos ts, bool reset) {
  if (c.tls_state == kNoIndex) return;
  TlsState& t = tls_states[c.tls_state];
  // TLS 1.3 encrypts the rest of its handshake: a ServerHello is as far as a tap can follow it.
  const bool tls13 = t.server_hello && tls::version_is_tls13(c.ev.tls_version);
  if (t.client_hello && !c.tls_done && !t.failed && !tls13) {
    t.failed = true;
    ++c.ev.errors;
    engine.event(AnomalyKind::tls_failure, client_subject(c), ts, 1, 1, [&](char* w, size_t n) {
      std::snprintf(w, n, "TLS handshake %s before it completed (%s)", reset ? "reset" : "closed",
                    t.server_hello ? "after the ServerHello" : "no ServerHello");
    });
  }
  tls_release(c);
}

// ---- DNS -----------------------------------------------------------------------------------------

void Engine::dns_message(L4 l4, const Endpoint& src, const Endpoint& dst, Nanos ts, Bytes msg) {
  if (dns::parse_dns(msg, dns_msg) != dns::DnsError::None && !dns_msg.has_question) {
    ++ctr.dns_malformed;
    return;
  }
  ++ctr.dns_messages;
  const dns::DnsMessage& m = dns_msg;
  const Endpoint& client = m.qr ? dst : src;
  const Endpoint& server = m.qr ? src : dst;
  uint64_t key = fnv1a(Bytes(client.addr.data(), 16));
  key = fnv1a(Bytes(server.addr.data(), 16), key);
  bool created;
  const uint32_t i = keyed_record(dns, dns_ids, key, created);
  if (i == kNoIndex) return;
  if (created) {
    DnsSummary& d = dns[i];
    d.gen = next_gen++;
    d.live = true;
    d.key = key;
    d.client = client;
    d.server = server;
    d.l4 = l4;
    d.first_ts = ts;
    d.last_ts = ts;
    schedule(i, d.gen, ts + dialog_idle, Due::DnsIdle);
  }
  DnsSummary& d = dns[i];
  if (ts > d.last_ts) d.last_ts = ts;
  const uint64_t name = fnv1a(Bytes(reinterpret_cast<const uint8_t*>(m.qname.data()), strnlen(m.qname.data(), m.qname.size())),
                              m.qtype);
  if (!m.qr) {
    ++d.ev.requests;
    set_text(d.ev.id, m.qname.data());
    // A query sent again (same id and name) keeps its first time.
    for (const auto& p : d.pending)
      if (p.used && p.id == m.id && p.name == name) return;
    uint8_t slot = 0;
    for (uint8_t k = 0; k < d.pending.size(); ++k) {
      if (!d.pending[k].used) {
        slot = k;
        break;
      }
      if (d.pending[k].ts < d.pending[slot].ts) slot = k;  // all taken: the oldest goes
    }
    auto& p = d.pending[slot];
    p = DnsSummary::Pending{};
    p.used = true;
    p.id = m.id;
    p.ts = ts;
    p.name = name;
    p.qtype = m.qtype;
    p.client_port = client.port;
    set_text(p.qname, m.qname.data());
    schedule(i, d.gen, ts + seconds(cfg.anomalies.dns_failure.timeout_s), Due::DnsAnswer, slot);
    return;
  }
  ++d.ev.responses;
  for (auto& p : d.pending) {
    if (!p.used || p.id != m.id || p.name != name) continue;
    p.used = false;
    const double ms = ms_between(p.ts, ts);
    ++d.answered;
    d.sum_ms += ms;
    d.ev.max_ms = std::max(d.ev.max_ms, ms);
    if (p.timed_out) return;  // a late answer to a query already reported unanswered
    const uint16_t rc = m.rcode_full();
    set_text(d.ev.state, dns::rcode_name(rc));
    d.ev.status = rc;
    AnomalySubject s;
    s.l4 = d.l4;
    s.src = d.client;
    s.src.port = p.client_port;  // the query's flow
    s.dst = d.server;
    const bool bad = rc == dns::rcode::kServFail || rc == dns::rcode::kNxDomain || rc == dns::rcode::kRefused;
    if (bad) {
      ++d.ev.errors;
      engine.event(AnomalyKind::dns_failure, s, ts, rc, 0, [&](char* w, size_t n) {
        std::snprintf(w, n, "%s %.48s: %s after %.0f ms", dns::qtype_name(p.qtype), p.qname, dns::rcode_name(rc), ms);
      });
    } else if (ms > cfg.anomalies.dns_failure.slow_ms) {
      AnomalySlot once;
      engine.hold(once, AnomalyKind::dns_failure, s, p.ts, ts, ms, cfg.anomalies.dns_failure.slow_ms,
                  [&](char* w, size_t n) {
                    std::snprintf(w, n, "%s %.48s: slow answer, %.0f ms", dns::qtype_name(p.qtype), p.qname, ms);
                  },
                  Severity::Minor);
      engine.clear(once, AnomalyKind::dns_failure, s, ts, ms, cfg.anomalies.dns_failure.slow_ms, "event");
    }
    return;
  }
}

// A query with no answer by the timeout.
void Engine::dns_check(uint32_t index, uint8_t slot, Nanos now) {
  DnsSummary& d = dns[index];
  auto& p = d.pending[slot];
  const Nanos limit = seconds(cfg.anomalies.dns_failure.timeout_s);
  if (!p.used || p.timed_out || elapsed(now, p.ts) < limit) return;
  p.timed_out = true;  // resends of it (same id and name) and a late answer still belong to it
  ++d.ev.errors;
  set_text(d.ev.state, "timeout");
  AnomalySubject s;
  s.l4 = d.l4;
  s.src = d.client;
  s.src.port = p.client_port;  // the query's flow
  s.dst = d.server;
  AnomalySlot once;
  const double waited = static_cast<double>(elapsed(now, p.ts)) / 1e9;
  engine.hold(once, AnomalyKind::dns_failure, s, p.ts, now, waited, cfg.anomalies.dns_failure.timeout_s,
              [&](char* w, size_t n) {
                std::snprintf(w, n, "%s %.48s: no answer in %.1f s", dns::qtype_name(p.qtype), p.qname, waited);
              });
  engine.clear(once, AnomalyKind::dns_failure, s, now, waited, cfg.anomalies.dns_failure.timeout_s, "event");
}

void Engine::dns_idle(uint32_t index, Nanos now) {
  idle_check(dns[index], index, now, Due::DnsIdle, [&](uint32_t i) { dns_report(i); });
}

void Engine::dns_report(uint32_t index) {
  DnsSummary& d = dns[index];
  d.ev.setup_ms = d.answered ? d.sum_ms / d.answered : 0;
  retire(d, dns, dns_ids, index, SignallingKind::Dns, FlowClass::Dns, d.l4, d.client, d.server, d.first_ts, d.last_ts);
}

// DNS over TCP (RFC 1035 4.2.2): each message after a 2-byte length.
size_t Engine::dns_stream(Conn& c, uint8_t dir, Nanos ts, Bytes b) {
  size_t used = 0;
  while (used < b.size()) {
    Bytes msg;
    size_t consumed = 0;
    const dns::FrameStatus st = dns::tcp_frame(b.subspan(used), msg, consumed);
    if (st == dns::FrameStatus::Incomplete) return used;
    if (st == dns::FrameStatus::Invalid) {
      ++ctr.dns_malformed;
      c.lost[dir] = true;
      return b.size();
    }
    dns_message(L4::Tcp, c.ep[dir], c.ep[dir ^ 1], ts, msg);
    used += consumed;
  }
  return used;
}

}  // namespace wcstap::sig
