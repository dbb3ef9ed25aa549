#include "signature/signature.h"

#include <hs/hs.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>
#include <string_view>

namespace wcstap {

static_assert(signature_flag::kCaseless == HS_FLAG_CASELESS && signature_flag::kDotall == HS_FLAG_DOTALL &&
              signature_flag::kMultiline == HS_FLAG_MULTILINE &&
              signature_flag::kSingleMatch == HS_FLAG_SINGLEMATCH);

namespace {

// Hyperscan's message when it refuses `pattern` alone in `mode`, else empty.
std::string refusal(const std::string& pattern, unsigned flags, unsigned mode) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile(pattern.c_str(), flags, mode, nullptr, &db, &err) == HS_SUCCESS) {
    hs_free_database(db);
    return {};
  }
  std::string msg = err && err->message ? err->message : "refused";
  hs_free_compile_error(err);
  return msg;
}

// ---- the config section ------------------------------------------------------------------------

struct FlagName {
  const char* name;
  unsigned flag;
};
constexpr FlagName kFlagNames[] = {{"caseless", signature_flag::kCaseless},
                                   {"dotall", signature_flag::kDotall},
                                   {"multiline", signature_flag::kMultiline},
                                   {"singlematch", signature_flag::kSingleMatch}};

class SignatureReader {
 public:
  explicit SignatureReader(const std::string& file) : file_(file) {}

  // As the config loader words a key: "signatures[2].pattern (line 14)".
  [[noreturn]] void fail(const std::string& key, const YAML::Node& n, const std::string& problem) const {
    std::string where = key;
    if (n.IsDefined() && n.Mark().line >= 0) where += " (line " + std::to_string(n.Mark().line + 1) + ")";
    throw ConfigError(file_, where, problem);
  }

  std::string scalar(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(key, n, "expected a single value");
    return n.Scalar();
  }

  uint16_t port(const YAML::Node& n, const std::string& key, std::string_view part, const std::string& all) const {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || p != part.data() + part.size() || v == 0 || v > 65535)
      fail(key, n, "expected a port 1-65535 or a range 'from-to', got '" + all + "'");
    return static_cast<uint16_t>(v);
  }

  PortRange port_range(const YAML::Node& n, const std::string& key) const {
    const std::string s = scalar(n, key);
    const auto dash = s.find('-');
    PortRange r;
    if (dash == std::string::npos) {
      r.from = r.to = port(n, key, s, s);
    } else {
      r.from = port(n, key, std::string_view(s).substr(0, dash), s);
      r.to = port(n, key, std::string_view(s).substr(dash + 1), s);
      if (r.from > r.to) fail(key, n, "range '" + s + "' runs backwards");
    }
    return r;
  }

  std::vector<PortRange> ports(const YAML::Node& n, const std::string& key) const {
    std::vector<PortRange> out;
    if (n.IsSequence()) {
      if (n.size() == 0) fail(key, n, "an empty list: leave `ports` out to match any port");
      for (size_t i = 0; i < n.size(); ++i) out.push_back(port_range(n[i], key + "[" + std::to_string(i) + "]"));
    } else {
      out.push_back(port_range(n, key));
    }
    return out;
  }

  unsigned flags(const YAML::Node& n, const std::string& key) const {
    auto one = [&](const YAML::Node& f, const std::string& k) -> unsigned {
      const std::string s = scalar(f, k);
      for (const auto& fn : kFlagNames)
        if (s == fn.name) return fn.flag;
      fail(k, f, "unknown flag '" + s + "' (known: caseless, dotall, multiline, singlematch)");
    };
    if (n.IsNull()) return 0;
    if (n.IsScalar()) return one(n, key);
    if (!n.IsSequence()) fail(key, n, "expected a list of flags");
    unsigned out = 0;
    for (size_t i = 0; i < n.size(); ++i) out |= one(n[i], key + "[" + std::to_string(i) + "]");
    return out;
  }

  Signature entry(const YAML::Node& e, const std::string& at) const {
    if (!e.IsMap()) fail(at, e, "expected a mapping {id, name, pattern, flags, ports, severity}");
    static const std::set<std::string> known{"id", "name", "pattern", "flags", "ports", "severity"};
    for (const auto& kv : e) {
      const std::string k = kv.first.as<std::string>();
      if (!known.count(k))
        fail(at + "." + k, kv.first, "unknown key (known: flags, id, name, pattern, ports, severity)");
    }
    Signature s;
    const YAML::Node id = e["id"];
    if (!id) fail(at + ".id", e, "missing: every signature needs an id (" +
                                     std::to_string(kFirstUserSignatureId) + " or more)");
    const std::string ids = scalar(id, at + ".id");
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(ids.data(), ids.data() + ids.size(), v);
    if (ec != std::errc() || p != ids.data() + ids.size() || v < kFirstUserSignatureId || v > UINT32_MAX)
      fail(at + ".id", id, "expected a whole number from " + std::to_string(kFirstUserSignatureId) + " to " +
                               std::to_string(UINT32_MAX) + " (lower ids are the built-ins'), got '" + ids + "'");
    s.id = static_cast<uint32_t>(v);

    const YAML::Node name = e["name"];
    if (!name) fail(at + ".name", e, "missing: every signature needs a name");
    s.name = scalar(name, at + ".name");
    if (s.name.empty() || s.name.size() > 128) fail(at + ".name", name, "must be 1 to 128 characters");

    if (const YAML::Node f = e["flags"]) s.flags = flags(f, at + ".flags");

    const YAML::Node pat = e["pattern"];
    if (!pat) fail(at + ".pattern", e, "missing: every signature needs a pattern");
    s.pattern = scalar(pat, at + ".pattern");
    if (s.pattern.empty()) fail(at + ".pattern", pat, "empty");
    if (s.pattern.find('\0') != std::string::npos)
      fail(at + ".pattern", pat, "holds a NUL character: write it as \\x00");
    for (unsigned mode : {unsigned{HS_MODE_BLOCK}, unsigned{HS_MODE_STREAM}}) {
      const std::string why = refusal(s.pattern, s.flags, mode);
      if (!why.empty())
        fail(at + ".pattern", pat,
             "Hyperscan refuses the pattern" + std::string(mode == HS_MODE_STREAM ? " in streaming mode" : "") +
                 ": " + why);
    }

    if (const YAML::Node pn = e["ports"]) s.ports = ports(pn, at + ".ports");

    if (const YAML::Node sv = e["severity"]) {
      const std::string sn = scalar(sv, at + ".severity");
      const auto sev = severity_from_name(sn);
      if (!sev) fail(at + ".severity", sv, "unknown severity '" + sn + "' (known: info, minor, major, critical)");
      s.severity = *sev;
    }
    return s;
  }

 private:
  const std::string& file_;
};

