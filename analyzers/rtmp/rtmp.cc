#include "rtmp/rtmp.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace wcstap::rtmp {

namespace {

constexpr uint32_t kHandshakeEnd1 = 1 + kHandshakePart;      // C0 + C1
constexpr uint32_t kHandshakeEnd2 = 1 + 2 * kHandshakePart;  // C0 + C1 + C2
constexpr uint8_t kMessageHeaderSize[4] = {11, 7, 3, 0};     // by chunk header format (fmt)
constexpr uint32_t kTimestampExtended = 0xffffff;

// Bodies worth keeping whole: what AMF commands and metadata are read from.
bool kept_type(uint8_t t) {
  return t == kCommandAmf0 || t == kCommandAmf3 || t == kDataAmf0 || t == kDataAmf3 ||
         t == kSharedObjectAmf0 || t == kSharedObjectAmf3;
}
bool media_type(uint8_t t) { return t == kAudio || t == kVideo || t == kAggregate; }

// The basic header's length (1-3 bytes) from its first byte; the chunk stream id it carries.
size_t basic_header_size(uint8_t b0) {
  const uint8_t low = b0 & 0x3f;
  return low == 0 ? 2 : low == 1 ? 3 : 1;
}
uint32_t basic_header_csid(const uint8_t* h) {
  const uint8_t low = h[0] & 0x3f;
  if (low == 0) return 64u + h[1];
  if (low == 1) return 64u + h[1] + 256u * h[2];
  return low;
}

}  // namespace

bool ChunkReader::fail(Stop s) {
  stop_ = s;
  state_ = State::Stopped;
  if (s == Stop::TooManyChunkStreams) ++stats_.chunk_stream_overflows;
  return false;
}

ChunkReader::ChunkStream* ChunkReader::find(uint32_t csid) {
  for (auto& cs : streams_)
    if (cs.used && cs.csid == csid) return &cs;
  return nullptr;
}

bool ChunkReader::handshake(Bytes& in, Event& ev) {
  if (in.empty()) return false;
  if (handshake_read_ == 0) {
    const uint8_t v = in[0];
    in = in.subspan(1);
    handshake_read_ = 1;
    ev = Event{};
    ev.kind = EventKind::Version;
    ev.version = v;
    if (v == kVersionEncrypted || v == kVersionEncryptedXtea || v == kVersionEncryptedBlowfish)
      fail(Stop::Encrypted);
    else if (v != kVersionPlain)
      fail(Stop::BadVersion);
    return true;
  }
  const uint32_t target = handshake_read_ < kHandshakeEnd1 ? kHandshakeEnd1 : kHandshakeEnd2;
  const size_t n = std::min<size_t>(in.size(), target - handshake_read_);
  in = in.subspan(n);
  handshake_read_ += static_cast<uint32_t>(n);
  if (handshake_read_ < target) return false;
  ev = Event{};
  ev.kind = target == kHandshakeEnd1 ? EventKind::Handshake1 : EventKind::Handshake2;
  if (target == kHandshakeEnd2) state_ = State::Header;
  return true;
}

// Collects one chunk header, however the bytes are split. Its length is known only step by step:
// the basic header's first byte gives its size, fmt gives the message header's, and the timestamp
// field (or, for fmt 3, the chunk stream's last header) says whether an extended timestamp follows.
bool ChunkReader::read_header(Bytes& in) {
  for (;;) {
    size_t want = 1;
    if (header_len_ >= 1) {
      const size_t basic = basic_header_size(header_[0]);
      want = basic;
      if (header_len_ >= basic) {
        const uint8_t fmt = header_[0] >> 6;
        want = basic + kMessageHeaderSize[fmt];
        if (header_len_ >= want) {
          bool ext = false;
          if (fmt < 3) {
            ext = be24(&header_[basic]) == kTimestampExtended;
          } else {
            const ChunkStream* cs = find(basic_header_csid(header_.data()));
            ext = cs != nullptr && cs->extended;
          }
          if (ext) want += 4;
        }
      }
    }
    if (header_len_ >= want) return true;
    if (in.empty()) return false;
    const size_t n = std::min(want - header_len_, in.size());
    std::memcpy(&header_[header_len_], in.data(), n);
    header_len_ = static_cast<uint8_t>(header_len_ + n);
    in = in.subspan(n);
  }
}

