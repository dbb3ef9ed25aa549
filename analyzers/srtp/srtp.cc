#include "srtp/srtp.h"

#include <srtp2/srtp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "text/text_message.h"

namespace wcstap {

namespace {

// libsrtp's global set-up, once per process (workers share it; sessions are per worker).
void init_libsrtp() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (srtp_init() != srtp_err_status_ok) throw std::runtime_error("libsrtp: srtp_init failed");
  });
}

void set_policy(SrtpSuite s, srtp_crypto_policy_t& rtp, srtp_crypto_policy_t& rtcp) {
  switch (s) {
    case SrtpSuite::AesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtcp);
      break;
    case SrtpSuite::AesCm128HmacSha1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtcp);  // RFC 5764 4.1.2: SRTCP keeps the 80-bit tag
      break;
    case SrtpSuite::AeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtcp);
      break;
    case SrtpSuite::AeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtcp);
      break;
  }
}

SrtpVerdict verdict(srtp_err_status_t st) {
  switch (st) {
    case srtp_err_status_ok: return SrtpVerdict::Ok;
    case srtp_err_status_auth_fail: return SrtpVerdict::AuthFailed;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return SrtpVerdict::Replayed;
    default: return SrtpVerdict::Unreadable;  // an MKI the key does not have, a runt, ...
  }
}

// libsrtp works in place: a copy of the packet, cut to the clear length when it verifies.
template <class Unprotect>
SrtpVerdict unprotect_copy(Bytes packet, std::vector<uint8_t>& out, Unprotect&& unprotect) {
  out.assign(packet.begin(), packet.end());
  int len = static_cast<int>(out.size());
  const SrtpVerdict v = verdict(unprotect(out.data(), &len));
  if (v == SrtpVerdict::Ok) out.resize(static_cast<size_t>(len));
  return v;
}

// How a key is used beyond its suite (SDES: MKI and session parameters).
struct KeyUse {
  uint8_t mki_len = 0;                       // 0: packets carry no MKI
  std::array<uint8_t, SRTP_MAX_MKI_LEN> mki{};  // its value, big-endian in mki_len bytes
  bool rtp_encrypted = true, rtcp_encrypted = true;  // UNENCRYPTED_SRTP / _SRTCP: authentication only
};

bool is_zero(const Endpoint& e) {
  return std::all_of(e.addr.begin(), e.addr.end(), [](uint8_t b) { return b == 0; });
}

bool suite_of(Bytes name, SrtpSuite& out) {
  for (auto s : {SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32, SrtpSuite::AeadAes128Gcm,
                 SrtpSuite::AeadAes256Gcm})
    if (text::iequals(name, srtp_suite_name(s))) {
      out = s;
      return true;
    }
  return false;  // F8, NULL cipher, AES-192/256 counter mode, ...: not followed
}

// RFC 4568 section 6.3's session parameters: what the tap can follow. UNAUTHENTICATED_SRTP leaves
// nothing to verify; a key derivation rate other than 0 and FEC keys libsrtp does not do; an
// unknown parameter (RFC 4568: the attribute is then not accepted) neither.
bool read_session_params(Bytes params, KeyUse& use) {
  while (!params.empty()) {
    Bytes p = text::trim(text::split(params, ' '));
    if (p.empty()) continue;
    if (text::iequals(p, "UNENCRYPTED_SRTP")) use.rtp_encrypted = false;
    else if (text::iequals(p, "UNENCRYPTED_SRTCP")) use.rtcp_encrypted = false;
    else if (text::iequals(p, "KDR=0") || text::istarts_with(p, "WSH=") || text::istarts_with(p, "FEC_ORDER=")) continue;
    else return false;
  }
  return true;
}

// A lifetime is "2^n" or decimal packets. The key is used until an SDP replaces it: a sender must
// rekey before its lifetime runs out, and libsrtp stops at its own limit (2^48).
bool lifetime_ok(Bytes lifetime) {
  if (lifetime.empty()) return true;
  uint64_t n = 0;
  if (lifetime.size() > 2 && lifetime[0] == '2' && lifetime[1] == '^')
    return text::parse_uint(lifetime.subspan(2), 64, n) && n > 0;
  return text::parse_uint(lifetime, UINT64_MAX, n) && n > 0;
}

}  // namespace

struct SrtpKeyring::Session {
  srtp_t ctx = nullptr;
  bool mki = false;  // packets carry an MKI (SDES MKI:length)
  ~Session() {
    if (ctx) srtp_dealloc(ctx);
  }

