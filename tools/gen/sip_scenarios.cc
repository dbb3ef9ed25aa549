#include "sip_scenarios.h"

#include <nettle/base64.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "media.h"
#include "rng.h"
#include "srtp_session.h"
#include "webrtc_session.h"

namespace wcsgen {

namespace {

constexpr std::int64_t kSec = 1000000;
constexpr std::int64_t kMs = 1000;
constexpr std::uint8_t kPtPcmu = 0;
constexpr std::uint8_t kPtTelephoneEvent = 101;

std::string hex_token(Rng& rng, int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) s += kHex[rng.below(16)];
  return s;
}

std::string branch(Rng& rng) { return "z9hG4bK" + hex_token(rng, 16); }

// One end of the SIP conversation: WCS (the UA) and the PBX.
struct SipSetup {
  Endpoint wcs;     // WCS's SIP port
  Endpoint pbx;     // the PBX's 5060
  Endpoint wcs_rtp;  // WCS's media port (even, 31002..31998)
  Endpoint pbx_rtp;  // the PBX's media port (Asterisk's 10000-20000, even)
  std::int64_t delay_us = 0;  // one way WCS <-> PBX
  std::string user;    // WCS's SIP account
  std::string callee;
  std::string domain;  // the PBX's address as the SIP domain
  std::string realm = "asterisk";
};

SipSetup random_setup(Rng& rng) {
  SipSetup s;
  const Ipv4Addr pbx_ip = Ipv4Addr::of(192, 0, 2, static_cast<std::uint8_t>(rng.range(20, 90)));
  s.wcs = Endpoint{kWcsIp, static_cast<std::uint16_t>(rng.range(30000, 30999))};
  s.pbx = Endpoint{pbx_ip, 5060};
  s.wcs_rtp = Endpoint{s.wcs.ip, random_wcs_media_port(rng)};
  s.pbx_rtp = Endpoint{pbx_ip, static_cast<std::uint16_t>(10000 + 2 * rng.range(0, 4999))};
  s.delay_us = rng.range(5000, 40000);
  s.user = std::to_string(rng.range(1000, 1099));
  s.callee = std::to_string(rng.range(2000, 2999));
  s.domain = pbx_ip.str();
  return s;
}

// SDES (RFC 4568): an SRTP master key and salt as a=crypto's inline: writes it.
std::string sdes_inline(ByteView key) {
  std::string s(BASE64_ENCODE_RAW_LENGTH(key.size()), '\0');
  base64_encode_raw(s.data(), key.size(), key.data());
  return "inline:" + s + "|2^31";
}

// `sdes_key`: the SRTP key the SDP's author sends with (RTP/SAVP with a=crypto); empty: plain RTP.
std::string sdp_body(const Endpoint& rtp, std::uint64_t sess_id, const std::string& user_agent,
                     ByteView sdes_key = {}) {
  std::string s;
  s += "v=0\r\n";
  s += "o=" + user_agent + " " + std::to_string(sess_id) + " " + std::to_string(sess_id) + " IN IP4 " + rtp.ip.str() +
       "\r\n";
  s += "s=" + user_agent + "\r\n";
  s += "c=IN IP4 " + rtp.ip.str() + "\r\n";
  s += "t=0 0\r\n";
  s += "m=audio " + std::to_string(rtp.port) + (sdes_key.empty() ? " RTP/AVP" : " RTP/SAVP") + " 0 101\r\n";
  s += "a=rtpmap:0 PCMU/8000\r\n";
  s += "a=rtpmap:101 telephone-event/8000\r\n";
  s += "a=fmtp:101 0-16\r\n";
  s += "a=ptime:20\r\n";
  s += "a=sendrecv\r\n";
  if (!sdes_key.empty()) s += "a=crypto:1 " + std::string(kSrtpSuite) + " " + sdes_inline(sdes_key) + "\r\n";
  return s;
}

// Headers of a message, then Content-Length and the body.
Bytes sip_text(const std::string& start, const std::vector<std::string>& headers, const std::string& body = {},
               const std::string& content_type = "application/sdp") {
  std::string s = start + "\r\n";
  for (const std::string& h : headers) s += h + "\r\n";
  if (!body.empty()) s += "Content-Type: " + content_type + "\r\n";
  s += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  s += body;
  return Bytes(s.begin(), s.end());
}

// A client transaction's request as WCS sent it, for the answers to echo.
struct Request {
  std::string method;
  std::uint32_t cseq = 0;
  std::string via;
  std::string from;
  std::string to;
  std::string call_id;
};

class SipUa {
 public:
  SipUa(Capture& cap, const SipSetup& s, Rng& rng) : cap_(cap), s_(s), rng_(rng) {}

