// What signalling said about media before it flows: the SDP of SIP, WCS's JSON (publishStream,
// playStream, setRemoteSDP) and RTSP names the addresses each side receives on and, by payload
// type, the codecs and clock rates. The media analyzers look a new RTP stream up here by its
// endpoints: jitter then uses the clock rate the session agreed (clock_source "sdp").
// Fixed capacity, preallocated; a full neighbourhood replaces its oldest entry.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "event.h"
#include "flow/table_memory.h"
#include "sdp/sdp.h"

namespace wcstap {

struct MediaExpectation {
  Endpoint at;                  // where the SDP's author receives (address and port); family 0: empty slot
  Nanos ts = 0;                 // when the SDP was seen
  uint64_t source = 0;          // who said it (a SIP dialog's or WCS stream's key)
  SdpMediaType type = SdpMediaType::Other;
  SdpDirection direction = SdpDirection::SendRecv;
  uint8_t rates = 0;
  std::array<uint8_t, 16> pt{};
  std::array<uint32_t, 16> clock_rate{};
  // Media seen arriving here (the media analyzers note it about ten times a second per stream).
  Nanos rtp_ts = 0;             // the last time (0: none yet)
  Endpoint rtp_from;            // from where
  // The name signalling gave this media (NUL-terminated, truncated): the WCS stream name, the SIP
  // dialog's Call-ID, the RTSP URL. Carried as `stream` on the media's reports and anomalies.
  char name[48]{};
};

// Private (RFC 1918, RFC 6598 shared, link-local, loopback; IPv6 ULA and link-local) addresses: what
// a host behind NAT writes in its SDP when it does not know its public address.
bool is_private_address(const Endpoint& e);

// A WebRTC session's id from its ICE username fragments (the pair sorted, FNV-1a 64 over "a:b"):
// what the ICE checks on the wire and the two SDPs of the session both give.
uint64_t webrtc_session_id(Bytes ufrag_a, Bytes ufrag_b);

// What a WebRTC session's SDP offer and answer said about it: the certificates' fingerprints each
// side announced (a=fingerprint, SHA-256), and the WCS stream it carries.
struct SessionExpectation {
  uint64_t id = 0;              // 0: empty slot
  Nanos ts = 0;
  uint8_t fingerprints = 0;
  std::array<std::array<uint8_t, 32>, 2> fingerprint{};
  char stream[48]{};            // the WCS stream name (NUL-terminated)
};

class MediaExpectations {
 public:
  explicit MediaExpectations(uint32_t capacity);

  // Every media section of an SDP: its c=/m= address, and its ICE candidates (WebRTC), each with
  // the section's payload types and clock rates. Sections with port 0 are skipped.
  // `name`: what signalling calls the media (see MediaExpectation::name).
  void expect_sdp(const SdpSession& sdp, Nanos ts, uint64_t source, std::string_view name = {});
  void expect(const Endpoint& at, const SdpSession& sdp, const SdpMedia& m, Nanos ts, uint64_t source,
              std::string_view name = {});

  // RTSP: the tracks of a DESCRIBE's SDP (written with port 0: SETUP picks the transport), every
  // section's payload types and clock rates in one expectation at `at` (the RTSP client's end of
  // the connection, where interleaved RTP arrives) ...
  void expect_tracks(const Endpoint& at, const SdpSession& sdp, Nanos ts, uint64_t source, std::string_view name);
  // ... and copied to where SETUP then sends RTP over UDP (the client's client_port).
  void expect_like(const Endpoint& at, const Endpoint& from, Nanos ts);

  const MediaExpectation* find(const Endpoint& at) const;
  // The SDP agreed that media goes from `sender` to `receiver` only: the receiver's SDP said
  // recvonly, or the sender's said sendonly (RFC 3264 section 5.1: a call on hold, an announcement).
  // Inline: asked on every packet of a stream judged one way, nearly always before any SDP came.
  bool agreed_one_way(const Endpoint& sender, const Endpoint& receiver) const {
    if (entries_ == 0) return false;
    const MediaExpectation* r = find(receiver);
    const MediaExpectation* s = find(sender);
    return (r != nullptr && r->direction == SdpDirection::RecvOnly) ||
           (s != nullptr && s->direction == SdpDirection::SendOnly);
  }
  // The name signalling gave media between `a` and `b` (the receiver's SDP first), "" when none.
  const char* name(const Endpoint& a, const Endpoint& b) const;
  // RTP from `from` reached `to` at `ts`: noted when an SDP named `to`.
  void saw_rtp(const Endpoint& to, const Endpoint& from, Nanos ts) {
    if (MediaExpectation* e = const_cast<MediaExpectation*>(find(to))) {
      e->rtp_ts = ts;
      e->rtp_from = from;
    }
  }
  // The clock rate SDP gave `pt` for media between `a` and `b` (either may be the receiver); 0 when
  // no SDP named it.
  uint32_t clock_rate(const Endpoint& a, const Endpoint& b, uint8_t pt) const;
  uint64_t entries() const { return entries_; }

  // A session's SDP facts (replacing what an earlier SDP of the same session said).
  void expect_session(const SessionExpectation& e);
  const SessionExpectation* session(uint64_t id) const;

 private:
  std::vector<SessionExpectation> sessions_;
  static constexpr uint32_t kProbe = 8;
  uint32_t home(const Endpoint& e) const;
  MediaExpectation* slot_for(const Endpoint& at);  // its slot, a free one, or the neighbourhood's oldest
  TableVector<MediaExpectation> slots_;
  uint32_t mask_ = 0;
  uint64_t entries_ = 0;  // expectations recorded (new or replaced)
};

}  // namespace wcstap