  // libsrtp reads as many bytes as the suite wants: `material` must hold srtp_key_length(suite).
  static std::unique_ptr<Session> create(SrtpSuite suite, const uint8_t* material, size_t len, const KeyUse& use,
                                         srtp_err_status_t& st) {
    std::vector<unsigned char> key(material, material + len);
    srtp_policy_t p{};
    set_policy(suite, p.rtp, p.rtcp);
    if (!use.rtp_encrypted) p.rtp.sec_serv = sec_serv_auth;
    if (!use.rtcp_encrypted) p.rtcp.sec_serv = sec_serv_auth;
    p.ssrc.type = ssrc_any_inbound;
    srtp_master_key_t master{};
    srtp_master_key_t* masters[1] = {&master};
    std::array<unsigned char, SRTP_MAX_MKI_LEN> mki{};
    if (use.mki_len != 0) {
      std::copy(use.mki.begin(), use.mki.begin() + use.mki_len, mki.begin());
      master.key = key.data();
      master.mki_id = mki.data();
      master.mki_size = use.mki_len;
      p.keys = masters;
      p.num_master_keys = 1;
    } else {
      p.key = key.data();
    }
    // A tap sees packets in flight order: a wide window keeps reordering from reading as replay.
    p.window_size = 1024;
    auto s = std::make_unique<Session>();
    s->mki = use.mki_len != 0;
    st = srtp_create(&s->ctx, &p);
    std::fill(key.begin(), key.end(), 0);
    if (st != srtp_err_status_ok) {
      s->ctx = nullptr;
      return nullptr;
    }
    return s;
  }
};

// SDES keys: slots with their libsrtp sessions, and an index by source endpoint (open addressing,
// a fixed probe: a lookup reads kProbe entries, whatever was removed).
struct SrtpKeyring::Sdes {
  static constexpr uint32_t kNoSlot = 0xffffffffu;
  static constexpr uint32_t kProbe = 8;
  struct Slot {
    std::unique_ptr<Session> session;  // null: free
    uint32_t gen = 1;                  // bumped when the slot is let go
    Endpoint rtp, rtcp;                // where the author sends SRTP and SRTCP from
    uint64_t source = 0;
    uint32_t tag = 0;
    uint8_t mline = 0, rank = 0;       // its m= section, and its place in the SDP (section, then key)
    bool ended = false;                // its dialog or stream ended
    uint32_t stamp = 0;                // the learn_sdp() call that last gave it
    Nanos ts = 0;                      // learnt (or said again), or ended
    // What makes it the same key when an SDP says it again (wiped when the slot is let go).
    SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
    std::array<uint8_t, kSdpMaxCryptoKey> material{};
    uint8_t material_len = 0;
    KeyUse use;
  };
  struct Entry {
    Endpoint ep;
    uint32_t slot = kNoSlot;
  };

  explicit Sdes(uint32_t capacity)
      : slots(capacity), index(std::bit_ceil(std::max<uint32_t>(4 * capacity, 16))),
        mask(static_cast<uint32_t>(index.size() - 1)) {
    free.reserve(capacity);
    for (uint32_t i = capacity; i-- > 0;) free.push_back(i);
  }

