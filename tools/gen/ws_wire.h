// Clear-text signalling as it crosses the tap: a TCP connection with either side on the tapped
// host (a browser calling WCS, or WCS calling its backend), and the writers for what travels on it:
// HTTP/1.1 messages, the WebSocket handshake and frames (RFC 6455, client frames masked), WCS's
// JSON messages and the SDP they carry, HLS playlists. Independent of analyzers/: real bytes only.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bytes.h"
#include "capture.h"
#include "net.h"
#include "rng.h"
#include "tcp_connection.h"  // Side

namespace wcsgen {

// One TCP connection, built in time order (every call's time no earlier than the previous call's).
// Acknowledgement numbers follow what each side can have received by then: the side on the tapped
// host has what reached the tap before; the remote side what the tap saw go out an RTT earlier.
// A receiver acknowledges data (a pure ACK, unless it sent something newer first).
class TcpFlow {
 public:
  // `client_local`: the client runs on the tapped host (WCS posting to its backend); else the server.
  TcpFlow(Capture& cap, const Endpoint& client, const Endpoint& server, bool client_local, std::int64_t rtt_us,
          Rng& rng);

  // SYN, SYN-ACK, ACK from t_us. Returns the tap time of the client's ACK.
  std::int64_t open(std::int64_t t_us);
  // A SYN (the first, or one sent again: the same sequence number) that nothing answers yet.
  void syn(std::int64_t t_us);
  // The server answers the SYN with RST|ACK (no listener: the connection is refused).
  void refuse(std::int64_t t_us);
  // Data from `from` at t_us, in MSS-sized segments; returns the tap time of the last segment.
  std::int64_t send(Side from, std::int64_t t_us, ByteView data);
  // RST|ACK from `from` at t_us: the connection is gone (nothing follows).
  void reset(Side from, std::int64_t t_us);
  // FIN from `first` at t_us, the other's FIN, the last ACK. Returns the tap time of the last packet.
  std::int64_t close(Side first, std::int64_t t_us);

  std::int64_t rtt_us() const { return rtt_us_; }
  const Endpoint& client() const { return client_.self; }
  const Endpoint& server() const { return server_.self; }

 private:
  struct Dir {
    Endpoint self;
    bool local = false;
    std::uint32_t isn = 0;
    std::uint32_t nxt = 0;
    std::uint32_t last_ack = 0;
    bool acked_anything = false;
    std::int64_t last_t = 0;
    std::vector<std::pair<std::int64_t, std::uint32_t>> sent;  // (tap time, nxt after the segment)
  };

  Dir& dir(Side s) { return s == Side::kClient ? client_ : server_; }
  Dir& peer(Side s) { return s == Side::kClient ? server_ : client_; }
  std::uint32_t ack_value(Side from, std::int64_t t_us);
  void segment(Side from, std::int64_t t_us, std::uint8_t flags, ByteView payload);
  void at(std::int64_t t_us);  // flushes the pure ACKs due by t_us; times must not go back
  std::int64_t reply_delay(Side replier);  // a reaction to what just reached it, at the tap

  Capture& cap_;
  Rng& rng_;
  std::int64_t rtt_us_;
  Dir client_;
  Dir server_;
  std::int64_t now_ = 0;
  std::vector<std::pair<std::int64_t, Side>> acks_;  // pure ACKs due (time, who)
};

// ---- HTTP / WebSocket -----------------------------------------------------------------------

// "HTTP/1.1 <code> <reason>" or a request line, the headers as given, and the body (with its
// Content-Length when `length` is set).
struct HttpHeaders {
  std::vector<std::pair<std::string, std::string>> list;
  void add(std::string name, std::string value) { list.emplace_back(std::move(name), std::move(value)); }
};
Bytes http_request(std::string_view method, std::string_view target, const HttpHeaders& h, std::string_view body = {},
                   bool length = false);
Bytes http_response(int code, std::string_view reason, const HttpHeaders& h, std::string_view body = {},
                    bool length = true);

// A random Sec-WebSocket-Key (base64 of 16 random bytes) and its Sec-WebSocket-Accept (RFC 6455 4.2.2).
std::string websocket_key(Rng& rng);
std::string websocket_accept(std::string_view key);

namespace wsop {
inline constexpr std::uint8_t kText = 0x1;
inline constexpr std::uint8_t kClose = 0x8;
inline constexpr std::uint8_t kPing = 0x9;
inline constexpr std::uint8_t kPong = 0xa;
}  // namespace wsop

// One final frame. Client frames are masked with a fresh random key (`rng` set), server frames not.
Bytes ws_frame(std::uint8_t opcode, ByteView payload, Rng* mask_rng);
// A close frame's payload: the status code, then an optional UTF-8 reason.
Bytes ws_close_payload(std::uint16_t code, std::string_view reason = {});

// ---- WCS ------------------------------------------------------------------------------------

// A v4 UUID as WCS's SDK makes mediaSessionIds.
std::string uuid(Rng& rng);

struct SdpParams {
  Ipv4Addr addr;
  std::uint16_t port = 9;
  std::string ufrag, pwd, fingerprint;  // fingerprint: "AB:CD:..." (SHA-256)
  std::uint32_t audio_ssrc = 0, video_ssrc = 0;
  std::string cname, msid;
};
// A browser's publish offer (audio+video, BUNDLE, rtcp-mux, sendonly) with one host candidate.
std::string browser_offer_sdp(const SdpParams& p, Rng& rng);
// WCS's answer to it (recvonly, its media port).
std::string wcs_answer_sdp(const SdpParams& p, Rng& rng);
SdpParams random_sdp_params(Ipv4Addr addr, std::uint16_t port, Rng& rng);
// Notes in `cap` the clock of every a=rtpmap of an SDP (as these writers write it: IPv4 c= lines)
// for the address its media section names (c=, the m= port): Capture::note_sdp_clock.
void note_sdp_clocks(Capture& cap, std::string_view sdp);

}  // namespace wcsgen
