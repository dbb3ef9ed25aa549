// SRTP and SRTCP (RFC 3711, 7714) with libsrtp, for streams whose master keys the tap was given
// (config or key file `srtp.keys`; SDES from SDP comes with the signalling issue): each packet is
// authenticated and decrypted into a buffer of the caller's, replays are told apart. One libsrtp
// session per key, inbound, for any SSRC under it (libsrtp keeps each SSRC's rollover counter and
// replay window). The key bytes live here and in libsrtp only. Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "decode/bytes.h"
#include "event.h"

namespace wcstap {

enum class SrtpVerdict : uint8_t { Ok, AuthFailed, Replayed, Unreadable };

class SrtpKeyring {
 public:
  // Throws std::runtime_error when libsrtp refuses a key (named by its index, never by its bytes).
  explicit SrtpKeyring(const SrtpConfig& cfg);
  ~SrtpKeyring();
  SrtpKeyring(const SrtpKeyring&) = delete;
  SrtpKeyring& operator=(const SrtpKeyring&) = delete;

  bool empty() const { return sessions_.empty(); }
  static constexpr int kNone = -1;
  // The key for what `src` sends to `dst` under `ssrc`: the SSRC's, else the flow direction's.
  int find(uint32_t ssrc, const Endpoint& src, const Endpoint& dst) const;
  // `packet` authenticated and decrypted with key `key`: on Ok, `out` holds the clear packet.
  SrtpVerdict unprotect_rtp(int key, Bytes packet, std::vector<uint8_t>& out);
  SrtpVerdict unprotect_rtcp(int key, Bytes packet, std::vector<uint8_t>& out);

 private:
  struct Session;
  std::vector<std::unique_ptr<Session>> sessions_;  // by key index
  std::unordered_map<uint32_t, int> by_ssrc_;
  struct Direction {
    Endpoint src, dst;
    int key;
  };
  std::vector<Direction> by_direction_;
};

}  // namespace wcstap