  uint32_t home(const Endpoint& e) const {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint8_t b : e.addr) h = (h ^ b) * 0x100000001b3ull;
    h = (h ^ e.port) * 0x100000001b3ull;
    return static_cast<uint32_t>(h ^ (h >> 32)) & mask;
  }
  bool index_add(const Endpoint& ep, uint32_t slot) {
    const uint32_t h = home(ep);
    for (uint32_t i = 0; i < kProbe; ++i) {
      Entry& e = index[(h + i) & mask];
      if (e.slot == kNoSlot) {
        e.ep = ep;
        e.slot = slot;
        return true;
      }
    }
    return false;
  }
  void index_remove(const Endpoint& ep, uint32_t slot) {
    const uint32_t h = home(ep);
    for (uint32_t i = 0; i < kProbe; ++i) {
      Entry& e = index[(h + i) & mask];
      if (e.slot == slot && e.ep == ep) e = Entry{};
    }
  }
  // The slots whose key `rtp` sends under (index entries of their RTP address), at most kProbe.
  size_t held_at(const Endpoint& rtp, std::array<uint32_t, kProbe>& out) const {
    size_t n = 0;
    const uint32_t h = home(rtp);
    for (uint32_t i = 0; i < kProbe; ++i) {
      const Entry& e = index[(h + i) & mask];
      if (e.slot != kNoSlot && e.ep == rtp && slots[e.slot].rtp == rtp) out[n++] = e.slot;
    }
    return n;
  }
  // The key `src` sends under: of several, the first its SDP gave.
  uint32_t find(const Endpoint& src) const {
    uint32_t best = kNoSlot;
    const uint32_t h = home(src);
    for (uint32_t i = 0; i < kProbe; ++i) {
      const Entry& e = index[(h + i) & mask];
      if (e.slot != kNoSlot && e.ep == src && (best == kNoSlot || slots[e.slot].rank < slots[best].rank)) best = e.slot;
    }
    return best;
  }
  void release(uint32_t i) {
    Slot& s = slots[i];
    index_remove(s.rtp, i);
    if (s.rtcp != s.rtp) index_remove(s.rtcp, i);
    const uint32_t gen = s.gen + 1;
    s = Slot{};  // the libsrtp session goes, the key bytes with it
    s.gen = gen;
    free.push_back(i);
  }
  // A free slot; else the one whose dialog ended first. kNoSlot when every key is in use.
  uint32_t take() {
    if (free.empty()) {
      uint32_t oldest = kNoSlot;
      for (uint32_t i = 0; i < slots.size(); ++i)
        if (slots[i].session && slots[i].ended && (oldest == kNoSlot || slots[i].ts < slots[oldest].ts)) oldest = i;
      if (oldest == kNoSlot) return kNoSlot;
      release(oldest);
    }
    const uint32_t i = free.back();
    free.pop_back();
    return i;
  }
  uint32_t in_use() const { return static_cast<uint32_t>(slots.size() - free.size()); }

  std::vector<Slot> slots;
  std::vector<uint32_t> free;
  std::vector<Entry> index;
  uint32_t mask;
  uint32_t stamp = 0;  // learn_sdp() calls
};

SrtpKeyring::SrtpKeyring(const SrtpConfig& cfg, uint32_t sdes_capacity) {
  if (sdes_capacity != 0) {
    init_libsrtp();
    sdes_ = std::make_unique<Sdes>(sdes_capacity);
  }
  if (cfg.keys.empty()) return;
  init_libsrtp();
  for (size_t i = 0; i < cfg.keys.size(); ++i) {
    const SrtpKeyConfig& k = cfg.keys[i];
    // libsrtp reads as many bytes as the suite wants, whatever the buffer holds.
    if (k.material.size() != srtp_key_length(k.suite))
      throw std::runtime_error("srtp.keys[" + std::to_string(i) + "]: " + std::to_string(k.material.size()) +
                               " bytes of key and salt, " + srtp_suite_name(k.suite) + " needs " +
                               std::to_string(srtp_key_length(k.suite)));
    srtp_err_status_t st = srtp_err_status_ok;
    auto s = Session::create(k.suite, k.material.data(), k.material.size(), KeyUse{}, st);
    if (!s)
      throw std::runtime_error("libsrtp refused srtp.keys[" + std::to_string(i) + "] (status " + std::to_string(st) + ")");
    const int index = static_cast<int>(sessions_.size());
    sessions_.push_back(std::move(s));
    if (k.by_ssrc)
      by_ssrc_.emplace(k.ssrc, index);
    else
      by_direction_.push_back({k.src, k.dst, index});
  }
}

SrtpKeyring::~SrtpKeyring() = default;

bool SrtpKeyring::empty() const { return sessions_.empty() && (!sdes_ || sdes_->in_use() == 0); }

uint32_t SrtpKeyring::sdes_keys() const { return sdes_ ? sdes_->in_use() : 0; }

int SrtpKeyring::find(uint32_t ssrc, const Endpoint& src, const Endpoint& dst, bool sdes) const {
  if (auto it = by_ssrc_.find(ssrc); it != by_ssrc_.end()) return it->second;
  for (const Direction& d : by_direction_)
    if (d.src == src && d.dst == dst) return d.key;
  if (sdes && sdes_)
    if (const uint32_t slot = sdes_->find(src); slot != Sdes::kNoSlot)
      return static_cast<int>(sessions_.size() + slot);
  return kNone;
}

