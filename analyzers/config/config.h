// wcstap's configuration: one YAML file (configs/wcstap.yaml is the default, commented).
// load_config() validates everything and throws ConfigError naming the file, the key and the problem.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "anomaly/anomaly_kind.h"
#include "event.h"

namespace wcstap {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& file, const std::string& key, const std::string& problem);
  const std::string& file() const { return file_; }
  const std::string& key() const { return key_; }
 private:
  std::string file_, key_;
};

struct PortRange {
  uint16_t from = 0, to = 0;  // inclusive
  bool contains(uint16_t p) const { return p >= from && p <= to; }
};

// The WCS port map (WCS.md defaults). A port's class names what a flow to or from it carries.
struct PortMapEntry {
  PortRange ports;
  FlowClass cls = FlowClass::Unknown;
  std::string name;  // the config key, e.g. "ws", "wss", "sip"
};

struct WcsConfig {
  std::vector<PortMapEntry> port_map;
  PortRange media_ports{31001, 32000};
  // class of a TCP/UDP port by the map, Unknown when not mapped
  FlowClass class_of_port(uint16_t port) const;
};

struct KindSettings {
  bool enabled = true;
  Severity severity = Severity::Major;
};

struct OneWayMediaThresholds {
  double min_duration_s = 3.0;  // seconds of one-way media with nothing back
  uint32_t min_packets = 50;    // packets sent one way in that time
  // Receiver reports on a separate RTCP port come at RTCP intervals (RFC 3550: 5 s nominal,
  // randomised up to 1.5x): one within this long counts as life from the receiver, and a stream
  // whose sender runs RTCP there waits this long for the first one.
  double rtcp_interval_s = 7.5;
};

struct PacketLossThresholds {
  uint32_t window_s = 5;       // loss judged over the last this many whole seconds (1-8)
  double major_pct = 2.0;      // above: major
  double critical_pct = 5.0;   // above: critical
  uint32_t min_expected = 50;  // a window expecting fewer packets is not judged (1 of 20 is not 5 %)
};

struct HighJitterThresholds {
  double audio_ms = 30;   // RFC 3550 jitter above this, for a stream whose clock is not 90 kHz
  double video_ms = 50;   // ... for 90 kHz (video) streams
  uint32_t sustain_s = 10;  // whole seconds in a row above it (1-16)
  uint32_t clear_s = 3;     // whole seconds in a row under it to resolve (1-16)
};

struct MediaStallThresholds {
  double audio_s = 1.0;  // an audio SSRC silent this long while its flow carries other traffic
  double video_s = 2.0;  // ... a video (90 kHz) SSRC, or one whose clock is not known yet
};

struct IceNoResponseThresholds {
  uint32_t requests = 5;     // this many distinct Binding requests one way with no success back...
  double within_s = 5.0;     // ... or none answered this long after the first
  double min_age_s = 1.0;    // (the request count is judged once the first is this old)
};

struct IceConsentThresholds {
  double timeout_s = 5.0;        // an answered direction with no Binding success for this long...
  uint32_t min_unanswered = 2;   // ... while this many requests since the last one went unanswered
};

struct DtlsIncompleteThresholds {
  double within_s = 5.0;        // a handshake not finished this long after its first ClientHello...
  uint32_t client_hellos = 3;   // ... or this many ClientHellos sent (one more after a HelloVerifyRequest)
  double min_age_s = 1.0;       // (the count is judged once the first ClientHello is this old)
};

struct RelayFallbackThresholds {
  double pct = 20;             // more than this share of the sessions connecting through a TURN relay...
  uint32_t window_s = 300;     // ... among those that connected in the last this many seconds
  uint32_t min_sessions = 10;  // ... once there are this many (1-256)
  // ... or more than twice the tap's own baseline share (a running mean over its sessions, ready
  // after baseline_sessions of them, still while a surge is open), and at least min_pct
  uint32_t baseline_sessions = 100;
  double min_pct = 5;
};

struct StunResponseSlowThresholds {
  double p95_ms = 50;          // a WCS host's Binding responses: their 95th percentile above this...
  uint32_t window_s = 30;      // ... over the responses of the last this many seconds
  uint32_t min_samples = 20;   // ... once there are this many
};

struct SrtpAuthThresholds {
  double pct = 1.0;            // a keyed stream with more than this share of packets failing authentication...
  uint32_t window_s = 5;       // ... over its last this many whole seconds and the current one (1-7)
  uint32_t min_packets = 50;   // ... once that window holds this many packets
};

struct BitrateDropThresholds {
  double drop_pct = 50;      // the video bitrate's EWMA this far under the stream's baseline...
  double min_kbps = 100;     // ... or under this, from a baseline above it
  uint32_t baseline_s = 30;  // the baseline: an EWMA over this many 1 s windows (10-600)
};