void ChunkReader::start_message(ChunkStream& cs) {
  cs.in_progress = true;
  cs.received = 0;
  cs.dropped = false;
  if (kept_type(cs.type)) {
    if (buffer_owner_ < 0)
      buffer_owner_ = static_cast<int8_t>(&cs - streams_.data());
    else
      cs.dropped = true;
  }
}

void ChunkReader::release(ChunkStream& cs) {
  if (buffer_owner_ == &cs - streams_.data()) buffer_owner_ = -1;
}

bool ChunkReader::apply_header() {
  const size_t basic = basic_header_size(header_[0]);
  const uint8_t fmt = header_[0] >> 6;
  const uint32_t csid = basic_header_csid(header_.data());
  header_len_ = 0;
  ChunkStream* cs = find(csid);
  if (cs == nullptr) {
    if (fmt != 0) return fail(Stop::ChunkWithoutHeader);
    for (auto& s : streams_) {
      if (!s.used) {
        cs = &s;
        break;
      }
    }
    if (cs == nullptr) return fail(Stop::TooManyChunkStreams);
    *cs = ChunkStream{};
    cs->used = true;
    cs->csid = csid;
  }
  const uint8_t* m = &header_[basic];
  if (fmt < 3) {
    if (cs->in_progress) {
      ++stats_.abandoned_messages;
      release(*cs);
    }
    uint32_t ts = be24(m);
    cs->extended = ts == kTimestampExtended;
    if (cs->extended) ts = be32(m + kMessageHeaderSize[fmt]);
    // After a type 0 header the "delta" a later type 3 message adds is the first timestamp itself
    // (RTMP 1.0 section 5.3.1.2.4).
    cs->delta = ts;
    cs->timestamp = fmt == 0 ? ts : cs->timestamp + ts;
    if (fmt <= 1) {
      cs->length = be24(m + 3);
      cs->type = m[6];
    }
    if (fmt == 0) cs->stream_id = le32(m + 7);
    start_message(*cs);
  } else if (!cs->in_progress) {
    cs->timestamp += cs->delta;
    start_message(*cs);
  }
  current_ = static_cast<uint8_t>(cs - streams_.data());
  chunk_left_ = std::min(chunk_size_, cs->length - cs->received);
  ++stats_.chunks;
  return true;
}

bool ChunkReader::finish_message(ChunkStream& cs, Event& ev) {
  cs.in_progress = false;
  ev = Event{};
  ev.kind = EventKind::Message;
  ev.header = MessageHeader{cs.csid, cs.timestamp, cs.length, cs.stream_id, cs.type};
  ++stats_.messages;
  if (media_type(cs.type)) {
    if (cs.type == kAudio) {
      ++stats_.audio_messages;
      stats_.audio_bytes += cs.length;
    } else {
      ++stats_.video_messages;
      stats_.video_bytes += cs.length;
    }
    return true;
  }
  if (kept_type(cs.type)) {
    if (cs.type == kCommandAmf0 || cs.type == kCommandAmf3) ++stats_.command_messages;
    if (cs.type == kDataAmf0 || cs.type == kDataAmf3) ++stats_.data_messages;
    if (cs.dropped) {
      ev.body_dropped = true;
      ++stats_.dropped_bodies;
      return true;
    }
    release(cs);
    ev.body = Bytes(buffer_.data(), std::min<size_t>(cs.length, kMaxBody));
    ev.truncated = cs.length > kMaxBody;
    if (ev.truncated) ++stats_.truncated_bodies;
    return true;
  }
  ev.body = Bytes(cs.head.data(), std::min<size_t>(cs.length, kControlHead));
  ev.truncated = cs.length > kControlHead;
  const Bytes b = ev.body;
  const size_t need = cs.type == kSetPeerBandwidth ? 5 : cs.type == kUserControl ? 2 : 4;
  switch (cs.type) {
    case kSetChunkSize:
    case kAbort:
    case kAcknowledgement:
    case kWindowAckSize:
    case kSetPeerBandwidth:
    case kUserControl:
      if (b.size() < need) {
        fail(Stop::BadControlMessage);
        return true;
      }
      break;
    default:
      return true;
  }
  if (cs.type == kUserControl) {
    ev.user_event = be16(&b[0]);
    if (has(b, 2, 4)) ev.control_value = be32(&b[2]);
    if (has(b, 6, 4)) ev.user_value2 = be32(&b[6]);
    return true;
  }
  ev.control_value = be32(&b[0]);
  if (cs.type == kSetPeerBandwidth) ev.limit_type = b[4];
  if (cs.type == kSetChunkSize) {
    // The top bit is reserved (zero); sizes above 0xffffff act alike, as no message is longer.
    if (ev.control_value == 0 || (ev.control_value & 0x80000000u) != 0)
      fail(Stop::BadChunkSize);
    else
      chunk_size_ = ev.control_value;
  }
  if (cs.type == kAbort) {
    ChunkStream* a = find(ev.control_value);
    if (a != nullptr && a->in_progress) {
      a->in_progress = false;
      release(*a);
      ++stats_.aborted_messages;
    }
  }
  return true;
}

