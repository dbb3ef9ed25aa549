// TLS 1.0-1.3 over TCP (RFC 2246, 4346, 5246, 8446) as a passive tap reads it without keys: the
// record layer over in-order stream bytes, the plaintext handshake messages reassembled across
// records, what the hellos offer and select (versions, cipher suites, SNI, ALPN), the server's
// leaf certificate (TLS <= 1.2 only: 1.3 encrypts it), alerts, and the point where a side
// starts encrypting. Pure parsers and fixed-size readers: no allocation except inside
// parse_certificate(), which hands the DER to GnuTLS.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "decode/bytes.h"

namespace wcstap::tls {

// Content types
constexpr uint8_t kChangeCipherSpec = 20, kAlert = 21, kHandshake = 22, kApplicationData = 23,
                  kHeartbeat = 24;
// Handshake message types
constexpr uint8_t kHelloRequest = 0, kClientHello = 1, kServerHello = 2, kNewSessionTicket = 4,
                  kEndOfEarlyData = 5, kEncryptedExtensions = 8, kCertificate = 11,
                  kServerKeyExchange = 12, kCertificateRequest = 13, kServerHelloDone = 14,
                  kCertificateVerify = 15, kClientKeyExchange = 16, kFinished = 20,
                  kCertificateStatus = 22, kKeyUpdate = 24, kMessageHash = 254;
// Versions on the wire. TLS 1.3 drafts (0x7f00 | n) carried their number in ServerHello.version
// before draft 22 and in supported_versions after: version_is_tls13() takes both.
constexpr uint16_t kSsl30 = 0x0300, kTls10 = 0x0301, kTls11 = 0x0302, kTls12 = 0x0303, kTls13 = 0x0304;
constexpr bool version_is_tls13(uint16_t v) { return v == kTls13 || (v & 0xff00) == 0x7f00; }
// GREASE (RFC 8701): 0x?a?a with both bytes equal; offered to keep peers tolerant, never meant.
constexpr bool is_grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

constexpr size_t kRecordHeaderSize = 5;
constexpr size_t kMaxRecordBody = 16384 + 2048;  // TLSCiphertext limit; plaintext is <= 2^14

// Incomplete: the bytes end before the thing does (wait for more). Invalid: they cannot be TLS.
enum class Status : uint8_t { Ok, Incomplete, Invalid };

struct RecordHeader {
  uint8_t type = 0;
  uint16_t version = 0;
  uint16_t length = 0;  // of the body that follows the 5 header bytes
};

// The header at the start of `b`: type 20-24, version 0x0300-0x0304, length <= kMaxRecordBody.
// An SSLv2-framed hello is Invalid: clients have not sent one since ~2015.
Status parse_record_header(Bytes b, RecordHeader& out);

// A stream's first bytes look like TLS: a handshake record whose first message is a ClientHello
// (a bare 5-byte header is not enough to say). For classification on non-standard ports.
bool looks_like_tls(Bytes first);

// One piece of a record's body as it passed in one segment: records span segments and segments
// hold several records, so a record may come in several pieces.
struct RecordPiece {
  RecordHeader header;
  uint16_t offset = 0;  // where `data` starts in the record body
  Bytes data;           // a view into the segment given to feed()
  bool first() const { return offset == 0; }
  bool last() const { return offset + data.size() == header.length; }
};

// The record layer of one direction of a TCP stream, fed its payload in order (the flow's TCP
// reassembly hands over segments in sequence order; a gap makes the rest meaningless, so the
// caller calls reset() and the reader waits for what it can recognise as a record start:
// it does not resync, it reports Invalid on the first bytes that are not a header).
class RecordStream {
 public:
  // The next in-order segment. Pieces of the previous one not yet read are dropped.
  void feed(Bytes segment);
  // Ok: a piece; Incomplete: the segment is used up; Invalid: not TLS (sticky until reset()).
  Status next(RecordPiece& out);
  void reset() { *this = RecordStream{}; }
  bool invalid() const { return invalid_; }
  uint64_t records() const { return records_; }  // headers read

