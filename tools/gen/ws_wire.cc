#include "ws_wire.h"

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <optional>
#include <stdexcept>

namespace wcsgen {

namespace {
constexpr std::size_t kMss = 1460;
constexpr std::uint16_t kWindow = 64240;
constexpr std::int64_t kSegmentGapUs = 15;

Bytes syn_options() { return Bytes{0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02}; }

std::string base64(ByteView b) {
  std::string s(BASE64_ENCODE_RAW_LENGTH(b.size()), '\0');
  base64_encode_raw(s.data(), b.size(), b.data());
  return s;
}

std::string hex_colons(ByteView b) {
  std::string s;
  char buf[4];
  for (std::size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, i ? ":%02X" : "%02X", b[i]);
    s += buf;
  }
  return s;
}

std::string alnum(Rng& rng, std::size_t n) {
  static constexpr std::string_view kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += kChars[rng.below(kChars.size())];
  return s;
}
}  // namespace

// ---- TcpFlow ----------------------------------------------------------------------------------

TcpFlow::TcpFlow(Capture& cap, const Endpoint& client, const Endpoint& server, bool client_local,
                 std::int64_t rtt_us, Rng& rng)
    : cap_(cap), rng_(rng), rtt_us_(rtt_us) {
  client_.self = client;
  server_.self = server;
  client_.local = client_local;
  server_.local = !client_local;
  client_.isn = client_.nxt = rng.u32();
  server_.isn = server_.nxt = rng.u32();
}

std::uint32_t TcpFlow::ack_value(Side from, std::int64_t t_us) {
  const Dir& me = dir(from);
  const Dir& p = peer(from);
  const std::int64_t horizon = me.local ? t_us : t_us - rtt_us_;
  std::uint32_t v = p.isn;
  for (const auto& [t, nxt] : p.sent)
    if (t <= horizon) v = nxt;
  return v;
}

void TcpFlow::segment(Side from, std::int64_t t_us, std::uint8_t flags, ByteView payload) {
  Dir& d = dir(from);
  TcpHeader h;
  h.seq = d.nxt;
  h.flags = flags;
  h.window = (flags & tcpflag::kRst) ? 0 : kWindow;
  if (flags & tcpflag::kSyn) h.options = syn_options();
  if (flags & tcpflag::kAck) {
    h.ack = ack_value(from, t_us);
    d.last_ack = h.ack;
    d.acked_anything = true;
  }
  d.nxt += static_cast<std::uint32_t>(payload.size());
  if (flags & (tcpflag::kSyn | tcpflag::kFin)) d.nxt += 1;
  d.sent.emplace_back(t_us, d.nxt);
  d.last_t = t_us;
  // Content has no kind of its own for clear TCP payload; kTls marks "stream bytes" (only RTP and
  // RTCP content is read by the capture).
  cap_.add_tcp(t_us, d.self, peer(from).self, h, payload.empty() ? Content::kTcpControl : Content::kTls,
               Bytes(payload.begin(), payload.end()));
}

