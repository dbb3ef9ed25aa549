// The E-model as wcstap applies it (ITU-T G.107, narrowband), against figures worked by hand.
#include "media/emodel.h"

#include <gtest/gtest.h>

namespace wcstap {
namespace {

TEST(EModel, MosFromRFollowsAnnexB) {
  EXPECT_DOUBLE_EQ(mos_from_r(0), 1.0);
  EXPECT_DOUBLE_EQ(mos_from_r(-5), 1.0);
  EXPECT_DOUBLE_EQ(mos_from_r(100), 4.5);
  // 1 + 0.035 R + R (R - 60)(100 - R) 7e-6
  EXPECT_NEAR(mos_from_r(93.2), 1 + 0.035 * 93.2 + 93.2 * 33.2 * 6.8 * 7e-6, 1e-12);
  EXPECT_NEAR(mos_from_r(50), 2.58, 0.01);
  EXPECT_NEAR(mos_from_r(80), 4.02, 0.01);
}

TEST(EModel, CleanG711IsNearTheTopOfTheScale) {
  EModelInput in;  // no loss, no jitter, 20 ms packets: Ta 20 ms, Id 0.48
  const EModelResult q = emodel(VoiceCodec::G711, in);
  EXPECT_NEAR(q.delay_ms, 20, 1e-9);
  EXPECT_NEAR(q.r, 93.2 - 0.48, 1e-9);
  EXPECT_NEAR(q.mos, 4.40, 0.01);
}

TEST(EModel, LossImpairsThroughTheCodecsRobustness) {
  EModelInput in;
  in.loss_pct = 5;
  // G.711 with PLC: Ie,eff = 95 * 5 / (5 + 25.1) = 15.78
  EXPECT_NEAR(emodel(VoiceCodec::G711, in).r, 93.2 - 0.48 - 95.0 * 5 / 30.1, 1e-9);
  // G.729: Ie 11, Bpl 19: Ie,eff = 11 + 84 * 5 / 24
  EXPECT_NEAR(emodel(VoiceCodec::G729, in).r, 93.2 - 0.48 - (11 + 84.0 * 5 / 24), 1e-9);
  EXPECT_LT(emodel(VoiceCodec::G729, in).mos, emodel(VoiceCodec::G711, in).mos);
}

TEST(EModel, DelayBeyondTheKneeCostsMore) {
  EModelInput in;
  in.packet_ms = 20;
  in.jitter_ms = 40;           // a jitter buffer of 80 ms
  in.network_delay_ms = 150;   // half a 300 ms round trip: Ta 250 ms
  const EModelResult q = emodel(VoiceCodec::G711, in);
  EXPECT_NEAR(q.delay_ms, 250, 1e-9);
  EXPECT_NEAR(q.r, 93.2 - (0.024 * 250 + 0.11 * (250 - 177.3)), 1e-9);
}

TEST(EModel, AllLostIsTheBottom) {
  EModelInput in;
  in.loss_pct = 100;
  EXPECT_LT(emodel(VoiceCodec::G711, in).mos, 1.5);
  in.loss_pct = 250;  // nonsense in, clamped
  EXPECT_GE(emodel(VoiceCodec::G711, in).r, 0);
}

TEST(EModel, CodecsByPayloadTypeAndClock) {
  EXPECT_EQ(voice_codec(0, 8000), VoiceCodec::G711);
  EXPECT_EQ(voice_codec(8, 8000), VoiceCodec::G711);
  EXPECT_EQ(voice_codec(9, 8000), VoiceCodec::G722);
  EXPECT_EQ(voice_codec(18, 8000), VoiceCodec::G729);
  EXPECT_EQ(voice_codec(111, 48000), VoiceCodec::Opus);
  EXPECT_EQ(voice_codec(99, 16000), VoiceCodec::Unknown);
  EXPECT_EQ(voice_codec(96, 90000), VoiceCodec::None);   // video
  EXPECT_EQ(voice_codec(101, 0), VoiceCodec::None);      // no clock: telephone-event, unknown
  EXPECT_EQ(voice_codec(13, 8000), VoiceCodec::None);    // comfort noise
  EXPECT_EQ(voice_codec(34, 90000), VoiceCodec::None);   // H.263
  EXPECT_STREQ(voice_codec_name(VoiceCodec::Opus), "opus");
  EXPECT_STREQ(voice_codec_name(VoiceCodec::None), "");
}

}  // namespace
}  // namespace wcstap
