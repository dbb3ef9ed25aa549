// SIP scenarios: WCS as a SIP user agent (UDP, a port of 30000-31000) registering with and calling
// through a PBX on 5060, plain G.711 RTP between WCS's media port and the PBX's. The messages are
// written here as text (SIP, SDP), independently of the analyzers.
#pragma once

#include <vector>

#include "capture.h"
#include "scenarios.h"

namespace wcsgen {

// REGISTER challenged and accepted, a call answered (100, 180, 200 with SDP, ACK), PCMU both ways,
// BYE: nothing anomalous.
std::vector<Anomaly> sip_call(const ScenarioParams& p, Capture& cap);
// As sip_call, but the INVITE is answered 486 Busy Here: sip_failure at the 486.
std::vector<Anomaly> sip_rejected(const ScenarioParams& p, Capture& cap);
// REGISTER, 401, REGISTER with credentials, 403 Forbidden: sip_failure at the 403.
std::vector<Anomaly> sip_register_refused(const ScenarioParams& p, Capture& cap);
// Registered, then an INVITE the PBX never answers, resent per Timer A: sip_failure at Timer B.
std::vector<Anomaly> sip_no_answer(const ScenarioParams& p, Capture& cap);

}  // namespace wcsgen
