// The capture being generated: a list of timed transport payloads, seen by a
// tap on the WCS server's interface. Frames (Ethernet/IPv4 headers, IP ids,
// TTLs, MACs) are only built when the capture is written, after sorting and
// after scenarios have dropped what their fault removes. SRTP and SRTCP stay
// in clear until the scenario is done changing them (renumbering, a new SSRC),
// then libsrtp protects them as their senders would have. It also keeps what
// the truth states about its DTLS handshakes (certificates, outcome) and the
// SRTP master keys, which the generator knows from building them rather than
// from the bytes. A browser relayed by TURN has its packets with WCS moved onto its
// flow with the TURN server at the end, and framed as ChannelData when written. An ICMP error
// quotes a datagram of the capture as it was framed, so it too is only built when written.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bytes.h"
#include "net.h"

namespace wcsgen {

// How frames are written: locally administered MACs (the WCS server NIC and its default gateway),
// and the TTL of the server's own packets and, by default, of a remote host's as they reach it.
inline constexpr Mac kServerMac{0x02, 0x57, 0x43, 0x53, 0x00, 0x0a};
inline constexpr Mac kGatewayMac{0x02, 0x57, 0x43, 0x53, 0x00, 0x01};
inline constexpr std::uint8_t kLocalTtl = 64;
inline constexpr std::uint8_t kDefaultRemoteTtl = 52;

// kSignalling: a clear signalling payload (SIP, DNS, RTSP, RTMP), interleaved media included.
enum class Content : std::uint8_t { kTcpControl, kTls, kStun, kDtls, kRtp, kRtcp, kIcmp, kSignalling };

enum class Srtp : std::uint8_t {
  kNone,       // sent as it is
  kPending,    // RTP or RTCP in clear, that Capture::protect_srtp() protects
  kProtected,  // SRTP or SRTCP: as the tap sees it
};

// An ICMP error about a datagram of the capture: what it says, and which datagram (its
// Packet::order) it quotes; the quote's bytes (net.h: icmp_quote) exist once that is framed.
struct IcmpError {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint64_t quoted = 0;
};

struct Packet {
  std::int64_t t_us = 0;    // absolute, microseconds since the Unix epoch
  std::uint64_t order = 0;  // insertion order, tie-breaker for equal times
  Endpoint src;             // an ICMP message's endpoints have port 0
  Endpoint dst;
  std::uint8_t proto = kIpProtoUdp;
  TcpHeader tcp;   // only for proto == kIpProtoTcp
  IcmpError icmp;  // only for proto == kIpProtoIcmp (Content::kIcmp, no payload)
  Content content = Content::kRtp;
  Srtp srtp = Srtp::kNone;
  Bytes payload;  // transport payload (what is relayed, when turn_channel is set)
  // Not 0: the payload crosses the tap inside TURN ChannelData on this channel (Capture::relay_turn);
  // the frame written carries the ChannelData.
  std::uint16_t turn_channel = 0;
};

// A browser that reaches WCS through a channel of a TURN server (RFC 8656): what the two send each
// other between their media endpoints the tap sees only on the browser's flow with the server.
struct TurnChannel {
  Endpoint client;  // the browser's media endpoint
  Endpoint peer;    // WCS's media endpoint
  Endpoint server;  // the TURN server's listening endpoint
  std::uint16_t number = 0;
};

// The SSRC that sends an RTP packet (header bytes 8-11) or an RTCP compound (its first packet's
// bytes 4-7, in clear in SRTCP too): whose SRTP key protects it.
std::uint32_t sender_ssrc(const Packet& p);

struct SrtpKey {
  std::uint32_t ssrc = 0;
  Bytes master;  // master key || master salt (srtp_session.h): what the sender protects with
  // SDES (RFC 4568): the key the sender's SDP announced in a=crypto, which the tap learns from the
  // capture itself (not written to the key file). Empty: not announced in SDP.
  Bytes announced;
  // What a receiver holding the key the tap is meant to have (the file's or the SDP's) uses.
  const Bytes& receiver_key() const { return announced.empty() ? master : announced; }
};

// One DTLS handshake as it went on the wire.
struct DtlsHandshakeTruth {
  enum class Outcome : std::uint8_t { kDone, kIncomplete, kAlert };
  struct Alert {
    std::uint8_t level = 0;
    std::uint8_t description = 0;
    Endpoint from;
  };
  Endpoint client;
  Endpoint server;
  // SHA-256 of the DER certificate each side sent (x509::sha256_fingerprint); none if it never sent it.
  std::optional<std::string> client_fingerprint;
  std::optional<std::string> server_fingerprint;
  Outcome outcome = Outcome::kIncomplete;
  std::optional<Alert> alert;
  int client_hellos = 0;  // ClientHello transmissions, retransmissions included
};

// A user signature (the config's `signatures:`) the tap analysing the capture is given: a scenario's
// own, for wcstap-gen --tap-config to write.
struct UserSignature {
  std::uint32_t id = 0;  // 1000 and up (lower ids are the tap's built-ins)
  std::string name;
  std::string pattern;  // a regular expression in Hyperscan's syntax
  std::vector<std::pair<std::uint16_t, std::uint16_t>> ports;  // port ranges, either port of a flow; empty: any
  std::string severity = "minor";  // info, minor, major, critical
};

class Capture {
 public:
  // The host the tap runs on (frames from it leave, frames to it arrive).
  explicit Capture(Ipv4Addr local) : local_(local) {}

  // TTL seen on packets coming from a remote host (default 52).
  void set_remote_ttl(Ipv4Addr host, std::uint8_t ttl) { ttl_[host] = ttl; }

