#include "anomaly/anomaly_engine.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "anomaly/anomaly_kind.h"
#include "config/config.h"
#include "packet_builder.h"

namespace wcstap {
namespace {

constexpr Nanos kSec = 1'000'000'000;
constexpr Nanos kT0 = 1'767'225'600 * kSec;

class Collector : public EventSink {
 public:
  void emit(const Event& ev) override { events.push_back(std::get<AnomalyEvent>(ev)); }
  std::vector<AnomalyEvent> events;
};

struct AnomalyEngineTest : testing::Test {
  AnomalyEngineTest() : cfg(default_config().anomalies), engine(cfg, sink) {
    subject.src = test::endpoint("10.0.0.1", 5004);
    subject.dst = test::endpoint("10.0.0.2", 31002);
    subject.has_ssrc = true;
    subject.ssrc = 0x1a2b3c4d;
  }

  void hold(Nanos now) {
    engine.hold(slot, AnomalyKind::one_way_media, subject, kT0, now, 1.5, 3.0, [&](char* buf, size_t n) {
      ++detail_calls;
      std::snprintf(buf, n, "held");
    });
  }
  void clear(Nanos now) { engine.clear(slot, AnomalyKind::one_way_media, subject, now, 0, 3.0, "came back"); }

  AnomalyConfig cfg;
  Collector sink;
  AnomalyEngine engine;
  AnomalySubject subject;
  AnomalySlot slot;
  int detail_calls = 0;
};

TEST_F(AnomalyEngineTest, HoldRaisesOnce) {
  hold(kT0 + 3 * kSec);
  hold(kT0 + 4 * kSec);
  hold(kT0 + 5 * kSec);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].state, AnomalyState::Raised);
  EXPECT_TRUE(slot.open);
  EXPECT_EQ(detail_calls, 1);  // text is written only for events that go out
}

TEST_F(AnomalyEngineTest, RaisedEventCarriesSubjectAndValues) {
  hold(kT0 + 3 * kSec);
  ASSERT_EQ(sink.events.size(), 1u);
  const AnomalyEvent& e = sink.events[0];
  EXPECT_EQ(e.kind, AnomalyKind::one_way_media);
  EXPECT_EQ(e.l4, L4::Udp);
  EXPECT_EQ(e.src, subject.src);
  EXPECT_EQ(e.dst, subject.dst);
  EXPECT_TRUE(e.has_ssrc);
  EXPECT_EQ(e.ssrc, 0x1a2b3c4du);
  EXPECT_EQ(e.first_ts, kT0);
  EXPECT_EQ(e.ts, kT0 + 3 * kSec);
  EXPECT_EQ(e.value, 1.5);
  EXPECT_EQ(e.threshold, 3.0);
  EXPECT_STREQ(e.detail, "held");
}

TEST_F(AnomalyEngineTest, RefreshesOnlyAfterRefreshInterval) {
  ASSERT_EQ(cfg.refresh_interval_s, 10.0);
  hold(kT0 + 3 * kSec);
  hold(kT0 + 12 * kSec);
  hold(kT0 + 13 * kSec - 1);
  ASSERT_EQ(sink.events.size(), 1u);
  hold(kT0 + 13 * kSec);
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[1].state, AnomalyState::Refreshed);
  EXPECT_EQ(sink.events[1].first_ts, kT0);
  EXPECT_EQ(sink.events[1].ts, kT0 + 13 * kSec);
  hold(kT0 + 22 * kSec);
  EXPECT_EQ(sink.events.size(), 2u);
  hold(kT0 + 23 * kSec);
  EXPECT_EQ(sink.events.size(), 3u);
  EXPECT_EQ(sink.events[2].state, AnomalyState::Refreshed);
}

TEST_F(AnomalyEngineTest, RefreshIntervalFromConfig) {
  cfg.refresh_interval_s = 2.5;
  AnomalyEngine fast(cfg, sink);
  for (Nanos t = 3; t <= 9; ++t)
    fast.hold(slot, AnomalyKind::one_way_media, subject, kT0, kT0 + t * kSec, 0, 0, [](char*, size_t) {});
  ASSERT_EQ(sink.events.size(), 3u);  // raised at 3, refreshed at 6 and 9
  EXPECT_EQ(sink.events[1].ts, kT0 + 6 * kSec);
  EXPECT_EQ(sink.events[2].ts, kT0 + 9 * kSec);
}

TEST_F(AnomalyEngineTest, ClearResolvesOpenAnomalyOnce) {
  hold(kT0 + 3 * kSec);
  clear(kT0 + 7 * kSec);
  clear(kT0 + 8 * kSec);
  ASSERT_EQ(sink.events.size(), 2u);
  const AnomalyEvent& e = sink.events[1];
  EXPECT_EQ(e.state, AnomalyState::Resolved);
  EXPECT_EQ(e.first_ts, kT0);
  EXPECT_EQ(e.ts, kT0 + 7 * kSec);
  EXPECT_EQ(e.src, subject.src);
  EXPECT_EQ(e.ssrc, subject.ssrc);
  EXPECT_STREQ(e.detail, "came back");
  EXPECT_FALSE(slot.open);
}

