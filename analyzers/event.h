// Events that the packet pipeline emits: anomalies, per-SSRC RTP stream reports, flow reports.
// Plain, trivially copyable records: a dataplane worker copies them into ring slots as they are.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <variant>

#include "anomaly/anomaly_kind.h"

namespace wcstap {

using Nanos = uint64_t;  // packet time: nanoseconds since the Unix epoch

// Time from `then` to `now`, 0 when packet time went backwards (merged captures, clock steps):
// never an unsigned wrap that would read as years of silence.
constexpr Nanos elapsed(Nanos now, Nanos then) { return now > then ? now - then : 0; }
constexpr Nanos seconds(double s) { return static_cast<Nanos>(s * 1e9); }

enum class L4 : uint8_t { Other = 0, Icmp = 1, Tcp = 6, Udp = 17, Icmpv6 = 58 };
const char* l4_name(L4 l4);  // "udp", "tcp", "icmp", "icmpv6", "other"

// Two 16-byte addresses are equal: compared as two 8-byte words (std::array's == becomes a call
// to memcmp, which per-packet lookups paid for).
inline bool same_address(const std::array<uint8_t, 16>& x, const std::array<uint8_t, 16>& y) {
  uint64_t a[2], b[2];
  std::memcpy(a, x.data(), 16);
  std::memcpy(b, y.data(), 16);
  return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
}

struct Endpoint {
  std::array<uint8_t, 16> addr{};  // IPv4 in the first 4 bytes
  uint16_t port = 0;
  uint8_t family = 0;  // 4 or 6; 0 = unset
  bool operator==(const Endpoint& o) const { return same_address(addr, o.addr) && port == o.port && family == o.family; }
};

// Flow classes: what a flow carries, by first bytes (RFC 7983) or by the WCS port map.
enum class FlowClass : uint8_t {
  Unknown = 0, Rtp, Rtcp, Stun, Dtls, Turn, Zrtp, Sip, Websocket, Http, Tls, Dns, Rtsp, Rtmp, Hls, Icmp,
  Count
};
const char* flow_class_name(FlowClass c);
using FlowClassMask = uint32_t;
constexpr FlowClassMask class_bit(FlowClass c) { return 1u << static_cast<unsigned>(c); }

struct AnomalyEvent {
  AnomalyKind kind{};
  AnomalyState state{};
  Severity severity{};
  L4 l4 = L4::Udp;
  Endpoint src, dst;    // the flow direction the anomaly is about
  bool has_ssrc = false;
  uint32_t ssrc = 0;
  Nanos first_ts = 0;   // when the condition started (first packet time of the anomaly)
  Nanos ts = 0;         // packet time of this event
  double value = 0;     // measured value
  double threshold = 0; // threshold it crossed
  char detail[128]{};   // operator-readable, NUL-terminated; never carries secrets
  uint64_t session = 0; // the WebRTC session it belongs to (WebrtcSessionEvent::id); 0 when none
  char stream[48]{};    // the name signalling gave its media (WCS stream, SIP Call-ID, RTSP URL); "" when none
};

// Where a stream's RTP clock rate came from: the session's SDP, the static payload-type table
// (RFC 3551), or inferred from timestamps against arrival times. None: jitter is not computed.
enum class ClockSource : uint8_t { None = 0, Sdp, Static, Inferred };
const char* clock_source_name(ClockSource s);

// The speech codec an audio stream's MOS was computed for (media/emodel.h); None: not speech.
enum class VoiceCodec : uint8_t { None = 0, G711, G722, G729, G723, Opus, Unknown };
const char* voice_codec_name(VoiceCodec c);  // "g711", "g722", ..., "unknown"; "" for None

// A video stream's codec, from the payload-type map the tap was given (SDP comes with signalling).
enum class VideoCodec : uint8_t { None = 0, Vp8, Vp9, H264 };
const char* video_codec_name(VideoCodec c);  // "vp8", "vp9", "h264"; "" for None

// SRTP packets of a stream whose key the tap holds (RFC 3711, libsrtp).
struct SrtpCounts {
  uint64_t authenticated = 0;  // verified and decrypted
  uint64_t auth_failed = 0;    // the authentication tag did not verify
  uint64_t replayed = 0;       // an index already seen (or too old for the replay window)
  uint64_t unreadable = 0;     // libsrtp refused it otherwise (too short, bad header)
};

// What the endpoints said over RTCP about one media SSRC (RFC 3550 reports, RFC 4585/5104
// feedback, REMB), beside what the tap measured. SRTCP shows only its first header: there `sr`
// and `encrypted` count, nothing else can.
struct RtcpReport {
  uint32_t sr = 0;              // sender reports from the SSRC's sender
  uint32_t encrypted = 0;       // SRTCP packets from the sender (contents not readable)
  uint32_t rr = 0;              // report blocks about the SSRC from its receivers
  uint8_t fraction_lost = 0;    // the last block's, in 1/256
  uint8_t fraction_lost_max = 0;
  int32_t cumulative_lost = 0;  // the last block's
  uint32_t jitter = 0;          // the last block's interarrival jitter, RTP timestamp units
  uint32_t jitter_max = 0;
  uint32_t rtt_samples = 0;     // blocks whose LSR matched a sender report the tap saw
  double rtt_last_ms = 0, rtt_min_ms = 0, rtt_max_ms = 0, rtt_mean_ms = 0;
  uint32_t nack = 0;            // generic NACK messages about the SSRC
  uint32_t nack_seqs = 0;       // sequence numbers they asked for
  uint32_t pli = 0, fir = 0;
  uint32_t tcc = 0;             // transport-cc feedback messages naming the SSRC
  uint32_t remb = 0;
  double remb_kbps = 0;         // the last REMB estimate
  uint32_t sdes = 0, bye = 0, app = 0;
  bool any() const { return sr | encrypted | rr | nack | pli | fir | tcc | remb | sdes | bye | app; }
};

struct RtpStreamEvent {
  Endpoint src, dst;
  uint32_t ssrc = 0;
  uint8_t pt = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;   // RTP bytes (header + payload) as carried in UDP
  int64_t lost = 0;     // expected - received, as Wireshark counts it (negative with duplicates)
  uint64_t ext_seq_first = 0;
  uint64_t ext_seq_max = 0;
  Nanos first_ts = 0, last_ts = 0;
  uint64_t duplicates = 0;     // sequence numbers received again
  uint64_t reordered = 0;      // packets older than the highest sequence number, not duplicates
  double max_delta_ms = 0;     // longest gap between consecutive packets' arrivals
  double mean_delta_ms = 0;
  uint32_t clock_rate = 0;     // Hz; 0 when unknown
  ClockSource clock_source = ClockSource::None;
  double jitter_max_ms = 0;    // RFC 3550 interarrival jitter (only with a clock rate)
  double jitter_mean_ms = 0;
  // RTP bytes in 1 s windows from the stream's first packet: mean over the stream, min and max over
  // its complete windows (a silent window counts as 0).
  double bitrate_mean_kbps = 0;
  double bitrate_min_kbps = 0;
  double bitrate_max_kbps = 0;
  double frame_rate = 0;       // video (90 kHz clock): frames (marker bits) per second; 0 otherwise
  RtcpReport rtcp;             // what RTCP said about this SSRC (from its sender's address)
  // Listening quality (ITU-T G.107 E-model, narrowband scale) of a speech stream: over the whole
  // stream, and the worst of its complete 5 s windows.
  VoiceCodec voice_codec = VoiceCodec::None;
  double r_factor = 0;
  double mos = 0;
  double mos_min = 0;          // worst 5 s window (0 when no window completed)
  uint32_t mos_windows = 0;
  uint32_t pt_changes = 0;     // packets whose payload type differs from the packet before
  // Lost after repair: `lost` less the gaps that retransmissions on an RTX stream (RFC 4588) filled.
  // Same-SSRC retransmissions already count as received in `lost`.
  int64_t lost_after_repair = 0;
  uint64_t rtx_packets = 0;    // this stream is an RTX stream: retransmissions it carried
  uint32_t rtx_for_ssrc = 0;   // ... and the SSRC they repaired (0: not an RTX stream)
  bool srtp_keyed = false;     // the tap held this stream's SRTP key: `srtp` is filled
  SrtpCounts srtp;
  // Keyframes, read from payloads the tap could read (decrypted SRTP) of a known video codec.
  VideoCodec video_codec = VideoCodec::None;
  uint32_t keyframes = 0;
  double keyframe_interval_mean_s = 0, keyframe_interval_max_s = 0;  // between keyframes' arrivals
  uint32_t parameter_sets = 0;  // H.264: packets carrying SPS/PPS
  // What signalling said about it: its WebRTC session (0: none), and the name its SDP came under
  // (the WCS stream name, the SIP dialog's Call-ID, the RTSP URL; "" when no SDP named it).
  uint64_t session = 0;
  char stream[48]{};
};

// RTCP about an SSRC whose media the tap did not see (a receive-only SSRC, media on a path not
// mirrored, encrypted compound reports): reported when it goes quiet or at the end of input.
struct RtcpStreamEvent {
  Endpoint src;  // the SSRC's sender: its address, and the RTCP port it used (or was sent to)
  Endpoint dst;  // the other end of its RTCP
  uint32_t ssrc = 0;
  Nanos first_ts = 0, last_ts = 0;
  RtcpReport rtcp;
};

// STUN Binding transactions one direction of a flow started (ICE checks and consent).
struct StunCounts {
  uint32_t requests = 0;     // distinct transactions
  uint32_t retransmits = 0;
  uint32_t answered = 0;     // success responses matched to them
  uint32_t errors = 0;       // error responses matched to them
  double rtt_mean_ms = 0;    // request to response, as the tap saw them (answered ones)
  double rtt_max_ms = 0;
};

// How far a DTLS handshake got, as the tap saw it.
enum class DtlsStage : uint8_t {
  None = 0,        // no DTLS handshake seen (records of a session that began before the capture)
  ClientHello,     // the client's hello, nothing back
  HelloVerify,     // the server asked for a cookie (HelloVerifyRequest), nothing more
  ServerHello,     // the server's flight (ServerHello ... ServerHelloDone), no Finished yet
  ClientFinished,  // the client's ChangeCipherSpec and Finished, not the server's
  ServerFinished,  // the server's, not the client's (an abbreviated handshake's first half)
  Done,            // Finished both ways (DTLS 1.3: traffic under the application keys)
  Failed,          // a fatal alert ended it
};
const char* dtls_stage_name(DtlsStage s);  // "client_hello", ..., "done", "failed"; "none"

// A flow's DTLS, the latest handshake on it (a ClientHello after a finished or failed one starts
// the next). Sides are the flow's: [0] its src, [1] its dst.
struct DtlsSummary {
  DtlsStage stage = DtlsStage::None;
  uint8_t client = 0;            // side that sent the ClientHello
  uint8_t handshakes = 0;        // ClientHellos that started a handshake on the flow (saturating)
  uint8_t client_hellos = 0;     // transmissions of the latest handshake's ClientHellos (saturating)
  bool hello_verify = false;     // the server sent a HelloVerifyRequest
  uint16_t version = 0;          // negotiated (ServerHello); 0 before it
  uint16_t cipher_suite = 0;     // selected by the ServerHello
  uint16_t srtp_profile = 0;     // use_srtp profile the ServerHello selected (0: none)
  Nanos start_ts = 0;            // first ClientHello (the ServerHello, when no ClientHello was seen)
  Nanos done_ts = 0;             // both Finished (0: not done)
  uint8_t alert_level = 0;       // the last plaintext alert: 1 warning, 2 fatal (0: none)
  uint8_t alert_description = 0;
  uint8_t alert_from = 0;        // side that sent it
  std::array<uint32_t, 2> records{};           // DTLS records each side sent
  std::array<uint16_t, 2> retransmits{};       // handshake messages sent again, per side
  std::array<uint16_t, 2> encrypted_alerts{};  // alerts after the handshake (unreadable: close_notify or fatal)
  std::array<bool, 2> has_fingerprint{};       // the side's certificate passed whole
  std::array<std::array<uint8_t, 32>, 2> fingerprint{};  // its SHA-256 (public: what SDP a=fingerprint says)
};

// TURN (RFC 8656) on a client's flow with its relay: each method's requests, answers and errors,
// the allocation, and what was relayed.
struct TurnMethodCounts {
  uint16_t requests = 0, successes = 0, errors = 0;
};
struct TurnSummary {
  TurnMethodCounts allocate, refresh, permission, channel_bind;
  uint16_t challenges = 0;        // 401 Unauthorized (the first Allocate's normal answer) and 438 Stale Nonce
  uint16_t last_error = 0;        // the last other error code (403, 437, 441, 442, 486, 508...)
  Endpoint relayed;               // XOR-RELAYED-ADDRESS of the last Allocate success (family 0: none)
  uint32_t lifetime_s = 0;        // the last LIFETIME granted
  bool deallocated = false;       // a Refresh with LIFETIME 0 was answered
  uint32_t send_indications = 0, data_indications = 0, channel_data = 0;
  bool any() const {
    return allocate.requests | refresh.requests | permission.requests | channel_bind.requests | send_indications |
           data_indications | channel_data;
  }
};

struct FlowEvent {
  L4 l4 = L4::Udp;
  Endpoint src, dst;  // src = the side that sent the flow's first packet
  FlowClass cls = FlowClass::Unknown;   // the primary class
  FlowClassMask classes = 0;            // every class seen on the flow
  std::array<uint64_t, 2> packets{};    // [src->dst, dst->src]
  std::array<uint64_t, 2> bytes{};      // IP bytes per direction
  Nanos first_ts = 0, last_ts = 0;
  std::array<StunCounts, 2> stun{};     // requests sent [src->dst, dst->src]
  DtlsSummary dtls;                     // stage None and no records: no DTLS on the flow
  TurnSummary turn;                     // any() false: no TURN on the flow
};

// One WebRTC peer connection, grouped by the ICE username fragments its connectivity checks carry
// (RFC 8445 USERNAME "remote:local"): every flow its checks travelled on (candidate pairs, direct or
// through TURN), how far ICE and DTLS got, its media. Reported when its last flow ends.
enum class IceState : uint8_t { Checking = 0, Connected, Failed };
const char* ice_state_name(IceState s);  // "checking", "connected", "failed"

struct WebrtcSessionEvent {
  uint64_t id = 0;                   // FNV-1a of the ufrag pair, lower first: also on its anomalies
  std::array<char, 33> ufrag_a{}, ufrag_b{};  // the pair, sorted (NUL-terminated; truncated past 32)
  Nanos first_ts = 0, last_ts = 0;   // its first check, its flows' last packet
  uint8_t flows = 0;                 // flows its checks travelled on (saturating)
  bool relay = false;                // checks or media through a TURN relay
  IceState ice = IceState::Checking;
  uint32_t checks = 0, successes = 0;  // Binding requests (distinct) and successes
  Nanos first_success_ts = 0;        // 0: none
  L4 selected_l4 = L4::Udp;
  Endpoint selected_src, selected_dst;  // the pair media used (or the nominated one); family 0: none
  DtlsStage dtls = DtlsStage::None;  // its DTLS (the selected pair's, else the furthest any got)
  uint16_t dtls_version = 0, srtp_profile = 0;
  double dtls_handshake_ms = 0;
  uint16_t rtp_streams = 0;          // RTP streams on its flows
  uint32_t anomalies = 0;            // anomalies raised with its id
};

// What signalling said, one record per thing an operator follows: a signalling connection (TCP,
// TLS, HTTP/WebSocket, RTSP, RTMP: how it was set up, what it carried, how it ended), a WCS stream
// (a mediaSessionId on a WebSocket), a SIP dialog or registration, a DNS client's queries to one
// server. Reported when it ends (or at the end of input). The text fields are fixed, truncated,
// NUL-terminated, and never carry a secret (no credentials, tokens, keys).
enum class SignallingKind : uint8_t { Connection = 0, WcsStream, SipDialog, Dns };
const char* signalling_kind_name(SignallingKind k);  // "connection", "wcs_stream", "sip_dialog", "dns"

struct SignallingEvent {
  SignallingKind kind = SignallingKind::Connection;
  FlowClass protocol = FlowClass::Unknown;  // websocket, http, tls, sip, rtsp, rtmp, hls, dns
  L4 l4 = L4::Tcp;
  Endpoint client, server;  // the side that opened it (sent the SYN, the request, the query) and the other
  Nanos first_ts = 0, last_ts = 0;
  // Per kind:
  //   connection: id = TLS SNI or HTTP Host; name = the first request's path, RTMP app/stream or
  //               RTSP URL; state = how it ended ("closed", "reset", "open", "refused", "timeout")
  //   wcs_stream: id = mediaSessionId; name = stream name; state = the last status; detail = WCS's info
  //   sip_dialog: id = Call-ID; name = the method that opened it (INVITE, REGISTER...); state =
  //               "early", "confirmed", "terminated", "failed", "timeout"; detail = the final reason
  //   dns:        id = the last name asked; state = the last rcode's name
  char id[72]{};
  char name[72]{};
  char state[24]{};
  char detail[96]{};
  uint16_t status = 0;        // connection: HTTP/RTSP last status, else the WebSocket close code; sip: final status; dns: last rcode
  uint16_t tls_version = 0;   // connection over TLS: negotiated (0: not TLS or not seen)
  uint32_t requests = 0;      // requests or messages client -> server (WS frames, SIP requests, DNS queries)
  uint32_t responses = 0;     // responses or messages server -> client
  uint32_t errors = 0;        // error answers (HTTP/RTSP/SIP >= 400, AMF _error, DNS failures and timeouts)
  uint32_t retransmits = 0;   // TCP segments (connection) or SIP requests (dialog) sent again
  uint32_t pings = 0, pongs = 0;  // WebSocket ping/pong frames
  double setup_ms = 0;        // connection: SYN to SYN-ACK at the tap; sip: request to first final answer;
                              // dns: mean answer time; wcs_stream: publish/play to its first status
  double max_ms = 0;          // the slowest answer (dns, HTTP, SIP transactions)
  uint64_t session = 0;       // the WebRTC session it names (SDP ufrags), 0 when none
};

using Event = std::variant<AnomalyEvent, RtpStreamEvent, FlowEvent, RtcpStreamEvent, WebrtcSessionEvent, SignallingEvent>;
static_assert(std::is_trivially_copyable_v<Event>, "events travel through rings as raw bytes");

// Where a pipeline hands its events. Called rarely (events, not packets): a virtual call is fine.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const Event& ev) = 0;
};

}  // namespace wcstap