// ---- built-ins ---------------------------------------------------------------------------------

constexpr unsigned kAnchored = signature_flag::kSingleMatch;

std::vector<Signature> make_builtins() {
  std::vector<Signature> b;
  auto add = [&](SignatureProtocol p, const char* pattern, unsigned flags) {
    b.push_back(Signature{signature_id(p), pattern, flags, {}, Severity::Info, signature_protocol_name(p)});
  };
  // Request lines: method, a target without spaces, the version, the line's end (so a text that
  // merely starts with "INVITE " is not taken for SIP).
  add(SignatureProtocol::SipRequest,
      R"(^(?:INVITE|ACK|BYE|CANCEL|OPTIONS|REGISTER|PRACK|SUBSCRIBE|NOTIFY|PUBLISH|INFO|REFER|MESSAGE|UPDATE) )"
      R"([^ \r\n]+ SIP/2\.0\r?\n)",
      kAnchored);
  add(SignatureProtocol::SipStatus, R"(^SIP/2\.0 [1-6][0-9][0-9] )", kAnchored);
  add(SignatureProtocol::HttpRequest,
      R"(^(?:GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) [^ \r\n]+ HTTP/1\.[01]\r?\n)", kAnchored);
  add(SignatureProtocol::HttpStatus, R"(^HTTP/1\.[01] [1-5][0-9][0-9][ \r])", kAnchored);
  add(SignatureProtocol::RtspRequest,
      R"(^(?:OPTIONS|DESCRIBE|SETUP|PLAY|PAUSE|TEARDOWN|ANNOUNCE|RECORD|GET_PARAMETER|SET_PARAMETER|REDIRECT) )"
      R"([^ \r\n]+ RTSP/1\.0\r?\n)",
      kAnchored);
  add(SignatureProtocol::RtspStatus, R"(^RTSP/1\.0 [1-5][0-9][0-9][ \r])", kAnchored);
  // A handshake record (22), record version 3.0-3.4, two length bytes, handshake type 1.
  add(SignatureProtocol::TlsClientHello, R"(^\x16\x03[\x00-\x04]..\x01)", kAnchored | signature_flag::kDotall);
  // RTMP C0+C1 is version 3 then 1536 bytes: 4 of time, 4 of zero, 1528 random. A bounded repeat
  // of 1528 would blow up the streaming state, so only the first 9 bytes are checked: weak. Any
  // payload starting 03 xx xx xx xx 00 00 00 00 matches (1 in 2^40 for random bytes), S0+S1 looks
  // the same, and a client using Flash's digest handshake (non-zero "zero" field: the player
  // version, e.g. 80 00 07 02) is missed. A flow on an RTMP port needs no pattern anyway.
  add(SignatureProtocol::RtmpHandshake, R"(^\x03.{4}\x00\x00\x00\x00)", kAnchored | signature_flag::kDotall);
  // Header lines up to the Upgrade header; method and version as sent, header and token caseless.
  add(SignatureProtocol::WebsocketUpgrade,
      R"(^GET [^ \r\n]+ HTTP/1\.1\r\n(?:[^\r\n]+\r\n)*(?i:upgrade:[ \t]*websocket))", kAnchored);
  // WCS message names: anywhere in a text, every time. Compiled apart (a block-mode database of
  // their own, SignatureEngine::scan_wcs_names): the WebSocket analyzer scans each unmasked text
  // message with them before parsing it as JSON. The last, id kWcsMessageSignatureBase + Other,
  // is any name: a text without it holds no WCS message (not worth a JSON parse).
  for (unsigned n = 0; n < static_cast<unsigned>(WcsMessageName::Other); ++n) {
    const auto m = static_cast<WcsMessageName>(n);
    b.push_back(Signature{signature_id(m), std::string(R"("message"\s*:\s*")") + wcs_message_name(m) + "\"", 0,
                          {}, Severity::Info, std::string("wcs_") + wcs_message_name(m)});
  }
  b.push_back(Signature{signature_id(WcsMessageName::Other), R"("message"\s*:\s*")", 0, {}, Severity::Info,
                        "wcs_message"});
  return b;
}

