#include "media/keyframe.h"

namespace wcstap {

namespace {

// VP8 payload descriptor, then the frame tag of the frame's first partition: bit 0 is 0 on a key
// frame, which then carries the start code 9d 01 2a.
bool vp8_keyframe(Bytes p) {
  if (p.empty()) return false;
  const uint8_t b0 = p[0];
  if (!(b0 & 0x10) || (b0 & 0x0f) != 0) return false;  // S: start of a partition; PartID 0
  size_t pos = 1;
  if (b0 & 0x80) {  // X: extension byte
    if (!has(p, pos, 1)) return false;
    const uint8_t x = p[pos++];
    if (x & 0x80) {  // I: picture id, 7 or 15 bits (M)
      if (!has(p, pos, 1)) return false;
      pos += (p[pos] & 0x80) ? 2 : 1;
    }
    if (x & 0x40) ++pos;           // L: TL0PICIDX
    if (x & 0x30) ++pos;           // T or K: TID/Y/KEYIDX
  }
  if (!has(p, pos, 6)) return false;
  return (p[pos] & 0x01) == 0 && p[pos + 3] == 0x9d && p[pos + 4] == 0x01 && p[pos + 5] == 0x2a;
}

// VP9 payload descriptor (RFC 9628): I P L F B E V Z. A frame's first packet (B) that is not
// inter-picture predicted (P clear), on the base spatial layer when layers are signalled.
bool vp9_keyframe(Bytes p) {
  if (p.empty()) return false;
  const uint8_t b0 = p[0];
  if (!(b0 & 0x08) || (b0 & 0x40)) return false;  // B set, P clear
  if (!(b0 & 0x20)) return true;                  // no layer indices
  size_t pos = 1;
  if (b0 & 0x80) {  // I: picture id, 7 or 15 bits
    if (!has(p, pos, 1)) return false;
    pos += (p[pos] & 0x80) ? 2 : 1;
  }
  if (!has(p, pos, 1)) return false;
  return ((p[pos] >> 1) & 0x07) == 0;  // SID 0
}

// NAL unit types of the units a packet carries, handed to `each` (single NAL, STAP-A, FU-A start).
template <class Each>
void h264_units(Bytes p, Each&& each) {
  if (p.empty()) return;
  const uint8_t type = p[0] & 0x1f;
  if (type >= 1 && type <= 23) {
    each(type);
  } else if (type == 24) {  // STAP-A: 16-bit sizes, each a NAL unit
    for (size_t pos = 1; has(p, pos, 3);) {
      const size_t n = be16(&p[pos]);
      if (n == 0 || !has(p, pos + 2, n)) break;
      each(static_cast<uint8_t>(p[pos + 2] & 0x1f));
      pos += 2 + n;
    }
  } else if (type == 28 && p.size() >= 2 && (p[1] & 0x80)) {  // FU-A, its first fragment
    each(static_cast<uint8_t>(p[1] & 0x1f));
  }
}

}  // namespace

bool starts_keyframe(VideoCodec codec, Bytes payload) {
  switch (codec) {
    case VideoCodec::Vp8: return vp8_keyframe(payload);
    case VideoCodec::Vp9: return vp9_keyframe(payload);
    case VideoCodec::H264: {
      bool idr = false;
      h264_units(payload, [&](uint8_t t) { idr |= t == 5; });
      return idr;
    }
    case VideoCodec::None: break;
  }
  return false;
}

bool h264_has_parameter_sets(Bytes payload) {
  bool ps = false;
  h264_units(payload, [&](uint8_t t) { ps |= t == 7 || t == 8; });
  return ps;
}

}  // namespace wcstap
