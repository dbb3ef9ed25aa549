// The per-worker packet pipeline: decode -> flow table -> classify -> analyzers -> anomaly engine.
// The offline analyzer and every dataplane worker run this same object. Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "config/config.h"
#include "decode/decode.h"
#include "event.h"

namespace wcstap {

class SignatureDatabase;
class TapFactSink;

// Only uint64_t counters: they are summed and snapshotted word by word.
struct PipelineCounters {
  uint64_t packets = 0;          // frames offered
  uint64_t bytes = 0;            // captured bytes offered
  uint64_t malformed = 0;        // frames dropped as invalid (sum of by_reason)
  std::array<uint64_t, kDecodeErrorCount> malformed_by_reason{};
  uint64_t non_ip = 0;           // ARP, STP, PPPoE control...: not ours, not malformed
  uint64_t ip_fragments = 0;     // IP fragments (non-first fragments carry no ports: not flowed)
  uint64_t flows_created = 0;
  uint64_t flows_expired = 0;
  uint64_t flow_table_full = 0;  // packets of new flows that found no room
  uint64_t rtp_packets = 0;
  uint64_t rtcp_packets = 0;
  uint64_t rtp_streams = 0;      // RTP streams reported
  uint64_t rtp_stream_pool_full = 0;
  uint64_t rtp_streams_over_flow_cap = 0;  // SSRCs refused: their flow already had kMaxStreamsPerFlow
  uint64_t anomalies_raised = 0;
  uint64_t events = 0;           // events emitted (all types)
  uint64_t stun_messages = 0;    // STUN messages read
  uint64_t stun_malformed = 0;   // datagrams that looked like STUN but did not parse
  uint64_t rtcp_streams = 0;     // rtcp_stream reports: RTCP about SSRCs with no rtp_stream report
  uint64_t rtcp_ssrc_table_full = 0;  // RTCP about an SSRC not kept: its set of the table was full
  uint64_t dtls_records = 0;     // DTLS records read
  uint64_t dtls_malformed = 0;   // datagrams that looked like DTLS but did not parse (what came before counts)
  uint64_t dtls_table_full = 0;  // DTLS datagrams of a flow that found no room for its handshake state
  uint64_t srtp_authenticated = 0;   // SRTP packets verified with a key the tap holds
  uint64_t srtp_auth_failed = 0;     // ... whose authentication failed
  uint64_t srtcp_authenticated = 0;
  uint64_t srtcp_auth_failed = 0;    // (or refused otherwise: replay, too short)
  uint64_t srtp_stream_pool_full = 0;  // keyed streams not followed: no room
  uint64_t tcp_frames = 0;            // STUN/TURN/ICE-TCP messages cut out of TCP streams
  uint64_t tcp_frames_lost = 0;       // ... that ran past their segment or where the stream lost its thread
  uint64_t webrtc_sessions = 0;       // webrtc_session reports
  uint64_t session_table_full = 0;    // ICE checks of a new session that found no room
  // Counters listed in WCSTAP_NAMED_COUNTERS below: summaries and the contract carry them by name.
#define WCSTAP_NAMED_COUNTERS(X)                                                                          \
  X(flows_evicted)                 /* flows let go for new ones in a full table (unreported: see eviction_rank) */ \
  X(flow_media_full)               /* packets whose flow found no media bookkeeping free (flows.media_flows) */ \
  X(signalling_connections)        /* signalling flows followed */                                     \
  X(signalling_reports)            /* signalling records reported */                                   \
  X(signalling_table_full)         /* signalling flows not followed: no room */                        \
  X(signalling_deadlines_dropped)  /* timeouts not scheduled (queue full): judged at the flow's end */  \
  X(tcp_retransmissions)           /* TCP segments sent again, on signalling connections */            \
  X(tcp_stream_bytes)              /* reassembled bytes handed to the protocol parsers */              \
  X(tcp_stream_gaps)               /* holes given up on (a parser resynchronised) */                   \
  X(tcp_stream_gap_bytes)          /* bytes never seen, or dropped with a hole */                      \
  X(tcp_stream_no_memory)          /* bytes that had to wait and found the reassembly memory full */   \
  X(tcp_stream_too_long)           /* messages longer than a reassembly window: skipped */           \
  X(sip_messages)                  /* SIP requests and responses read */                               \
  X(sip_malformed)                 /* datagrams or stream lines that looked like SIP and did not parse */ \
  X(http_messages)                 /* HTTP requests and answers read */                                \
  X(http_malformed)                /* lines on HTTP connections that were not a message start */       \
  X(ws_messages)                   /* WebSocket messages (data and control) read */                    \
  X(ws_malformed)                  /* WebSocket framing errors (the direction is not read further) */  \
  X(ws_too_long)                   /* WebSocket messages longer than the tap reads: passed over */     \
  X(wcs_messages)                  /* WCS JSON messages read */                                        \
  X(tls_handshakes)                /* TLS ClientHellos read */                                         \
  X(tls_malformed)                 /* TLS streams that turned out not to be TLS */                     \
  X(dns_messages)                  /* DNS queries and answers read */                                  \
  X(dns_malformed)                 /* DNS messages that did not parse */                               \
  X(rtsp_messages)                 /* RTSP requests and answers read */                                \
  X(rtsp_malformed)                /* lines on RTSP connections that were not a message start */       \
  X(rtsp_interleaved)              /* interleaved $ frames (RTP/RTCP over the RTSP connection) */      \
  X(rtmp_messages)                 /* RTMP messages read (after the handshake) */                      \
  X(rtmp_malformed)                /* RTMP directions whose chunk stream could not be followed */      \
  X(sdp_bodies)                    /* SDP bodies read (SIP, WCS JSON, RTSP) */                         \
  X(sdp_malformed)                 /* SDP bodies that did not parse */                                 \
  X(rtp_clock_from_sdp)            /* RTP streams whose clock rate came from a session's SDP */       \
  X(signature_matches)             /* signature_match events (user signatures) */                      \
  X(signature_repeats)             /* ... matches of a signature already reported on the flow lately */ \
  X(signature_stream_restarts)     /* TCP signature streams started over after a hole */              \
  X(one_way_agreed_by_sdp)         /* plain RTP streams one way as their SDP agreed (one_way_media: info) */ \
  X(sdes_keys_learnt)              /* SRTP keys taken from SDP a=crypto (SDES), new or replacing */     \
  X(sdes_keys_unsupported)         /* ... refused: a suite or session parameter the tap cannot follow */ \
  X(sdes_keys_bad)                 /* ... refused: no base64, or the wrong length for the suite */     \
  X(sdes_keyring_full)             /* ... not kept: every SDES key slot in use (srtp.sdes_keys) */
#define WCSTAP_DECLARE_COUNTER(name) uint64_t name = 0;
  WCSTAP_NAMED_COUNTERS(WCSTAP_DECLARE_COUNTER)
#undef WCSTAP_DECLARE_COUNTER
  uint64_t clock_steps = 0;      // a packet stamped over 1 s before the one ahead of it (clock steps, merges)
  void add(const PipelineCounters& o);
};

// The counters of WCSTAP_NAMED_COUNTERS: name and member, for summaries and the contract.
struct NamedCounter {
  const char* name;
  uint64_t PipelineCounters::*member;
};
std::span<const NamedCounter> named_counters();

class Pipeline {
 public:
  // `signatures`: the config's signatures compiled once for the process
  // (SignatureDatabase::compile(cfg.signatures), signature/signature.h), shared by every worker's
  // pipeline; each pipeline keeps its own Hyperscan scratch and stream states. Null compiles them
  // for this pipeline alone (tests, single-pipeline tools).
  Pipeline(const Config& cfg, EventSink& sink, std::shared_ptr<const SignatureDatabase> signatures = nullptr);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // One captured frame. wire_len >= frame.size() (frame may be cut by the capture's snaplen).
  void process(LinkType link, Nanos ts, std::span<const uint8_t> frame, uint32_t wire_len);
  // Frames in order, as process() on each, with the burst's memory lookups overlapped: every frame
  // of a burst is decoded and hashed first, then the flow buckets, flow records and media state
  // its packets will read are fetched a whole burst, or a few packets, ahead of their analysis.
  struct Frame {
    Nanos ts = 0;
    std::span<const uint8_t> bytes;
    uint32_t wire_len = 0;
  };
  static constexpr size_t kBurst = 32;  // frames staged together (longer spans go in such bursts)
  void process_burst(LinkType link, std::span<const Frame> frames);
  // Timed work driven by packet time: the idle-expiry sweep. Cheap; call it every burst or so.
  // By default the sweep is paced by packet time, each table looked through once a second
  // (expiry lands within a second of the idle timeout), and never more than 8 records per packet
  // since the last call: at high packet rates its cost is per second, not per packet; replaying a
  // sparse capture fast it costs what a per-burst budget would. A `budget` visits that many
  // flow-table records now instead.
  static constexpr uint32_t kPaced = 0;
  void advance(Nanos now, uint32_t budget = kPaced);
  // End of input: every flow still open is reported (rtp_stream and flow events); open anomalies stay open.
  void finish();
  // New SRTP keys (and payload types) at run time, replacing the config's: every stream looks its
  // key up again on its next packet. libsrtp's state (rollover counters, replay windows) starts
  // afresh; SDES keys learnt from SDP stay. Throws std::runtime_error when libsrtp refuses a key
  // (the old keys stay).
  void set_srtp_keys(const SrtpConfig& keys);
  // The facts tap-wide verdicts are judged on (relay_fallback_surge, stun_response_slow; see
  // session/tap_wide.h) go to `sink` instead of this pipeline's own judge: a dataplane with several
  // workers judges them once over every worker's facts. Null: back to the pipeline's own.
  void hand_tap_facts_to(TapFactSink* sink);
  // A session's signalling and its media may be analysed by different pipelines (a dataplane whose
  // workers share the packets by 5-tuple): verdicts that rest on media not being seen here are not
  // made (sip_rtp_mismatch, rtsp_failure's "no RTP" over UDP), since another worker may be seeing it.
  // SDP-derived facts (clock rates, stream names, agreed directions, session fingerprints) reach
  // media only where both meet in this pipeline.
  void media_may_be_elsewhere(bool elsewhere);

  const PipelineCounters& counters() const;
  Nanos last_packet_time() const;
  // Bytes held for flows, preallocated at start: the flow table and the pools of per-flow state
  // beside it (media bookkeeping, DTLS handshakes, WebRTC sessions). RTP streams, RTCP SSRCs and
  // signalling have tables of their own sizes. Divided by flows.capacity: memory per flow.
  size_t flow_memory_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wcstap