  // WCS sends a request at t (the tap sees it leave).
  Request request(std::int64_t t, const std::string& method, const std::string& ruri, std::uint32_t cseq,
                  const std::string& from, const std::string& to, const std::string& call_id,
                  std::vector<std::string> extra, const std::string& body = {}) {
    Request r{method, cseq, "SIP/2.0/UDP " + s_.wcs.str() + ";branch=" + branch(rng_) + ";rport", from, to, call_id};
    resend(t, r, ruri, std::move(extra), body);
    return r;
  }
  // The same request again (a retransmission: same branch and CSeq), or a new one from a Request.
  void resend(std::int64_t t, const Request& r, const std::string& ruri, std::vector<std::string> extra,
              const std::string& body = {}) {
    std::vector<std::string> h{"Via: " + r.via, "Max-Forwards: 70", "From: " + r.from, "To: " + r.to,
                               "Call-ID: " + r.call_id, "CSeq: " + std::to_string(r.cseq) + " " + r.method};
    for (std::string& e : extra) h.push_back(std::move(e));
    h.push_back("User-Agent: Flashphoner/1.0");
    cap_.add_udp(t, s_.wcs, s_.pbx, Content::kSignalling, sip_text(r.method + " " + ruri + " SIP/2.0", h, body));
  }
  // The PBX answers `r` at t (as the tap sees it arrive).
  void respond(std::int64_t t, const Request& r, int code, const std::string& reason, const std::string& to_tag,
               std::vector<std::string> extra, const std::string& body = {}) {
    std::string via = r.via;
    if (const auto at = via.find(";rport"); at != std::string::npos)
      via.replace(at, 6, ";rport=" + std::to_string(s_.wcs.port) + ";received=" + s_.wcs.ip.str());
    std::vector<std::string> h{"Via: " + via, "From: " + r.from,
                               "To: " + r.to + (to_tag.empty() || r.to.find(";tag=") != std::string::npos
                                                    ? std::string()
                                                    : ";tag=" + to_tag),
                               "Call-ID: " + r.call_id, "CSeq: " + std::to_string(r.cseq) + " " + r.method,
                               "Server: Asterisk PBX 18.20.0"};
    for (std::string& e : extra) h.push_back(std::move(e));
    cap_.add_udp(t, s_.pbx, s_.wcs, Content::kSignalling,
                 sip_text("SIP/2.0 " + std::to_string(code) + " " + reason, h, body));
  }

  std::int64_t rtt() const { return 2 * s_.delay_us; }
  // The PBX's answer to something WCS sent at t, as the tap sees it.
  std::int64_t answer_at(std::int64_t t, std::int64_t lo_us, std::int64_t hi_us) {
    return t + rtt() + rng_.range(lo_us, hi_us);
  }

