// SIP messages (RFC 3261) as a tap follows a call: the request or status, the dialog's identity
// (Call-ID, tags, CSeq), the transaction (top Via branch), and the body (the SDP that names the
// media). One message per call: a UDP datagram, or one cut out of a TCP/WebSocket stream with
// text_message_length(). Pure: the result points into the input; no allocation.
#pragma once

#include <cstdint>

#include "decode/bytes.h"
#include "text/text_message.h"

namespace wcstap {

enum class SipMethod : uint8_t {
  Other = 0, Invite, Ack, Bye, Cancel, Register, Options, Info, Update, Prack, Subscribe, Notify,
  Refer, Message, Publish
};

// The transport of the top Via: how the sender expects the answer.
enum class SipTransport : uint8_t { Unknown = 0, Udp, Tcp, Tls, Sctp, Ws, Wss, Other };

struct SipMessage {
  TextHead head;               // every header, for what is not lifted out below (credential
                               // headers included: never dump head.headers wholesale)
  bool is_request = false;
  SipMethod method = SipMethod::Other;  // request
  Bytes method_text;           // request, as written ("INVITE")
  Bytes request_uri;           // request
  uint16_t status_code = 0;    // response
  Bytes reason;                // response
  Bytes call_id;               // empty when absent
  bool has_cseq = false;
  uint32_t cseq = 0;
  SipMethod cseq_method = SipMethod::Other;  // a response's CSeq says which request it answers
  Bytes cseq_method_text;
  Bytes from_tag, to_tag;      // empty when absent (a dialog-creating request has no To tag)
  Bytes via_branch;            // top Via; "z9hG4bK..." from RFC 3261 agents
  SipTransport via_transport = SipTransport::Unknown;
  Bytes via_sent_by;           // top Via host[:port]
  uint8_t via_count = 0;       // Via values (header lines and comma-separated entries), up to 255
  bool has_contact = false;
  bool has_expires = false;
  uint32_t expires = 0;        // the Expires header (s); Contact's expires= parameter is not read
  bool has_max_forwards = false;
  uint32_t max_forwards = 0;
  Bytes content_type;          // without parameters
  Bytes user_agent, server;
  // Presence only: the values carry credentials (Digest responses) or challenges that must not
  // reach an event or a log.
  bool has_authorization = false, has_proxy_authorization = false;
  bool has_www_authenticate = false, has_proxy_authenticate = false;
  Bytes body;                  // Content-Length bytes, or the rest of the datagram when absent
  bool body_is_sdp = false;    // Content-Type application/sdp
  uint32_t trailing = 0;       // bytes after Content-Length in the buffer (a datagram's padding)
  // Call-ID, CSeq, From, To and Via (RFC 3261 section 8.1.1) all present and readable. A message
  // without them is still reported: a tap notes it, a proxy would refuse it.
  bool mandatory_present = false;
};

// Complete, or Incomplete when the head has not ended or the body is shorter than Content-Length,
// or Invalid (not a SIP/2.0 start line, a malformed head).
TextStatus parse_sip(Bytes msg, SipMessage& out);

SipMethod sip_method_from(Bytes token);  // case-sensitive, as RFC 3261 defines methods
const char* sip_method_name(SipMethod m);        // "INVITE", ...; "other"
const char* sip_transport_name(SipTransport t);  // "udp", "tcp", "tls", "sctp", "ws", "wss", "other", "unknown"

}  // namespace wcstap
