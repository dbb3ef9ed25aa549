#include "rtsp_rtmp_scenarios.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "media.h"
#include "rng.h"
#include "rtp.h"
#include "tcp_connection.h"

namespace wcsgen {

namespace {

constexpr std::int64_t kSec = 1000000;
constexpr std::int64_t kMs = 1000;

std::string hex_token(Rng& rng, int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) s += kHex[rng.below(16)];
  return s;
}

Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// ---- RTSP ----------------------------------------------------------------------------------------

enum class RtspFault { kNone, kNotFound, kNoRtp };

// An interleaved frame: '$', channel, length, the packet.
Bytes interleaved(std::uint8_t channel, ByteView packet) {
  Bytes b{'$', channel};
  put16(b, static_cast<std::uint16_t>(packet.size()));
  append(b, packet);
  return b;
}

struct RtspRun {
  Endpoint wcs, camera;
  std::int64_t not_found_us = 0;  // the 404's tap time
  std::int64_t play_ok_us = 0;    // the PLAY answer's tap time
};

// WCS (the tapped host) pulls camera:554 over one TCP connection it opens.
RtspRun rtsp_session(const ScenarioParams& p, Capture& cap, std::uint64_t salt, RtspFault fault) {
  Rng rng(p.seed ^ salt);
  RtspRun run;
  run.wcs = Endpoint{kWcsIp, static_cast<std::uint16_t>(rng.range(32000, 32999))};
  run.camera = Endpoint{Ipv4Addr::of(192, 0, 2, static_cast<std::uint8_t>(rng.range(100, 199))), 554};
  cap.set_remote_ttl(run.camera.ip, static_cast<std::uint8_t>(64 - rng.range(3, 12)));
  const std::int64_t rtt = rng.range(10 * kMs, 60 * kMs);
  TcpConnection tcp(cap, run.wcs, run.camera, rtt, rng, Side::kClient);
  const std::int64_t end = kBaseTimeUs + static_cast<std::int64_t>(p.duration_s * 1e6);

  const std::string cam = run.camera.ip.str();
  const std::string url = "rtsp://" + cam + ":554/Streaming/Channels/101";
  const std::string realm = "IP Camera(" + std::to_string(rng.range(10000, 99999)) + ")";
  const std::string nonce = hex_token(rng, 32);
  const std::string server = "Server: Hikvision-Webs";
  int cseq = 0;
  std::int64_t t = tcp.open(kBaseTimeUs + rng.range(100 * kMs, 400 * kMs)) + rng.range(100, 500);
  auto auth = [&](const std::string& uri) {
    return "Authorization: Digest username=\"admin\", realm=\"" + realm + "\", nonce=\"" + nonce + "\", uri=\"" + uri +
           "\", response=\"" + hex_token(rng, 32) + "\"\r\n";
  };
  // WCS's request at t; the camera's answer reaches the tap an RTT and its processing later.
  auto exchange = [&](const std::string& method, const std::string& uri, const std::string& headers,
                      const std::string& status, const std::string& answer_headers,
                      const std::string& body = {}) {
    ++cseq;
    tcp.queue_send(Side::kClient, t,
                   text_bytes(method + " " + uri + " RTSP/1.0\r\nCSeq: " + std::to_string(cseq) + "\r\n" + headers +
                              "User-Agent: Flashphoner RTSP client\r\n\r\n"),
                   Content::kSignalling);
    const std::int64_t ta = t + rtt + rng.range(1 * kMs, 15 * kMs);
    std::string a = "RTSP/1.0 " + status + "\r\nCSeq: " + std::to_string(cseq) + "\r\n" + answer_headers + server +
                    "\r\nDate: Thu, Jan 01 2026 00:00:01 GMT\r\n";
    if (!body.empty())
      a += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    a += "\r\n" + body;
    tcp.queue_send(Side::kServer, ta, text_bytes(a), Content::kSignalling);
    t = ta + rng.range(200, 2000);  // WCS's next request
    return ta;
  };

  exchange("OPTIONS", url, "", "200 OK", "Public: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER\r\n");
  exchange("DESCRIBE", url, "Accept: application/sdp\r\n", "401 Unauthorized",
           "WWW-Authenticate: Digest realm=\"" + realm + "\", nonce=\"" + nonce + "\", stale=\"FALSE\"\r\n");
  if (fault == RtspFault::kNotFound) {
    run.not_found_us = exchange("DESCRIBE", url, "Accept: application/sdp\r\n" + auth(url), "404 Not Found", "");
    tcp.close(Side::kClient, t + rng.range(1 * kMs, 20 * kMs));
    return run;
  }
  const std::string sdp = "v=0\r\no=- " + std::to_string(rng.range(1000000, 9999999)) + " 1 IN IP4 " + cam +
                          "\r\ns=Media Presentation\r\ne=NONE\r\nb=AS:5100\r\nt=0 0\r\na=control:" + url +
                          "/\r\nm=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:5000\r\na=recvonly\r\n"
                          "a=x-dimensions:1920,1080\r\na=control:" + url + "/trackID=1\r\n"
                          "a=rtpmap:96 H264/90000\r\na=fmtp:96 profile-level-id=420029; packetization-mode=1; "
                          "sprop-parameter-sets=Z00AKpY1QPAET8s3AQEBAg==,aO48gA==\r\n";
  exchange("DESCRIBE", url, "Accept: application/sdp\r\n" + auth(url), "200 OK",
           "Content-Base: " + url + "/\r\n", sdp);
  cap.note_sdp_clock(run.wcs, 96, 90000);  // the track's clock, for RTP on this connection
  const std::uint32_t ssrc = rng.u32();
  char ssrc_hex[16];
  std::snprintf(ssrc_hex, sizeof ssrc_hex, "%08X", ssrc);
  const std::string session = std::to_string(rng.range(100000000, 999999999));
  const std::string track = url + "/trackID=1";
  exchange("SETUP", track, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n" + auth(track), "200 OK",
           "Session: " + session + ";timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=" + ssrc_hex +
               ";mode=\"play\"\r\n");

  // The camera's H.264 (packetization mode 1) at 25 fps, sent as soon as it answers PLAY.
  Rng media_rng = rng.fork(5);
  StreamSpec spec = video_stream(ssrc, 102);  // the generator's H.264 payloads; PT 96 on the wire
  spec.srtp = false;
  MediaStream video(spec, media_rng);
  VideoProfile profile;
  profile.kbps = static_cast<double>(rng.range(1000, 2000));
  profile.fps = 25;
  profile.keyframe_interval = 50;
  profile.max_payload = 1400;
  std::vector<std::pair<std::int64_t, Bytes>> rtp;
  const std::int64_t play_req = t;
  const std::int64_t t_teardown = std::max(end, play_req + 7 * kSec);
  std::string rtp_info;
  if (fault == RtspFault::kNone) {
    video.generate_video(play_req + rtt + 20 * kMs, t_teardown - rtt / 2, profile, PathTiming{2000}, media_rng,
                         [&](std::int64_t tt, Bytes b) {
                           b[1] = static_cast<std::uint8_t>((b[1] & 0x80) | 96);
                           rtp.emplace_back(tt, std::move(b));
                         });
    rtp_info = "RTP-Info: url=" + track + ";seq=" + std::to_string(get16(rtp.front().second, 2)) +
               ";rtptime=" + std::to_string(get32(rtp.front().second, 4)) + "\r\n";
  }
  run.play_ok_us = exchange("PLAY", url + "/", "Session: " + session + "\r\nRange: npt=0.000-\r\n" + auth(url + "/"),
                            "200 OK", "Session: " + session + "\r\n" + rtp_info);
  for (auto& [tt, b] : rtp) {
    const std::int64_t at = std::max(tt, run.play_ok_us + 1 * kMs);
    cap.note_embedded_rtp(at, run.camera, run.wcs, b);
    tcp.queue_send(Side::kServer, at, interleaved(0, b), Content::kSignalling);
  }
  if (fault == RtspFault::kNone) {
    // RTCP on channel 1: the camera's sender reports and WCS's receiver reports, about every 5 s.
    const std::uint32_t wcs_ssrc = rng.u32();
    for (std::int64_t ts = run.play_ok_us + 5 * kSec; ts < t_teardown - 500 * kMs; ts += 5 * kSec) {
      const std::int64_t sr_at = ts + rng.range(-500 * kMs, 500 * kMs);
      const rtcp::SenderInfo si = video.sender_info(sr_at);
      video.note_sender_report(sr_at, si.ntp);
      Bytes sr = rtcp::sender_report(ssrc, si, {});
      append(sr, rtcp::sdes_cname(ssrc, "camera"));
      tcp.queue_send(Side::kServer, sr_at, interleaved(1, sr), Content::kSignalling);
      const std::int64_t rr_at = sr_at + rng.range(200 * kMs, 1500 * kMs);
      std::vector<rtcp::ReportBlock> blocks;
      if (auto rb = video.report_block(rr_at)) blocks.push_back(*rb);
      Bytes rr = rtcp::receiver_report(wcs_ssrc, blocks);
      append(rr, rtcp::sdes_cname(wcs_ssrc, "wcs"));
      tcp.queue_send(Side::kClient, rr_at, interleaved(1, rr), Content::kSignalling);
    }
  }
  t = t_teardown;
  // The camera's last frames may still be on their way: TEARDOWN after them.
  if (!rtp.empty()) t = std::max(t, rtp.back().first + 5 * kMs);
  exchange("TEARDOWN", url + "/", "Session: " + session + "\r\n" + auth(url + "/"), "200 OK",
           "Session: " + session + "\r\n");
  tcp.close(Side::kClient, t);
  return run;
}

// ---- RTMP ----------------------------------------------------------------------------------------

namespace amf {
void number(Bytes& b, double v) {
  put8(b, 0x00);
  std::uint64_t u;
  std::memcpy(&u, &v, 8);
  put64(b, u);
}
void string(Bytes& b, std::string_view s) {
  put8(b, 0x02);
  put16(b, static_cast<std::uint16_t>(s.size()));
  append(b, s);
}
void null(Bytes& b) { put8(b, 0x05); }
void key(Bytes& b, std::string_view k) {
  put16(b, static_cast<std::uint16_t>(k.size()));
  append(b, k);
}
void object_begin(Bytes& b) { put8(b, 0x03); }
void ecma_begin(Bytes& b, std::uint32_t n) {
  put8(b, 0x08);
  put32(b, n);
}
void object_end(Bytes& b) { append(b, Bytes{0x00, 0x00, 0x09}); }
}  // namespace amf

constexpr std::uint8_t kSetChunkSize = 1, kAck = 3, kUserControl = 4, kWindowAck = 5, kPeerBandwidth = 6,
                       kAudio = 8, kVideo = 9, kData = 18, kCommand = 20;

// One direction's chunk stream: messages cut into chunks (type 0 header, then type 3 continuations).
class ChunkWriter {
 public:
  Bytes message(std::uint32_t csid, std::uint32_t timestamp, std::uint8_t type, std::uint32_t stream_id,
                ByteView body) {
    Bytes out;
    std::size_t off = 0;
    bool first = true;
    do {
      if (first) {
        put8(out, static_cast<std::uint8_t>(csid));  // fmt 0
        put24(out, timestamp);
        put24(out, static_cast<std::uint32_t>(body.size()));
        put8(out, type);
        for (int i = 0; i < 4; ++i) put8(out, static_cast<std::uint8_t>(stream_id >> (8 * i)));  // little-endian
      } else {
        put8(out, static_cast<std::uint8_t>(0xc0 | csid));  // fmt 3
      }
      const std::size_t n = std::min<std::size_t>(chunk_size_, body.size() - off);
      append(out, body.subspan(off, n));
      off += n;
      first = false;
    } while (off < body.size());
    if (type == kSetChunkSize && body.size() == 4) chunk_size_ = get32(body, 0);
    return out;
  }

