// A DTLS 1.2 handshake as seen in DTLS-SRTP (RFC 5764) between WCS (the DTLS
// client) and a browser (the DTLS server). Record and handshake headers are
// well formed; keys, randoms and signatures are random bytes and the Finished
// messages are opaque epoch-1 records.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "bytes.h"
#include "rng.h"

namespace wcsgen::dtls {

namespace alert {
inline constexpr std::uint8_t kFatal = 2;
inline constexpr std::uint8_t kHandshakeFailure = 40;
inline constexpr std::uint8_t kBadCertificate = 42;
}  // namespace alert

// A record before it is framed: the record sequence number is only given when
// it is sent, since a retransmitted flight carries the same records (same
// handshake message_seq and bytes) under new numbers (RFC 6347 4.2.4).
struct Record {
  std::uint8_t type = 0;
  std::uint16_t epoch = 0;
  Bytes fragment;
};

using Flight = std::vector<Record>;

// One side's record sequence numbers, one counter per epoch (0 plaintext, 1
// after ChangeCipherSpec).
class RecordSender {
 public:
  // The flight's records, framed with this side's next sequence numbers, in one datagram.
  Bytes datagram(const Flight& flight);

  // A plaintext (epoch 0) alert record, as a side that gives up on the handshake sends it.
  Bytes alert(std::uint8_t level, std::uint8_t description);

 private:
  std::array<std::uint64_t, 2> next_seq_{};
};

struct Handshake {
  Flight client_hello;          // flight 1, WCS -> browser
  Flight server_flight;         // flight 4, browser -> WCS: ServerHello .. ServerHelloDone
  Flight server_flight_resent;  // flight 4 retransmitted: the same messages, fragmented otherwise
  Flight client_finish_flight;  // flight 5, WCS -> browser: Certificate .. ChangeCipherSpec, Finished
  Flight server_finish_flight;  // flight 6, browser -> WCS: ChangeCipherSpec, Finished
  Bytes client_certificate;     // WCS's DER certificate (in flight 5)
  Bytes server_certificate;     // the browser's DER certificate (in flight 4)
};

// now_unix_s: used for the certificates' validity period.
Handshake build_handshake(Rng& rng, std::int64_t now_unix_s);

}  // namespace wcsgen::dtls