bool ChunkReader::next(Bytes& in, Event& ev) {
  const size_t before = in.size();
  bool event = false;
  while (!event) {
    if (state_ == State::Stopped) break;
    if (state_ == State::Handshake) {
      event = handshake(in, ev);
      if (!event && in.empty()) break;
      continue;
    }
    if (state_ == State::Header) {
      if (!read_header(in) || !apply_header()) break;
      state_ = State::Payload;
      continue;
    }
    // Payload
    ChunkStream& cs = streams_[current_];
    if (chunk_left_ > 0) {
      if (in.empty()) break;
      const size_t n = std::min<size_t>(chunk_left_, in.size());
      if (cs.received < kControlHead) {
        const size_t k = std::min<size_t>(n, kControlHead - cs.received);
        std::memcpy(&cs.head[cs.received], in.data(), k);
      }
      if (buffer_owner_ == current_ && cs.received < kMaxBody) {
        const size_t k = std::min<size_t>(n, kMaxBody - cs.received);
        std::memcpy(&buffer_[cs.received], in.data(), k);
      }
      cs.received += static_cast<uint32_t>(n);
      chunk_left_ -= static_cast<uint32_t>(n);
      in = in.subspan(n);
      if (chunk_left_ > 0) break;
    }
    state_ = State::Header;
    if (cs.received == cs.length) event = finish_message(cs, ev);
  }
  stats_.bytes += before - in.size();
  return event;
}

const char* stop_name(Stop s) {
  switch (s) {
    case Stop::None: return "none";
    case Stop::BadVersion: return "rtmp.bad_version";
    case Stop::Encrypted: return "rtmp.encrypted";
    case Stop::ChunkWithoutHeader: return "rtmp.chunk_without_header";
    case Stop::TooManyChunkStreams: return "rtmp.too_many_chunk_streams";
    case Stop::BadChunkSize: return "rtmp.bad_chunk_size";
    case Stop::BadControlMessage: return "rtmp.bad_control_message";
  }
  return "unknown";
}

const char* message_type_name(uint8_t type) {
  switch (type) {
    case kSetChunkSize: return "set_chunk_size";
    case kAbort: return "abort";
    case kAcknowledgement: return "acknowledgement";
    case kUserControl: return "user_control";
    case kWindowAckSize: return "window_ack_size";
    case kSetPeerBandwidth: return "set_peer_bandwidth";
    case kAudio: return "audio";
    case kVideo: return "video";
    case kDataAmf3: return "data_amf3";
    case kSharedObjectAmf3: return "shared_object_amf3";
    case kCommandAmf3: return "command_amf3";
    case kDataAmf0: return "data_amf0";
    case kSharedObjectAmf0: return "shared_object_amf0";
    case kCommandAmf0: return "command_amf0";
    case kAggregate: return "aggregate";
  }
  return "other";
}

// ---- AMF0 --------------------------------------------------------------------------------------

