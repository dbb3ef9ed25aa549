// SDP (RFC 8866) as the offers and answers of SIP, RTSP and WebRTC use it: what names the media
// before the first packet (addresses and ports, payload types and clock rates, SSRCs, ICE
// candidates and ufrags, DTLS fingerprints, SDES keys). Fixed capacity: what does not fit is
// counted, not stored. Pure: the result points into the input; no allocation.
#pragma once

#include <array>
#include <cstdint>

#include "decode/bytes.h"
#include "event.h"

namespace wcstap {

enum class SdpMediaType : uint8_t { Audio, Video, Application, Other };
enum class SdpDirection : uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };
enum class SdpSetup : uint8_t { None, Active, Passive, ActPass, HoldConn };  // RFC 4145
enum class IceTransport : uint8_t { Udp, Tcp, Other };
enum class IceCandidateType : uint8_t { Host, Srflx, Prflx, Relay, Other };
enum class IceTcpType : uint8_t { None, Active, Passive, So };  // RFC 6544

constexpr size_t kSdpMaxMedia = 8, kSdpMaxFormats = 32, kSdpMaxRtpmaps = 16, kSdpMaxFmtps = 16,
                 kSdpMaxSsrcs = 16, kSdpMaxSsrcGroups = 4, kSdpMaxGroupSsrcs = 4,
                 kSdpMaxCandidates = 16, kSdpMaxCryptos = 4;
constexpr size_t kSdpMaxCryptoKey = 46;  // AES-256 key (32) + salt (14): the longest RFC 4568/6188 suite

// An address as SDP writes it: an IP literal (in `ip`, port set by the caller's context), or a
// name (an FQDN, or a WebRTC mDNS "<uuid>.local" host candidate) left in `text`.
struct SdpAddress {
  bool present = false;
  bool is_ip = false;
  Endpoint ip;
  Bytes text;
};

struct SdpRtpmap {
  uint8_t pt = 0;
  Bytes encoding;           // "opus", "PCMU", "H264" (case as written)
  uint32_t clock_rate = 0;
  uint8_t channels = 1;     // audio: the optional third field; 1 when absent
};

struct SdpFmtp {
  uint8_t pt = 0;
  Bytes params;             // "useinbandfec=1; minptime=10"
};

struct SdpSsrc {
  uint32_t ssrc = 0;
  Bytes cname;              // empty until an a=ssrc:<id> cname: line names it
};

struct SdpSsrcGroup {
  Bytes semantics;          // "FID" (RTX), "SIM" (simulcast), "FEC-FR"
  std::array<uint32_t, kSdpMaxGroupSsrcs> ssrcs{};
  uint8_t count = 0;
};

struct IceCandidate {
  Bytes foundation;
  uint8_t component = 0;    // 1 RTP, 2 RTCP
  IceTransport transport = IceTransport::Udp;
  uint32_t priority = 0;
  SdpAddress address;       // ip.port is the candidate's port
  IceCandidateType type = IceCandidateType::Other;
  IceTcpType tcptype = IceTcpType::None;
  SdpAddress related;       // raddr/rport: a srflx/relay candidate's base (often a private address)
};

struct SdpFingerprint {
  bool present = false;
  Bytes hash;               // "sha-256" (as written)
  std::array<uint8_t, 64> digest{};
  uint8_t digest_len = 0;   // 32 for sha-256, 20 for sha-1, 64 for sha-512
};

struct SdpCrypto {
  uint32_t tag = 0;
  Bytes suite;              // "AES_CM_128_HMAC_SHA1_80"
  // SECRET: the SRTP master key and salt from `inline:<base64>`, kept only so that SRTP can be
  // decrypted/authenticated. Never print, log, publish or store it.
  std::array<uint8_t, kSdpMaxCryptoKey> secret_key_salt{};
  uint8_t secret_key_salt_len = 0;
  bool key_ok = false;      // base64 decoded and fit
  Bytes lifetime;           // "2^20" or decimal; empty when absent
  uint32_t mki = 0;         // MKI value:length; mki_len 0 when absent
  uint8_t mki_len = 0;
  uint8_t key_params = 1;   // key-params given (";inline:..." more): only the first is kept
  Bytes session_params;     // what follows the key-params ("KDR=0 UNENCRYPTED_SRTCP"); no secret
};