void TcpFlow::at(std::int64_t t_us) {
  if (t_us < now_) throw std::logic_error("TcpFlow: time goes back");
  std::sort(acks_.begin(), acks_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t done = 0;
  for (; done < acks_.size() && acks_[done].first <= t_us; ++done) {
    const auto [t, who] = acks_[done];
    Dir& d = dir(who);
    if (t < d.last_t) continue;  // it sent something since, acknowledging as much
    if (!d.acked_anything || ack_value(who, t) != d.last_ack) segment(who, t, tcpflag::kAck, {});
  }
  acks_.erase(acks_.begin(), acks_.begin() + static_cast<std::ptrdiff_t>(done));
  now_ = t_us;
}

std::int64_t TcpFlow::reply_delay(Side replier) {
  // A host on the tap answers as soon as the packet is in; a remote one an RTT later at the tap.
  return dir(replier).local ? rng_.range(30, 300) : rtt_us_ + rng_.range(100, 1500);
}

std::int64_t TcpFlow::open(std::int64_t t_us) {
  at(t_us);
  segment(Side::kClient, t_us, tcpflag::kSyn, {});
  const std::int64_t t_synack =
      t_us + (server_.local ? rng_.range(40, 150) : rtt_us_ + rng_.range(40, 400));
  segment(Side::kServer, t_synack, tcpflag::kSyn | tcpflag::kAck, {});
  const std::int64_t t_ack = t_synack + (client_.local ? rng_.range(20, 80) : rtt_us_ + rng_.range(50, 400));
  segment(Side::kClient, t_ack, tcpflag::kAck, {});
  now_ = t_ack;
  return t_ack;
}

void TcpFlow::syn(std::int64_t t_us) {
  at(t_us);
  client_.nxt = client_.isn;
  segment(Side::kClient, t_us, tcpflag::kSyn, {});
}

void TcpFlow::refuse(std::int64_t t_us) {
  at(t_us);
  TcpHeader h;
  h.seq = 0;
  h.ack = client_.isn + 1;
  h.flags = tcpflag::kRst | tcpflag::kAck;
  h.window = 0;
  cap_.add_tcp(t_us, server_.self, client_.self, h, Content::kTcpControl, {});
  now_ = t_us;
}

std::int64_t TcpFlow::send(Side from, std::int64_t t_us, ByteView data) {
  at(t_us);
  std::int64_t t = t_us;
  for (std::size_t off = 0; off < data.size(); off += kMss) {
    const std::size_t n = std::min(kMss, data.size() - off);
    const bool last = off + n == data.size();
    segment(from, t, static_cast<std::uint8_t>(tcpflag::kAck | (last ? tcpflag::kPsh : 0)), data.subspan(off, n));
    if (!last) t += kSegmentGapUs + rng_.range(0, 10);
  }
  now_ = t;
  const Side receiver = from == Side::kClient ? Side::kServer : Side::kClient;
  acks_.emplace_back(t + reply_delay(receiver), receiver);
  return t;
}

void TcpFlow::reset(Side from, std::int64_t t_us) {
  at(t_us);
  segment(from, t_us, tcpflag::kRst | tcpflag::kAck, {});
  acks_.clear();  // nothing answers a reset
}

std::int64_t TcpFlow::close(Side first, std::int64_t t_us) {
  at(t_us);
  const Side second = first == Side::kClient ? Side::kServer : Side::kClient;
  const std::uint8_t fin_ack = tcpflag::kFin | tcpflag::kAck;
  segment(first, t_us, fin_ack, {});
  // The peer's ACKs still due before its FIN go out first.
  const std::int64_t t2 = t_us + reply_delay(second) + (dir(second).local ? rng_.range(50, 300) : 0);
  at(t2);
  segment(second, t2, fin_ack, {});
  const std::int64_t t3 = t2 + reply_delay(first);
  at(t3);
  segment(first, t3, tcpflag::kAck, {});
  acks_.clear();
  return t3;
}

// ---- HTTP / WebSocket -------------------------------------------------------------------------

namespace {
Bytes http_message(std::string start, const HttpHeaders& h, std::string_view body, bool length) {
  std::string s = std::move(start) + "\r\n";
  for (const auto& [name, value] : h.list) s += name + ": " + value + "\r\n";
  if (length) s += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  s += "\r\n";
  s += body;
  return Bytes(s.begin(), s.end());
}
}  // namespace

Bytes http_request(std::string_view method, std::string_view target, const HttpHeaders& h, std::string_view body,
                   bool length) {
  return http_message(std::string(method) + " " + std::string(target) + " HTTP/1.1", h, body, length);
}

Bytes http_response(int code, std::string_view reason, const HttpHeaders& h, std::string_view body, bool length) {
  return http_message("HTTP/1.1 " + std::to_string(code) + " " + std::string(reason), h, body, length);
}

std::string websocket_key(Rng& rng) { return base64(rng.bytes(16)); }

std::string websocket_accept(std::string_view key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  sha1_ctx ctx;
  sha1_init(&ctx);
  sha1_update(&ctx, key.size(), reinterpret_cast<const std::uint8_t*>(key.data()));
  sha1_update(&ctx, kGuid.size(), reinterpret_cast<const std::uint8_t*>(kGuid.data()));
  std::array<std::uint8_t, SHA1_DIGEST_SIZE> digest{};
  sha1_digest(&ctx, digest.size(), digest.data());
  return base64(digest);
}

Bytes ws_frame(std::uint8_t opcode, ByteView payload, Rng* mask_rng) {
  Bytes f;
  put8(f, static_cast<std::uint8_t>(0x80 | opcode));
  const std::uint8_t mask_bit = mask_rng ? 0x80 : 0x00;
  if (payload.size() < 126) {
    put8(f, static_cast<std::uint8_t>(mask_bit | payload.size()));
  } else if (payload.size() <= 0xffff) {
    put8(f, static_cast<std::uint8_t>(mask_bit | 126));
    put16(f, static_cast<std::uint16_t>(payload.size()));
  } else {
    put8(f, static_cast<std::uint8_t>(mask_bit | 127));
    put64(f, payload.size());
  }
  if (!mask_rng) {
    append(f, payload);
    return f;
  }
  const Bytes key = mask_rng->bytes(4);
  append(f, key);
  for (std::size_t i = 0; i < payload.size(); ++i) put8(f, static_cast<std::uint8_t>(payload[i] ^ key[i % 4]));
  return f;
}

Bytes ws_close_payload(std::uint16_t code, std::string_view reason) {
  Bytes b(2 + reason.size());
  b[0] = static_cast<std::uint8_t>(code >> 8);
  b[1] = static_cast<std::uint8_t>(code);
  std::copy(reason.begin(), reason.end(), b.begin() + 2);
  return b;
}

// ---- WCS --------------------------------------------------------------------------------------

std::string uuid(Rng& rng) {
  Bytes b = rng.bytes(16);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  std::string s;
  char buf[3];
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    s += buf;
  }
  return s;
}