namespace {

// AMF0 markers
constexpr uint8_t kNumber = 0x00, kBoolean = 0x01, kString = 0x02, kObject = 0x03, kNull = 0x05,
                  kUndefined = 0x06, kReference = 0x07, kEcmaArray = 0x08, kObjectEnd = 0x09,
                  kStrictArray = 0x0a, kDate = 0x0b, kLongString = 0x0c, kUnsupported = 0x0d,
                  kXmlDocument = 0x0f, kTypedObject = 0x10, kAvmPlus = 0x11;
constexpr int kMaxDepth = 16;

// Every read is checked; the first failure sticks and fails the rest.
struct Cursor {
  Bytes b;
  size_t pos = 0;
  AmfStatus st = AmfStatus::Ok;

  bool ok() const { return st == AmfStatus::Ok; }
  bool at_end() const { return pos >= b.size(); }
  void set(AmfStatus s) {
    if (ok()) st = s;
  }
  bool need(size_t n) {
    if (!ok()) return false;
    if (!has(b, pos, n)) set(AmfStatus::Truncated);
    return ok();
  }
  uint8_t u8() { return need(1) ? b[pos++] : 0; }
  uint16_t u16() {
    if (!need(2)) return 0;
    pos += 2;
    return be16(&b[pos - 2]);
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    pos += 4;
    return be32(&b[pos - 4]);
  }
  double number() {
    if (!need(8)) return 0;
    const uint64_t bits = uint64_t{be32(&b[pos])} << 32 | be32(&b[pos + 4]);
    pos += 8;
    return std::bit_cast<double>(bits);
  }
  std::string_view text(size_t n) {
    if (!need(n)) return {};
    pos += n;
    return {reinterpret_cast<const char*>(&b[pos - n]), n};
  }
};

struct Value {
  uint8_t marker = 0;
  double number = 0;
  std::string_view text;  // string, long string, XML document
};

bool read_value(Cursor& c, Value& v, int depth);

// The properties of an object / ECMA array / typed object, up to the empty name and the end
// marker. `on_property(name, value)` sees every property; nested containers are walked, not shown.
template <class OnProperty>
bool walk_properties(Cursor& c, int depth, OnProperty&& on_property) {
  if (depth > kMaxDepth) {
    c.set(AmfStatus::TooDeep);
    return false;
  }
  while (c.ok()) {
    const std::string_view name = c.text(c.u16());
    if (!c.ok()) break;
    if (name.empty() && c.need(1) && c.b[c.pos] == kObjectEnd) {
      ++c.pos;
      return true;
    }
    Value v;
    if (!read_value(c, v, depth)) break;
    on_property(name, v);
  }
  return false;
}

bool read_value(Cursor& c, Value& v, int depth) {
  v = Value{};
  v.marker = c.u8();
  if (!c.ok()) return false;
  const auto ignore = [](std::string_view, const Value&) {};
  switch (v.marker) {
    case kNumber: v.number = c.number(); break;
    case kBoolean: v.number = c.u8(); break;
    case kString: v.text = c.text(c.u16()); break;
    case kLongString:
    case kXmlDocument: v.text = c.text(c.u32()); break;
    case kObject: walk_properties(c, depth + 1, ignore); break;
    case kEcmaArray:
      c.u32();  // a count the end marker overrules
      walk_properties(c, depth + 1, ignore);
      break;
    case kTypedObject:
      c.text(c.u16());  // class name
      walk_properties(c, depth + 1, ignore);
      break;
    case kStrictArray: {
      if (depth + 1 > kMaxDepth) {
        c.set(AmfStatus::TooDeep);
        break;
      }
      // Each element takes at least a byte: a count past the body ends as Truncated, not a long loop.
      const uint32_t n = c.u32();
      Value e;
      for (uint32_t i = 0; i < n && read_value(c, e, depth + 1); ++i) {
      }
      break;
    }
    case kDate:
      c.number();
      c.u16();  // time zone, unused by the format
      break;
    case kReference: c.u16(); break;
    case kNull:
    case kUndefined:
    case kUnsupported: break;
    case kAvmPlus: c.set(AmfStatus::Unsupported); break;
    default: c.set(AmfStatus::Invalid); break;  // movieclip, recordset (reserved), object end, unknown
  }
  return c.ok();
}

bool is_info_reply(CommandKind k) {
  return k == CommandKind::Result || k == CommandKind::Error || k == CommandKind::OnStatus;
}

}  // namespace

