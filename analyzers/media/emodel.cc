#include "media/emodel.h"

#include <algorithm>

namespace wcstap {

namespace {

struct CodecImpairment {
  double ie;   // equipment impairment factor
  double bpl;  // packet-loss robustness factor
};

// ITU-T G.113 Appendix I values (with packet loss concealment where it lists both).
CodecImpairment impairment(VoiceCodec c) {
  switch (c) {
    case VoiceCodec::G729: return {11, 19.0};
    case VoiceCodec::G723: return {15, 16.1};
    case VoiceCodec::G711:
    case VoiceCodec::G722:  // Ie,wb 14 at 64 kbit/s is Ie -1 narrowband: no worse than G.711
    case VoiceCodec::Opus:
    case VoiceCodec::Unknown:
    case VoiceCodec::None:
      break;
  }
  return {0, 25.1};
}

}  // namespace

const char* voice_codec_name(VoiceCodec c) {
  switch (c) {
    case VoiceCodec::None: return "";
    case VoiceCodec::G711: return "g711";
    case VoiceCodec::G722: return "g722";
    case VoiceCodec::G729: return "g729";
    case VoiceCodec::G723: return "g723";
    case VoiceCodec::Opus: return "opus";
    case VoiceCodec::Unknown: return "unknown";
  }
  return "";
}

VoiceCodec voice_codec(uint8_t pt, uint32_t clock_rate) {
  switch (pt) {
    case 0: case 8: return VoiceCodec::G711;
    case 9: return VoiceCodec::G722;
    case 18: return VoiceCodec::G729;
    case 4: return VoiceCodec::G723;
    default: break;
  }
  if (pt < 96 || clock_rate == 0 || clock_rate == 90000) return VoiceCodec::None;
  return clock_rate == 48000 ? VoiceCodec::Opus : VoiceCodec::Unknown;
}

double mos_from_r(double r) {
  if (r <= 0) return 1.0;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

EModelResult emodel(VoiceCodec codec, const EModelInput& in) {
  const CodecImpairment ci = impairment(codec);
  const double ppl = std::clamp(in.loss_pct, 0.0, 100.0);
  // Ie,eff (G.107 eq. 7-29) with BurstR 1: loss taken as random.
  const double ie_eff = ci.ie + (95 - ci.ie) * ppl / (ppl + ci.bpl);
  // Mouth-to-ear delay and its impairment: G.107's Id with default echo and sidetone reduces,
  // for these delays, to the well-known fit 0.024 Ta + 0.11 (Ta - 177.3) above 177.3 ms.
  const double ta = std::max(0.0, in.network_delay_ms) + 2 * std::max(0.0, in.jitter_ms) + std::max(0.0, in.packet_ms);
  const double id = 0.024 * ta + (ta > 177.3 ? 0.11 * (ta - 177.3) : 0.0);
  EModelResult out;
  out.r = std::clamp(93.2 - id - ie_eff, 0.0, 100.0);
  out.mos = mos_from_r(out.r);
  out.delay_ms = ta;
  return out;
}

}  // namespace wcstap
