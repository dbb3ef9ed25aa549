// WebSocket (RFC 6455) as a passive tap reads it: the handshake's accept key, frame headers, an
// incremental reader for one direction of a TCP stream, and a message assembler on top of it.
// Everything here has fixed-size state and never allocates: a tap keeps one reader per direction
// of every signalling connection, and TCP hands it segments of any size (many frames, or a part of
// one, with headers split across segments).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "decode/bytes.h"

namespace wcstap {

// ---- handshake ---------------------------------------------------------------------------------

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455's GUID)). `client_key`
// is the header's value without surrounding whitespace. A server answering anything else did not
// really accept (browsers drop the connection).
void websocket_accept(std::string_view client_key, std::array<char, 28>& out);
// The comparison a tap makes on a 101 answer; `server_accept` as sent, without whitespace.
bool websocket_accept_matches(std::string_view client_key, std::string_view server_accept);

// ---- frame header ------------------------------------------------------------------------------

enum class WsOpcode : uint8_t { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xa };

inline bool ws_is_control(WsOpcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

enum class WsFrameStatus : uint8_t { Complete, Incomplete, Invalid };

// Why a header is invalid. Invalid framing cannot be skipped: the length that would say where the
// next frame starts is either absent or not to be trusted.
enum class WsFrameError : uint8_t {
  None,
  ReservedOpcode,     // 0x3-0x7, 0xb-0xf
  LengthTopBit,       // a 64-bit length with its most significant bit set
  ControlTooLong,     // a close/ping/pong frame of more than 125 bytes
  ControlFragmented,  // a control frame without FIN
};

struct WsFrameHeader {
  bool fin = false;
  uint8_t rsv = 0;               // RSV1..RSV3 as bits 2..0; RSV1 = permessage-deflate's "compressed"
  WsOpcode opcode = WsOpcode::Continuation;
  bool masked = false;           // clients must mask, servers must not
  std::array<uint8_t, 4> mask{};  // zero when not masked
  uint64_t payload_length = 0;
  uint8_t header_length = 0;     // 2 to 14
  bool non_minimal_length = false;  // a 16/64-bit length that would have fitted a shorter form (weird)
  WsFrameError error = WsFrameError::None;
};

constexpr size_t kWsMaxFrameHeader = 14;
constexpr size_t kWsMaxControlPayload = 125;

// Reads the header at the start of `p`. Incomplete: `p` ends inside the header (the reserved
// opcode and the control frame rules are checked on the first two bytes already, so an invalid
// header is reported as soon as it can be). The payload is not needed.
WsFrameStatus parse_ws_frame_header(Bytes p, WsFrameHeader& out);

// XORs `in` with the mask starting at `mask_offset` (0-3) into `out` (at least in.size() bytes;
// may be the same memory as `in`).
void ws_unmask(Bytes in, const std::array<uint8_t, 4>& mask, size_t mask_offset, uint8_t* out);

// ---- one direction of a stream -----------------------------------------------------------------

// What the stream reader found next.
struct WsStreamItem {
  enum class Kind : uint8_t {
    NeedMore,    // all of the input is consumed; feed the next in-order bytes
    FrameStart,  // `header` holds the new frame's header
    Payload,     // `size` payload bytes, unmasked into the caller's span (or skipped: see next())
    FrameEnd,    // the frame whose header was last reported is complete
    Error,       // invalid framing: `error` says why; the reader has stopped
  };
  Kind kind = Kind::NeedMore;
  size_t size = 0;
  WsFrameHeader header;  // FrameStart, FrameEnd, Error
  WsFrameError error = WsFrameError::None;
};

// Incremental frame reader for one direction of one TCP stream, fed its bytes in order in chunks
// of any size. A stream that lost framing cannot be resynchronised (frame boundaries are only
// known by counting from the start), so after an error every call returns Error.
class WsStreamReader {
 public:
  // Consumes bytes from the front of `in` and returns the next item. Payload bytes go unmasked into
  // `out`, at most out.size() per item; an empty `out` skips the payload (the item still reports how
  // many bytes went by), for payloads nobody wants to read. FrameEnd needs no input: it may follow
  // the last payload item even when `in` is empty.
  WsStreamItem next(Bytes& in, std::span<uint8_t> out);

  bool stopped() const { return error_ != WsFrameError::None; }
  WsFrameError error() const { return error_; }
  uint64_t consumed() const { return consumed_; }  // stream bytes consumed so far
  const WsFrameHeader& header() const { return header_; }  // of the current or last frame

 private:
  enum class State : uint8_t { Header, Payload, End };
  WsFrameHeader header_;
  uint64_t remaining_ = 0;  // payload bytes left in the current frame
  uint64_t consumed_ = 0;
  std::array<uint8_t, kWsMaxFrameHeader> stash_{};  // a header split across chunks
  uint8_t stash_len_ = 0;
  uint8_t mask_offset_ = 0;
  State state_ = State::Header;
  WsFrameError error_ = WsFrameError::None;
};

// ---- messages ----------------------------------------------------------------------------------

// Spare bytes the assembler keeps after a data message, so the message can be parsed in place by
// a SIMD JSON parser that reads past the end (simdjson needs SIMDJSON_PADDING = 64; wcs_message.cc
// checks that this is enough).
constexpr size_t kWsMessagePadding = 64;

enum class WsMessageKind : uint8_t { Text, Binary, Close, Ping, Pong };

struct WsMessage {
  WsMessageKind kind = WsMessageKind::Text;
  // The unmasked payload as far as it was kept: a data message's fragments joined (up to the
  // assembler's capacity), a control frame's body. Valid until the next call to the assembler; a
  // data message is followed by at least kWsMessagePadding readable bytes.
  Bytes payload;
  uint64_t length = 0;        // the whole payload's length, kept or not
  bool truncated = false;     // payload.size() < length: the message was longer than the capacity
  bool compressed = false;    // RSV1 on the first frame (permessage-deflate): the payload is deflated
  bool masked = false;        // the (first) frame was masked
  uint32_t frames = 0;        // frames joined into this message
  // Close (RFC 6455 7.4): the status code when the body has one, and the reason after it.
  bool has_close_code = false;
  uint16_t close_code = 0;
  std::string_view close_reason;  // into `payload`; not checked for UTF-8
  bool close_body_malformed = false;  // a 1-byte close body (the code needs 2)
};

enum class WsAssemblyError : uint8_t {
  None,
  InvalidHeader,                // see WsStreamReader::error()
  UnexpectedContinuation,       // a continuation frame with no fragmented message open
  DataFrameInFragmentedMessage, // a new text/binary frame while a fragmented message is open
};

// Joins one direction's frames into messages. Control frames may come between the fragments of a
// data message and are delivered on their own when complete. The buffer is the caller's; its last
// kWsMessagePadding bytes are never filled, so capacity() = buffer.size() - kWsMessagePadding.
class WsMessageAssembler {
 public:
  enum class Status : uint8_t { NeedMore, Message, Error };

  explicit WsMessageAssembler(std::span<uint8_t> buffer);

  // Consumes bytes from the front of `in` until a message is complete (Message: `out` holds it,
  // `in` starts after it) or `in` is used up (NeedMore). Error: the stream is broken (error() says
  // how) and every later call returns Error.
  Status next(Bytes& in, WsMessage& out);

  WsAssemblyError error() const { return error_; }
  WsFrameError frame_error() const { return reader_.error(); }
  size_t capacity() const { return capacity_; }
  uint64_t consumed() const { return reader_.consumed(); }

 private:
  Status fail(WsAssemblyError e);

  WsStreamReader reader_;
  std::span<uint8_t> buffer_;
  size_t capacity_ = 0;
  // the data message being assembled
  size_t data_kept_ = 0;
  uint64_t data_length_ = 0;
  uint32_t data_frames_ = 0;
  WsMessageKind data_kind_ = WsMessageKind::Text;
  bool data_open_ = false;          // a text/binary frame began a message that no FIN has ended
  bool data_truncated_ = false, data_compressed_ = false, data_masked_ = false;
  bool data_delivered_ = false;     // the buffer may be reused on the next call
  // the control frame being read (they cannot be fragmented: one frame, 125 bytes at most)
  std::array<uint8_t, kWsMaxControlPayload> control_{};
  uint8_t control_len_ = 0;
  bool in_control_ = false;
  WsAssemblyError error_ = WsAssemblyError::None;
};

const char* ws_opcode_name(WsOpcode op);           // "text", "binary", "close", ...
const char* ws_frame_error_name(WsFrameError e);   // "reserved_opcode", ...; "none"
const char* ws_assembly_error_name(WsAssemblyError e);
// RFC 6455 7.4.1 / IANA names ("normal_closure", "going_away", ...); "other" for the rest.
const char* ws_close_code_name(uint16_t code);
// 1000 and 1001 end a session on purpose; anything else (or no close frame at all) is abnormal.
inline bool ws_close_code_is_normal(uint16_t code) { return code == 1000 || code == 1001; }

}  // namespace wcstap