// A compiled signature as the match callback needs it.
struct SigEntry {
  uint32_t id = 0;
  uint32_t port_from = 0, port_count = 0;  // into the engine's port ranges
};

}  // namespace

std::vector<Signature> parse_signatures(const YAML::Node& list, const std::string& file) {
  std::vector<Signature> out;
  if (!list.IsDefined() || list.IsNull()) return out;
  SignatureReader r(file);
  if (!list.IsSequence()) r.fail("signatures", list, "expected a list of signatures");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = "signatures[" + std::to_string(i) + "]";
    Signature s = r.entry(list[i], at);
    for (size_t j = 0; j < out.size(); ++j)
      if (out[j].id == s.id)
        r.fail(at + ".id", list[i]["id"],
               "duplicate id " + std::to_string(s.id) + " (also signatures[" + std::to_string(j) + "])");
    out.push_back(std::move(s));
  }
  return out;
}

const char* signature_protocol_name(SignatureProtocol p) {
  switch (p) {
    case SignatureProtocol::None: return "none";
    case SignatureProtocol::SipRequest: return "sip_request";
    case SignatureProtocol::SipStatus: return "sip_status";
    case SignatureProtocol::HttpRequest: return "http_request";
    case SignatureProtocol::HttpStatus: return "http_status";
    case SignatureProtocol::RtspRequest: return "rtsp_request";
    case SignatureProtocol::RtspStatus: return "rtsp_status";
    case SignatureProtocol::TlsClientHello: return "tls_client_hello";
    case SignatureProtocol::RtmpHandshake: return "rtmp_handshake";
    case SignatureProtocol::WebsocketUpgrade: return "websocket_upgrade";
    case SignatureProtocol::WcsMessage: return "wcs_message";
  }
  return "none";
}

BuiltinSignature builtin_signature(uint32_t id) {
  BuiltinSignature b;
  if (id >= signature_id(SignatureProtocol::SipRequest) && id <= signature_id(SignatureProtocol::WebsocketUpgrade)) {
    b.protocol = static_cast<SignatureProtocol>(id);
  } else if (id >= kWcsMessageSignatureBase &&
             id <= kWcsMessageSignatureBase + static_cast<uint32_t>(WcsMessageName::Other)) {
    b.protocol = SignatureProtocol::WcsMessage;
    b.message = static_cast<WcsMessageName>(id - kWcsMessageSignatureBase);
  }
  return b;
}

const std::vector<Signature>& builtin_signatures() {
  static const std::vector<Signature> b = make_builtins();
  return b;
}

