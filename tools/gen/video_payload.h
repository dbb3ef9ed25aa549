// Video RTP payloads as Chrome's packetizers lay them out, before SRTP: VP8 (RFC 7741) and H.264
// packetization mode 1 (RFC 6184). Only the headers are real; the coded picture is random bytes.
// The truth reads the same layouts back to count the keyframes that reached the capture.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "bytes.h"

namespace wcsgen {

enum class VideoCodec : std::uint8_t { kVp8, kH264 };

inline constexpr std::uint8_t kPtVp8 = 96;
inline constexpr std::uint8_t kPtH264 = 102;

// The codec behind one of the generator's video payload types; none for audio.
std::optional<VideoCodec> video_codec_of_pt(std::uint8_t pt);
std::string_view codec_name(VideoCodec c);  // "vp8", "h264"

// One packet of a video frame, as the packetizer sees it.
struct FramePacket {
  bool keyframe = false;
  std::size_t index = 0;         // within the frame, from 0
  std::size_t count = 1;         // packets of the frame
  std::size_t frame_bytes = 0;   // RTP payload bytes of the whole frame, as planned
  std::uint16_t picture_id = 0;  // VP8's 15-bit picture id, one per frame
};

// The packet's RTP payload, written over `filler`: random bytes as long as the plan made the
// packet. The codec's headers take its first bytes. The first packet of an H.264 keyframe is the
// SPS + PPS STAP-A instead, much shorter (the packet count stays what the frame size made it).
Bytes video_payload(VideoCodec codec, const FramePacket& p, Bytes filler);

// Whether an RTP payload (plain, as video_payload wrote it) is the one packet of a frame that
// tells it is a keyframe: VP8 the frame's first (S=1, PartID 0) with a key frame tag; H.264 the
// one that starts the IDR slice (FU-A start, single NAL unit, or inside the STAP-A).
bool begins_keyframe(VideoCodec codec, ByteView payload);

}  // namespace wcsgen
