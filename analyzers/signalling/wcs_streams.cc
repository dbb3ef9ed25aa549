// WCS's JSON protocol on a clear WebSocket (WCS.md): streams by mediaSessionId, from
// publishStream/playStream to their statuses; stream_failed for a FAILED status (with WCS's info
// text), signalling_no_answer when a publish/play gets neither setRemoteSDP nor a status in 5 s.
#include "signalling/signalling_impl.h"

namespace wcstap::sig {

namespace {

bool final_status(std::string_view s) { return s == "FAILED" || s == "UNPUBLISHED" || s == "STOPPED"; }

}  // namespace

WcsStream* Engine::wcs_stream(uint32_t conn, Conn& c, std::string_view id, Nanos ts) {
  if (id.empty()) return nullptr;
  const uint64_t key = fnv1a(Bytes(reinterpret_cast<const uint8_t*>(id.data()), id.size()), c.gen);
  bool created;
  const uint32_t i = keyed_record(wcs_streams, wcs_ids, key, created);
  if (i == kNoIndex) return nullptr;
  if (!created) return &wcs_streams[i];
  WcsStream& s = wcs_streams[i];
  s.gen = next_gen++;
  s.live = true;
  s.key = key;
  s.conn = conn;
  s.conn_gen = c.gen;
  s.next = c.streams;
  c.streams = i;
  s.ev.first_ts = s.ev.last_ts = ts;
  set_text(s.ev.id, id);
  return &s;
}

void Engine::wcs_message(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const WcsMessage& m) {
  (void)dir;
  // The offer (publishStream/playStream, side 0) and the answer (setRemoteSDP, side 1) name the
  // session's ICE ufrags and certificates, and its media goes by the stream's name.
  const bool offer_or_answer = m.name == WcsMessageName::PublishStream || m.name == WcsMessageName::PlayStream ||
                               m.name == WcsMessageName::SetRemoteSdp;
  if (!m.sdp.empty()) {
    WcsStream* s = offer_or_answer ? wcs_stream(index, c, m.media_session_id.view(), ts) : nullptr;
    if (s != nullptr && !m.stream_name.empty()) set_text(s->ev.name, m.stream_name.view());
    const bool sdp_read =
        note_sdp(Bytes(reinterpret_cast<const uint8_t*>(m.sdp.data()), m.sdp.size()), ts,
                 fnv1a(Bytes(reinterpret_cast<const uint8_t*>(m.media_session_id.view().data()),
                             m.media_session_id.size),
                       c.gen),
                 s != nullptr ? std::string_view(s->ev.name) : m.stream_name.view());
    if (sdp_read && s != nullptr) wcs_sdp(*s, m.name == WcsMessageName::SetRemoteSdp ? 1 : 0, ts);
  }
  switch (m.name) {
    case WcsMessageName::Ping: ++c.ev.pings; return;
    case WcsMessageName::Pong: ++c.ev.pongs; return;
    case WcsMessageName::PublishStream:
    case WcsMessageName::PlayStream: {
      WcsStream* s = wcs_stream(index, c, m.media_session_id.view(), ts);
      if (s == nullptr) return;
      s->ev.last_ts = ts;
      ++s->ev.requests;
      if (!m.stream_name.empty()) set_text(s->ev.name, m.stream_name.view());
      if (s->requested_ts == 0) {
        s->requested_ts = ts;
        const uint32_t si = static_cast<uint32_t>(s - &wcs_streams[0]);
        schedule(si, s->gen, ts + seconds(cfg.anomalies.signalling_no_answer.timeout_s), Due::WcsAnswer);
      }
      set_text(s->ev.state, m.name == WcsMessageName::PublishStream ? "publish" : "play");
      return;
    }
    case WcsMessageName::UnPublishStream:
    case WcsMessageName::StopStream:
      if (WcsStream* s = wcs_stream(index, c, m.media_session_id.view(), ts)) {
        s->ev.last_ts = ts;
        ++s->ev.requests;
      }
      return;
    case WcsMessageName::SetRemoteSdp:
      if (WcsStream* s = wcs_stream(index, c, m.media_session_id.view(), ts)) {
        ++s->ev.responses;
        s->ev.last_ts = ts;
        if (s->answered_ts == 0) {
          s->answered_ts = ts;
          if (s->requested_ts) s->ev.setup_ms = ms_between(s->requested_ts, ts);
        }
        engine.clear(s->no_answer, AnomalyKind::signalling_no_answer, stream_subject(*s), ts, 0,
                     cfg.anomalies.signalling_no_answer.timeout_s, "answered");
      }
      return;
    case WcsMessageName::NotifyStreamStatusEvent:
      if (WcsStream* s = wcs_stream(index, c, m.media_session_id.view(), ts)) {
        ++s->ev.responses;
        if (!m.stream_name.empty() && s->ev.name[0] == '\0') set_text(s->ev.name, m.stream_name.view());
        wcs_status(*s, c, ts, m.status.view(), m.info.view());
      }
      return;
    case WcsMessageName::Fail:
      // A failed API call about a stream (apiMethod StreamStatusEvent): as a FAILED status.
      if (!m.media_session_id.empty())
        if (WcsStream* s = wcs_stream(index, c, m.media_session_id.view(), ts)) {
          ++s->ev.responses;
          wcs_status(*s, c, ts, "FAILED", m.info.view());
        }
      return;
    default:
      return;
  }
}

void Engine::wcs_sdp(WcsStream& s, uint8_t side, Nanos ts) {
  // nat_address_mismatch (ANOMALIES.md #25), WCS's classic: its answer offers only private
  // candidates to a browser that connects from a public address (WCS behind NAT without its
  // external address set): the browser's checks can never reach it.
  if (side == 1) {
    const Conn& c = conns[s.conn];
    const Endpoint& browser = c.ep[c.client];
    uint32_t candidates = 0, private_ones = 0;
    Endpoint example;
    for (uint8_t i = 0; i < sdp.media_count; ++i)
      for (uint8_t k = 0; k < sdp.media[i].candidate_count; ++k) {
        const IceCandidate& cand = sdp.media[i].candidates[k];
        if (!cand.address.is_ip) continue;
        ++candidates;
        if (is_private_address(cand.address.ip)) {
          ++private_ones;
          example = cand.address.ip;
        }
      }
    if (candidates > 0 && private_ones == candidates && !is_private_address(browser)) {
      char a[48];
      format_address(example, a, sizeof a);
      engine.event(AnomalyKind::nat_address_mismatch, stream_subject(s), ts, private_ones, 0, [&](char* b, size_t n) {
        std::snprintf(b, n, "WCS's SDP answer offers only private candidates (%.40s) to a public browser", a);
      });
    }
  }
  for (uint8_t i = 0; i < sdp.media_count; ++i) {
    const SdpMedia& m = sdp.media[i];
    const Bytes ufrag = sdp_ice_ufrag(sdp, m);
    if (!ufrag.empty() && s.ufrag[side][0] == '\0') {
      const size_t n = std::min(ufrag.size(), s.ufrag[side].size() - 1);
      std::memcpy(s.ufrag[side].data(), ufrag.data(), n);
      s.ufrag[side][n] = '\0';
    }
    const SdpFingerprint* fp = sdp_fingerprint(sdp, m);
    if (fp != nullptr && fp->present && fp->digest_len == 32 && !s.has_fingerprint[side]) {
      std::memcpy(s.fingerprint[side].data(), fp->digest.data(), 32);
      s.has_fingerprint[side] = true;
    }
  }
  if (s.ufrag[0][0] == '\0' || s.ufrag[1][0] == '\0') return;
  const auto bytes = [](const std::array<char, 33>& u) {
    return Bytes(reinterpret_cast<const uint8_t*>(u.data()), strnlen(u.data(), u.size()));
  };
  s.ev.session = webrtc_session_id(bytes(s.ufrag[0]), bytes(s.ufrag[1]));
  if (expectations == nullptr) return;
  SessionExpectation e;
  e.id = s.ev.session;
  e.ts = ts;
  for (uint8_t k = 0; k < 2; ++k)
    if (s.has_fingerprint[k]) e.fingerprint[e.fingerprints++] = s.fingerprint[k];
  set_text(e.stream, s.ev.name);
  expectations->expect_session(e);
}

void Engine::wcs_status(WcsStream& s, Conn& c, Nanos ts, std::string_view status, std::string_view info) {
  (void)c;
  s.ev.last_ts = ts;
  if (s.answered_ts == 0) {
    s.answered_ts = ts;
    if (s.requested_ts) s.ev.setup_ms = ms_between(s.requested_ts, ts);
  }
  engine.clear(s.no_answer, AnomalyKind::signalling_no_answer, stream_subject(s), ts, 0,
               cfg.anomalies.signalling_no_answer.timeout_s, "answered");
  if (!status.empty()) set_text(s.ev.state, status);
  if (!info.empty()) set_text(s.ev.detail, info);
  if (status == "FAILED") {
    ++s.ev.errors;
    AnomalySubject subj = stream_subject(s);
    engine.event(AnomalyKind::stream_failed, subj, ts, 1, 1, [&](char* b, size_t n) {
      std::snprintf(b, n, "stream '%.32s' (%.24s) FAILED: %.*s", s.ev.name, s.ev.id,
                    static_cast<int>(std::min<size_t>(info.size(), 60)), info.data());
    });
  }
  if (final_status(status)) s.final = true;
}

// publishStream/playStream with neither setRemoteSDP nor a status by the timeout.
void Engine::wcs_check_answer(uint32_t index, Nanos now) {
  WcsStream& s = wcs_streams[index];
  const double limit = cfg.anomalies.signalling_no_answer.timeout_s;
  if (s.answered_ts != 0 || s.requested_ts == 0) return;
  const double waited = static_cast<double>(elapsed(now, s.requested_ts)) / 1e9;
  if (waited < limit) return;
  engine.hold(s.no_answer, AnomalyKind::signalling_no_answer, stream_subject(s), s.requested_ts, now, waited, limit,
              [&](char* b, size_t n) {
                std::snprintf(b, n, "%.8s of stream '%.32s' (%.24s): no setRemoteSDP nor status for %.1f s",
                              s.ev.state, s.ev.name, s.ev.id, waited);
              });
}

void Engine::wcs_report(uint32_t index, Nanos ts) {
  WcsStream& s = wcs_streams[index];
  const Conn& c = conns[s.conn];
  // Still unanswered at the end: the verdict if the wait was long enough, then its end.
  wcs_check_answer(index, ts);
  engine.clear(s.no_answer, AnomalyKind::signalling_no_answer, stream_subject(s), ts, 0,
               cfg.anomalies.signalling_no_answer.timeout_s, "connection ended");
  sdes_ended(s.key, ts);
  retire(s, wcs_streams, wcs_ids, index, SignallingKind::WcsStream, FlowClass::Websocket, L4::Tcp, c.ep[c.client],
         c.ep[c.client ^ 1], s.ev.first_ts, s.ev.last_ts);
}

// The connection ended: its streams are reported.
void Engine::wcs_close_all(Conn& c, Nanos ts) {
  for (uint32_t i = c.streams; i != kNoIndex;) {
    const uint32_t next = wcs_streams[i].next;
    if (wcs_streams[i].live && wcs_streams[i].conn_gen == c.gen) wcs_report(i, ts);
    i = next;
  }
  c.streams = kNoIndex;
}

}  // namespace wcstap::sig
