// The scenario table: each scenario fills a Capture and states the anomalies
// a correct analyzer must report (the ground truth).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "capture.h"
#include "net.h"

namespace wcsgen {

// WCS server address (TEST-NET-2) and the capture's base time, 2026-01-01 UTC.
inline constexpr Ipv4Addr kWcsIp = Ipv4Addr::of(198, 51, 100, 10);
inline constexpr std::int64_t kBaseTimeUs = 1767225600LL * 1000000;

struct ScenarioParams {
  std::uint64_t seed = 1;
  double duration_s = 20;
};

struct Anomaly {
  std::string kind;  // ANOMALIES.md name, e.g. "one_way_media"
  std::string proto;  // "udp" / "tcp"
  Endpoint src;
  Endpoint dst;
  std::optional<std::uint32_t> ssrc;
  std::int64_t from_us = 0;
  double tolerance_s = 0.5;
  bool host = false;  // about a host (src's address), not a flow: no port, no dst
  bool tap_wide = false;  // about everything the tap sees: no src, no dst
};

using ScenarioFn = std::vector<Anomaly> (*)(const ScenarioParams&, Capture&);

struct ScenarioDef {
  std::string_view name;
  std::string_view description;
  double min_duration_s;
  ScenarioFn build;
};

std::span<const ScenarioDef> all_scenarios();
const ScenarioDef* find_scenario(std::string_view name);

}  // namespace wcsgen
