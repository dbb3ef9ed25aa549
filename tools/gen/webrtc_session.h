// One complete WCS WebRTC session (publish or play) between a browser and the
// WCS server: wss signalling, ICE, DTLS, SRTP audio + video (Opus; VP8 or
// H.264), SRTCP reports, consent freshness, teardown. Everything on one media
// 5-tuple (BUNDLE + rtcp-mux). When the DTLS handshake fails no media flows,
// but signalling and ICE consent go on for the session's duration; when ICE
// fails, signalling and the browser's checks do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture.h"
#include "dtls_exchange.h"
#include "net.h"
#include "rng.h"

namespace wcsgen {

enum class SessionKind : std::uint8_t {
  kPublish,  // browser -> WCS media; WCS sends back RTCP RR and STUN only
  kPlay,     // WCS -> browser media; the browser sends back RTCP RR and STUN
};

struct SessionConfig {
  SessionKind kind = SessionKind::kPublish;
  Ipv4Addr wcs_ip;
  Ipv4Addr browser_ip;
  std::uint16_t wcs_ws_port = 8443;
  std::uint16_t wcs_media_port = 31002;
  std::uint16_t browser_media_port = 50000;
  std::uint16_t browser_tcp_port = 50001;
  std::int64_t start_us = 0;
  std::int64_t duration_us = 20000000;
  std::int64_t rtt_us = 30000;
  std::uint8_t video_pt = 96;  // 96 VP8, 102 H264
  double video_kbps = 800;
  // The video's target bitrate changes to `kbps` this long after the session's first RTP packet
  // (and stays there): the stream goes on with the same SSRC, numbering and frame pace.
  struct VideoBitrateChange {
    std::int64_t after_media_start_us = 0;
    double kbps = 0;
  };
  std::optional<VideoBitrateChange> video_bitrate_change;
  // WCS answers the browser's ICE checks this late, [first, second] us (an overloaded server).
  std::optional<std::pair<std::int64_t, std::int64_t>> wcs_stun_answer_us;
  DtlsFault dtls_fault = DtlsFault::kNone;
  // The browser reaches WCS through a TURN server on WCS's host (wcs_ip:3478, turn_client.h): it
  // allocates while signalling, binds a channel to WCS's media endpoint once it has the answer and
  // checks a round trip later, when the binding is done. Everything on the media 5-tuple then
  // crosses the tap as ChannelData on browser <-> TURN (the server's leg to WCS stays on the host).
  // Its draws come from a generator forked for it: a direct session draws as it always did.
  bool relay = false;
  // WCS's media port drops everything that comes in (a firewall): the browser's checks cross the
  // tap but never reach WCS, which so neither answers them nor checks itself: no DTLS, no media.
  // The browser goes on checking until the teardown. Not with `relay`.
  bool wcs_media_unreachable = false;
};

// An even WCS media port from the default range (31002..31998).
std::uint16_t random_wcs_media_port(Rng& rng);

// A plausible configuration with random ports, RTT, codec and bitrate.
SessionConfig random_session_config(SessionKind kind, Ipv4Addr wcs_ip, Ipv4Addr browser_ip, std::int64_t start_us,
                                    std::int64_t duration_us, Rng& rng);

struct StreamInfo {
  Endpoint src;
  Endpoint dst;
  std::uint32_t ssrc = 0;
  std::uint8_t pt = 0;
  bool video = false;
};

struct SessionResult {
  Endpoint wcs_media;
  Endpoint browser_media;
  DtlsExchange dtls;
  std::int64_t media_start_us = 0;  // first RTP packet (0: no media, the DTLS handshake failed)
  std::int64_t media_end_us = 0;    // media ends and the teardown starts (also without media)
  std::int64_t end_us = 0;          // last packet of the session
  std::vector<StreamInfo> streams;  // RTP streams (audio first); none without media
  // A relayed session's TURN server: the tap sees its media on browser_media <-> turn_server, while
  // `streams` and the packets (until Capture::relay_turn) keep the media endpoints.
  std::optional<Endpoint> turn_server;
};

// The SRTP master keys (Capture::add_srtp_key) come from `key_rng` alone, so that every other
// draw, and so the rest of the capture, does not depend on them.
SessionResult build_webrtc_session(const SessionConfig& cfg, Rng& rng, Rng& key_rng, Capture& cap);

// The ICE username fragments of a session's SDP offer (the browser's) and answer (WCS's).
struct IceUfrags {
  std::string browser;
  std::string wcs;
};

// The media side of a session whose signalling is written elsewhere (WCS's JSON on a clear ws://,
// ws_scenarios.cc), as build_webrtc_session builds it after the SDP answer left WCS at t_answer_us:
// the browser's checks with these ufrags, DTLS, media once it is done, consent freshness, the
// media ending 300-500 ms before cfg's end (res.end_us too). Not relayed; cfg's signalling fields
// (wcs_ws_port, browser_tcp_port) unused.
SessionResult build_webrtc_media(const SessionConfig& cfg, const IceUfrags& ufrags, std::int64_t t_answer_us,
                                 Rng& rng, Rng& key_rng, Capture& cap);

}  // namespace wcsgen
