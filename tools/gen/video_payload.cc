#include "video_payload.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace wcsgen {

namespace {

// What the encoders send: 720p, Chrome's usual camera resolution.
constexpr std::uint32_t kWidth = 1280;
constexpr std::uint32_t kHeight = 720;

// --- VP8 -----------------------------------------------------------------------------------

// Chrome's descriptor: X, I and a 15-bit picture id (M=1); no TL0PICIDX, TID or KEYIDX.
constexpr std::size_t kVp8DescriptorLen = 4;
constexpr std::size_t kVp8TagLen = 3;       // RFC 6386 9.1 frame tag
constexpr std::size_t kVp8KeyHeaderLen = 10;  // the tag, start code 9d 01 2a, width, height

// The first partition (modes and motion vectors) takes a plausible share of the frame's VP8 data
// and must fit after the frame header.
std::uint32_t first_partition_size(const FramePacket& p, std::size_t header) {
  const std::size_t descriptors = kVp8DescriptorLen * p.count;
  const std::size_t data = p.frame_bytes > descriptors ? p.frame_bytes - descriptors : 0;
  const std::size_t room = data > header ? data - header : 0;
  return static_cast<std::uint32_t>(std::min(std::max<std::size_t>(data / 5, 1), room)) & 0x7ffff;
}

Bytes vp8_payload(const FramePacket& p, Bytes b) {
  const bool first = p.index == 0;
  const std::size_t header = first ? (p.keyframe ? kVp8KeyHeaderLen : kVp8TagLen) : 0;
  if (b.size() < kVp8DescriptorLen + header) b.resize(kVp8DescriptorLen + header);
  b[0] = first ? 0x90 : 0x80;  // X (extensions follow), S on the frame's first packet, PartID 0
  b[1] = 0x80;                 // I: a picture id follows
  b[2] = static_cast<std::uint8_t>(0x80 | ((p.picture_id >> 8) & 0x7f));  // M: it is 15 bits
  b[3] = static_cast<std::uint8_t>(p.picture_id);
  if (!first) return b;
  // Little-endian: inverse key frame flag, version 0, show_frame, first partition size.
  const std::uint32_t tag = (p.keyframe ? 0u : 1u) | (1u << 4) | (first_partition_size(p, header) << 5);
  b[4] = static_cast<std::uint8_t>(tag);
  b[5] = static_cast<std::uint8_t>(tag >> 8);
  b[6] = static_cast<std::uint8_t>(tag >> 16);
  if (!p.keyframe) return b;
  const std::uint8_t key_header[] = {0x9d, 0x01, 0x2a,  // start code
                                     static_cast<std::uint8_t>(kWidth), static_cast<std::uint8_t>(kWidth >> 8),
                                     static_cast<std::uint8_t>(kHeight), static_cast<std::uint8_t>(kHeight >> 8)};
  std::copy(std::begin(key_header), std::end(key_header), b.begin() + 7);  // width, height: scale bits 0
  return b;
}

// The descriptor's length, from its X byte's I, L, T and K bits.
std::size_t vp8_descriptor_len(ByteView p) {
  if ((p[0] & 0x80) == 0) return 1;
  if (p.size() < 3) return p.size();
  std::size_t n = 2;
  if (p[1] & 0x80) n += (p[2] & 0x80) ? 2 : 1;  // picture id, 15 or 7 bits
  if (p[1] & 0x40) n += 1;                       // TL0PICIDX
  if (p[1] & 0x30) n += 1;                       // TID / KEYIDX
  return n;
}

bool vp8_begins_keyframe(ByteView p) {
  if (p.empty() || (p[0] & 0x10) == 0 || (p[0] & 0x07) != 0) return false;  // S, PartID 0
  const std::size_t at = vp8_descriptor_len(p);
  return at < p.size() && (p[at] & 0x01) == 0;
}

// --- H.264 ---------------------------------------------------------------------------------

constexpr std::uint8_t kNri3 = 0x60;  // nal_ref_idc 3: every NAL unit here is a reference
constexpr std::uint8_t kNalSlice = 1;
constexpr std::uint8_t kNalIdr = 5;
constexpr std::uint8_t kNalSps = 7;
constexpr std::uint8_t kNalPps = 8;
constexpr std::uint8_t kStapA = 24;
constexpr std::uint8_t kFuA = 28;

// Writes an RBSP bit by bit, with H.264's Exp-Golomb codes.
class BitWriter {
 public:
  void put(std::uint32_t value, int bits) {
    for (int i = bits - 1; i >= 0; --i) bit((value >> i) & 1);
  }
  // ue(v): v + 1 in binary, after as many zeros as it has bits less one.
  void ue(std::uint32_t v) {
    const auto n = static_cast<int>(std::bit_width(v + 1));
    put(0, n - 1);
    put(v + 1, n);
  }
  // The stop bit, then zeros to a byte boundary.
  Bytes rbsp() && {
    bit(1);
    while (bits_ % 8 != 0) bit(0);
    return std::move(bytes_);
  }

