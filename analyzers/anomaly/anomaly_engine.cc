#include "anomaly/anomaly_engine.h"

#include <cstring>

namespace wcstap {

AnomalyEngine::AnomalyEngine(const AnomalyConfig& cfg, EventSink& sink)
    : cfg_(cfg), sink_(sink), refresh_ns_(static_cast<Nanos>(cfg.refresh_interval_s * 1e9)) {}

AnomalyEvent AnomalyEngine::make(AnomalyKind kind, AnomalyState state, const AnomalySubject& subj,
                                 Nanos first, Nanos now, double value, double threshold) const {
  AnomalyEvent ev;
  ev.kind = kind;
  ev.state = state;
  ev.severity = cfg_[kind].severity;
  ev.l4 = subj.l4;
  ev.src = subj.src;
  ev.dst = subj.dst;
  ev.has_ssrc = subj.has_ssrc;
  ev.ssrc = subj.ssrc;
  ev.session = subj.session;
  if (subj.stream != nullptr) std::snprintf(ev.stream, sizeof ev.stream, "%s", subj.stream);
  ev.first_ts = first;
  ev.ts = now;
  ev.value = value;
  ev.threshold = threshold;
  return ev;
}

void AnomalyEngine::clear(AnomalySlot& slot, AnomalyKind kind, const AnomalySubject& subj,
                          Nanos now, double value, double threshold, const char* why) {
  if (!slot.open) return;
  AnomalyEvent ev = make(kind, AnomalyState::Resolved, subj, slot.first_ts, now, value, threshold);
  ev.severity = slot.severity;
  std::snprintf(ev.detail, sizeof ev.detail, "%s", why);
  slot = AnomalySlot{};
  sink_.emit(ev);
}

}  // namespace wcstap
