// RTSP (RFC 2326) and RTMP sessions on their connections. RTSP: requests and answers by CSeq,
// interleaved RTP/RTCP handed to the media analyzers, rtsp_failure for a status >= 400 (not a
// first 401 to a request without credentials), a refused connection, or no RTP 3 s after PLAY
// (interleaved transport). RTMP: the handshake, AMF0 commands (connect, publish, play, _result,
// _error, onStatus), audio/video counted; rtmp_failure for an _error or an error onStatus, a
// handshake not done in 5 s, or a publish with no media in 5 s.
#include "signalling/signalling_impl.h"

namespace wcstap::sig {

MediaSession* Engine::media_session(Conn& c) {
  if (c.media_session == kNoIndex) {
    c.media_session = media_sessions.alloc();
    if (c.media_session == kNoIndex) {
      ++ctr.signalling_table_full;
      return nullptr;
    }
  }
  return &media_sessions[c.media_session];
}

void Engine::media_release(Conn& c) {
  if (c.media_session != kNoIndex) media_sessions.release(c.media_session);
  c.media_session = kNoIndex;
}

void Engine::media_failure(Conn& c, AnomalyKind kind, Nanos ts, double value, const char* text) {
  ++c.ev.errors;
  if (c.media_session != kNoIndex) media_sessions[c.media_session].failed = true;
  AnomalySubject subj = client_subject(c);
  if (c.ev.name[0] != '\0') subj.stream = c.ev.name;  // the RTSP URL, the RTMP app/stream
  engine.event(kind, subj, ts, value, 1, [&](char* b, size_t n) { std::snprintf(b, n, "%s", text); });
}

// ---- RTSP ----------------------------------------------------------------------------------------

size_t Engine::rtsp_stream(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b) {
  size_t used = 0;
  while (used < b.size()) {
    const Bytes rest = b.subspan(used);
    if (rest[0] == '$') {  // an interleaved frame: $, channel, length, the packet
      RtspInterleavedFrame f;
      const TextStatus st = parse_rtsp_interleaved(rest, f);
      if (st == TextStatus::Incomplete) return used;
      if (st == TextStatus::Complete) {
        if (MediaSession* s = media_session(c)) ++s->media_frames;
        ++ctr.rtsp_interleaved;
        if (media != nullptr && !f.data.empty()) media->interleaved(dir, ts, f.data);
        used += f.frame_len();
        continue;
      }
    }
    if (rest[0] == '\r' || rest[0] == '\n') {
      ++used;
      continue;
    }
    const TextStatus hs = parse_text_head(rest, head);
    uint64_t total = 0;
    if (hs == TextStatus::Incomplete) return used;
    if (hs == TextStatus::Invalid || !text_message_length(head, total)) {
      ++ctr.rtsp_malformed;  // not a message start: look on the next line
      const auto nl = std::find(rest.begin(), rest.end(), uint8_t{'\n'});
      if (nl == rest.end()) return b.size();
      used += static_cast<size_t>(nl - rest.begin()) + 1;
      continue;
    }
    if (total > rest.size()) return total > reasm.window_bytes() ? used + total : used;
    if (parse_rtsp(rest.first(total), rtsp) == TextStatus::Complete) {
      ++ctr.rtsp_messages;
      rtsp_message(index, c, ts, rtsp);
    } else {
      ++ctr.rtsp_malformed;
    }
    used += total;
  }
  return used;
}

void Engine::rtsp_message(uint32_t index, Conn& c, Nanos ts, const RtspMessage& m) {
  MediaSession* s = media_session(c);
  if (s == nullptr) return;
  if (m.is_request) {
    ++c.ev.requests;
    if (c.ev.name[0] == '\0' && !m.uri_has_userinfo) {
      std::string_view uri = view(m.uri);
      uri = uri.substr(0, uri.find('?'));  // a query may carry a token
      set_text(c.ev.name, uri);
    }
    s->pending_cseq = m.cseq;
    s->pending_method = m.method;
    s->pending_credentials = m.has_authorization;
    if (m.method == RtspMethod::Setup && m.transport.present && m.transport.has_interleaved) s->interleaved = true;
    if (m.method == RtspMethod::Setup)
      s->pending_client_port = m.transport.present && m.transport.has_client_port ? m.transport.client_port[0] : 0;
    return;
  }
  ++c.ev.responses;
  c.ev.status = m.status_code;
  // The DESCRIBE's SDP: its tracks' clock rates for RTP on this connection (interleaved) and on
  // the ports SETUP picks.
  if (m.body_is_sdp && !m.body.empty() && note_sdp(m.body, ts, c.gen, c.ev.name) && expectations != nullptr)
    expectations->expect_tracks(c.ep[c.client], sdp, ts, c.gen, c.ev.name);
  if (m.cseq != s->pending_cseq) return;
  if (m.status_code >= 400) {
    if (m.status_code == 401 && !s->pending_credentials) return;  // the camera asks for credentials
    char text[96];
    std::snprintf(text, sizeof text, "%s answered %u %.*s", rtsp_method_name(s->pending_method), m.status_code,
                  static_cast<int>(std::min<size_t>(m.reason.size(), 48)), reinterpret_cast<const char*>(m.reason.data()));
    media_failure(c, AnomalyKind::rtsp_failure, ts, m.status_code, text);
    return;
  }
  if (m.status_code < 300 && s->pending_method == RtspMethod::Setup && m.transport.present && m.transport.has_interleaved)
    s->interleaved = true;
  // RTP over UDP: to the client's address, at the client_port the answer (else the request) gave.
  if (m.status_code < 300 && s->pending_method == RtspMethod::Setup && !s->interleaved && expectations != nullptr) {
    Endpoint at = c.ep[c.client];
    at.port = m.transport.present && m.transport.has_client_port ? m.transport.client_port[0] : s->pending_client_port;
    if (at.port != 0) {
      expectations->expect_like(at, c.ep[c.client], ts);
      if (s->udp_tracks < s->udp_rtp.size()) s->udp_rtp[s->udp_tracks++] = at;
    }
  }
  if (m.status_code < 300 && s->pending_method == RtspMethod::Play && s->play_ts == 0) {
    s->play_ts = ts;
    s->media_frames = 0;
    if (s->interleaved || s->udp_tracks > 0)
      schedule(index, c.gen, ts + seconds(cfg.anomalies.rtsp_failure.no_rtp_s), Due::RtspRtp);
  }
}

// PLAY answered and no RTP since: no interleaved frame, or none at the UDP ports SETUP chose (not
// judged when RTP over UDP may reach another worker: media_elsewhere).
void Engine::rtsp_check_rtp(Conn& c, Nanos now) {
  if (c.media_session == kNoIndex) return;
  MediaSession& s = media_sessions[c.media_session];
  if (s.play_ts == 0 || s.media_frames > 0 || s.failed || (!s.interleaved && s.udp_tracks == 0)) return;
  if (!s.interleaved && media_elsewhere) return;
  if (elapsed(now, s.play_ts) < seconds(cfg.anomalies.rtsp_failure.no_rtp_s)) return;
  if (!s.interleaved) {
    for (uint8_t i = 0; i < s.udp_tracks; ++i)
      if (const MediaExpectation* e = expectations->find(s.udp_rtp[i]); e == nullptr || e->rtp_ts >= s.play_ts)
        return;  // RTP arrived (or the expectation gave way to newer ones: not judged)
  }
  char text[96];
  std::snprintf(text, sizeof text, "no RTP %.1f s after PLAY was answered%s",
                static_cast<double>(elapsed(now, s.play_ts)) / 1e9, s.interleaved ? "" : " (RTP over UDP)");
  media_failure(c, AnomalyKind::rtsp_failure, now, 0, text);
}

// ---- RTMP ----------------------------------------------------------------------------------------

size_t Engine::rtmp_stream(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b) {
  MediaSession* s = media_session(c);
  if (s == nullptr) return b.size();
  rtmp::ChunkReader& r = s->reader[dir];
  Bytes in = b;
  rtmp::Event ev;
  while (r.next(in, ev)) {
    switch (ev.kind) {
      case rtmp::EventKind::Version:
        if (dir == c.client && s->c0_ts == 0) {
          s->c0_ts = ts;
          schedule(index, c.gen, ts + seconds(cfg.anomalies.rtmp_failure.handshake_s), Due::RtmpHandshake);
        }
        break;
      case rtmp::EventKind::Handshake1:
        break;
      case rtmp::EventKind::Handshake2:
        if (s->reader[0].handshake_done() && s->reader[1].handshake_done()) s->handshake_done = true;
        break;
      case rtmp::EventKind::Message: {
        ++ctr.rtmp_messages;
        dir == c.client ? ++c.ev.requests : ++c.ev.responses;
        const uint8_t t = ev.header.type;
        if (t == rtmp::kAudio || t == rtmp::kVideo || t == rtmp::kAggregate) {
          ++s->media_frames;
        } else if (t == rtmp::kCommandAmf0 || t == rtmp::kCommandAmf3) {
          rtmp::Command cmd;
          if (rtmp::parse_command(t, ev.body, cmd) == rtmp::AmfStatus::Ok || !cmd.name.empty())
            rtmp_command(index, c, *s, dir, ts, cmd);
        }
        break;
      }
    }
  }
  if (r.stop() != rtmp::Stop::None) {
    ++ctr.rtmp_malformed;
    c.lost[dir] = true;
  }
  return b.size();
}

void Engine::rtmp_command(uint32_t index, Conn& c, MediaSession& s, uint8_t dir, Nanos ts, const rtmp::Command& cmd) {
  (void)dir;
  switch (cmd.kind) {
    case rtmp::CommandKind::Connect:
      if (!cmd.app.empty()) set_text(c.ev.name, rtmp::without_query(cmd.app));
      if (!cmd.tc_url.empty()) {
        // the host of tcUrl ("rtmp://host[:port]/app"), for the record's host
        std::string_view u = rtmp::without_query(cmd.tc_url);
        if (const size_t p = u.find("://"); p != std::string_view::npos) u = u.substr(p + 3);
        set_text(c.ev.id, u.substr(0, u.find('/')));
      }
      break;
    case rtmp::CommandKind::Publish:
    case rtmp::CommandKind::Play: {
      char name[72];
      const std::string_view stream = rtmp::without_query(cmd.stream_name);
      std::snprintf(name, sizeof name, "%.30s/%.*s", c.ev.name, static_cast<int>(std::min<size_t>(stream.size(), 36)),
                    stream.data());
      set_text(c.ev.name, name);
      set_text(c.ev.state, cmd.kind == rtmp::CommandKind::Publish ? "publish" : "play");
      if (cmd.kind == rtmp::CommandKind::Publish && s.publish_ts == 0) {
        s.publish_ts = ts;
        s.media_frames = 0;
        schedule(index, c.gen, ts + seconds(cfg.anomalies.rtmp_failure.no_media_s), Due::RtmpMedia);
      }
      break;
    }
    case rtmp::CommandKind::Error:
    case rtmp::CommandKind::OnStatus:
    case rtmp::CommandKind::Result: {
      const bool error = cmd.kind == rtmp::CommandKind::Error || cmd.level == "error";
      if (!cmd.code.empty()) set_text(c.ev.detail, cmd.code);
      if (!error) break;
      char text[128];
      std::snprintf(text, sizeof text, "%.*s %.*s: %.*s", static_cast<int>(std::min<size_t>(cmd.name.size(), 12)),
                    cmd.name.data(), static_cast<int>(std::min<size_t>(cmd.code.size(), 40)), cmd.code.data(),
                    static_cast<int>(std::min<size_t>(cmd.description.size(), 60)), cmd.description.data());
      media_failure(c, AnomalyKind::rtmp_failure, ts, 1, text);
      break;
    }
    default:
      break;
  }
}

void Engine::rtmp_check(Conn& c, Due what, Nanos now) {
  if (c.media_session == kNoIndex) return;
  MediaSession& s = media_sessions[c.media_session];
  char text[96];
  if (what == Due::RtmpHandshake) {
    if (s.handshake_done || s.c0_ts == 0 || elapsed(now, s.c0_ts) < seconds(cfg.anomalies.rtmp_failure.handshake_s))
      return;
    std::snprintf(text, sizeof text, "RTMP handshake not complete %.1f s after C0/C1",
                  static_cast<double>(elapsed(now, s.c0_ts)) / 1e9);
  } else {
    if (s.publish_ts == 0 || s.media_frames > 0 || s.failed ||
        elapsed(now, s.publish_ts) < seconds(cfg.anomalies.rtmp_failure.no_media_s))
      return;
    std::snprintf(text, sizeof text, "publish with no audio or video for %.1f s",
                  static_cast<double>(elapsed(now, s.publish_ts)) / 1e9);
  }
  media_failure(c, AnomalyKind::rtmp_failure, now, 0, text);
}

}  // namespace wcstap::sig
