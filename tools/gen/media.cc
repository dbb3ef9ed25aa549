#include "media.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "srtp_session.h"
#include "video_payload.h"

namespace wcsgen {

namespace {
constexpr std::uint8_t kPtOpus = 111;
constexpr std::uint8_t kPtPcmu = 0;
constexpr std::uint32_t kAudioClock = 48000;
constexpr std::uint32_t kPcmuClock = 8000;
constexpr std::size_t kPcmuPayload = 160;  // 20 ms of 8 kHz G.711
constexpr std::uint32_t kVideoClock = 90000;
constexpr std::int64_t kAudioPtimeUs = 20000;
constexpr std::int64_t kMinGapUs = 20;  // keeps a stream's packets strictly ordered
}  // namespace

StreamSpec opus_stream(std::uint32_t ssrc) { return StreamSpec{ssrc, kPtOpus, kAudioClock, false}; }

StreamSpec video_stream(std::uint32_t ssrc, std::uint8_t pt) { return StreamSpec{ssrc, pt, kVideoClock, true}; }

StreamSpec pcmu_stream(std::uint32_t ssrc) {
  return StreamSpec{ssrc, kPtPcmu, kPcmuClock, false, false, kPcmuPayload};
}

double VideoProfile::kbps_at(std::int64_t t_us) const {
  double k = kbps;
  for (const BitrateStep& s : steps)
    if (s.at_us <= t_us) k = s.kbps;
  return k;
}

MediaStream::MediaStream(const StreamSpec& spec, Rng& rng)
    : spec_(spec), seq0_(static_cast<std::uint16_t>(rng.next())), ts0_(rng.u32()) {}

std::int64_t MediaStream::next_time(std::int64_t nominal_us, const PathTiming& timing, Rng& rng) const {
  std::int64_t t = nominal_us + rng.range(0, timing.jitter_us);
  if (!sent_.empty()) t = std::max(t, sent_.back().t_us + kMinGapUs);
  return t;
}

// `len` random bytes. An SRTP stream draws as many more as its auth tag is long, and drops them:
// the generator has always drawn them there, so every later draw, and with it every capture of a
// seed, stays as it was before libsrtp wrote the tags.
Bytes MediaStream::random_payload(std::size_t len, Rng& rng) const {
  Bytes b = rng.bytes(len + (spec_.srtp ? kSrtpAuthTagLen : 0));
  b.resize(len);
  return b;
}

void MediaStream::emit_packet(std::int64_t t_us, bool marker, std::uint32_t rtp_ts, Bytes payload,
                              const EmitFn& emit) {
  const std::uint32_t ext_seq = static_cast<std::uint32_t>(seq0_) + static_cast<std::uint32_t>(sent_.size());
  double jitter = 0;
  if (!sent_.empty()) {
    const Sent& prev = sent_.back();
    const double arrival_delta = static_cast<double>(t_us - prev.t_us) * spec_.clock_hz / 1e6;
    const double ts_delta = static_cast<double>(static_cast<std::int32_t>(rtp_ts - prev.rtp_ts));
    jitter = prev.jitter + (std::fabs(arrival_delta - ts_delta) - prev.jitter) / 16.0;
  }
  sent_.push_back(Sent{t_us, ext_seq, rtp_ts, static_cast<std::uint32_t>(payload.size()), jitter});
  RtpHeader h{spec_.pt, marker, static_cast<std::uint16_t>(ext_seq), rtp_ts, spec_.ssrc};
  emit(t_us, rtp_packet(h, payload));
}

void MediaStream::generate_audio(std::int64_t start_us, std::int64_t end_us, const PathTiming& timing, Rng& rng,
                                 const EmitFn& emit) {
  media_start_us_ = start_us;
  const std::uint32_t ts_step = spec_.clock_hz / 50;  // 20 ms
  for (std::int64_t k = 0;; ++k) {
    const std::int64_t nominal = start_us + k * kAudioPtimeUs;
    if (nominal >= end_us) break;
    const auto len = spec_.audio_payload != 0 ? spec_.audio_payload : static_cast<std::size_t>(rng.range(60, 160));
    const std::int64_t t = next_time(nominal, timing, rng);
    emit_packet(t, false, ts0_ + static_cast<std::uint32_t>(k) * ts_step, random_payload(len, rng), emit);
  }
}

void MediaStream::generate_video(std::int64_t start_us, std::int64_t end_us, const VideoProfile& p,
                                 const PathTiming& timing, Rng& rng, const EmitFn& emit) {
  media_start_us_ = start_us;
  const std::uint32_t ts_step = spec_.clock_hz / static_cast<std::uint32_t>(p.fps);
  const std::optional<VideoCodec> codec = video_codec_of_pt(spec_.pt);
  // Chrome starts its VP8 picture ids at random: the random first sequence number serves, so that
  // no draw is added.
  const std::uint16_t picture_id0 = seq0_;
  for (std::int64_t k = 0;; ++k) {
    const std::int64_t nominal = start_us + k * 1000000 / p.fps;
    if (nominal >= end_us) break;
    // Average bytes per delta frame so that the mean bitrate, keyframes included, is the target.
    const double bytes_per_interval = p.kbps_at(nominal) * 1000.0 / 8.0 * p.keyframe_interval / p.fps;
    const double delta_bytes = bytes_per_interval / (p.keyframe_interval - 1 + p.keyframe_factor);
    const bool key = k % p.keyframe_interval == 0;
    const double size =
        key ? delta_bytes * p.keyframe_factor * rng.uniform(0.9, 1.1) : delta_bytes * rng.uniform(0.7, 1.3);
    const auto frame_bytes = std::max<std::size_t>(20, static_cast<std::size_t>(size));
    const std::size_t n = (frame_bytes + p.max_payload - 1) / p.max_payload;
    const std::uint32_t rtp_ts = ts0_ + static_cast<std::uint32_t>(k) * ts_step;
    std::int64_t t = next_time(nominal, timing, rng);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t len = frame_bytes / n + (i < frame_bytes % n ? 1 : 0);
      if (i > 0) t = next_time(t + rng.range(80, 400), PathTiming{0}, rng);  // pacer spacing within a frame
      Bytes payload = random_payload(len, rng);
      if (codec) {
        const auto picture_id = static_cast<std::uint16_t>((picture_id0 + k) & 0x7fff);
        payload = video_payload(*codec, FramePacket{key, i, n, frame_bytes, picture_id}, std::move(payload));
      }
      emit_packet(t, i + 1 == n, rtp_ts, std::move(payload), emit);
    }
  }
}

