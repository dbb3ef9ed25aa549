// The signalling analyzer's state, shared by its files (one per protocol family): not a public
// header. Everything here is preallocated at start.
#pragma once

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "flow/id_table.h"
#include "flow/index_pool.h"
#include "pipeline.h"
#include "signalling/signalling.h"
#include "dns/dns.h"
#include "hls/hls.h"
#include "rtmp/rtmp.h"
#include "rtsp/rtsp.h"
#include "signature/signature.h"
#include "sip/sip.h"
#include "tls/tls.h"
#include "text/text_message.h"
#include "wcs/wcs_message.h"
#include "websocket/websocket.h"
#include "tcp/reassembly.h"
#include "tcp/tcp_conn.h"

namespace wcstap::sig {

inline double ms_between(Nanos from, Nanos to) { return static_cast<double>(elapsed(to, from)) / 1e6; }
inline std::string_view view(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Copies text into a fixed field, truncating; always NUL-terminated.
template <size_t N>
void set_text(char (&field)[N], std::string_view v) {
  const size_t n = std::min(v.size(), N - 1);
  std::memcpy(field, v.data(), n);
  field[n] = '\0';
}

// "192.0.2.1:5004" / "[2001:db8::1]:5004" into a fixed buffer (detail texts).
inline void format_address(const Endpoint& e, char* out, size_t n) {
  char a[INET6_ADDRSTRLEN] = "?";
  inet_ntop(e.family == 6 ? AF_INET6 : AF_INET, e.addr.data(), a, sizeof a);
  std::snprintf(out, n, e.family == 6 ? "[%s]:%u" : "%s:%u", a, e.port);
}

inline uint64_t fnv1a(Bytes b, uint64_t h = 0xcbf29ce484222325ull) {
  for (uint8_t c : b) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// One signalling flow: its TCP connection and byte streams (TCP), and what its protocol said.
struct Conn {
  uint32_t gen = 0;             // bumped when the record is reused: stale deadlines are ignored
  FlowClass protocol = FlowClass::Unknown;
  L4 l4 = L4::Tcp;
  std::array<Endpoint, 2> ep{};  // [0] the flow key's lo side, [1] hi
  uint8_t client = 0;           // the direction the client sends in
  bool client_known = false;
  Nanos first_ts = 0, last_ts = 0;
  tcp::TcpConn tcp;
  std::array<tcp::StreamCursor, 2> stream{};
  std::array<bool, 2> lost{};   // a direction's parser lost the message boundaries for good
  SignallingEvent ev;           // the connection record being built
  AnomalySlot connect_failed;   // ws_connect_failed (rtsp_failure, rtmp_failure): a SYN unanswered
  bool refused = false;         // ... an RST before the handshake completed (raised once)
  bool reported = false;
  bool after_handshake = false; // taken at its first payload, the handshake seen by the pipeline
  bool tls_checked = false;     // the stream's first bytes were looked at
  bool tls = false;             // ... and were TLS (wss, https on a port the map names otherwise)
  // HTTP and WebSocket
  std::array<bool, 2> ws{};         // the direction carries WebSocket frames (after a 101)
  std::array<bool, 2> body_to_end{};  // an HTTP answer whose body lasts until the connection ends
  bool upgrade_pending = false;     // a WebSocket Upgrade request waits for its answer
  bool accept_known = false;
  std::array<char, 28> accept{};    // the Sec-WebSocket-Accept its key calls for
  bool close_seen = false;          // a WebSocket close frame
  bool wcs_seen = false;            // a WCS message was read: its texts are parsed unfiltered
  bool abnormal_end = false;        // ws_abnormal_close raised for the connection's end
  // A REST hook (WCS's POST to its backend) waiting for its answer
  bool hook_pending = false;
  Nanos hook_ts = 0;
  char hook[32]{};                  // its path's last segment ("publishStream")
  uint32_t streams = kNoIndex;      // the WCS streams its messages named (a list through WcsStream::next)
  uint32_t tls_state = kNoIndex;    // its TlsState while the handshake is in clear
  bool tls_done = false;            // the handshake went encrypted both ways
  bool tls_client_hello = false;
  uint32_t media_session = kNoIndex;  // its MediaSession (RTSP, RTMP)
  std::array<SignatureStream, 2> sig_stream{};  // user signatures, streaming mode, per direction
  std::array<bool, 2> sig_refused{};            // ... no stream state could be had
  // The HTTP request waiting for its answer (the last one: pipelining is rare): an HLS playlist?
  bool playlist_pending = false;
  uint64_t playlist_key = 0;        // FNV-1a of the server address and the playlist's path
  char playlist_path[48]{};
};

// A live HLS playlist polled from a server (any of its connections): is its media sequence moving?
struct HlsPlaylist {
  uint64_t key = 0;
  bool live = false;
  uint64_t media_sequence = 0;
  Nanos advanced_ts = 0;            // when the media sequence last moved (or was first seen)
  uint32_t target_duration = 0;     // s
  AnomalySlot stall;
};

// A connection's TLS handshake while it is in clear (each direction's reader holds a buffer from
// the pool until its side encrypts).
struct TlsState {
  std::array<std::optional<tls::DirectionReader>, 2> reader;
  std::array<uint32_t, 2> buffer{kNoIndex, kNoIndex};
  bool client_hello = false, server_hello = false;
  std::array<bool, 2> encrypted{};  // the side sent ChangeCipherSpec (<= 1.2) or encrypted records
  bool done = false;                // both sides encrypt: the handshake is over as far as a tap can see
  bool failed = false;              // tls_failure raised for it
};

// RTSP and RTMP sessions (one per connection that carries them).
struct MediaSession {
  // RTSP
  uint32_t pending_cseq = 0;        // the last request
  RtspMethod pending_method = RtspMethod::Other;
  bool pending_credentials = false;
  bool interleaved = false;         // SETUP chose RTP over the RTSP connection
  uint16_t pending_client_port = 0; // the last SETUP's client_port (RTP over UDP)
  uint8_t udp_tracks = 0;
  std::array<Endpoint, 2> udp_rtp{}; // where SETUPs answered said RTP over UDP goes (the first two tracks)
  Nanos play_ts = 0;                // PLAY answered 2xx
  uint64_t media_frames = 0;        // interleaved frames (RTSP), audio/video messages (RTMP)
  // RTMP
  std::array<rtmp::ChunkReader, 2> reader{};
  Nanos c0_ts = 0;                  // the client's C0
  bool handshake_done = false;
  Nanos publish_ts = 0;             // publish answered NetStream.Publish.Start (or sent)
  bool failed = false;
};

// A DNS client's queries to one server (every UDP flow between them, or TCP).
struct DnsSummary {
  uint32_t gen = 0;
  bool live = false;
  uint64_t key = 0;
  Endpoint client, server;      // ports of the first query
  L4 l4 = L4::Udp;
  Nanos first_ts = 0, last_ts = 0;
  struct Pending {
    uint16_t id = 0;
    bool used = false;
    Nanos ts = 0;
    uint64_t name = 0;          // FNV-1a of the question
    char qname[72]{};
    uint16_t qtype = 0;
    uint16_t client_port = 0;   // the query's own flow (resolvers use a new source port per query)
    bool timed_out = false;     // reported unanswered; kept so its resends and late answer are known
  };
  std::array<Pending, 16> pending{};
  uint32_t answered = 0;
  double sum_ms = 0;
  SignallingEvent ev;
};

// A WCS stream: one mediaSessionId on a WebSocket connection.
struct WcsStream {
  uint32_t gen = 0;
  bool live = false;
  uint64_t key = 0;             // FNV-1a of the mediaSessionId
  uint32_t conn = kNoIndex;     // its connection, and that record's generation
  uint32_t conn_gen = 0;
  uint32_t next = kNoIndex;     // the connection's next stream
  Nanos requested_ts = 0;       // publishStream/playStream
  Nanos answered_ts = 0;        // setRemoteSDP or a status
  bool final = false;           // a final status (UNPUBLISHED, STOPPED, FAILED)
  AnomalySlot no_answer;        // signalling_no_answer
  // From the SDP offer (the browser's publishStream/playStream) and answer (WCS's setRemoteSDP):
  // the ICE ufrag and the certificate fingerprint each side announced.
  std::array<std::array<char, 33>, 2> ufrag{};
  std::array<std::array<uint8_t, 32>, 2> fingerprint{};
  std::array<bool, 2> has_fingerprint{};
  SignallingEvent ev;
};

// A SIP dialog or registration (one Call-ID): its open client transaction and how it ended.
struct SipDialog {
  uint32_t gen = 0;
  bool live = false;
  uint64_t key = 0;             // FNV-1a of the Call-ID
  L4 l4 = L4::Udp;
  Endpoint client, server;      // the first request's sender and receiver
  Nanos first_ts = 0, last_ts = 0;
  SipMethod opened_by = SipMethod::Other;
  // The latest request of the client transaction (CSeq number and method) and its fate.
  uint32_t cseq = 0;
  SipMethod method = SipMethod::Other;
  Nanos request_ts = 0;
  bool answered = false;        // any response to it
  bool final = false;           // a final response to it
  bool credentials = false;     // it carried Authorization / Proxy-Authorization
  bool cancelled = false;       // a CANCEL was sent for it
  uint16_t last_final = 0;      // the last final status of the dialog
  bool confirmed = false;       // a 2xx to its INVITE
  bool terminated = false;      // a BYE answered 2xx
  bool failed = false;
  // The media addresses each side's SDP named ([0] the client's, [1] the server's), the ACK that
  // confirmed the call, and what was judged of them.
  std::array<Endpoint, 2> sdp_media{};
  std::array<bool, 2> nat_judged{};
  Nanos ack_ts = 0;
  SignallingEvent ev;
};

std::optional<AnomalyKind> connect_kind(FlowClass c);

// The analyzer itself.
struct Engine {
  Engine(const Config& c, AnomalyEngine& e, EventSink& s, PipelineCounters& k,
         std::shared_ptr<const SignatureDatabase> db);

  // A check due at a packet time for a record (while its generation is unchanged).
  enum class Due : uint8_t { SynAnswer, SipTransaction, SipIdle, RestHook, WcsAnswer, DnsAnswer, DnsIdle, RtspRtp, RtmpHandshake, RtmpMedia, SipRtp };
  struct Deadline {
    Nanos at;
    uint32_t index, gen;
    Due what;
    uint8_t slot = 0;  // DnsAnswer: the pending query's slot
    bool operator>(const Deadline& o) const { return at > o.at; }
  };
  void schedule(uint32_t index, uint32_t gen, Nanos at, Due what, uint8_t slot = 0) {
    if (deadlines.size() >= deadlines.capacity()) {  // the heap never grows past its start size
      ++ctr.signalling_deadlines_dropped;
      return;
    }
    deadlines.push_back(Deadline{at, index, gen, what, slot});
    std::push_heap(deadlines.begin(), deadlines.end(), std::greater<>{});
    if (next_due != nullptr && deadlines.front().at < *next_due) *next_due = deadlines.front().at;
  }
  void advance(Nanos now);
  void due(const Deadline& d, Nanos now);

  // The record for `key` in a pool indexed by an id table: the one there (created false), or a
  // fresh one (created true); kNoIndex when either is full (counted).
  template <class T>
  uint32_t keyed_record(IndexPool<T>& pool, IdTable& ids, uint64_t key, bool& created) {
    created = false;
    uint32_t i = ids.find(key);
    if (i != kNoIndex) return i;
    i = pool.alloc();
    if (i == kNoIndex || !ids.insert(key, i)) {
      if (i != kNoIndex) pool.release(i);
      ++ctr.signalling_table_full;
      return kNoIndex;
    }
    created = true;
    return i;
  }
  // A keyed record's report: its event with the common fields filled, out; the record let go.
  template <class Record>
  void retire(Record& r, IndexPool<Record>& pool, IdTable& ids, uint32_t index, SignallingKind kind, FlowClass protocol,
              L4 l4, const Endpoint& client, const Endpoint& server, Nanos first_ts, Nanos last_ts) {
    SignallingEvent& ev = r.ev;
    ev.kind = kind;
    ev.protocol = protocol;
    ev.l4 = l4;
    ev.client = client;
    ev.server = server;
    ev.first_ts = first_ts;
    ev.last_ts = last_ts;
    ++ctr.signalling_reports;
    sink.emit(ev);
    ids.erase(r.key);
    r.live = false;
    pool.release(index);
  }
  // An idle check of a record that outlives its flows (a dialog, a DNS summary): still active, it
  // is looked at again when it could next be idle; else reported.
  template <class Record, class Report>
  void idle_check(Record& r, uint32_t index, Nanos now, Due what, Report&& report) {
    if (elapsed(now, r.last_ts) < dialog_idle) {
      schedule(index, r.gen, r.last_ts + dialog_idle, what);
      return;
    }
    report(index);
  }

  AnomalySubject client_subject(const Conn& c) const {
    AnomalySubject s;
    s.l4 = c.l4;
    s.src = c.ep[c.client];
    s.dst = c.ep[c.client ^ 1];
    return s;
  }
  // The client side once the connection shows it: the SYN's sender, else the first packet's.
  static void learn_client(Conn& c, uint8_t dir) {
    if (c.client_known) return;
    c.client = dir;
    c.client_known = true;
  }

  // TCP (signalling.cc)
  void tcp_segment(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const DecodedPacket& p);
  void check_syn(Conn& c, Nanos now);
  void stream_segment(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const DecodedPacket& p);
  // The stream parser of a connection's protocol: whole messages out of `b`, returns the bytes used.
  size_t stream_bytes(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b);
  void stream_gap(Conn& c, uint8_t dir);
  void report(Conn& c);

  // HTTP, WebSocket, REST hooks (http_ws.cc)
  size_t http_stream(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b);
  void http_request(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const TextHead& h);
  void http_response(Conn& c, Nanos ts, const TextHead& h);
  void check_hook(Conn& c, Nanos now);
  void hls_answer(Conn& c, Nanos ts, uint16_t status, Bytes body);
  size_t ws_stream(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b);
  void ws_message(uint32_t index, Conn& c, uint8_t dir, Nanos ts, WsOpcode op, Bytes payload);
  void ws_connection_end(Conn& c, uint8_t dir, Nanos ts, bool reset);
  // WCS's JSON messages and streams (wcs_streams.cc)
  void wcs_message(uint32_t index, Conn& c, uint8_t dir, Nanos ts, const WcsMessage& m);
  WcsStream* wcs_stream(uint32_t conn, Conn& c, std::string_view id, Nanos ts);
  void wcs_status(WcsStream& s, Conn& c, Nanos ts, std::string_view status, std::string_view info);
  void wcs_check_answer(uint32_t index, Nanos now);
  void wcs_report(uint32_t index, Nanos ts);
  void wcs_close_all(Conn& c, Nanos ts);
  AnomalySubject stream_subject(const WcsStream& s) const {
    AnomalySubject subj = client_subject(conns[s.conn]);
    subj.session = s.ev.session;
    if (s.ev.name[0] != '\0') subj.stream = s.ev.name;
    return subj;
  }

  // User signatures (signatures.cc)
  void signature_segment(Conn& c, uint8_t dir, Nanos ts, const DecodedPacket& p, const tcp::TcpSegmentInfo& info);
  void signature_datagram(const DecodedPacket& p, Nanos ts);
  void signature_close(Conn& c, Nanos ts);
  void signature_hit(uint32_t id, L4 l4, const Endpoint& src, const Endpoint& dst, Nanos ts);

  // TLS (tls_dns.cc)
  size_t tls_stream(Conn& c, uint8_t dir, Nanos ts, Bytes b);
  void tls_item(Conn& c, TlsState& t, uint8_t dir, Nanos ts, const tls::Item& it);
  tls::CertificateCache certificates;  // a server's certificate is decoded once, not per connection
  void tls_end(Conn& c, Nanos ts, bool reset);
  void tls_release(Conn& c);
  AnomalySubject server_subject(const Conn& c) const {
    AnomalySubject s = client_subject(c);
    std::swap(s.src, s.dst);
    return s;
  }
  // RTSP and RTMP (rtsp_rtmp.cc)
  MediaSession* media_session(Conn& c);
  size_t rtsp_stream(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b);
  void rtsp_message(uint32_t index, Conn& c, Nanos ts, const RtspMessage& m);
  void rtsp_check_rtp(Conn& c, Nanos now);
  size_t rtmp_stream(uint32_t index, Conn& c, uint8_t dir, Nanos ts, Bytes b);
  void rtmp_command(uint32_t index, Conn& c, MediaSession& s, uint8_t dir, Nanos ts, const rtmp::Command& cmd);
  void rtmp_check(Conn& c, Due what, Nanos now);
  void media_failure(Conn& c, AnomalyKind kind, Nanos ts, double value, const char* text);
  void media_release(Conn& c);
  // DNS (tls_dns.cc): one message, from a datagram or a TCP frame.
  void dns_message(L4 l4, const Endpoint& src, const Endpoint& dst, Nanos ts, Bytes msg);
  size_t dns_stream(Conn& c, uint8_t dir, Nanos ts, Bytes b);
  void dns_check(uint32_t index, uint8_t slot, Nanos now);
  void dns_idle(uint32_t index, Nanos now);
  void dns_report(uint32_t index);

  // SIP (sip_dialogs.cc): one message, from a datagram or cut out of a stream.
  void sip_message(L4 l4, const Endpoint& src, const Endpoint& dst, Nanos ts, Bytes msg);
  size_t sip_stream(Conn& c, uint8_t dir, Nanos ts, Bytes b);
  SipDialog* sip_dialog(Bytes call_id, L4 l4, const Endpoint& src, const Endpoint& dst, Nanos ts, bool create);
  void sip_request(SipDialog& d, const SipMessage& m, Nanos ts);
  void sip_response(SipDialog& d, const SipMessage& m, Nanos ts);
  void sip_failure(SipDialog& d, Nanos ts, uint16_t status, std::string_view why);
  void sip_check_transaction(uint32_t index, Nanos now);
  void sip_sdp(SipDialog& d, const Endpoint& src, Nanos ts);
  void sip_check_rtp(uint32_t index, Nanos now);
  void sip_idle(uint32_t index, Nanos now);
  void sip_report(uint32_t index);
  AnomalySubject sip_subject(const SipDialog& d) const {
    AnomalySubject s;
    s.l4 = d.l4;
    s.src = d.client;
    s.dst = d.server;
    s.stream = d.ev.id;  // the Call-ID
    return s;
  }

  const Config& cfg;
  AnomalyEngine& engine;
  EventSink& sink;
  PipelineCounters& ctr;
  IndexPool<Conn> conns;
  IndexPool<SipDialog> dialogs;
  IdTable dialog_ids;               // Call-ID hash -> dialogs index
  uint32_t next_gen = 1;
  tcp::Reassembler reasm;
  std::vector<Deadline> deadlines;  // a min-heap by time
  SipMessage sip;                   // scratch: the message being read
  TextHead head;                    // scratch: an HTTP head
  IndexPool<WcsStream> wcs_streams;
  IdTable wcs_ids;                  // mediaSessionId hash -> wcs_streams index
  WcsMessageReader wcs;             // one simdjson parser, allocated at start
  WcsMessage wcs_msg;               // scratch
  std::vector<uint8_t> unmasked;    // scratch: a WebSocket message, with the parser's padding
  IndexPool<TlsState> tls_states;
  static constexpr uint32_t kTlsBuffer = 16 * 1024;  // a side's handshake messages (a certificate chain)
  struct Slot {};
  IndexPool<Slot> tls_buffers;
  std::unique_ptr<uint8_t[]> tls_memory;  // default-initialised: pages are committed as used
  IndexPool<DnsSummary> dns;
  IdTable dns_ids;
  dns::DnsMessage dns_msg;          // scratch
  IndexPool<MediaSession> media_sessions;
  // Built-in recognition, WCS message names and the user's signatures: this worker's scratch and
  // streams on the process's one compiled database.
  std::unique_ptr<SignatureEngine> signatures;
  bool user_signatures = false;
  bool signature_any_port = false;              // a user signature without ports: every datagram
  std::vector<bool> signature_ports;            // ports some user signature names
  // signature_match events already sent: (flow, signature) -> when, so a signature matching every
  // packet of a flow raises once per refresh interval (a small table; collisions only let one through)
  std::array<std::pair<uint64_t, Nanos>, 1024> signature_seen{};
  IndexPool<HlsPlaylist> playlists;
  IdTable playlist_ids;
  RtspMessage rtsp;                 // scratch
  InterleavedMedia* media = nullptr;
  Nanos* next_due = nullptr;        // the analyzer's copy of the earliest deadline (its inline check)
  MediaExpectations* expectations = nullptr;
  bool media_elsewhere = false;     // a session's media may reach another worker: its absence here proves nothing
  SdesKeySink* sdes = nullptr;
  SdpSession sdp;                   // scratch (large: kept here, not on the stack)
  // An SDP body: parsed, its media recorded for the media analyzers under `name` (what the operator
  // calls the media: the WCS stream, the SIP Call-ID, the RTSP URL), its SDES keys handed to the
  // SRTP keyring (and wiped from the scratch: what is read of the SDP afterwards is no secret).
  bool note_sdp(Bytes body, Nanos ts, uint64_t source, std::string_view name) {
    if (!parse_sdp(body, sdp)) {
      ++ctr.sdp_malformed;
      wipe_sdes(sdp);
      return false;
    }
    ++ctr.sdp_bodies;
    if (expectations != nullptr) expectations->expect_sdp(sdp, ts, source, name);
    if (sdes != nullptr) sdes->sdes_keys(sdp, ts, source);
    wipe_sdes(sdp);
    return true;
  }
  static void wipe_sdes(SdpSession& s) {
    for (SdpMedia& m : s.media)
      for (SdpCrypto& c : m.cryptos) {
        c.secret_key_salt.fill(0);
        c.secret_key_salt_len = 0;
      }
  }
  // A dialog or stream whose SDPs may have given SDES keys is over.
  void sdes_ended(uint64_t source, Nanos ts) {
    if (sdes != nullptr) sdes->sdes_source_ended(source, ts);
  }
  void wcs_sdp(WcsStream& s, uint8_t side, Nanos ts);
  Nanos dialog_idle;                // a dialog with no message this long is reported
};

}  // namespace wcstap::sig
