// One TCP connection between a remote client and the tapped server, with
// consistent sequence and acknowledgement numbers as seen at the server.
//
// Events (data and ACKs) are queued with their tap time and played in time
// order by run(), so acknowledgement numbers always match what each side can
// have received: the server has everything that reached the tap before it
// sends; the client only what the server sent at least one RTT earlier.
// The tap is on the server's host unless `local` says the client is the tapped host
// (WCS connecting out: pulling an RTSP camera, republishing RTMP): then the roles of
// that timing swap, the server's answers reaching the tap an RTT after what they answer.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "bytes.h"
#include "capture.h"
#include "net.h"
#include "rng.h"

namespace wcsgen {

enum class Side : std::uint8_t { kClient, kServer };

class TcpConnection {
 public:
  TcpConnection(Capture& cap, const Endpoint& client, const Endpoint& server, std::int64_t rtt_us, Rng& rng,
                Side local = Side::kServer);

  // SYN at t_us (client), SYN-ACK, ACK. Returns the tap time of the client's ACK.
  std::int64_t open(std::int64_t t_us);

  // Queues `data` to be sent by `from` at t_us (split into MSS-sized segments).
  void queue_send(Side from, std::int64_t t_us, Bytes data, Content content);

  // Plays every queued event in time order (the receiver of data ACKs it
  // unless it had something newer to send first).
  void run();

  // Orderly close initiated by `first` at t_us (plays the queue first).
  // Returns the tap time of the last packet.
  std::int64_t close(Side first, std::int64_t t_us);

  std::int64_t rtt_us() const { return rtt_us_; }

 private:
  struct Dir {
    Endpoint self;
    std::uint32_t isn = 0;
    std::uint32_t nxt = 0;       // next sequence number to send
    std::uint32_t last_ack = 0;  // last acknowledgement number sent
    bool acked_anything = false;
    std::vector<std::pair<std::int64_t, std::uint32_t>> sent;  // (tap time, nxt after the segment)
  };
  struct Event {
    Side from;
    bool is_ack;  // pure ACK (else data)
    Bytes data;
    Content content;
  };

  Dir& dir(Side s) { return s == Side::kClient ? client_ : server_; }
  std::uint32_t ack_value(Side from, std::int64_t t_us) const;
  void segment(Side from, std::int64_t t_us, std::uint8_t flags, ByteView payload, Content content);
  std::int64_t send_now(Side from, std::int64_t t_us, ByteView data, Content content);
  std::int64_t ack_delay(Side receiver);

  Capture& cap_;
  Rng& rng_;
  std::int64_t rtt_us_;
  Side local_;
  Dir client_;
  Dir server_;
  std::multimap<std::int64_t, Event> queue_;
};

}  // namespace wcsgen
