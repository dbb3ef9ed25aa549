// SIP (RFC 3261) as a tap follows it: dialogs and registrations by Call-ID, each with its current
// client transaction (CSeq number and method), whose fate decides sip_failure (ANOMALIES.md #20):
// a final 4xx/5xx/6xx, except a first 401/407 challenge (a request without credentials) and a
// 487 after the caller's CANCEL; a 401/407 to a request that carried credentials is a failure;
// an INVITE or other request with no answer at all within Timer B (32 s).
#include "signalling/signalling_impl.h"

namespace wcstap::sig {

namespace {

bool all_line_ends(Bytes b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == '\r' || c == '\n'; });
}

}  // namespace

SipDialog* Engine::sip_dialog(Bytes call_id, L4 l4, const Endpoint& src, const Endpoint& dst, Nanos ts, bool request) {
  const uint64_t key = fnv1a(call_id);
  bool created;
  const uint32_t i = keyed_record(dialogs, dialog_ids, key, created);
  if (i == kNoIndex) return nullptr;
  if (!created) return &dialogs[i];
  SipDialog& d = dialogs[i];
  d.gen = next_gen++;
  d.live = true;
  d.key = key;
  d.l4 = l4;
  // A response first (the capture began mid-transaction): its receiver is the client.
  d.client = request ? src : dst;
  d.server = request ? dst : src;
  d.first_ts = d.last_ts = ts;
  set_text(d.ev.id, view(call_id));
  schedule(i, d.gen, ts + dialog_idle, Due::SipIdle);
  return &d;
}

void Engine::sip_message(L4 l4, const Endpoint& src, const Endpoint& dst, Nanos ts, Bytes msg) {
  if (all_line_ends(msg)) return;  // a keep-alive (RFC 5626)
  if (parse_sip(msg, sip) != TextStatus::Complete || sip.call_id.empty() || !sip.has_cseq) {
    ++ctr.sip_malformed;
    return;
  }
  ++ctr.sip_messages;
  SipDialog* d = sip_dialog(sip.call_id, l4, src, dst, ts, sip.is_request);
  if (d == nullptr) return;
  if (ts > d->last_ts) d->last_ts = ts;
  if (sip.body_is_sdp && !sip.body.empty() && note_sdp(sip.body, ts, d->key, d->ev.id)) sip_sdp(*d, src, ts);
  if (sip.is_request)
    sip_request(*d, sip, ts);
  else
    sip_response(*d, sip, ts);
}

void Engine::sip_request(SipDialog& d, const SipMessage& m, Nanos ts) {
  ++d.ev.requests;
  if (d.opened_by == SipMethod::Other) {
    d.opened_by = m.method;
    set_text(d.ev.name, view(m.method_text));
  }
  if (m.method == SipMethod::Ack) {
    // The ACK of an answered INVITE: media should flow both ways from here.
    if (d.confirmed && d.ack_ts == 0) {
      d.ack_ts = ts;
      const uint32_t index = static_cast<uint32_t>(&d - &dialogs[0]);
      schedule(index, d.gen, ts + seconds(cfg.anomalies.sip_rtp_mismatch.no_rtp_s), Due::SipRtp);
    }
    return;
  }
  if (m.method == SipMethod::Cancel) {
    if (m.cseq == d.cseq) d.cancelled = true;
    return;
  }
  if (m.cseq == d.cseq && m.method == d.method && d.request_ts != 0) {  // sent again
    ++d.ev.retransmits;
    return;
  }
  d.cseq = m.cseq;
  d.method = m.method;
  d.request_ts = ts;
  d.answered = d.final = d.cancelled = false;
  d.credentials = m.has_authorization || m.has_proxy_authorization;
  const uint32_t index = static_cast<uint32_t>(&d - &dialogs[0]);
  schedule(index, d.gen, ts + seconds(cfg.anomalies.sip_failure.timer_b_s), Due::SipTransaction);
}