struct FeedbackStormThresholds {
  uint32_t nack_per_s = 50;      // nack_storm: NACK packets in a second above this...
  double nack_pct = 5.0;         // ... or above this share of the media packets they answer
  uint32_t nack_min = 3;         // (the share is judged from this many NACKs in the second)
  double pli_per_2s = 1.0;       // pli_storm: PLI/FIR above this per 2 s...
  uint32_t pli_sustain_s = 10;   // ... for this long (2-16, even)
};

// Signalling: ANOMALIES.md's defaults.
struct WsConnectThresholds {
  double syn_timeout_s = 3.0;  // a SYN to a signalling port unanswered this long
};
struct SignallingNoAnswerThresholds {
  double timeout_s = 5.0;      // publishStream/playStream with no setRemoteSDP nor status this long
};
struct TlsFailureThresholds {
  uint32_t expiry_days = 14;   // a server certificate expiring within this many days
};
struct SipFailureThresholds {
  double timer_b_s = 32.0;     // an INVITE (or REGISTER) with no final response this long (RFC 3261 Timer B)
};
struct SipRtpThresholds {
  double no_rtp_s = 3.0;       // after the ACK, no RTP one way (or both) for this long
};
struct DnsFailureThresholds {
  double timeout_s = 2.0;      // a query with no answer this long
  double slow_ms = 100;        // an answer slower than this: a warning (minor)
};
struct RestHookThresholds {
  double slow_s = 1.0;         // WCS's POST to its backend answered slower than this
  double timeout_s = 15.0;     // ... or not at all this long: WCS gives up (critical)
};
struct RtspFailureThresholds {
  double no_rtp_s = 3.0;       // PLAY answered 200 and no RTP this long
};
struct RtmpFailureThresholds {
  double handshake_s = 5.0;    // C0/C1 with the handshake not complete this long
  double no_media_s = 5.0;     // publish accepted and no audio/video message this long
};
struct HlsStallThresholds {
  double target_durations = 2; // a live playlist's media sequence not advancing for this many target durations
};

struct AnomalyConfig {
  double refresh_interval_s = 10.0;  // how often an open anomaly is re-announced
  std::array<KindSettings, kAnomalyKindCount> kinds{};
  OneWayMediaThresholds one_way_media;
  PacketLossThresholds packet_loss;
  HighJitterThresholds high_jitter;
  MediaStallThresholds media_stall;
  FeedbackStormThresholds feedback;
  BitrateDropThresholds bitrate_drop;
  IceNoResponseThresholds ice_no_response;
  IceConsentThresholds ice_consent_lost;
  DtlsIncompleteThresholds dtls_incomplete;
  SrtpAuthThresholds srtp_auth_failure;
  StunResponseSlowThresholds stun_response_slow;
  RelayFallbackThresholds relay_fallback_surge;
  WsConnectThresholds ws_connect_failed;
  SignallingNoAnswerThresholds signalling_no_answer;
  TlsFailureThresholds tls_failure;
  SipFailureThresholds sip_failure;
  SipRtpThresholds sip_rtp_mismatch;
  DnsFailureThresholds dns_failure;
  RestHookThresholds rest_hook_slow;
  RtspFailureThresholds rtsp_failure;
  RtmpFailureThresholds rtmp_failure;
  HlsStallThresholds hls_stall;
  const KindSettings& operator[](AnomalyKind k) const { return kinds[static_cast<unsigned>(k)]; }
  KindSettings& operator[](AnomalyKind k) { return kinds[static_cast<unsigned>(k)]; }
};

struct FlowTableConfig {
  uint32_t capacity = 65536;          // flows per worker
  uint32_t media_flows = 65536;       // ... of them carrying media or signalling state at once (at most capacity)
  uint32_t rtp_streams = 65536;       // RTP stream records per worker
  double udp_idle_timeout_s = 30.0;   // a UDP flow with no packet for this long ends
  double tcp_idle_timeout_s = 300.0;
};

// User signatures (`signatures:`), matched with Hyperscan (analyzers/signature/signature.h).
// HS_FLAG_* values as hs_compile.h defines them (checked against it in signature.cc).
namespace signature_flag {
constexpr unsigned kCaseless = 1, kDotall = 2, kMultiline = 4, kSingleMatch = 8;
}

struct Signature {
  uint32_t id = 0;               // user signatures: 1000 and up; below is the built-ins'
  std::string pattern;           // a regular expression in Hyperscan's (PCRE-like) syntax
  unsigned flags = 0;            // signature_flag::*
  std::vector<PortRange> ports;  // the signature applies when either port is in one; empty: any
  Severity severity = Severity::Minor;
  std::string name;
};

constexpr uint32_t kFirstUserSignatureId = 1000;

struct SignallingConfig {
  uint32_t connections = 16384;     // signalling connections/flows followed at once per worker
  uint32_t window_kb = 64;          // reassembly: per direction
  uint32_t memory_mb = 64;          // reassembly: all windows of a worker
  uint32_t gap_timeout_ms = 1000;   // a missing segment is waited for this long
};

