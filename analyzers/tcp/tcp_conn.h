// A TCP connection as a passive tap sees it: the handshake (SYN, SYN-ACK, ACK, SYNs sent again),
// resets and FINs, retransmissions, out-of-order segments, zero windows, and round-trip times
// measured at the tap. Pure bookkeeping over segment headers: no payload, no allocation.
#pragma once

#include <array>
#include <cstdint>

#include "event.h"

namespace wcstap::tcp {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// Sequence-space comparison (RFC 793 arithmetic modulo 2^32).
constexpr bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
constexpr bool seq_le(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) <= 0; }

// How far the connection got. Reset and Closed are final until a new SYN starts it again.
enum class TcpState : uint8_t {
  None = 0,     // data only: the handshake was before the capture
  SynSent,      // SYN from the client, nothing back
  SynReceived,  // SYN-ACK back, the client's ACK not seen yet
  Established,  // the handshake completed (or data flowed both ways)
  Closing,      // a FIN from one side
  Closed,       // FINs from both
  Reset,        // an RST ended it
};
const char* tcp_state_name(TcpState s);  // "none", "syn_sent", ..., "reset"

struct TcpDirection {
  uint32_t next_seq = 0;     // the highest sequence number sent so far, plus one
  bool seq_known = false;
  bool fin = false;          // this side sent a FIN
  bool zero_window = false;  // its last segment advertised a zero window
  uint64_t payload_bytes = 0;  // new payload (not retransmitted)
  uint32_t segments = 0;       // segments with payload
  uint32_t retransmits = 0;    // segments with payload wholly or partly sent before
  uint32_t out_of_order = 0;   // segments starting past the next expected byte (a gap before them)
  uint32_t zero_windows = 0;   // times it began advertising a zero window
  // One round-trip sample at a time: the end of a segment this side sent, answered when the other
  // side acknowledges it (Karn: a retransmission cancels the sample).
  uint32_t rtt_end = 0;
  Nanos rtt_sent = 0;          // 0: no sample outstanding
  uint32_t rtt_samples = 0;
  double rtt_sum_ms = 0, rtt_max_ms = 0;  // from this side's data to the other side's ACK, at the tap
};

struct TcpConn {
  TcpState state = TcpState::None;
  uint8_t client = 0;        // the direction that sent the SYN (else the first packet's)
  uint8_t syns = 0;          // SYN transmissions of the latest handshake (saturating)
  uint8_t rst_from = 0;      // the direction that sent the RST
  bool syn_seen = false;
  Nanos syn_ts = 0, synack_ts = 0, established_ts = 0, rst_ts = 0, fin_ts = 0;
  double syn_rtt_ms = 0;     // SYN to SYN-ACK (the server side of the tap)
  double ack_rtt_ms = 0;     // SYN-ACK to the client's ACK (the client side)
  std::array<TcpDirection, 2> dir{};
};

// What one segment was.
struct TcpSegmentInfo {
  bool retransmission = false;  // its payload had been sent before (wholly or partly)
  bool out_of_order = false;    // it starts past the next byte expected: something before it is missing
  bool new_zero_window = false; // the sender just started advertising a zero window
  bool established = false;     // this segment completed the handshake
  bool reset = false;
  bool syn_again = false;       // a SYN sent again (unanswered so far)
};

// One segment of the connection, in direction `dir`: `len` is its payload on the wire.
TcpSegmentInfo track_segment(TcpConn& c, uint8_t dir, Nanos ts, uint8_t flags, uint32_t seq, uint32_t ack,
                             uint16_t window, uint32_t len);

}  // namespace wcstap::tcp