void Engine::sip_response(SipDialog& d, const SipMessage& m, Nanos ts) {
  ++d.ev.responses;
  // Only the current transaction's answers count; CANCEL's own answers say nothing of the call.
  if (m.cseq != d.cseq || m.cseq_method != d.method || d.request_ts == 0) return;
  const uint16_t code = m.status_code;
  if (code < 200) {
    d.answered = true;
    return;
  }
  if (d.final) return;  // a final answer sent again
  d.answered = d.final = true;
  d.last_final = code;
  set_text(d.ev.detail, view(m.reason));
  const double ms = ms_between(d.request_ts, ts);
  if (d.ev.setup_ms == 0) d.ev.setup_ms = ms;
  d.ev.max_ms = std::max(d.ev.max_ms, ms);
  if (code < 300) {
    if (d.method == SipMethod::Invite) d.confirmed = true;
    if (d.method == SipMethod::Bye) d.terminated = true;
    d.failed = false;
    return;
  }
  if (code < 400) return;  // redirections: the client tries elsewhere
  if ((code == 401 || code == 407) && !d.credentials) return;  // a challenge, answered with credentials next
  if (code == 487 && d.cancelled) return;  // the caller hung up before the answer: the normal ending
  char why[96];
  std::snprintf(why, sizeof why, "%s%s answered %u %.*s", sip_method_name(d.method),
                (code == 401 || code == 407) ? " with credentials" : "", code,
                static_cast<int>(std::min<size_t>(m.reason.size(), 48)), reinterpret_cast<const char*>(m.reason.data()));
  sip_failure(d, ts, code, why);
}

void Engine::sip_failure(SipDialog& d, Nanos ts, uint16_t status, std::string_view why) {
  d.failed = true;
  ++d.ev.errors;
  AnomalySubject s = sip_subject(d);
  engine.event(AnomalyKind::sip_failure, s, ts, status, 400, [&](char* b, size_t n) {
    std::snprintf(b, n, "%.*s (Call-ID %.40s)", static_cast<int>(why.size()), why.data(), d.ev.id);
  });
}

// An SDP in the dialog: the media address its author receives on. nat_address_mismatch (ANOMALIES.md
// #25) when that is a private address while the author itself speaks from a public one: behind NAT,
// it named an address the other side cannot reach.
void Engine::sip_sdp(SipDialog& d, const Endpoint& src, Nanos ts) {
  const uint8_t side = src.addr == d.client.addr ? 0 : 1;
  for (uint8_t i = 0; i < sdp.media_count; ++i) {
    const SdpMedia& m = sdp.media[i];
    Endpoint at;
    if (m.port == 0 || (m.type != SdpMediaType::Audio && m.type != SdpMediaType::Video) || !sdp_media_endpoint(sdp, m, at))
      continue;
    d.sdp_media[side] = at;
    if (!d.nat_judged[side] && is_private_address(at) && !is_private_address(src)) {
      d.nat_judged[side] = true;
      AnomalySubject s;
      s.l4 = d.l4;
      s.src = src;
      s.dst = side == 0 ? d.server : d.client;
      char a[48];
      format_address(at, a, sizeof a);
      engine.event(AnomalyKind::nat_address_mismatch, s, ts, 0, 0, [&](char* b, size_t n) {
        std::snprintf(b, n, "SIP SDP names private media address %.40s, sent from a public address (behind NAT)", a);
      });
    }
    break;
  }
}

// sip_rtp_mismatch (ANOMALIES.md #21): the call was answered and acknowledged, and after no_rtp_s
// RTP has not reached the media address one side's SDP named, or reached it from an address the
// other side's SDP did not name. No RTP is awaited where the SDPs agreed it would not flow (the
// receiver said sendonly or inactive, the sender recvonly or inactive: a call on hold). Not judged
// when the call's RTP may be analysed by another worker (media_elsewhere): not seeing it proves nothing.
void Engine::sip_check_rtp(uint32_t index, Nanos now) {
  SipDialog& d = dialogs[index];
  if (d.terminated || d.ack_ts == 0 || expectations == nullptr || media_elsewhere) return;
  for (uint8_t k = 0; k < 2; ++k) {
    const Endpoint& at = d.sdp_media[k];
    if (at.family == 0) continue;
    const MediaExpectation* e = expectations->find(at);
    const MediaExpectation* sender = d.sdp_media[k ^ 1].family != 0 ? expectations->find(d.sdp_media[k ^ 1]) : nullptr;
    if ((e != nullptr && (e->direction == SdpDirection::SendOnly || e->direction == SdpDirection::Inactive)) ||
        (sender != nullptr && (sender->direction == SdpDirection::RecvOnly || sender->direction == SdpDirection::Inactive)))
      continue;
    char a[48], from[48];
    format_address(at, a, sizeof a);
    const char* who = k == 0 ? "caller" : "callee";
    AnomalySubject s = sip_subject(d);
    if (e == nullptr || e->rtp_ts < d.ack_ts) {
      engine.event(AnomalyKind::sip_rtp_mismatch, s, now, 0, cfg.anomalies.sip_rtp_mismatch.no_rtp_s, [&](char* b, size_t n) {
        std::snprintf(b, n, "no RTP to the %s's SDP address %.40s %.1f s after the ACK", who, a,
                      static_cast<double>(elapsed(now, d.ack_ts)) / 1e9);
      });
      return;  // one event per call
    }
    const Endpoint& peer = d.sdp_media[k ^ 1];
    if (peer.family != 0 && e->rtp_from.addr != peer.addr) {
      format_address(e->rtp_from, from, sizeof from);
      engine.event(AnomalyKind::sip_rtp_mismatch, s, now, 0, 0, [&](char* b, size_t n) {
        std::snprintf(b, n, "RTP to the %s's %.32s from %.32s: not the other SDP's address", who, a, from);
      });
      return;
    }
  }
}

