#include "config/config.h"

#include <gtest/gtest.h>

#include <string>

namespace wcstap {
namespace {

// The message of the ConfigError that `yaml` raises; a test failure if it loads.
std::string config_error(const std::string& yaml) {
  try {
    load_config_string(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << yaml;
  return {};
}

testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

testing::AssertionResult StartsWith(const std::string& text, const std::string& head) {
  if (text.rfind(head, 0) == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "'" << text << "' does not start with '" << head << "'";
}

// ---- defaults ----------------------------------------------------------------------------------

TEST(Config, DefaultPortMapMatchesWcsMd) {
  const WcsConfig wcs = default_config().wcs;
  EXPECT_EQ(wcs.class_of_port(8080), FlowClass::Websocket);
  EXPECT_EQ(wcs.class_of_port(8443), FlowClass::Websocket);
  EXPECT_EQ(wcs.class_of_port(8081), FlowClass::Http);
  EXPECT_EQ(wcs.class_of_port(8444), FlowClass::Tls);
  EXPECT_EQ(wcs.class_of_port(8082), FlowClass::Hls);
  EXPECT_EQ(wcs.class_of_port(8445), FlowClass::Tls);
  EXPECT_EQ(wcs.class_of_port(1935), FlowClass::Rtmp);
  EXPECT_EQ(wcs.class_of_port(554), FlowClass::Rtsp);
  EXPECT_EQ(wcs.class_of_port(5060), FlowClass::Sip);
  EXPECT_EQ(wcs.class_of_port(3478), FlowClass::Stun);
  EXPECT_EQ(wcs.class_of_port(5349), FlowClass::Stun);
  EXPECT_EQ(wcs.class_of_port(53), FlowClass::Dns);
  EXPECT_EQ(wcs.class_of_port(8084), FlowClass::Websocket);
  EXPECT_EQ(wcs.class_of_port(31002), FlowClass::Unknown);
  EXPECT_EQ(wcs.class_of_port(80), FlowClass::Unknown);
}

TEST(Config, DefaultMediaPortRange) {
  const WcsConfig wcs = default_config().wcs;
  EXPECT_EQ(wcs.media_ports.from, 31001);
  EXPECT_EQ(wcs.media_ports.to, 32000);
  EXPECT_FALSE(wcs.media_ports.contains(31000));
  EXPECT_TRUE(wcs.media_ports.contains(31001));
  EXPECT_TRUE(wcs.media_ports.contains(32000));
  EXPECT_FALSE(wcs.media_ports.contains(32001));
}

TEST(Config, DefaultOneWayMediaThresholds) {
  const Config c = default_config();
  EXPECT_EQ(c.anomalies.one_way_media.min_duration_s, 3.0);
  EXPECT_EQ(c.anomalies.one_way_media.min_packets, 50u);
  EXPECT_EQ(c.anomalies.one_way_media.rtcp_interval_s, 7.5);
  EXPECT_EQ(c.anomalies.refresh_interval_s, 10.0);
  EXPECT_TRUE(c.anomalies[AnomalyKind::one_way_media].enabled);
  EXPECT_EQ(c.anomalies[AnomalyKind::one_way_media].severity, Severity::Critical);
}

TEST(Config, EveryKindEnabledWithItsDefaultSeverity) {
  const Config c = default_config();
  for (unsigned i = 0; i < kAnomalyKindCount; ++i) {
    auto k = static_cast<AnomalyKind>(i);
    EXPECT_TRUE(c.anomalies[k].enabled) << anomaly_kind_name(k);
    EXPECT_EQ(c.anomalies[k].severity, default_severity(k)) << anomaly_kind_name(k);
  }
}

TEST(Config, EmptyDocumentGivesDefaults) {
  Config c = load_config_string("", "empty.yaml");
  EXPECT_EQ(c.source_file, "empty.yaml");
  EXPECT_EQ(c.tap_id, "wcstap");
  EXPECT_EQ(c.flows.capacity, default_config().flows.capacity);
  EXPECT_EQ(c.wcs.port_map.size(), default_config().wcs.port_map.size());
}

TEST(Config, EmptySectionsKeepDefaults) {
  Config c = load_config_string("wcs:\nanomalies:\n  one_way_media:\nflows:\n", "test.yaml");
  EXPECT_EQ(c.wcs.class_of_port(8080), FlowClass::Websocket);
  EXPECT_EQ(c.anomalies.one_way_media.min_packets, 50u);
  EXPECT_TRUE(c.anomalies[AnomalyKind::one_way_media].enabled);
}

// ---- accepted values ---------------------------------------------------------------------------

TEST(Config, PortRangeAccepted) {
  Config c = load_config_string("wcs:\n  media_ports: 32000-32999\n", "test.yaml");
  EXPECT_EQ(c.wcs.media_ports.from, 32000);
  EXPECT_EQ(c.wcs.media_ports.to, 32999);
}

TEST(Config, PortMapEntryTakesRangesAndLists) {
  Config c = load_config_string("wcs:\n  ports:\n    sip: \"5060-5070\"\n    turn: [3478, 13478]\n", "test.yaml");
  EXPECT_EQ(c.wcs.class_of_port(5065), FlowClass::Sip);
  EXPECT_EQ(c.wcs.class_of_port(5071), FlowClass::Unknown);
  EXPECT_EQ(c.wcs.class_of_port(13478), FlowClass::Stun);
  EXPECT_EQ(c.wcs.class_of_port(5349), FlowClass::Unknown);  // the list replaced the default
  EXPECT_EQ(c.wcs.class_of_port(8443), FlowClass::Websocket);  // untouched entries keep theirs
}

TEST(Config, PortMapOverrideMovesTheService) {
  Config c = load_config_string("wcs:\n  ports:\n    ws: 9080\n", "test.yaml");
  EXPECT_EQ(c.wcs.class_of_port(9080), FlowClass::Websocket);
  EXPECT_EQ(c.wcs.class_of_port(8080), FlowClass::Unknown);
}

TEST(Config, DisablingAKind) {
  Config c = load_config_string("anomalies:\n  one_way_media:\n    enabled: false\n", "test.yaml");
  EXPECT_FALSE(c.anomalies[AnomalyKind::one_way_media].enabled);
  EXPECT_TRUE(c.anomalies[AnomalyKind::media_stall].enabled);
  EXPECT_EQ(c.anomalies[AnomalyKind::one_way_media].severity, Severity::Critical);
}

TEST(Config, SeverityOverride) {
  Config c = load_config_string("anomalies:\n  media_stall:\n    severity: critical\n", "test.yaml");
  EXPECT_EQ(c.anomalies[AnomalyKind::media_stall].severity, Severity::Critical);
}

TEST(Config, OneWayMediaThresholdsLoaded) {
  Config c = load_config_string(
      "anomalies:\n  refresh_interval_s: 30\n  one_way_media:\n    min_duration_s: 5.5\n    min_packets: 100\n"
      "    rtcp_interval_s: 12\n",
      "test.yaml");
  EXPECT_EQ(c.anomalies.refresh_interval_s, 30.0);
  EXPECT_EQ(c.anomalies.one_way_media.min_duration_s, 5.5);
  EXPECT_EQ(c.anomalies.one_way_media.min_packets, 100u);
  EXPECT_EQ(c.anomalies.one_way_media.rtcp_interval_s, 12.0);
}

TEST(Config, ZmqEndpointsLoaded) {
  Config c = load_config_string(
      "zmq:\n  publish: ipc:///run/wcstap.sock\n  subscribe:\n    - tcp://10.0.0.5:7755\n    - tcp://10.0.0.6:7755\n",
      "test.yaml");
  EXPECT_EQ(c.zmq.publish, "ipc:///run/wcstap.sock");
  ASSERT_EQ(c.zmq.subscribe.size(), 2u);
  EXPECT_EQ(c.zmq.subscribe[1], "tcp://10.0.0.6:7755");
}

// ---- errors: file, key path, problem -----------------------------------------------------------

TEST(Config, UnknownTopLevelKey) {
  std::string e = config_error("tap_id: a\nflow:\n  capacity: 100\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: flow (line 2): unknown key"));
  EXPECT_TRUE(Contains(e, "flows"));  // the known keys are listed
}

TEST(Config, UnknownNestedKey) {
  std::string e = config_error("flows:\n  capacity: 100\n  idle: 5\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: flows.idle (line 3): unknown key"));
}

TEST(Config, UnknownKeyUnderAKind) {
  std::string e = config_error("anomalies:\n  one_way_media:\n    min_packet: 5\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: anomalies.one_way_media.min_packet (line 3): unknown key"));
  EXPECT_TRUE(Contains(e, "min_packets"));
}

TEST(Config, ThresholdOfAnotherKindIsUnknownKey) {
  std::string e = config_error("anomalies:\n  media_stall:\n    min_packets: 5\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: anomalies.media_stall.min_packets (line 3): unknown key"));
}

TEST(Config, SdesKeysIsTheConfigsOnly) {
  const Config c = load_config_string("srtp:\n  sdes_keys: 16\n", "test.yaml");
  EXPECT_EQ(c.srtp.sdes_keys, 16u);
  EXPECT_TRUE(StartsWith(config_error("srtp:\n  sdes_keys: -1\n"), "test.yaml: srtp.sdes_keys (line 2)"));
  SrtpConfig keys;
  EXPECT_THROW(load_srtp_keys_string("srtp:\n  sdes_keys: 16\n", "k.yaml", keys), ConfigError);  // a key file's
}

TEST(Config, WrongTypeNotANumber) {
  std::string e = config_error("flows:\n  capacity: lots\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: flows.capacity (line 2): "));
  EXPECT_TRUE(Contains(e, "expected a whole number, got 'lots'"));
}

