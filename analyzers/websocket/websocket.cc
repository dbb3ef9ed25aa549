#include "websocket/websocket.h"

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include <algorithm>
#include <cstring>

namespace wcstap {

namespace {

// RFC 6455 section 1.3: appended to the client's key before hashing.
constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static_assert(BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE) == 28);

bool valid_opcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xa); }

}  // namespace

void websocket_accept(std::string_view client_key, std::array<char, 28>& out) {
  sha1_ctx ctx;
  sha1_init(&ctx);
  sha1_update(&ctx, client_key.size(), reinterpret_cast<const uint8_t*>(client_key.data()));
  sha1_update(&ctx, kAcceptGuid.size(), reinterpret_cast<const uint8_t*>(kAcceptGuid.data()));
  uint8_t digest[SHA1_DIGEST_SIZE];
  sha1_digest(&ctx, sizeof digest, digest);
  base64_encode_raw(out.data(), sizeof digest, digest);
}

bool websocket_accept_matches(std::string_view client_key, std::string_view server_accept) {
  std::array<char, 28> expected;
  websocket_accept(client_key, expected);
  return server_accept == std::string_view(expected.data(), expected.size());
}

WsFrameStatus parse_ws_frame_header(Bytes p, WsFrameHeader& h) {
  h = WsFrameHeader{};
  if (p.empty()) return WsFrameStatus::Incomplete;
  const uint8_t op = p[0] & 0x0f;
  h.fin = (p[0] & 0x80) != 0;
  h.rsv = static_cast<uint8_t>((p[0] >> 4) & 0x7);
  if (!valid_opcode(op)) {
    h.error = WsFrameError::ReservedOpcode;
    return WsFrameStatus::Invalid;
  }
  h.opcode = static_cast<WsOpcode>(op);
  if (p.size() < 2) return WsFrameStatus::Incomplete;
  h.masked = (p[1] & 0x80) != 0;
  const uint8_t len7 = p[1] & 0x7f;
  if (ws_is_control(h.opcode)) {
    // RFC 6455 5.5: control frames fit in one frame with a 7-bit length, so that they can be
    // injected between the fragments of a long message.
    if (!h.fin) {
      h.error = WsFrameError::ControlFragmented;
      return WsFrameStatus::Invalid;
    }
    if (len7 > kWsMaxControlPayload) {
      h.error = WsFrameError::ControlTooLong;
      return WsFrameStatus::Invalid;
    }
  }
  const size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  h.header_length = static_cast<uint8_t>(2 + ext + (h.masked ? 4 : 0));
  if (p.size() < h.header_length) return WsFrameStatus::Incomplete;
  if (len7 == 126) {
    h.payload_length = be16(&p[2]);
    h.non_minimal_length = h.payload_length < 126;
  } else if (len7 == 127) {
    h.payload_length = uint64_t{be32(&p[2])} << 32 | be32(&p[6]);
    if (h.payload_length >> 63) {
      h.error = WsFrameError::LengthTopBit;
      return WsFrameStatus::Invalid;
    }
    h.non_minimal_length = h.payload_length <= 0xffff;
  } else {
    h.payload_length = len7;
  }
  if (h.masked) std::memcpy(h.mask.data(), &p[2 + ext], 4);
  return WsFrameStatus::Complete;
}

void ws_unmask(Bytes in, const std::array<uint8_t, 4>& mask, size_t mask_offset, uint8_t* out) {
  // The mask rotated to start at `mask_offset`, so that the loop indexes it by position alone.
  const uint8_t m[4] = {mask[mask_offset & 3], mask[(mask_offset + 1) & 3], mask[(mask_offset + 2) & 3],
                        mask[(mask_offset + 3) & 3]};
  for (size_t i = 0; i < in.size(); ++i) out[i] = static_cast<uint8_t>(in[i] ^ m[i & 3]);
}

// ---- WsStreamReader ----------------------------------------------------------------------------

