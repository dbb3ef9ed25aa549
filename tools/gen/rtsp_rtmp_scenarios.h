// RTSP and RTMP scenarios. RTSP: WCS pulling an IP camera (WCS's port 32000-32999 -> camera:554),
// RTP interleaved in the RTSP connection. RTMP: an encoder publishing to WCS on 1935. Messages
// written here (RTSP text, SDP, RTMP chunks and AMF0), independently of the analyzers.
#pragma once

#include <vector>

#include "capture.h"
#include "scenarios.h"

namespace wcsgen {

// OPTIONS, DESCRIBE (401, then with credentials: SDP), SETUP interleaved=0-1, PLAY, H.264 RTP in $
// frames with RTCP sender reports, TEARDOWN: nothing anomalous, one RTP stream over TCP.
std::vector<Anomaly> rtsp_pull(const ScenarioParams& p, Capture& cap);
// DESCRIBE with credentials answered 404: rtsp_failure at the 404.
std::vector<Anomaly> rtsp_not_found(const ScenarioParams& p, Capture& cap);
// PLAY answered 200, then no RTP: rtsp_failure 3 s after the PLAY answer.
std::vector<Anomaly> rtsp_no_rtp(const ScenarioParams& p, Capture& cap);
// Handshake, connect, createStream, publish (NetStream.Publish.Start), audio and video: nothing.
std::vector<Anomaly> rtmp_publish(const ScenarioParams& p, Capture& cap);
// publish answered onStatus level error NetStream.Publish.BadName: rtmp_failure at that answer.
std::vector<Anomaly> rtmp_bad_name(const ScenarioParams& p, Capture& cap);

}  // namespace wcsgen
