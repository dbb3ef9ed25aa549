#include "srtp_session.h"

#include <srtp2/srtp.h>

#include <stdexcept>
#include <string>

namespace wcsgen {

namespace {

void check(srtp_err_status_t status, const char* what) {
  if (status != srtp_err_status_ok)
    throw std::runtime_error(std::string("libsrtp: ") + what + " failed (status " +
                             std::to_string(static_cast<int>(status)) + ")");
}

// srtp_init must run once per process, before the first session.
void init_libsrtp() {
  static const bool done = [] {
    check(srtp_init(), "srtp_init");
    return true;
  }();
  (void)done;
}

// libsrtp works in place and writes its trailer past the packet's end: room first, then the
// length libsrtp reports.
template <typename Fn>
srtp_err_status_t in_place(Bytes& packet, std::size_t room, Fn fn) {
  int len = static_cast<int>(packet.size());
  packet.resize(packet.size() + room);
  const srtp_err_status_t status = fn(packet.data(), &len);
  packet.resize(status == srtp_err_status_ok ? static_cast<std::size_t>(len) : packet.size() - room);
  return status;
}

}  // namespace

SrtpSession::SrtpSession(std::uint32_t ssrc, ByteView master) {
  if (master.size() != kSrtpMasterKeyLen) throw std::invalid_argument("SRTP master key must be 30 bytes");
  init_libsrtp();
  Bytes key(master.begin(), master.end());  // libsrtp derives its session keys from it in srtp_create
  srtp_policy_t policy{};
  srtp_crypto_policy_set_rtp_default(&policy.rtp);
  srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
  policy.ssrc.type = ssrc_specific;
  policy.ssrc.value = ssrc;
  policy.key = key.data();
  policy.window_size = 128;  // libsrtp's default replay window
  policy.next = nullptr;
  check(srtp_create(&ctx_, &policy), "srtp_create");
}

SrtpSession::~SrtpSession() { srtp_dealloc(ctx_); }

void SrtpSession::protect_rtp(Bytes& packet) {
  check(in_place(packet, SRTP_MAX_TRAILER_LEN, [&](std::uint8_t* p, int* len) { return srtp_protect(ctx_, p, len); }),
        "srtp_protect");
}

void SrtpSession::protect_rtcp(Bytes& compound) {
  check(in_place(compound, SRTP_MAX_TRAILER_LEN + 4,
                 [&](std::uint8_t* p, int* len) { return srtp_protect_rtcp(ctx_, p, len); }),
        "srtp_protect_rtcp");
}

bool SrtpSession::unprotect_rtp(Bytes& packet) {
  const srtp_err_status_t status =
      in_place(packet, 0, [&](std::uint8_t* p, int* len) { return srtp_unprotect(ctx_, p, len); });
  if (status == srtp_err_status_auth_fail) return false;
  check(status, "srtp_unprotect");
  return true;
}

bool SrtpSession::unprotect_rtcp(Bytes& packet) {
  const srtp_err_status_t status =
      in_place(packet, 0, [&](std::uint8_t* p, int* len) { return srtp_unprotect_rtcp(ctx_, p, len); });
  if (status == srtp_err_status_auth_fail) return false;
  check(status, "srtp_unprotect_rtcp");
  return true;
}

}  // namespace wcsgen
