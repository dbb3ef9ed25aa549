// Verdicts about the whole tap rather than one host pair: relay_fallback_surge (the share of the
// tap's sessions that connected through a relay) and stun_response_slow (a WCS host's Binding
// responses to all its clients). The pipeline gathers the facts (a session connected, a response
// timed); one judge over all of them decides. Offline that judge is the pipeline's own; with several
// dataplane workers each worker's pipeline hands its facts to one judge on the main lcore, which
// takes them in packet-time order, so the verdicts are those of one pipeline over the whole capture.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "anomaly/anomaly_engine.h"
#include "config/config.h"
#include "event.h"

namespace wcstap {

struct TapFact {
  enum class Kind : uint8_t { SessionConnected, StunResponse };
  Kind kind = Kind::SessionConnected;
  bool relay = false;   // SessionConnected: through a TURN relay or over ICE-TCP
  Nanos ts = 0;
  Endpoint responder;   // StunResponse: the WCS host that answered (port 0)
  double ms = 0;        // StunResponse: request to response, at the tap
};

class TapFactSink {
 public:
  virtual ~TapFactSink() = default;
  virtual void fact(const TapFact& f) = 0;
};

class TapWideJudge final : public TapFactSink {
 public:
  // `cfg` must outlive the judge; its events leave through `sink`.
  TapWideJudge(const Config& cfg, EventSink& sink);
  void fact(const TapFact& f) override;

 private:
  void session_connected(bool relay, Nanos ts);
  void stun_response(const Endpoint& host, double ms, Nanos ts);

  const Config& cfg_;
  AnomalyEngine engine_;
  // relay_fallback_surge: the last sessions to connect, and whether through a relay
  struct Connected {
    Nanos ts = 0;
    bool relay = false;
  };
  std::array<Connected, 256> connected_{};
  uint32_t connected_next_ = 0;
  AnomalySlot relay_surge_;
  double baseline_pct_ = 0;  // relayed share of the tap's sessions, running mean
  uint64_t baseline_count_ = 0;
  // WCS hosts answering Binding requests on a media port: their last response times.
  struct StunResponder {
    Endpoint host;  // port 0
    static constexpr unsigned kSamples = 64;
    std::array<double, kSamples> ms{};
    std::array<Nanos, kSamples> at{};
    uint32_t next = 0;
    AnomalySlot slow;
  };
  static constexpr size_t kMaxResponders = 64;
  std::vector<StunResponder> responders_;
};

}  // namespace wcstap