TEST(Config, WrongTypeFractionForWholeNumber) {
  std::string e = config_error("anomalies:\n  one_way_media:\n    min_packets: 2.5\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: anomalies.one_way_media.min_packets (line 3): "));
  EXPECT_TRUE(Contains(e, "expected a whole number"));
}

TEST(Config, WrongTypeMappingForAValue) {
  std::string e = config_error("flows:\n  udp_idle_timeout_s: {a: 1}\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: flows.udp_idle_timeout_s (line 2): expected a single value"));
}

TEST(Config, WrongTypeBoolean) {
  std::string e = config_error("anomalies:\n  one_way_media:\n    enabled: maybe\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: anomalies.one_way_media.enabled (line 3): expected true or false"));
}

TEST(Config, WrongTypeSectionNotAMapping) {
  std::string e = config_error("flows: 5\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: flows (line 1): expected a mapping"));
}

TEST(Config, OutOfRangeWholeNumber) {
  std::string e = config_error("anomalies:\n  one_way_media:\n    min_packets: 0\n");
  EXPECT_EQ(e, "test.yaml: anomalies.one_way_media.min_packets (line 3): must be between 1 and 1000000, got 0");
}

TEST(Config, OutOfRangeNumber) {
  std::string e = config_error("anomalies:\n  refresh_interval_s: 0.01\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: anomalies.refresh_interval_s (line 2): must be between 0.1 and 3600"));
}