WsStreamItem WsStreamReader::next(Bytes& in, std::span<uint8_t> out) {
  WsStreamItem item;
  if (error_ != WsFrameError::None) {
    item.kind = WsStreamItem::Kind::Error;
    item.error = error_;
    item.header = header_;
    return item;
  }
  switch (state_) {
    case State::Header: {
      if (in.empty()) return item;  // NeedMore
      // Gather up to a maximal header's worth into the stash: one path whether or not the header
      // is split across chunks. Bytes beyond the header are given back below.
      const size_t had = stash_len_;
      const size_t take = std::min(kWsMaxFrameHeader - had, in.size());
      std::memcpy(stash_.data() + had, in.data(), take);
      WsFrameHeader h;
      const WsFrameStatus st = parse_ws_frame_header(Bytes(stash_.data(), had + take), h);
      if (st == WsFrameStatus::Incomplete) {
        // had + take < 14, so take == in.size(): all of the input is in the stash.
        stash_len_ = static_cast<uint8_t>(had + take);
        consumed_ += take;
        in = in.subspan(take);
        return item;
      }
      header_ = h;
      if (st == WsFrameStatus::Invalid) {
        error_ = h.error;
        item.kind = WsStreamItem::Kind::Error;
        item.error = error_;
        item.header = h;
        return item;
      }
      const size_t used = h.header_length - had;
      in = in.subspan(used);
      consumed_ += used;
      stash_len_ = 0;
      remaining_ = h.payload_length;
      mask_offset_ = 0;
      state_ = remaining_ ? State::Payload : State::End;
      item.kind = WsStreamItem::Kind::FrameStart;
      item.header = h;
      return item;
    }
    case State::Payload: {
      if (in.empty()) return item;
      size_t n = in.size();
      if (remaining_ < n) n = static_cast<size_t>(remaining_);
      if (!out.empty()) {
        n = std::min(n, out.size());
        if (header_.masked)
          ws_unmask(in.first(n), header_.mask, mask_offset_, out.data());
        else
          std::memcpy(out.data(), in.data(), n);
      }
      in = in.subspan(n);
      consumed_ += n;
      remaining_ -= n;
      mask_offset_ = static_cast<uint8_t>((mask_offset_ + n) & 3);
      if (remaining_ == 0) state_ = State::End;
      item.kind = WsStreamItem::Kind::Payload;
      item.size = n;
      return item;
    }
    case State::End:
      state_ = State::Header;
      item.kind = WsStreamItem::Kind::FrameEnd;
      item.header = header_;
      return item;
  }
  return item;
}

// ---- WsMessageAssembler ------------------------------------------------------------------------

WsMessageAssembler::WsMessageAssembler(std::span<uint8_t> buffer)
    : buffer_(buffer), capacity_(buffer.size() > kWsMessagePadding ? buffer.size() - kWsMessagePadding : 0) {}

WsMessageAssembler::Status WsMessageAssembler::fail(WsAssemblyError e) {
  error_ = e;
  return Status::Error;
}

