// HTTP/1.1 and WebSocket (RFC 6455) on a signalling connection: requests and answers, the Upgrade
// handshake (ws_connect_failed for a non-101 answer or a wrong Sec-WebSocket-Accept), frames cut
// out of the reassembled stream and unmasked, ping/pong, close codes (ws_abnormal_close), WCS's
// JSON in text frames, and WCS's REST hooks to its backend (rest_hook_slow).
#include "signalling/signalling_impl.h"

namespace wcstap::sig {

namespace {

// WCS's REST hooks (its backend's methods): POSTs named so are WCS asking its backend.
constexpr std::string_view kHooks[] = {
    "connect", "ConnectionStatusEvent", "publishStream", "unPublishStream", "playStream", "stopStream",
    "StreamStatusEvent", "call", "answer", "hangup", "CallStatusEvent", "sendMessage", "MessageStatusEvent",
    "OnDataEvent", "sendData", "playHLS", "playRTSP", "playRTMP", "recordStream", "RecordingStatusEvent",
    "subscribeStreamStatusEvent", "ErrorEvent", "TransferStatusEvent", "transfer", "hold", "unhold",
    "sendDTMF", "sendBugReport", "getUserData", "injectStream"};

bool header_has(const TextHead& h, std::string_view name, std::string_view token) {
  const TextHeader* v = find_header(h, name);
  if (v == nullptr) return false;
  const std::string_view t = text::view(v->value);
  for (size_t i = 0; i + token.size() <= t.size(); ++i) {
    bool eq = true;
    for (size_t k = 0; k < token.size() && eq; ++k)
      eq = std::tolower(static_cast<unsigned char>(t[i + k])) == std::tolower(static_cast<unsigned char>(token[k]));
    if (eq) return true;
  }
  return false;
}

// The request target's path without its query (a query may carry tokens: never reported).
std::string_view path_of(Bytes uri) {
  std::string_view p = view(uri);
  const size_t q = p.find_first_of("?#");
  if (q != std::string_view::npos) p = p.substr(0, q);
  // an absolute form (proxy request): keep the path only
  if (const size_t scheme = p.find("://"); scheme != std::string_view::npos) {
    const size_t slash = p.find('/', scheme + 3);
    p = slash == std::string_view::npos ? std::string_view("/") : p.substr(slash);
  }
  return p;
}

}  // namespace

size_t Engine::http_stream(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b) {
  size_t used = 0;
  while (used < b.size()) {
    if (c.ws[dir]) return used + ws_stream(index, c, dir, ts, b.subspan(used));
    if (c.body_to_end[dir]) return b.size();
    const Bytes rest = b.subspan(used);
    const TextStatus st = parse_text_head(rest, head);
    if (st == TextStatus::Incomplete) return used;
    if (st == TextStatus::Invalid) {
      // Not at a message start (a gap, or not HTTP): look on the next line.
      ++ctr.http_malformed;
      const auto nl = std::find(rest.begin(), rest.end(), uint8_t{'\n'});
      if (nl == rest.end()) return b.size();
      used += static_cast<size_t>(nl - rest.begin()) + 1;
      continue;
    }
    ++ctr.http_messages;
    uint64_t total = 0;
    if (head.is_request) {
      http_request(index, c, dir, ts, head);
      total = head.head_len;
      if (head.chunked) {
        uint64_t body = 0;
        const TextStatus cs = chunked_body_length(rest.subspan(head.head_len), body);
        if (cs == TextStatus::Incomplete) return used;
        total += cs == TextStatus::Complete ? body : 0;
      } else if (!text_message_length(head, total)) {
        total = head.head_len;
      }
    } else {
      // An answer is read once; a partial body leaves it for later, so its head is taken when whole.
      uint64_t body = 0;
      bool to_end = false;
      if (head.chunked) {
        const TextStatus cs = chunked_body_length(rest.subspan(head.head_len), body);
        if (cs == TextStatus::Incomplete) {
          if (rest.size() < reasm.window_bytes()) return used;
          body = rest.size() - head.head_len;  // longer than a window: not waited for
        }
        total = head.head_len + body;
      } else if (!text_message_length(head, total)) {
        to_end = true;
        total = head.head_len;
      }
      if (c.playlist_pending && head.status_code >= 200) {
        // A playlist answer is read whole (they are small); one longer than a window is not.
        if (total > rest.size() && total <= reasm.window_bytes() && !to_end) return used;
        const Bytes body = total <= rest.size() ? rest.subspan(head.head_len, total - head.head_len) : Bytes{};
        c.playlist_pending = false;
        hls_answer(c, ts, head.status_code, body);
      }
      http_response(c, ts, head);
      if (to_end) c.body_to_end[dir] = true;
    }
    used += total;  // may run past what is here: the body is passed over as it comes
    if (used > b.size()) return used;
  }
  return used;
}

void Engine::http_request(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const TextHead& h) {
  (void)dir;
  ++c.ev.requests;
  if (c.ev.requests == 1) {
    if (const TextHeader* host = find_header(h, "Host")) set_text(c.ev.id, view(host->value));
    set_text(c.ev.name, path_of(h.uri));
  }
  if (header_has(h, "Upgrade", "websocket")) {
    c.upgrade_pending = true;
    c.accept_known = false;
    if (const TextHeader* key = find_header(h, "Sec-WebSocket-Key")) {
      websocket_accept(view(key->value), c.accept);
      c.accept_known = true;
    }
  }
  // An HLS playlist poll: its answer tells whether the live stream moves.
  c.playlist_pending = false;
  if (text::iequals(h.method, "GET")) {
    const std::string_view path = path_of(h.uri);
    if (hls::classify_path(path) == hls::PathKind::Playlist) {
      c.playlist_pending = true;
      const Endpoint& server = c.ep[c.client ^ 1];
      c.playlist_key = fnv1a(Bytes(reinterpret_cast<const uint8_t*>(path.data()), path.size()),
                             fnv1a(Bytes(server.addr.data(), server.addr.size())));
      set_text(c.playlist_path, path.substr(path.size() > 47 ? path.size() - 47 : 0));
    }
  }
  // A POST to one of WCS's hook names: WCS asking its backend, which must answer within 15 s. A
  // backend on the same host (loopback) is WCS's default application, not a remote one.
  const Endpoint& server = c.ep[c.client ^ 1];
  const bool loopback = (server.family == 4 && server.addr[0] == 127) ||
                        (server.family == 6 && server.addr == std::array<uint8_t, 16>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  if (text::iequals(h.method, "POST") && !loopback) {
    const std::string_view path = path_of(h.uri);
    const std::string_view last = path.substr(path.find_last_of('/') + 1);
    for (std::string_view hook : kHooks) {
      if (last == hook) {
        c.hook_pending = true;
        c.hook_ts = ts;
        set_text(c.hook, last);
        schedule(index, c.gen, ts + seconds(cfg.anomalies.rest_hook_slow.timeout_s), Due::RestHook);
        break;
      }
    }
  }
}

void Engine::http_response(Conn& c, Nanos ts, const TextHead& h) {
  ++c.ev.responses;
  c.ev.status = h.status_code;
  if (h.status_code >= 400) ++c.ev.errors;
  if (c.upgrade_pending && (h.status_code >= 200 || h.status_code == 101)) {
    c.upgrade_pending = false;
    if (h.status_code != 101) {
      engine.event(AnomalyKind::ws_connect_failed, client_subject(c), ts, h.status_code, 101, [&](char* b, size_t n) {
        std::snprintf(b, n, "WebSocket Upgrade answered %u %.*s", h.status_code,
                      static_cast<int>(std::min<size_t>(h.reason.size(), 60)),
                      reinterpret_cast<const char*>(h.reason.data()));
      });
    } else {
      const TextHeader* acc = find_header(h, "Sec-WebSocket-Accept");
      const std::string_view want(c.accept.data(), c.accept.size());
      if (c.accept_known && (acc == nullptr || view(acc->value) != want)) {
        engine.event(AnomalyKind::ws_connect_failed, client_subject(c), ts, 101, 101, [&](char* b, size_t n) {
          std::snprintf(b, n, "101 with %s Sec-WebSocket-Accept: the browser fails the connection",
                        acc == nullptr ? "no" : "a wrong");
        });
      }
      c.ws = {true, true};  // frames both ways from here on
      c.protocol = FlowClass::Websocket;
    }
  } else if (h.status_code == 101) {
    c.ws = {true, true};
  }
  if (c.hook_pending && h.status_code >= 200) {
    c.hook_pending = false;
    const double s = static_cast<double>(elapsed(ts, c.hook_ts)) / 1e9;
    const auto& th = cfg.anomalies.rest_hook_slow;
    if (s > th.slow_s || h.status_code >= 400) {
      engine.event(AnomalyKind::rest_hook_slow, client_subject(c), ts, h.status_code >= 400 ? h.status_code : s,
                   h.status_code >= 400 ? 400 : th.slow_s, [&](char* b, size_t n) {
                     std::snprintf(b, n, "REST hook /%s answered %u after %.3f s", c.hook, h.status_code, s);
                   });
    }
  }
}

// hls_stall (ANOMALIES.md #28): a playlist answered 404/5xx, or a live playlist whose media
// sequence has not moved for `target_durations` target durations.
void Engine::hls_answer(Conn& c, Nanos ts, uint16_t status, Bytes body) {
  AnomalySubject subj = client_subject(c);
  if (status >= 400) {
    engine.event(AnomalyKind::hls_stall, subj, ts, status, 400, [&](char* b, size_t n) {
      std::snprintf(b, n, "playlist %s answered %u", c.playlist_path, status);
    });
    return;
  }
  hls::Playlist pl;
  if (body.empty() || hls::parse_playlist(view(body), pl) != hls::PlaylistStatus::Ok || pl.master ||
      !pl.has_media_sequence || !pl.has_target_duration)
    return;
  bool created;
  const uint32_t i = keyed_record(playlists, playlist_ids, c.playlist_key, created);
  if (i == kNoIndex) return;
  if (created) {
    HlsPlaylist& p = playlists[i];
    p.key = c.playlist_key;
    p.live = true;
    p.media_sequence = pl.media_sequence;
    p.advanced_ts = ts;
    p.target_duration = pl.target_duration;
    return;
  }
  HlsPlaylist& p = playlists[i];
  p.target_duration = pl.target_duration;
  const double limit = cfg.anomalies.hls_stall.target_durations * pl.target_duration;
  if (pl.media_sequence != p.media_sequence || pl.endlist) {
    p.media_sequence = pl.media_sequence;
    p.advanced_ts = ts;
    engine.clear(p.stall, AnomalyKind::hls_stall, subj, ts, 0, limit, "media sequence advanced");
    return;
  }
  const double still = static_cast<double>(elapsed(ts, p.advanced_ts)) / 1e9;
  if (still > limit)
    engine.hold(p.stall, AnomalyKind::hls_stall, subj, p.advanced_ts, ts, still, limit, [&](char* b, size_t n) {
      std::snprintf(b, n, "playlist %s: media sequence %llu unchanged for %.1f s (target duration %u s)", c.playlist_path,
                    static_cast<unsigned long long>(p.media_sequence), still, p.target_duration);
    });
}

// A hook with no answer by WCS's own timeout: WCS has given up on its backend.
void Engine::check_hook(Conn& c, Nanos now) {
  const auto& th = cfg.anomalies.rest_hook_slow;
  if (!c.hook_pending || elapsed(now, c.hook_ts) < seconds(th.timeout_s)) return;
  c.hook_pending = false;
  const double s = static_cast<double>(elapsed(now, c.hook_ts)) / 1e9;
  AnomalySlot once;
  engine.hold(once, AnomalyKind::rest_hook_slow, client_subject(c), c.hook_ts, now, s, th.timeout_s,
              [&](char* b, size_t n) { std::snprintf(b, n, "REST hook /%s unanswered for %.1f s: WCS timed out", c.hook, s); },
              Severity::Critical);
  engine.clear(once, AnomalyKind::rest_hook_slow, client_subject(c), now, s, th.timeout_s, "event");
}

// WebSocket frames, whole ones, out of the reassembled stream. A fragmented data message is read
// once all its frames are here (control frames between them are read in place).
size_t Engine::ws_stream(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b) {
  size_t used = 0;
  WsFrameHeader h;
  while (used < b.size()) {
    const Bytes rest = b.subspan(used);
    const WsFrameStatus st = parse_ws_frame_header(rest, h);
    if (st == WsFrameStatus::Incomplete) return used;
    if (st == WsFrameStatus::Invalid) {
      ++ctr.ws_malformed;
      c.lost[dir] = true;  // framing lost: nothing after it can be read
      return b.size();
    }
    const uint64_t total = h.header_length + h.payload_length;
    if (h.payload_length + kWsMessagePadding > unmasked.size() || total > reasm.window_bytes()) {
      ++ctr.ws_too_long;  // longer than the tap reads: passed over
      return used + total;
    }
    if (total > rest.size()) return used;
    if (!h.fin && !ws_is_control(h.opcode)) {
      // Fragments: gather them while they are all here, else wait.
      size_t pos = total, len = h.payload_length;
      ws_unmask(rest.subspan(h.header_length, h.payload_length), h.mask, 0, unmasked.data());
      bool done = false;
      WsFrameHeader g;
      while (!done) {
        const Bytes more = rest.subspan(pos);
        const WsFrameStatus gs = parse_ws_frame_header(more, g);
        if (gs == WsFrameStatus::Incomplete) return used;
        if (gs == WsFrameStatus::Invalid || (!ws_is_control(g.opcode) && g.opcode != WsOpcode::Continuation)) {
          ++ctr.ws_malformed;
          c.lost[dir] = true;
          return b.size();
        }
        const uint64_t gt = g.header_length + g.payload_length;
        if (gt > more.size()) {
          if (pos + gt > reasm.window_bytes()) {
            ++ctr.ws_too_long;
            c.lost[dir] = true;  // a message longer than a window: its end cannot be found again
            return b.size();
          }
          return used;
        }
        if (!ws_is_control(g.opcode)) {
          if (len + g.payload_length + kWsMessagePadding > unmasked.size()) {
            ++ctr.ws_too_long;
            c.lost[dir] = true;
            return b.size();
          }
          ws_unmask(more.subspan(g.header_length, g.payload_length), g.mask, 0, unmasked.data() + len);
          len += g.payload_length;
          done = g.fin;
        }
        pos += gt;
      }
      std::memset(unmasked.data() + len, 0, kWsMessagePadding);
      ws_message(index, c, dir, ts, h.opcode, Bytes(unmasked.data(), len));
      // The control frames that came between the fragments, now that they are read once.
      for (size_t at = total; at < pos;) {
        parse_ws_frame_header(rest.subspan(at), g);
        if (ws_is_control(g.opcode)) {
          ws_unmask(rest.subspan(at + g.header_length, g.payload_length), g.mask, 0, unmasked.data());
          ws_message(index, c, dir, ts, g.opcode, Bytes(unmasked.data(), g.payload_length));
        }
        at += g.header_length + g.payload_length;
      }
      used += pos;
      continue;
    }
    ws_unmask(rest.subspan(h.header_length, h.payload_length), h.mask, 0, unmasked.data());
    std::memset(unmasked.data() + h.payload_length, 0, kWsMessagePadding);
    ws_message(index, c, dir, ts, h.opcode, Bytes(unmasked.data(), h.payload_length));
    used += total;
  }
  return used;
}

void Engine::ws_message(uint32_t index, Conn& c, uint8_t dir, Nanos ts, WsOpcode op, Bytes payload) {
  ++ctr.ws_messages;
  switch (op) {
    case WsOpcode::Ping: ++c.ev.pings; return;
    case WsOpcode::Pong: ++c.ev.pongs; return;
    case WsOpcode::Close: {
      if (c.close_seen) return;
      c.close_seen = true;
      const uint16_t code = payload.size() >= 2 ? be16(payload.data()) : 0;
      c.ev.status = code;
      if (code != 0 && !ws_close_code_is_normal(code)) {
        engine.event(AnomalyKind::ws_abnormal_close, client_subject(c), ts, code, 1000, [&](char* b, size_t n) {
          std::snprintf(b, n, "the %s closed the WebSocket with %u (%s)", dir == c.client ? "client" : "server", code,
                        ws_close_code_name(code));
        });
      }
      return;
    }
    case WsOpcode::Text:
      dir == c.client ? ++c.ev.requests : ++c.ev.responses;
      // Until the connection has carried a WCS message, a text without a "message":"<name>" (the
      // WCS message pattern, Hyperscan) is another application's: its JSON parse is spared (a
      // scan costs a fraction of it, and less the longer the text). WCS's own connections pay
      // that scan once, for their first message: a scan that finds a name costs about what a
      // small message's parse does, so it is not repeated on every message.
      if (!c.wcs_seen && payload.size() <= wcs.capacity() && !signatures->names_wcs_message(payload)) return;
      switch (wcs.read(payload, wcs_msg)) {
        case WcsReadStatus::Ok:
          c.wcs_seen = true;
          ++ctr.wcs_messages;
          wcs_message(index, c, dir, ts, wcs_msg);
          break;
        case WcsReadStatus::NotWcs:
        case WcsReadStatus::NotJson:
          break;  // another application's text
        case WcsReadStatus::TooLarge:
          ++ctr.ws_too_long;
          break;
      }
      return;
    default:
      dir == c.client ? ++c.ev.requests : ++c.ev.responses;
      return;
  }
}

// The connection ends (FIN or RST) without a close frame while WCS streams on it are active.
void Engine::ws_connection_end(Conn& c, uint8_t dir, Nanos ts, bool reset) {
  if (!c.ws[0] || c.close_seen || c.abnormal_end) return;
  uint32_t active = 0;
  for (uint32_t i = c.streams; i != kNoIndex; i = wcs_streams[i].next)
    if (wcs_streams[i].live && !wcs_streams[i].final) ++active;
  if (active == 0) return;
  c.abnormal_end = true;
  engine.event(AnomalyKind::ws_abnormal_close, client_subject(c), ts, active, 0, [&](char* b, size_t n) {
    std::snprintf(b, n, "%s by the %s with no close frame while %u stream(s) were active", reset ? "reset" : "FIN",
                  dir == c.client ? "client" : "server", active);
  });
}

}  // namespace wcstap::sig