TEST(Config, NotANumberIsOutOfRange) {
  std::string e = config_error("anomalies:\n  one_way_media:\n    min_duration_s: nan\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: anomalies.one_way_media.min_duration_s (line 3): "));
}

TEST(Config, InfinityIsOutOfRange) {
  std::string e = config_error("flows:\n  udp_idle_timeout_s: inf\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: flows.udp_idle_timeout_s (line 2): must be between"));
}

TEST(Config, NegativeWholeNumberRejected) {
  std::string e = config_error("flows:\n  capacity: -5\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: flows.capacity (line 2): "));
}

TEST(Config, FlowTableOfMillionsWithFewerMediaFlows) {
  Config c = load_config_string("flows:\n  capacity: 4194304\n  media_flows: 65536\n", "test.yaml");
  EXPECT_EQ(c.flows.capacity, 4194304u);
  EXPECT_EQ(c.flows.media_flows, 65536u);
  EXPECT_TRUE(StartsWith(config_error("flows:\n  media_flows: 3\n"), "test.yaml: flows.media_flows (line 2): "));
}

TEST(Config, EventRingMustBePowerOfTwo) {
  std::string e = config_error("dataplane:\n  event_ring_size: 1000\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: dataplane.event_ring_size (line 2): must be a power of two"));
}