// ---- the database ------------------------------------------------------------------------------

namespace {

// Compiles `sigs` (Hyperscan's id for sigs[i] is i) in `mode`; null when `sigs` is empty.
hs_database_t* compile_set(const std::vector<Signature>& sigs, unsigned mode, const char* what) {
  if (sigs.empty()) return nullptr;
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  for (size_t i = 0; i < sigs.size(); ++i) {
    exprs.push_back(sigs[i].pattern.c_str());
    flags.push_back(sigs[i].flags);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), mode, nullptr,
                       &db, &err) != HS_SUCCESS) {
    std::string msg = err && err->message ? err->message : "refused";
    if (err && err->expression >= 0 && static_cast<size_t>(err->expression) < sigs.size()) {
      const Signature& s = sigs[static_cast<size_t>(err->expression)];
      msg = "signature " + std::to_string(s.id) + " (" + s.name + "): " + msg;
    }
    hs_free_compile_error(err);
    throw SignatureError(std::string("Hyperscan refuses the ") + what + " database: " + msg);
  }
  return db;
}

size_t db_size(const hs_database_t* db) {
  size_t n = 0;
  if (db) hs_database_size(db, &n);
  return n;
}

}  // namespace

// Immutable once compile() returns: engines on several threads read it at once.
struct SignatureDatabase::Impl {
  // The protocol built-ins and the user's, in both modes; Hyperscan's id for sigs[i] is i.
  std::vector<Signature> sigs;
  std::vector<SigEntry> entries;
  std::vector<PortRange> ports;
  hs_database_t* block_db = nullptr;
  hs_database_t* stream_db = nullptr;
  // The WCS message names (block mode, for WebSocket text): Hyperscan's id is the signature id.
  hs_database_t* wcs_db = nullptr;
  // The last of them alone ("message":"<any name>"): the prefilter's, whose scan stops at its first
  // match. One pattern is a plain literal search: cheaper than the set on a text that has none.
  hs_database_t* wcs_any_db = nullptr;
  hs_scratch_t* prototype = nullptr;  // fits every database above: cloned by each engine

  ~Impl() {
    hs_free_scratch(prototype);
    hs_free_database(block_db);
    hs_free_database(stream_db);
    hs_free_database(wcs_db);
    hs_free_database(wcs_any_db);
  }
};

SignatureDatabase::SignatureDatabase() : impl_(std::make_unique<Impl>()) {}
SignatureDatabase::~SignatureDatabase() = default;

std::shared_ptr<const SignatureDatabase> SignatureDatabase::compile(const std::vector<Signature>& user,
                                                                    bool with_builtins) {
  std::shared_ptr<SignatureDatabase> db(new SignatureDatabase());
  Impl& m = *db->impl_;
  std::vector<Signature> wcs;
  if (with_builtins)
    for (const Signature& s : builtin_signatures())
      (builtin_signature(s.id).protocol == SignatureProtocol::WcsMessage ? wcs : m.sigs).push_back(s);
  std::set<uint32_t> seen;
  for (const Signature& s : user) {
    if (s.id < kFirstUserSignatureId)
      throw SignatureError("signature " + std::to_string(s.id) + " (" + s.name + "): ids below " +
                           std::to_string(kFirstUserSignatureId) + " are the built-ins'");
    if (!seen.insert(s.id).second) throw SignatureError("signature " + std::to_string(s.id) + ": duplicate id");
    m.sigs.push_back(s);
  }
  for (const Signature& s : m.sigs) {
    m.entries.push_back({s.id, static_cast<uint32_t>(m.ports.size()), static_cast<uint32_t>(s.ports.size())});
    m.ports.insert(m.ports.end(), s.ports.begin(), s.ports.end());
  }
  m.block_db = compile_set(m.sigs, HS_MODE_BLOCK, "block");
  m.stream_db = compile_set(m.sigs, HS_MODE_STREAM, "streaming");
  if (!wcs.empty()) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags, ids;
    for (const Signature& s : wcs) {
      exprs.push_back(s.pattern.c_str());
      flags.push_back(s.flags);
      ids.push_back(s.id);
    }
    const auto compile = [](const char* const* e, const unsigned* f, const unsigned* i, unsigned n) {
      hs_database_t* db = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_compile_multi(e, f, i, n, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
        const std::string msg = err && err->message ? err->message : "refused";
        hs_free_compile_error(err);
        throw SignatureError("Hyperscan refuses the WCS message database: " + msg);
      }
      return db;
    };
    const auto n = static_cast<unsigned>(exprs.size());
    m.wcs_db = compile(exprs.data(), flags.data(), ids.data(), n);
    // builtin_signatures() lists the any-name pattern last
    if (wcs.back().id != signature_id(WcsMessageName::Other))
      throw SignatureError("the WCS message patterns do not end with the any-name one");
    m.wcs_any_db = compile(exprs.data() + n - 1, flags.data() + n - 1, ids.data() + n - 1, 1);
  }
  // One scratch serves every database: each call grows it to fit.
  for (const hs_database_t* d : {m.block_db, m.stream_db, m.wcs_db, m.wcs_any_db})
    if (d && hs_alloc_scratch(d, &m.prototype) != HS_SUCCESS)
      throw SignatureError("Hyperscan could not allocate its scratch space");
  return db;
}