 private:
  Capture& cap_;
  const SipSetup& s_;
  Rng& rng_;
};

struct Registration {
  std::int64_t end_us = 0;     // the last answer
  std::int64_t final_us = 0;   // the final answer to the REGISTER with credentials
};

// REGISTER, 401, REGISTER with Authorization, then `final_code`.
Registration do_register(const SipSetup& s, SipUa& ua, Rng& rng, std::int64_t t, int final_code,
                         const std::string& final_reason) {
  const std::string aor = "<sip:" + s.user + "@" + s.domain + ">";
  const std::string from = aor + ";tag=" + hex_token(rng, 8);
  const std::string call_id = hex_token(rng, 24) + "@" + s.wcs.ip.str();
  const std::string contact = "Contact: <sip:" + s.user + "@" + s.wcs.str() + ";transport=udp>";
  const std::string ruri = "sip:" + s.domain;
  Request r1 = ua.request(t, "REGISTER", ruri, 1, from, aor, call_id, {contact, "Expires: 3600", "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"});
  const std::string nonce = hex_token(rng, 8);
  const std::int64_t t401 = ua.answer_at(t, 300, 2000);
  const std::string pbx_tag = "as" + hex_token(rng, 8);
  ua.respond(t401, r1, 401, "Unauthorized", pbx_tag,
             {"WWW-Authenticate: Digest algorithm=MD5, realm=\"" + s.realm + "\", nonce=\"" + nonce + "\""});
  const std::int64_t t2 = t401 + rng.range(500, 3000);
  const std::string auth = "Authorization: Digest username=\"" + s.user + "\", realm=\"" + s.realm + "\", nonce=\"" +
                           nonce + "\", uri=\"" + ruri + "\", response=\"" + hex_token(rng, 32) + "\", algorithm=MD5";
  Request r2 = ua.request(t2, "REGISTER", ruri, 2, from, aor, call_id, {contact, "Expires: 3600", auth});
  const std::int64_t tf = ua.answer_at(t2, 300, 3000);
  std::vector<std::string> extra;
  if (final_code == 200) extra = {contact + ";expires=3600", "Date: Thu, 01 Jan 2026 00:00:01 GMT"};
  ua.respond(tf, r2, final_code, final_reason, pbx_tag, std::move(extra));
  return Registration{tf, tf};
}

// The sip_dialog record a tap writes for one Call-ID: who opened it, with what, how it ended (the
// last final status; none when nothing answered) and how many of its requests were sent again.
std::string sip_record(const SipSetup& s, const std::string& method, const std::string& state, int status,
                       int retransmits = 0) {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                R"({"kind":"sip_dialog","client":"%s","server":"%s","method":"%s","state":"%s","status":%s,)"
                R"("retransmits":%d})",
                s.wcs.str().c_str(), s.pbx.str().c_str(), method.c_str(), state.c_str(),
                status == 0 ? "null" : std::to_string(status).c_str(), retransmits);
  return buf;
}

enum class CallOutcome { kAnswered, kBusy, kNoAnswer };

// SRTP with SDES keys both ways, instead of plain RTP: each side's SDP announces the key it sends
// with; a misconfigured PBX may send with another.
struct Sdes {
  bool on = false;
  bool pbx_wrong_key = false;
};

struct CallTimes {
  std::int64_t invite_us = 0;
  std::int64_t final_us = 0;  // the 486 (kBusy), the 200 (kAnswered)
  std::int64_t ack_us = 0;    // the ACK of the 200 (kAnswered)
};

// The PBX's side of an answered call's media. By default its SDP answer names s.pbx_rtp, where its
// RTP comes from, and both sides send.
struct PbxMedia {
  // The address its SDP answer names instead (another interface of it, its private address behind
  // NAT). Its RTP still comes from s.pbx_rtp, and WCS sends its own where the PBX's comes from
  // (symmetric RTP, as a media server facing NAT does): the SDP's address sees none of it.
  std::optional<Endpoint> sdp_rtp;
  // false: none of the PBX's RTP reaches the tap (a firewall on its way drops it); WCS sends to
  // the SDP's address.
  bool sends_rtp = true;
};