uint32_t SrtpKeyring::generation(int key) const {
  if (key < 0 || static_cast<size_t>(key) < sessions_.size() || !sdes_) return 0;
  const size_t slot = static_cast<size_t>(key) - sessions_.size();
  return slot < sdes_->slots.size() ? sdes_->slots[slot].gen : 0;
}

bool SrtpKeyring::current(int key, uint32_t gen) const {
  if (key < 0) return false;
  if (static_cast<size_t>(key) < sessions_.size()) return true;
  if (!sdes_) return false;
  const size_t slot = static_cast<size_t>(key) - sessions_.size();
  return slot < sdes_->slots.size() && sdes_->slots[slot].session && sdes_->slots[slot].gen == gen;
}

SrtpKeyring::Session* SrtpKeyring::session(int key) const {
  const size_t k = static_cast<size_t>(key);
  return k < sessions_.size() ? sessions_[k].get() : sdes_->slots[k - sessions_.size()].session.get();
}

SrtpVerdict SrtpKeyring::unprotect_rtp(int key, Bytes packet, std::vector<uint8_t>& out) {
  const Session& s = *session(key);
  return unprotect_copy(packet, out, [&](uint8_t* p, int* len) { return srtp_unprotect_mki(s.ctx, p, len, s.mki); });
}

SrtpVerdict SrtpKeyring::unprotect_rtcp(int key, Bytes packet, std::vector<uint8_t>& out) {
  const Session& s = *session(key);
  return unprotect_copy(packet, out, [&](uint8_t* p, int* len) { return srtp_unprotect_rtcp_mki(s.ctx, p, len, s.mki); });
}

