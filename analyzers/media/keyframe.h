// Video keyframes from RTP payloads (clear RTP, or SRTP the tap decrypted): where a keyframe starts
// for VP8 (RFC 7741), VP9 (RFC 9628) and H.264 (RFC 6184). A keyframe spans several packets and,
// for H.264, may be several IDR slices: callers count distinct RTP timestamps.
#pragma once

#include <cstdint>

#include "decode/bytes.h"
#include "event.h"

namespace wcstap {

// True when `payload` (after the RTP header) begins a keyframe of `codec`.
bool starts_keyframe(VideoCodec codec, Bytes payload);

// For H.264: the packet carries a sequence or picture parameter set (SPS 7, PPS 8).
bool h264_has_parameter_sets(Bytes payload);

}  // namespace wcstap
