// RTSP 1.0 (RFC 2326) as WCS and IP cameras speak it: the request/answer pairs (CSeq), the
// session, the Transport that says where RTP goes (UDP ports, or interleaved in the TCP stream),
// and the SDP of a DESCRIBE answer. Also the interleaved binary frames (RFC 2326 section 10.12)
// that share the TCP stream with the messages. Pure: the result points into the input.
#pragma once

#include <cstdint>

#include "decode/bytes.h"
#include "text/text_message.h"

namespace wcstap {

enum class RtspMethod : uint8_t {
  Other = 0, Options, Describe, Setup, Play, Pause, Teardown, GetParameter, SetParameter, Announce,
  Record
};

// The first transport spec of a Transport header (a client may offer several; a server answers one).
struct RtspTransport {
  bool present = false;
  Bytes spec;                 // "RTP/AVP", "RTP/AVP/UDP", "RTP/AVP/TCP"
  bool tcp = false;           // lower transport TCP: RTP rides interleaved in the RTSP stream
  bool unicast = false, multicast = false;
  bool has_client_port = false, has_server_port = false, has_interleaved = false;
  uint16_t client_port[2] = {0, 0};  // RTP, RTCP (the second is the first + 1 when not written)
  uint16_t server_port[2] = {0, 0};
  uint8_t interleaved[2] = {0, 0};   // channels
  bool has_ssrc = false;
  uint32_t ssrc = 0;          // hexadecimal on the wire
  Bytes destination, source;  // as written; empty when absent
  Bytes mode;                 // "play", "record"
  bool malformed = false;     // a port pair, channel pair or ssrc that did not parse
};

struct RtspMessage {
  TextHead head;
  bool is_request = false;
  RtspMethod method = RtspMethod::Other;
  Bytes method_text;
  Bytes uri;                  // may carry "user:password@" (cameras): see uri_has_userinfo
  bool uri_has_userinfo = false;  // never print `uri` when set: the userinfo is a credential
  // Presence only: Basic/Digest credentials are secrets.
  bool has_authorization = false, has_www_authenticate = false;
  uint16_t status_code = 0;
  Bytes reason;
  bool has_cseq = false;
  uint32_t cseq = 0;
  Bytes session_id;           // without ";timeout="
  bool has_session_timeout = false;
  uint32_t session_timeout = 0;  // s
  RtspTransport transport;
  Bytes content_base;
  Bytes content_type;         // without parameters
  Bytes body;                 // Content-Length bytes (none without it)
  bool body_is_sdp = false;
};

// Complete, Incomplete (head not ended, or body shorter than Content-Length), or Invalid (not an
// RTSP/1.0 start line, a malformed head). Bytes after the message (the next message or an
// interleaved frame) are left alone: text_message_length(out.head, n) tells where it ends.
TextStatus parse_rtsp(Bytes msg, RtspMessage& out);

// "$" channel length(2) data: an interleaved RTP/RTCP packet in the RTSP TCP stream.
struct RtspInterleavedFrame {
  uint8_t channel = 0;        // even: RTP, odd: RTCP by convention (Transport interleaved=a-b)
  uint16_t length = 0;
  Bytes data;
  size_t frame_len() const { return 4 + size_t{length}; }
};
// Invalid when `buf` does not start with '$'; Incomplete until the whole frame is there.
TextStatus parse_rtsp_interleaved(Bytes buf, RtspInterleavedFrame& out);

RtspMethod rtsp_method_from(Bytes token);
const char* rtsp_method_name(RtspMethod m);  // "OPTIONS", ...; "other"

}  // namespace wcstap