// An INVITE from WCS at t; what follows as `outcome` says; an answered call lasts until `end_us`.
CallTimes do_call(const SipSetup& s, SipUa& ua, Rng& rng, Capture& cap, std::int64_t t, std::int64_t end_us,
                  CallOutcome outcome, const PbxMedia& pbx_media = {}, const Sdes& sdes = {}) {
  const std::string from = "<sip:" + s.user + "@" + s.domain + ">;tag=" + hex_token(rng, 8);
  const std::string to = "<sip:" + s.callee + "@" + s.domain + ">";
  const std::string call_id = hex_token(rng, 24) + "@" + s.wcs.ip.str();
  const std::string ruri = "sip:" + s.callee + "@" + s.domain;
  const std::string contact = "Contact: <sip:" + s.user + "@" + s.wcs.str() + ";transport=udp>";
  const auto sess = static_cast<std::uint64_t>(rng.range(100000000, 999999999));
  // The keys come from their own generators: a call without SDES draws what it always drew.
  Rng key_rng = sdes.on ? rng.fork(0x5de5) : Rng(0);
  const Bytes wcs_key = sdes.on ? key_rng.bytes(kSrtpMasterKeyLen) : Bytes{};
  const Bytes pbx_key = sdes.on ? key_rng.bytes(kSrtpMasterKeyLen) : Bytes{};
  const Bytes pbx_sends = sdes.pbx_wrong_key ? key_rng.bytes(kSrtpMasterKeyLen) : pbx_key;
  const std::string offer = sdp_body(s.wcs_rtp, sess, "Flashphoner", wcs_key);
  const std::vector<std::string> invite_extra{contact, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO",
                                              "Supported: replaces"};
  Request inv = ua.request(t, "INVITE", ruri, 1, from, to, call_id, invite_extra, offer);
  cap.note_sdp_clock(s.wcs_rtp, kPtPcmu, 8000);
  cap.note_sdp_clock(s.wcs_rtp, kPtTelephoneEvent, 8000);
  CallTimes ct{t, 0};

  if (outcome == CallOutcome::kNoAnswer) {
    // RFC 3261 Timer A: resent 0.5, 1, 2, 4, 8, 16 s apart until Timer B (64 T1 = 32 s) fires.
    std::int64_t at = t, gap = 500 * kMs;
    while (at + gap < t + 32 * kSec) {
      at += gap;
      ua.resend(at, inv, ruri, invite_extra, offer);
      gap *= 2;
    }
    return ct;
  }

  const std::string pbx_tag = "as" + hex_token(rng, 8);
  const std::int64_t t100 = ua.answer_at(t, 200, 1500);
  ua.respond(t100, inv, 100, "Trying", "", {});
  if (outcome == CallOutcome::kBusy) {
    const std::int64_t t486 = t100 + rng.range(200 * kMs, 1500 * kMs);
    ua.respond(t486, inv, 486, "Busy Here", pbx_tag, {});
    // ACK for a non-2xx final answer: same branch as the INVITE, To with the answer's tag.
    Request ack = inv;
    ack.method = "ACK";
    ack.to = to + ";tag=" + pbx_tag;
    ua.resend(t486 + rng.range(100, 600), ack, ruri, {});
    ct.final_us = t486;
    return ct;
  }
  const std::string pbx_contact = "Contact: <sip:" + s.callee + "@" + s.pbx.str() + ">";
  const std::int64_t t180 = t100 + rng.range(100 * kMs, 600 * kMs);
  ua.respond(t180, inv, 180, "Ringing", pbx_tag, {pbx_contact});
  const std::int64_t t200 = t180 + rng.range(1500 * kMs, 3000 * kMs);
  const Endpoint pbx_sdp_rtp = pbx_media.sdp_rtp.value_or(s.pbx_rtp);
  const std::string answer =
      sdp_body(pbx_sdp_rtp, static_cast<std::uint64_t>(rng.range(100000000, 999999999)), "Asterisk", pbx_key);
  ua.respond(t200, inv, 200, "OK", pbx_tag, {pbx_contact, "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, INFO"},
             answer);
  cap.note_sdp_clock(pbx_sdp_rtp, kPtPcmu, 8000);
  cap.note_sdp_clock(pbx_sdp_rtp, kPtTelephoneEvent, 8000);
  const std::int64_t t_ack = t200 + rng.range(200, 900);
  const std::string to_tagged = to + ";tag=" + pbx_tag;
  const std::string target = "sip:" + s.callee + "@" + s.pbx.str();
  ua.request(t_ack, "ACK", target, 1, from, to_tagged, call_id, {});
  ct.final_us = t200;
  ct.ack_us = t_ack;

  // G.711 both ways, 20 ms: WCS from its ACK, the PBX from its 200 (reaching the tap a delay later).
  const std::int64_t t_bye = std::max(end_us, t_ack + 3 * kSec);
  Rng media_rng = rng.fork(7);
  StreamSpec wcs_spec = pcmu_stream(media_rng.u32());
  StreamSpec pbx_spec = pcmu_stream(media_rng.u32());
  wcs_spec.srtp = pbx_spec.srtp = sdes.on;
  MediaStream wcs_audio(wcs_spec, media_rng);
  MediaStream pbx_audio(pbx_spec, media_rng);
  if (sdes.on) {
    cap.add_sdes_key(wcs_spec.ssrc, wcs_key, wcs_key);
    cap.add_sdes_key(pbx_spec.ssrc, pbx_sends, pbx_key);
  }
  const auto send = [&](const Endpoint& from, const Endpoint& to) {
    return [&cap, &sdes, from, to](std::int64_t tt, Bytes b) {
      if (sdes.on)
        cap.add_srtp(tt, from, to, Content::kRtp, std::move(b));
      else
        cap.add_udp(tt, from, to, Content::kRtp, std::move(b));
    };
  };
  // The PBX's first RTP packet reaches WCS before its ACK leaves: WCS's go where the PBX's come from.
  const Endpoint wcs_sends_to = pbx_media.sends_rtp ? s.pbx_rtp : pbx_sdp_rtp;
  wcs_audio.generate_audio(t_ack + rng.range(1 * kMs, 5 * kMs), t_bye, PathTiming{400}, media_rng,
                           send(s.wcs_rtp, wcs_sends_to));
  const std::int64_t pbx_from = t200 + rng.range(1 * kMs, 5 * kMs);
  if (pbx_media.sends_rtp)
    pbx_audio.generate_audio(pbx_from, t_bye + s.delay_us, PathTiming{3000}, media_rng, send(s.pbx_rtp, s.wcs_rtp));

  Request bye = ua.request(t_bye, "BYE", target, 2, from, to_tagged, call_id, {});
  ua.respond(ua.answer_at(t_bye, 200, 2000), bye, 200, "OK", "", {});
  return ct;
}

