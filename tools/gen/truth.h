// The ground-truth JSON written next to each capture. RTP stream statistics
// are counted from the packets actually written, not from the plan: SRTP
// verdicts and video keyframes by decrypting them with the capture's keys, as
// a receiver would. DTLS handshakes are stated as the sessions built them
// (Capture keeps them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capture.h"
#include "scenarios.h"

namespace wcsgen {

nlohmann::ordered_json make_truth(const std::string& scenario, const ScenarioParams& params, const Capture& cap,
                                  const std::vector<Anomaly>& anomalies, std::uint64_t frames_written);

}  // namespace wcsgen