size_t SignatureDatabase::signature_count() const {
  const Impl& m = *impl_;
  size_t n = m.sigs.size();
  if (m.wcs_db) n += static_cast<size_t>(WcsMessageName::Other) + 1;
  return n;
}

const Signature* SignatureDatabase::find(uint32_t id) const {
  for (const Signature& s : impl_->sigs)
    if (s.id == id) return &s;
  if (impl_->wcs_db && builtin_signature(id).protocol == SignatureProtocol::WcsMessage)
    for (const Signature& s : builtin_signatures())
      if (s.id == id) return &s;
  return nullptr;
}

size_t SignatureDatabase::stream_state_bytes() const {
  size_t n = 0;
  if (impl_->stream_db) hs_stream_size(impl_->stream_db, &n);
  return n;
}

size_t SignatureDatabase::database_bytes() const {
  return db_size(impl_->block_db) + db_size(impl_->stream_db) + db_size(impl_->wcs_db) + db_size(impl_->wcs_any_db);
}

// ---- the engine --------------------------------------------------------------------------------

namespace {

struct ScanContext {
  const SigEntry* entries;
  const PortRange* ports;
  SignatureCounters* ctr;
  uint16_t src, dst;
  const SignatureCallback* cb;
};

int on_hs_match(unsigned int idx, unsigned long long /*from*/, unsigned long long to, unsigned int /*flags*/,
                void* ctx) {
  auto* c = static_cast<ScanContext*>(ctx);
  const SigEntry& e = c->entries[idx];
  if (e.port_count > 0) {
    bool in = false;
    for (uint32_t i = 0; i < e.port_count && !in; ++i) {
      const PortRange& r = c->ports[e.port_from + i];
      in = r.contains(c->src) || r.contains(c->dst);
    }
    if (!in) {
      ++c->ctr->port_filtered;
      return 0;
    }
  }
  ++c->ctr->matches;
  (*c->cb)(e.id, to);
  return 0;
}

// The first WCS message name found: enough, the scan stops.
int on_wcs_name(unsigned int, unsigned long long, unsigned long long, unsigned int, void*) { return 1; }

}  // namespace

SignatureEngine::SignatureEngine(std::shared_ptr<const SignatureDatabase> db, uint32_t max_streams)
    : db_(std::move(db)), m_(db_ ? db_->impl_.get() : nullptr), max_streams_(max_streams) {
  if (!db_) throw SignatureError("no signature database");
  if (m_->prototype && hs_clone_scratch(m_->prototype, &scratch_) != HS_SUCCESS)
    throw SignatureError("Hyperscan could not allocate its scratch space");
}

SignatureEngine::SignatureEngine(const std::vector<Signature>& user, uint32_t max_streams, bool with_builtins)
    : SignatureEngine(SignatureDatabase::compile(user, with_builtins), max_streams) {}

SignatureEngine::~SignatureEngine() { hs_free_scratch(scratch_); }

void SignatureEngine::scan_block(Bytes payload, uint16_t src_port, uint16_t dst_port, SignatureCallback on_match) {
  if (!m_->block_db || payload.empty()) return;
  ++ctr_.block_scans;
  ctr_.bytes += payload.size();
  ScanContext ctx{m_->entries.data(), m_->ports.data(), &ctr_, src_port, dst_port, &on_match};
  const hs_error_t rc = hs_scan(m_->block_db, reinterpret_cast<const char*>(payload.data()),
                                static_cast<unsigned>(payload.size()), 0, scratch_, on_hs_match, &ctx);
  if (rc != HS_SUCCESS) ++ctr_.scan_errors;
}