TEST(Config, DataplaneModesLoaded) {
  Config c = load_config_string(
      "dataplane:\n  ports: [a, b, c, d]\n  mode: inline\n  workers: 4\n  balance: five_tuple\n"
      "  handoff_ring_size: 1024\n  time_source: tsc\n  mbuf_data_room: 128\n",
      "test.yaml");
  EXPECT_EQ(c.dataplane.mode, DataplaneMode::Inline);
  EXPECT_EQ(c.dataplane.workers, 4);
  EXPECT_EQ(c.dataplane.balance, BalanceBy::FiveTuple);
  EXPECT_EQ(c.dataplane.handoff_ring_size, 1024u);
  EXPECT_EQ(c.dataplane.time_source, TimeSourceChoice::Tsc);
  EXPECT_EQ(c.dataplane.mbuf_data_room, 128);
}

TEST(Config, InlineModeNeedsPortsInPairs) {
  std::string e = config_error("dataplane:\n  ports: [a, b, c]\n  mode: inline\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: dataplane.ports (line 2): in-line mode forwards between pairs")) << e;
  e = config_error("dataplane:\n  mode: inline\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: dataplane.ports: in-line mode")) << e;
}

TEST(Config, DataplaneChoicesNamed) {
  EXPECT_TRUE(StartsWith(config_error("dataplane:\n  mode: tap\n"),
                         "test.yaml: dataplane.mode (line 2): expected mirror or inline, got 'tap'"));
  EXPECT_TRUE(StartsWith(config_error("dataplane:\n  balance: random\n"),
                         "test.yaml: dataplane.balance (line 2): expected host_pair or five_tuple"));
  EXPECT_TRUE(StartsWith(config_error("dataplane:\n  time_source: ntp\n"),
                         "test.yaml: dataplane.time_source (line 2): expected auto, capture or tsc"));
  EXPECT_TRUE(StartsWith(config_error("dataplane:\n  workers: 0\n"), "test.yaml: dataplane.workers (line 2)"));
  EXPECT_TRUE(StartsWith(config_error("dataplane:\n  handoff_ring_size: 1000\n"),
                         "test.yaml: dataplane.handoff_ring_size (line 2): must be a power of two"));
  EXPECT_TRUE(StartsWith(config_error("dataplane:\n  mbuf_data_room: 65535\n"),
                         "test.yaml: dataplane.mbuf_data_room (line 2)"));
}

TEST(Config, BadPortRange) {
  for (const char* bad : {"31001-99999", "abc", "0", "31001-", "-32000", "31001-32000-33000"}) {
    std::string e = config_error(std::string("wcs:\n  media_ports: \"") + bad + "\"\n");
    EXPECT_TRUE(StartsWith(e, "test.yaml: wcs.media_ports (line 2): expected a port 1-65535 or a range"));
    EXPECT_TRUE(Contains(e, bad));
  }
}

TEST(Config, BackwardsPortRange) {
  std::string e = config_error("wcs:\n  media_ports: 32000-31001\n");
  EXPECT_EQ(e, "test.yaml: wcs.media_ports (line 2): range '32000-31001' runs backwards");
}

TEST(Config, BadPortInAListNamesTheIndex) {
  std::string e = config_error("wcs:\n  ports:\n    turn: [3478, x]\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: wcs.ports.turn[1] (line 3): expected a port"));
}

TEST(Config, UnknownPortMapName) {
  std::string e = config_error("wcs:\n  ports:\n    xmpp: 5222\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: wcs.ports.xmpp (line 3): unknown key"));
}

TEST(Config, BadEndpoint) {
  std::string e = config_error("zmq:\n  publish: http://127.0.0.1:7755\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: zmq.publish (line 2): expected a ZeroMQ endpoint"));
  EXPECT_TRUE(Contains(e, "http://127.0.0.1:7755"));
}

