// A plain RTP send-only audio leg from WCS to a SIP phone, as WCS runs one when it relays a stream
// into a SIP call without SRTP: PCMU from WCS's media port P to the phone's port Q, RTCP on its own
// ports P+1 <-> Q+1 (no rtcp-mux). WCS sends RTCP sender reports (+ SDES CNAME) about its SSRC; the
// phone sends no RTP at all, only receiver reports (+ SDES CNAME) about WCS's SSRC. The SIP
// signalling that set the leg up is not generated.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "capture.h"
#include "net.h"
#include "rng.h"
#include "webrtc_session.h"

namespace wcsgen {

struct RtpLegConfig {
  Endpoint wcs_rtp;    // even port; WCS's RTCP is on port + 1
  Endpoint phone_rtp;  // even port; the phone's RTCP is on port + 1
  std::int64_t media_start_us = 0;  // WCS's first RTP packet
  std::int64_t media_end_us = 0;
  std::int64_t one_way_delay_us = 30000;  // network delay WCS <-> phone, each way
  // The phone's RTCP stops: none of its reports reaches the tap at or after this time.
  std::int64_t phone_rtcp_until_us = std::numeric_limits<std::int64_t>::max();
  std::string phone_cname;
};

struct RtpLegResult {
  StreamInfo stream;  // WCS -> phone
  Endpoint wcs_rtcp;
  Endpoint phone_rtcp;
  std::int64_t media_start_us = 0;            // first RTP packet (tap time)
  std::vector<std::int64_t> wcs_sr_us;        // tap times of WCS's sender reports
  std::vector<std::int64_t> phone_rr_us;      // tap times of the phone's receiver reports
};

RtpLegResult build_rtp_leg(const RtpLegConfig& cfg, Rng& rng, Capture& cap);

}  // namespace wcsgen
