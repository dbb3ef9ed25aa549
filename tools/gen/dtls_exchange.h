// The DTLS handshake of a WebRTC session on the wire (WCS the DTLS client,
// the browser the server): the flights of dtls.h with their timing and
// retransmissions, healthy or failing in one of a few ways.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "capture.h"
#include "net.h"
#include "rng.h"

namespace wcsgen {

enum class DtlsFault : std::uint8_t {
  kNone,
  kNoAnswer,                // the browser never answers: WCS retransmits its ClientHello
  kStallAfterServerFlight,  // WCS's flight 5 never reaches the browser: both retransmit
  kAlertAfterClientHello,   // the browser refuses the ClientHello: fatal handshake_failure
  kBadCertificateAlert,     // the browser refuses WCS's certificate: fatal bad_certificate
};

struct DtlsPeers {
  Endpoint wcs;
  Endpoint browser;
  std::int64_t rtt_us = 0;
};

struct DtlsExchange {
  std::optional<std::int64_t> done_us;        // the browser's Finished flight; none if never done
  std::vector<std::int64_t> client_hello_us;  // each ClientHello transmission
  std::optional<std::int64_t> alert_us;       // the browser's fatal alert
  std::optional<std::int64_t> wcs_certificate_us;  // WCS's flight 5, its certificate (first sent)
  DtlsHandshakeTruth truth;
};

// Adds the handshake's packets to `cap`, the first ClientHello at t_client_hello_us. A flight
// nobody answers is retransmitted on RFC 6347's timer (1 s, doubling) until `until_us`.
DtlsExchange exchange_dtls(Capture& cap, Rng& rng, const DtlsPeers& peers, std::int64_t t_client_hello_us,
                           std::int64_t until_us, DtlsFault fault);

}  // namespace wcsgen
