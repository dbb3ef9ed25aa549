#include "anomaly/anomaly_kind.h"

#include <array>

namespace wcstap {
namespace {

struct KindInfo {
  std::string_view name;
  Severity severity;
};

// Names and default severities from ANOMALIES.md, in enum order.
constexpr std::array<KindInfo, kAnomalyKindCount> kKinds{{
    {"ice_no_response", Severity::Critical},
    {"one_way_media", Severity::Critical},
    {"dtls_incomplete", Severity::Critical},
    {"media_stall", Severity::Major},
    {"packet_loss", Severity::Major},
    {"high_jitter", Severity::Minor},
    {"icmp_unreachable", Severity::Major},
    {"ws_connect_failed", Severity::Critical},
    {"ws_abnormal_close", Severity::Major},
    {"tap_overload", Severity::Critical},
    {"ice_consent_lost", Severity::Critical},
    {"stream_failed", Severity::Major},
    {"signalling_no_answer", Severity::Major},
    {"black_screen", Severity::Major},
    {"bitrate_drop", Severity::Minor},
    {"nack_storm", Severity::Minor},
    {"pli_storm", Severity::Minor},
    {"dtls_fingerprint_mismatch", Severity::Critical},
    {"tls_failure", Severity::Major},
    {"sip_failure", Severity::Major},
    {"sip_rtp_mismatch", Severity::Major},
    {"srtp_auth_failure", Severity::Critical},
    {"dns_failure", Severity::Major},
    {"rest_hook_slow", Severity::Major},
    {"nat_address_mismatch", Severity::Major},
    {"rtsp_failure", Severity::Major},
    {"rtmp_failure", Severity::Major},
    {"hls_stall", Severity::Minor},
    {"media_port_exhaustion", Severity::Major},
    {"unexpected_media_port", Severity::Minor},
    {"relay_fallback_surge", Severity::Minor},
    {"server_stall", Severity::Major},
    {"stun_response_slow", Severity::Minor},
    {"ip_fragmentation", Severity::Minor},
    {"ssrc_collision_or_reset", Severity::Minor},
    {"signature_match", Severity::Minor},  // a user signature (config `signatures:`); each has its own severity
}};

constexpr std::array<std::string_view, 4> kSeverityNames{"info", "minor", "major", "critical"};
constexpr std::array<std::string_view, 3> kStateNames{"raised", "refreshed", "resolved"};

}  // namespace

std::string_view anomaly_kind_name(AnomalyKind k) {
  auto i = static_cast<unsigned>(k);
  return i < kAnomalyKindCount ? kKinds[i].name : std::string_view("unknown");
}

std::optional<AnomalyKind> anomaly_kind_from_name(std::string_view name) {
  for (unsigned i = 0; i < kAnomalyKindCount; ++i)
    if (kKinds[i].name == name) return static_cast<AnomalyKind>(i);
  return std::nullopt;
}

Severity default_severity(AnomalyKind k) {
  auto i = static_cast<unsigned>(k);
  return i < kAnomalyKindCount ? kKinds[i].severity : Severity::Major;
}

std::string_view anomaly_state_name(AnomalyState s) {
  auto i = static_cast<unsigned>(s);
  return i < kStateNames.size() ? kStateNames[i] : std::string_view("unknown");
}

std::string_view severity_name(Severity s) {
  auto i = static_cast<unsigned>(s);
  return i < kSeverityNames.size() ? kSeverityNames[i] : std::string_view("unknown");
}

std::optional<Severity> severity_from_name(std::string_view name) {
  for (unsigned i = 0; i < kSeverityNames.size(); ++i)
    if (kSeverityNames[i] == name) return static_cast<Severity>(i);
  return std::nullopt;
}

}  // namespace wcstap