TEST(Config, BadEndpointInListNamesTheIndex) {
  std::string e = config_error("zmq:\n  subscribe:\n    - tcp://a:1\n    - udp://b:2\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: zmq.subscribe[1] (line 4): expected a ZeroMQ endpoint"));
}

TEST(Config, BadYamlSyntaxNamesTheLine) {
  std::string e = config_error("tap_id: a\nflows:\n  capacity: 1\n bad: 2\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: line 4: YAML syntax"));
}

TEST(Config, UnknownAnomalyKind) {
  std::string e = config_error("anomalies:\n  one_way_video:\n    enabled: false\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: anomalies.one_way_video (line 2): not an anomaly kind"));
}

TEST(Config, BadSeverity) {
  std::string e = config_error("anomalies:\n  media_stall:\n    severity: urgent\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: anomalies.media_stall.severity (line 3): expected info, minor, major or critical"));
}

TEST(Config, TapIdTooLong) {
  std::string e = config_error("tap_id: " + std::string(65, 'x') + "\n");
  EXPECT_TRUE(StartsWith(e, "test.yaml: tap_id (line 1): must be 1 to 64 characters"));
}

TEST(Config, TopLevelNotAMapping) {
  std::string e = config_error("- a\n- b\n");
  EXPECT_EQ(e, "test.yaml: (top level) (line 1): expected a mapping at the top level");
}

TEST(Config, ErrorCarriesFileAndKey) {
  try {
    load_config_string("anomalies:\n  one_way_media:\n    min_packets: 0\n", "deploy.yaml");
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "deploy.yaml");
    EXPECT_TRUE(StartsWith(e.key(), "anomalies.one_way_media.min_packets"));
  }
}

TEST(Config, MissingFileNamesIt) {
  try {
    load_config("/nonexistent/wcstap.yaml");
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/wcstap.yaml");
    EXPECT_TRUE(Contains(e.what(), "cannot open"));
  }
}

// ---- the shipped default file ------------------------------------------------------------------

