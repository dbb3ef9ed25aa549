#include "event.h"

#include <array>

namespace wcstap {

const char* l4_name(L4 l4) {
  switch (l4) {
    case L4::Udp: return "udp";
    case L4::Tcp: return "tcp";
    case L4::Icmp: return "icmp";
    case L4::Icmpv6: return "icmpv6";
    case L4::Other: break;
  }
  return "other";
}

const char* clock_source_name(ClockSource s) {
  switch (s) {
    case ClockSource::Sdp: return "sdp";
    case ClockSource::Static: return "static";
    case ClockSource::Inferred: return "inferred";
    case ClockSource::None: break;
  }
  return "none";
}

const char* ice_state_name(IceState s) {
  switch (s) {
    case IceState::Connected: return "connected";
    case IceState::Failed: return "failed";
    case IceState::Checking: break;
  }
  return "checking";
}

const char* signalling_kind_name(SignallingKind k) {
  switch (k) {
    case SignallingKind::WcsStream: return "wcs_stream";
    case SignallingKind::SipDialog: return "sip_dialog";
    case SignallingKind::Dns: return "dns";
    case SignallingKind::Connection: break;
  }
  return "connection";
}

const char* video_codec_name(VideoCodec c) {
  switch (c) {
    case VideoCodec::Vp8: return "vp8";
    case VideoCodec::Vp9: return "vp9";
    case VideoCodec::H264: return "h264";
    case VideoCodec::None: break;
  }
  return "";
}

const char* dtls_stage_name(DtlsStage s) {
  switch (s) {
    case DtlsStage::ClientHello: return "client_hello";
    case DtlsStage::HelloVerify: return "hello_verify";
    case DtlsStage::ServerHello: return "server_hello";
    case DtlsStage::ClientFinished: return "client_finished";
    case DtlsStage::ServerFinished: return "server_finished";
    case DtlsStage::Done: return "done";
    case DtlsStage::Failed: return "failed";
    case DtlsStage::None: break;
  }
  return "none";
}

const char* flow_class_name(FlowClass c) {
  static constexpr std::array<const char*, static_cast<size_t>(FlowClass::Count)> kNames{
      "unknown", "rtp", "rtcp", "stun", "dtls", "turn", "zrtp", "sip", "websocket",
      "http", "tls", "dns", "rtsp", "rtmp", "hls", "icmp"};
  auto i = static_cast<size_t>(c);
  return i < kNames.size() ? kNames[i] : "unknown";
}

}  // namespace wcstap