 private:
  Bytes seg_;
  size_t pos_ = 0;
  std::array<uint8_t, kRecordHeaderSize> head_{};
  uint8_t head_len_ = 0;    // header bytes collected so far (a header may straddle segments)
  bool in_body_ = false;
  RecordHeader cur_{};
  uint16_t body_done_ = 0;  // body bytes already handed out
  bool invalid_ = false;
  uint64_t records_ = 0;
};

// One handshake message: type, length and the whole body (a view valid until the next call to
// the object that returned it). `skipped` means it was longer than the assembler's buffer: its
// bytes passed unread and `body` is empty.
struct HandshakeMessage {
  uint8_t type = 0;
  uint32_t length = 0;
  Bytes body;
  bool skipped = false;
};

// Handshake messages of one direction out of the handshake records' bodies (messages may span
// records; records may hold several messages). The buffer is the caller's: the assembler holds a
// span so that a flow's fixed-size state need not carry 32 KiB per direction; a pool can lend one
// for the handshake's life (a leaf certificate chain fits in 32 KiB). A message that lies whole in
// a piece is returned as a view into it without a copy.
class HandshakeAssembler {
 public:
  explicit HandshakeAssembler(std::span<uint8_t> buffer) : buf_(buffer) {}
  // Bytes of handshake records, in order (record boundaries do not matter), given once next()
  // has said Incomplete: what the previous bytes still held would be dropped.
  void feed(Bytes handshake_bytes);
  // Ok: a message; Incomplete: wants more bytes; Invalid: a message type no TLS version defines,
  // i.e. these bytes are not plaintext handshake (sticky until reset()).
  Status next(HandshakeMessage& out);
  void reset();  // drops a message half read; the skipped() count stays
  uint32_t skipped() const { return skipped_; }  // messages over the buffer's capacity

 private:
  std::span<uint8_t> buf_;
  Bytes in_;
  size_t in_pos_ = 0;
  std::array<uint8_t, 4> head_{};
  uint8_t head_len_ = 0;
  uint32_t length_ = 0;
  uint32_t have_ = 0;       // body bytes buffered (or skipped) so far
  bool invalid_ = false;
  uint32_t skipped_ = 0;
};

// What one direction's record stream shows, item by item.
enum class ItemKind : uint8_t {
  Handshake,           // a plaintext handshake message: `message`
  ChangeCipherSpec,    // TLS <= 1.2: this side encrypts from now on; TLS 1.3: a compatibility no-op
  Alert,               // a plaintext alert: `alert_level`, `alert_description`
  EncryptedAlert,      // an alert record sent after ChangeCipherSpec (or not 2 bytes): unreadable
  EncryptedHandshake,  // a handshake record sent after ChangeCipherSpec (TLS <= 1.2: Finished...)
  ApplicationData,     // an application_data record: app data, or TLS 1.3's encrypted handshake
  Heartbeat,
  HandshakeUndecodable,  // plaintext handshake bytes that do not parse: reported once, then ignored
};

struct Item {
  ItemKind kind = ItemKind::Handshake;
  RecordHeader record;      // the record the item came in (for a message: the last one)
  HandshakeMessage message;
  uint8_t alert_level = 0;  // 1 warning, 2 fatal
  uint8_t alert_description = 0;
};

// One direction of a TLS connection: RecordStream + HandshakeAssembler + when to stop reading.
// Encryption tracking, the design: a side's handshake and alert records are plaintext until that
// side sends ChangeCipherSpec (TLS <= 1.2). TLS 1.3 sends every encrypted record as
// application_data, so a 1.3 handshake record is always plaintext (the second ClientHello after a
// HelloRetryRequest may follow the client's compatibility CCS) and its CCS encrypts nothing: the
// reader must know the version. It learns it from a ServerHello it reads itself (the server's
// direction); the client's direction is told by the caller with set_version() once the server's
// ServerHello has been parsed. Before that it assumes TLS <= 1.2.
class DirectionReader {
 public:
  explicit DirectionReader(std::span<uint8_t> buffer) : hs_(buffer) {}
  void feed(Bytes segment) { rs_.feed(segment); }
  // Ok: an item; Incomplete: the segment is used up; Invalid: the stream is not TLS.
  Status next(Item& out);
  void set_version(uint16_t negotiated) { version_ = negotiated; }
  uint16_t version() const { return version_; }  // 0 until known
  // Nothing more in clear will come: this side encrypts (CCS in TLS <= 1.2, or the TLS 1.3
  // ServerHello was read). The caller may then hand the buffer back to its pool.
  bool plaintext_over() const { return encrypted_ || hello_13_; }
  uint32_t skipped_messages() const { return hs_.skipped(); }