// WCSTAP_DEFAULT_CONFIG: the path of configs/wcstap.yaml, from meson.
// configs/wcstap.yaml says every value in it is the default: it must load, and agree with the code.
TEST(Config, ShippedDefaultFileLoadsAndMatchesDefaults) {
  Config file = load_config(WCSTAP_DEFAULT_CONFIG);
  Config def = default_config();
  EXPECT_EQ(file.source_file, WCSTAP_DEFAULT_CONFIG);
  EXPECT_EQ(file.tap_id, def.tap_id);
  ASSERT_EQ(file.wcs.port_map.size(), def.wcs.port_map.size());
  for (size_t i = 0; i < def.wcs.port_map.size(); ++i) {
    EXPECT_EQ(file.wcs.port_map[i].name, def.wcs.port_map[i].name) << i;
    EXPECT_EQ(file.wcs.port_map[i].cls, def.wcs.port_map[i].cls) << i;
    EXPECT_EQ(file.wcs.port_map[i].ports.from, def.wcs.port_map[i].ports.from) << i;
    EXPECT_EQ(file.wcs.port_map[i].ports.to, def.wcs.port_map[i].ports.to) << i;
  }
  EXPECT_EQ(file.wcs.media_ports.from, def.wcs.media_ports.from);
  EXPECT_EQ(file.wcs.media_ports.to, def.wcs.media_ports.to);
  EXPECT_EQ(file.anomalies.refresh_interval_s, def.anomalies.refresh_interval_s);
  for (unsigned i = 0; i < kAnomalyKindCount; ++i) {
    EXPECT_EQ(file.anomalies.kinds[i].enabled, def.anomalies.kinds[i].enabled) << i;
    EXPECT_EQ(file.anomalies.kinds[i].severity, def.anomalies.kinds[i].severity) << i;
  }
  EXPECT_EQ(file.anomalies.one_way_media.min_duration_s, def.anomalies.one_way_media.min_duration_s);
  EXPECT_EQ(file.anomalies.one_way_media.min_packets, def.anomalies.one_way_media.min_packets);
  EXPECT_EQ(file.anomalies.one_way_media.rtcp_interval_s, def.anomalies.one_way_media.rtcp_interval_s);
  const auto& fa = file.anomalies;
  const auto& da = def.anomalies;
  EXPECT_EQ(fa.packet_loss.window_s, da.packet_loss.window_s);
  EXPECT_EQ(fa.packet_loss.major_pct, da.packet_loss.major_pct);
  EXPECT_EQ(fa.packet_loss.critical_pct, da.packet_loss.critical_pct);
  EXPECT_EQ(fa.packet_loss.min_expected, da.packet_loss.min_expected);
  EXPECT_EQ(fa.high_jitter.audio_ms, da.high_jitter.audio_ms);
  EXPECT_EQ(fa.high_jitter.video_ms, da.high_jitter.video_ms);
  EXPECT_EQ(fa.high_jitter.sustain_s, da.high_jitter.sustain_s);
  EXPECT_EQ(fa.high_jitter.clear_s, da.high_jitter.clear_s);
  EXPECT_EQ(fa.media_stall.audio_s, da.media_stall.audio_s);
  EXPECT_EQ(fa.media_stall.video_s, da.media_stall.video_s);
  EXPECT_EQ(fa.feedback.nack_per_s, da.feedback.nack_per_s);
  EXPECT_EQ(fa.feedback.nack_pct, da.feedback.nack_pct);
  EXPECT_EQ(fa.feedback.nack_min, da.feedback.nack_min);
  EXPECT_EQ(fa.feedback.pli_per_2s, da.feedback.pli_per_2s);
  EXPECT_EQ(fa.feedback.pli_sustain_s, da.feedback.pli_sustain_s);
  EXPECT_EQ(fa.bitrate_drop.drop_pct, da.bitrate_drop.drop_pct);
  EXPECT_EQ(fa.bitrate_drop.min_kbps, da.bitrate_drop.min_kbps);
  EXPECT_EQ(fa.bitrate_drop.baseline_s, da.bitrate_drop.baseline_s);
  EXPECT_EQ(fa.ice_no_response.requests, da.ice_no_response.requests);
  EXPECT_EQ(fa.ice_no_response.within_s, da.ice_no_response.within_s);
  EXPECT_EQ(fa.ice_no_response.min_age_s, da.ice_no_response.min_age_s);
  EXPECT_EQ(fa.ice_consent_lost.timeout_s, da.ice_consent_lost.timeout_s);
  EXPECT_EQ(fa.ice_consent_lost.min_unanswered, da.ice_consent_lost.min_unanswered);
  EXPECT_EQ(fa.dtls_incomplete.within_s, da.dtls_incomplete.within_s);
  EXPECT_EQ(fa.dtls_incomplete.client_hellos, da.dtls_incomplete.client_hellos);
  EXPECT_EQ(fa.dtls_incomplete.min_age_s, da.dtls_incomplete.min_age_s);
  EXPECT_EQ(fa.srtp_auth_failure.pct, da.srtp_auth_failure.pct);
  EXPECT_EQ(fa.stun_response_slow.p95_ms, da.stun_response_slow.p95_ms);
  EXPECT_EQ(fa.relay_fallback_surge.pct, da.relay_fallback_surge.pct);
  EXPECT_EQ(fa.relay_fallback_surge.window_s, da.relay_fallback_surge.window_s);
  EXPECT_EQ(fa.relay_fallback_surge.min_sessions, da.relay_fallback_surge.min_sessions);
  EXPECT_EQ(fa.relay_fallback_surge.baseline_sessions, da.relay_fallback_surge.baseline_sessions);
  EXPECT_EQ(fa.relay_fallback_surge.min_pct, da.relay_fallback_surge.min_pct);
  EXPECT_EQ(fa.stun_response_slow.window_s, da.stun_response_slow.window_s);
  EXPECT_EQ(fa.stun_response_slow.min_samples, da.stun_response_slow.min_samples);
  EXPECT_EQ(fa.srtp_auth_failure.window_s, da.srtp_auth_failure.window_s);
  EXPECT_EQ(fa.srtp_auth_failure.min_packets, da.srtp_auth_failure.min_packets);
  EXPECT_EQ(file.flows.capacity, def.flows.capacity);
  EXPECT_EQ(file.flows.media_flows, def.flows.media_flows);
  EXPECT_EQ(file.flows.rtp_streams, def.flows.rtp_streams);
  EXPECT_EQ(file.flows.udp_idle_timeout_s, def.flows.udp_idle_timeout_s);
  EXPECT_EQ(file.flows.tcp_idle_timeout_s, def.flows.tcp_idle_timeout_s);
  EXPECT_EQ(file.dataplane.ports, def.dataplane.ports);
  EXPECT_EQ(file.dataplane.mode, def.dataplane.mode);
  EXPECT_EQ(file.dataplane.workers, def.dataplane.workers);
  EXPECT_EQ(file.dataplane.balance, def.dataplane.balance);
  EXPECT_EQ(file.dataplane.handoff_ring_size, def.dataplane.handoff_ring_size);
  EXPECT_EQ(file.dataplane.time_source, def.dataplane.time_source);
  EXPECT_EQ(file.dataplane.mbufs, def.dataplane.mbufs);
  EXPECT_EQ(file.dataplane.mbuf_data_room, def.dataplane.mbuf_data_room);
  EXPECT_EQ(file.dataplane.rx_descriptors, def.dataplane.rx_descriptors);
  EXPECT_EQ(file.dataplane.event_ring_size, def.dataplane.event_ring_size);
  EXPECT_EQ(file.dataplane.exit_on_pcap_end, def.dataplane.exit_on_pcap_end);
  EXPECT_EQ(file.dataplane.stats_interval_s, def.dataplane.stats_interval_s);
  EXPECT_EQ(file.zmq.publish, def.zmq.publish);
  EXPECT_EQ(file.zmq.wait_for_subscribers_ms, def.zmq.wait_for_subscribers_ms);
  EXPECT_EQ(file.zmq.send_hwm, def.zmq.send_hwm);
  EXPECT_EQ(file.zmq.subscribe, def.zmq.subscribe);
  EXPECT_EQ(file.signalling.connections, def.signalling.connections);
  EXPECT_EQ(file.signalling.window_kb, def.signalling.window_kb);
  EXPECT_EQ(file.signalling.memory_mb, def.signalling.memory_mb);
  EXPECT_EQ(file.signalling.gap_timeout_ms, def.signalling.gap_timeout_ms);
  EXPECT_EQ(file.srtp.sdes_keys, def.srtp.sdes_keys);
  // Every signalling threshold the file sets is the built-in default.
  EXPECT_EQ(fa.ws_connect_failed.syn_timeout_s, da.ws_connect_failed.syn_timeout_s);
  EXPECT_EQ(fa.signalling_no_answer.timeout_s, da.signalling_no_answer.timeout_s);
  EXPECT_EQ(fa.tls_failure.expiry_days, da.tls_failure.expiry_days);
  EXPECT_EQ(fa.sip_failure.timer_b_s, da.sip_failure.timer_b_s);
  EXPECT_EQ(fa.sip_rtp_mismatch.no_rtp_s, da.sip_rtp_mismatch.no_rtp_s);
  EXPECT_EQ(fa.dns_failure.timeout_s, da.dns_failure.timeout_s);
  EXPECT_EQ(fa.dns_failure.slow_ms, da.dns_failure.slow_ms);
  EXPECT_EQ(fa.rest_hook_slow.slow_s, da.rest_hook_slow.slow_s);
  EXPECT_EQ(fa.rest_hook_slow.timeout_s, da.rest_hook_slow.timeout_s);
  EXPECT_EQ(fa.rtsp_failure.no_rtp_s, da.rtsp_failure.no_rtp_s);
  EXPECT_EQ(fa.rtmp_failure.handshake_s, da.rtmp_failure.handshake_s);
  EXPECT_EQ(fa.rtmp_failure.no_media_s, da.rtmp_failure.no_media_s);
  EXPECT_EQ(fa.hls_stall.target_durations, da.hls_stall.target_durations);
}

