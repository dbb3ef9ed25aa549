#include "rtp_leg.h"

#include <optional>

#include "media.h"
#include "rtp.h"

namespace wcsgen {

namespace {

constexpr std::int64_t kSec = 1000000;

// WCS's own packets only see its scheduler on the way to the tap.
constexpr PathTiming kFromWcs{600};

// RFC 3550 6.3.1: the deterministic interval (5 s minimum at this rate, halved before the first
// report) times a uniform factor in [0.5, 1.5).
std::int64_t rtcp_interval(Rng& rng, bool initial) {
  const double td = initial ? 2.5 : 5.0;
  return static_cast<std::int64_t>(td * rng.uniform(0.5, 1.5) * 1e6);
}

std::string wcs_cname(Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) s.push_back(kHex[rng.below(16)]);
  return s;
}

std::uint32_t nonzero_ssrc(Rng& rng, std::uint32_t other) {
  for (;;) {
    const std::uint32_t s = rng.u32();
    if (s != 0 && s != other) return s;
  }
}

}  // namespace

RtpLegResult build_rtp_leg(const RtpLegConfig& cfg, Rng& rng, Capture& cap) {
  const std::int64_t d = cfg.one_way_delay_us;
  RtpLegResult res;
  res.wcs_rtcp = Endpoint{cfg.wcs_rtp.ip, static_cast<std::uint16_t>(cfg.wcs_rtp.port + 1)};
  res.phone_rtcp = Endpoint{cfg.phone_rtp.ip, static_cast<std::uint16_t>(cfg.phone_rtp.port + 1)};
  const std::uint32_t wcs_ssrc = nonzero_ssrc(rng, 0);
  const std::uint32_t phone_ssrc = nonzero_ssrc(rng, wcs_ssrc);

  MediaStream audio(pcmu_stream(wcs_ssrc), rng);
  bool first = true;
  audio.generate_audio(cfg.media_start_us, cfg.media_end_us, kFromWcs, rng, [&](std::int64_t t, Bytes payload) {
    if (first) res.media_start_us = t;
    first = false;
    cap.add_udp(t, cfg.wcs_rtp, cfg.phone_rtp, Content::kRtp, std::move(payload));
  });
  res.stream = StreamInfo{cfg.wcs_rtp, cfg.phone_rtp, wcs_ssrc, audio.spec().pt, false};

  // WCS: a sender report about its SSRC soon after the media starts, then every RTCP interval,
  // each with SDES CNAME; it has received nothing, so no report blocks.
  const std::string cname = wcs_cname(rng);
  for (std::int64_t t = res.media_start_us + rng.range(kSec / 2, 3 * kSec / 2); t < cfg.media_end_us;
       t += rtcp_interval(rng, false)) {
    const rtcp::SenderInfo si = audio.sender_info(t);
    audio.note_sender_report(t, si.ntp);
    Bytes compound = rtcp::sender_report(wcs_ssrc, si, {});
    append(compound, rtcp::sdes_cname(wcs_ssrc, cname));
    cap.add_udp(t, res.wcs_rtcp, res.phone_rtcp, Content::kRtcp, std::move(compound));
    res.wcs_sr_us.push_back(t);
  }

  // The phone, on its own clock (the tap's time shifted by the path): it hears WCS's packets d
  // after the tap saw them leave, and the tap sees its reports d after it sent them. Its first
  // report comes half an interval after the first RTP packet reached it, then one every interval
  // while the media lasts. Each report block describes what had reached the phone by then, and
  // its LSR/DLSR the last sender report heard: LSR = that SR's NTP middle 32 bits, DLSR = t_rr -
  // (t_sr + d). So WCS (and the tap) compute RTT = (t_rr + d) - t_sr - DLSR = 2d.
  for (std::int64_t t_rr = res.media_start_us + d + rtcp_interval(rng, true); t_rr < cfg.media_end_us + d;
       t_rr += rtcp_interval(rng, false)) {
    const std::int64_t seen_at_tap = t_rr + d;
    if (seen_at_tap >= cfg.phone_rtcp_until_us) break;
    const std::optional<rtcp::ReportBlock> rb = audio.report_block(t_rr - d);
    if (!rb) continue;
    Bytes compound = rtcp::receiver_report(phone_ssrc, std::span(&*rb, 1));
    append(compound, rtcp::sdes_cname(phone_ssrc, cfg.phone_cname));
    cap.add_udp(seen_at_tap, res.phone_rtcp, res.wcs_rtcp, Content::kRtcp, std::move(compound));
    res.phone_rr_us.push_back(seen_at_tap);
  }
  return res;
}

}  // namespace wcsgen
