// Raise / refresh / resolve semantics shared by every analyzer. The state of one open anomaly
// lives in an AnomalySlot inside its owner (a stream, a flow): one owner, one kind, one open event.
#pragma once

#include <cstdio>
#include <optional>

#include "config/config.h"
#include "event.h"

namespace wcstap {

struct AnomalySlot {
  Nanos first_ts = 0;   // when the current occurrence started
  Nanos last_emit = 0;  // last raised/refreshed event
  bool open = false;
  Severity severity{};  // as last announced
};

struct AnomalySubject {
  L4 l4 = L4::Udp;
  Endpoint src, dst;
  bool has_ssrc = false;
  uint32_t ssrc = 0;
  uint64_t session = 0;  // the WebRTC session (webrtc_session id) of the flow; 0 when none
  const char* stream = nullptr;  // what signalling calls it (AnomalyEvent::stream); nullptr: unnamed
};

class AnomalyEngine {
 public:
  AnomalyEngine(const AnomalyConfig& cfg, EventSink& sink);

  bool enabled(AnomalyKind k) const { return cfg_[k].enabled; }

  // hold() would emit nothing now: the anomaly is open, was raised or refreshed less than a refresh
  // interval ago and stays as severe. A caller that holds on every packet can skip making the
  // subject and detail then.
  bool quiet(const AnomalySlot& slot, AnomalyKind kind, Nanos now, std::optional<Severity> severity = {}) const {
    return slot.open && elapsed(now, slot.last_emit) < refresh_ns_ &&
           severity.value_or(cfg_[kind].severity) == slot.severity;
  }

  // The condition holds at `now` (it started at `since`): raises it once, then refreshes it at
  // most every refresh interval, or at once when its severity changes. `detail(buf, size)` writes
  // the text only when an event goes out. Without `severity`, the kind's configured one.
  template <class Detail>
  void hold(AnomalySlot& slot, AnomalyKind kind, const AnomalySubject& subj, Nanos since, Nanos now,
            double value, double threshold, Detail&& detail, std::optional<Severity> severity = {}) {
    if (!enabled(kind) || quiet(slot, kind, now, severity)) return;
    const Severity sev = severity.value_or(cfg_[kind].severity);
    AnomalyEvent ev = make(kind, slot.open ? AnomalyState::Refreshed : AnomalyState::Raised, subj,
                           slot.open ? slot.first_ts : since, now, value, threshold);
    ev.severity = sev;
    detail(ev.detail, sizeof ev.detail);
    if (!slot.open) {
      slot.open = true;
      slot.first_ts = since;
    }
    slot.severity = sev;
    slot.last_emit = now;
    sink_.emit(ev);
  }

  // Something that happens at one moment (a reset, an ICMP error): raised and resolved at once, so
  // nothing stays open. Counts as raised.
  template <class Detail>
  void event(AnomalyKind kind, const AnomalySubject& subj, Nanos now, double value, double threshold,
             Detail&& detail) {
    AnomalySlot slot;
    hold(slot, kind, subj, now, now, value, threshold, detail);
    clear(slot, kind, subj, now, value, threshold, "event");
  }

  // The condition has ended: a resolved event when it was open.
  void clear(AnomalySlot& slot, AnomalyKind kind, const AnomalySubject& subj, Nanos now,
             double value, double threshold, const char* why);

 private:
  AnomalyEvent make(AnomalyKind kind, AnomalyState state, const AnomalySubject& subj, Nanos first,
                    Nanos now, double value, double threshold) const;

  const AnomalyConfig& cfg_;
  EventSink& sink_;
  Nanos refresh_ns_;
};

}  // namespace wcstap
