#include "session/tap_wide.h"

#include <algorithm>
#include <cstdio>

namespace wcstap {

TapWideJudge::TapWideJudge(const Config& cfg, EventSink& sink) : cfg_(cfg), engine_(cfg.anomalies, sink) {}

void TapWideJudge::fact(const TapFact& f) {
  switch (f.kind) {
    case TapFact::Kind::SessionConnected: session_connected(f.relay, f.ts); break;
    case TapFact::Kind::StunResponse: stun_response(f.responder, f.ms, f.ts); break;
  }
}

// relay_fallback_surge (ANOMALIES.md #31), judged as each session connects (its first Binding
// success): of the sessions that connected in the last window_s, once there are min_sessions,
// more than pct % went through a TURN relay or over ICE-TCP.
void TapWideJudge::session_connected(bool relay_now, Nanos ts) {
  connected_[connected_next_++ % connected_.size()] = Connected{ts, relay_now};
  const auto& th = cfg_.anomalies.relay_fallback_surge;
  uint32_t n = 0, relays = 0;
  for (const Connected& c : connected_)
    if (c.ts != 0 && elapsed(ts, c.ts) <= seconds(th.window_s)) {
      ++n;
      relays += c.relay;
    }
  const double pct = n ? 100.0 * relays / n : 0;
  const bool relay = connected_[(connected_next_ - 1) % connected_.size()].relay;
  // The tap's own baseline: a running mean over its sessions, still while a surge is open.
  const bool baseline_ready = baseline_count_ >= th.baseline_sessions;
  const double doubled = 2 * baseline_pct_;
  const bool by_share = pct > th.pct;
  const bool by_baseline = baseline_ready && pct > doubled && pct >= th.min_pct;
  if (!relay_surge_.open) {
    baseline_pct_ += ((relay ? 100.0 : 0.0) - baseline_pct_) / std::min<double>(++baseline_count_, th.baseline_sessions);
  }
  AnomalySubject tap;  // the whole tap: no flow
  tap.l4 = L4::Other;
  const double threshold = by_share || !by_baseline ? th.pct : doubled;
  if (n >= th.min_sessions && (by_share || by_baseline)) {
    engine_.hold(relay_surge_, AnomalyKind::relay_fallback_surge, tap, ts, ts, pct, threshold, [&](char* buf, size_t len) {
      std::snprintf(buf, len, "%u of the %u sessions connected in the last %u s relayed or on ICE-TCP (%.1f %%, baseline %.1f %%)",
                    relays, n, th.window_s, pct, baseline_pct_);
    });
  } else if (!by_share && !by_baseline) {
    engine_.clear(relay_surge_, AnomalyKind::relay_fallback_surge, tap, ts, pct, threshold, "relayed share back to normal");
  }
}

// stun_response_slow (ANOMALIES.md #33): WCS's own Binding responses (a responder on a WCS media
// port; with the tap beside WCS, request in to response out is WCS's processing time) per host: the
// 95th percentile of those of the last window_s seconds, once there are min_samples, above p95_ms.
void TapWideJudge::stun_response(const Endpoint& host, double ms, Nanos ts) {
  auto it = std::find_if(responders_.begin(), responders_.end(), [&](const StunResponder& r) { return r.host == host; });
  if (it == responders_.end()) {
    if (responders_.size() >= kMaxResponders) return;
    responders_.emplace_back();
    it = responders_.end() - 1;
    it->host = host;
  }
  StunResponder& r = *it;
  r.ms[r.next % StunResponder::kSamples] = ms;
  r.at[r.next % StunResponder::kSamples] = ts;
  ++r.next;
  const auto& th = cfg_.anomalies.stun_response_slow;
  std::array<double, StunResponder::kSamples> recent;
  size_t n = 0;
  for (uint32_t i = 0; i < std::min<uint32_t>(r.next, StunResponder::kSamples); ++i)
    if (elapsed(ts, r.at[i]) <= seconds(th.window_s)) recent[n++] = r.ms[i];
  if (n < th.min_samples) return;
  const size_t k = (n * 95 + 99) / 100 - 1;  // nearest rank
  std::nth_element(recent.begin(), recent.begin() + static_cast<long>(k), recent.begin() + static_cast<long>(n));
  const double p95 = recent[k];
  AnomalySubject subj;
  subj.src = host;
  if (p95 <= th.p95_ms) {
    engine_.clear(r.slow, AnomalyKind::stun_response_slow, subj, ts, p95, th.p95_ms, "responses fast again");
    return;
  }
  engine_.hold(r.slow, AnomalyKind::stun_response_slow, subj, ts, ts, p95, th.p95_ms, [&](char* buf, size_t len) {
    std::snprintf(buf, len, "STUN Binding responses p95 %.1f ms over the last %zu in %u s (slowest %.1f ms)", p95, n,
                  th.window_s, *std::max_element(recent.begin(), recent.begin() + static_cast<long>(n)));
  });
}

}  // namespace wcstap
