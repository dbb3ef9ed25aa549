// One RTP media stream (one SSRC; SRTP unless its spec says plain RTP): generates its packets, in
// clear (SRTP protection comes when the capture is complete), and remembers what it sent, so that
// RTCP sender and receiver reports can describe it exactly. Video payloads carry their codec's
// packetization headers (video_payload.h); audio payloads are random bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "bytes.h"
#include "rng.h"
#include "rtp.h"

namespace wcsgen {

struct StreamSpec {
  std::uint32_t ssrc = 0;
  std::uint8_t pt = 0;
  std::uint32_t clock_hz = 0;
  bool video = false;
  bool srtp = true;                // false: plain RTP (a SIP leg without SRTP)
  std::size_t audio_payload = 0;   // bytes per 20 ms audio packet; 0: variable, 60-160 (Opus)
};

// Opus: PT 111, 48 kHz. VP8: PT 96, H264: PT 102, both 90 kHz. PCMU: PT 0, 8 kHz, plain RTP,
// 160 bytes per 20 ms.
StreamSpec opus_stream(std::uint32_t ssrc);
StreamSpec video_stream(std::uint32_t ssrc, std::uint8_t pt);
StreamSpec pcmu_stream(std::uint32_t ssrc);

// How packets of one direction look at the tap: each packet is seen at its
// nominal send time plus a uniform extra delay in [0, jitter_us]; a stream's
// packets are never reordered.
struct PathTiming {
  std::int64_t jitter_us = 0;
};

// From `at_us` (absolute media time) on, the encoder aims at `kbps` instead: a bandwidth estimate
// collapsing, say. Frames keep their pace, numbering and keyframe cadence; they only get smaller.
struct BitrateStep {
  std::int64_t at_us = 0;
  double kbps = 0;
};

struct VideoProfile {
  double kbps = 800;            // average bitrate, keyframes included
  int fps = 30;
  int keyframe_interval = 90;   // frames
  double keyframe_factor = 5;   // keyframe size / delta frame size
  std::size_t max_payload = 1200;
  std::vector<BitrateStep> steps;  // in time order; each holds until the next

  double kbps_at(std::int64_t t_us) const;
};

using EmitFn = std::function<void(std::int64_t t_us, Bytes payload)>;

class MediaStream {
 public:
  MediaStream(const StreamSpec& spec, Rng& rng);  // random initial seq / timestamp

  const StreamSpec& spec() const { return spec_; }

  // Generate packets for media time [start_us, end_us).
  void generate_audio(std::int64_t start_us, std::int64_t end_us, const PathTiming& timing, Rng& rng,
                      const EmitFn& emit);
  void generate_video(std::int64_t start_us, std::int64_t end_us, const VideoProfile& profile,
                      const PathTiming& timing, Rng& rng, const EmitFn& emit);

  // Sender report content as of time t_us (what the sender had sent by then).
  rtcp::SenderInfo sender_info(std::int64_t t_us) const;
  void note_sender_report(std::int64_t t_us, std::uint64_t ntp) { srs_.push_back({t_us, ntp}); }

  // Report block written by a receiver that, at time `seen_us`, has received
  // every packet sent up to then. Empty when nothing was received yet.
  std::optional<rtcp::ReportBlock> report_block(std::int64_t seen_us) const;

  std::uint64_t packets_sent() const { return sent_.size(); }

 private:
  struct Sent {
    std::int64_t t_us;
    std::uint32_t ext_seq;
    std::uint32_t rtp_ts;
    std::uint32_t payload_len;
    double jitter;  // RFC 3550 interarrival jitter after this packet, timestamp units
  };
  struct Sr {
    std::int64_t t_us;
    std::uint64_t ntp;
  };

  Bytes random_payload(std::size_t len, Rng& rng) const;
  void emit_packet(std::int64_t t_us, bool marker, std::uint32_t rtp_ts, Bytes payload, const EmitFn& emit);
  std::int64_t next_time(std::int64_t nominal_us, const PathTiming& timing, Rng& rng) const;
  std::size_t count_until(std::int64_t t_us) const;  // packets with t <= t_us

  StreamSpec spec_;
  std::uint16_t seq0_;
  std::uint32_t ts0_;
  std::int64_t media_start_us_ = 0;
  std::vector<Sent> sent_;
  std::vector<Sr> srs_;
};

}  // namespace wcsgen
