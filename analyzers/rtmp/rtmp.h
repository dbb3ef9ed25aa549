// RTMP (Adobe RTMP 1.0, 2012) as a tap reads it from one direction of a TCP connection: the
// handshake is skipped (and reported as it passes), then the chunk stream is followed so that
// command and data messages can be read, protocol control messages applied, and audio/video only
// counted. Fixed-size state, no allocation: a reader per direction lives in the flow's state.
// AMF0 is read only as far as commands need it (name, transaction id, connect's app/tcUrl, the
// stream name of publish/play, the info object of _result/_error/onStatus).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "decode/bytes.h"

namespace wcstap::rtmp {

// C0/S0 version byte. 6 is RTMPE (encrypted, Diffie-Hellman + RC4): recognised, never read;
// 8 and 9 are its XTEA / Blowfish variants.
constexpr uint8_t kVersionPlain = 3, kVersionEncrypted = 6, kVersionEncryptedXtea = 8,
                  kVersionEncryptedBlowfish = 9;
constexpr size_t kHandshakePart = 1536;  // C1, C2, S1, S2 each
constexpr uint32_t kDefaultChunkSize = 128;

// Message type ids
constexpr uint8_t kSetChunkSize = 1, kAbort = 2, kAcknowledgement = 3, kUserControl = 4,
                  kWindowAckSize = 5, kSetPeerBandwidth = 6, kAudio = 8, kVideo = 9, kDataAmf3 = 15,
                  kSharedObjectAmf3 = 16, kCommandAmf3 = 17, kDataAmf0 = 18, kSharedObjectAmf0 = 19,
                  kCommandAmf0 = 20, kAggregate = 22;
// User control event types (message type 4)
constexpr uint16_t kStreamBegin = 0, kStreamEof = 1, kStreamDry = 2, kSetBufferLength = 3,
                   kStreamIsRecorded = 4, kPingRequest = 6, kPingResponse = 7;

constexpr size_t kChunkStreams = 16;  // chunk stream ids one direction may use at once
constexpr size_t kMaxBody = 4096;     // command/data bodies kept up to this; longer ones are truncated
constexpr size_t kControlHead = 12;   // bytes of every message kept per chunk stream: what control messages need

// Why a direction's reader stopped. Anything but None is final: the chunk stream cannot be followed
// past it (a chunk boundary is not recognisable in the middle of a stream).
enum class Stop : uint8_t {
  None,
  BadVersion,           // C0/S0 is neither 3 nor an RTMPE version: not RTMP
  Encrypted,            // RTMPE: nothing past C0 is readable
  ChunkWithoutHeader,   // a type 1/2/3 chunk header on a chunk stream that never had a type 0
  TooManyChunkStreams,  // more than kChunkStreams chunk stream ids in use
  BadChunkSize,         // Set Chunk Size of 0 or with the reserved top bit set
  BadControlMessage,    // a protocol control message shorter than its fixed body
};
const char* stop_name(Stop s);  // "none", "rtmp.bad_version", ...

enum class EventKind : uint8_t {
  Version,     // C0/S0 read: Event::version
  Handshake1,  // C1/S1 has passed
  Handshake2,  // C2/S2 has passed: chunks follow
  Message,     // a whole message: Event::header (and body / control fields)
};

struct MessageHeader {
  uint32_t csid = 0;       // chunk stream id, 2..65599
  uint32_t timestamp = 0;  // absolute (ms), extended timestamps included, wraps at 2^32
  uint32_t length = 0;     // body length as the header says
  uint32_t stream_id = 0;  // message stream id (little-endian on the wire)
  uint8_t type = 0;
};

struct Event {
  EventKind kind = EventKind::Message;
  uint8_t version = 0;  // Version: the C0/S0 byte
  MessageHeader header;
  // The body as far as it was kept: command/data/shared object messages up to kMaxBody, control
  // and user control messages (and any other type) up to kControlHead; audio, video and aggregate
  // messages are not kept (empty). Points into the reader: valid until its next call.
  Bytes body;
  bool truncated = false;     // the body is longer than what `body` holds
  bool body_dropped = false;  // a kept type whose chunks interleaved with another kept message: not kept
  // Protocol control (1, 2, 3, 5, 6): the new chunk size, aborted chunk stream id, sequence number,
  // or window size. User control (4): the event's first 4 data bytes (a stream id, mostly).
  uint32_t control_value = 0;
  uint8_t limit_type = 0;     // Set Peer Bandwidth: 0 hard, 1 soft, 2 dynamic
  uint16_t user_event = 0;    // user control event type
  uint32_t user_value2 = 0;   // user control: the next 4 bytes (Set Buffer Length: the length in ms)
};

struct DirectionStats {
  uint64_t bytes = 0;  // fed, handshake included
  uint64_t chunks = 0;
  uint64_t messages = 0;
  uint64_t command_messages = 0;  // types 17, 20
  uint64_t data_messages = 0;     // types 15, 18
  uint64_t audio_messages = 0, audio_bytes = 0;
  uint64_t video_messages = 0, video_bytes = 0;  // aggregate messages (22) count as video
  uint64_t truncated_bodies = 0;
  uint64_t dropped_bodies = 0;
  uint64_t abandoned_messages = 0;  // a new message header on a chunk stream mid-message
  uint64_t aborted_messages = 0;    // by an Abort message
  uint64_t chunk_stream_overflows = 0;
};

// One direction's bytes, in order, in chunks of any size (TCP segments, or single bytes). The
// handshake is 1 + 1536 + 1536 bytes on either side. Use:
//   Bytes in = segment; Event ev;
//   while (reader.next(in, ev)) { ... }   // then reader.stop() says whether it gave up
class ChunkReader {
 public:
  // True when `ev` holds something that happened; `in` is advanced past what was used. False when
  // `in` is used up (wait for more bytes) or the reader has stopped.
  bool next(Bytes& in, Event& ev);