SdpParams random_sdp_params(Ipv4Addr addr, std::uint16_t port, Rng& rng) {
  SdpParams p;
  p.addr = addr;
  p.port = port;
  p.ufrag = alnum(rng, 4);
  p.pwd = alnum(rng, 24);
  p.fingerprint = hex_colons(rng.bytes(32));
  p.audio_ssrc = rng.u32() | 1;
  p.video_ssrc = rng.u32() | 1;
  p.cname = alnum(rng, 16);
  p.msid = uuid(rng);
  return p;
}

std::string browser_offer_sdp(const SdpParams& p, Rng& rng) {
  const std::string ip = p.addr.str();
  const std::string cand = "a=candidate:" + std::to_string(rng.range(100000000, 4000000000)) + " 1 udp 2122260223 " +
                           ip + " " + std::to_string(p.port) + " typ host generation 0 network-id 1\r\n";
  const std::string ice = "a=ice-ufrag:" + p.ufrag + "\r\na=ice-pwd:" + p.pwd +
                          "\r\na=ice-options:trickle\r\na=fingerprint:sha-256 " + p.fingerprint +
                          "\r\na=setup:actpass\r\n";
  std::string s = "v=0\r\no=- " + std::to_string(rng.range(1000000000, 9000000000)) +
                  " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\n"
                  "a=msid-semantic: WMS " + p.msid + "\r\n";
  s += "m=audio " + std::to_string(p.port) + " UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 " + ip + "\r\n";
  s += "a=rtcp:9 IN IP4 0.0.0.0\r\n" + cand + ice;
  s += "a=mid:0\r\na=sendonly\r\na=msid:" + p.msid + " " + uuid(rng) +
       "\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
       "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\n";
  s += "a=ssrc:" + std::to_string(p.audio_ssrc) + " cname:" + p.cname + "\r\n";
  s += "m=video " + std::to_string(p.port) + " UDP/TLS/RTP/SAVPF 102 96\r\nc=IN IP4 " + ip + "\r\n";
  s += "a=rtcp:9 IN IP4 0.0.0.0\r\n" + ice;
  s += "a=mid:1\r\na=sendonly\r\na=msid:" + p.msid + " " + uuid(rng) +
       "\r\na=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:102 H264/90000\r\na=rtcp-fb:102 goog-remb\r\n"
       "a=rtcp-fb:102 transport-cc\r\na=rtcp-fb:102 ccm fir\r\na=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli\r\n"
       "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
       "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 transport-cc\r\na=rtcp-fb:96 ccm fir\r\n"
       "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n";
  s += "a=ssrc:" + std::to_string(p.video_ssrc) + " cname:" + p.cname + "\r\n";
  return s;
}

