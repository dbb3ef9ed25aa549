// A browser's allocation on a TURN server (RFC 8656 over UDP), as a tap beside the server sees
// it: the browser's requests as they arrive, the server's responses as it sends them, at once
// (coturn on the WCS host). Long-term credentials: the first Allocate is challenged (401 with
// REALM and NONCE); every later request carries USERNAME, REALM, NONCE and a MESSAGE-INTEGRITY
// keyed with MD5(username:realm:password), and so do the server's answers to them. What the
// browser and its peer then send each other crosses the tap as ChannelData (turn_channel_data),
// which Capture frames when it writes a relayed packet (Capture::relay_turn).
#pragma once

#include <cstdint>
#include <string>

#include "bytes.h"
#include "capture.h"
#include "net.h"
#include "rng.h"
#include "stun.h"

namespace wcsgen {

inline constexpr std::uint16_t kTurnPort = 3478;
inline constexpr std::uint16_t kFirstTurnChannel = 0x4000;
inline constexpr std::uint32_t kTurnLifetimeS = 600;  // what the browser asks for, the server grants

// ChannelData (RFC 8656 12.4): channel number, length, the datagram, zeros to a multiple of
// 4 bytes (optional over UDP; coturn pads, and so do we both ways).
Bytes turn_channel_data(std::uint16_t channel, ByteView datagram);

class TurnClient {
 public:
  // The server's relayed address for this browser (same host, a port from 49152-65535) and the
  // credentials come from `rng`, as every later draw of the exchange.
  TurnClient(Capture& cap, const Endpoint& browser, const Endpoint& server, std::int64_t rtt_us, Rng& rng);

  // Allocate for a UDP relayed address, the first request reaching the tap at t_us; challenged,
  // then sent again with credentials. Returns when the success leaves the server.
  std::int64_t allocate(std::int64_t t_us);

  // CreatePermission for `peer`, and ChannelBind of `channel` to it sent right behind it (the
  // browser does not wait for the permission), the first reaching the tap at t_us. Returns when
  // the ChannelBind success leaves the server.
  std::int64_t bind_channel(std::int64_t t_us, const Endpoint& peer, std::uint16_t channel);

  // Refresh of the allocation (LIFETIME kTurnLifetimeS), reaching the tap at t_us.
  void refresh(std::int64_t t_us);

  const Endpoint& relayed() const { return relayed_; }
  const Endpoint& server() const { return server_; }

 private:
  // The browser's request at t_us and the server's answer at once; returns the answer's time.
  std::int64_t exchange(std::int64_t t_us, Bytes request, Bytes response);
  // When the browser's next request, sent once `answer_us` reached it, reaches the tap.
  std::int64_t after_answer(std::int64_t answer_us);
  // A request with the long-term credentials, before its MESSAGE-INTEGRITY.
  void add_credentials(stun::MessageBuilder& m) const;

  Capture& cap_;
  Rng& rng_;
  Endpoint browser_;
  Endpoint server_;
  Endpoint relayed_;
  std::int64_t rtt_us_;
  std::string username_;
  std::string realm_;
  std::string nonce_;
  Bytes key_;
};

}  // namespace wcsgen
