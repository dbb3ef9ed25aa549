// Test helpers for SRTP: the sending side (libsrtp, outbound), and the text forms keys take.
#pragma once

#include <gtest/gtest.h>
#include <srtp2/srtp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "packet_builder.h"

namespace wcstap::test {

// The sending side of an SRTP session: libsrtp, outbound, any SSRC; AES_CM_128 with HMAC-SHA1-80
// (or -32) for RTP, -80 for RTCP; with an MKI when given one.
class SrtpSender {
 public:
  explicit SrtpSender(const std::vector<uint8_t>& key, bool sha1_32 = false, std::vector<uint8_t> mki = {})
      : mki_(!mki.empty()) {
    srtp_init();
    std::vector<unsigned char> k(key.begin(), key.end());
    srtp_policy_t p{};
    if (sha1_32)
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
    else
      srtp_crypto_policy_set_rtp_default(&p.rtp);
    srtp_crypto_policy_set_rtcp_default(&p.rtcp);
    p.ssrc.type = ssrc_any_outbound;
    srtp_master_key_t master{k.data(), mki.data(), static_cast<unsigned>(mki.size())};
    srtp_master_key_t* masters[1] = {&master};
    if (mki_) {
      p.keys = masters;
      p.num_master_keys = 1;
    } else {
      p.key = k.data();
    }
    p.window_size = 128;
    EXPECT_EQ(srtp_create(&ctx_, &p), srtp_err_status_ok);
  }
  ~SrtpSender() { srtp_dealloc(ctx_); }
  Frame protect(Frame rtp) {
    int len = static_cast<int>(rtp.size());
    rtp.resize(rtp.size() + SRTP_MAX_TRAILER_LEN);
    EXPECT_EQ(srtp_protect_mki(ctx_, rtp.data(), &len, mki_, 0), srtp_err_status_ok);
    rtp.resize(static_cast<size_t>(len));
    return rtp;
  }
  Frame protect_rtcp(Frame rtcp) {
    int len = static_cast<int>(rtcp.size());
    rtcp.resize(rtcp.size() + SRTP_MAX_TRAILER_LEN + 4);
    EXPECT_EQ(srtp_protect_rtcp_mki(ctx_, rtcp.data(), &len, mki_, 0), srtp_err_status_ok);
    rtcp.resize(static_cast<size_t>(len));
    return rtcp;
  }

 private:
  srtp_t ctx_ = nullptr;
  bool mki_;
};

std::string base64(const std::vector<uint8_t>& b);  // RFC 4648, padded
std::string hex_of(const std::vector<uint8_t>& b);  // lower case

}  // namespace wcstap::test
