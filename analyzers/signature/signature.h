// Payload signatures matched with Hyperscan: the built-in protocol recognition patterns (ids below
// 1000) and the user's signatures from the config (`signatures:`), in one database per purpose:
// a block-mode database for datagrams, a streaming-mode database for TCP streams, and the WCS
// message names for WebSocket text. A SignatureDatabase holds them, compiled once per process and
// shared (immutable) by every worker's SignatureEngine; an engine holds what is per thread: its
// scratch and the stream states it opens. Scanning allocates nothing: the scratch is allocated at
// the engine's construction, and Hyperscan's per-stream state once per flow direction when its
// stream is opened (bounded and counted).
//
// hs.h stays in signature.cc: the rest of the analyzers see only this header.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "anomaly/anomaly_kind.h"
#include "config/config.h"
#include "decode/bytes.h"
#include "wcs/wcs_message.h"

namespace YAML {
class Node;
}
struct hs_stream;   // Hyperscan's stream state (hs_stream_t)
struct hs_scratch;  // Hyperscan's scratch space (hs_scratch_t)

namespace wcstap {

// Signature, signature_flag and kFirstUserSignatureId live in config/config.h (the config holds them).


// Reads the config's `signatures` list: the node is the list itself (root["signatures"]; an
// undefined or null node is an empty list). Each entry is
//   {id: 1001, name: "...", pattern: "regex", flags: [caseless, dotall, multiline, singlematch],
//    ports: "5060-5061" or [80, "8000-8100"], severity: minor}
// with id, name and pattern required. Each pattern is compiled alone in both modes here, so a
// pattern Hyperscan refuses is reported with its index (signatures[2].pattern) and Hyperscan's
// message. Throws ConfigError naming `file`, the key and the problem.
std::vector<Signature> parse_signatures(const YAML::Node& list, const std::string& file);

// ---- built-in recognition ----------------------------------------------------------------------

// What a built-in signature recognises. The protocol patterns are anchored at the start of the
// scanned data (a datagram's payload, or a TCP stream's first byte) and match once; the WCS
// message patterns match anywhere in text, once per occurrence.
enum class SignatureProtocol : uint8_t {
  None,              // a user signature
  SipRequest,        // "INVITE sip:... SIP/2.0"
  SipStatus,         // "SIP/2.0 200 "
  HttpRequest,       // "GET /path HTTP/1.1"
  HttpStatus,        // "HTTP/1.1 101 "
  RtspRequest,       // "DESCRIBE rtsp://... RTSP/1.0"
  RtspStatus,        // "RTSP/1.0 200 "
  TlsClientHello,    // handshake record, version 3.0-3.4 (SSL 3.0 to TLS 1.3), first message type 1
  RtmpHandshake,     // C0+C1 (or S0+S1): version 3, 4-byte time, 4 zero bytes (see signature.cc)
  WebsocketUpgrade,  // a GET whose headers hold "Upgrade: websocket" (header name and value caseless)
  WcsMessage,        // "message":"<name>" of WCS's JSON protocol (WcsMessageName)
};

// Built-in ids: a protocol's id is its SignatureProtocol value; a WCS message's is
// kWcsMessageSignatureBase + its WcsMessageName value, and kWcsMessageSignatureBase +
// WcsMessageName::Other is "message":"<any name>" (the prefilter before WCS's JSON is parsed).
constexpr uint32_t kWcsMessageSignatureBase = 100;
constexpr uint32_t signature_id(SignatureProtocol p) { return static_cast<uint32_t>(p); }
constexpr uint32_t signature_id(WcsMessageName n) { return kWcsMessageSignatureBase + static_cast<uint32_t>(n); }

struct BuiltinSignature {
  SignatureProtocol protocol = SignatureProtocol::None;  // None: not a built-in id
  WcsMessageName message = WcsMessageName::Other;         // for WcsMessage
};
BuiltinSignature builtin_signature(uint32_t id);
const char* signature_protocol_name(SignatureProtocol p);  // "sip_request", ...; "none"
// The built-in signatures as compiled (ids, patterns, flags).
const std::vector<Signature>& builtin_signatures();

// ---- the engine --------------------------------------------------------------------------------

// A non-owning reference to a callable void(uint32_t id, uint64_t end): what scans report to,
// without a std::function (no allocation). `end` is the offset just past the match's last byte,
// from the start of the payload (block mode) or of the stream (streaming mode).
class SignatureCallback {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, SignatureCallback> &&
             std::is_invocable_v<F&, uint32_t, uint64_t>)
  SignatureCallback(F&& f)  // NOLINT: implicit, so a lambda can be passed as it is
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* o, uint32_t id, uint64_t end) { (*static_cast<std::remove_reference_t<F>*>(o))(id, end); }) {}
  void operator()(uint32_t id, uint64_t end) const { call_(obj_, id, end); }

 private:
  void* obj_;
  void (*call_)(void*, uint32_t, uint64_t);
};

class SignatureEngine;

// One TCP flow direction's Hyperscan stream. Invalid (valid() false) when not opened, refused
// (too many open) or closed; a handle destroyed while open is closed without reporting.
class SignatureStream {
 public:
  SignatureStream() = default;
  SignatureStream(SignatureStream&& o) noexcept { *this = std::move(o); }
  SignatureStream& operator=(SignatureStream&& o) noexcept;
  SignatureStream(const SignatureStream&) = delete;
  SignatureStream& operator=(const SignatureStream&) = delete;
  ~SignatureStream();
  bool valid() const { return state_ != nullptr; }

