#include "session/media_expectations.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace wcstap {

uint64_t webrtc_session_id(Bytes a, Bytes b) {
  if (std::lexicographical_compare(b.begin(), b.end(), a.begin(), a.end())) std::swap(a, b);
  uint64_t id = 0xcbf29ce484222325ull;
  auto mix = [&](uint8_t c) { id = (id ^ c) * 0x100000001b3ull; };
  for (uint8_t c : a) mix(c);
  mix(':');
  for (uint8_t c : b) mix(c);
  return id == 0 ? 1 : id;
}

bool is_private_address(const Endpoint& e) {
  const auto& a = e.addr;
  if (e.family == 4)
    return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 100 && (a[1] & 0xc0) == 64) || (a[0] == 169 && a[1] == 254) || a[0] == 127;
  if (e.family == 6) return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
  return false;
}

namespace {

// The payload types of a media section with a known clock rate, added while there is room (the
// first section's clock stands for a type named twice).
void add_rates(MediaExpectation& e, const SdpMedia& m) {
  for (uint8_t i = 0; i < m.pt_count && e.rates < e.pt.size(); ++i) {
    const uint32_t rate = sdp_clock_rate(m, m.pts[i]);
    const auto end = e.pt.begin() + e.rates;
    if (rate == 0 || std::find(e.pt.begin(), end, m.pts[i]) != end) continue;
    e.pt[e.rates] = m.pts[i];
    e.clock_rate[e.rates] = rate;
    ++e.rates;
  }
}

}  // namespace

MediaExpectations::MediaExpectations(uint32_t capacity)
    : sessions_(std::bit_ceil(std::max<uint32_t>(capacity / 4, 16))),
      slots_(std::bit_ceil(std::max<uint32_t>(capacity, 16))),
      mask_(static_cast<uint32_t>(slots_.size() - 1)) {}

void MediaExpectations::expect_session(const SessionExpectation& e) {
  const uint32_t mask = static_cast<uint32_t>(sessions_.size() - 1);
  const uint32_t h = static_cast<uint32_t>(e.id ^ (e.id >> 32)) & mask;
  SessionExpectation* slot = nullptr;
  for (uint32_t i = 0; i < kProbe; ++i) {
    SessionExpectation& s = sessions_[(h + i) & mask];
    if (s.id == e.id || s.id == 0) {
      slot = &s;
      break;
    }
    if (slot == nullptr || s.ts < slot->ts) slot = &s;
  }
  *slot = e;
}

const SessionExpectation* MediaExpectations::session(uint64_t id) const {
  const uint32_t mask = static_cast<uint32_t>(sessions_.size() - 1);
  const uint32_t h = static_cast<uint32_t>(id ^ (id >> 32)) & mask;
  for (uint32_t i = 0; i < kProbe; ++i)
    if (sessions_[(h + i) & mask].id == id) return &sessions_[(h + i) & mask];
  return nullptr;
}

// The address words and the port each times its own odd constant (independent multiplies, not a
// chain over the bytes), folded and multiplied once more.
uint32_t MediaExpectations::home(const Endpoint& e) const {
  uint64_t w[2];
  std::memcpy(w, e.addr.data(), 16);
  uint64_t h = w[0] * 0x9e3779b97f4a7c15ull + w[1] * 0xc2b2ae3d27d4eb4full + (e.port + 1ull) * 0xff51afd7ed558ccdull;
  h = (h ^ (h >> 32)) * 0xbf58476d1ce4e5b9ull;
  return static_cast<uint32_t>(h >> 32) & mask_;
}

// Asked on every packet of a one-way stream (one_way_media's agreement): nothing to look for
// before any SDP came.
const MediaExpectation* MediaExpectations::find(const Endpoint& at) const {
  if (at.family == 0 || entries_ == 0) return nullptr;
  const uint32_t h = home(at);
  for (uint32_t i = 0; i < kProbe; ++i) {
    const MediaExpectation& e = slots_[(h + i) & mask_];
    if (e.at == at) return &e;
  }
  return nullptr;
}

