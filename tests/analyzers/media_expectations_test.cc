// The session correlator's media expectations (session/media_expectations.h): which clock rate an
// SDP gave a payload type at the address it names, BUNDLE's shared address included.
#include "session/media_expectations.h"

#include <gtest/gtest.h>

#include <string_view>

#include "output/format.h"
#include "sdp/sdp.h"

namespace wcstap {
namespace {

// A browser's publish offer as WCS's Web SDK sends it (BUNDLE): audio and video on one address,
// the audio section with the ICE candidate.
constexpr std::string_view kBundleOffer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 52000 UDP/TLS/RTP/SAVPF 111 0\r\n"
    "c=IN IP4 203.0.113.7\r\n"
    "a=candidate:1467250027 1 udp 2122260223 203.0.113.7 52000 typ host generation 0\r\n"
    "a=mid:0\r\n"
    "a=sendonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=video 52000 UDP/TLS/RTP/SAVPF 102 96\r\n"
    "c=IN IP4 203.0.113.7\r\n"
    "a=mid:1\r\n"
    "a=sendonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=rtpmap:96 VP8/90000\r\n";

// A later offer for the same address (a renegotiation): audio only, G.722.
constexpr std::string_view kReoffer =
    "v=0\r\n"
    "o=- 4611731400430051336 3 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 203.0.113.7\r\n"
    "t=0 0\r\n"
    "m=audio 52000 RTP/AVP 9\r\n"
    "a=rtpmap:9 G722/8000\r\n";

SdpSession parsed(std::string_view text) {
  SdpSession s;
  EXPECT_TRUE(parse_sdp(Bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size()), s));
  return s;
}

TEST(MediaExpectations, BundledSectionsKeepEveryClock) {
  const SdpSession sdp = parsed(kBundleOffer);
  ASSERT_EQ(sdp.media_count, 2);
  Endpoint browser;
  ASSERT_TRUE(sdp_media_endpoint(sdp, sdp.media[0], browser));
  EXPECT_EQ(endpoint_to_string(browser), "203.0.113.7:52000");
  MediaExpectations x(64);
  x.expect_sdp(sdp, 1'000'000'000, 42);
  const Endpoint other{};  // the stream's other end: no SDP named it
  // The audio section's types, though the video section names the same address after it.
  EXPECT_EQ(x.clock_rate(other, browser, 111), 48000u);
  EXPECT_EQ(x.clock_rate(browser, other, 0), 8000u);
  EXPECT_EQ(x.clock_rate(browser, other, 102), 90000u);
  EXPECT_EQ(x.clock_rate(browser, other, 96), 90000u);
  EXPECT_EQ(x.clock_rate(browser, other, 8), 0u);  // not offered
  ASSERT_NE(x.find(browser), nullptr);
  EXPECT_EQ(x.find(browser)->rates, 4);  // each type once (the candidate names the address again)
}

TEST(MediaExpectations, ALaterSdpReplacesWhatTheAddressExpects) {
  MediaExpectations x(64);
  const SdpSession first = parsed(kBundleOffer);
  x.expect_sdp(first, 1'000'000'000, 42);
  Endpoint browser;
  ASSERT_TRUE(sdp_media_endpoint(first, first.media[0], browser));
  x.saw_rtp(browser, Endpoint{}, 1'500'000'000);
  const SdpSession second = parsed(kReoffer);
  x.expect_sdp(second, 2'000'000'000, 42);
  EXPECT_EQ(x.clock_rate(browser, Endpoint{}, 9), 8000u);
  EXPECT_EQ(x.clock_rate(browser, Endpoint{}, 111), 0u);  // the new offer has no Opus
  ASSERT_NE(x.find(browser), nullptr);
  EXPECT_EQ(x.find(browser)->rtp_ts, 1'500'000'000);  // what was seen arriving stands
}

}  // namespace
}  // namespace wcstap