SdesOutcome SrtpKeyring::learn_sdp(const SdpSession& sdp, uint64_t source, Nanos ts) {
  SdesOutcome out;
  if (!sdes_) return out;
  Sdes& d = *sdes_;
  ++d.stamp;
  for (uint8_t mi = 0; mi < sdp.media_count; ++mi) {
    const SdpMedia& m = sdp.media[mi];
    Endpoint rtp;
    if (m.port == 0 || !sdp_media_endpoint(sdp, m, rtp) || is_zero(rtp)) continue;  // off, or on hold (0.0.0.0)
    // RFC 4568 keys are for RTP/SAVP(F). Under UDP/TLS/RTP/SAVPF the keys come from DTLS, and a
    // plain RTP/AVP section's a=crypto (capability negotiation, RFC 5939) may never be used: such
    // a section only takes away what the address had.
    const bool sdes = text::iequals(m.proto, "RTP/SAVP") || text::iequals(m.proto, "RTP/SAVPF");
    if (!sdes && d.in_use() == 0) continue;
    Endpoint rtcp = rtp;
    if (!m.rtcp_mux) {
      if (m.has_rtcp && m.rtcp_port != 0) rtcp.port = m.rtcp_port;
      else if (rtp.port < UINT16_MAX) rtcp.port = static_cast<uint16_t>(rtp.port + 1);
    }

    // The keys this section gives that the tap can use.
    struct Wanted {
      const SdpCrypto* c;
      SrtpSuite suite;
      KeyUse use;
      uint32_t slot = Sdes::kNoSlot;  // an equal key already held
    };
    std::array<Wanted, kSdpMaxCryptos> wanted;
    size_t n = 0;
    for (uint8_t k = 0; sdes && k < m.crypto_count; ++k) {
      const SdpCrypto& c = m.cryptos[k];
      Wanted w{&c, SrtpSuite::AesCm128HmacSha1_80, KeyUse{}};
      if (!suite_of(c.suite, w.suite) || !read_session_params(c.session_params, w.use)) {
        ++out.unsupported;
        continue;
      }
      // Several keys must each have an MKI (RFC 4568 section 6.1); with one, the first is used.
      if (!c.key_ok || c.secret_key_salt_len != srtp_key_length(w.suite) || !lifetime_ok(c.lifetime) ||
          (c.key_params > 1 && c.mki_len == 0) ||
          (c.mki_len > 0 && c.mki_len < 4 && (c.mki >> (8 * c.mki_len)) != 0)) {
        ++out.bad;
        continue;
      }
      w.use.mki_len = c.mki_len;
      for (uint8_t b = 0; b < c.mki_len; ++b) {
        const unsigned shift = 8u * (c.mki_len - 1u - b);
        w.use.mki[b] = shift < 32 ? static_cast<uint8_t>(c.mki >> shift) : 0;
      }
      wanted[n++] = w;
    }

    // The address's keys from earlier SDPs: the same ones stay (and keep libsrtp's state: an
    // offer or answer sent again, a re-INVITE keeping its keys); the others go. Keys this SDP
    // gave (another section on the same address) stay.
    std::array<uint32_t, Sdes::kProbe> held{};
    const size_t held_count = d.held_at(rtp, held);
    for (size_t h = 0; h < held_count; ++h) {
      const uint32_t i = held[h];
      Sdes::Slot& s = d.slots[i];
      if (s.stamp == d.stamp) continue;
      Wanted* same = nullptr;
      for (size_t k = 0; k < n && same == nullptr; ++k) {
        const SdpCrypto& c = *wanted[k].c;
        if (wanted[k].slot == Sdes::kNoSlot && c.tag == s.tag && wanted[k].suite == s.suite && s.rtcp == rtcp &&
            c.secret_key_salt_len == s.material_len &&
            std::equal(s.material.begin(), s.material.begin() + s.material_len, c.secret_key_salt.begin()) &&
            wanted[k].use.mki_len == s.use.mki_len && wanted[k].use.mki == s.use.mki &&
            wanted[k].use.rtp_encrypted == s.use.rtp_encrypted && wanted[k].use.rtcp_encrypted == s.use.rtcp_encrypted)
          same = &wanted[k];
      }
      if (same == nullptr) {
        d.release(i);
        continue;
      }
      same->slot = i;
      s.stamp = d.stamp;
      s.source = source;
      s.mline = mi;
      s.rank = static_cast<uint8_t>(mi * kSdpMaxCryptos + (same - wanted.data()));
      s.ended = false;
      s.ts = ts;
    }

    for (size_t k = 0; k < n; ++k) {
      Wanted& w = wanted[k];
      if (w.slot != Sdes::kNoSlot) continue;
      const uint32_t i = d.take();
      if (i == Sdes::kNoSlot) {
        ++out.full;
        continue;
      }
      Sdes::Slot& s = d.slots[i];
      srtp_err_status_t st = srtp_err_status_ok;
      s.session = Session::create(w.suite, w.c->secret_key_salt.data(), w.c->secret_key_salt_len, w.use, st);
      if (!s.session) {  // libsrtp built without the suite's cipher (AES-GCM needs its crypto library)
        d.release(i);
        ++out.unsupported;
        continue;
      }
      s.rtp = rtp;
      s.rtcp = rtcp;
      if (!d.index_add(rtp, i) || (rtcp != rtp && !d.index_add(rtcp, i))) {
        d.release(i);
        ++out.full;
        continue;
      }
      s.stamp = d.stamp;
      s.source = source;
      s.tag = w.c->tag;
      s.mline = mi;
      s.rank = static_cast<uint8_t>(mi * kSdpMaxCryptos + k);
      s.ts = ts;
      s.suite = w.suite;
      std::copy(w.c->secret_key_salt.begin(), w.c->secret_key_salt.begin() + w.c->secret_key_salt_len, s.material.begin());
      s.material_len = w.c->secret_key_salt_len;
      s.use = w.use;
      w.slot = i;
      ++out.learnt;
    }

    // An answer names the offer's key it accepted by its tag (RFC 4568 section 7.1.2): where the
    // other side of the same dialog offered several for this section, the others go. Never its
    // last one: a re-offer from this side is no answer, and the key in use must stay.
    if (!sdes || m.crypto_count != 1) continue;
    const uint32_t tag = m.cryptos[0].tag;
    for (uint32_t i = 0; i < d.slots.size(); ++i) {
      const Sdes::Slot& s = d.slots[i];
      if (!s.session || s.source != source || s.mline != mi || s.rtp == rtp || s.tag == tag) continue;
      bool chosen_there = false;
      for (const Sdes::Slot& o : d.slots)
        if (o.session && o.rtp == s.rtp && o.source == source && o.mline == mi && o.tag == tag) chosen_there = true;
      if (chosen_there) d.release(i);
    }
  }
  return out;
}

void SrtpKeyring::source_ended(uint64_t source, Nanos ts) {
  if (!sdes_) return;
  for (Sdes::Slot& s : sdes_->slots)
    if (s.session && s.source == source && !s.ended) {
      s.ended = true;
      s.ts = ts;
    }
}

void SrtpKeyring::adopt_sdes(SrtpKeyring& old) {
  if (old.sdes_) sdes_ = std::move(old.sdes_);
}

}  // namespace wcstap