WsMessageAssembler::Status WsMessageAssembler::next(Bytes& in, WsMessage& out) {
  if (error_ != WsAssemblyError::None) return Status::Error;
  if (data_delivered_) {
    data_delivered_ = false;
    data_kept_ = 0;
    data_length_ = 0;
  }
  for (;;) {
    std::span<uint8_t> dst;  // empty: the reader skips the bytes
    if (in_control_)
      dst = std::span<uint8_t>(control_).subspan(control_len_);
    else if (data_kept_ < capacity_)
      dst = buffer_.subspan(data_kept_, capacity_ - data_kept_);
    const WsStreamItem it = reader_.next(in, dst);
    switch (it.kind) {
      case WsStreamItem::Kind::NeedMore:
        return Status::NeedMore;
      case WsStreamItem::Kind::Error:
        return fail(WsAssemblyError::InvalidHeader);
      case WsStreamItem::Kind::FrameStart: {
        const WsOpcode op = it.header.opcode;
        if (ws_is_control(op)) {
          in_control_ = true;
          control_len_ = 0;
          break;
        }
        in_control_ = false;
        if (op == WsOpcode::Continuation) {
          if (!data_open_) return fail(WsAssemblyError::UnexpectedContinuation);
        } else {
          if (data_open_) return fail(WsAssemblyError::DataFrameInFragmentedMessage);
          data_open_ = true;
          data_kind_ = op == WsOpcode::Text ? WsMessageKind::Text : WsMessageKind::Binary;
          data_kept_ = 0;
          data_length_ = 0;
          data_frames_ = 0;
          data_truncated_ = false;
          data_compressed_ = (it.header.rsv & 0x4) != 0;
          data_masked_ = it.header.masked;
        }
        ++data_frames_;
        break;
      }
      case WsStreamItem::Kind::Payload:
        if (in_control_) {
          control_len_ = static_cast<uint8_t>(control_len_ + it.size);  // <= 125: the header said so
        } else {
          data_length_ += it.size;
          if (dst.empty())
            data_truncated_ = true;
          else
            data_kept_ += it.size;
        }
        break;
      case WsStreamItem::Kind::FrameEnd:
        if (in_control_) {
          in_control_ = false;
          out = WsMessage{};
          const WsOpcode op = it.header.opcode;
          out.kind = op == WsOpcode::Close ? WsMessageKind::Close
                     : op == WsOpcode::Ping ? WsMessageKind::Ping
                                            : WsMessageKind::Pong;
          out.payload = Bytes(control_.data(), control_len_);
          out.length = control_len_;
          out.masked = it.header.masked;
          out.frames = 1;
          if (out.kind == WsMessageKind::Close) {
            if (control_len_ >= 2) {
              out.has_close_code = true;
              out.close_code = be16(control_.data());
              out.close_reason =
                  std::string_view(reinterpret_cast<const char*>(control_.data()) + 2, control_len_ - 2u);
            } else if (control_len_ == 1) {
              out.close_body_malformed = true;
            }
          }
          return Status::Message;
        }
        if (it.header.fin) {
          data_open_ = false;
          data_delivered_ = true;
          out = WsMessage{};
          out.kind = data_kind_;
          out.payload = Bytes(buffer_.data(), data_kept_);
          out.length = data_length_;
          out.truncated = data_truncated_;
          out.compressed = data_compressed_;
          out.masked = data_masked_;
          out.frames = data_frames_;
          return Status::Message;
        }
        break;
    }
  }
}

// ---- names -------------------------------------------------------------------------------------

const char* ws_opcode_name(WsOpcode op) {
  switch (op) {
    case WsOpcode::Continuation: return "continuation";
    case WsOpcode::Text: return "text";
    case WsOpcode::Binary: return "binary";
    case WsOpcode::Close: return "close";
    case WsOpcode::Ping: return "ping";
    case WsOpcode::Pong: return "pong";
  }
  return "other";
}

const char* ws_frame_error_name(WsFrameError e) {
  switch (e) {
    case WsFrameError::None: return "none";
    case WsFrameError::ReservedOpcode: return "reserved_opcode";
    case WsFrameError::LengthTopBit: return "length_top_bit";
    case WsFrameError::ControlTooLong: return "control_too_long";
    case WsFrameError::ControlFragmented: return "control_fragmented";
  }
  return "other";
}

const char* ws_assembly_error_name(WsAssemblyError e) {
  switch (e) {
    case WsAssemblyError::None: return "none";
    case WsAssemblyError::InvalidHeader: return "invalid_header";
    case WsAssemblyError::UnexpectedContinuation: return "unexpected_continuation";
    case WsAssemblyError::DataFrameInFragmentedMessage: return "data_frame_in_fragmented_message";
  }
  return "other";
}

const char* ws_close_code_name(uint16_t code) {
  switch (code) {
    case 1000: return "normal_closure";
    case 1001: return "going_away";
    case 1002: return "protocol_error";
    case 1003: return "unsupported_data";
    case 1005: return "no_status_received";  // never on the wire: what an API reports for no code
    case 1006: return "abnormal_closure";    // never on the wire: connection lost without a close
    case 1007: return "invalid_payload_data";
    case 1008: return "policy_violation";
    case 1009: return "message_too_big";
    case 1010: return "mandatory_extension";
    case 1011: return "internal_error";
    case 1012: return "service_restart";
    case 1013: return "try_again_later";
    case 1014: return "bad_gateway";
    case 1015: return "tls_handshake";
    default: return "other";
  }
}

}  // namespace wcstap