// The start every SIP scenario shares: its own random stream (the seed and the scenario's salt),
// WCS and the PBX, the PBX's TTL, WCS's user agent, and the session's first moment.
struct SipRun {
  SipRun(const ScenarioParams& p, Capture& cap, std::uint64_t salt)
      : rng(p.seed ^ salt),
        s(random_setup(rng)),
        pbx_ttl(static_cast<std::uint8_t>(64 - rng.range(2, 10))),
        ua(cap, s, rng),
        t0(kBaseTimeUs + rng.range(100 * kMs, 500 * kMs)) {
    cap.set_remote_ttl(s.pbx.ip, pbx_ttl);
  }
  SipRun(const SipRun&) = delete;
  SipRun& operator=(const SipRun&) = delete;

  Rng rng;
  SipSetup s;
  std::uint8_t pbx_ttl;
  SipUa ua;  // draws from rng
  std::int64_t t0;
};

// sip_rtp_mismatch's wait after the ACK (ANOMALIES.md #21: no_rtp_s), and one_way_media's window
// (#2: min_duration_s; its 50 packets are there long before, at one per 20 ms).
constexpr std::int64_t kNoRtpAfterAck = 3 * kSec;
constexpr std::int64_t kOneWayWindow = 3 * kSec;

struct AnsweredCall {
  SipSetup s;
  CallTimes ct;
};

// As sip_call (its own seed salt), with the PBX's media as `media` says (`pbx_sdp_rtp`, given the
// setup, the address its SDP names instead of its own).
AnsweredCall answered_call(const ScenarioParams& p, Capture& cap, std::uint64_t salt, PbxMedia media,
                           Endpoint (*pbx_sdp_rtp)(const SipSetup&, Rng&) = nullptr, Sdes sdes = {}) {
  SipRun run(p, cap, salt);
  auto& [rng, s, pbx_ttl, ua, t0] = run;
  AnsweredCall c{s, {}};
  if (pbx_sdp_rtp != nullptr) media.sdp_rtp = pbx_sdp_rtp(s, rng);
  const Registration reg = do_register(s, ua, rng, t0, 200, "OK");
  const std::int64_t t_inv = reg.end_us + rng.range(500 * kMs, 1500 * kMs);
  const std::int64_t end = t0 + static_cast<std::int64_t>(p.duration_s * 1e6);
  c.ct = do_call(s, ua, rng, cap, t_inv, end, CallOutcome::kAnswered, media, sdes);
  // The call must outlast the verdicts on its media (a BYE ends the dialog's checks).
  if (end < c.ct.ack_us + kNoRtpAfterAck + kSec) throw std::logic_error("SIP call too short for its media verdict");
  cap.note_signalling(sip_record(s, "REGISTER", "registered", 200));
  cap.note_signalling(sip_record(s, "INVITE", "terminated", 200));
  return c;
}

