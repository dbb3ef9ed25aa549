// ICE connectivity checks on one candidate pair (browser host candidate <->
// WCS media port): the browser is controlling, WCS controlled. Every request
// that is not dropped later by a scenario gets its Binding Success, unless sent
// as unanswered.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "capture.h"
#include "net.h"
#include "rng.h"
#include "stun.h"

namespace wcsgen {

class IcePair {
 public:
  IcePair(Capture& cap, const Endpoint& browser, const Endpoint& wcs, std::int64_t rtt_us, Rng& rng);

  // WCS's answers to the browser's checks take [lo_us, hi_us] (default 80-600 us: at once).
  void set_answer_delay(std::int64_t lo_us, std::int64_t hi_us) {
    answer_lo_us_ = lo_us;
    answer_hi_us_ = hi_us;
  }

  // WCS sees the browser's checks come from `mapped` (its TURN relayed address: turn_client.h)
  // and says so in its answers' XOR-MAPPED-ADDRESS; by default, from the browser's own endpoint.
  void set_browser_mapped(const Endpoint& mapped) { browser_mapped_ = mapped; }

  // Browser request reaching the tap at t_us; WCS answers (see set_answer_delay).
  // Returns the tap time of the response.
  std::int64_t browser_check(std::int64_t t_us, bool use_candidate);

  // Browser request reaching the tap at t_us that never reaches WCS (nor gets an answer).
  void unanswered_browser_check(std::int64_t t_us, bool use_candidate) { browser_request(t_us, use_candidate); }

  // WCS request (consent freshness) leaving at t_us; the browser's answer
  // reaches the tap one RTT later. Returns the tap time of the response.
  std::int64_t wcs_check(std::int64_t t_us);

  // The ufrags the session's SDPs gave (by default random ones): checks name them.
  void set_ufrags(std::string browser, std::string wcs) {
    browser_ufrag_ = std::move(browser);
    wcs_ufrag_ = std::move(wcs);
  }

  const std::string& browser_ufrag() const { return browser_ufrag_; }
  const std::string& wcs_ufrag() const { return wcs_ufrag_; }

 private:
  stun::TransactionId browser_request(std::int64_t t_us, bool use_candidate);

  Capture& cap_;
  Rng& rng_;
  std::int64_t answer_lo_us_ = 80, answer_hi_us_ = 600;
  Endpoint browser_;
  Endpoint browser_mapped_;
  Endpoint wcs_;
  std::int64_t rtt_us_;
  std::string browser_ufrag_;
  std::string wcs_ufrag_;
  stun::IceRole browser_role_;
  stun::IceRole wcs_role_;
  std::uint32_t browser_priority_;
  std::uint32_t wcs_priority_;
};

}  // namespace wcsgen