AmfStatus parse_command(uint8_t type, Bytes body, Command& out) {
  out = Command{};
  if ((type == kCommandAmf3 || type == kDataAmf3) && !body.empty() && body[0] == 0) body = body.subspan(1);
  Cursor c{body};
  Value v;
  if (!read_value(c, v, 0)) return c.st;
  if (v.marker != kString && v.marker != kLongString) return AmfStatus::Invalid;
  out.name = v.text;
  out.kind = command_kind(out.name);
  out.values = 1;
  bool object_seen = false;  // the command object (or the null standing for it) has passed
  int strings = 0;
  while (!c.at_end()) {
    const uint8_t marker = c.b[c.pos];
    if (marker == kObject || marker == kEcmaArray || marker == kTypedObject) {
      const bool command_object = !object_seen;
      object_seen = true;
      ++c.pos;
      if (marker == kEcmaArray) c.u32();
      if (marker == kTypedObject) c.text(c.u16());
      walk_properties(c, 1, [&](std::string_view name, const Value& p) {
        if (p.marker != kString && p.marker != kLongString) return;
        if (command_object && out.kind == CommandKind::Connect) {
          if (name == "app") out.app = p.text;
          if (name == "tcUrl") out.tc_url = p.text;
        }
        if (is_info_reply(out.kind)) {
          if (name == "level" && out.level.empty()) out.level = p.text;
          if (name == "code" && out.code.empty()) out.code = p.text;
          if (name == "description" && out.description.empty()) out.description = p.text;
        }
      });
    } else if (read_value(c, v, 0)) {
      if (v.marker == kNumber) {
        if (out.values == 1) {
          out.has_transaction_id = true;
          out.transaction_id = v.number;
        } else if (!out.has_number_arg) {
          out.has_number_arg = true;
          out.number_arg = v.number;
        }
      }
      if (v.marker == kNull || v.marker == kUndefined) object_seen = true;
      if (v.marker == kString || v.marker == kLongString) {
        if (strings == 0) out.stream_name = v.text;
        if (strings == 1) out.publish_type = v.text;
        ++strings;
      }
    }
    if (!c.ok()) return c.st;
    ++out.values;
  }
  return AmfStatus::Ok;
}

namespace {
struct KindName {
  CommandKind kind;
  std::string_view name;
};
constexpr KindName kCommandNames[] = {
    {CommandKind::Connect, "connect"},           {CommandKind::CreateStream, "createStream"},
    {CommandKind::DeleteStream, "deleteStream"}, {CommandKind::CloseStream, "closeStream"},
    {CommandKind::Publish, "publish"},           {CommandKind::Play, "play"},
    {CommandKind::Play2, "play2"},               {CommandKind::Pause, "pause"},
    {CommandKind::Seek, "seek"},                 {CommandKind::ReleaseStream, "releaseStream"},
    {CommandKind::FcPublish, "FCPublish"},       {CommandKind::FcUnpublish, "FCUnpublish"},
    {CommandKind::Result, "_result"},            {CommandKind::Error, "_error"},
    {CommandKind::OnStatus, "onStatus"},         {CommandKind::SetDataFrame, "@setDataFrame"},
    {CommandKind::OnMetaData, "onMetaData"},
};
}  // namespace

CommandKind command_kind(std::string_view name) {
  for (const auto& k : kCommandNames)
    if (k.name == name) return k.kind;
  return CommandKind::Other;
}

const char* command_kind_name(CommandKind kind) {
  for (const auto& k : kCommandNames)
    if (k.kind == kind) return k.name.data();  // the literals are NUL-terminated
  return "other";
}

const char* amf_status_name(AmfStatus s) {
  switch (s) {
    case AmfStatus::Ok: return "ok";
    case AmfStatus::Truncated: return "truncated";
    case AmfStatus::Invalid: return "invalid";
    case AmfStatus::TooDeep: return "too_deep";
    case AmfStatus::Unsupported: return "unsupported";
  }
  return "unknown";
}

std::string_view without_query(std::string_view s) {
  const size_t q = s.find('?');
  return q == std::string_view::npos ? s : s.substr(0, q);
}

}  // namespace wcstap::rtmp
