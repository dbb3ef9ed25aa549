// Traffic mixes for the line-rate benchmark (tools/bench/linerate): large captures of steady
// traffic, written packet by packet straight to the pcap (nothing is held but per-flow state), in
// time order. Unlike the scenarios they carry no ground truth: they are load, not faults.
//
//   media   N WebRTC sessions in steady state (ICE and DTLS long done), each one BUNDLE 5-tuple
//           browser <-> WCS media port: SRTP-looking Opus audio and VP8/H.264 video one way (a
//           publisher's towards WCS, a player's from it), SRTCP reports both ways, ICE consent
//           checks both ways.
//   small   64-byte Ethernet frames (60 in the capture, the FCS is not captured): UDP with an RTP
//           header and 6 payload bytes, round-robin over N flows.
//   flows   N distinct UDP 5-tuples to WCS media ports, round-robin so that every flow stays live,
//           each packet a small SRTP-looking audio packet.
#pragma once

#include <cstdint>
#include <string>

namespace wcsgen {

struct MixSummary {
  std::uint64_t packets = 0;
  std::uint64_t frame_bytes = 0;  // Ethernet frames without FCS, as captured
  std::uint64_t max_frame = 0;    // the longest of them
  std::uint64_t flows = 0;        // distinct 5-tuples
  std::uint64_t rtp_streams = 0;  // distinct (SSRC, direction)
  std::int64_t span_us = 0;       // last packet's time - first's
};

struct MediaMixParams {
  std::uint32_t sessions = 10000;
  double seconds = 1.0;
  std::uint64_t seed = 1;
  double publish_share = 0.3;  // sessions that publish (media to WCS); the others play
};

struct FlowMixParams {
  std::uint64_t flows = 1024;
  std::uint64_t packets = 1u << 20;
  std::uint64_t seed = 1;
  std::int64_t gap_us = 1;  // between consecutive packets of the capture
};

MixSummary write_media_mix(const MediaMixParams& p, const std::string& path);
// 64-byte frames (RTP header + 6 bytes), round-robin over p.flows flows.
MixSummary write_small_mix(const FlowMixParams& p, const std::string& path);
// SRTP-looking audio packets (100-160 bytes of payload), round-robin over p.flows flows.
MixSummary write_flows_mix(const FlowMixParams& p, const std::string& path);

// {"mix":..,"packets":..,...}: what the runner reads back.
std::string summary_json(const std::string& mix, const MixSummary& s);

}  // namespace wcsgen