void MediaExpectations::expect(const Endpoint& at, const SdpSession& sdp, const SdpMedia& m, Nanos ts, uint64_t source,
                               std::string_view name) {
  if (at.family == 0 || at.port == 0) return;
  MediaExpectation* slot = slot_for(at);
  if (slot->at == at && slot->source == source && slot->ts == ts) {
    // The same SDP names the address again: another section on it (BUNDLE, audio and video on one
    // port; a section's own candidate; RTSP's tracks). Its payload types join those already there.
    add_rates(*slot, m);
    return;
  }
  MediaExpectation e;
  if (slot->at == at) {  // the same address named again (a re-offer): what was seen arriving stands
    e.rtp_ts = slot->rtp_ts;
    e.rtp_from = slot->rtp_from;
  }
  e.at = at;
  e.ts = ts;
  e.source = source;
  e.type = m.type;
  e.direction = sdp_direction(sdp, m);
  const size_t n = std::min(name.size(), sizeof e.name - 1);
  std::copy_n(name.data(), n, e.name);
  e.name[n] = '\0';
  add_rates(e, m);
  *slot = e;
  ++entries_;
}

void MediaExpectations::expect_sdp(const SdpSession& sdp, Nanos ts, uint64_t source, std::string_view name) {
  for (uint8_t i = 0; i < sdp.media_count; ++i) {
    const SdpMedia& m = sdp.media[i];
    if (m.port == 0) continue;
    Endpoint at;
    if (sdp_media_endpoint(sdp, m, at)) expect(at, sdp, m, ts, source, name);
    for (uint8_t k = 0; k < m.candidate_count; ++k) {
      const IceCandidate& c = m.candidates[k];
      if (c.component != 1 || !c.address.is_ip) continue;  // RTP's component (rtcp-mux: the same)
      expect(c.address.ip, sdp, m, ts, source, name);
    }
  }
}

MediaExpectation* MediaExpectations::slot_for(const Endpoint& at) {
  const uint32_t h = home(at);
  MediaExpectation* slot = nullptr;
  for (uint32_t i = 0; i < kProbe; ++i) {
    MediaExpectation& e = slots_[(h + i) & mask_];
    if (e.at == at || e.at.family == 0) return &e;
    if (slot == nullptr || e.ts < slot->ts) slot = &e;  // all taken: the oldest goes
  }
  return slot;
}

void MediaExpectations::expect_tracks(const Endpoint& at, const SdpSession& sdp, Nanos ts, uint64_t source,
                                      std::string_view name) {
  for (uint8_t i = 0; i < sdp.media_count; ++i) expect(at, sdp, sdp.media[i], ts, source, name);
}

void MediaExpectations::expect_like(const Endpoint& at, const Endpoint& from, Nanos ts) {
  const MediaExpectation* src = find(from);
  if (src == nullptr || at.family == 0 || at.port == 0 || at == from) return;
  MediaExpectation e = *src;
  MediaExpectation* slot = slot_for(at);
  if (slot->at == at) {
    e.rtp_ts = slot->rtp_ts;
    e.rtp_from = slot->rtp_from;
  } else {
    e.rtp_ts = 0;
    e.rtp_from = Endpoint{};
  }
  e.at = at;
  e.ts = ts;
  *slot = e;
  ++entries_;
}

const char* MediaExpectations::name(const Endpoint& a, const Endpoint& b) const {
  for (const Endpoint* ep : {&b, &a})
    if (const MediaExpectation* e = find(*ep); e != nullptr && e->name[0] != '\0') return e->name;
  return "";
}

uint32_t MediaExpectations::clock_rate(const Endpoint& a, const Endpoint& b, uint8_t pt) const {
  for (const Endpoint* ep : {&b, &a}) {
    if (const MediaExpectation* e = find(*ep))
      for (uint8_t i = 0; i < e->rates; ++i)
        if (e->pt[i] == pt) return e->clock_rate[i];
  }
  return 0;
}

}  // namespace wcstap
