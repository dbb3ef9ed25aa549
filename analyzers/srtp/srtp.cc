#include "srtp/srtp.h"

#include <srtp2/srtp.h>

#include <mutex>
#include <stdexcept>
#include <string>

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
    default: return SrtpVerdict::Unreadable;
  }
}

// libsrtp works in place: a copy of the packet, cut to the clear length when it verifies.
template <class Unprotect>
SrtpVerdict unprotect_copy(srtp_t ctx, Bytes packet, std::vector<uint8_t>& out, Unprotect&& unprotect) {
  out.assign(packet.begin(), packet.end());
  int len = static_cast<int>(out.size());
  const SrtpVerdict v = verdict(unprotect(ctx, out.data(), &len));
  if (v == SrtpVerdict::Ok) out.resize(static_cast<size_t>(len));
  return v;
}

}  // namespace

struct SrtpKeyring::Session {
  srtp_t ctx = nullptr;
  ~Session() {
    if (ctx) srtp_dealloc(ctx);
  }
};

SrtpKeyring::SrtpKeyring(const SrtpConfig& cfg) {
  if (cfg.keys.empty()) return;
  init_libsrtp();
  for (size_t i = 0; i < cfg.keys.size(); ++i) {
    const SrtpKeyConfig& k = cfg.keys[i];
    // libsrtp reads as many bytes as the suite wants, whatever the buffer holds.
    if (k.material.size() != srtp_key_length(k.suite))
      throw std::runtime_error("srtp.keys[" + std::to_string(i) + "]: " + std::to_string(k.material.size()) +
                               " bytes of key and salt, " + srtp_suite_name(k.suite) + " needs " +
                               std::to_string(srtp_key_length(k.suite)));
    std::vector<unsigned char> material(k.material.begin(), k.material.end());
    srtp_policy_t p{};
    set_policy(k.suite, p.rtp, p.rtcp);
    p.ssrc.type = ssrc_any_inbound;
    p.key = material.data();
    // A tap sees packets in flight order: a wide window keeps reordering from reading as replay.
    p.window_size = 1024;
    auto s = std::make_unique<Session>();
    const srtp_err_status_t st = srtp_create(&s->ctx, &p);
    std::fill(material.begin(), material.end(), 0);
    if (st != srtp_err_status_ok)
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

int SrtpKeyring::find(uint32_t ssrc, const Endpoint& src, const Endpoint& dst) const {
  if (auto it = by_ssrc_.find(ssrc); it != by_ssrc_.end()) return it->second;
  for (const Direction& d : by_direction_)
    if (d.src == src && d.dst == dst) return d.key;
  return kNone;
}

SrtpVerdict SrtpKeyring::unprotect_rtp(int key, Bytes packet, std::vector<uint8_t>& out) {
  return unprotect_copy(sessions_[static_cast<size_t>(key)]->ctx, packet, out, srtp_unprotect);
}

SrtpVerdict SrtpKeyring::unprotect_rtcp(int key, Bytes packet, std::vector<uint8_t>& out) {
  return unprotect_copy(sessions_[static_cast<size_t>(key)]->ctx, packet, out, srtp_unprotect_rtcp);
}

}  // namespace wcstap
