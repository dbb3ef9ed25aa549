// The anomaly catalogue of ANOMALIES.md: stable names, default severities.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace wcstap {

// Order is part of the wire contract (schema/wcstap.fbs mirrors it): append only.
enum class AnomalyKind : uint8_t {
  ice_no_response, one_way_media, dtls_incomplete, media_stall, packet_loss, high_jitter,
  icmp_unreachable, ws_connect_failed, ws_abnormal_close, tap_overload,
  ice_consent_lost, stream_failed, signalling_no_answer, black_screen, bitrate_drop, nack_storm,
  pli_storm, dtls_fingerprint_mismatch, tls_failure, sip_failure, sip_rtp_mismatch,
  srtp_auth_failure, dns_failure, rest_hook_slow,
  nat_address_mismatch, rtsp_failure, rtmp_failure, hls_stall, media_port_exhaustion,
  unexpected_media_port, relay_fallback_surge, server_stall, stun_response_slow, ip_fragmentation,
  ssrc_collision_or_reset,
  signature_match,  // not in ANOMALIES.md: a user signature from the config matched
  Count
};
constexpr unsigned kAnomalyKindCount = static_cast<unsigned>(AnomalyKind::Count);

enum class AnomalyState : uint8_t { Raised, Refreshed, Resolved };
enum class Severity : uint8_t { Info, Minor, Major, Critical };

std::string_view anomaly_kind_name(AnomalyKind k);
std::optional<AnomalyKind> anomaly_kind_from_name(std::string_view name);
Severity default_severity(AnomalyKind k);
std::string_view anomaly_state_name(AnomalyState s);
std::string_view severity_name(Severity s);
std::optional<Severity> severity_from_name(std::string_view name);

}  // namespace wcstap