TEST_F(AnomalyEngineTest, ClearWithoutOpenAnomalyEmitsNothing) {
  clear(kT0 + 7 * kSec);
  EXPECT_TRUE(sink.events.empty());
}

TEST_F(AnomalyEngineTest, HoldAfterClearRaisesAgain) {
  hold(kT0 + 3 * kSec);
  clear(kT0 + 4 * kSec);
  hold(kT0 + 5 * kSec);
  ASSERT_EQ(sink.events.size(), 3u);
  EXPECT_EQ(sink.events[2].state, AnomalyState::Raised);
  EXPECT_EQ(sink.events[2].first_ts, kT0);
  EXPECT_TRUE(slot.open);
}

TEST_F(AnomalyEngineTest, DisabledKindEmitsNothing) {
  cfg[AnomalyKind::one_way_media].enabled = false;
  EXPECT_FALSE(engine.enabled(AnomalyKind::one_way_media));
  hold(kT0 + 3 * kSec);
  hold(kT0 + 30 * kSec);
  EXPECT_TRUE(sink.events.empty());
  EXPECT_FALSE(slot.open);
  EXPECT_EQ(detail_calls, 0);
}

TEST_F(AnomalyEngineTest, SeverityComesFromConfig) {
  EXPECT_EQ(cfg[AnomalyKind::one_way_media].severity, Severity::Critical);
  cfg[AnomalyKind::one_way_media].severity = Severity::Minor;
  hold(kT0 + 3 * kSec);
  clear(kT0 + 4 * kSec);
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[0].severity, Severity::Minor);
  EXPECT_EQ(sink.events[1].severity, Severity::Minor);
}

TEST_F(AnomalyEngineTest, DefaultSeverityPerKind) {
  engine.hold(slot, AnomalyKind::high_jitter, subject, kT0, kT0, 0, 0, [](char*, size_t) {});
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].kind, AnomalyKind::high_jitter);
  EXPECT_EQ(sink.events[0].severity, Severity::Minor);
}

// ---- the catalogue -----------------------------------------------------------------------------

TEST(AnomalyKind, NamesRoundTrip) {
  for (unsigned i = 0; i < kAnomalyKindCount; ++i) {
    auto k = static_cast<AnomalyKind>(i);
    auto back = anomaly_kind_from_name(anomaly_kind_name(k));
    ASSERT_TRUE(back.has_value()) << anomaly_kind_name(k);
    EXPECT_EQ(*back, k);
  }
  EXPECT_FALSE(anomaly_kind_from_name("one_way_video").has_value());
  EXPECT_EQ(anomaly_kind_name(AnomalyKind::Count), "unknown");
}

TEST(AnomalyKind, CatalogueOrderIsTheWireContract) {
  EXPECT_EQ(anomaly_kind_name(static_cast<AnomalyKind>(0)), "ice_no_response");
  EXPECT_EQ(anomaly_kind_name(static_cast<AnomalyKind>(1)), "one_way_media");
  EXPECT_EQ(anomaly_kind_name(static_cast<AnomalyKind>(9)), "tap_overload");
  EXPECT_EQ(anomaly_kind_name(static_cast<AnomalyKind>(29)), "unexpected_media_port");
}

TEST(AnomalyKind, DefaultSeveritiesFromAnomaliesMd) {
  EXPECT_EQ(default_severity(AnomalyKind::one_way_media), Severity::Critical);
  EXPECT_EQ(default_severity(AnomalyKind::media_stall), Severity::Major);
  EXPECT_EQ(default_severity(AnomalyKind::high_jitter), Severity::Minor);
  EXPECT_EQ(default_severity(AnomalyKind::tap_overload), Severity::Critical);
}

TEST(AnomalyKind, StateAndSeverityNames) {
  EXPECT_EQ(anomaly_state_name(AnomalyState::Raised), "raised");
  EXPECT_EQ(anomaly_state_name(AnomalyState::Refreshed), "refreshed");
  EXPECT_EQ(anomaly_state_name(AnomalyState::Resolved), "resolved");
  EXPECT_EQ(severity_name(Severity::Info), "info");
  EXPECT_EQ(severity_name(Severity::Minor), "minor");
  EXPECT_EQ(severity_name(Severity::Major), "major");
  EXPECT_EQ(severity_name(Severity::Critical), "critical");
  EXPECT_EQ(severity_from_name("major"), Severity::Major);
  EXPECT_FALSE(severity_from_name("urgent").has_value());
}

}  // namespace
}  // namespace wcstap
