// SIP scenarios: WCS as a SIP user agent (UDP, a port of 30000-31000) registering with and calling
// through a PBX on 5060, G.711 RTP between WCS's media port and the PBX's (plain, or SRTP under
// SDES keys). The messages are
// written here as text (SIP, SDP), independently of the analyzers.
#pragma once

#include <vector>

#include "capture.h"
#include "scenarios.h"

namespace wcsgen {

// REGISTER challenged and accepted, a call answered (100, 180, 200 with SDP, ACK), PCMU both ways,
// BYE: nothing anomalous.
std::vector<Anomaly> sip_call(const ScenarioParams& p, Capture& cap);
// As sip_call, with SRTP both ways under the keys each side's SDP announced (SDES, a=crypto):
// nothing anomalous.
std::vector<Anomaly> sip_sdes(const ScenarioParams& p, Capture& cap);
// As sip_sdes, but the PBX sends under a key it never announced: srtp_auth_failure on its stream.
std::vector<Anomaly> sip_sdes_bad_key(const ScenarioParams& p, Capture& cap);
// As sip_call, but the INVITE is answered 486 Busy Here: sip_failure at the 486.
std::vector<Anomaly> sip_rejected(const ScenarioParams& p, Capture& cap);
// REGISTER, 401, REGISTER with credentials, 403 Forbidden: sip_failure at the 403.
std::vector<Anomaly> sip_register_refused(const ScenarioParams& p, Capture& cap);
// Registered, then an INVITE the PBX never answers, resent per Timer A: sip_failure at Timer B.
std::vector<Anomaly> sip_no_answer(const ScenarioParams& p, Capture& cap);
// As sip_call, but none of the PBX's RTP reaches WCS: sip_rtp_mismatch 3 s after the ACK, and
// one_way_media on WCS's stream.
std::vector<Anomaly> sip_rtp_one_way(const ScenarioParams& p, Capture& cap);
// As sip_call, but the PBX's SDP names another of its addresses than the one its RTP comes from
// (WCS answers to the latter): sip_rtp_mismatch 3 s after the ACK.
std::vector<Anomaly> sip_rtp_wrong_address(const ScenarioParams& p, Capture& cap);
// As sip_rtp_wrong_address, the SDP's address a private one (the PBX behind NAT):
// nat_address_mismatch at the 200 OK, sip_rtp_mismatch 3 s after the ACK.
std::vector<Anomaly> sip_nat_private_sdp(const ScenarioParams& p, Capture& cap);
// A SIP scanner (User-Agent friendly-scanner) probing WCS's host with OPTIONS beside a healthy call;
// the scenario's user signature on that User-Agent: signature_match on each probe's flow.
std::vector<Anomaly> sip_scanner(const ScenarioParams& p, Capture& cap);

}  // namespace wcsgen