std::size_t MediaStream::count_until(std::int64_t t_us) const {
  auto it = std::upper_bound(sent_.begin(), sent_.end(), t_us, [](std::int64_t t, const Sent& s) { return t < s.t_us; });
  return static_cast<std::size_t>(it - sent_.begin());
}

rtcp::SenderInfo MediaStream::sender_info(std::int64_t t_us) const {
  rtcp::SenderInfo si;
  si.ntp = rtcp::ntp_from_unix_us(t_us);
  const double elapsed = static_cast<double>(t_us - media_start_us_) / 1e6;
  si.rtp_timestamp = ts0_ + static_cast<std::uint32_t>(std::llround(elapsed * spec_.clock_hz));
  const std::size_t n = count_until(t_us);
  si.packet_count = static_cast<std::uint32_t>(n);
  std::uint64_t octets = 0;
  for (std::size_t i = 0; i < n; ++i) octets += sent_[i].payload_len;
  si.octet_count = static_cast<std::uint32_t>(octets);
  return si;
}

std::optional<rtcp::ReportBlock> MediaStream::report_block(std::int64_t seen_us) const {
  const std::size_t n = count_until(seen_us);
  if (n == 0) return std::nullopt;
  const Sent& last = sent_[n - 1];
  rtcp::ReportBlock rb;
  rb.ssrc = spec_.ssrc;
  const std::uint32_t expected = last.ext_seq - sent_.front().ext_seq + 1;
  rb.cumulative_lost = expected - static_cast<std::uint32_t>(n);
  rb.fraction_lost = 0;
  rb.extended_highest_seq = last.ext_seq;
  rb.jitter = static_cast<std::uint32_t>(std::llround(last.jitter));
  for (auto it = srs_.rbegin(); it != srs_.rend(); ++it) {
    if (it->t_us <= seen_us) {
      rb.lsr = static_cast<std::uint32_t>(it->ntp >> 16);
      rb.dlsr = static_cast<std::uint32_t>((seen_us - it->t_us) * 65536 / 1000000);
      break;
    }
  }
  return rb;
}

}  // namespace wcsgen
