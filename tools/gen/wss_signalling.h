// WCS WebSocket signalling over TLS (wss://, port 8443) as a browser sees it:
// TCP handshake, a TLS 1.3 handshake (ClientHello and ServerHello in clear,
// the rest as application-data records), the HTTP Upgrade, then one TLS
// record per WebSocket JSON message. Message contents are random bytes of a
// realistic size (we only pretend they are encrypted).
#pragma once

#include <cstdint>
#include <string>

#include "capture.h"
#include "net.h"
#include "rng.h"
#include "tcp_connection.h"

namespace wcsgen {

class WssSignalling {
 public:
  WssSignalling(Capture& cap, const Endpoint& browser, const Endpoint& server, std::int64_t rtt_us, Rng& rng,
                std::string server_name);

  // TCP + TLS + HTTP Upgrade starting at t_us. Returns the tap time at which
  // the server's "101 Switching Protocols" left.
  std::int64_t connect(std::int64_t t_us);

  // One WebSocket text frame carrying `json_len` bytes of JSON.
  void client_message(std::int64_t t_us, std::size_t json_len);
  void server_message(std::int64_t t_us, std::size_t json_len);

  // WebSocket close handshake at t_us, then the server closes TCP.
  // Returns the tap time of the last packet.
  std::int64_t close(std::int64_t t_us);

  std::int64_t rtt_us() const { return tcp_.rtt_us(); }

 private:
  Bytes app_record(std::size_t plaintext_len);
  Bytes client_hello();
  Bytes server_hello();
  static std::size_t ws_frame_len(std::size_t payload, bool masked);

  Rng& rng_;
  std::string server_name_;
  TcpConnection tcp_;
};

}  // namespace wcsgen
