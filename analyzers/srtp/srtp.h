// SRTP and SRTCP (RFC 3711, 7714) with libsrtp, for streams whose master keys the tap holds: given
// (config or key file `srtp.keys`), or learnt at run time from SDES (RFC 4568 `a=crypto`) in the
// SDP signalling carries. Each packet is authenticated and decrypted into a buffer of the caller's,
// replays are told apart. One libsrtp session per key, inbound, for any SSRC under it (libsrtp
// keeps each SSRC's rollover counter and replay window). The key bytes live here and in libsrtp
// only. Not thread-safe: one per worker.
//
// SDES keys: the key in an SDP is what its author encrypts with, so it is keyed by the author's
// media address (c= and m=, where it receives: with symmetric RTP also where it sends from) as the
// packets' source, toward any destination; SRTCP from the RTCP port (a=rtcp, else port + 1; with
// rtcp-mux the media port). Only RTP/SAVP and RTP/SAVPF sections count (DTLS-SRTP and plain RTP
// sections may carry a=crypto that is not in use). A fixed number of them (`srtp.sdes_keys`),
// preallocated index: a new SDP from the same address replaces its keys (an identical one keeps
// them and their libsrtp state); when all are taken, keys of dialogs that ended make room, else
// the new key is refused and counted. Of several keys for one address (an offer's alternatives)
// the first in SDP order is used until the answer's tag names the one chosen.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "decode/bytes.h"
#include "event.h"
#include "sdp/sdp.h"

namespace wcstap {

enum class SrtpVerdict : uint8_t { Ok, AuthFailed, Replayed, Unreadable };

// What one SDP's a=crypto lines came to.
struct SdesOutcome {
  uint32_t learnt = 0;       // keys added (new, or replacing an address's earlier ones)
  uint32_t unsupported = 0;  // a suite or session parameter the tap cannot follow
  uint32_t bad = 0;          // a key that is no base64, or of the wrong length for its suite
  uint32_t full = 0;         // no room left
  bool changed() const { return learnt != 0; }
};

class SrtpKeyring {
 public:
  // Throws std::runtime_error when libsrtp refuses a key (named by its index, never by its bytes).
  // `sdes_capacity`: keys learnt from SDP held at once (0: SDES is not followed).
  explicit SrtpKeyring(const SrtpConfig& cfg, uint32_t sdes_capacity = 0);
  ~SrtpKeyring();
  SrtpKeyring(const SrtpKeyring&) = delete;
  SrtpKeyring& operator=(const SrtpKeyring&) = delete;

  bool empty() const;
  static constexpr int kNone = -1;
  // The key for what `src` sends to `dst` under `ssrc`: the SSRC's, else the flow direction's (the
  // config's), else (`sdes`) one the SDP of `src`'s author gave.
  int find(uint32_t ssrc, const Endpoint& src, const Endpoint& dst, bool sdes = true) const;
  // A key found earlier is still the same key (an SDES key may be replaced under its index):
  // remember generation(key) with the index and ask current() before using it again.
  uint32_t generation(int key) const;
  bool current(int key, uint32_t generation) const;
  // `packet` authenticated and decrypted with key `key`: on Ok, `out` holds the clear packet.
  SrtpVerdict unprotect_rtp(int key, Bytes packet, std::vector<uint8_t>& out);
  SrtpVerdict unprotect_rtcp(int key, Bytes packet, std::vector<uint8_t>& out);

  // The a=crypto keys of an SDP, said by `source` (a dialog's or stream's key) at `ts`. Allocates
  // (libsrtp sessions) only when a key is added: per SDP, never per packet.
  SdesOutcome learn_sdp(const SdpSession& sdp, uint64_t source, Nanos ts);
  // `source`'s dialog or stream ended: its keys stay usable but are the first to make room.
  void source_ended(uint64_t source, Nanos ts);
  // The SDES keys `old` learnt, taken over (the config's keys replaced at run time).
  void adopt_sdes(SrtpKeyring& old);
  uint32_t sdes_keys() const;  // SDES keys held

 private:
  struct Session;
  struct Sdes;
  Session* session(int key) const;
  std::vector<std::unique_ptr<Session>> sessions_;  // the config's, by key index
  std::unordered_map<uint32_t, int> by_ssrc_;
  struct Direction {
    Endpoint src, dst;
    int key;
  };
  std::vector<Direction> by_direction_;
  std::unique_ptr<Sdes> sdes_;  // key indices from sessions_.size() on
};

}  // namespace wcstap
