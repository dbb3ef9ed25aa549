// Rendering of events and summaries: JSON lines (the stable contract) and operator words.
// wcstap-analyze and wcstap-control both render through these, so their output is the same.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "event.h"
#include "pipeline.h"

namespace wcstap {

// Where a live event was seen: the tap, and the DPDK port and RX queue. The offline analyzer has
// none; wcstap-control adds it to every line ("tap", "port", "queue" after the contract's fields).
struct EventSource {
  std::string_view tap;
  uint16_t port = 0;
  uint16_t queue = 0;
  uint16_t worker = 0;
  bool tap_wide = false;  // judged for the tap as a whole: named by its tap alone
};

std::string endpoint_to_string(const Endpoint& e);  // "10.0.0.1:5004", "[2001:db8::1]:5004"
// One line, no trailing newline.
std::string event_to_json(const Event& ev, const EventSource* source = nullptr);
std::string event_to_text(const Event& ev, const EventSource* source = nullptr);  // operator words
// `label` names what the summary is about: {"file", path} offline, {"tap", id} live.
std::string summary_to_json(const PipelineCounters& c,
                            std::pair<std::string_view, std::string_view> label = {});
std::string summary_to_text(const PipelineCounters& c);

}  // namespace wcstap