TEST(Config, SignallingThresholdsLoaded) {
  Config c = load_config_string("anomalies:\n  dns_failure:\n    timeout_s: 3\n    slow_ms: 250\n"
                                "  sip_failure:\n    timer_b_s: 16\n  tls_failure:\n    expiry_days: 30\n",
                                "t.yaml");
  EXPECT_DOUBLE_EQ(c.anomalies.dns_failure.timeout_s, 3);
  EXPECT_DOUBLE_EQ(c.anomalies.dns_failure.slow_ms, 250);
  EXPECT_DOUBLE_EQ(c.anomalies.sip_failure.timer_b_s, 16);
  EXPECT_EQ(c.anomalies.tls_failure.expiry_days, 30u);
}

TEST(Config, DnsSlowMustBeUnderTheTimeout) {
  EXPECT_TRUE(Contains(config_error("anomalies:\n  dns_failure:\n    timeout_s: 0.1\n"),
                       "anomalies.dns_failure.slow_ms"));
}

TEST(Config, SignallingSectionLoaded) {
  Config c = load_config_string("signalling:\n  connections: 1000\n  reassembly:\n    window_kb: 32\n"
                                "    memory_mb: 8\n    gap_timeout_ms: 250\n", "t.yaml");
  EXPECT_EQ(c.signalling.connections, 1000u);
  EXPECT_EQ(c.signalling.window_kb, 32u);
  EXPECT_EQ(c.signalling.memory_mb, 8u);
  EXPECT_EQ(c.signalling.gap_timeout_ms, 250u);
}

