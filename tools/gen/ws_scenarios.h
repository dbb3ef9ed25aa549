// Scenarios of clear-text signalling (ws_wire.h): WCS's WebSocket on ws:// 8080 with its JSON
// visible, connect failures, abnormal ends, WCS stream verdicts, REST hooks to a backend, TLS on
// 8443 failing, HLS playlists on 8082. Every anomaly names the connection's client -> server.
#pragma once

#include <vector>

#include "scenarios.h"

namespace wcsgen {

std::vector<Anomaly> ws_session(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> ws_refused(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> ws_syn_timeout(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> ws_bad_accept(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> ws_upgrade_refused(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> ws_abnormal_close(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> ws_reset(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> ws_stream_failed(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> ws_signalling_no_answer(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> rest_hook_slow(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> rest_hook_timeout(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> tls_alert(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> hls_stall(const ScenarioParams& p, Capture& cap);
std::vector<Anomaly> hls_healthy(const ScenarioParams& p, Capture& cap);
// A WebRTC publish signalled on ws:// (its SDPs visible) with its ICE, DTLS and SRTP media: healthy.
std::vector<Anomaly> ws_webrtc(const ScenarioParams& p, Capture& cap);
// As ws_webrtc, WCS's answer naming another certificate's fingerprint: dtls_fingerprint_mismatch.
std::vector<Anomaly> fingerprint_mismatch(const ScenarioParams& p, Capture& cap);
// WCS's answer offering only a private candidate to a public browser: nat_address_mismatch, then
// stream_failed.
std::vector<Anomaly> wcs_private_candidates(const ScenarioParams& p, Capture& cap);

}  // namespace wcsgen
