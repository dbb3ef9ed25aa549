// Listening quality of an audio stream from ITU-T G.107's E-model, narrowband scale (R 0-100,
// MOS 1-4.5), as a passive tap can apply it: codec impairment (Ie, Bpl) from the payload type,
// packet loss as random (BurstR 1), and a delay made of the jitter buffer a receiver would need
// (twice the RFC 3550 jitter), one packet time, and half the RTCP round trip where it is known.
// Echo, noise and loudness stay at G.107's defaults (R0 - Is = 93.2).
#pragma once

#include <cstdint>

#include "event.h"

namespace wcstap {

// Codecs by payload type (VoiceCodec, event.h). Opus (a dynamic type at 48 kHz) has no narrowband
// Ie in G.113: it is taken as transparent (Ie 0) with G.711-with-PLC's loss robustness, which is
// conservative for Opus at WebRTC's bitrates. Other dynamic audio types are Unknown, same values.

// The codec of an audio stream with that payload type and clock; None for what is not speech
// (video, comfort noise, telephone events, a stream without a clock).
VoiceCodec voice_codec(uint8_t pt, uint32_t clock_rate);

struct EModelInput {
  double loss_pct = 0;          // packets lost, % of expected
  double jitter_ms = 0;         // RFC 3550 interarrival jitter
  double packet_ms = 20;        // packetisation (the mean gap between packets)
  double network_delay_ms = 0;  // one way: half the RTCP round-trip time, 0 when unknown
};

struct EModelResult {
  double r = 0;
  double mos = 0;
  double delay_ms = 0;  // the mouth-to-ear delay the model used
};

EModelResult emodel(VoiceCodec codec, const EModelInput& in);
double mos_from_r(double r);  // G.107 Annex B

}  // namespace wcstap