struct SdpMedia {
  SdpMediaType type = SdpMediaType::Other;
  Bytes type_text;          // "audio", "video", "application", ...
  uint16_t port = 0;        // 0: the section is rejected / disabled
  uint16_t port_count = 1;
  Bytes proto;              // "RTP/AVP", "UDP/TLS/RTP/SAVPF", "RTP/SAVP", "UDP/DTLS/SCTP"
  Bytes formats;            // the m= line's format list as written
  std::array<uint8_t, kSdpMaxFormats> pts{};  // numeric formats 0-127 (RTP payload types)
  uint8_t pt_count = 0;
  uint8_t formats_dropped = 0;
  SdpAddress connection;    // this section's c=; see sdp_media_endpoint() for the inherited one
  SdpDirection direction = SdpDirection::SendRecv;
  bool has_direction = false;  // else the session level's applies
  std::array<SdpRtpmap, kSdpMaxRtpmaps> rtpmaps{};
  uint8_t rtpmap_count = 0, rtpmaps_dropped = 0;
  std::array<SdpFmtp, kSdpMaxFmtps> fmtps{};
  uint8_t fmtp_count = 0, fmtps_dropped = 0;
  std::array<SdpSsrc, kSdpMaxSsrcs> ssrcs{};  // one entry per distinct SSRC
  uint8_t ssrc_count = 0, ssrcs_dropped = 0;
  std::array<SdpSsrcGroup, kSdpMaxSsrcGroups> ssrc_groups{};
  uint8_t ssrc_group_count = 0, ssrc_groups_dropped = 0;
  std::array<IceCandidate, kSdpMaxCandidates> candidates{};
  uint8_t candidate_count = 0, candidates_dropped = 0;
  bool end_of_candidates = false;
  Bytes mid;
  Bytes msid;               // "<stream id> <track id>"
  bool rtcp_mux = false;
  bool has_rtcp = false;    // a=rtcp (RFC 3605)
  uint16_t rtcp_port = 0;
  SdpAddress rtcp_address;
  Bytes ice_ufrag;          // not a secret: it travels in clear in every STUN check
  bool has_ice_pwd = false; // presence only: the ICE password is a secret (keys MESSAGE-INTEGRITY)
  SdpFingerprint fingerprint;
  SdpSetup setup = SdpSetup::None;
  std::array<SdpCrypto, kSdpMaxCryptos> cryptos{};
  uint8_t crypto_count = 0, cryptos_dropped = 0;
  uint32_t bandwidth_as = 0;    // kbit/s; 0 when absent
  uint32_t bandwidth_tias = 0;  // bit/s; 0 when absent
};

struct SdpSession {
  Bytes origin_username;
  uint64_t session_id = 0, session_version = 0;
  SdpAddress origin_address;
  Bytes session_name;
  SdpAddress connection;    // session-level c=
  SdpDirection direction = SdpDirection::SendRecv;  // session level: the default of every section
  Bytes bundle;             // a=group:BUNDLE's mid list ("0 1"); empty when absent
  bool ice_lite = false;
  Bytes ice_ufrag;
  bool has_ice_pwd = false; // presence only (a secret)
  SdpFingerprint fingerprint;
  SdpSetup setup = SdpSetup::None;
  uint32_t bandwidth_as = 0, bandwidth_tias = 0;
  std::array<SdpMedia, kSdpMaxMedia> media{};
  uint8_t media_count = 0;
  uint16_t media_dropped = 0;
  uint16_t malformed_lines = 0;  // lines or attributes that did not parse (skipped, not fatal)
};

// False when `body` is not SDP (it does not start with "v=0"); a malformed line after that is
// skipped and counted. CRLF or bare LF line ends.
bool parse_sdp(Bytes body, SdpSession& out);

// The clock rate of `pt` in a section: its rtpmap, else the static RFC 3551 table; 0 when unknown.
uint32_t sdp_clock_rate(const SdpMedia& m, uint8_t pt);
// A section's direction, the session level's when it names none.
SdpDirection sdp_direction(const SdpSession& s, const SdpMedia& m);
// Where a section's RTP goes: its c= (else the session's) with the m= port. False without an IP
// address.
bool sdp_media_endpoint(const SdpSession& s, const SdpMedia& m, Endpoint& out);
// The fingerprint, ufrag and setup that apply to a section (its own, else the session's).
const SdpFingerprint* sdp_fingerprint(const SdpSession& s, const SdpMedia& m);
Bytes sdp_ice_ufrag(const SdpSession& s, const SdpMedia& m);
SdpSetup sdp_setup(const SdpSession& s, const SdpMedia& m);

const char* sdp_direction_name(SdpDirection d);  // "sendrecv", "sendonly", "recvonly", "inactive"
const char* sdp_media_type_name(SdpMediaType t);  // "audio", "video", "application", "other"
const char* ice_candidate_type_name(IceCandidateType t);  // "host", "srflx", "prflx", "relay", "other"

}  // namespace wcstap