// sip_rtp_mismatch, judged kNoRtpAfterAck after the ACK on the dialog (WCS -> PBX).
Anomaly rtp_mismatch(const AnsweredCall& c) {
  return Anomaly{"sip_rtp_mismatch", "udp", c.s.wcs, c.s.pbx, std::nullopt, c.ct.ack_us + kNoRtpAfterAck, 0.01};
}

// sip-call with SRTP: each SDP carries its author's a=crypto key, and each side's media is SRTP
// under it. With `pbx_wrong_key`, the PBX sends under a key it never announced: every packet of
// its stream fails authentication with the SDP's, srtp_auth_failure at its 50th (min_packets).
std::vector<Anomaly> sip_sdes_call(const ScenarioParams& p, Capture& cap, bool pbx_wrong_key) {
  const AnsweredCall c = answered_call(p, cap, pbx_wrong_key ? 0x5de5bad0u : 0x5de5ca11u, PbxMedia{}, nullptr,
                                       Sdes{true, pbx_wrong_key});
  const SipSetup& s = c.s;
  if (!pbx_wrong_key) return {};
  constexpr std::size_t kMinPackets = 50;  // srtp_auth_failure's min_packets, all of them failing
  std::vector<const Packet*> pbx;
  for (const Packet& pk : cap.packets())
    if (pk.content == Content::kRtp && pk.src == s.pbx_rtp && pk.dst == s.wcs_rtp) pbx.push_back(&pk);
  std::stable_sort(pbx.begin(), pbx.end(), [](const Packet* a, const Packet* b) { return a->t_us < b->t_us; });
  if (pbx.size() < kMinPackets) throw std::logic_error("sip-sdes-bad-key: too few PBX packets; use a longer --duration");
  return {Anomaly{"srtp_auth_failure", "udp", s.pbx_rtp, s.wcs_rtp, get32(pbx.front()->payload, 8),
                  pbx[kMinPackets - 1]->t_us, 0.05}};
}

}  // namespace

std::vector<Anomaly> sip_call(const ScenarioParams& p, Capture& cap) {
  SipRun run(p, cap, 0x51bca11u);
  auto& [rng, s, pbx_ttl, ua, t0] = run;
  const Registration reg = do_register(s, ua, rng, t0, 200, "OK");
  const std::int64_t t_inv = reg.end_us + rng.range(500 * kMs, 1500 * kMs);
  do_call(s, ua, rng, cap, t_inv, t0 + static_cast<std::int64_t>(p.duration_s * 1e6), CallOutcome::kAnswered);
  cap.note_signalling(sip_record(s, "REGISTER", "registered", 200));
  cap.note_signalling(sip_record(s, "INVITE", "terminated", 200));
  return {};
}

std::vector<Anomaly> sip_sdes(const ScenarioParams& p, Capture& cap) { return sip_sdes_call(p, cap, false); }

std::vector<Anomaly> sip_sdes_bad_key(const ScenarioParams& p, Capture& cap) { return sip_sdes_call(p, cap, true); }

std::vector<Anomaly> sip_rejected(const ScenarioParams& p, Capture& cap) {
  SipRun run(p, cap, 0x51b486u);
  auto& [rng, s, pbx_ttl, ua, t0] = run;
  const Registration reg = do_register(s, ua, rng, t0, 200, "OK");
  const std::int64_t t_inv = reg.end_us + rng.range(500 * kMs, 1500 * kMs);
  const CallTimes ct = do_call(s, ua, rng, cap, t_inv, 0, CallOutcome::kBusy);
  cap.note_signalling(sip_record(s, "REGISTER", "registered", 200));
  cap.note_signalling(sip_record(s, "INVITE", "failed", 486));
  return {Anomaly{"sip_failure", "udp", s.wcs, s.pbx, std::nullopt, ct.final_us, 0.01}};
}

std::vector<Anomaly> sip_register_refused(const ScenarioParams& p, Capture& cap) {
  SipRun run(p, cap, 0x51b403u);
  auto& [rng, s, pbx_ttl, ua, t0] = run;
  const Registration reg = do_register(s, ua, rng, t0, 403, "Forbidden");
  cap.note_signalling(sip_record(s, "REGISTER", "failed", 403));
  return {Anomaly{"sip_failure", "udp", s.wcs, s.pbx, std::nullopt, reg.final_us, 0.01}};
}

