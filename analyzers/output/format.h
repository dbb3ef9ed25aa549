// Rendering of events and summaries: JSON lines (the stable contract) and operator words.
// wcstap-analyze and wcstap-control both render through these, so their output is the same.
#pragma once

#include <string>

#include "event.h"
#include "pipeline.h"

namespace wcstap {

std::string endpoint_to_string(const Endpoint& e);  // "10.0.0.1:5004", "[2001:db8::1]:5004"
std::string event_to_json(const Event& ev);           // one line, no trailing newline
std::string event_to_text(const Event& ev);           // operator words, one line
std::string summary_to_json(const PipelineCounters& c);
std::string summary_to_text(const PipelineCounters& c);

}  // namespace wcstap