void SignatureEngine::scan_wcs_names(Bytes text, SignatureCallback on_match) {
  if (!m_->wcs_db || text.empty()) return;
  ++ctr_.block_scans;
  ctr_.bytes += text.size();
  struct Ctx {
    SignatureCounters* ctr;
    const SignatureCallback* cb;
  } ctx{&ctr_, &on_match};
  const auto each = [](unsigned int id, unsigned long long, unsigned long long to, unsigned int, void* p) -> int {
    auto* c = static_cast<Ctx*>(p);
    ++c->ctr->matches;
    (*c->cb)(id, to);
    return 0;
  };
  if (hs_scan(m_->wcs_db, reinterpret_cast<const char*>(text.data()), static_cast<unsigned>(text.size()), 0, scratch_,
              each, &ctx) != HS_SUCCESS)
    ++ctr_.scan_errors;
}

bool SignatureEngine::names_wcs_message(Bytes text) {
  if (!m_->wcs_any_db) return true;
  if (text.empty()) return false;
  ++ctr_.block_scans;
  ctr_.bytes += text.size();
  const hs_error_t rc = hs_scan(m_->wcs_any_db, reinterpret_cast<const char*>(text.data()),
                                static_cast<unsigned>(text.size()), 0, scratch_, on_wcs_name, nullptr);
  if (rc == HS_SCAN_TERMINATED) {
    ++ctr_.matches;
    return true;
  }
  if (rc == HS_SUCCESS) return false;
  ++ctr_.scan_errors;
  return true;  // not known: let the parser decide
}

SignatureStream SignatureEngine::open_stream() {
  SignatureStream s;
  if (!m_->stream_db) return s;
  hs_stream_t* st = nullptr;
  if (ctr_.streams_open >= max_streams_ || hs_open_stream(m_->stream_db, 0, &st) != HS_SUCCESS) {
    ++ctr_.streams_refused;
    return s;
  }
  ++ctr_.streams_opened;
  ++ctr_.streams_open;
  s.state_ = st;
  s.engine_ = this;
  return s;
}

void SignatureEngine::scan_stream(SignatureStream& s, Bytes segment, uint16_t src_port, uint16_t dst_port,
                                  SignatureCallback on_match) {
  if (!s.valid()) return;
  s.src_port_ = src_port;
  s.dst_port_ = dst_port;
  if (segment.empty()) return;
  ++ctr_.stream_scans;
  ctr_.bytes += segment.size();
  ScanContext ctx{m_->entries.data(), m_->ports.data(), &ctr_, src_port, dst_port, &on_match};
  const hs_error_t rc = hs_scan_stream(s.state_, reinterpret_cast<const char*>(segment.data()),
                                       static_cast<unsigned>(segment.size()), 0, scratch_, on_hs_match, &ctx);
  if (rc != HS_SUCCESS) ++ctr_.scan_errors;
}

void SignatureEngine::restart_stream(SignatureStream& s, SignatureCallback on_match) {
  if (!s.valid()) return;
  ScanContext ctx{m_->entries.data(), m_->ports.data(), &ctr_, s.src_port_, s.dst_port_, &on_match};
  if (hs_reset_stream(s.state_, 0, scratch_, on_hs_match, &ctx) != HS_SUCCESS) ++ctr_.scan_errors;
}

void SignatureEngine::close_stream(SignatureStream& s, SignatureCallback on_match) {
  if (!s.valid()) return;
  ScanContext ctx{m_->entries.data(), m_->ports.data(), &ctr_, s.src_port_, s.dst_port_, &on_match};
  if (hs_close_stream(s.state_, scratch_, on_hs_match, &ctx) != HS_SUCCESS) ++ctr_.scan_errors;
  --ctr_.streams_open;
  s.state_ = nullptr;
  s.engine_ = nullptr;
}

void SignatureEngine::discard(SignatureStream& s) {
  hs_close_stream(s.state_, nullptr, nullptr, nullptr);
  --ctr_.streams_open;
  s.state_ = nullptr;
  s.engine_ = nullptr;
}

SignatureStream& SignatureStream::operator=(SignatureStream&& o) noexcept {
  if (this == &o) return *this;
  if (state_ && engine_) engine_->discard(*this);
  state_ = o.state_;
  engine_ = o.engine_;
  src_port_ = o.src_port_;
  dst_port_ = o.dst_port_;
  o.state_ = nullptr;
  o.engine_ = nullptr;
  return *this;
}

SignatureStream::~SignatureStream() {
  if (state_ && engine_) engine_->discard(*this);
}

}  // namespace wcstap
