// Event <-> FlatBuffers conversion: the one place where wcstap's C++ records meet the wire schema
// (schema/wcstap.fbs). The dataplane encodes with it, the control process decodes with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <flatbuffers/flatbuffers.h>

#include "event.h"
#include "pipeline.h"
#include "wcstap_generated.h"

namespace wcstap::codec {

// ZeroMQ topic frames, one per body type.
inline constexpr std::string_view kTopicAnomaly = "anomaly";
inline constexpr std::string_view kTopicRtpStream = "rtp_stream";
inline constexpr std::string_view kTopicRtcpStream = "rtcp_stream";
inline constexpr std::string_view kTopicWebrtcSession = "webrtc_session";
inline constexpr std::string_view kTopicSignalling = "signalling";
inline constexpr std::string_view kTopicFlow = "flow";
inline constexpr std::string_view kTopicStats = "stats";
inline constexpr std::string_view kTopicHello = "hello";
inline constexpr std::string_view kTopicHeartbeat = "heartbeat";
inline constexpr std::string_view kTopicGoodbye = "goodbye";
std::string_view topic_of(msg::Body body);  // "" for NONE

// Where on the tap an event was seen (DPDK port and RX queue) and which worker analysed it.
struct Origin {
  uint16_t port_id = 0;
  uint16_t queue = 0;
  uint16_t worker = 0;
  // Judged on the main lcore for the tap as a whole (tap_overload, the tap-wide verdicts of several
  // workers' facts): no port, queue or worker of its own, all three kTapWide.
  static constexpr uint16_t kTapWide = 0xFFFF;
  static constexpr Origin tap_wide() { return {kTapWide, kTapWide, kTapWide}; }
};

msg::Endpoint encode(const Endpoint& e);
Endpoint decode(const msg::Endpoint& e);

flatbuffers::Offset<msg::Anomaly> encode(flatbuffers::FlatBufferBuilder& fbb, const AnomalyEvent& ev,
                                         Origin origin = {});
flatbuffers::Offset<msg::RtpStream> encode(flatbuffers::FlatBufferBuilder& fbb,
                                           const RtpStreamEvent& ev, Origin origin = {});
flatbuffers::Offset<msg::RtcpStream> encode(flatbuffers::FlatBufferBuilder& fbb,
                                            const RtcpStreamEvent& ev, Origin origin = {});
flatbuffers::Offset<msg::Flow> encode(flatbuffers::FlatBufferBuilder& fbb, const FlowEvent& ev,
                                      Origin origin = {});
flatbuffers::Offset<msg::WebrtcSession> encode(flatbuffers::FlatBufferBuilder& fbb, const WebrtcSessionEvent& ev,
                                               Origin origin = {});
flatbuffers::Offset<msg::Signalling> encode(flatbuffers::FlatBufferBuilder& fbb, const SignallingEvent& ev,
                                            Origin origin = {});
flatbuffers::Offset<msg::PipelineStats> encode(flatbuffers::FlatBufferBuilder& fbb,
                                               const PipelineCounters& c);

// Decoding refuses values this build does not know (an enum from a newer tap): nullopt.
std::optional<AnomalyEvent> decode(const msg::Anomaly& m);
std::optional<RtpStreamEvent> decode(const msg::RtpStream& m);
std::optional<RtcpStreamEvent> decode(const msg::RtcpStream& m);
std::optional<FlowEvent> decode(const msg::Flow& m);
std::optional<WebrtcSessionEvent> decode(const msg::WebrtcSession& m);
std::optional<SignallingEvent> decode(const msg::Signalling& m);
// Unknown malformed-reason names are ignored (they still count in `malformed`).
PipelineCounters decode(const msg::PipelineStats& m);

// Finishes `fbb` with an Envelope around an already built body.
void finish_envelope(flatbuffers::FlatBufferBuilder& fbb, std::string_view tap_id, uint64_t seq,
                     uint64_t time_ns, msg::Body type, flatbuffers::Offset<void> body);

// The verified envelope in `data`, or nullptr when the bytes are not a valid wcstap envelope.
const msg::Envelope* verify_envelope(const void* data, size_t size);

}  // namespace wcstap::codec
