#include "dtls_exchange.h"

#include <algorithm>

#include "dtls.h"
#include "x509.h"

namespace wcsgen {

namespace {

constexpr std::int64_t kMs = 1000;
constexpr std::int64_t kSec = 1000000;
// RFC 6347 4.2.4.1: the retransmission timer starts at 1 s and doubles, up to 60 s.
constexpr std::int64_t kInitialTimeout = kSec;
constexpr std::int64_t kMaxTimeout = 60 * kSec;

std::int64_t ms(Rng& rng, std::int64_t lo, std::int64_t hi) { return rng.range(lo * kMs, hi * kMs); }

// When a flight first sent at `first` goes out again while nothing answers it.
std::vector<std::int64_t> retransmission_times(std::int64_t first, std::int64_t until) {
  std::vector<std::int64_t> out;
  std::int64_t timeout = kInitialTimeout;
  for (std::int64_t t = first + timeout; t < until; t += timeout) {
    out.push_back(t);
    timeout = std::min(2 * timeout, kMaxTimeout);
  }
  return out;
}

// Both sides' record layers on the media 5-tuple: each numbers its records as it sends them.
class DtlsWire {
 public:
  DtlsWire(Capture& cap, const DtlsPeers& peers) : cap_(cap), peers_(peers) {}

  void from_wcs(std::int64_t t, const dtls::Flight& flight) {
    cap_.add_udp(t, peers_.wcs, peers_.browser, Content::kDtls, wcs_.datagram(flight));
  }

  void from_browser(std::int64_t t, const dtls::Flight& flight) {
    cap_.add_udp(t, peers_.browser, peers_.wcs, Content::kDtls, browser_.datagram(flight));
  }

  void fatal_alert_from_browser(std::int64_t t, std::uint8_t description) {
    cap_.add_udp(t, peers_.browser, peers_.wcs, Content::kDtls, browser_.alert(dtls::alert::kFatal, description));
  }

 private:
  Capture& cap_;
  DtlsPeers peers_;
  dtls::RecordSender wcs_;
  dtls::RecordSender browser_;
};

}  // namespace

DtlsExchange exchange_dtls(Capture& cap, Rng& rng, const DtlsPeers& peers, std::int64_t t_client_hello_us,
                           std::int64_t until_us, DtlsFault fault) {
  const dtls::Handshake hs = dtls::build_handshake(rng, t_client_hello_us / kSec);
  DtlsWire wire(cap, peers);
  DtlsExchange ex;
  ex.truth.client = peers.wcs;
  ex.truth.server = peers.browser;
  auto client_hello = [&](std::int64_t t) {
    wire.from_wcs(t, hs.client_hello);
    ex.client_hello_us.push_back(t);
    ++ex.truth.client_hellos;
  };
  auto browser_refuses = [&](std::int64_t t, std::uint8_t description) {
    wire.fatal_alert_from_browser(t, description);
    ex.alert_us = t;
    ex.truth.outcome = DtlsHandshakeTruth::Outcome::kAlert;
    ex.truth.alert = DtlsHandshakeTruth::Alert{dtls::alert::kFatal, description, peers.browser};
  };

  client_hello(t_client_hello_us);
  if (fault == DtlsFault::kNoAnswer) {
    for (const std::int64_t t : retransmission_times(t_client_hello_us, until_us)) client_hello(t);
    return ex;
  }

  const std::int64_t t_server_flight = t_client_hello_us + peers.rtt_us + ms(rng, 1, 4);
  if (fault == DtlsFault::kAlertAfterClientHello) {  // e.g. no SRTP profile in common
    browser_refuses(t_server_flight, dtls::alert::kHandshakeFailure);
    return ex;
  }
  wire.from_browser(t_server_flight, hs.server_flight);
  ex.truth.server_fingerprint = x509::sha256_fingerprint(hs.server_certificate);
  const std::int64_t t_client_finish = t_server_flight + ms(rng, 2, 6);
  wire.from_wcs(t_client_finish, hs.client_finish_flight);
  ex.wcs_certificate_us = t_client_finish;
  ex.truth.client_fingerprint = x509::sha256_fingerprint(hs.client_certificate);

  if (fault == DtlsFault::kStallAfterServerFlight) {
    // The browser, still waiting for flight 5, resends its flight; each copy reaching WCS tells it
    // its own flight 5 was lost, and it resends that at once (RFC 6347 4.2.4).
    for (const std::int64_t t : retransmission_times(t_server_flight, until_us)) {
      wire.from_browser(t, hs.server_flight_resent);
      wire.from_wcs(t + ms(rng, 2, 6), hs.client_finish_flight);
    }
    return ex;
  }

  const std::int64_t t_server_finish = t_client_finish + peers.rtt_us + rng.range(500, 2000);
  if (fault == DtlsFault::kBadCertificateAlert) {  // WCS's certificate is not the SDP's a=fingerprint
    browser_refuses(t_server_finish, dtls::alert::kBadCertificate);
    return ex;
  }
  wire.from_browser(t_server_finish, hs.server_finish_flight);
  ex.done_us = t_server_finish;
  ex.truth.outcome = DtlsHandshakeTruth::Outcome::kDone;
  return ex;
}

}  // namespace wcsgen