 private:
  friend class SignatureEngine;
  hs_stream* state_ = nullptr;
  SignatureEngine* engine_ = nullptr;
  uint16_t src_port_ = 0, dst_port_ = 0;  // the last scanned segment's: port filters at close
};

struct SignatureCounters {
  uint64_t block_scans = 0;
  uint64_t stream_scans = 0;     // segments
  uint64_t bytes = 0;            // scanned, both modes
  uint64_t matches = 0;          // reported to callbacks
  uint64_t port_filtered = 0;    // user signature matches dropped: neither port in its ranges
  uint64_t streams_opened = 0;
  uint64_t streams_refused = 0;  // open_stream() past max_streams (or Hyperscan out of memory)
  uint64_t scan_errors = 0;      // Hyperscan returned an error (should stay 0)
  uint32_t streams_open = 0;
};

// Thrown by SignatureEngine's constructor when Hyperscan refuses the set (a signature's pattern,
// or the whole database). parse_signatures() has already compiled every pattern alone, so with
// signatures from the config this means a limit of the combined database.
class SignatureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The compiled signatures: the built-ins (unless left out) and the user's, in a block-mode and a
// streaming-mode Hyperscan database. Compiled once per process and shared, immutable, by every
// worker's SignatureEngine (Hyperscan databases are read-only while scanning: any number of
// threads may scan one, each with its own scratch). Its prototype scratch is only cloned, by
// engines under construction, never scanned with.
class SignatureDatabase {
 public:
  // Compiles the built-ins (unless `with_builtins` is false) and `user` in block and streaming
  // mode. User ids must be unique and >= kFirstUserSignatureId. Throws SignatureError.
  static std::shared_ptr<const SignatureDatabase> compile(const std::vector<Signature>& user,
                                                          bool with_builtins = true);
  ~SignatureDatabase();
  SignatureDatabase(const SignatureDatabase&) = delete;
  SignatureDatabase& operator=(const SignatureDatabase&) = delete;

  size_t signature_count() const;           // compiled: built-ins and user
  const Signature* find(uint32_t id) const;  // null when no such signature
  size_t stream_state_bytes() const;        // Hyperscan's state per open stream
  size_t database_bytes() const;            // the compiled databases' size (block + streaming + WCS)

 private:
  friend class SignatureEngine;
  SignatureDatabase();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One per worker: the scratch it holds is for one thread at a time, and so are the streams it
// opens. Several engines (one per worker) scan one SignatureDatabase. Neither copied nor moved
// (open streams point back at it).
class SignatureEngine {
 public:
  // On a database compiled once and shared: allocates this engine's scratch only.
  explicit SignatureEngine(std::shared_ptr<const SignatureDatabase> db, uint32_t max_streams = 16384);
  // Compiles a database of its own (SignatureDatabase::compile) for this engine alone.
  explicit SignatureEngine(const std::vector<Signature>& user, uint32_t max_streams = 16384,
                           bool with_builtins = true);
  ~SignatureEngine();
  SignatureEngine(const SignatureEngine&) = delete;
  SignatureEngine& operator=(const SignatureEngine&) = delete;

  // One datagram's payload (or any self-contained buffer).
  void scan_block(Bytes payload, uint16_t src_port, uint16_t dst_port, SignatureCallback on_match);

  // A stream per TCP flow direction. Past max_streams the handle is invalid (counted); scanning
  // or closing an invalid handle does nothing.
  SignatureStream open_stream();
  // The next in-order bytes of the stream (after reassembly).
  void scan_stream(SignatureStream& s, Bytes segment, uint16_t src_port, uint16_t dst_port,
                   SignatureCallback on_match);
  // After a reassembly gap: reports what matches at the end of the bytes before it, then starts
  // over as a new stream (offsets from 0, anchored built-ins may match again at the next byte).
  void restart_stream(SignatureStream& s, SignatureCallback on_match);
  // Reports matches at the end of the stream (patterns ending in `$`), frees the stream state.
  void close_stream(SignatureStream& s, SignatureCallback on_match);

  // WCS's JSON in a WebSocket text message (unmasked), with the WCS message patterns (built-ins
  // only, a block-mode database of their own): every "message":"<name>" reported, as
  // signature_id(WcsMessageName) for a known name and again as signature_id(WcsMessageName::Other)
  // for any name. Nothing without built-ins.
  void scan_wcs_names(Bytes text, SignatureCallback on_match);
  // Whether the text holds a "message":"<name>" at all (the scan stops at the first). A text
  // without one is no WCS message (WcsMessageReader would answer NotWcs or NotJson): the
  // WebSocket analyzer skips its JSON parse. Always true without built-ins (nothing to tell by).
  bool names_wcs_message(Bytes text);

  const SignatureCounters& counters() const { return ctr_; }
  uint32_t max_streams() const { return max_streams_; }
  const std::shared_ptr<const SignatureDatabase>& database() const { return db_; }
  size_t signature_count() const { return db_->signature_count(); }
  const Signature* find(uint32_t id) const { return db_->find(id); }
  size_t stream_state_bytes() const { return db_->stream_state_bytes(); }

 private:
  friend class SignatureStream;
  void discard(SignatureStream& s);  // close without reporting
  std::shared_ptr<const SignatureDatabase> db_;
  const SignatureDatabase::Impl* m_ = nullptr;  // db_'s
  struct hs_scratch* scratch_ = nullptr;        // this engine's (hs_scratch_t)
  uint32_t max_streams_;
  SignatureCounters ctr_;
};

}  // namespace wcstap
