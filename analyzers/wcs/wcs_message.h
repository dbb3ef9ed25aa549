// Web Call Server's JSON signalling messages, as they pass in clear on ws:// (WCS.md):
// {"message":"<name>","data":[{...}, ...]}. What a tap needs from one complete text message: the
// message name, and from data[0] the ids, stream name, status, info and SDP that tie signalling to
// media flows and carry WCS's own verdict on a stream ("Failed by ICE timeout").
//
// Credentials (authToken, sipPassword, sipLogin, ...) travel in these messages. Their values are
// never read into a WcsMessage: the reader only notes that such a key was present.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "decode/bytes.h"

namespace wcstap {

enum class WcsMessageName : uint8_t {
  // client -> server
  Connection, PublishStream, PlayStream, UnPublishStream, StopStream, Call, Answer, Hangup, SendDtmf,
  Pong,
  // server -> client
  Ping, GetUserData, SetRemoteSdp, NotifyStreamStatusEvent, NotifyStreamEvent, OutboundVideoRate,
  InboundVideoRate, Fail, Ring, Talk, Finish, Busy, Hold, NotifyTransferEvent, NotifyIncomingCall,
  NotifyTryingResponse, Registered,
  Other,  // a name not listed here: WcsMessage::message still holds it
};

// A short string copied out of a message into fixed storage, cut at N bytes (on a UTF-8 character
// boundary) when longer: ids and names are short, and a tap keeps no heap strings per message.
template <size_t N>
struct WcsText {
  std::array<char, N> bytes{};
  uint16_t size = 0;
  bool truncated = false;

  std::string_view view() const { return {bytes.data(), size}; }
  bool empty() const { return size == 0; }
  void assign(std::string_view s) {
    size_t n = s.size() < N ? s.size() : N;
    truncated = n < s.size();
    if (truncated)
      while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xc0) == 0x80) --n;  // s[n] continues a character
    if (n > 0) std::memcpy(bytes.data(), s.data(), n);  // an empty view may hold a null pointer
    size = static_cast<uint16_t>(n);
  }
};

struct WcsMessage {
  WcsMessageName name = WcsMessageName::Other;
  WcsText<48> message;          // the name as sent
  // From data[0] (an object), or for setRemoteSDP from the array form [mediaSessionId, sdp, ...].
  WcsText<64> media_session_id;  // for `fail` about a stream (apiMethod StreamStatusEvent): its "id"
  WcsText<128> stream_name;      // "name"
  WcsText<32> status;            // "PUBLISHING", "FAILED", "RING", ...
  WcsText<128> info;             // why: "Failed by ICE timeout", ...
  WcsText<64> call_id;           // SIP calls
  WcsText<64> app_key;           // `connection`: the backend application
  WcsText<48> api_method;        // `fail`: what failed ("StreamStatusEvent", ...)
  // The SDP ("sdp" of data[0], or the second element of setRemoteSDP's array), unescaped. A view
  // into the reader's string buffer: valid until the next read() on the same reader. It may hold
  // a=crypto keys (SDES); whoever reads it must not copy those anywhere meant for output.
  std::string_view sdp;
  // A credential key (authToken, sipPassword, sipLogin, ...) was present in a data object. Only
  // this flag is kept, never the value.
  bool has_credentials = false;
  uint32_t data_elements = 0;    // elements of the data array (1 for a bare data object)
};

enum class WcsReadStatus : uint8_t {
  Ok,
  NotJson,   // not valid JSON (or not UTF-8: a binary or deflate-compressed payload)
  NotWcs,    // valid JSON, but not an object with a string "message"
  TooLarge,  // longer than the reader's capacity: not parsed
};

// Reads WCS messages with one simdjson On-Demand parser, allocated once at construction for
// messages of up to `capacity` bytes. A longer message is refused (TooLarge): the parser's maximum
// capacity is pinned to the same value, so simdjson answers CAPACITY instead of reallocating, and
// the hot path never allocates. One reader per worker; not thread-safe.
class WcsMessageReader {
 public:
  explicit WcsMessageReader(size_t capacity = 64 * 1024);
  ~WcsMessageReader();
  WcsMessageReader(const WcsMessageReader&) = delete;
  WcsMessageReader& operator=(const WcsMessageReader&) = delete;

  // False when the parser could not allocate its capacity (then every read() says NotJson).
  bool ready() const;
  size_t capacity() const { return capacity_; }

  // Reads one complete, uncompressed text message. At least 64 readable bytes (SIMDJSON_PADDING;
  // websocket.h's kWsMessagePadding) must follow `json` in memory: the SIMD parser reads past the
  // end. WsMessageAssembler's payloads have them. On-Demand checks the document's structure and
  // UTF-8 and every value it reads; a malformed value inside a part it skips goes unnoticed.
  // Unless Ok, `out` is left empty.
  WcsReadStatus read(Bytes json, WcsMessage& out);

 private:
  WcsReadStatus read_into(Bytes json, WcsMessage& out);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t capacity_;
};

const char* wcs_message_name(WcsMessageName n);  // as on the wire: "publishStream", ...; "other"
WcsMessageName wcs_message_name_from(std::string_view s);
const char* wcs_read_status_name(WcsReadStatus s);  // "ok", "not_json", "not_wcs", "too_large"

}  // namespace wcstap