 private:
  RecordStream rs_;
  HandshakeAssembler hs_;
  RecordHeader last_record_{};
  uint16_t version_ = 0;
  std::array<uint8_t, 2> alert_{};
  uint8_t alert_len_ = 0;
  bool feeding_ = false;    // hs_ holds a piece not yet read to its end
  bool encrypted_ = false;
  bool hello_13_ = false;
  bool undecodable_ = false;
};

constexpr size_t kListedSuites = 8;  // the first cipher suites a ClientHello offers, kept in order
constexpr size_t kListedAlpn = 4;

// A ClientHello body. Views point into the message body. SNI and ALPN are the wire's bytes:
// escape them before printing. GREASE values are skipped everywhere and only counted.
struct ClientHello {
  uint16_t legacy_version = 0;
  uint16_t max_version = 0;         // highest non-GREASE supported_versions entry, else legacy
  bool has_supported_versions = false;
  uint8_t session_id_len = 0;
  uint16_t cipher_suite_count = 0;  // non-GREASE suites offered
  std::array<uint16_t, kListedSuites> cipher_suites{};  // the first of them
  uint8_t compression_methods = 0;
  bool offers_compression = false;  // a method other than null (CRIME-prone)
  uint16_t extension_count = 0;     // non-GREASE extensions
  bool has_sni = false;
  std::string_view sni;             // the first host_name; empty unless printable ASCII
  bool sni_malformed = false;       // a server_name extension that does not parse or print
  uint8_t alpn_count = 0;           // protocols offered
  std::array<std::string_view, kListedAlpn> alpn{};  // the first of them
  uint8_t grease = 0;               // GREASE values seen (suites, extensions, versions)
};

// A ServerHello body, or a HelloRetryRequest (TLS 1.3 sends it as a ServerHello with a fixed
// random value).
struct ServerHello {
  uint16_t legacy_version = 0;
  uint16_t version = 0;             // supported_versions when present (TLS 1.3), else legacy
  bool hello_retry_request = false;
  uint8_t session_id_len = 0;
  uint16_t cipher_suite = 0;
  uint8_t compression_method = 0;
  uint16_t extension_count = 0;
  bool has_alpn = false;
  std::string_view alpn;            // the protocol selected
};

// False when the body does not parse (lengths run past it, an empty suite list, ...).
bool parse_client_hello(Bytes body, ClientHello& out);
bool parse_server_hello(Bytes body, ServerHello& out);

// The leaf certificate of a TLS <= 1.2 Certificate message.
struct CertificateInfo {
  uint16_t chain_length = 0;        // certificates in the message
  Bytes leaf_der;                   // the first certificate: what a pinned fingerprint hashes
  std::array<char, 256> subject{};  // RFC 4514 DN, NUL-terminated, cut to fit
  std::array<char, 128> subject_cn{};
  std::array<char, 256> issuer{};
  int64_t not_before = 0, not_after = 0;  // Unix seconds
};

enum class CertStatus : uint8_t {
  Ok,
  Empty,        // no certificate (a client declining a CertificateRequest)
  Malformed,    // the TLS framing does not hold
  Undecodable,  // GnuTLS refused the leaf's DER: leaf_der and chain_length stand, names do not
};

// Walks the certificate_list and decodes the leaf with GnuTLS (the one place that allocates,
// inside GnuTLS; certificates are rare). Never throws.
CertStatus parse_certificate(Bytes body, CertificateInfo& out);

// The leaf certificates decoded lately, by the SHA-256 of their DER: a server shows the same one
// on every connection, so GnuTLS (which allocates, and costs a few hundred microseconds) decodes
// each one once. 32 entries (about 22 KiB); the oldest makes room. Not thread-safe: one per worker.
class CertificateCache {
 public:
  // As parse_certificate; the leaf's names and validity from the cache when it was decoded lately.
  CertStatus parse(Bytes body, CertificateInfo& out);
  uint64_t hits() const { return hits_; }

 private:
  struct Entry {
    std::array<uint8_t, 32> digest{};
    bool used = false;
    CertStatus status = CertStatus::Undecodable;
    CertificateInfo info;  // leaf_der empty: it pointed into a message long gone
  };
  std::array<Entry, 32> entries_{};
  uint32_t next_ = 0;
  uint64_t hits_ = 0;
};
// Whole days from `now` (Unix seconds) to notAfter, rounded down; negative once expired.
int64_t days_to_expiry(const CertificateInfo& cert, int64_t now);

const char* alert_name(uint8_t description);  // "handshake_failure", ...; "other"
const char* alert_level_name(uint8_t level);  // "warning", "fatal"; "other"
const char* version_name(uint16_t version);   // "SSL 3.0", "TLS 1.0" ... "TLS 1.3", "TLS 1.3 draft"; "other"
const char* handshake_name(uint8_t type);     // "client_hello", ...; "other"
const char* item_kind_name(ItemKind k);

}  // namespace wcstap::tls