std::string wcs_answer_sdp(const SdpParams& p, Rng& rng) {
  const std::string ip = p.addr.str();
  const std::string port = std::to_string(p.port);
  const std::string cand = "a=candidate:1 1 udp 2130706431 " + ip + " " + port + " typ host generation 0\r\n";
  const std::string ice = "a=ice-ufrag:" + p.ufrag + "\r\na=ice-pwd:" + p.pwd + "\r\na=fingerprint:sha-256 " +
                          p.fingerprint + "\r\na=setup:active\r\n";
  std::string s = "v=0\r\no=Flashphoner 0 " + std::to_string(rng.range(1, 9)) + " IN IP4 " + ip +
                  "\r\ns=Flashphoner/1.0\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n";
  s += "m=audio " + port + " UDP/TLS/RTP/SAVPF 111\r\n" + cand + ice;
  s += "a=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";
  s += "m=video " + port + " UDP/TLS/RTP/SAVPF 102\r\n" + ice;
  s += "a=mid:1\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:102 H264/90000\r\na=rtcp-fb:102 nack\r\n"
       "a=rtcp-fb:102 nack pli\r\na=rtcp-fb:102 ccm fir\r\n"
       "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";
  return s;
}

void note_sdp_clocks(Capture& cap, std::string_view sdp) {
  std::optional<Ipv4Addr> session_addr, media_addr;
  std::optional<std::uint16_t> port;
  auto number = [](std::string_view t) {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p == t.data()) throw std::invalid_argument("note_sdp_clocks: not a number: " + std::string(t));
    return v;
  };
  auto address = [&](std::string_view t) {
    std::array<std::uint8_t, 4> a{};
    for (std::size_t i = 0; i < 4; ++i) {
      const std::size_t dot = t.find('.');
      a[i] = static_cast<std::uint8_t>(number(t.substr(0, dot)));
      t = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
    }
    return Ipv4Addr::of(a[0], a[1], a[2], a[3]);
  };
  for (std::size_t at = 0; at < sdp.size();) {
    std::size_t eol = sdp.find("\r\n", at);
    if (eol == std::string_view::npos) eol = sdp.size();
    const std::string_view line = sdp.substr(at, eol - at);
    at = eol + 2;
    if (line.starts_with("m=")) {
      const std::size_t sp = line.find(' ');
      port = static_cast<std::uint16_t>(number(line.substr(sp + 1)));
      media_addr.reset();
    } else if (line.starts_with("c=IN IP4 ")) {
      (port ? media_addr : session_addr) = address(line.substr(9));
    } else if (line.starts_with("a=rtpmap:") && port) {
      const std::size_t sp = line.find(' '), slash = line.find('/');
      const std::optional<Ipv4Addr> addr = media_addr ? media_addr : session_addr;
      if (!addr || sp == std::string_view::npos || slash == std::string_view::npos)
        throw std::invalid_argument("note_sdp_clocks: " + std::string(line));
      cap.note_sdp_clock(Endpoint{*addr, *port}, static_cast<std::uint8_t>(number(line.substr(9, sp - 9))),
                         static_cast<std::uint32_t>(number(line.substr(slash + 1))));
    }
  }
}

}  // namespace wcsgen