// Registered; 1-2 s later the PBX stops answering (it went down) and the INVITE WCS sends is resent
// per Timer A until Timer B gives up 32 s after it. WCS's keep-alives (a double CRLF every 15 s, RFC
// 5626) go on to the session's end.
std::vector<Anomaly> sip_no_answer(const ScenarioParams& p, Capture& cap) {
  SipRun run(p, cap, 0x51b0a5u);
  auto& [rng, s, pbx_ttl, ua, t0] = run;
  const Registration reg = do_register(s, ua, rng, t0, 200, "OK");
  const std::int64_t t_inv = reg.end_us + rng.range(1000 * kMs, 2000 * kMs);
  const CallTimes ct = do_call(s, ua, rng, cap, t_inv, 0, CallOutcome::kNoAnswer);
  const std::int64_t end = std::max(t0 + static_cast<std::int64_t>(p.duration_s * 1e6), t_inv + 34 * kSec);
  for (std::int64_t t = reg.end_us + 15 * kSec;; t += 15 * kSec) {  // the last one past the end
    cap.add_udp(t + rng.range(0, 20 * kMs), s.wcs, s.pbx, Content::kSignalling, Bytes{'\r', '\n', '\r', '\n'});
    if (t > end) break;
  }
  cap.note_signalling(sip_record(s, "REGISTER", "registered", 200));
  cap.note_signalling(sip_record(s, "INVITE", "failed", 0, 6));
  return {Anomaly{"sip_failure", "udp", s.wcs, s.pbx, std::nullopt, ct.invite_us + 32 * kSec, 0.05}};
}

// The PBX's RTP never reaches WCS (a firewall on its way drops it) while WCS's flows to the SDP's
// address: sip_rtp_mismatch (no RTP to WCS's SDP address) 3 s after the ACK, and one_way_media on
// WCS's stream, nothing coming back, on its first packet 3 s after its first.
std::vector<Anomaly> sip_rtp_one_way(const ScenarioParams& p, Capture& cap) {
  const AnsweredCall c = answered_call(p, cap, 0x51b1a7u, PbxMedia{std::nullopt, false});
  cap.sort();
  std::optional<std::int64_t> first;
  std::uint32_t ssrc = 0;
  for (const Packet& pk : cap.packets()) {
    if (pk.content != Content::kRtp || pk.src != c.s.wcs_rtp || pk.dst != c.s.pbx_rtp) continue;
    if (!first) {
      first = pk.t_us;
      ssrc = get32(pk.payload, 8);
    } else if (pk.t_us - *first >= kOneWayWindow) {
      return {rtp_mismatch(c), Anomaly{"one_way_media", "udp", c.s.wcs_rtp, c.s.pbx_rtp, ssrc, pk.t_us, 0.01}};
    }
  }
  throw std::logic_error("sip-rtp-one-way: WCS's RTP too short for one_way_media");
}

// A multi-homed PBX: its SDP names its other address (192.0.2.100-199), its RTP leaves from its SIP
// address; WCS answers where that RTP comes from (symmetric RTP), so media flows both ways on one
// 5-tuple, but not from the address the SDP named: sip_rtp_mismatch 3 s after the ACK.
std::vector<Anomaly> sip_rtp_wrong_address(const ScenarioParams& p, Capture& cap) {
  const AnsweredCall c = answered_call(p, cap, 0x51bad0u, PbxMedia{}, [](const SipSetup& s, Rng& rng) {
    return Endpoint{Ipv4Addr::of(192, 0, 2, static_cast<std::uint8_t>(rng.range(100, 199))), s.pbx_rtp.port};
  });
  return {rtp_mismatch(c)};
}

// The PBX behind NAT: its SDP names its private address (10.0.0.0/8, the same port), its SIP and RTP
// come from its public one; WCS answers where the RTP comes from (symmetric RTP). nat_address_mismatch
// at the 200 OK whose SDP names the private address (PBX -> WCS), and sip_rtp_mismatch 3 s after the
// ACK: RTP from an address the SDP did not name.
std::vector<Anomaly> sip_nat_private_sdp(const ScenarioParams& p, Capture& cap) {
  const AnsweredCall c = answered_call(p, cap, 0x51b10au, PbxMedia{}, [](const SipSetup& s, Rng& rng) {
    return Endpoint{Ipv4Addr::of(10, static_cast<std::uint8_t>(rng.range(0, 255)),
                                 static_cast<std::uint8_t>(rng.range(0, 255)), static_cast<std::uint8_t>(rng.range(2, 254))),
                    s.pbx_rtp.port};
  });
  return {Anomaly{"nat_address_mismatch", "udp", c.s.pbx, c.s.wcs, std::nullopt, c.ct.final_us, 0.01}, rtp_mismatch(c)};
}

