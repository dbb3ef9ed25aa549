// The signalling analyzers behind one interface: TCP connections to signalling ports (or whose
// first bytes name a signalling protocol), their reassembled byte streams, and the protocols on
// them (HTTP/WebSocket and WCS's JSON, TLS, SIP, RTSP, RTMP, HLS, DNS); SIP and DNS over UDP too.
// The pipeline hands it the packets of the flows it took and tells it when a flow ends; it owns
// its state (preallocated: `signalling.connections`, the reassembly memory), raises the
// signalling anomalies and reports signalling records. Time is packet time; timeouts (a SYN
// unanswered, a query with no answer) are judged by advance().
#pragma once

#include <cstdint>
#include <memory>

#include "anomaly/anomaly_engine.h"
#include "config/config.h"
#include "decode/bytes.h"
#include "decode/decode.h"
#include "event.h"
#include "session/media_expectations.h"

namespace wcstap {

struct PipelineCounters;
class SignatureDatabase;

// Where media found inside a signalling stream goes (RTSP's interleaved RTP/RTCP, RFC 2326
// section 10.12): to the media analyzers, as if it had come in a datagram of the same flow.
class InterleavedMedia {
 public:
  virtual ~InterleavedMedia() = default;
  virtual void interleaved(uint8_t dir, Nanos ts, Bytes packet) = 0;
};

// Where the SRTP keys of the SDP signalling carries go (SDES, RFC 4568 a=crypto): to the SRTP
// keyring. `source` names the dialog or stream that said them (as MediaExpectations' source);
// ended: that dialog or stream is over (its keys may make room for others).
class SdesKeySink {
 public:
  virtual ~SdesKeySink() = default;
  virtual void sdes_keys(const SdpSession& sdp, Nanos ts, uint64_t source) = 0;
  virtual void sdes_source_ended(uint64_t source, Nanos ts) = 0;
};

class SignallingAnalyzer {
 public:
  // SDP seen in signalling is recorded in `expectations` for the media analyzers, its SDES keys
  // handed to `keys` (none: not followed). `signatures`: the process's compiled signatures
  // (SignatureDatabase::compile(cfg.signatures)), shared by every worker; null compiles them for
  // this analyzer alone.
  SignallingAnalyzer(const Config& cfg, AnomalyEngine& engine, EventSink& sink, PipelineCounters& ctr,
                     InterleavedMedia& media, MediaExpectations& expectations,
                     std::shared_ptr<const SignatureDatabase> signatures = nullptr, SdesKeySink* keys = nullptr);
  ~SignallingAnalyzer();
  SignallingAnalyzer(const SignallingAnalyzer&) = delete;
  SignallingAnalyzer& operator=(const SignallingAnalyzer&) = delete;

  // Whether a flow is signalling: by the port map's class (`port_class`), else by a payload's first
  // bytes (`payload` may be empty: then by port only). Unknown when it is not.
  FlowClass recognise(L4 l4, FlowClass port_class, Bytes payload) const;

  // Opens the state of a flow it takes, `lo`/`hi` its endpoints as the flow key orders them
  // (direction 0 is lo -> hi). `after_handshake`: a TCP flow taken at its first payload whose SYN
  // the pipeline saw (its streams start with this packet and at its ACK). kNoIndex when the table
  // is full (counted).
  uint32_t open(FlowClass cls, L4 l4, const Endpoint& lo, const Endpoint& hi, Nanos ts, bool after_handshake = false);
  // A datagram of any UDP flow (media included): the user's signatures whose ports it matches.
  // Cheap when there are none, or the ports are not theirs.
  void datagram(Nanos ts, const DecodedPacket& p) {
    if (user_signatures_) datagram_slow(ts, p);
  }
  // A packet of that flow (TCP: every segment, with or without payload).
  void packet(uint32_t conn, uint8_t dir, Nanos ts, const DecodedPacket& p);
  // The flow ended (idle) or input ended: its records are reported and its state let go.
  void close(uint32_t conn, Nanos last_ts, bool expired);
  // Timeouts due by packet time `now` (every packet calls it: one comparison unless one is due).
  void advance(Nanos now) {
    if (now >= next_due_) advance_slow(now);
  }
  // End of input at packet time `now`: what is due is judged, and records not tied to a flow
  // (SIP dialogs, WCS streams, DNS summaries) are reported. Call before the flows are closed.
  void finish(Nanos now);
  // Media of this analyzer's signalling may be analysed elsewhere (see Pipeline::media_may_be_elsewhere):
  // no verdict rests on media not seen here.
  void media_may_be_elsewhere(bool elsewhere);

 private:
  void advance_slow(Nanos now);
  void datagram_slow(Nanos ts, const DecodedPacket& p);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Nanos next_due_ = ~Nanos{0};   // the earliest deadline (none: never)
  bool user_signatures_ = false;
};

}  // namespace wcstap