 private:
  void bit(std::uint32_t b) {
    if (bits_ % 8 == 0) bytes_.push_back(0);
    if (b) bytes_.back() = static_cast<std::uint8_t>(bytes_.back() | (0x80 >> (bits_ % 8)));
    ++bits_;
  }
  Bytes bytes_;
  std::size_t bits_ = 0;
};

// NAL header, then the RBSP with emulation prevention (00 00 0x becomes 00 00 03 0x for x <= 3).
Bytes nal_unit(std::uint8_t type, const Bytes& rbsp) {
  Bytes b{static_cast<std::uint8_t>(kNri3 | type)};
  int zeros = 0;
  for (std::uint8_t byte : rbsp) {
    if (zeros == 2 && byte <= 3) {
      b.push_back(3);
      zeros = 0;
    }
    b.push_back(byte);
    zeros = byte == 0 ? zeros + 1 : 0;
  }
  return b;
}

// Constrained Baseline level 3.1 (Chrome's profile-level-id 42e01f), 1280x720, no VUI.
const Bytes& sps() {
  static const Bytes nal = [] {
    BitWriter w;
    w.put(66, 8);             // profile_idc: Baseline
    w.put(0xe0, 8);           // constraint_set0/1/2: Constrained Baseline
    w.put(31, 8);             // level_idc 3.1
    w.ue(0);                  // seq_parameter_set_id
    w.ue(0);                  // log2_max_frame_num_minus4
    w.ue(2);                  // pic_order_cnt_type 2: output order is decoding order
    w.ue(1);                  // max_num_ref_frames
    w.put(0, 1);              // gaps_in_frame_num_value_allowed_flag
    w.ue(kWidth / 16 - 1);    // pic_width_in_mbs_minus1
    w.ue(kHeight / 16 - 1);   // pic_height_in_map_units_minus1
    w.put(1, 1);              // frame_mbs_only_flag
    w.put(1, 1);              // direct_8x8_inference_flag
    w.put(0, 1);              // frame_cropping_flag
    w.put(0, 1);              // vui_parameters_present_flag
    return nal_unit(kNalSps, std::move(w).rbsp());
  }();
  return nal;
}

// CAVLC, one slice group, one reference, default QP, deblocking control present.
const Bytes& pps() {
  static const Bytes nal = [] {
    BitWriter w;
    w.ue(0);      // pic_parameter_set_id
    w.ue(0);      // seq_parameter_set_id
    w.put(0, 1);  // entropy_coding_mode_flag: CAVLC
    w.put(0, 1);  // bottom_field_pic_order_in_frame_present_flag
    w.ue(0);      // num_slice_groups_minus1
    w.ue(0);      // num_ref_idx_l0_default_active_minus1
    w.ue(0);      // num_ref_idx_l1_default_active_minus1
    w.put(0, 1);  // weighted_pred_flag
    w.put(0, 2);  // weighted_bipred_idc
    w.ue(0);      // pic_init_qp_minus26: se(0) codes as ue(0)
    w.ue(0);      // pic_init_qs_minus26
    w.ue(0);      // chroma_qp_index_offset
    w.put(1, 1);  // deblocking_filter_control_present_flag
    w.put(0, 1);  // constrained_intra_pred_flag
    w.put(0, 1);  // redundant_pic_cnt_present_flag
    return nal_unit(kNalPps, std::move(w).rbsp());
  }();
  return nal;
}

// A slice header's first fields over the random bytes at b[at]: first_mb_in_slice 0, slice_type 7
// (I) or 5 (P), pic_parameter_set_id 0, so that a parser finds the PPS the slice refers to.
void slice_header_start(Bytes& b, std::size_t at, bool idr) {
  if (b.size() < at + 2) b.resize(at + 2);
  if (idr) {  // 1 0001000 1
    b[at] = 0x88;
    b[at + 1] = static_cast<std::uint8_t>(0x80 | (b[at + 1] & 0x7f));
  } else {  // 1 00110 1
    b[at] = static_cast<std::uint8_t>(0x9a | (b[at] & 0x01));
  }
}

// SPS and PPS aggregated, as the packetizer sends them ahead of an IDR slice too big to join them;
// a keyframe of one packet has its IDR slice (the rest of `filler`) in the STAP-A as well.
Bytes parameter_sets(bool with_idr, Bytes filler) {
  Bytes b{static_cast<std::uint8_t>(kNri3 | kStapA)};
  auto add = [&b](ByteView nal) {
    put16(b, static_cast<std::uint16_t>(nal.size()));
    append(b, nal);
  };
  add(sps());
  add(pps());
  if (with_idr) {
    filler.resize(std::max<std::size_t>(2, filler.size() > b.size() + 2 ? filler.size() - b.size() - 2 : 0));
    filler[0] = static_cast<std::uint8_t>(kNri3 | kNalIdr);
    slice_header_start(filler, 1, true);
    add(filler);
  }
  return b;
}

// Packets [first, count) of the frame carry its one slice: a single NAL unit packet when it fits
// one (an FU-A may not both start and end), else FU-A fragments, S on the first, E on the last.
Bytes h264_payload(const FramePacket& p, Bytes b) {
  if (p.keyframe && p.index == 0) return parameter_sets(p.count == 1, std::move(b));
  const std::uint8_t type = p.keyframe ? kNalIdr : kNalSlice;
  const std::size_t first = p.keyframe ? 1 : 0;
  if (p.count - first == 1) {
    b.resize(std::max<std::size_t>(b.size(), 1));
    b[0] = static_cast<std::uint8_t>(kNri3 | type);
    slice_header_start(b, 1, p.keyframe);
    return b;
  }
  b.resize(std::max<std::size_t>(b.size(), 2));
  b[0] = static_cast<std::uint8_t>(kNri3 | kFuA);
  b[1] = static_cast<std::uint8_t>((p.index == first ? 0x80 : 0) | (p.index + 1 == p.count ? 0x40 : 0) | type);
  if (p.index == first) slice_header_start(b, 2, p.keyframe);
  return b;
}

bool h264_begins_keyframe(ByteView p) {
  if (p.empty()) return false;
  switch (p[0] & 0x1f) {
    case kNalIdr: return true;
    case kFuA: return p.size() >= 2 && (p[1] & 0x80) != 0 && (p[1] & 0x1f) == kNalIdr;
    case kStapA:
      for (std::size_t at = 1; at + 2 < p.size(); at += 2 + get16(p, at))
        if ((p[at + 2] & 0x1f) == kNalIdr) return true;
      return false;
    default: return false;
  }
}

}  // namespace

std::optional<VideoCodec> video_codec_of_pt(std::uint8_t pt) {
  if (pt == kPtVp8) return VideoCodec::kVp8;
  if (pt == kPtH264) return VideoCodec::kH264;
  return std::nullopt;
}

std::string_view codec_name(VideoCodec c) { return c == VideoCodec::kVp8 ? "vp8" : "h264"; }

Bytes video_payload(VideoCodec codec, const FramePacket& p, Bytes filler) {
  return codec == VideoCodec::kVp8 ? vp8_payload(p, std::move(filler)) : h264_payload(p, std::move(filler));
}

bool begins_keyframe(VideoCodec codec, ByteView payload) {
  return codec == VideoCodec::kVp8 ? vp8_begins_keyframe(payload) : h264_begins_keyframe(payload);
}

}  // namespace wcsgen