// sipvicious's svmap as SIP scanners run it: one OPTIONS per port of 5060-5069 it tries, from one
// port of its own, fast; its User-Agent is "friendly-scanner". WCS's firewall drops them: no
// answer. The operator's signature on that User-Agent, for SIP's ports 5060-5069, raises
// signature_match once per probe's flow (the flow direction's first match), at the probe; the healthy
// call's SIP (the PBX's 5060) passes the same signature without a match.
std::vector<Anomaly> sip_scanner(const ScenarioParams& p, Capture& cap) {
  const std::string kUserAgent = "friendly-scanner";
  const UserSignature sig{1000, "SIP scanner (sipvicious)", "User-Agent: " + kUserAgent, {{5060, 5069}}, "major"};
  cap.add_signature(sig);
  const AnsweredCall c = answered_call(p, cap, 0x51b5ca7u, PbxMedia{});

  Rng rng(p.seed ^ 0x5ca7u);
  const Endpoint scanner{Ipv4Addr::of(203, 0, 113, static_cast<std::uint8_t>(rng.range(200, 250))),
                         static_cast<std::uint16_t>(rng.range(40000, 60000))};
  cap.set_remote_ttl(scanner.ip, static_cast<std::uint8_t>(64 - rng.range(10, 20)));
  const std::string ext = std::to_string(rng.range(100, 999));
  std::int64_t t = c.ct.ack_us + rng.range(500 * kMs, 2 * kSec);
  const auto probes = rng.range(3, 5);
  for (std::int64_t i = 0; i < probes; ++i, t += rng.range(5 * kMs, 60 * kMs)) {
    const Endpoint target{kWcsIp, static_cast<std::uint16_t>(5060 + i)};
    const std::string to = "\"sipvicious\"<sip:" + ext + "@1.1.1.1>";
    cap.add_udp(t, scanner, target, Content::kSignalling,
                sip_text("OPTIONS sip:" + ext + "@" + target.ip.str() + " SIP/2.0",
                         {"Via: SIP/2.0/UDP " + scanner.str() + ";branch=z9hG4bK-" + hex_token(rng, 10) + ";rport",
                          "Max-Forwards: 70", "To: " + to, "From: " + to + ";tag=" + hex_token(rng, 24),
                          "User-Agent: " + kUserAgent, "Call-ID: " + hex_token(rng, 10),
                          "Contact: sip:" + ext + "@" + scanner.str(), "CSeq: 1 OPTIONS",
                          "Accept: application/sdp"}));
  }

  // The truth from the datagrams written: each flow direction on the signature's ports whose payload
  // holds the pattern (a plain text), at its first such datagram.
  cap.sort();
  const auto on_ports = [&](const Packet& pk) {
    for (const auto& [from, to] : sig.ports)
      for (const std::uint16_t port : {pk.src.port, pk.dst.port})
        if (port >= from && port <= to) return true;
    return false;
  };
  std::map<std::pair<Endpoint, Endpoint>, std::int64_t> first;
  for (const Packet& pk : cap.packets()) {
    if (pk.proto != kIpProtoUdp || !on_ports(pk)) continue;
    const std::string text(pk.payload.begin(), pk.payload.end());
    if (text.find(sig.pattern) == std::string::npos) continue;
    // Once per flow direction and refresh interval: one probe per flow keeps the truth simple.
    if (!first.try_emplace({pk.src, pk.dst}, pk.t_us).second)
      throw std::logic_error("sip-scanner: two matches on one flow");
  }
  std::vector<Anomaly> out;
  for (const auto& [flow, at] : first)
    out.push_back(Anomaly{"signature_match", "udp", flow.first, flow.second, std::nullopt, at, 0.01});
  return out;
}

}  // namespace wcsgen
