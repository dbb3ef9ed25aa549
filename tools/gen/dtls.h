// A DTLS 1.2 handshake as seen in DTLS-SRTP (RFC 5764) between WCS (the DTLS
// client) and a browser (the DTLS server). Record and handshake headers are
// well formed; keys, randoms and signatures are random bytes and the Finished
// messages are opaque epoch-1 records.
#pragma once

#include <cstdint>

#include "bytes.h"
#include "rng.h"

namespace wcsgen::dtls {

struct Handshake {
  Bytes client_hello;         // flight 1, WCS -> browser
  Bytes server_flight;        // flight 4, browser -> WCS: ServerHello .. ServerHelloDone
  Bytes client_finish_flight; // flight 5, WCS -> browser: Certificate .. ChangeCipherSpec, Finished
  Bytes server_finish_flight; // flight 6, browser -> WCS: ChangeCipherSpec, Finished
};

// now_unix_s: used for the certificates' validity period.
Handshake build_handshake(Rng& rng, std::int64_t now_unix_s);

}  // namespace wcsgen::dtls
