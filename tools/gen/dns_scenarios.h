// DNS scenarios: WCS resolving its backend's name through a resolver (UDP 53), every second, each
// query from a new random source port (as resolvers do). Messages written here (RFC 1035).
#pragma once

#include <vector>

#include "capture.h"
#include "scenarios.h"

namespace wcsgen {

// Answers in 2-10 ms: nothing anomalous.
std::vector<Anomaly> dns_healthy(const ScenarioParams& p, Capture& cap);
// Every answer 150-300 ms late: dns_failure (minor) on each query's flow, at its answer.
std::vector<Anomaly> dns_slow(const ScenarioParams& p, Capture& cap);
// One lookup of a name that does not exist: NXDOMAIN, dns_failure at the answer.
std::vector<Anomaly> dns_nxdomain(const ScenarioParams& p, Capture& cap);
// One query's answer is lost; it is asked again 5 s later (same id, same port) and answered:
// dns_failure 2 s after the query.
std::vector<Anomaly> dns_no_answer(const ScenarioParams& p, Capture& cap);

}  // namespace wcsgen
