// SRTP and SRTCP through libsrtp: one session per SSRC and master key, with the suite WebRTC
// negotiates first, AES_CM_128_HMAC_SHA1_80 (RFC 3711's default: AES counter mode, 80-bit tag).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bytes.h"

struct srtp_ctx_t_;

namespace wcsgen {

inline constexpr std::size_t kSrtpMasterKeyLen = 30;  // 16-byte master key || 14-byte master salt
inline constexpr std::size_t kSrtpAuthTagLen = 10;
inline constexpr std::string_view kSrtpSuite = "AES_CM_128_HMAC_SHA1_80";

class SrtpSession {
 public:
  // `master` is key || salt, kSrtpMasterKeyLen bytes. A session either sends (protect) or
  // receives (unprotect): libsrtp ties a stream to the direction it is first used in, so a
  // checker makes its own sessions from the same keys.
  SrtpSession(std::uint32_t ssrc, ByteView master);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // Encrypts the payload (RTCP: all after the first 8 bytes) and appends the tag (RTCP: E flag
  // and index first). Packets must come in the order they are sent.
  void protect_rtp(Bytes& packet);
  void protect_rtcp(Bytes& compound);

  // Verifies and decrypts in place. False when the packet does not authenticate (its bytes are
  // then no use); anything else going wrong (a replay, a runt) throws: the generator never means
  // to write that.
  bool unprotect_rtp(Bytes& packet);
  bool unprotect_rtcp(Bytes& packet);

 private:
  srtp_ctx_t_* ctx_ = nullptr;
};

}  // namespace wcsgen