// Timer B (and F for other requests): the transaction's request got no answer at all.
void Engine::sip_check_transaction(uint32_t index, Nanos now) {
  SipDialog& d = dialogs[index];
  const Nanos limit = seconds(cfg.anomalies.sip_failure.timer_b_s);
  if (d.answered || d.request_ts == 0 || elapsed(now, d.request_ts) < limit) return;
  if (d.method == SipMethod::Bye || d.method == SipMethod::Options) return;  // not a call or registration failing
  d.answered = true;  // judged once
  char why[96];
  std::snprintf(why, sizeof why, "%s unanswered for %.0f s (%u sent again)", sip_method_name(d.method),
                static_cast<double>(elapsed(now, d.request_ts)) / 1e9, d.ev.retransmits);
  sip_failure(d, now, 0, why);
  set_text(d.ev.detail, "no answer");
}

void Engine::sip_idle(uint32_t index, Nanos now) {
  idle_check(dialogs[index], index, now, Due::SipIdle, [&](uint32_t i) { sip_report(i); });
}

void Engine::sip_report(uint32_t index) {
  SipDialog& d = dialogs[index];
  SignallingEvent& ev = d.ev;
  ev.status = d.last_final;
  const char* state = "trying";
  if (d.terminated)
    state = "terminated";
  else if (d.failed)
    state = "failed";
  else if (d.confirmed)
    state = "confirmed";
  else if (d.last_final == 487 && d.cancelled)
    state = "cancelled";
  else if (d.opened_by == SipMethod::Register && d.last_final >= 200 && d.last_final < 300)
    state = "registered";
  else if (d.last_final >= 200)
    state = "completed";
  else if (d.answered)
    state = "early";
  set_text(ev.state, state);
  sdes_ended(d.key, d.last_ts);
  retire(d, dialogs, dialog_ids, index, SignallingKind::SipDialog, FlowClass::Sip, d.l4, d.client, d.server, d.first_ts,
         d.last_ts);
}

// SIP over TCP (RFC 3261 section 18.3): messages back to back, each with its Content-Length.
size_t Engine::sip_stream(Conn& c, uint8_t dir, Nanos ts, Bytes b) {
  size_t used = 0;
  while (used < b.size()) {
    const Bytes rest = b.subspan(used);
    if (rest[0] == '\r' || rest[0] == '\n') {  // keep-alives between messages
      ++used;
      continue;
    }
    TextHead head;
    const TextStatus st = parse_text_head(rest, head);
    if (st == TextStatus::Incomplete) return used;
    uint64_t total = 0;
    if (st == TextStatus::Invalid || !text_message_length(head, total)) {
      // Not at a message start (after a gap): skip to the next line and look again.
      ++ctr.sip_malformed;
      const auto nl = std::find(rest.begin(), rest.end(), uint8_t{'\n'});
      if (nl == rest.end()) return b.size();
      used += static_cast<size_t>(nl - rest.begin()) + 1;
      continue;
    }
    if (total > rest.size()) return used;  // the body is still coming
    sip_message(L4::Tcp, c.ep[dir], c.ep[dir ^ 1], ts, rest.first(total));
    used += total;
  }
  return used;
}

}  // namespace wcstap::sig
