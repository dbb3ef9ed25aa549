#include "ice.h"

namespace wcsgen {

namespace {

std::string random_ice_chars(Rng& rng, std::size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(kAlphabet[rng.below(sizeof kAlphabet - 1)]);
  return s;
}

// RFC 8445 5.1.2.1: (2^24)*type preference + (2^8)*local preference + (256 - component).
constexpr std::uint32_t ice_priority(std::uint32_t type_pref, std::uint32_t local_pref) {
  return (type_pref << 24) | (local_pref << 8) | 255u;
}

}  // namespace

IcePair::IcePair(Capture& cap, const Endpoint& browser, const Endpoint& wcs, std::int64_t rtt_us, Rng& rng)
    : cap_(cap),
      rng_(rng),
      browser_(browser),
      browser_mapped_(browser),
      wcs_(wcs),
      rtt_us_(rtt_us),
      browser_ufrag_(random_ice_chars(rng, 4)),
      wcs_ufrag_(random_ice_chars(rng, 8)),
      browser_role_{true, rng.next()},
      wcs_role_{false, rng.next()},
      browser_priority_(ice_priority(110, 32543)),  // peer-reflexive, as browsers send
      wcs_priority_(ice_priority(126, 65535)) {}     // host

stun::TransactionId IcePair::browser_request(std::int64_t t_us, bool use_candidate) {
  const auto tid = stun::new_transaction_id(rng_);
  cap_.add_udp(t_us, browser_, wcs_, Content::kStun,
               stun::binding_request(tid, wcs_ufrag_ + ":" + browser_ufrag_, browser_priority_, browser_role_,
                                     use_candidate, rng_));
  return tid;
}

std::int64_t IcePair::browser_check(std::int64_t t_us, bool use_candidate) {
  const auto tid = browser_request(t_us, use_candidate);
  const std::int64_t t_resp = t_us + rng_.range(answer_lo_us_, answer_hi_us_);
  cap_.add_udp(t_resp, wcs_, browser_, Content::kStun, stun::binding_success(tid, browser_mapped_, rng_));
  return t_resp;
}

std::int64_t IcePair::wcs_check(std::int64_t t_us) {
  const auto tid = stun::new_transaction_id(rng_);
  cap_.add_udp(t_us, wcs_, browser_, Content::kStun,
               stun::binding_request(tid, browser_ufrag_ + ":" + wcs_ufrag_, wcs_priority_, wcs_role_, false, rng_));
  const std::int64_t t_resp = t_us + rtt_us_ + rng_.range(100, 1500);
  cap_.add_udp(t_resp, browser_, wcs_, Content::kStun, stun::binding_success(tid, wcs_, rng_));
  return t_resp;
}

}  // namespace wcsgen