 private:
  std::uint32_t chunk_size_ = 128;
};

Bytes u32_body(std::uint32_t v) {
  Bytes b;
  put32(b, v);
  return b;
}

Bytes command(std::string_view name, double txn, const std::function<void(Bytes&)>& rest) {
  Bytes b;
  amf::string(b, name);
  amf::number(b, txn);
  rest(b);
  return b;
}

Bytes status_info(std::string_view level, std::string_view code, std::string_view description) {
  Bytes b;
  amf::object_begin(b);
  amf::key(b, "level");
  amf::string(b, level);
  amf::key(b, "code");
  amf::string(b, code);
  amf::key(b, "description");
  amf::string(b, description);
  amf::object_end(b);
  return b;
}

struct RtmpRun {
  Endpoint encoder, wcs;
  std::int64_t error_us = 0;  // the error onStatus's tap time
};

// An encoder (OBS-like) publishes to WCS:1935 (the tapped host): `bad_name` has WCS refuse the stream.
RtmpRun rtmp_session(const ScenarioParams& p, Capture& cap, std::uint64_t salt, bool bad_name) {
  Rng rng(p.seed ^ salt);
  RtmpRun run;
  run.encoder = Endpoint{Ipv4Addr::of(203, 0, 113, static_cast<std::uint8_t>(rng.range(2, 250))),
                         static_cast<std::uint16_t>(rng.range(49152, 65000))};
  run.wcs = Endpoint{kWcsIp, 1935};
  cap.set_remote_ttl(run.encoder.ip, static_cast<std::uint8_t>(128 - rng.range(8, 16)));
  const std::int64_t rtt = rng.range(20 * kMs, 80 * kMs);
  TcpConnection tcp(cap, run.encoder, run.wcs, rtt, rng);
  const std::int64_t end = kBaseTimeUs + static_cast<std::int64_t>(p.duration_s * 1e6);
  ChunkWriter to_wcs, to_encoder;
  std::uint64_t received = 0, acked = 0;  // bytes WCS received (for its Acknowledgements)
  constexpr std::uint32_t kWindow = 2500000;
  auto client = [&](std::int64_t t, Bytes b) {
    received += b.size();
    tcp.queue_send(Side::kClient, t, std::move(b), Content::kSignalling);
    if (received - acked >= kWindow) {
      acked = received;
      tcp.queue_send(Side::kServer, t + rng.range(100, 400),
                     to_encoder.message(2, 0, kAck, 0, u32_body(static_cast<std::uint32_t>(received))),
                     Content::kSignalling);
    }
  };
  auto server = [&](std::int64_t t, Bytes b) { tcp.queue_send(Side::kServer, t, std::move(b), Content::kSignalling); };
  // The server's answer to what the client sent at t (the tapped host answers at once); the
  // client's to what the server sent at t (an RTT later).
  auto at_server = [&](std::int64_t t) { return t + rng.range(200, 2000); };
  auto at_client = [&](std::int64_t t) { return t + rtt + rng.range(200, 3000); };

  std::int64_t t = tcp.open(kBaseTimeUs + rng.range(100 * kMs, 400 * kMs)) + rng.range(100, 1000);
  // Handshake: C0 C1 / S0 S1 S2 / C2.
  const auto epoch = static_cast<std::uint32_t>(rng.range(0, 100000));
  Bytes c1;
  put32(c1, epoch);
  put32(c1, 0);
  rng.fill(c1, 1528);
  Bytes c0c1{0x03};
  append(c0c1, c1);
  client(t, c0c1);
  t = at_server(t);
  Bytes s1;
  put32(s1, 0);
  put32(s1, 0);
  rng.fill(s1, 1528);
  Bytes s012{0x03};
  append(s012, s1);
  Bytes s2 = c1;  // echoes C1 (its time, time2 = when it was read, its random bytes)
  s2[4] = s2[5] = 0;
  s2[6] = static_cast<std::uint8_t>(rng.range(0, 255));
  s2[7] = static_cast<std::uint8_t>(rng.range(0, 255));
  append(s012, s2);
  server(t, s012);
  t = at_client(t);
  Bytes c2 = s1;
  client(t, c2);

  // connect, with the client's Set Chunk Size first.
  const std::string app = "live";
  const std::string stream = "stream" + std::to_string(rng.range(1, 999));
  const std::string tc_url = "rtmp://" + run.wcs.ip.str() + ":1935/" + app;
  t += rng.range(200, 1000);
  {
    Bytes b = to_wcs.message(2, 0, kSetChunkSize, 0, u32_body(4096));
    Bytes obj;
    amf::object_begin(obj);
    amf::key(obj, "app");
    amf::string(obj, app);
    amf::key(obj, "type");
    amf::string(obj, "nonprivate");
    amf::key(obj, "flashVer");
    amf::string(obj, "FMLE/3.0 (compatible; FMSc/1.0)");
    amf::key(obj, "swfUrl");
    amf::string(obj, tc_url);
    amf::key(obj, "tcUrl");
    amf::string(obj, tc_url);
    amf::object_end(obj);
    append(b, to_wcs.message(3, 0, kCommand, 0, command("connect", 1, [&](Bytes& c) { append(c, obj); })));
    client(t, b);
  }
  t = at_server(t);
  {
    Bytes b = to_encoder.message(2, 0, kWindowAck, 0, u32_body(kWindow));
    Bytes bw = u32_body(kWindow);
    put8(bw, 2);  // dynamic
    append(b, to_encoder.message(2, 0, kPeerBandwidth, 0, bw));
    append(b, to_encoder.message(2, 0, kSetChunkSize, 0, u32_body(4096)));
    Bytes props;
    amf::object_begin(props);
    amf::key(props, "fmsVer");
    amf::string(props, "FMS/3,5,7,7009");
    amf::key(props, "capabilities");
    amf::number(props, 31);
    amf::object_end(props);
    Bytes info = status_info("status", "NetConnection.Connect.Success", "Connection succeeded.");
    info.erase(info.end() - 3, info.end());
    amf::key(info, "objectEncoding");
    amf::number(info, 0);
    amf::object_end(info);
    append(b, to_encoder.message(3, 0, kCommand, 0, command("_result", 1, [&](Bytes& c) {
                                   append(c, props);
                                   append(c, info);
                                 })));
    server(t, b);
  }
  t = at_client(t);
  {
    Bytes b = to_wcs.message(3, 0, kCommand, 0, command("releaseStream", 2, [&](Bytes& c) {
                               amf::null(c);
                               amf::string(c, stream);
                             }));
    append(b, to_wcs.message(3, 0, kCommand, 0, command("FCPublish", 3, [&](Bytes& c) {
                               amf::null(c);
                               amf::string(c, stream);
                             })));
    append(b, to_wcs.message(3, 0, kCommand, 0, command("createStream", 4, [&](Bytes& c) { amf::null(c); })));
    client(t, b);
  }
  t = at_server(t);
  server(t, to_encoder.message(3, 0, kCommand, 0, command("_result", 4, [&](Bytes& c) {
                                 amf::null(c);
                                 amf::number(c, 1);
                               })));
  t = at_client(t);
  client(t, to_wcs.message(4, 0, kCommand, 1, command("publish", 5, [&](Bytes& c) {
                             amf::null(c);
                             amf::string(c, stream);
                             amf::string(c, "live");
                           })));
  t = at_server(t);
  if (bad_name) {
    server(t, to_encoder.message(5, 0, kCommand, 1, command("onStatus", 0, [&](Bytes& c) {
                                   amf::null(c);
                                   append(c, status_info("error", "NetStream.Publish.BadName",
                                                         stream + " is already publishing"));
                                 })));
    run.error_us = t;
    t = at_client(t);
    client(t, to_wcs.message(3, 0, kCommand, 0, command("deleteStream", 6, [&](Bytes& c) {
                               amf::null(c);
                               amf::number(c, 1);
                             })));
    tcp.close(Side::kClient, t + rng.range(5 * kMs, 50 * kMs));
    return run;
  }
  {
    Bytes begin;
    put16(begin, 0);  // StreamBegin
    put32(begin, 1);
    Bytes b = to_encoder.message(2, 0, kUserControl, 0, begin);
    append(b, to_encoder.message(5, 0, kCommand, 1, command("onStatus", 0, [&](Bytes& c) {
                                   amf::null(c);
                                   append(c, status_info("status", "NetStream.Publish.Start",
                                                         stream + " is now published."));
                                 })));
    server(t, b);
  }
  t = at_client(t);
  const std::int64_t media_start = t;
  const double video_kbps = static_cast<double>(rng.range(800, 2500));
  {
    Bytes meta;
    amf::string(meta, "@setDataFrame");
    amf::string(meta, "onMetaData");
    amf::ecma_begin(meta, 6);
    for (auto [k, v] : {std::pair<const char*, double>{"width", 1280}, {"height", 720}, {"framerate", 30},
                        {"videocodecid", 7}, {"audiocodecid", 10}, {"audiosamplerate", 44100}}) {
      amf::key(meta, k);
      amf::number(meta, v);
    }
    amf::object_end(meta);
    Bytes b = to_wcs.message(4, 0, kData, 1, meta);
    // AVC and AAC sequence headers first.
    Bytes avc{0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x4d, 0x40, 0x1f, 0xff, 0xe1};
    Bytes sps{0x67, 0x4d, 0x40, 0x1f, 0x96, 0x54, 0x02, 0x80, 0x2d, 0xd0, 0x80};
    put16(avc, static_cast<std::uint16_t>(sps.size()));
    append(avc, sps);
    append(avc, Bytes{0x01, 0x00, 0x04, 0x68, 0xee, 0x3c, 0x80});
    append(b, to_wcs.message(6, 0, kVideo, 1, avc));
    append(b, to_wcs.message(4, 0, kAudio, 1, Bytes{0xaf, 0x00, 0x12, 0x10}));
    client(t, b);
  }
  // 30 fps video (a keyframe every 2 s) and AAC at 44.1 kHz (1024 samples a frame), in time order.
  const std::int64_t media_end = std::max(end, media_start + 3 * kSec);
  std::vector<std::pair<std::int64_t, Bytes>> frames;  // (media time from the start, message)
  for (std::int64_t k = 0;; ++k) {
    const std::int64_t mt = k * kSec / 30;
    if (media_start + mt >= media_end) break;
    const bool key = k % 60 == 0;
    const double bytes = video_kbps * 1000 / 8 / 30 * (key ? 4.0 : 0.9) * rng.uniform(0.8, 1.2);
    const auto n = std::max<std::size_t>(64, static_cast<std::size_t>(bytes));
    Bytes body{static_cast<std::uint8_t>(key ? 0x17 : 0x27), 0x01, 0x00, 0x00, 0x00};
    put32(body, static_cast<std::uint32_t>(n - 9));  // one NAL unit, length-prefixed
    put8(body, key ? 0x65 : 0x41);
    rng.fill(body, n - 10);
    frames.emplace_back(mt, to_wcs.message(6, static_cast<std::uint32_t>(mt / 1000), kVideo, 1, body));
  }
  for (std::int64_t k = 0;; ++k) {
    const std::int64_t mt = k * 1024 * kSec / 44100;
    if (media_start + mt >= media_end) break;
    Bytes body{0xaf, 0x01};
    rng.fill(body, static_cast<std::size_t>(rng.range(330, 400)));
    frames.emplace_back(mt, to_wcs.message(4, static_cast<std::uint32_t>(mt / 1000), kAudio, 1, body));
  }
  // Messages of one chunk stream must keep their order: sort by time, video before audio at a tie.
  std::stable_sort(frames.begin(), frames.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::int64_t last = media_start, next_free = media_start + 50;
  for (auto& [mt, b] : frames) {
    last = std::max(next_free, media_start + 1 * kMs + mt + rng.range(0, 3 * kMs));
    next_free = last + static_cast<std::int64_t>((b.size() + 1459) / 1460) * 30 + 50;  // after its segments
    client(last, std::move(b));
  }
  t = last + rng.range(20 * kMs, 100 * kMs);
  {
    Bytes b = to_wcs.message(3, 0, kCommand, 0, command("FCUnpublish", 6, [&](Bytes& c) {
                               amf::null(c);
                               amf::string(c, stream);
                             }));
    append(b, to_wcs.message(3, 0, kCommand, 0, command("deleteStream", 7, [&](Bytes& c) {
                               amf::null(c);
                               amf::number(c, 1);
                             })));
    client(t, b);
  }
  tcp.close(Side::kClient, t + rng.range(5 * kMs, 50 * kMs));
  return run;
}

}  // namespace

std::vector<Anomaly> rtsp_pull(const ScenarioParams& p, Capture& cap) {
  rtsp_session(p, cap, 0x5e5701u, RtspFault::kNone);
  return {};
}

std::vector<Anomaly> rtsp_not_found(const ScenarioParams& p, Capture& cap) {
  const RtspRun r = rtsp_session(p, cap, 0x5e5702u, RtspFault::kNotFound);
  return {Anomaly{"rtsp_failure", "tcp", r.wcs, r.camera, std::nullopt, r.not_found_us, 0.01}};
}

std::vector<Anomaly> rtsp_no_rtp(const ScenarioParams& p, Capture& cap) {
  const RtspRun r = rtsp_session(p, cap, 0x5e5703u, RtspFault::kNoRtp);
  return {Anomaly{"rtsp_failure", "tcp", r.wcs, r.camera, std::nullopt, r.play_ok_us + 3 * kSec, 0.01}};
}

std::vector<Anomaly> rtmp_publish(const ScenarioParams& p, Capture& cap) {
  rtmp_session(p, cap, 0x47a901u, false);
  return {};
}

std::vector<Anomaly> rtmp_bad_name(const ScenarioParams& p, Capture& cap) {
  const RtmpRun r = rtmp_session(p, cap, 0x47a902u, true);
  return {Anomaly{"rtmp_failure", "tcp", r.encoder, r.wcs, std::nullopt, r.error_us, 0.01}};
}

}  // namespace wcsgen