TEST(Config, ReassemblyWindowOverItsMemoryIsAnError) {
  EXPECT_TRUE(Contains(config_error("signalling:\n  reassembly:\n    window_kb: 4096\n    memory_mb: 1\n"),
                       "signalling.reassembly.window_kb"));
  EXPECT_TRUE(Contains(config_error("signalling:\n  reassembly:\n    windows: 3\n"), "signalling.reassembly.windows"));
}

}  // namespace
}  // namespace wcstap

namespace wcstap {
namespace {

TEST(Config, PacketLossThresholds) {
  Config c = load_config_string("anomalies:\n  packet_loss:\n    window_s: 3\n    major_pct: 1.5\n"
                                "    critical_pct: 4\n    min_expected: 20\n", "t.yaml");
  EXPECT_EQ(c.anomalies.packet_loss.window_s, 3u);
  EXPECT_DOUBLE_EQ(c.anomalies.packet_loss.major_pct, 1.5);
  EXPECT_DOUBLE_EQ(c.anomalies.packet_loss.critical_pct, 4);
  EXPECT_EQ(c.anomalies.packet_loss.min_expected, 20u);
}

TEST(Config, BitrateDropThresholds) {
  Config c = load_config_string("anomalies:\n  bitrate_drop:\n    drop_pct: 40\n    min_kbps: 64\n"
                                "    baseline_s: 60\n", "t.yaml");
  EXPECT_DOUBLE_EQ(c.anomalies.bitrate_drop.drop_pct, 40);
  EXPECT_DOUBLE_EQ(c.anomalies.bitrate_drop.min_kbps, 64);
  EXPECT_EQ(c.anomalies.bitrate_drop.baseline_s, 60u);
}

TEST(Config, BitrateDropBaselineOutOfRangeNamesTheKey) {
  try {
    load_config_string("anomalies:\n  bitrate_drop:\n    baseline_s: 5\n", "t.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("anomalies.bitrate_drop.baseline_s"), std::string::npos) << e.what();
  }
}

TEST(Config, PacketLossCriticalBelowMajorIsAnError) {
  try {
    load_config_string("anomalies:\n  packet_loss:\n    major_pct: 5\n    critical_pct: 2\n", "t.yaml");
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("anomalies.packet_loss.critical_pct"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_config_string("anomalies:\n  packet_loss:\n    window_s: 9\n", "t.yaml"), ConfigError);
}

}  // namespace
}  // namespace wcstap