  Stop stop() const { return stop_; }
  bool handshake_done() const { return state_ != State::Handshake; }
  uint32_t chunk_size() const { return chunk_size_; }
  const DirectionStats& stats() const { return stats_; }

 private:
  enum class State : uint8_t { Handshake, Header, Payload, Stopped };
  struct ChunkStream {
    uint32_t csid = 0;
    uint32_t timestamp = 0, delta = 0, length = 0, stream_id = 0;
    uint32_t received = 0;  // of the message in progress
    uint8_t type = 0;
    bool used = false;
    bool extended = false;     // the last type 0/1/2 header carried an extended timestamp
    bool in_progress = false;  // a message has begun and not ended
    bool dropped = false;      // its body is not kept (interleaved with the buffer's owner)
    std::array<uint8_t, kControlHead> head{};
  };

  bool fail(Stop s);
  bool handshake(Bytes& in, Event& ev);
  bool read_header(Bytes& in);
  bool apply_header();
  void start_message(ChunkStream& cs);
  void release(ChunkStream& cs);
  bool finish_message(ChunkStream& cs, Event& ev);
  ChunkStream* find(uint32_t csid);

  State state_ = State::Handshake;
  Stop stop_ = Stop::None;
  uint32_t handshake_read_ = 0;
  uint32_t chunk_size_ = kDefaultChunkSize;
  uint32_t chunk_left_ = 0;  // payload bytes of the current chunk still to come
  uint8_t current_ = 0;      // index of the current chunk's chunk stream
  uint8_t header_len_ = 0;
  int8_t buffer_owner_ = -1;  // chunk stream whose body `buffer_` holds, -1 when free
  std::array<uint8_t, 18> header_{};  // basic (<= 3) + message (<= 11) + extended timestamp (4)
  std::array<ChunkStream, kChunkStreams> streams_{};
  DirectionStats stats_{};
  std::array<uint8_t, kMaxBody> buffer_{};
};

// ---- AMF0 commands -----------------------------------------------------------------------------

enum class AmfStatus : uint8_t {
  Ok,
  Truncated,    // ran off the end of the body (a truncated body ends so)
  Invalid,      // a bad marker or structure, or no command name first
  TooDeep,      // objects nested past the limit
  Unsupported,  // an AMF3 value (avmplus-object marker): valid, not read
};
const char* amf_status_name(AmfStatus s);  // "ok", "truncated", ...

enum class CommandKind : uint8_t {
  Other, Connect, CreateStream, DeleteStream, CloseStream, Publish, Play, Play2, Pause, Seek,
  ReleaseStream, FcPublish, FcUnpublish, Result, Error, OnStatus, SetDataFrame, OnMetaData,
};
CommandKind command_kind(std::string_view name);
const char* command_kind_name(CommandKind k);  // "connect", "_result", ...; "other"

// What a command (or data) message says, as views into its body. The URL-ish fields (app, tc_url,
// stream_name) may carry credentials in a query string (Adobe auth's "?authmod=adobe&user=...",
// token parameters): pass them through without_query() before they go into any output.
struct Command {
  std::string_view name;  // the first value: the command (or data handler) name
  CommandKind kind = CommandKind::Other;
  bool has_transaction_id = false;
  double transaction_id = 0;
  std::string_view app, tc_url;      // connect: from the command object
  std::string_view stream_name;      // the first string argument: publish/play/releaseStream/FCPublish's stream
  std::string_view publish_type;     // the second string argument: publish's "live" / "record" / "append"
  bool has_number_arg = false;
  double number_arg = 0;             // the first number argument: createStream _result's stream id
  std::string_view level, code, description;  // _result/_error/onStatus: the info object's
  uint16_t values = 0;               // top-level values read
};

// `type` is the message type (20, 17, 18 or 15): an AMF3 command/data body starts with a 0 byte
// before its AMF0 values. What was read before a failure stays in `out`.
AmfStatus parse_command(uint8_t type, Bytes body, Command& out);

// `s` up to its first '?': a URL or stream name without its query string.
std::string_view without_query(std::string_view s);

const char* message_type_name(uint8_t type);  // "set_chunk_size", "command_amf0", ...; "other"

}  // namespace wcstap::rtmp