  void add_udp(std::int64_t t_us, const Endpoint& src, const Endpoint& dst, Content c, Bytes payload);
  void add_tcp(std::int64_t t_us, const Endpoint& src, const Endpoint& dst, const TcpHeader& h, Content c,
               Bytes payload);

  // An ICMP destination unreachable with `code` (net.h) from the host `datagram` was sent to,
  // quoting it, seen at t_us (after the datagram was written: it is quoted as framed).
  void add_icmp_unreachable(std::int64_t t_us, const Packet& datagram, std::uint8_t code);

  // RTP (Content::kRtp) or an RTCP compound (kRtcp) in clear, that its sender protects with SRTP
  // (Srtp::kPending until protect_srtp()).
  void add_srtp(std::int64_t t_us, const Endpoint& src, const Endpoint& dst, Content c, Bytes plain);

  // The master key of an SSRC that sends SRTP or SRTCP; an SSRC or a key given twice throws.
  void add_srtp_key(std::uint32_t ssrc, Bytes master);
  // A key its sender announced in SDP (SDES) as `announced`, and protects with `master` (the
  // same, unless the sender is misconfigured).
  void add_sdes_key(std::uint32_t ssrc, Bytes master, Bytes announced);
  const std::vector<SrtpKey>& srtp_keys() const { return srtp_keys_; }
  const SrtpKey* srtp_key(std::uint32_t ssrc) const;

  // Protects every pending packet with libsrtp, in time order (each sender's own order), with its
  // sender SSRC's key. Once: when the scenario is done changing packets in clear; later calls find
  // nothing left, and add_srtp throws. A scenario that changes what is on the wire (a flipped
  // bit) or measures it calls it first; the generator calls it before writing.
  void protect_srtp();

  // A TURN channel whose client and peer relay_turn() moves onto the client's flow with the server.
  void add_turn_channel(const TurnChannel& c) { turn_channels_.push_back(c); }

  // Moves every UDP packet between a TURN channel's client and peer onto the client <-> server flow,
  // in the packet's direction (the peer's come from the server), to be written as ChannelData. At the
  // end, when the scenario is done finding packets by the endpoints their sessions used; the payload
  // stays as it is (SRTP protected or not), framed only when written. The generator calls it before
  // writing; later calls find nothing left.
  void relay_turn();

  // Removes every packet for which pred is true; returns how many.
  std::size_t drop_if(const std::function<bool(const Packet&)>& pred);

  // The packets for which pred is true, in time order, to change (e.g. re-time a path's delay).
  // Call sort() after changing times.
  std::vector<Packet*> matching(const std::function<bool(const Packet&)>& pred);

  // Sorts by time (stable for equal times). Call before reading packets().
  void sort();
  const std::vector<Packet>& packets() const { return packets_; }

  // RTP carried inside a signalling stream (RTSP interleaved $ frames) from src to dst (the TCP
  // connection's endpoints): the truth counts it as an RTP stream of that direction. Noted by the
  // scenario that wrote the frame, at the frame's tap time.
  struct EmbeddedRtp {
    std::int64_t t_us = 0;
    Endpoint src, dst;
    Bytes rtp;
  };
  void note_embedded_rtp(std::int64_t t_us, const Endpoint& src, const Endpoint& dst, Bytes rtp) {
    embedded_rtp_.push_back(EmbeddedRtp{t_us, src, dst, std::move(rtp)});
  }
  const std::vector<EmbeddedRtp>& embedded_rtp() const { return embedded_rtp_; }

  // SDP (of SIP, say) named `receiver` as where media of payload type `pt` arrives, at this clock
  // rate: an RTP stream to or from it takes its clock from the SDP (the truth's clock_source "sdp").
  void note_sdp_clock(const Endpoint& receiver, std::uint8_t pt, std::uint32_t clock_hz) {
    sdp_clocks_[{receiver, pt}] = clock_hz;
  }
  const std::map<std::pair<Endpoint, std::uint8_t>, std::uint32_t>& sdp_clocks() const { return sdp_clocks_; }

  // Signalling records (SIP dialogs, DNS client/server summaries) the truth states as built.
  void note_signalling(std::string json) { signalling_.push_back(std::move(json)); }
  const std::vector<std::string>& signalling() const { return signalling_; }

  // A signature the tap is to be configured with for this capture.
  void add_signature(UserSignature s) { signatures_.push_back(std::move(s)); }
  const std::vector<UserSignature>& signatures() const { return signatures_; }

  void note_dtls_handshake(DtlsHandshakeTruth h) { dtls_.push_back(std::move(h)); }
  const std::vector<DtlsHandshakeTruth>& dtls_handshakes() const { return dtls_; }

  // Builds frames and writes the pcap; returns the number of frames written.
  std::uint64_t write_pcap(const std::string& path) const;

 private:
  std::uint8_t remote_ttl(Ipv4Addr host) const;

  Ipv4Addr local_;
  std::map<Ipv4Addr, std::uint8_t> ttl_;
  std::vector<Packet> packets_;
  std::uint64_t next_order_ = 0;
  std::vector<DtlsHandshakeTruth> dtls_;
  std::vector<SrtpKey> srtp_keys_;
  bool srtp_protected_ = false;
  std::vector<TurnChannel> turn_channels_;
  std::vector<EmbeddedRtp> embedded_rtp_;
  std::map<std::pair<Endpoint, std::uint8_t>, std::uint32_t> sdp_clocks_;
  std::vector<std::string> signalling_;
  std::vector<UserSignature> signatures_;
};

}  // namespace wcsgen