// How the dataplane watches its ports: a mirror (SPAN) port only receives; in-line ports come in
// pairs and every packet received on one is sent on unchanged on its peer once it was observed.
enum class DataplaneMode : uint8_t { Mirror, Inline };
// What decides which worker sees a packet (both directions always meet in one worker):
// HostPair, the two IP addresses: a host pair's signalling, ICE, DTLS and media stay together, so
// SDP, SDES keys and sessions are correlated; FiveTuple, addresses, protocol and ports: spreads a
// few hosts' many flows, at the price of that correlation.
enum class BalanceBy : uint8_t { HostPair, FiveTuple };
// Where packet time comes from: Auto, the capture's timestamps on net_pcap ports, else the TSC;
// Capture, the Rx-timestamp a PMD gives (a packet without one keeps the previous packet's time);
// Tsc, the TSC when the packet is read (e.g. a net_pcap replayed with infinite_rx, which gives none).
enum class TimeSourceChoice : uint8_t { Auto, Capture, Tsc };

struct DataplaneConfig {
  std::vector<std::string> ports;   // DPDK port names to use (as given to --vdev / PCI); empty = all
  DataplaneMode mode = DataplaneMode::Mirror;  // Inline: ports (named, in pairs) forward to their peer
  uint16_t workers = 1;             // worker lcores; each port gets this many RX queues when it can
  BalanceBy balance = BalanceBy::HostPair;
  uint32_t handoff_ring_size = 4096;  // per worker: packets other workers hand it (software balance)
  TimeSourceChoice time_source = TimeSourceChoice::Auto;
  uint32_t mbufs = 8191;            // mbuf pool size per port
  uint16_t mbuf_data_room = 2048;   // frame bytes an mbuf holds (its headroom not counted)
  uint16_t rx_descriptors = 1024;
  uint32_t event_ring_size = 4096;  // per worker, power of two
  bool exit_on_pcap_end = false;    // stop when every net_pcap input is exhausted
  double stats_interval_s = 1.0;    // TapStats / heartbeat period (wall clock, main lcore)
};

struct ZmqConfig {
  std::string publish = "tcp://127.0.0.1:7755";  // dataplane PUB endpoint
  uint32_t wait_for_subscribers_ms = 0;          // hold start-up until a subscriber is there
  uint32_t send_hwm = 100000;
  std::vector<std::string> subscribe = {"tcp://127.0.0.1:7755"};  // control: taps to read
};

// SRTP master keys the tap may use to authenticate and decrypt (RFC 4568's SDES form: master key
// then master salt, base64), each for one SSRC or for one flow direction. The key bytes are never
// printed: not in an error, an event, a log or a metric.
enum class SrtpSuite : uint8_t { AesCm128HmacSha1_80, AesCm128HmacSha1_32, AeadAes128Gcm, AeadAes256Gcm };
const char* srtp_suite_name(SrtpSuite s);  // RFC 4568 / 7714 names, e.g. "AES_CM_128_HMAC_SHA1_80"
size_t srtp_key_length(SrtpSuite s);       // master key + salt bytes

struct SrtpKeyConfig {
  bool by_ssrc = false;   // this SSRC's packets, on any flow...
  uint32_t ssrc = 0;
  Endpoint src, dst;      // ... else every SRTP packet src sends to dst
  SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
  std::vector<uint8_t> material;
};

struct SrtpConfig {
  std::vector<SrtpKeyConfig> keys;
  // SDES keys (RFC 4568 a=crypto in signalling's SDP) held at once per worker; 0: not followed.
  // The config's only (a key file cannot change it).
  uint32_t sdes_keys = 1024;
  std::array<VideoCodec, 128> video_codecs{};  // by RTP payload type (what the SDP's rtpmap would say)
};

struct Config {
  std::string source_file;  // where it was loaded from ("<defaults>" otherwise)
  std::string tap_id = "wcstap";
  WcsConfig wcs;
  AnomalyConfig anomalies;
  FlowTableConfig flows;
  SignallingConfig signalling;
  DataplaneConfig dataplane;
  ZmqConfig zmq;
  SrtpConfig srtp;
  std::vector<Signature> signatures;  // checked and compiled once when loaded
};

Config default_config();
Config load_config(const std::string& path);             // throws ConfigError
Config load_config_string(const std::string& yaml, const std::string& name);  // for tests
// A key file: a YAML document with an `srtp` section only (as the config's); its keys are added
// to `into`, its payload types override. Throws ConfigError naming the file and key.
void load_srtp_keys(const std::string& path, SrtpConfig& into);
void load_srtp_keys_string(const std::string& yaml, const std::string& name, SrtpConfig& into);

}  // namespace wcstap
